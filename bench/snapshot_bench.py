#!/usr/bin/env python3
"""A snapshot of every dataset of every region: cold, warm, and against the
slowest single dataset.

Starts tests/fakeaws (the shared-data world when present) on loopback and
runs, each in a fresh cache directory unless it says warm:

  cold       pricepipe snapshot --out DIR (every dataset, every region)
  warm N     the same against the filled cache (--warm times)
  streams    pricepipe stream DATASET --regions all, for each dataset, cold

and reports wall, CPU and peak RSS of each, the snapshot's NDJSON and stored
bytes (from its manifest), the warm runs' NDJSON per second of wall, the
cold snapshot against the slowest cold stream (the issue's bound: 1.2x), and
whether every warm snapshot's parts are byte-identical to the cold one's.

fakeaws answers as AWS does, with a delay (--latency-ms, 100 by default, as
the crawl benchmark's replay server; AWS answers in tens to hundreds of
milliseconds) and its offer files ready, rendered before the runs and served
from memory as a CDN serves AWS's. With --on-request, fakeaws generates each
offer file in Python when it is asked for, on the same two cores as
pricepipe: the cold runs then measure that server more than pricepipe. With
--latency-ms 0 they measure pricepipe's CPU alone.

    python3 bench/snapshot_bench.py [--warm 3] [--synthetic] [--skip-streams] [--flags='--max-pages-in-flight 64']
                                    [--latency-ms 100] [--on-request]
"""

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from catalog_cache import env_for, start_fakeaws, timed  # noqa: E402


def parts(snapshot):
    with open(os.path.join(snapshot, "manifest.json")) as f:
        m = json.load(f)
    return m, {p["path"]: p["sha256"] for p in m["parts"]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warm", type=int, default=3)
    p.add_argument("--synthetic", action="store_true")
    p.add_argument("--skip-streams", action="store_true")
    p.add_argument("--flags", default="", help="global flags for the snapshot runs: --flags='--max-pages-in-flight 64'")
    p.add_argument("--latency-ms", type=int, default=100, help="fakeaws's delay before every answer")
    p.add_argument("--on-request", action="store_true", help="fakeaws generates each offer file when asked for it")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="pricepipe-snapshot-bench-")
    server = ([] if args.on_request else ["--prerender"]) + ["--latency-ms", str(args.latency_ms)]
    proc, url, _ = start_fakeaws(work, args.synthetic, server)
    env = env_for(url)
    try:
        cache = os.path.join(work, "cache")
        out = os.path.join(work, "snapshots")
        # One id for all, each run in its own directory: the same answers must give the same parts.
        def snapshot(name):
            return timed([PRICEPIPE, "--cache-dir", cache, *shlex.split(args.flags), "snapshot", "--out", os.path.join(out, name),
                          "--id", "bench"], env)

        rows = [("cold", snapshot("cold"))]
        manifest, cold_parts = parts(os.path.join(out, "cold", "bench"))
        ndjson = sum(p["ndjson_bytes"] for p in manifest["parts"])
        stored = sum(p["bytes"] for p in manifest["parts"])
        rows_total = sum(p["rows"] for p in manifest["parts"])
        identical = True
        for i in range(args.warm):
            rows.append((f"warm {i + 1}", snapshot(f"warm{i}")))
            identical = identical and parts(os.path.join(out, f"warm{i}", "bench"))[1] == cold_parts
            shutil.rmtree(os.path.join(out, f"warm{i}"), ignore_errors=True)
        streams = []
        if not args.skip_streams:
            # The datasets the snapshot wrote, each alone.
            for d in dict.fromkeys(p["dataset"] for p in manifest["parts"]):
                fresh = os.path.join(work, "cache-" + d)
                argv = [PRICEPIPE, "--cache-dir", fresh, "stream", d] + ([] if d == "regions" else ["--regions", "all"])
                streams.append((d, timed(argv, env)))
                shutil.rmtree(fresh, ignore_errors=True)

        print(f"snapshot: {rows_total:,} rows, {ndjson / 1e6:.1f} MB of NDJSON, {stored / 1e6:.1f} MB stored "
              f"({ndjson / max(1, stored):.1f}x), {len(manifest['parts'])} parts")
        print(f"{'run':<26}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'NDJSON MB/s':>13}")
        for name, r in rows:
            print(f"{name:<26}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['rss_mb']:>9.0f}{ndjson / 1e6 / r['wall']:>13.0f}")
        for name, r in streams:
            print(f"{'stream ' + name:<26}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['rss_mb']:>9.0f}")
        if streams:
            slowest = max(streams, key=lambda s: s[1]["wall"])
            print(f"cold snapshot / slowest cold stream ({slowest[0]}): {rows[0][1]['wall'] / slowest[1]['wall']:.2f}")
        print(f"warm parts identical to the cold ones: {identical}")
        print("cold: " + rows[0][1]["summary"])
        print("warm: " + rows[-1][1]["summary"])
        if not identical:
            sys.exit("a warm snapshot's parts differ from the cold one's")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
