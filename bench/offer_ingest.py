#!/usr/bin/env python3
"""Offer-file ingest, side by side: pricepipe against jq and Python's json.

Each tool turns the same generated EC2 offer file into on-demand price
records joined with their products (region, instance type, operating
system, tenancy, SKU, price); the outputs must agree (same records, same
prices) before any figure is reported. Wall time and peak RSS come from GNU
time; pricepipe is timed writing to /dev/null and checked on a second run,
jq and Python are timed writing their output to a file. pricepipe also reads the file over
loopback HTTP from a local static server.

    python3 bench/offer_ingest.py [--sizes 1G,5G] [--dir /tmp/pricepipe-bench] [--skip-peers-above 2G]

The files are generated once (tests/fakeaws/offer_generator.py) and kept.
jq and Python load the whole document, so they are only run on files that
fit in this machine's memory (--skip-peers-above).
"""

import argparse
import http.server
import json
import os
import socketserver
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))

JQ_PROGRAM = r'''
.products as $p
| .terms.OnDemand | to_entries[] | .key as $sku | .value[] | .priceDimensions[]
| select(.unit == "Hrs")
| $p[$sku] as $product
| select($product.productFamily == "Compute Instance")
| [$product.attributes.regionCode, $product.attributes.instanceType, $product.attributes.operatingSystem,
   $product.attributes.tenancy, $sku, (.pricePerUnit.USD | tonumber)] | @tsv
'''

PYTHON_PROGRAM = r'''
import json, sys
with open(sys.argv[1]) as f:
    doc = json.load(f)
products = doc["products"]
out = sys.stdout
for sku, terms in doc["terms"]["OnDemand"].items():
    product = products.get(sku)
    if not product or product["productFamily"] != "Compute Instance":
        continue
    a = product["attributes"]
    for term in terms.values():
        for d in term["priceDimensions"].values():
            if d["unit"] == "Hrs":
                out.write(f'{a["regionCode"]}\t{a["instanceType"]}\t{a["operatingSystem"]}\t{a["tenancy"]}\t{sku}\t{float(d["pricePerUnit"]["USD"])}\n')
'''


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def timed(argv, out_path, env=None):
    """(wall seconds, peak RSS MiB) of a command writing stdout to out_path."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t, open(out_path, "w") as out:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name, *argv], stdout=out, check=True,
                       env=env or os.environ)
        wall, rss_kib = t.read().split()[-2:]
    return float(wall), int(rss_kib) / 1024


def digest(path, pricepipe_ndjson):
    """(records, sum of prices, checksum of (sku, price)) of an output."""
    count, total, checksum = 0, 0.0, 0
    with open(path) as f:
        for line in f:
            if pricepipe_ndjson:
                r = json.loads(line)
                sku, price = r["sku"], r["price_per_hour"]
            else:
                fields = line.rstrip("\n").split("\t")
                sku, price = fields[4], float(fields[5])
            count += 1
            total += price
            checksum ^= hash((sku, round(price, 10)))
    return count, round(total, 6), checksum


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def copyfile(self, source, outputfile):
        # sendfile: the server must not be the bottleneck of the comparison.
        self.connection.sendfile(source)


def serve(directory):
    handler = lambda *a, **k: Quiet(*a, directory=directory, **k)  # noqa: E731
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1G,5G")
    p.add_argument("--dir", default=os.environ.get("PRICEPIPE_BENCH_DIR", "/tmp/pricepipe-bench"))
    p.add_argument("--skip-peers-above", default="2G")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    server = serve(args.dir)
    port = server.server_address[1]
    rows = []
    for size in args.sizes.split(","):
        path = os.path.join(args.dir, f"offer-{size}.json")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fakeaws", "offer_generator.py"),
                            "--size", size, "--out", path], check=True)
        mib = os.path.getsize(path) / (1 << 20)
        out = os.path.join(args.dir, "out")
        # Every tool reads from the page cache, so the figures measure the
        # software rather than the disk.
        with open(path, "rb") as f:
            while f.read(64 << 20):
                pass
        runs = [
            ("pricepipe (file)", [PRICEPIPE, "-q", "stream", "on-demand-prices", "--offer-file", path], True),
            # --no-cache: the download itself, not a write of the file into the cache.
            ("pricepipe (loopback HTTP)", [PRICEPIPE, "-q", "--no-cache", "stream", "on-demand-prices", "--price-source",
                                           "bulk", "--regions", "all", "--price-list-url", f"http://127.0.0.1:{port}"], True),
            ("jq 1.6", ["jq", "-r", JQ_PROGRAM, path], False),
            ("python3 json", [sys.executable, "-c", PYTHON_PROGRAM, path], False),
        ]
        reference = None
        for name, argv, ndjson in runs:
            if name.startswith("pricepipe (loopback"):
                # A one-region price list whose region file is this offer file.
                index_dir = os.path.join(args.dir, "offers", "v1.0", "aws")
                os.makedirs(os.path.join(index_dir, "AmazonEC2", "current"), exist_ok=True)
                with open(os.path.join(index_dir, "index.json"), "w") as f:
                    json.dump({"offers": {"AmazonEC2": {"currentRegionIndexUrl": "/offers/v1.0/aws/AmazonEC2/current/region_index.json"}}}, f)
                with open(os.path.join(index_dir, "AmazonEC2", "current", "region_index.json"), "w") as f:
                    json.dump({"regions": {"all": {"currentVersionUrl": "/" + os.path.basename(path)}}}, f)
            if not ndjson and os.path.getsize(path) > parse_size(args.skip_peers_above):
                rows.append((size, mib, name, None, None, "not run: loads the whole file into memory"))
                continue
            if ndjson:
                # Timed writing to /dev/null as the target states; a second run is checked.
                wall, rss = timed(argv, os.devnull)
                timed(argv, out)
            else:
                wall, rss = timed(argv, out)
            d = digest(out, ndjson)
            if reference is None:
                reference = d
            agree = "yes" if d == reference else f"NO ({d[0]} records vs {reference[0]})"
            rows.append((size, mib, name, wall, rss, f"{d[0]:,} records; agree: {agree}"))
            print(f"{size} {name}: {wall:.2f} s, {mib / wall:.0f} MiB/s, peak RSS {rss:.0f} MiB, {d[0]:,} records, agree: {agree}",
                  file=sys.stderr, flush=True)
    server.shutdown()

    print("| file | tool | wall | throughput | peak RSS | vs pricepipe (file) | output |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    base = {}
    for size, mib, name, wall, rss, note in rows:
        if wall is None:
            print(f"| {size} ({mib:,.0f} MiB) | {name} | – | – | – | – | {note} |")
            continue
        if name == "pricepipe (file)":
            base[size] = wall
        ratio = f"{wall / base[size]:.1f}× slower" if name != "pricepipe (file)" and size in base else "1×"
        print(f"| {size} ({mib:,.0f} MiB) | {name} | {wall:.2f} s | {mib / wall / 1024:.2f} GiB/s | {rss:,.0f} MiB | {ratio} | {note} |")


if __name__ == "__main__":
    main()
