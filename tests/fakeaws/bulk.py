"""The bulk Price List: the offers index, the EC2 and Savings Plans region
indexes, and their per-region files, public and unsigned as on
pricing.us-east-1.amazonaws.com. Files are generated on request (the same
bytes every time) and served with Range support."""

import json

import pricing

EC2_REGION_INDEX = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"
SAVINGS_PLANS_REGION_INDEX = "/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/current/region_index.json"


class BulkPriceList:
    def __init__(self, price_world, prerender=False):
        self.prices = price_world
        self.cache = {}  # path → bytes, the most recent few; every file when prerendered
        self.keep_all = prerender
        if prerender:
            for path in self.paths():
                self.cache[path] = self._build(path)

    def paths(self):
        """Every document this price list serves."""
        files = [f(r) for r in self.regions() for f in (self.ec2_file, self.savings_plans_file)]
        return ["/offers/v1.0/aws/index.json", EC2_REGION_INDEX, SAVINGS_PLANS_REGION_INDEX, *files]

    def regions(self):
        return [r.name for r in self.prices.world.regions.values()]

    def ec2_file(self, region):
        return f"/offers/v1.0/aws/AmazonEC2/{pricing.VERSION}/{region}/index.json"

    def savings_plans_file(self, region):
        return f"/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/{pricing.VERSION}/{region}/index.json"

    def document(self, path):
        """The bytes at `path`, or None when there is no such document."""
        if path in self.cache:
            return self.cache[path]
        data = self._build(path)
        if data is not None:
            if len(self.cache) >= 4 and not self.keep_all:
                self.cache.pop(next(iter(self.cache)))
            self.cache[path] = data
        return data

    def _build(self, path):
        if path == "/offers/v1.0/aws/index.json":
            return json.dumps({
                "formatVersion": "v1.0", "disclaimer": "demo data", "publicationDate": pricing.PUBLICATION_DATE,
                "offers": {"AmazonEC2": {
                    "offerCode": "AmazonEC2",
                    "versionIndexUrl": "/offers/v1.0/aws/AmazonEC2/index.json",
                    "currentVersionUrl": "/offers/v1.0/aws/AmazonEC2/current/index.json",
                    "currentRegionIndexUrl": EC2_REGION_INDEX,
                    "savingsPlanVersionIndexUrl": "/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/index.json",
                    "currentSavingsPlanIndexUrl": SAVINGS_PLANS_REGION_INDEX}},
            }, indent=2).encode()
        if path == EC2_REGION_INDEX:
            return json.dumps({
                "formatVersion": "v1.0", "disclaimer": "demo data", "publicationDate": pricing.PUBLICATION_DATE,
                "regions": {r: {"regionCode": r, "currentVersionUrl": self.ec2_file(r)} for r in self.regions()},
            }, indent=2).encode()
        if path == SAVINGS_PLANS_REGION_INDEX:
            return json.dumps({
                "disclaimer": "demo data", "publicationDate": pricing.PUBLICATION_DATE,
                "regions": [{"regionCode": r, "versionUrl": self.savings_plans_file(r)} for r in self.regions()],
            }, indent=2).encode()
        for r in self.regions():
            if path == self.ec2_file(r):
                return pricing.render(pricing.write_ec2_offer, [r], self.prices)
            if path == self.savings_plans_file(r):
                return pricing.render(pricing.write_savings_plans_offer, r, self.prices)
        return None
