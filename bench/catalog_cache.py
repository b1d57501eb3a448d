#!/usr/bin/env python3
"""The all-regions catalog, cold and from a warm cache, side by side.

Starts tests/fakeaws (the shared-data world when present, AWS's throttling)
on loopback, runs `pricepipe stream catalog --regions all` once with an empty
cache directory (cold) and then --warm times against the filled one, and
reports wall time, CPU, peak RSS, requests fakeaws answered (its request
log) and whether the outputs are byte-identical.

    python3 bench/catalog_cache.py [--warm 3] [--synthetic] [--without-memos] [--cache-dir /tmp/pricepipe-bench-cache]

--without-memos clears the regions' memos (cache class catalog-memo) before
each warm run, so it parses and joins every cached answer again.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))


def start_fakeaws(work, synthetic, extra=()):
    """fakeaws on loopback with flags `extra`; its process, URL and request log.
    Waits until it listens (after rendering its files, with --prerender)."""
    port_file = os.path.join(work, "port")
    log = os.path.join(work, "requests.log")
    args = [sys.executable, os.path.join(ROOT, "tests", "fakeaws", "fakeaws.py"), "--port", "0", "--port-file", port_file,
            "--request-log", log]
    if synthetic:
        args.append("--synthetic")
    args += extra
    proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    for _ in range(6000):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    with open(port_file) as f:
        return proc, f"http://127.0.0.1:{f.read().strip()}", log


def env_for(url):
    """pricepipe's environment against fakeaws at `url` (nothing inherited from AWS_* or PRICEPIPE_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_"))}
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="AKIDFAKEAWS", AWS_SECRET_ACCESS_KEY="fakeaws-secret-key",
               AWS_EC2_METADATA_DISABLED="true", PRICEPIPE_PRICE_LIST_URL=url,
               PRICEPIPE_SPOT_ADVISOR_URL=url + "/spot-advisor-data.json")
    return env


def timed(argv, env, stdout=subprocess.DEVNULL, summary_has=""):
    """Wall, CPU and peak RSS of a command, and the last stderr line containing `summary_has`."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err[-3000:]}")
    summary = ([line for line in err.strip().splitlines() if summary_has in line] or [""])[-1]
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024, "summary": summary}


def run(url, cache_dir, out_path):
    with open(out_path, "wb") as out:
        return timed([PRICEPIPE, "--cache-dir", cache_dir, "stream", "catalog", "--regions", "all"], env_for(url),
                     stdout=out, summary_has="catalog:")


def count_requests(log):
    with open(log) as f:
        return sum(1 for _ in f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--warm", type=int, default=3)
    p.add_argument("--synthetic", action="store_true")
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "pricepipe-bench-cache"))
    p.add_argument("--without-memos", action="store_true")
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="pricepipe-catalog-bench-")
    proc, url, log = start_fakeaws(work, args.synthetic)
    try:
        shutil.rmtree(args.cache_dir, ignore_errors=True)
        cold = run(url, args.cache_dir, os.path.join(work, "cold.ndjson"))
        cold["requests"] = count_requests(log)
        rows = []
        for i in range(args.warm):
            if args.without_memos:
                subprocess.run([PRICEPIPE, "--cache-dir", args.cache_dir, "cache", "clear", "--dataset", "catalog-memo"],
                               check=True, stderr=subprocess.DEVNULL)
            before = count_requests(log)
            warm = run(url, args.cache_dir, os.path.join(work, f"warm{i}.ndjson"))
            warm["requests"] = count_requests(log) - before
            with open(os.path.join(work, "cold.ndjson"), "rb") as a, open(os.path.join(work, f"warm{i}.ndjson"), "rb") as b:
                warm["identical"] = a.read() == b.read()
            rows.append(warm)
        print(f"{'run':<8}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}{'requests':>10}  identical")
        print(f"{'cold':<8}{cold['wall']:>8.2f}{cold['cpu']:>8.2f}{cold['rss_mb']:>9.0f}{cold['requests']:>10}  -")
        for i, w in enumerate(rows):
            print(f"{'warm ' + str(i + 1):<8}{w['wall']:>8.2f}{w['cpu']:>8.2f}{w['rss_mb']:>9.0f}{w['requests']:>10}  {w['identical']}")
        best = min(w["wall"] for w in rows)
        print(f"cold / best warm: {cold['wall'] / best:.1f}x")
        print("cold: " + cold["summary"])
        print("warm: " + rows[-1]["summary"])
        if not all(w["identical"] and w["requests"] == 0 for w in rows):
            sys.exit("a warm run went to the network or changed the output")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
