#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from fakeaws's answers.

    python3 tests/fuzz/seed.py OUT [--pricepipe BIN] [--cache-writer BIN]

Starts fakeaws (tests/fakeaws, synthetic world, so the seeds are the same on
every machine) on a free loopback port and writes OUT/<target>/<name>, each
file one input in the target's format (see the comment at the top of each
tests/fuzz/*_fuzz.cpp):

  ec2_xml_fuzz        EC2 query answers (signed with botocore), a selector byte first
  get_products_fuzz   GetProducts pages (signed), a selector byte first
  offer_file_fuzz     the EC2 and Savings Plans offer files of a region, cut down
                      to a few products and the terms that name them
  spot_advisor_fuzz   the advisor feed, cut down to a few regions and types
  aws_config_fuzz     config and credentials files (written here)
  pipeline_yaml_fuzz  pipelines/*.yaml and a few more written here
  cache_entry_fuzz    entries and blobs of a cache: a pricepipe run against
                      fakeaws with --cache-dir (when --pricepipe is given), and
                      what --cache-writer (cache_seed_writer) writes

Nothing here is committed: run.sh makes the corpora under build-fuzz/.
"""

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeaws"))

from harness import FakeAws  # noqa: E402

REGION = "eu-west-1"


class Corpus:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, name, data):
        if isinstance(data, str):
            data = data.encode()
        directory = os.path.join(self.out, target)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def get(fake, path):
    with urllib.request.urlopen(fake.url + path, timeout=120) as response:
        return response.read()


def region_types(fake):
    """The instance types fakeaws's world offers in REGION, sorted."""
    region = next(r for r in fake.world()["regions"] if r["name"] == REGION)
    return sorted(region["instance_types"])


_family_firsts = []


def FAMILY_FIRSTS(fake):
    """The first type of each real family in REGION (the synthetic world also
    makes up families such as m7iv3, which repeat their model's shape)."""
    if not _family_firsts:
        seen = set()
        for t in region_types(fake):
            family = t.split(".")[0]
            if "v" in family[2:] or family in seen:
                continue
            seen.add(family)
            _family_firsts.append(t)
    return _family_firsts


def ec2_answer(fake, region, params, sign=True):
    status, _, body = fake.signed(region, params, sign=sign)
    return status, body


def pricing_answer(fake, request):
    """A GetProducts request signed for service `pricing` in us-east-1, sent raw."""
    import http.client
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = json.dumps(request)
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSPriceListService.GetProducts"}
    signed = AWSRequest("POST", fake.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(fake.ACCESS_KEY, fake.SECRET_KEY), "pricing", "us-east-1").add_auth(signed)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=60)
    try:
        conn.request("POST", "/", body=body, headers=dict(signed.headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def seed_ec2(fake, corpus):
    # Selector: 0 regions, 1 zones, 2 instance types, 3 offerings, 4 spot, 12 spot with patterns.
    pages = [
        (0, "regions", REGION, {"Action": "DescribeRegions"}),
        (0, "regions-all", REGION, {"Action": "DescribeRegions", "AllRegions": "true"}),
        (1, "zones", REGION, {"Action": "DescribeAvailabilityZones"}),
        (2, "types-page1", REGION, {"Action": "DescribeInstanceTypes", "MaxResults": "5"}),
        (3, "offerings-zone", REGION, {"Action": "DescribeInstanceTypeOfferings", "LocationType": "availability-zone",
                                       "MaxResults": "5"}),
        (3, "offerings-region", REGION, {"Action": "DescribeInstanceTypeOfferings", "MaxResults": "5"}),
        (4, "spot", REGION, {"Action": "DescribeSpotPriceHistory", "MaxResults": "5",
                             "ProductDescription.1": "Linux/UNIX (Amazon VPC)"}),
        (2, "error-action", REGION, {"Action": "DescribeNothing"}),
        (2, "error-maxresults", REGION, {"Action": "DescribeInstanceTypes", "MaxResults": "1"}),
        (2, "error-type", REGION, {"Action": "DescribeInstanceTypes", "InstanceType.1": "zz9.nothing"}),
    ]
    # Pages of the world's most varied types (a GPU, Neuron, an FPGA, instance
    # storage, bare metal, high memory): each real family's first type.
    for i in range(0, len(FAMILY_FIRSTS(fake)), 3):
        params = {"Action": "DescribeInstanceTypes"}
        for j, t in enumerate(FAMILY_FIRSTS(fake)[i:i + 3]):
            params[f"InstanceType.{j + 1}"] = t
        pages.append((2, f"types-{params['InstanceType.1']}", REGION, params))
    pages.append((12, "spot-types", REGION, {"Action": "DescribeSpotPriceHistory", "MaxResults": "5",
                                             "InstanceType.1": FAMILY_FIRSTS(fake)[0]}))
    for selector, name, region, params in pages:
        status, body = ec2_answer(fake, region, params)
        corpus.add("ec2_xml_fuzz", name, bytes([selector]) + body)
    _, unsigned = ec2_answer(fake, REGION, {"Action": "DescribeRegions"}, sign=False)
    corpus.add("ec2_xml_fuzz", "error-unsigned", bytes([0]) + unsigned)


def seed_pricing(fake, corpus):
    def request(filters, size, token=None):
        r = {"ServiceCode": "AmazonEC2", "FormatVersion": "aws_v1", "MaxResults": size,
             "Filters": [{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters]}
        if token:
            r["NextToken"] = token
        return r

    for i, t in enumerate(FAMILY_FIRSTS(fake)[:6]):
        status, body = pricing_answer(fake, request([("regionCode", REGION), ("instanceType", t)], 3))
        for selector in (0, 1) if i % 2 == 0 else (2, 3):
            corpus.add("get_products_fuzz", f"{t}-{selector}", bytes([selector]) + body)
        page = json.loads(body)
        if page.get("NextToken"):
            _, second = pricing_answer(fake, request([("regionCode", REGION), ("instanceType", t)], 3,
                                                     page["NextToken"]))
            corpus.add("get_products_fuzz", f"{t}-page2", bytes([i % 4]) + second)
    _, one = pricing_answer(fake, request([("regionCode", REGION), ("operatingSystem", "Windows")], 1))
    corpus.add("get_products_fuzz", "windows-1", bytes([0]) + one)
    _, empty = pricing_answer(fake, request([("regionCode", REGION), ("instanceType", "zz9.nothing")], 5))
    corpus.add("get_products_fuzz", "empty", bytes([0]) + empty)
    _, error = pricing_answer(fake, request([("regionCode", REGION)], 500))
    corpus.add("get_products_fuzz", "error", bytes([0]) + error)


def aws_style(doc):
    """JSON as the Price List writes it: two-space indent, " : " between key and value."""
    return json.dumps(doc, indent=2, separators=(",", " : ")) + "\n"


def seed_offer_files(fake, corpus):
    index = json.loads(get(fake, "/offers/v1.0/aws/AmazonEC2/current/region_index.json"))
    ec2 = json.loads(get(fake, index["regions"][REGION]["currentVersionUrl"]))
    products = list(ec2["products"].items())
    # A few products of several kinds: each instance family's first, plus what is not an instance.
    picked, families = [], set()
    for sku, product in products:
        a = product.get("attributes", {})
        kind = (product.get("productFamily"), a.get("instanceType", "").split(".")[0], a.get("operatingSystem"),
                a.get("tenancy"), a.get("capacitystatus"), a.get("preInstalledSw"))
        if kind[:2] not in families or len(picked) < 4:
            families.add(kind[:2])
            picked.append(sku)
    header = {k: v for k, v in ec2.items() if k not in ("products", "terms")}
    def terms_of(skus, per_sku):
        # A product's first few terms of each section: a reserved product has a dozen.
        return {section: {s: dict(list(terms[s].items())[:per_sku]) for s in skus if s in terms}
                for section, terms in ec2["terms"].items()}

    for n in (1, 3, 6):
        skus = picked[:n]
        doc = dict(header)
        doc["products"] = {s: ec2["products"][s] for s in skus}
        doc["terms"] = terms_of(skus, 2 if n > 1 else 12)
        text = aws_style(doc).encode()
        # Control bytes: kind/segment size/filter, then the chunk size (0: whole).
        for control in ((0, 0), (2, 1), (8, 0), (6, 3)) if n == 3 else ((0, 0), (4, 20)):
            corpus.add("offer_file_fuzz", f"ec2-{n}-{control[0]}-{control[1]}", bytes(control) + text)
    # Terms before products, as a reordered file might have them.
    doc = dict(header)
    doc["terms"] = terms_of(picked[:2], 1)
    doc["products"] = {s: ec2["products"][s] for s in picked[:2]}
    corpus.add("offer_file_fuzz", "ec2-terms-first", bytes((0, 0)) + aws_style(doc).encode())

    sp_index = json.loads(get(fake, "/savingsPlan/v1.0/aws/AWSComputeSavingsPlan/current/region_index.json"))
    url = next(r["versionUrl"] for r in sp_index["regions"] if r["regionCode"] == REGION)
    sp = json.loads(get(fake, url))
    header = {k: v for k, v in sp.items() if k not in ("products", "terms")}
    for n in (2, 5):
        plans = sp["products"][:n]
        skus = {p["sku"] for p in plans}
        terms = []
        for term in sp["terms"]["savingsPlan"]:
            if term["sku"] in skus:
                term = dict(term)
                term["rates"] = term["rates"][:3]
                terms.append(term)
        doc = dict(header)
        doc["products"] = plans
        doc["terms"] = {"savingsPlan": terms}
        for control in ((1, 0), (3, 2)):
            corpus.add("offer_file_fuzz", f"sp-{n}-{control[0]}-{control[1]}", bytes(control) + aws_style(doc).encode())


def seed_advisor(fake, corpus):
    feed = json.loads(get(fake, "/spot-advisor-data.json"))
    for regions, per_os in ((["eu-west-1"], 5), (["eu-west-1", "us-east-1", "us-west-2"], 12)):
        doc = {k: v for k, v in feed.items() if k not in ("spot_advisor", "instance_types")}
        doc["spot_advisor"] = {}
        types = set()
        for r in regions:
            if r not in feed["spot_advisor"]:
                continue
            doc["spot_advisor"][r] = {}
            for os_name, entries in feed["spot_advisor"][r].items():
                kept = dict(list(entries.items())[:per_os])
                doc["spot_advisor"][r][os_name] = kept
                types.update(kept)
        if "instance_types" in feed:
            doc["instance_types"] = {t: feed["instance_types"][t] for t in sorted(types) if t in feed["instance_types"]}
        for selector in (0, 1):
            corpus.add("spot_advisor_fuzz", f"advisor-{len(regions)}-{selector}", bytes([selector]) + json.dumps(doc).encode())


CONFIGS = {
    "default-only": ("[default]\nregion = eu-west-1\noutput = json\n", None),
    "profiles": ("# top comment\n[default]\nregion = eu-west-1\nOutput: json\n; another comment\n"
                 "[profile dev]\nregion = us-west-2   \r\nendpoint_url = http://127.0.0.1:4566 # not a comment\n"
                 "s3 =\n  max_concurrent_requests = 20\n\n  # a comment inside the block\n  addressing_style = path\n"
                 "max_attempts = 7\nservices = local\n[services local]\nec2 =\n  endpoint_url = http://127.0.0.1:5000\n"
                 "pricing =\n  endpoint_url = http://127.0.0.1:5001\n",
                 "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n"
                 "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\naws_session_token = tok\n"),
    "continuation": ("[default]\nregion = eu-west-1\ncredential_process = /usr/bin/env 'a b' \"c \\\"d\\\"\" e\\ f\n"
                     "  --more\n\tand-more\nmax_attempts = 3\n", ""),
    "quoted-profile": ("[profile \"with space\"]\nregion = ap-south-1\n[profile 'single']\nregion = us-east-1\n"
                       "[profile default]\nregion = eu-central-1\n[default]\nregion = eu-west-2\n", None),
    "duplicate-key": ("[default]\nregion = a\nregion = b\n", None),
    "duplicate-section": ("[default]\nregion = a\n[default]\nregion = b\n", None),
    "no-section": ("region = eu-west-1\n", None),
    "bad-line": ("[default]\nthis is not a setting\n", None),
    "bad-block": ("[default]\ns3 =\n  not a pair\n", None),
    "unterminated": ("[default\nregion = x\n", None),
    "bad-attempts": ("[default]\nmax_attempts = 0x10\n", "[default]\nmax_attempts = -1\n"),
    "sso": ("[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nrole_arn = arn:aws:iam::1:role/x\n"
            "web_identity_token_file = ~/token\n[sso-session corp]\nsso_start_url = https://x\n", "[sso]\nregion = x\n"),
    "crlf-and-tabs": ("[default]\r\n\tregion\t=\teu-west-1\r\n\r\n[profile p]\r\nendpoint_url=http://[::1]:5000/\r\n", "[p]\r\n"),
}

PIPELINES = {
    "advisor-and-spot": """keep_going: true
sources:
  advisor: {type: spot-advisor, regions: [eu-west-1, us-east-1], instance_types: ["m7g.*"], os: [linux]}
  spot: {type: spot-prices, regions: ${REGIONS:-eu-west-1}, instance_types: "${TYPES}", since: 24h}
transforms:
  gpus: {type: filter, inputs: [spot], where: ["instance_type ~ p*"]}
sinks:
  out: {type: stdout, inputs: [advisor, gpus]}
""",
    "prices": """sources:
  od:
    type: on-demand-prices
    regions: [eu-west-1]
    instance_types: [m7g.large, c7i.xlarge]
    os: [linux, windows]
    tenancy: [shared]
    price_source: api
  ri: {type: reserved-prices, regions: all, price_source: bulk}
  sp: {type: savings-plans-rates, regions: [us-east-1]}
sinks:
  file: {type: file, path: /tmp/pricepipe-fuzz-never-written.ndjson, inputs: [od, ri, sp]}
""",
    "types-filter": """sources:
  types: {type: instance-types, regions: [eu-west-1], include_disabled_regions: false}
  zones: {type: availability-zones, regions: all}
  offers: {type: instance-type-offerings, regions: [eu-west-1]}
  regions: {type: regions}
transforms:
  arm: {type: filter, inputs: types, where: ["architectures == arm64", "vcpus >= 2", "gpu_count >= 1"]}
  chained: {type: filter, inputs: [arm], where: []}
sinks:
  a: {type: stdout, inputs: [chained, zones, offers, regions]}
""",
    "cycle": """sources:
  s: {type: regions}
transforms:
  a: {type: filter, inputs: [b, s]}
  b: {type: filter, inputs: [a]}
sinks:
  o: {type: stdout, inputs: [b]}
""",
    "errors": """sources:
  s: {type: regions, inputs: [x]}
  dup: {type: nothing}
sinks:
  o: {type: stdout, inputs: [s, missing, s]}
  dup: {type: stdout}
""",
    "variables": """sources:
  c: {type: catalog, regions: "${REGION}", instance_types: ["$${literal}", "${UNSET:-t4g.*}"], concurrent_regions: 2}
sinks:
  o: {type: stdout, inputs: [c]}
""",
    "anchors": """defaults: &d {type: regions}
sources:
  a: *d
  b: {<<: *d}
sinks:
  o: {type: stdout, inputs: [a, b]}
""",
}


def seed_config(corpus):
    for name, (config, credentials) in CONFIGS.items():
        data = config.encode()
        if credentials is not None:
            data += b"\0" + credentials.encode()
        corpus.add("aws_config_fuzz", name, data)


def seed_pipelines(corpus):
    for path in sorted(glob.glob(os.path.join(ROOT, "pipelines", "*.yaml"))):
        with open(path, "rb") as f:
            corpus.add("pipeline_yaml_fuzz", os.path.basename(path), f.read())
    for name, text in PIPELINES.items():
        corpus.add("pipeline_yaml_fuzz", name + ".yaml", text)


def seed_records(corpus):
    """record_reader_fuzz: the golden outputs' lines, each with its dataset's selector byte."""
    golden = os.path.join(ROOT, "tests", "pipelines", "golden")
    with open(os.path.join(golden, "catalog_small_world.ndjson"), "rb") as f:
        lines = f.read().splitlines(keepends=True)
    corpus.add("record_reader_fuzz", "catalog-all", b"\x00" + b"".join(lines))
    for i, line in enumerate(lines):
        corpus.add("record_reader_fuzz", f"catalog-{i}", b"\x00" + line)
    corpus.add("record_reader_fuzz", "regions", b"\x03" + b'{"region":"eu-west-1","opt_in_status":"opt-in-not-required",'
               b'"price_list_location":"EU (Ireland)"}\n')


def cache_seeds(corpus, cache_dir, prefix, max_blob=262144):
    """Each entry of a cache directory with its blob: ENTRY NUL BLOB."""
    for entry_path in sorted(glob.glob(os.path.join(cache_dir, "v1", "entries", "*", "*"))):
        with open(entry_path, "rb") as f:
            entry = f.read()
        blob = None
        for line in entry.split(b"\n"):
            if line.startswith(b"blob "):
                name = line[5:].decode()
                path = os.path.join(cache_dir, "v1", "blobs", name[:2], name)
                if os.path.exists(path) and os.path.getsize(path) <= max_blob:
                    with open(path, "rb") as f:
                        blob = f.read()
        digest = hashlib.sha256(entry).hexdigest()[:12]
        corpus.add("cache_entry_fuzz", f"{prefix}-{digest}", entry + (b"\0" + blob if blob is not None else b""))


def seed_cache(fake, corpus, pricepipe, writer):
    with tempfile.TemporaryDirectory(prefix="pricepipe-fuzz-cache-") as tmp:
        if writer:
            subprocess.run([writer, os.path.join(tmp, "written")], check=True)
            cache_seeds(corpus, os.path.join(tmp, "written"), "writer")
        if pricepipe:
            env = dict(os.environ)
            env.update({"AWS_ACCESS_KEY_ID": fake.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": fake.SECRET_KEY,
                        "AWS_ENDPOINT_URL": fake.url, "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_CONFIG_FILE": "/nonexistent/pricepipe-fuzz-config",
                        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/pricepipe-fuzz-credentials",
                        "PRICEPIPE_PRICE_LIST_URL": fake.url,
                        "PRICEPIPE_SPOT_ADVISOR_URL": fake.url + "/spot-advisor-data.json"})
            env.pop("PRICEPIPE_NO_CACHE", None)
            cache = os.path.join(tmp, "run")
            for args in (["regions"], ["availability-zones", "--regions", REGION],
                         ["instance-types", "--regions", REGION, "--instance-types", "t4g.*"],
                         ["instance-type-offerings", "--regions", REGION],
                         ["spot-prices", "--regions", REGION, "--instance-types", "m7g.large"],
                         ["spot-advisor", "--regions", REGION],
                         ["on-demand-prices", "--regions", REGION, "--instance-types", "t4g.micro", "--price-source", "api"],
                         ["on-demand-prices", "--regions", REGION, "--instance-types", "t4g.micro"]):
                run = subprocess.run([pricepipe, "--cache-dir", cache, "stream", *args], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
                if run.returncode != 0:
                    raise SystemExit(f"seed.py: pricepipe stream {' '.join(args)} failed ({run.returncode}): "
                                     f"{run.stderr.decode(errors='replace')[-2000:]}")
            cache_seeds(corpus, cache, "run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--pricepipe", help="a pricepipe binary, for cache entries of a real run")
    parser.add_argument("--cache-writer", help="cache_seed_writer, for entries the production writer makes")
    args = parser.parse_args()
    corpus = Corpus(args.out)
    seed_config(corpus)
    seed_pipelines(corpus)
    seed_records(corpus)
    with FakeAws("--synthetic", "--synthetic-regions", "3", "--throttle-burst", "1000", "--throttle-rate", "1000",
                 "--pricing-throttle-burst", "1000", "--pricing-throttle-rate", "1000") as fake:
        seed_ec2(fake, corpus)
        seed_pricing(fake, corpus)
        seed_offer_files(fake, corpus)
        seed_advisor(fake, corpus)
        seed_cache(fake, corpus, args.pricepipe, args.cache_writer)
    for target, n in sorted(corpus.counts.items()):
        print(f"seed.py: {target}: {n} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
