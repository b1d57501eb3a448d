#!/usr/bin/env python3
"""Writes an EC2 offer file of (about) any size, for tests and benchmarks.

The file has the real layout and the fakeaws world's products and prices;
past the world's own regions it adds made-up regions (xx-gen-1, xx-gen-2 …)
whose products copy a real region's with their own SKUs, so every SKU is
unique however large the file.

    python3 tests/fakeaws/offer_generator.py --size 1G --out /tmp/offer-1g.json
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pricing  # noqa: E402
import world as world_module  # noqa: E402


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", required=True, help="target size, e.g. 1G or 500M")
    p.add_argument("--out", required=True)
    p.add_argument("--data-dir", help="public AWS data (default: $PRICEPIPE_AWS_DATA or ../shared/data/aws)")
    args = p.parse_args(argv)

    world = world_module.load(args.data_dir)
    prices = pricing.PriceWorld(world, args.data_dir or world_module.default_data_dir())
    real = [r.name for r in world.regions.values() if prices.products(r.name)]
    per_region = {r: len(pricing.render(pricing.write_ec2_offer, [r], prices)) for r in real[:3]}
    average = sum(per_region.values()) / len(per_region)
    target = parse_size(args.size)
    count = max(1, round(target / average))

    regions = []
    made_up = {}
    for i in range(count):
        if i < len(real):
            regions.append(real[i])
        else:
            name = f"xx-gen-{i - len(real) + 1}"
            made_up[name] = real[i % len(real)]
            regions.append(name)

    def products_of(region):
        if region not in made_up:
            return prices.products(region)
        base = made_up[region]
        return [pricing.Product(region, f"{prices.location(base)} {region}", p.instance_type, p.os, p.tenancy,
                                p.usage_type.split("-", 1)[1].split(":")[0], p.operation, p.hourly, p.ri1y,
                                world.instance_types[p.instance_type])
                for p in prices.products(base)]

    written = 0
    with open(args.out, "w", buffering=8 << 20) as f:
        def out(text):
            nonlocal written
            written += len(text)
            f.write(text)
        pricing.write_ec2_offer(out, regions, prices, products_of)
    print(f"offer_generator: {written / (1 << 20):.0f} MiB, {len(regions)} regions → {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
