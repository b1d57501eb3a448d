"""Table schemas (`pricepipe schema DATASET --format ...`) against real readers.

Every dataset is streamed from fakeaws, then:
- every line validates against the dataset's JSON Schema (jsonschema,
  Draft 2020-12), with and without the snapshot column;
- DuckDB (the npm package @duckdb/node-api, installed by this test into the
  build directory, never by the product) creates the table from the DuckDB
  statement and loads the NDJSON into it with those types;
- PostgreSQL (Debian's, initdb into a temporary directory) creates the table
  from the PostgreSQL statement and loads every line with
  jsonb_populate_record;
and in both, per column, the count of nulls and of values, and the sum of
every number (epoch seconds for timestamps), equal what the NDJSON says: a
number stays a number, a time a time, a null a null. The BigQuery, ClickHouse
and Snowflake schemas (no server here) are checked to name every field, in
order, with its type and nullability.

A part skips, saying why, only when its reader cannot be installed.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeaws"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from servers import Postgres  # noqa: E402
from harness import FakeAws  # noqa: E402

PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
BUILD = os.path.dirname(os.path.dirname(os.path.dirname(PRICEPIPE)))
REGION = "eu-west-1"
# Each dataset, streamed small enough to be quick and large enough to hold
# nulls and every field type.
STREAMS = {
    "regions": [],
    "availability-zones": ["--regions", REGION],
    "instance-types": ["--regions", REGION],
    "instance-type-offerings": ["--regions", REGION],
    "on-demand-prices": ["--regions", REGION, "--instance-types", "m7g.*,p5.*,t4g.*"],
    "reserved-prices": ["--regions", REGION, "--instance-types", "m7g.*"],
    "savings-plans-rates": ["--regions", REGION, "--instance-types", "m7g.*"],
    "spot-prices": ["--regions", REGION, "--since", "1d"],
    "spot-advisor": ["--regions", REGION],
    "catalog": ["--regions", REGION],
}
NUMERIC = {"integer", "number"}

try:
    import jsonschema
except ImportError as e:  # pragma: no cover - depends on the machine
    jsonschema = None
    MISSING = str(e)


def pricepipe(*args, env=None):
    return subprocess.run([PRICEPIPE, *args], check=True, capture_output=True, env=env).stdout.decode()


def fields_of(dataset):
    return json.loads(pricepipe("schema", dataset, "--format", "json"))[dataset]


def expected_columns(fields, rows):
    """Per column: (nulls, values, the sum of its numbers or epoch seconds:
    None for other types, "null" when there is no value to sum)."""
    out = {}
    for f in fields:
        values = [r[f["name"]] for r in rows]
        nulls = sum(1 for v in values if v is None)
        total = None
        if nulls == len(values) and f["type"] in NUMERIC | {"timestamp"}:
            out[f["name"]] = (nulls, 0, "null")  # SQL's sum of no values is null
            continue
        if f["type"] in NUMERIC:
            total = math.fsum(v for v in values if v is not None)
        elif f["type"] == "timestamp":
            from datetime import datetime
            total = math.fsum(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() for v in values
                              if v is not None)
        out[f["name"]] = (nulls, len(values) - nulls, total)
    return out


def column_queries(fields, table, quote):
    """SELECT expressions giving expected_columns' figures, one row."""
    parts = []
    for f in fields:
        c = quote(f["name"])
        parts.append(f"count(*) - count({c})")
        parts.append(f"count({c})")
        if f["type"] in NUMERIC:
            parts.append(f"sum({c})::double precision")
        elif f["type"] == "timestamp":
            parts.append(f"sum(extract(epoch from {c}))::double precision")
    return f"SELECT {', '.join(parts)} FROM {table}"


def flatten(fields, expected):
    row = []
    for f in fields:
        nulls, values, total = expected[f["name"]]
        row += [nulls, values]
        if total == "null":
            row.append(None)
        elif total is not None:
            row.append(total)
    return row


class Streams:
    """Every dataset's NDJSON from one fakeaws, made once for all tests."""
    dir = None
    files = {}

    @classmethod
    def make(cls):
        if cls.dir is not None:
            return
        cls.dir = tempfile.mkdtemp(prefix="pricepipe-schemas-")
        with FakeAws() as fake:
            env = fake.pricepipe_env(os.path.join(cls.dir, "cache"))
            for dataset, args in STREAMS.items():
                path = os.path.join(cls.dir, dataset + ".ndjson")
                with open(path, "wb") as out:
                    run = subprocess.run([PRICEPIPE, "-q", "stream", dataset, *args], env=env, stdout=out,
                                         stderr=subprocess.PIPE, timeout=600)
                if run.returncode != 0:
                    raise AssertionError(f"pricepipe stream {dataset} failed ({run.returncode}): "
                                         f"{run.stderr.decode(errors='replace')[-2000:]}")
                cls.files[dataset] = path
                # The same records as CSV (the answers are cached: the same ones).
                with open(os.path.join(cls.dir, dataset + ".csv"), "wb") as out:
                    run = subprocess.run([PRICEPIPE, "-q", "stream", dataset, *args, "--format", "csv"], env=env,
                                         stdout=out, stderr=subprocess.PIPE, timeout=600)
                if run.returncode != 0:
                    raise AssertionError(f"pricepipe stream {dataset} --format csv failed ({run.returncode}): "
                                         f"{run.stderr.decode(errors='replace')[-2000:]}")

    @classmethod
    def rows(cls, dataset):
        with open(cls.files[dataset]) as f:
            return [json.loads(line) for line in f]


def tearDownModule():
    if Streams.dir:
        shutil.rmtree(Streams.dir, ignore_errors=True)


@unittest.skipIf(jsonschema is None, "jsonschema cannot be imported: " + (MISSING if jsonschema is None else ""))
class JsonSchema(unittest.TestCase):
    def test_every_streamed_line_validates(self):
        Streams.make()
        for dataset in STREAMS:
            with self.subTest(dataset=dataset):
                rows = Streams.rows(dataset)
                self.assertGreater(len(rows), 0, dataset)
                schema = json.loads(pricepipe("schema", dataset, "--format", "json-schema"))
                jsonschema.Draft202012Validator.check_schema(schema)
                validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
                for i, row in enumerate(rows):
                    errors = [e.message for e in validator.iter_errors(row)]
                    self.assertEqual(errors, [], f"{dataset} line {i + 1}")
                # The snapshot's schema wants the column, and only that more.
                snap = jsonschema.Draft202012Validator(json.loads(
                    pricepipe("schema", dataset, "--format", "json-schema", "--snapshot")))
                self.assertFalse(snap.is_valid(rows[0]))
                self.assertTrue(snap.is_valid({**rows[0], "snapshot_id": "2026-12-01T06-00-00Z"}))
                self.assertFalse(validator.is_valid({**rows[0], "unexpected": 1}))

    def test_a_wrong_type_is_refused(self):
        schema = json.loads(pricepipe("schema", "spot-prices", "--format", "json-schema"))
        validator = jsonschema.Draft202012Validator(schema)
        Streams.make()
        row = Streams.rows("spot-prices")[0]
        self.assertTrue(validator.is_valid(row))
        self.assertFalse(validator.is_valid({**row, "price": str(row["price"])}))
        self.assertFalse(validator.is_valid({**row, "zone": None}))


def duckdb_runner():
    """A node script that runs SQL in DuckDB, with @duckdb/node-api installed
    into the build directory on first use; (runner, None) or (None, why)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, "node and npm are not installed"
    tools = os.path.join(BUILD, "test-tools")
    if not os.path.isdir(os.path.join(tools, "node_modules", "@duckdb", "node-api")):
        os.makedirs(tools, exist_ok=True)
        run = subprocess.run([npm, "install", "--prefix", tools, "--no-audit", "--no-fund", "--silent",
                              "@duckdb/node-api@1.5.6-r.1"], capture_output=True, timeout=600)
        if run.returncode != 0:
            return None, "npm cannot install @duckdb/node-api: " + run.stderr.decode(errors="replace")[-500:]
    script = os.path.join(tools, "duckdb_sql.mjs")
    with open(script, "w") as f:
        f.write("""
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
const statements = JSON.parse(readFileSync(0, 'utf8'));
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const out = [];
for (const sql of statements) out.push((await c.runAndReadAll(sql)).getRowsJson());
console.log(JSON.stringify(out));
""")
    return [node, script], None


class DuckDb(unittest.TestCase):
    def duckdb(self, runner, statements):
        run = subprocess.run(runner, input=json.dumps(statements).encode(), capture_output=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr.decode(errors="replace"))
        return json.loads(run.stdout)

    def test_each_table_loads_the_stream_with_its_types(self):
        runner, why = duckdb_runner()
        if runner is None:
            self.skipTest(why)
        Streams.make()
        for dataset in STREAMS:
            with self.subTest(dataset=dataset):
                fields = fields_of(dataset)
                table = dataset.replace("-", "_")
                create = pricepipe("schema", dataset, "--format", "duckdb")
                columns = self.duckdb(runner, [create, f"SELECT column_name, data_type FROM information_schema.columns "
                                                       f"WHERE table_name = '{table}' ORDER BY ordinal_position"])[1]
                self.assertEqual([c[0] for c in columns], [f["name"] for f in fields])
                # read_json with the table's own types, as a snapshot's reader would give them.
                spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
                path = Streams.files[dataset].replace("'", "''")
                figures = self.duckdb(runner, [
                    create,
                    f"INSERT INTO {table} SELECT * FROM read_json('{path}', format='newline_delimited', "
                    f"columns={{{spec}}})",
                    column_queries(fields, table, lambda n: f'"{n}"')])[2][0]
                got = [float(v) if v is not None else None for v in figures]
                want = flatten(fields, expected_columns(fields, Streams.rows(dataset)))
                self.assertEqual(len(got), len(want))
                for i, (g, w) in enumerate(zip(got, want)):
                    self.assertTrue(g == w or (g is not None and w is not None and math.isclose(g, w, rel_tol=1e-9)),
                                    f"{dataset}: figure {i}: DuckDB {g}, NDJSON {w}")


class PostgreSql(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if Postgres.missing():
            raise unittest.SkipTest(Postgres.missing())
        cls.server = Postgres()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def psql(self, sql):
        try:
            return self.server.psql(sql)
        except RuntimeError as e:
            self.fail(str(e))

    def test_each_table_loads_the_stream_with_its_types(self):
        Streams.make()
        for dataset in STREAMS:
            with self.subTest(dataset=dataset):
                fields = fields_of(dataset)
                table = dataset.replace("-", "_")
                path = Streams.files[dataset]
                os.chmod(path, 0o644)
                # One JSON document per line, read as text without COPY's escapes.
                out = self.psql(f"""
DROP TABLE IF EXISTS "{table}", raw;
{pricepipe("schema", dataset, "--format", "postgresql")}
CREATE TEMP TABLE raw (line jsonb);
\\copy raw FROM '{path}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
INSERT INTO "{table}" SELECT (jsonb_populate_record(NULL::"{table}", line)).* FROM raw;
{column_queries(fields, '"' + table + '"', lambda n: f'"{n}"')};
""")
                got = [float(v) if v != "" else None for v in out.strip().split("\t")]
                want = flatten(fields, expected_columns(fields, Streams.rows(dataset)))
                self.assertEqual(len(got), len(want))
                for i, (g, w) in enumerate(zip(got, want)):
                    self.assertTrue(g == w or (g is not None and w is not None and math.isclose(g, w, rel_tol=1e-9)),
                                    f"{dataset}: figure {i}: PostgreSQL {g}, NDJSON {w}")


class OtherDialects(unittest.TestCase):
    def test_every_field_in_order_with_its_nullability(self):
        for dataset in STREAMS:
            fields = fields_of(dataset) + [{"name": "snapshot_id", "type": "string", "nullable": False}]
            with self.subTest(dataset=dataset, dialect="bigquery"):
                schema = json.loads(pricepipe("schema", dataset, "--format", "bigquery", "--snapshot"))
                self.assertEqual([c["name"] for c in schema], [f["name"] for f in fields])
                for c, f in zip(schema, fields):
                    listed = f["type"].endswith("[]")
                    self.assertEqual(c["mode"], "REPEATED" if listed else "NULLABLE" if f["nullable"] else "REQUIRED")
                    if f["type"] == "timestamp":
                        self.assertEqual(c["type"], "TIMESTAMP")
                    if f["type"] in NUMERIC:
                        self.assertIn(c["type"], ("INT64", "FLOAT64"))
            for dialect, quote in (("clickhouse", "`{}`"), ("snowflake", "{}")):
                with self.subTest(dataset=dataset, dialect=dialect):
                    sql = pricepipe("schema", dataset, "--format", dialect, "--snapshot")
                    body = sql[sql.index("(\n") + 2:sql.index("\n)")].split(",\n")
                    if dialect == "snowflake":  # the dataset's key closes the column list
                        self.assertTrue(body.pop().startswith("  PRIMARY KEY (region"), sql)
                    else:
                        self.assertIn("ORDER BY (`region`", sql)
                    self.assertEqual([line.split()[0] for line in body], [quote.format(f["name"]) for f in fields])
                    for line, f in zip(body, fields):
                        if dialect == "snowflake":
                            self.assertEqual(line.endswith("NOT NULL"), not f["nullable"], line)
                        elif f["type"] in ("string", "integer", "number", "boolean", "timestamp"):
                            self.assertEqual("Nullable(" in line, f["nullable"], line)


class Csv(unittest.TestCase):
    """`stream --format csv` holds the NDJSON's records, flattened as docs/cli.md says: a column per field, a price
    as four (`X` its value, `X_source`, `X_as_of`, `X_reason`), lists and maps as JSON text, null an empty field."""

    @classmethod
    def setUpClass(cls):
        Streams.make()

    @staticmethod
    def flattened(fields, row):
        out = []
        for f in fields:
            v = row[f["name"]]
            if f["type"] == "price":
                out += [("number", (v or {}).get("value")), ("string", (v or {}).get("source")),
                        ("string", (v or {}).get("as_of")), ("string", (v or {}).get("reason"))]
            else:
                out.append((f["type"], v))
        return out

    @staticmethod
    def read(kind, text):
        """A CSV field back as the value it was written from."""
        if text == "":
            return None
        if kind in NUMERIC or kind == "number":
            return float(text)
        if kind == "boolean":
            return {"true": True, "false": False}[text]
        if kind.endswith("[]") or kind.startswith("map") or kind in ("number_map", "object"):
            return json.loads(text)
        return text

    def test_every_dataset_as_csv_holds_its_ndjson_records(self):
        import csv
        for dataset in STREAMS:
            with self.subTest(dataset=dataset):
                fields = fields_of(dataset)
                with open(os.path.join(Streams.dir, dataset + ".csv"), newline="") as f:
                    table = list(csv.reader(f))
                header, body = table[0], table[1:]
                names = []
                for fd in fields:
                    names += ([fd["name"]] + [f"{fd['name']}_{m}" for m in ("source", "as_of", "reason")]
                              if fd["type"] == "price" else [fd["name"]])
                self.assertEqual(header, names)
                rows = Streams.rows(dataset)
                self.assertEqual(len(body), len(rows))
                self.assertGreater(len(rows), 0)
                # (Python's csv reads `""` and an empty field alike: an empty string is compared as null.)
                want = sorted(json.dumps([None if v is None or v == "" else float(v) if k in NUMERIC else v
                                          for k, v in self.flattened(fields, r)], sort_keys=True) for r in rows)
                kinds = [k for k, _ in self.flattened(fields, rows[0])]
                got = sorted(json.dumps([self.read(k, t) for k, t in zip(kinds, line)], sort_keys=True)
                             for line in body)
                self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
