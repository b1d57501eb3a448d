"""A snapshot read as it is by DuckDB (the npm package @duckdb/node-api,
installed by the test into the build directory): `read_json` over
`LATEST/dataset=*/region=*/*.ndjson.zst` with hive_partitioning finds, per
dataset and region, the rows the manifest lists; and per dataset, read with
the types of the snapshot's own `_schema/NAME/duckdb.sql`, every column's
nulls, values and sums equal what `pricepipe stream` prints for it.
"""

import datetime
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

from test_table_schemas import (PRICEPIPE, column_queries, duckdb_runner, expected_columns, fields_of,  # noqa: E402
                                flatten)
from harness import FakeAws  # noqa: E402  (test_table_schemas put tests/fakeaws on the path)

REGIONS = "eu-west-1,us-east-1"


class SnapshotInDuckDb(unittest.TestCase):
    def test_duckdb_reads_the_snapshot_as_it_is(self):
        runner, why = duckdb_runner()
        if runner is None:
            self.skipTest(why)
        work = tempfile.mkdtemp(prefix="pricepipe-snapshot-duckdb-")
        self.addCleanup(shutil.rmtree, work, True)
        until = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
        window = ["--since", (until - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "--until", until.strftime("%Y-%m-%dT%H:%M:%SZ")]
        out = os.path.join(work, "snapshots")
        with FakeAws() as fake:
            env = fake.pricepipe_env(os.path.join(work, "cache"))
            subprocess.run([PRICEPIPE, "-q", "snapshot", "--out", out, "--regions", REGIONS, *window], env=env,
                           check=True, timeout=600)
            streams = {}
            with open(os.path.join(out, "latest", "manifest.json")) as f:
                snapshotted = [d["name"] for d in json.load(f)["datasets"]]  # every dataset read from AWS
            self.assertGreaterEqual(len(snapshotted), 10)
            for dataset in snapshotted:
                args = [] if dataset == "regions" else ["--regions", REGIONS]
                if dataset in ("spot-prices", "catalog"):
                    args += window
                run = subprocess.run([PRICEPIPE, "-q", "stream", dataset, *args], env=env, check=True,
                                     capture_output=True, timeout=600)
                streams[dataset] = [json.loads(line) for line in run.stdout.splitlines()]
        latest = os.path.join(out, "latest")
        with open(os.path.join(latest, "manifest.json")) as f:
            manifest = json.load(f)

        def run(statements):
            r = subprocess.run(runner, input=json.dumps(statements).encode(), capture_output=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
            return json.loads(r.stdout)

        # Every part as it is: dataset and region from the path, rows as the manifest says.
        glob = os.path.join(latest, "dataset=*", "region=*", "*.ndjson.zst").replace("'", "''")
        counts = run([f"SELECT dataset, region, count(*), count(DISTINCT snapshot_id), min(snapshot_id) "
                      f"FROM read_json('{glob}', format='newline_delimited', hive_partitioning=true, "
                      f"union_by_name=true) GROUP BY ALL ORDER BY ALL"])[0]
        want = {}
        for p in manifest["parts"]:
            want[(p["dataset"], p["region"])] = want.get((p["dataset"], p["region"]), 0) + p["rows"]
        self.assertEqual({(d, r): int(n) for d, r, n, _, _ in counts}, want)
        for _, _, _, ids, first in counts:
            self.assertEqual((int(ids), first), (1, manifest["snapshot_id"]))

        for entry in manifest["datasets"]:
            dataset = entry["name"]
            with self.subTest(dataset=dataset):
                rows = streams[dataset]
                self.assertEqual(entry["rows"], len(rows))
                fields = fields_of(dataset)
                table = dataset.replace("-", "_")
                with open(os.path.join(latest, "_schema", dataset, "duckdb.sql")) as f:
                    create = f.read()
                columns = run([create, f"SELECT column_name, data_type FROM information_schema.columns "
                                       f"WHERE table_name = '{table}' ORDER BY ordinal_position"])[1]
                spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
                parts = os.path.join(latest, f"dataset={dataset}", "region=*", "*.ndjson.zst").replace("'", "''")
                figures = run([create,
                               f"INSERT INTO {table} SELECT * FROM read_json('{parts}', format='newline_delimited', "
                               f"hive_partitioning=false, columns={{{spec}}})",
                               column_queries(fields, table, lambda n: f'"{n}"')])[2][0]
                got = [float(v) if v is not None else None for v in figures]
                expected = flatten(fields, expected_columns(fields, rows))
                self.assertEqual(len(got), len(expected))
                for i, (g, w) in enumerate(zip(got, expected)):
                    self.assertTrue(g == w or (g is not None and w is not None and math.isclose(g, w, rel_tol=1e-9)),
                                    f"{dataset}: figure {i}: DuckDB {g}, stream {w}")


if __name__ == "__main__":
    unittest.main()
