#!/usr/bin/env python3
"""`pricepipe load` against `psql \\copy`, and a whole snapshot into each engine.

Takes a snapshot of every dataset of every fakeaws region (or --snapshot DIR),
starts Debian's PostgreSQL in a temporary directory on loopback, and measures:

  per dataset   pricepipe load SNAPSHOT --datasets D into an empty database,
                then `psql -c "\\copy T FROM FILE"` of the same rows (exported
                from that table as COPY text) into a table made LIKE it
                (INCLUDING ALL: the same columns, types and key), empty; rows
                per second of each and their ratio (median of --runs).
  reload        the same dataset's load again from a snapshot one hour later
                (the nightly case: every partition replaced, history checked)
  whole         the whole snapshot into PostgreSQL, ClickHouse (Debian's
                clickhouse-server, when installed) and SQLite: wall, CPU and
                peak RSS

    python3 bench/load_bench.py [--runs 3] [--snapshot DIR] [--datasets catalog,on-demand-prices,savings-plans-rates]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from catalog_cache import env_for, start_fakeaws, timed  # noqa: E402
from servers import ClickHouse, Postgres  # noqa: E402


def later_copy(snapshot, work):
    """The same snapshot under an id one hour later (manifest edited; parts linked)."""
    with open(os.path.join(snapshot, "manifest.json")) as f:
        m = json.load(f)
    m["snapshot_id"], m["started_at"] = "2100-01-01T01-00-00Z", "2100-01-01T01:00:00Z"
    out = os.path.join(work, "later", m["snapshot_id"])
    shutil.copytree(snapshot, out, copy_function=os.link, ignore=shutil.ignore_patterns("manifest.json"))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(m, f)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--snapshot", help="an existing snapshot (DIR/ID) instead of one of fakeaws")
    p.add_argument("--datasets", default="catalog,on-demand-prices,savings-plans-rates")
    args = p.parse_args()
    if Postgres.missing():
        sys.exit(Postgres.missing())

    work = tempfile.mkdtemp(prefix="pricepipe-load-bench-")
    os.chmod(work, 0o755)
    pg = clickhouse = None
    try:
        snapshot = args.snapshot
        if not snapshot:
            proc, url, _ = start_fakeaws(work, False)
            try:
                timed([PRICEPIPE, "--cache-dir", os.path.join(work, "cache"), "snapshot", "--out",
                       os.path.join(work, "snap"), "--id", "2100-01-01T00-00-00Z"], env_for(url))
            finally:
                proc.terminate()
                proc.wait()
            snapshot = os.path.join(work, "snap", "2100-01-01T00-00-00Z")
        later = later_copy(snapshot, work)
        pg = Postgres()
        env = dict(os.environ)
        databases = iter(range(1_000_000))

        def fresh():
            name = f"b{next(databases)}"
            pg.psql(f"CREATE DATABASE {name}")
            return name

        print(f"{'dataset':<22} {'rows':>8} {'load rows/s':>12} {'psql rows/s':>12} {'ratio':>6} {'reload rows/s':>14}")
        for dataset in filter(None, args.datasets.split(",")):
            table = dataset.replace("-", "_")
            loads, copies, reloads = [], [], []
            rows = 0
            for _ in range(args.runs):
                db = fresh()
                t = timed([PRICEPIPE, "load", snapshot, "--to", pg.url(db), "--datasets", dataset], env, summary_has="load:")
                rows = int(pg.psql(f"SELECT count(*) FROM {table}", db=db))
                loads.append(t["wall"])
                dump = os.path.join(work, f"{table}.copy")
                pg.psql(f"\\copy {table} TO '{dump}'", db=db)
                t = timed([PRICEPIPE, "load", later, "--to", pg.url(db), "--datasets", dataset], env, summary_has="load:")
                reloads.append(t["wall"])
                # The same table: as pricepipe made it (columns, types, key), empty.
                pg.psql(f"CREATE TABLE psql_{table} (LIKE {table} INCLUDING ALL)", db=db)
                start = time.monotonic()
                pg.psql(f"\\copy psql_{table} FROM '{dump}'", db=db)
                copies.append(time.monotonic() - start)
            load_rate = rows / statistics.median(loads)
            copy_rate = rows / statistics.median(copies)
            print(f"{dataset:<22} {rows:>8} {load_rate:>12,.0f} {copy_rate:>12,.0f} {load_rate / copy_rate:>6.2f} "
                  f"{rows / statistics.median(reloads):>14,.0f}")

        print()
        print(f"{'whole snapshot into':<22} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12}")
        db = fresh()
        t = timed([PRICEPIPE, "load", snapshot, "--to", pg.url(db)], env, summary_has="load:")
        print(f"{'postgresql':<22} {t['wall']:>8.2f} {t['cpu']:>8.2f} {t['rss_mb']:>12.1f}")
        if ClickHouse.missing():
            print(f"{'clickhouse':<22} skipped: {ClickHouse.missing()}")
        else:
            clickhouse = ClickHouse()
            t = timed([PRICEPIPE, "load", snapshot, "--to", clickhouse.url("bench")], env, summary_has="load:")
            print(f"{'clickhouse':<22} {t['wall']:>8.2f} {t['cpu']:>8.2f} {t['rss_mb']:>12.1f}")
        t = timed([PRICEPIPE, "load", snapshot, "--to", "sqlite://" + os.path.join(work, "prices.db")], env,
                  summary_has="load:")
        print(f"{'sqlite':<22} {t['wall']:>8.2f} {t['cpu']:>8.2f} {t['rss_mb']:>12.1f}")
        print(t["summary"])
    finally:
        if pg:
            pg.stop()
        if clickhouse:
            clickhouse.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
