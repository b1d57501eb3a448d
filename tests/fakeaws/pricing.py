"""Prices for fakeaws: the Pricing API (GetProducts) and the bulk Price List.

Prices are anchored on the real us-east-1 prices in
../shared/data/aws/us-east-1-prices.txt (Linux, Windows, RHEL, SLES on-demand
and a 1-year all-upfront reservation) and scaled by a fixed factor per
region. Types without a real price get none: a missing price stays missing.
In the synthetic world prices follow vCPUs and memory instead.

The same products and terms are written as GetProducts PriceList items
(compact JSON strings) and as offer files (AWS's pretty-printed layout), so
the two sources agree by construction — which is what pricepipe's
API-versus-bulk test checks from the outside.
"""

import hashlib
import json
import os
import re

PUBLICATION_DATE = "2026-11-01T00:00:00Z"
VERSION = "20261101000000"
EFFECTIVE_DATE = "2026-10-01T00:00:00Z"
ON_DEMAND_TERM = "JRTCKXETXF"
HOURLY_RATE = "6YS6EN2CT7"
UPFRONT_RATE = "2TG2D8R56U"

# Price List label, usage-type kind, operation, price column.
OPERATING_SYSTEMS = [
    ("Linux", "RunInstances", "linux"),
    ("Windows", "RunInstances:0002", "windows"),
    ("RHEL", "RunInstances:0010", "rhel"),
    ("SUSE", "RunInstances:000g", "sles"),
]
TENANCIES = [("Shared", "BoxUsage", 1.0), ("Dedicated", "DedicatedUsage", 1.1)]

# (lease, purchase option, offering class, share of the term paid upfront,
#  effective hourly relative to the 1-year all-upfront standard rate).
RESERVATIONS = [
    ("1yr", "No Upfront", "standard", 0.0, 1.08),
    ("1yr", "Partial Upfront", "standard", 0.5, 1.03),
    ("1yr", "All Upfront", "standard", 1.0, 1.00),
    ("3yr", "No Upfront", "standard", 0.0, 0.74),
    ("3yr", "Partial Upfront", "standard", 0.5, 0.68),
    ("3yr", "All Upfront", "standard", 1.0, 0.64),
]

# (product family, term years, purchase option, discount off on-demand)
SAVINGS_PLANS = [
    ("ComputeSavingsPlans", 1, "No Upfront", 0.28), ("ComputeSavingsPlans", 1, "Partial Upfront", 0.30),
    ("ComputeSavingsPlans", 1, "All Upfront", 0.32), ("ComputeSavingsPlans", 3, "No Upfront", 0.48),
    ("ComputeSavingsPlans", 3, "Partial Upfront", 0.50), ("ComputeSavingsPlans", 3, "All Upfront", 0.52),
    ("EC2InstanceSavingsPlans", 1, "No Upfront", 0.36), ("EC2InstanceSavingsPlans", 1, "All Upfront", 0.40),
    ("EC2InstanceSavingsPlans", 3, "No Upfront", 0.58), ("EC2InstanceSavingsPlans", 3, "All Upfront", 0.62),
]

_REGION_PREFIX = {
    "us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2", "eu-west-1": "EUW1",
    "eu-west-2": "EUW2", "eu-west-3": "EUW3", "eu-central-1": "EUC1", "eu-north-1": "EUN1", "ap-northeast-1": "APN1",
    "ap-northeast-2": "APN2", "ap-northeast-3": "APN3", "ap-southeast-1": "APS1", "ap-southeast-2": "APS2",
    "ap-south-1": "APS3", "sa-east-1": "SAE1", "ca-central-1": "CAN1",
}


def usage_prefix(region):
    """AWS's usage-type region prefix (USE1-…); made up for regions it does not list here."""
    if region in _REGION_PREFIX:
        return _REGION_PREFIX[region]
    parts = region.split("-")
    return (parts[0][:2] + "".join(p[0] for p in parts[1:-1]) + parts[-1]).upper()


def sku(*parts):
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def region_factor(region):
    if region == "us-east-1":
        return 1.0
    h = int(hashlib.sha256(region.encode()).hexdigest()[:8], 16)
    return round(1.02 + (h % 34) / 100, 2)  # 1.02 … 1.35


def money(x):
    return f"{x:.10f}"


def load_base_prices(data_dir):
    """type → {linux, windows, rhel, sles, ri1y}: real us-east-1 prices (0 or absent = no price)."""
    path = os.path.join(data_dir, "us-east-1-prices.txt")
    prices = {}
    if not os.path.exists(path):
        return prices
    with open(path) as f:
        for line in f:
            fields = dict(re.findall(r"([^:,\t]+):\s*([^,\t]*)", line))
            name = fields.get("Instance type", "").strip()
            if not name:
                continue
            def num(key):
                try:
                    return float(fields.get(key, "0").strip() or 0)
                except ValueError:
                    return 0.0
            prices[name] = {
                "linux": num("Linux OD cost in us-east-1"),
                "windows": num("Windows OD cost in us-east-1"),
                "rhel": num("RHEL OD cost in us-east-1"),
                "sles": num("SLES OD cost in us-east-1"),
                "ri1y": num("Linux Standard RI 1y AllUpfront cost in us-east-1"),
            }
    return prices


def synthetic_base_prices(instance_types):
    prices = {}
    for name, t in instance_types.items():
        vcpus = t.get("VCpuInfo", {}).get("DefaultVCpus", 1)
        gib = t.get("MemoryInfo", {}).get("SizeInMiB", 1024) / 1024
        linux = round(0.0236 * vcpus + 0.0047 * gib + (0.9 if "GpuInfo" in t else 0), 4)
        arm = "arm64" in t.get("ProcessorInfo", {}).get("SupportedArchitectures", [])
        prices[name] = {"linux": linux, "windows": 0 if arm else round(linux + 0.046 * vcpus, 4),
                        "rhel": round(linux + 0.06, 4), "sles": round(linux + 0.05, 4), "ri1y": round(linux * 0.62, 6)}
    return prices


class Product:
    __slots__ = ("sku", "region", "location", "instance_type", "os", "tenancy", "usage_type", "operation",
                 "hourly", "ri1y", "attributes")

    def __init__(self, region, location, instance_type, os_label, tenancy, usage_kind, operation, hourly, ri1y, info):
        self.region = region
        self.location = location
        self.instance_type = instance_type
        self.os = os_label
        self.tenancy = tenancy
        self.usage_type = f"{usage_prefix(region)}-{usage_kind}:{instance_type}"
        self.operation = operation
        self.hourly = hourly
        self.ri1y = ri1y
        self.sku = sku(region, instance_type, os_label, tenancy)
        vcpus = info.get("VCpuInfo", {}).get("DefaultVCpus", 0)
        mib = info.get("MemoryInfo", {}).get("SizeInMiB", 0)
        self.attributes = {
            "servicecode": "AmazonEC2",
            "location": location,
            "locationType": "AWS Region",
            "instanceType": instance_type,
            "currentGeneration": "Yes" if info.get("CurrentGeneration") else "No",
            "instanceFamily": "General purpose",
            "vcpu": str(vcpus),
            "memory": f"{mib / 1024:g} GiB",
            "networkPerformance": info.get("NetworkInfo", {}).get("NetworkPerformance", "Moderate"),
            "processorArchitecture": "64-bit",
            "tenancy": tenancy,
            "operatingSystem": os_label,
            "licenseModel": "No License required",
            "usagetype": self.usage_type,
            "operation": operation,
            "capacitystatus": "Used",
            "regionCode": region,
            "servicename": "Amazon Elastic Compute Cloud",
            "preInstalledSw": "NA",
            "marketoption": "OnDemand",
        }

    # --- JSON shapes shared by GetProducts and offer files ---------------

    def product(self):
        return {"productFamily": "Compute Instance", "attributes": self.attributes, "sku": self.sku}

    def on_demand(self):
        code = f"{self.sku}.{ON_DEMAND_TERM}"
        return {code: {
            "priceDimensions": {f"{code}.{HOURLY_RATE}": {
                "unit": "Hrs", "endRange": "Inf",
                "description": f"${self.hourly:.4f} per On Demand {self.os} {self.instance_type} Instance Hour",
                "appliesTo": [], "rateCode": f"{code}.{HOURLY_RATE}", "beginRange": "0",
                "pricePerUnit": {"USD": money(self.hourly)}}},
            "sku": self.sku, "effectiveDate": EFFECTIVE_DATE, "offerTermCode": ON_DEMAND_TERM, "termAttributes": {}}}

    def reserved(self):
        if self.tenancy != "Shared" or self.ri1y <= 0:
            return {}
        terms = {}
        for lease, option, klass, upfront_share, factor in RESERVATIONS:
            years = int(lease[0])
            effective = self.ri1y * factor
            hours = 8760 * years
            upfront = effective * hours * upfront_share
            hourly = effective * (1 - upfront_share)
            term = sku(self.sku, lease, option, klass)[:10]
            code = f"{self.sku}.{term}"
            dims = {f"{code}.{HOURLY_RATE}": {
                "unit": "Hrs", "endRange": "Inf", "description": f"{option} {klass} {lease} hourly fee",
                "appliesTo": [], "rateCode": f"{code}.{HOURLY_RATE}", "beginRange": "0",
                "pricePerUnit": {"USD": money(hourly)}}}
            if upfront_share > 0:
                dims[f"{code}.{UPFRONT_RATE}"] = {
                    "unit": "Quantity", "description": "Upfront Fee", "appliesTo": [],
                    "rateCode": f"{code}.{UPFRONT_RATE}", "pricePerUnit": {"USD": f"{upfront:.0f}"}}
            terms[code] = {"priceDimensions": dims, "sku": self.sku, "effectiveDate": EFFECTIVE_DATE,
                           "offerTermCode": term,
                           "termAttributes": {"LeaseContractLength": lease, "OfferingClass": klass, "PurchaseOption": option}}
        return terms

    def price_list_item(self):
        terms = {"OnDemand": self.on_demand()}
        reserved = self.reserved()
        if reserved:
            terms["Reserved"] = reserved
        return json.dumps({"product": self.product(), "serviceCode": "AmazonEC2", "terms": terms,
                           "version": VERSION, "publicationDate": PUBLICATION_DATE}, separators=(",", ":"))


class PriceWorld:
    def __init__(self, world, data_dir):
        self.world = world
        base = load_base_prices(data_dir) if not world.source.startswith("synthetic") else {}
        self.base = base or synthetic_base_prices(world.instance_types)
        self._products = {}

    def location(self, region):
        """The Price List's location name: "EU (Ireland)" where the console says "Europe (Ireland)"."""
        r = self.world.region(region)
        return r.description.replace("Europe (", "EU (") if r else region

    def products(self, region):
        """Every priced (type, OS, tenancy) of a region, in a stable order."""
        cached = self._products.get(region)
        if cached is not None:
            return cached
        r = self.world.region(region)
        out = []
        if r is not None:
            factor = region_factor(region)
            location = self.location(region)
            for name in r.instance_types:
                base = self.base.get(name)
                if not base:
                    continue
                info = self.world.instance_types[name]
                for os_label, operation, column in OPERATING_SYSTEMS:
                    if base[column] <= 0:
                        continue
                    for tenancy, usage_kind, tenancy_factor in TENANCIES:
                        hourly = round(base[column] * factor * tenancy_factor, 6)
                        ri = round(base["ri1y"] * factor, 6) if os_label in ("Linux", "Windows") else 0
                        if os_label == "Windows" and ri:
                            ri = round(ri + (base["windows"] - base["linux"]) * factor, 6)
                        out.append(Product(region, location, name, os_label, tenancy, usage_kind, operation, hourly, ri, info))
        self._products[region] = out
        return out


# --- offer files -----------------------------------------------------------

def _pretty(value, indent):
    """JSON in the Price List's layout: 2-space indent, " : " between key and value."""
    text = json.dumps(value, indent=2, separators=(",", " : "))
    return text.replace("\n", "\n" + " " * indent)


def write_ec2_offer(out, regions, price_world, products_of=None):
    """Writes an EC2 offer file (one or many regions) to `out` (a callable taking str)."""
    products_of = products_of or price_world.products
    out('{\n  "formatVersion" : "v1.0",\n  "disclaimer" : "This pricing list is for informational purposes only. '
        'All prices are subject to the additional terms included in the pricing pages on http://aws.amazon.com. '
        'All Free Tier prices are also subject to the terms included at https://aws.amazon.com/free/",\n'
        f'  "offerCode" : "AmazonEC2",\n  "version" : "{VERSION}",\n  "publicationDate" : "{PUBLICATION_DATE}",\n'
        '  "products" : {\n')
    first = True
    for region in regions:
        for p in products_of(region):
            out(("" if first else ",\n") + f'    "{p.sku}" : ' + _pretty(p.product(), 4))
            first = False
    out('\n  },\n  "terms" : {\n    "OnDemand" : {\n')
    first = True
    for region in regions:
        for p in products_of(region):
            out(("" if first else ",\n") + f'      "{p.sku}" : ' + _pretty(p.on_demand(), 6))
            first = False
    out('\n    },\n    "Reserved" : {\n')
    first = True
    for region in regions:
        for p in products_of(region):
            reserved = p.reserved()
            if reserved:
                out(("" if first else ",\n") + f'      "{p.sku}" : ' + _pretty(reserved, 6))
                first = False
    out('\n    }\n  }\n}\n')


def savings_plan_products(region):
    """(plan sku, product family, years, purchase option, discount, family or None)."""
    return [(sku(region, family, str(years), option), family, years, option, discount)
            for family, years, option, discount in SAVINGS_PLANS]


def write_savings_plans_offer(out, region, price_world):
    plans = savings_plan_products(region)
    families = sorted({p.instance_type.split(".")[0] for p in price_world.products(region)})
    out(f'{{\n  "version" : "{VERSION}",\n  "publicationDate" : "{PUBLICATION_DATE}",\n  "regionCode" : "{region}",\n'
        '  "products" : [ ')
    first = True
    plan_rows = []
    for plan_sku, family, years, option, discount in plans:
        targets = families if family == "EC2InstanceSavingsPlans" else [None]
        for target in targets:
            the_sku = plan_sku if target is None else sku(plan_sku, target)
            attributes = {"purchaseOption": option, "granularity": "hourly", "purchaseTerm": f"{years}yr",
                          "locationType": "AWS Region", "location": "Any" if target is None else price_world.location(region)}
            if target is not None:
                attributes["instanceType"] = target
            product = {"sku": the_sku, "productFamily": family, "serviceCode": "ComputeSavingsPlans",
                       "usageType": f"{family}:{years}yr{option.replace(' ', '')}", "operation": "",
                       "attributes": attributes}
            out(("" if first else ", ") + _pretty(product, 2))
            first = False
            plan_rows.append((the_sku, family, years, option, discount, target))
    out(' ],\n  "terms" : {\n    "savingsPlan" : [ ')
    first = True
    for the_sku, family, years, option, discount, target in plan_rows:
        rates = []
        for p in price_world.products(region):
            if p.tenancy != "Shared" or p.os not in ("Linux", "Windows"):
                continue
            if target is not None and p.instance_type.split(".")[0] != target:
                continue
            rates.append({"discountedSku": p.sku, "discountedUsageType": p.usage_type,
                          "discountedOperation": p.operation, "discountedServiceCode": "AmazonEC2",
                          "rateCode": f"{the_sku}.{p.sku}", "unit": "Hrs",
                          "discountedRate": {"price": f"{p.hourly * (1 - discount):.10f}", "currency": "USD"}})
        term = {"sku": the_sku, "description": f"{years} year {option} {family} in {region}",
                "effectiveDate": EFFECTIVE_DATE, "leaseContractLength": {"duration": years, "unit": "year"},
                "rates": rates}
        out(("" if first else ", ") + _pretty(term, 4))
        first = False
    out(' ]\n  }\n}\n')


def render(writer, *args):
    parts = []
    writer(parts.append, *args)
    return "".join(parts).encode()
