#!/usr/bin/env python3
"""`select` from a warm cache, side by side with the warm `stream catalog` of
the same regions, and the lightweight commands (`--help`, `select --help`).

Starts tests/fakeaws (the shared-data world when present) on loopback, fills
a cache with one cold `stream catalog --regions all`, then runs, in turn
--runs times each, `stream catalog --regions all` and every `select` below
(stdout to /dev/null) and reports min, median and max wall, the median CPU
and peak RSS, and each select's median against the catalog's. `--help` and
`select --help` are timed the same way (--runs × 10, they are short).

    python3 bench/select_bench.py [--runs 9] [--synthetic]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalog_cache import PRICEPIPE, env_for, start_fakeaws, timed  # noqa: E402

SELECTS = {
    "graviton spot <10% by score": ["--vcpus", "4..16", "--memory", "16..", "--arch", "arm64", "--market", "spot",
                                    "--max-interruption", "10", "--sort", "score", "--top", "10"],
    "gpu memory per dollar": ["--gpus", "1..", "--sort", "price-per-gpu-memory", "--top", "10"],
    "everything, both markets": [],
}


def summarize(samples):
    walls = sorted(s["wall"] for s in samples)
    return {"min": walls[0], "median": statistics.median(walls), "max": walls[-1],
            "cpu": statistics.median(s["cpu"] for s in samples), "rss": max(s["rss_mb"] for s in samples)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--synthetic", action="store_true")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="pricepipe-select-bench-")
    cache = os.path.join(work, "cache")
    proc, url, _ = start_fakeaws(work, args.synthetic)
    env = env_for(url)
    try:
        catalog = [PRICEPIPE, "--cache-dir", cache, "stream", "catalog", "--regions", "all"]
        timed(catalog, env, summary_has="catalog:")  # cold: fills the cache
        commands = {"stream catalog (warm)": (catalog, "catalog:")}
        for name, flags in SELECTS.items():
            commands["select: " + name] = (
                [PRICEPIPE, "--cache-dir", cache, "select", "--regions", "all", "--format", "ndjson"] + flags, "select:")
        samples = {name: [] for name in commands}
        for _ in range(args.runs):  # in turn, so drift touches every command alike
            for name, (argv, summary) in commands.items():
                samples[name].append(timed(argv, env, summary_has=summary))
        helps = {"--help": [PRICEPIPE, "--help"], "select --help": [PRICEPIPE, "select", "--help"]}
        help_samples = {name: [] for name in helps}
        for _ in range(args.runs * 10):
            for name, argv in helps.items():
                help_samples[name].append(timed(argv, env))

        base = summarize(samples["stream catalog (warm)"])["median"]
        print(f"{'command':<38}{'min s':>8}{'median s':>10}{'max s':>8}{'cpu s':>8}{'peak MB':>9}{'vs catalog':>12}")
        for name, runs in samples.items():
            s = summarize(runs)
            print(f"{name:<38}{s['min']:>8.3f}{s['median']:>10.3f}{s['max']:>8.3f}{s['cpu']:>8.3f}{s['rss']:>9.0f}"
                  f"{s['median'] / base:>11.2f}x")
        print(f"{'command':<38}{'min ms':>8}{'median ms':>10}{'max ms':>8}{'cpu ms':>8}{'peak MB':>9}")
        for name, runs in help_samples.items():
            s = summarize(runs)
            print(f"{name:<38}{s['min'] * 1e3:>8.2f}{s['median'] * 1e3:>10.2f}{s['max'] * 1e3:>8.2f}{s['cpu'] * 1e3:>8.2f}"
                  f"{s['rss']:>9.0f}")
        for name in samples:
            if name.startswith("select") and samples[name][-1]["summary"].find("(100% cached") < 0:
                sys.exit(f"{name}: a warm select went to the network: {samples[name][-1]['summary']}")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
