"""Spot data for fakeaws: the Spot Instance Advisor feed and a spot price
history consistent with it.

The advisor feed is the real one from ../shared/data/aws when present (else
one generated for the synthetic world). Spot prices hover around
on-demand × (1 − savings%) — the advisor's savings for the type, or 60% when
it has no entry — and change every six hours by a deterministic walk, so any
window of any length can be answered without storing history. Types that do
not support spot, or have no on-demand price, have no spot history.
"""

import datetime
import hashlib
import json
import os
import threading

import pricing

CHANGE_EVERY = datetime.timedelta(hours=6)
EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
# Product description → the price column its on-demand anchor comes from.
PRODUCTS = {
    "Linux/UNIX": ("linux", "Linux"), "Linux/UNIX (Amazon VPC)": ("linux", "Linux"),
    "SUSE Linux": ("sles", "Linux"), "SUSE Linux (Amazon VPC)": ("sles", "Linux"),
    "Red Hat Enterprise Linux": ("rhel", "Linux"), "Red Hat Enterprise Linux (Amazon VPC)": ("rhel", "Linux"),
    "Windows": ("windows", "Windows"), "Windows (Amazon VPC)": ("windows", "Windows"),
}


def _unit(*parts):
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def parse_time(text):
    text = text.replace("Z", "+00:00")
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def format_time(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class SpotWorld:
    def __init__(self, world, prices, data_dir):
        self._lock = threading.Lock()
        self._recent = {}
        self.world = world
        self.prices = prices
        path = os.path.join(data_dir, "spot-advisor-data.json")
        if not world.source.startswith("synthetic") and os.path.exists(path):
            with open(path, "rb") as f:
                self.advisor_bytes = f.read()
        else:
            self.advisor_bytes = json.dumps(self._synthetic_advisor()).encode()
        self.advisor = json.loads(self.advisor_bytes)

    def _synthetic_advisor(self):
        ranges = [{"index": 0, "label": "<5%", "dots": 0, "max": 5}, {"index": 1, "label": "5-10%", "dots": 1, "max": 11},
                  {"index": 2, "label": "10-15%", "dots": 2, "max": 16}, {"index": 3, "label": "15-20%", "dots": 3, "max": 22},
                  {"index": 4, "label": ">20%", "dots": 4, "max": 100}]
        advisor = {}
        for r in self.world.regions.values():
            by_os = {"Linux": {}, "Windows": {}}
            for t in r.instance_types:
                if _unit("advisor", r.name, t) < 0.15:
                    continue  # the advisor has no entry for some types
                by_os["Linux"][t] = {"s": 40 + int(_unit("s", r.name, t) * 45), "r": int(_unit("r", r.name, t) * 5)}
                by_os["Windows"][t] = {"s": 30 + int(_unit("sw", r.name, t) * 40), "r": int(_unit("rw", r.name, t) * 5)}
            advisor[r.name] = by_os
        types = {n: {"emr": False, "cores": t.get("VCpuInfo", {}).get("DefaultVCpus", 1),
                     "ram_gb": t.get("MemoryInfo", {}).get("SizeInMiB", 0) / 1024}
                 for n, t in self.world.instance_types.items()}
        return {"global_rate": "<10%", "instance_types": types, "ranges": ranges, "spot_advisor": advisor}

    def savings(self, region, os_name, instance_type):
        entry = self.advisor.get("spot_advisor", {}).get(region, {}).get(os_name, {}).get(instance_type)
        return entry["s"] if entry else 60

    def anchor(self, region, instance_type, product):
        """The on-demand price spot hovers under, or None when the type has no spot market."""
        info = self.world.instance_types.get(instance_type, {})
        if "spot" not in info.get("SupportedUsageClasses", ["spot"]):
            return None
        base = self.prices.base.get(instance_type)
        column, os_name = PRODUCTS[product]
        if not base or base[column] <= 0:
            return None
        od = base[column] * pricing.region_factor(region)
        return od * (1 - self.savings(region, os_name, instance_type) / 100)

    @staticmethod
    def bucket_start(t):
        n = (t - EPOCH) // CHANGE_EVERY
        return EPOCH + n * CHANGE_EVERY

    def price_at(self, anchor, zone, instance_type, product, bucket):
        wobble = _unit(zone, instance_type, product, bucket.isoformat()) - 0.5  # ±10%
        return round(anchor * (1 + 0.2 * wobble), 6)

    def history(self, region, types, products, start, end, zone_filter=None):
        """(timestamp, zone, type, product, price) rows, newest first, for a window.
        The last few answers are kept: a paginated chain asks for the same rows once per page."""
        key = (region, tuple(types), tuple(products), start, end, tuple(sorted(zone_filter or ())))
        with self._lock:
            if key in self._recent:
                return self._recent[key]
        rows = self._history(region, types, products, start, end, zone_filter)
        with self._lock:
            self._recent[key] = rows
            while len(self._recent) > 16:
                self._recent.pop(next(iter(self._recent)))
        return rows

    def _history(self, region, types, products, start, end, zone_filter):
        r = self.world.region(region)
        rows = []
        first = self.bucket_start(start)
        for instance_type in types:
            zones = [z for z, offered in r.offerings.items() if instance_type in offered]
            for product in products:
                anchor = self.anchor(region, instance_type, product)
                if anchor is None:
                    continue
                for zone in zones:
                    if zone_filter and zone not in zone_filter:
                        continue
                    bucket = first
                    while bucket <= end:
                        rows.append((bucket, zone, instance_type, product,
                                     self.price_at(anchor, zone, instance_type, product, bucket)))
                        bucket += CHANGE_EVERY
        rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]), reverse=True)
        return rows
