"""`pricepipe load` into real warehouses: SQLite (a file, read back with Python's sqlite3), PostgreSQL
(Debian's, initdb into a temporary directory, on a loopback port, read back with psql) and ClickHouse (Debian's
clickhouse-server 18.16, its data in a temporary directory, on a loopback port, read back over HTTP).

A fakeaws snapshot (two regions, every dataset) is loaded; later and earlier snapshots are derived from it with
prices changed, removed and added (rows edited, parts and manifest rewritten as pricepipe writes them). Each engine:
- holds every row of the snapshot, typed, and a reload of the same snapshot changes nothing;
- keeps the history: a changed price closes its version and opens one, a removed one closes, and the price at a
  point in time is one query; an older snapshot than the last loaded is refused (exit 2), as is the same id from
  another manifest;
- survives a load cut short (pricepipe SIGKILLed mid-load; for PostgreSQL also its connection terminated and the
  server stopped; for ClickHouse the server killed) with the previous data intact, and then loads it whole;
- keeps strings with backslashes, tabs, newlines, quotes and non-ASCII, in text and in arrays, exactly;
- gives `pricepipe diff A B --in URL` of two snapshots loaded there the changes their files give.

And `pricepipe diff A B` between those snapshots lists exactly the changes made to them.

ClickHouse keeps every snapshot loaded (a partition each), so what it is checked for is its latest loaded snapshot.
PostgreSQL's and ClickHouse's parts skip, saying why, only when they cannot be installed.
"""

import copy
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeaws"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from harness import FakeAws  # noqa: E402
from servers import ClickHouse, Postgres  # noqa: E402

PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
REGIONS = "eu-west-1,us-east-1"
NASTY = 'back\\slash\ttab\nnew line "double" \'single\' naïve 東京 \\N {brace,comma}'


def read_snapshot(path):
    """(manifest, {dataset: [row, ...]}) of an uncompressed snapshot, rows in part order."""
    with open(os.path.join(path, "manifest.json")) as f:
        manifest = json.load(f)
    rows = {}
    for part in manifest["parts"]:
        with open(os.path.join(path, part["path"]), encoding="utf-8") as f:
            rows.setdefault(part["dataset"], []).extend(json.loads(line) for line in f)
    return manifest, rows


def write_snapshot(root, manifest, rows, snapshot_id, started_at):
    """A snapshot as pricepipe writes one: parts by dataset and region, then the manifest with their hashes."""
    path = os.path.join(root, snapshot_id)
    m = copy.deepcopy(manifest)
    m.update(snapshot_id=snapshot_id, started_at=started_at, parts=[])
    for dataset, records in rows.items():
        by_region = {}
        for r in records:
            r = dict(r, snapshot_id=snapshot_id)
            by_region.setdefault(r["region"], []).append(r)
        for region, rs in sorted(by_region.items()):
            rel = f"dataset={dataset}/region={region}/part-00000.ndjson"
            os.makedirs(os.path.dirname(os.path.join(path, rel)), exist_ok=True)
            data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rs).encode()
            with open(os.path.join(path, rel), "wb") as f:
                f.write(data)
            m["parts"].append({"path": rel, "dataset": dataset, "region": region, "rows": len(rs), "bytes": len(data),
                               "ndjson_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    with open(os.path.join(path, "manifest.json"), "w") as f:
        json.dump(m, f)
    return path


def pricepipe(*args, timeout=600):
    return subprocess.run([PRICEPIPE, *args], capture_output=True, timeout=timeout)


def is_probe(r):
    """The on-demand price the history queries follow."""
    return (r["region"] == "eu-west-1" and r["instance_type"] == "m7g.large" and r["operating_system"] == "linux"
            and r["tenancy"] == "shared" and r["pre_installed_software"] is None and r["capacity_status"] == "used")


class Snapshots:
    """A: the fakeaws snapshot; B: an hour later, the probe's price up 10%, one price gone, one spot price changed;
    OLDER: an hour before A; OTHER_A: A's id with another manifest; D: B with every on-demand price doubled;
    NASTY: regions and catalog rows with hostile strings."""
    dir = None

    @classmethod
    def make(cls):
        if cls.dir is not None:
            return
        cls.dir = tempfile.mkdtemp(prefix="pricepipe-warehouse-")
        with FakeAws() as fake:
            env = fake.pricepipe_env(os.path.join(cls.dir, "cache"))
            run = subprocess.run([PRICEPIPE, "snapshot", "--out", os.path.join(cls.dir, "fetched"), "--regions", REGIONS,
                                  "--compression", "none", "--id", "2026-10-01T06-00-00Z"], env=env,
                                 capture_output=True, timeout=600)
            assert run.returncode == 0, run.stderr.decode()
            # The same records straight from a run into a `load` sink (the answers are cached: the same ones).
            cls.run_db = os.path.join(cls.dir, "run.db")
            pipeline = os.path.join(cls.dir, "load.yaml")
            with open(pipeline, "w") as f:
                f.write(f"""sources:
  catalog: {{type: catalog, regions: [{REGIONS}]}}
  prices: {{type: on-demand-prices, regions: [{REGIONS}]}}
sinks:
  db: {{type: load, to: "sqlite://{cls.run_db}", inputs: [catalog, prices]}}
""")
            cls.run = subprocess.run([PRICEPIPE, "run", pipeline], env=env, capture_output=True, timeout=600)
        manifest, rows = read_snapshot(os.path.join(cls.dir, "fetched", "2026-10-01T06-00-00Z"))
        cls.manifest, cls.rows = manifest, rows
        root = os.path.join(cls.dir, "snapshots")
        cls.a = write_snapshot(root, manifest, rows, "2026-10-01T06-00-00Z", "2026-10-01T06:00:00Z")

        b = copy.deepcopy(rows)
        probe = next(r for r in b["on-demand-prices"] if is_probe(r))
        cls.probe_rate_code, cls.probe_a = probe["rate_code"], probe["price_per_hour"]
        probe["price_per_hour"] = round(probe["price_per_hour"] * 1.1, 6)
        cls.probe_b = probe["price_per_hour"]
        gone = next(r for r in b["on-demand-prices"] if r["region"] == "us-east-1" and not is_probe(r))
        cls.gone_rate_code, cls.gone_price = gone["rate_code"], gone["price_per_hour"]
        b["on-demand-prices"].remove(gone)
        spot = b["spot-prices"][0]
        cls.spot_key = (spot["region"], spot["account_id"], spot["zone"], spot["instance_type"],
                        spot["product_description"])
        spot["price"] = round(spot["price"] + 0.01, 6)
        spot["timestamp"] = "2026-10-01T06:30:00Z"
        cls.spot_b = spot["price"]
        cls.b_rows = b
        cls.b = write_snapshot(root, manifest, b, "2026-10-01T07-00-00Z", "2026-10-01T07:00:00Z")
        cls.older = write_snapshot(root, manifest, rows, "2026-10-01T05-00-00Z", "2026-10-01T05:00:00Z")
        other = copy.deepcopy(rows)
        other["regions"][0]["location"] = "Elsewhere"
        cls.other_a = write_snapshot(os.path.join(cls.dir, "other"), manifest, other, "2026-10-01T06-00-00Z",
                                     "2026-10-01T06:00:00Z")
        d = copy.deepcopy(b)
        for r in d["on-demand-prices"]:
            r["price_per_hour"] *= 2
        cls.d = write_snapshot(root, manifest, d, "2026-10-01T08-00-00Z", "2026-10-01T08:00:00Z")
        # E: half an hour after A, its on-demand prices and those of a region A did not have.
        e = copy.deepcopy(rows)
        extra = [dict(r, region="eu-test-1") for r in rows["on-demand-prices"] if r["region"] == "eu-west-1"]
        e["on-demand-prices"] += extra
        cls.e_extra = len(extra)
        cls.e = write_snapshot(root, manifest, e, "2026-10-01T06-30-00Z", "2026-10-01T06:30:00Z")

        nasty = {"regions": copy.deepcopy(rows["regions"][:2]), "catalog": copy.deepcopy(rows["catalog"][:1])}
        nasty["regions"][0]["location"] = NASTY
        nasty["regions"][1]["geography"] = NASTY[::-1]
        nasty["catalog"][0]["architectures"] = [NASTY, "", "x86_64"]
        nasty["catalog"][0]["instance_type"] = NASTY
        cls.nasty_rows = nasty
        cls.nasty = write_snapshot(root, manifest, nasty, "2026-10-02T06-00-00Z", "2026-10-02T06:00:00Z")

    @classmethod
    def remove(cls):
        if cls.dir:
            shutil.rmtree(cls.dir, ignore_errors=True)
            cls.dir = None


def setUpModule():
    Snapshots.make()


def tearDownModule():
    Snapshots.remove()


class Diff(unittest.TestCase):
    def test_diff_lists_exactly_the_changes_made(self):
        run = pricepipe("diff", Snapshots.a, Snapshots.b)
        self.assertEqual(run.returncode, 0, run.stderr.decode())
        changes = [json.loads(line) for line in run.stdout.decode().splitlines()]
        ids = {"from_snapshot": "2026-10-01T06-00-00Z", "to_snapshot": "2026-10-01T07-00-00Z"}
        probe = {"dataset": "on-demand-prices", "region": "eu-west-1", "instance_type": "m7g.large",
                 "key": [Snapshots.probe_rate_code], "change": "changed", "field": "price_per_hour",
                 "old_value": Snapshots.probe_a, "new_value": Snapshots.probe_b, **ids}
        gone = [c for c in changes if c["change"] == "removed"]
        spot = [c for c in changes if c["dataset"] == "spot-prices"]
        self.assertEqual(len(changes), 3, changes)
        got = next(c for c in changes if c["field"] == "price_per_hour" and c["change"] == "changed")
        self.assertAlmostEqual(got.pop("change_abs"), Snapshots.probe_b - Snapshots.probe_a, places=9)
        self.assertAlmostEqual(got.pop("change_pct"), (Snapshots.probe_b / Snapshots.probe_a - 1) * 100, places=6)
        self.assertEqual(got, probe)
        self.assertEqual([(c["key"], c["old_value"], c["new_value"]) for c in gone],
                         [([Snapshots.gone_rate_code], Snapshots.gone_price, None)])
        self.assertEqual([c["key"] for c in spot], [list(Snapshots.spot_key[1:])])
        self.assertEqual(spot[0]["new_value"], Snapshots.spot_b)
        # Back the other way: the same changes, reversed.
        back = [json.loads(line) for line in pricepipe("diff", Snapshots.b, Snapshots.a).stdout.decode().splitlines()]
        self.assertEqual(sorted(c["change"] for c in back), ["added", "changed", "changed"])
        same = pricepipe("diff", Snapshots.a, Snapshots.older)
        self.assertEqual((same.returncode, same.stdout), (0, b""), "the same rows: no change")


class Served:
    """A server (`server_type`) started for the class's tests and stopped after them."""
    server_type = None

    @classmethod
    def setUpClass(cls):
        cls.server = cls.server_type()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()


class Engine:
    """What each engine's test does; `query(sql)` gives rows as tuples of text (None for null)."""

    def url(self):
        raise NotImplementedError

    def query(self, sql):
        raise NotImplementedError

    def load(self, snapshot, **kw):
        return pricepipe("load", snapshot, "--to", self.url(), **kw)

    def load_args(self):
        """What a load that is cut short is run with, after `load D --to URL`."""
        return []

    def assert_loaded(self, run):
        self.assertEqual(run.returncode, 0, run.stderr.decode())

    def counts(self):
        tables = [d.replace("-", "_") for d in Snapshots.rows]
        return {t: int(self.query(f'SELECT count(*) FROM "{t}"')[0][0]) for t in tables}

    def probe_price_at(self, when):
        rows = self.query(
            f"SELECT price_per_hour FROM on_demand_prices_history WHERE region = 'eu-west-1' AND rate_code = "
            f"'{Snapshots.probe_rate_code}' AND valid_from <= {self.ts(when)} AND (valid_to IS NULL OR valid_to > "
            f"{self.ts(when)})")
        return [float(r[0]) for r in rows]

    def ts(self, when):
        return f"'{when}'"

    # PostgreSQL and SQLite keep each price's current version in its table (first_snapshot_id, valid_from) and the
    # versions that ended in <table>_history_closed; ClickHouse keeps its history in a table of its own.
    versions_in_tables = True

    def assert_versions(self, expected):
        """{table: {first_snapshot_id: rows}} of the price tables, and no more closed versions than `closed`."""
        if not self.versions_in_tables:
            return
        for table, want in expected.items():
            if table == "closed":
                continue
            got = {k: int(n) for k, n in self.query(f"SELECT first_snapshot_id, count(*) FROM {table} GROUP BY 1")}
            self.assertEqual(got, want, table)
        closed = int(self.query("SELECT count(*) FROM on_demand_prices_history_closed")[0][0])
        self.assertEqual(closed, expected["closed"])

    def test_a_snapshot_loads_typed_then_reloads_to_no_change_then_history_follows(self):
        self.assert_loaded(self.load(Snapshots.a))
        expected = {d.replace("-", "_"): len(rs) for d, rs in Snapshots.rows.items()}
        self.assertEqual(self.counts(), expected)
        # Numbers stay numbers: the sum of every on-demand price is the snapshot's.
        total = float(self.query("SELECT sum(price_per_hour) FROM on_demand_prices")[0][0])
        self.assertAlmostEqual(total, sum(r["price_per_hour"] for r in Snapshots.rows["on-demand-prices"]), places=6)
        self.assertEqual(self.query("SELECT DISTINCT snapshot_id FROM catalog"), [("2026-10-01T06-00-00Z",)])
        history = int(self.query("SELECT count(*) FROM on_demand_prices_history WHERE valid_to IS NULL")[0][0])
        self.assertEqual(history, expected["on_demand_prices"])
        a_id, b_id = "2026-10-01T06-00-00Z", "2026-10-01T07-00-00Z"
        # A first load opens every version in the tables themselves and closes none.
        self.assert_versions({"on_demand_prices": {a_id: expected["on_demand_prices"]},
                              "spot_prices": {a_id: expected["spot_prices"]}, "closed": 0})

        again = self.load(Snapshots.a)
        self.assert_loaded(again)
        self.assertIn(b"nothing to do", again.stderr)
        self.assertEqual(self.counts(), expected)
        self.assertEqual(self.query("SELECT count(*) FROM pricepipe_loads"), [("1",)])
        self.assertEqual(int(self.query("SELECT count(*) FROM on_demand_prices_history")[0][0]), history)

        other = self.load(Snapshots.other_a)
        self.assertEqual(other.returncode, 2, other.stderr.decode())
        self.assertIn(b"another manifest", other.stderr)

        # B: a changed price, a removed one, a changed spot price.
        self.assert_loaded(self.load(Snapshots.b))
        self.assertEqual(self.counts()["on_demand_prices"], expected["on_demand_prices"] - 1)
        self.assertEqual(self.probe_price_at("2026-10-01T06:30:00Z"), [Snapshots.probe_a])
        self.assertEqual(self.probe_price_at("2026-10-01T07:00:00Z"), [Snapshots.probe_b])
        self.assertEqual(self.probe_price_at("2026-10-01T05:00:00Z"), [], "before the first snapshot: unknown")
        gone = self.query(f"SELECT valid_from, valid_to FROM on_demand_prices_history WHERE rate_code = "
                          f"'{Snapshots.gone_rate_code}' AND region = 'us-east-1'")
        self.assertEqual(len(gone), 1)
        self.assertIsNotNone(gone[0][1], "a price gone is closed")
        self.assertEqual(int(self.query("SELECT count(*) FROM on_demand_prices_history WHERE valid_to IS NOT NULL")[0][0]),
                         2, "exactly the changed and the removed price closed")
        region, account, zone, itype, product = Snapshots.spot_key
        spot = self.query(f"SELECT price, valid_to IS NULL FROM spot_prices_history WHERE region = '{region}' AND "
                          f"account_id = '{account}' AND zone = '{zone}' AND instance_type = '{itype}' AND "
                          f"product_description = '{product}' ORDER BY valid_from")
        self.assertEqual([float(p) for p, _ in spot][-1], Snapshots.spot_b)
        self.assertEqual(len(spot), 2)
        # Unchanged prices keep the version A opened; the changed one's opened with B; the changed and the gone
        # price's A versions are closed. Every observation of the changed spot price carries its new version.
        changed_spot = sum(1 for r in Snapshots.b_rows["spot-prices"]
                           if (r["region"], r["account_id"], r["zone"], r["instance_type"],
                               r["product_description"]) == Snapshots.spot_key)
        self.assert_versions({"on_demand_prices": {a_id: expected["on_demand_prices"] - 2, b_id: 1},
                              "spot_prices": {a_id: expected["spot_prices"] - changed_spot, b_id: changed_spot},
                              "closed": 2})
        if self.versions_in_tables:
            self.assertEqual(self.query("SELECT count(*) FROM spot_prices_history_closed"), [("1",)])

        # The two snapshots loaded here give the changes their files give.
        changes = lambda run: sorted(json.dumps(json.loads(line), sort_keys=True)
                                     for line in run.stdout.decode().splitlines())
        files = pricepipe("diff", Snapshots.a, Snapshots.b)
        here = pricepipe("diff", "2026-10-01T06-00-00Z", "2026-10-01T07-00-00Z", "--in", self.url())
        self.assertEqual(here.returncode, 0, here.stderr.decode())
        self.assertEqual(changes(here), changes(files))
        self.assertEqual(len(changes(here)), 3)
        unknown = pricepipe("diff", "2026-10-01T06-00-00Z", "2026-01-01T00-00-00Z", "--in", self.url())
        self.assertEqual(unknown.returncode, 2, unknown.stderr.decode())
        self.assertIn(b"2026-01-01T00-00-00Z is not loaded", unknown.stderr)

        older = self.load(Snapshots.older)
        self.assertEqual(older.returncode, 2, older.stderr.decode())
        self.assertIn(b"older than", older.stderr)
        self.assertEqual(self.query("SELECT count(*) FROM pricepipe_loads"), [("2",)])

        # Cut short: the previous data stays, then the load goes through whole.
        before = (self.counts(), self.probe_price_at("2026-10-01T09:00:00Z"))
        for cut in self.cuts():
            with self.subTest(cut=cut.__name__):
                process = subprocess.Popen([PRICEPIPE, "load", Snapshots.d, "--to", self.url(), *self.load_args()],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                try:
                    cut(process)
                    process.wait(timeout=120)
                    self.assertNotEqual(process.returncode, 0, process.stderr.read().decode())
                finally:
                    if process.poll() is None:
                        process.kill()
                    process.stderr.close()
                self.after_cut()
                self.assertEqual((self.counts(), self.probe_price_at("2026-10-01T09:00:00Z")), before)
                self.assertEqual(self.query("SELECT count(*) FROM pricepipe_loads"), [("2",)])
        self.assert_loaded(self.load(Snapshots.d))
        self.assertEqual(self.probe_price_at("2026-10-01T09:00:00Z"), [Snapshots.probe_b * 2])
        self.assertEqual(self.counts()["on_demand_prices"], len(Snapshots.b_rows["on-demand-prices"]),
                         "what the cut loads left is replaced, not added to")

    def test_hostile_strings_survive_in_text_and_arrays(self):
        self.fresh()
        self.assert_loaded(self.load(Snapshots.nasty))
        regions = Snapshots.nasty_rows["regions"]
        got = self.json_rows("location, geography", "regions", "region")
        want = sorted(regions, key=lambda r: r["region"])
        self.assertEqual(got, [[r["location"], r["geography"]] for r in want])
        self.assertEqual(self.json_rows("instance_type", "catalog", "region"), [[NASTY]])
        self.assertEqual(self.array("architectures", "catalog"), [NASTY, "", "x86_64"])

    def wait_for(self, condition, process, what, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            if process.poll() is not None:
                self.fail(f"the load ended before {what}: {process.stderr.read().decode()}")
            time.sleep(0.005)
        self.fail(f"never {what}")


class VersionsInTables:
    """PostgreSQL and SQLite: a load that replaces some partitions and opens others."""

    def test_a_new_region_opens_its_versions_beside_the_carried_ones(self):
        self.fresh()
        for snapshot in (Snapshots.a, Snapshots.e):
            self.assert_loaded(pricepipe("load", snapshot, "--to", self.url(), "--datasets", "on-demand-prices"))
        got = {(r, k): int(n) for r, k, n in self.query(
            "SELECT region, first_snapshot_id, count(*) FROM on_demand_prices GROUP BY 1, 2")}
        want = {(r, "2026-10-01T06-00-00Z"): sum(1 for x in Snapshots.rows["on-demand-prices"] if x["region"] == r)
                for r in REGIONS.split(",")}
        want[("eu-test-1", "2026-10-01T06-30-00Z")] = Snapshots.e_extra
        self.assertEqual(got, want)
        self.assertEqual(self.query("SELECT count(*) FROM on_demand_prices_history_closed"), [("0",)])
        self.assertEqual(self.query("SELECT count(*) FROM on_demand_prices_history WHERE valid_to IS NULL"),
                         [(str(sum(want.values())),)])
        self.assertEqual(self.query("SELECT DISTINCT snapshot_id FROM on_demand_prices"), [("2026-10-01T06-30-00Z",)])


class SQLite(VersionsInTables, Engine, unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pricepipe-sqlite-")
        self.path = os.path.join(self.dir, "prices.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def fresh(self):
        self.path = os.path.join(self.dir, "fresh.db")

    def url(self):
        return "sqlite://" + self.path

    def query(self, sql):
        with sqlite3.connect(self.path) as db:
            return [tuple(None if v is None else str(v) for v in row) for row in db.execute(sql)]

    def array(self, column, table):
        return json.loads(self.query(f"SELECT {column} FROM {table}")[0][0])

    def json_rows(self, columns, table, order):
        return [json.loads(r[0]) for r in self.query(f"SELECT json_array({columns}) FROM {table} ORDER BY {order}")]

    def cuts(self):
        def sigkill_mid_load(process):
            wal = self.path + "-wal"
            self.wait_for(lambda: os.path.exists(wal) and os.path.getsize(wal) > (1 << 20), process, "writing")
            process.send_signal(signal.SIGKILL)
        return [sigkill_mid_load]

    def after_cut(self):
        pass

    def test_a_pipeline_loads_records_straight_from_a_run(self):
        self.assertEqual(Snapshots.run.returncode, 0, Snapshots.run.stderr.decode())
        self.path = Snapshots.run_db
        counts = {t: int(self.query(f"SELECT count(*) FROM {t}")[0][0]) for t in ("catalog", "on_demand_prices")}
        self.assertEqual(counts, {"catalog": len(Snapshots.rows["catalog"]),
                                  "on_demand_prices": len(Snapshots.rows["on-demand-prices"])})
        loads = self.query("SELECT source, rows FROM pricepipe_loads")
        self.assertEqual(len(loads), 1)
        self.assertEqual(loads[0][0], "run")
        self.assertEqual(json.loads(loads[0][1]), counts)
        total = float(self.query("SELECT sum(price_per_hour) FROM on_demand_prices")[0][0])
        self.assertAlmostEqual(total, sum(r["price_per_hour"] for r in Snapshots.rows["on-demand-prices"]), places=6)

    def test_a_history_table_of_an_earlier_layout_is_refused_untouched(self):
        with sqlite3.connect(self.path) as db:
            db.execute("CREATE TABLE on_demand_prices_history (region TEXT, rate_code TEXT, valid_from TEXT)")
            db.execute("INSERT INTO on_demand_prices_history VALUES ('eu-west-1', 'X.Y.Z', '2026-09-01T00:00:00Z')")
        run = self.load(Snapshots.a)
        self.assertEqual(run.returncode, 2, run.stderr.decode())
        self.assertIn(b"on_demand_prices_history in sqlite://", run.stderr)
        self.assertIn(b"is a table", run.stderr)
        self.assertEqual(self.query("SELECT * FROM on_demand_prices_history"),
                         [("eu-west-1", "X.Y.Z", "2026-09-01T00:00:00Z")])
        self.assertEqual(self.query("SELECT name FROM sqlite_master WHERE name = 'pricepipe_loads'"), [])

    def test_the_file_answers_the_sqlite3_shell(self):
        self.assert_loaded(self.load(Snapshots.a))
        shell = shutil.which("sqlite3")
        if not shell:
            self.skipTest("the sqlite3 shell is not installed (Debian's sqlite3 package)")
        out = subprocess.run([shell, self.path, "SELECT count(*) FROM catalog WHERE region = 'eu-west-1'"],
                             capture_output=True, check=True).stdout.decode().strip()
        self.assertEqual(int(out), sum(1 for r in Snapshots.rows["catalog"] if r["region"] == "eu-west-1"))


@unittest.skipIf(Postgres.missing(), Postgres.missing() or "")
class PostgreSQL(Served, VersionsInTables, Engine, unittest.TestCase):
    server_type = Postgres

    def setUp(self):
        self.db = f"t{os.getpid()}_{self._testMethodName[-20:].lower()}"
        self.server.psql(f'CREATE DATABASE "{self.db}"')

    def fresh(self):
        pass

    def url(self):
        return self.server.url(self.db)

    def ts(self, when):
        return f"TIMESTAMPTZ '{when}'"

    def query(self, sql):
        out = self.server.psql(sql, db=self.db)
        return [tuple(None if v == "" else v for v in line.split("\t")) for line in out.splitlines()]

    def array(self, column, table):
        return json.loads(self.query(f"SELECT to_json({column}) FROM {table}")[0][0])

    def json_rows(self, columns, table, order):
        # JSON, so that tabs and newlines in values do not split psql's lines.
        return [json.loads(r[0]) for r in self.query(f"SELECT json_build_array({columns}) FROM {table} ORDER BY {order}")]

    def test_a_password_in_the_url_never_reaches_the_output(self):
        canary = "Canary-9f2c61e0"
        url = f"postgresql://postgres:{canary}@127.0.0.1:{self.server.port}/no_such_database"
        run = pricepipe("load", Snapshots.a, "--to", url)
        self.assertEqual(run.returncode, 4, run.stderr.decode())
        self.assertIn(b"no_such_database", run.stderr)
        self.assertNotIn(canary.encode(), run.stderr + run.stdout)
        self.assertIn(b"postgres:***@", run.stderr)

    def copying(self):
        return self.server.psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db}' AND query LIKE 'COPY%'")

    def cuts(self):
        def sigkill_mid_copy(process):
            self.wait_for(lambda: self.copying().strip() != "", process, "copying")
            process.send_signal(signal.SIGKILL)

        def connection_terminated(process):
            self.wait_for(lambda: self.copying().strip() != "", process, "copying")
            self.server.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.db}' "
                             f"AND query LIKE 'COPY%'")

        def server_stopped(process):
            self.wait_for(lambda: self.copying().strip() != "", process, "copying")
            self.server.halt("immediate")
            self.server.start()
        return [sigkill_mid_copy, connection_terminated, server_stopped]

    def after_cut(self):
        # A killed client's backend may linger a moment before it rolls back.
        deadline = time.monotonic() + 30
        while self.copying().strip() and time.monotonic() < deadline:
            time.sleep(0.05)


@unittest.skipIf(ClickHouse.missing(), ClickHouse.missing() or "")
class ClickHouseLoads(Served, Engine, unittest.TestCase):
    versions_in_tables = False
    LATEST = "(SELECT argMax(snapshot_id, snapshot_started_at) FROM pricepipe_loads)"
    server_type = ClickHouse

    def setUp(self):
        self.db = f"t{os.getpid()}_{self._testMethodName[-20:].lower()}"  # the load creates it

    def fresh(self):
        self.db += "_fresh"

    def url(self):
        return self.server.url(self.db)

    def ts(self, when):
        return f"parseDateTimeBestEffort('{when}')"

    def counts(self):
        # Every snapshot loaded stays, a partition each: the latest loaded is what the other engines hold.
        return {t: int(self.query(f"SELECT count() FROM {t} WHERE snapshot_id = {self.LATEST}")[0][0])
                for t in (d.replace("-", "_") for d in Snapshots.rows)}

    def query(self, sql):
        out = self.server.query(sql + " FORMAT TabSeparated", db=self.db)
        return [tuple(None if v == "\\N" else v for v in line.split("\t")) for line in out.splitlines()]

    def json_rows(self, columns, table, order):
        return json.loads(self.server.query(f"SELECT {columns} FROM {table} ORDER BY {order} FORMAT JSONCompact",
                                            db=self.db))["data"]

    def array(self, column, table):
        return self.json_rows(column, table, "region")[0][0]

    def load_args(self):
        return ["--retry-deadline", "2"]  # a server that is gone fails the load at once

    def writing(self):
        return int(self.server.query(f"SELECT count() FROM system.parts WHERE database = '{self.db}' AND active AND "
                                     f"partition LIKE '%2026-10-01T08-00-00Z%'").strip() or 0) > 0

    def cuts(self):
        def sigkill_mid_load(process):
            self.wait_for(self.writing, process, "writing")
            process.send_signal(signal.SIGKILL)

        def server_killed(process):
            self.wait_for(self.writing, process, "writing")
            self.server.halt()
            process.wait(timeout=120)
            self.server.start()
        return [sigkill_mid_load, server_killed]

    def after_cut(self):
        pass

    def test_every_schema_file_creates_its_table_in_clickhouse_18_16(self):
        self.server.query(f"CREATE DATABASE {self.db}")
        for dataset in Snapshots.rows:
            with self.subTest(dataset=dataset):
                ddl = pricepipe("schema", dataset, "--format", "clickhouse", "--snapshot")
                self.assertEqual(ddl.returncode, 0, ddl.stderr.decode())
                self.server.query(ddl.stdout.decode(), db=self.db)
        tables = self.query("SHOW TABLES")
        self.assertEqual(sorted(t[0] for t in tables), sorted(d.replace("-", "_") for d in Snapshots.rows))

    def test_a_pipeline_loads_records_straight_from_a_run(self):
        pipeline = os.path.join(Snapshots.dir, "clickhouse.yaml")
        with open(pipeline, "w") as f:
            f.write(f"""sources:
  catalog: {{type: catalog, regions: [{REGIONS}]}}
sinks:
  db: {{type: load, to: "{self.url()}", inputs: [catalog]}}
""")
        with FakeAws() as fake:
            run = subprocess.run([PRICEPIPE, "run", pipeline], env=fake.pricepipe_env(os.path.join(Snapshots.dir, "cache")),
                                 capture_output=True, timeout=600)
        self.assertEqual(run.returncode, 0, run.stderr.decode())
        self.assertEqual(self.query("SELECT count() FROM catalog"), [(str(len(Snapshots.rows["catalog"])),)])
        self.assertEqual(self.query("SELECT source FROM pricepipe_loads"), [("run",)])

    def test_a_password_in_the_url_never_reaches_the_output(self):
        canary = "Canary-9f2c61e0"
        run = pricepipe("load", Snapshots.a, "--to", f"clickhouse://default:{canary}@127.0.0.1:{self.server.port}/x")
        self.assertNotEqual(run.returncode, 0, run.stderr.decode())
        self.assertIn(b"default:***@", run.stderr)
        self.assertNotIn(canary.encode(), run.stderr + run.stdout)
        # The same password from CLICKHOUSE_PASSWORD: refused by the server (exit 3), never shown, metrics included.
        metrics = os.path.join(Snapshots.dir, "canary.prom")
        from_env = subprocess.run([PRICEPIPE, "--metrics-out", metrics, "--metrics-format", "prometheus", "load",
                                   Snapshots.a, "--to", f"clickhouse://default@127.0.0.1:{self.server.port}/x"],
                                  env=dict(os.environ, CLICKHOUSE_PASSWORD=canary), capture_output=True, timeout=600)
        self.assertEqual(from_env.returncode, 3, from_env.stderr.decode())
        with open(metrics, "rb") as f:
            self.assertNotIn(canary.encode(), from_env.stderr + from_env.stdout + f.read())
        plain = pricepipe("load", Snapshots.a, "--to", "clickhouse://example.com:8123/x")
        self.assertEqual(plain.returncode, 2, plain.stderr.decode())
        self.assertIn(b"loopback", plain.stderr)


@unittest.skipIf(Postgres.missing(), Postgres.missing() or "")
class NightlyPipeline(Served, unittest.TestCase):
    """`pricepipe run pipelines/nightly-warehouse.yaml` end to end against fakeaws and PostgreSQL: fetch, snapshot,
    the price changes since the previous snapshot written into it, the load, the metrics a stale load alerts on."""
    server_type = Postgres

    def nightly(self, fake, snapshots, metrics):
        env = dict(fake.pricepipe_env(os.path.join(Snapshots.dir, "cache")), SNAPSHOTS=snapshots, REGIONS=REGIONS,
                   WAREHOUSE=self.server.url(), KEEP="2")
        return subprocess.run([PRICEPIPE, "run", os.path.join(ROOT, "pipelines", "nightly-warehouse.yaml"),
                               "--metrics-out", metrics, "--metrics-format", "prometheus"],
                              env=env, capture_output=True, timeout=600)

    def test_fetch_snapshot_changes_and_load_in_one_run(self):
        snapshots = os.path.join(Snapshots.dir, "nightly")
        metrics = os.path.join(Snapshots.dir, "nightly.prom")
        # The night before: fakeaws's rows with the probe's price 10% up (so tonight's is a change back).
        before = copy.deepcopy(Snapshots.rows)
        probe = next(r for r in before["on-demand-prices"] if is_probe(r))
        probe["price_per_hour"] = round(probe["price_per_hour"] * 1.1, 6)
        write_snapshot(snapshots, Snapshots.manifest, before, "2026-09-30T06-00-00Z", "2026-09-30T06:00:00Z")
        os.symlink("2026-09-30T06-00-00Z", os.path.join(snapshots, "latest"))

        with FakeAws() as fake:
            run = self.nightly(fake, snapshots, metrics)
            self.assertEqual(run.returncode, 0, run.stderr.decode())
            tonight = os.readlink(os.path.join(snapshots, "latest"))
            self.assertNotEqual(tonight, "2026-09-30T06-00-00Z")
            self.assertEqual(pricepipe("snapshot", "verify", snapshots).returncode, 0)
            changes = subprocess.run(["sh", "-c", f"zstdcat {snapshots}/{tonight}/dataset=price-changes/region=*/*"],
                                     capture_output=True, check=True).stdout.decode().splitlines()
            self.assertEqual([(c["dataset"], c["change"], c["key"], c["old_value"], c["new_value"])
                              for c in map(json.loads, changes)],
                             [("on-demand-prices", "changed", [Snapshots.probe_rate_code], probe["price_per_hour"],
                               Snapshots.probe_a)])

            psql = self.server.psql
            self.assertEqual(psql("SELECT snapshot_id, source LIKE 'snapshot %' FROM pricepipe_loads").split(),
                             [tonight, "t"])
            self.assertEqual(int(psql("SELECT count(*) FROM on_demand_prices")),
                             len(Snapshots.rows["on-demand-prices"]))
            self.assertEqual(psql("SELECT old_value, new_value FROM price_changes").split(),
                             [str(probe["price_per_hour"]), str(Snapshots.probe_a)])
            with open(metrics) as f:
                prom = f.read()
            self.assertIn(f'pricepipe_load_rows{{dataset="pipelines/nightly-warehouse.yaml",table="on_demand_prices"}} '
                          f'{len(Snapshots.rows["on-demand-prices"])}', prom.replace(os.path.join(ROOT, ""), ""))
            self.assertIn("pricepipe_load_snapshot_timestamp_seconds", prom)
            self.assertRegex(prom, r"pricepipe_last_success_timestamp_seconds\{[^}]*\} [1-9]")

            # The next night: nothing changed, loaded after it; --keep 2 removes the oldest.
            time.sleep(1.1)  # a new id (the run's start, to the second)
            again = self.nightly(fake, snapshots, metrics)
            self.assertEqual(again.returncode, 0, again.stderr.decode())
        self.assertEqual(int(psql("SELECT count(*) FROM pricepipe_loads")), 2)
        self.assertEqual(int(psql("SELECT count(*) FROM price_changes")), 0, "no change since the night before")
        self.assertEqual(sorted(d for d in os.listdir(snapshots) if not d.startswith(".") and d != "latest"),
                         sorted([tonight, os.readlink(os.path.join(snapshots, "latest"))]))


if __name__ == "__main__":
    unittest.main()
