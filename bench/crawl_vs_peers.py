#!/usr/bin/env python3
"""An EC2 crawl side by side with boto3 and the AWS CLI, against the bound.

The job: instance types, instance type offerings (by zone) and one day of
Linux spot price history for every enabled region of the fakeaws world.

A replay server answers it, so that the server is never the bottleneck:
each client's requests are first recorded from tests/fakeaws (one pass per
client, not timed), then replayed from memory with AWS's behaviour — a
token bucket per region (burst 100, refill 20 per second, EC2's
RequestLimitExceeded past it) and 100 ms before every answer. Then each
client runs the job --repeat times:

  pricepipe  one pipeline file with the three datasets (`pricepipe run`)
  boto3      threaded paginators, a thread per (region, operation), the
             adaptive retry mode (what the SDK offers against throttling)
  aws-cli    `aws ec2 describe-…` per region and operation, --cli-jobs at once

It checks that the three agree on every record (region, type, zone, spot
timestamp and price), and reports wall time, CPU (user + system of the
client's processes), requests and throttled answers, and pricepipe's wall
time against the bound the server allows: per region, the longer of its
longest chain of dependent pages (100 ms each, after DescribeRegions) and
what its bucket lets through ((requests − 100) / 20 s, plus one answer);
the crawl's bound is the slowest region's.

    python3 bench/crawl_vs_peers.py [--repeat 3] [--latency-ms 100] [--cli-jobs 8] [--clients pricepipe,boto3,aws-cli]
"""

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import http.client
import http.server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeaws"))
from fakeaws import TokenBucket  # noqa: E402  (the same bucket fakeaws throttles with)
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
ACCESS_KEY, SECRET_KEY = "AKIDFAKEAWS", "fakeaws-secret-key"
LINUX = "Linux/UNIX (Amazon VPC)"
# Parameters that follow the clock: the recorded answer stands for any value.
CLOCK_PARAMS = {"StartTime", "EndTime"}

PIPELINE = """\
sources:
  types: {type: instance-types, regions: all}
  offerings: {type: instance-type-offerings, regions: all}
  spot: {type: spot-prices, regions: all, since: 1d}
sinks:
  types_file: {type: file, inputs: [types], path: %(out)s/instance-types.ndjson}
  offerings_file: {type: file, inputs: [offerings], path: %(out)s/offerings.ndjson}
  spot_file: {type: file, inputs: [spot], path: %(out)s/spot.ndjson}
"""


# ---------------------------------------------------------------------------
# The replay server.

class Replay:
    def __init__(self, upstream, latency_s, burst, rate):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.latency_s, self.burst, self.rate = latency_s, burst, rate
        self.answers = {}       # key → (status, content type, body)
        self.recording = True
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.buckets = {}
            self.log = []       # (region, action, status, when answered)
            self.misses = 0

    @staticmethod
    def key(region, form):
        params = sorted((k, v) for k, v in urllib.parse.parse_qsl(form, keep_blank_values=True)
                        if k not in CLOCK_PARAMS)
        return region + "?" + urllib.parse.urlencode(params)

    def forward(self, method, path, headers, body):
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.getheader("Content-Type", "text/xml"), data


def region_of(authorization):
    # Credential=AKID/20261201/eu-west-1/ec2/aws4_request
    try:
        return authorization.split("Credential=")[1].split("/")[2]
    except IndexError:
        return "us-east-1"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops the SYNs of a client opening many connections at once (1 s each)


def make_handler(replay):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            region = region_of(self.headers.get("Authorization", ""))
            form = body.decode()
            action = dict(urllib.parse.parse_qsl(form)).get("Action", "?")
            key = Replay.key(region, form)
            if replay.recording:
                status, ctype, data = replay.forward("POST", self.path, dict(self.headers), body)
                if status == 200:
                    with replay.lock:
                        replay.answers[key] = (status, ctype, data)
                with replay.lock:
                    replay.log.append((region, action, status, time.monotonic()))
                return self.answer(status, ctype, data)
            time.sleep(replay.latency_s)
            with replay.lock:
                bucket = replay.buckets.setdefault(region, TokenBucket(replay.burst, replay.rate))
                allowed = bucket.take()
                stored = replay.answers.get(key)
                if stored is None:
                    replay.misses += 1
                replay.log.append((region, action, 200 if allowed and stored else 503 if not allowed else 500,
                                   time.monotonic()))
            if not allowed:
                return self.answer(503, "text/xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                                   b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
                                   b"</Error></Errors><RequestID>replay</RequestID></Response>")
            if stored is None:
                return self.answer(500, "text/xml", b"<Response><Errors><Error><Code>InternalError</Code>"
                                   b"<Message>not recorded</Message></Error></Errors><RequestID>replay</RequestID></Response>")
            self.answer(*stored)

    return Handler


# ---------------------------------------------------------------------------
# Clients. Each writes its records, normalized, as JSON lines: ["types",
# region, type], ["offerings", region, type, zone], ["spot", region, type,
# zone, epoch seconds, price].

def client_env(url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_"))}
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_EC2_METADATA_DISABLED="true", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent", PRICEPIPE_NO_CACHE="1")
    return env


def epoch(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def normalize_pricepipe(out_dir, records_path):
    with open(records_path, "w") as w:
        for name, fields in (("instance-types", ("instance_type",)), ("offerings", ("instance_type", "zone")),
                             ("spot", ("instance_type", "zone"))):
            kind = {"instance-types": "types"}.get(name, name)
            with open(os.path.join(out_dir, name + ".ndjson")) as f:
                for line in f:
                    r = json.loads(line)
                    row = [kind, r["region"]] + [r[k] for k in fields]
                    if kind == "spot":
                        row += [epoch(r["timestamp"]), float(r["price"])]
                    w.write(json.dumps(row) + "\n")


def run_boto3(url, records_path, since):
    """The boto3 job, in its own process (so its CPU is measured like the others')."""
    import boto3
    from botocore.config import Config
    os.environ.update(client_env(url))
    config = Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=50)
    session = boto3.session.Session()
    regions = [r["RegionName"] for r in session.client("ec2", config=config).describe_regions()["Regions"]]
    clients = {r: session.client("ec2", region_name=r, config=config) for r in regions}

    def types(region):
        rows = []
        for page in clients[region].get_paginator("describe_instance_types").paginate():
            rows += [["types", region, t["InstanceType"]] for t in page["InstanceTypes"]]
        return rows

    def offerings(region):
        rows = []
        pages = clients[region].get_paginator("describe_instance_type_offerings").paginate(LocationType="availability-zone")
        for page in pages:
            rows += [["offerings", region, o["InstanceType"], o["Location"]] for o in page["InstanceTypeOfferings"]]
        return rows

    def spot(region):
        rows = []
        pages = clients[region].get_paginator("describe_spot_price_history").paginate(
            StartTime=since, ProductDescriptions=[LINUX])
        for page in pages:
            rows += [["spot", region, s["InstanceType"], s["AvailabilityZone"], int(s["Timestamp"].timestamp()),
                      float(s["SpotPrice"])] for s in page["SpotPriceHistory"]]
        return rows

    with concurrent.futures.ThreadPoolExecutor(max_workers=3 * len(regions)) as pool:
        jobs = [pool.submit(f, r) for r in regions for f in (types, offerings, spot)]
        with open(records_path, "w") as w:
            for job in jobs:
                for row in job.result():
                    w.write(json.dumps(row) + "\n")


def run_cli(url, records_path, since, jobs):
    """The AWS CLI job: one `aws ec2 …` per region and operation, `jobs` at once."""
    env = client_env(url)
    regions = json.loads(subprocess.check_output(["aws", "ec2", "describe-regions", "--output", "json"], env=env))
    regions = [r["RegionName"] for r in regions["Regions"]]
    ops = {
        "types": ["describe-instance-types"],
        "offerings": ["describe-instance-type-offerings", "--location-type", "availability-zone"],
        "spot": ["describe-spot-price-history", "--start-time", since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "--product-descriptions", LINUX],
    }

    def one(region, kind):
        doc = json.loads(subprocess.check_output(["aws", "ec2"] + ops[kind] + ["--region", region, "--output", "json"],
                                                 env=env))
        if kind == "types":
            return [["types", region, t["InstanceType"]] for t in doc["InstanceTypes"]]
        if kind == "offerings":
            return [["offerings", region, o["InstanceType"], o["Location"]] for o in doc["InstanceTypeOfferings"]]
        return [["spot", region, s["InstanceType"], s["AvailabilityZone"], epoch(s["Timestamp"]), float(s["SpotPrice"])]
                for s in doc["SpotPriceHistory"]]

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one, r, k) for r in regions for k in ops]
        with open(records_path, "w") as w:
            for f in futures:
                for row in f.result():
                    w.write(json.dumps(row) + "\n")


# ---------------------------------------------------------------------------

def timed(argv, env, stdout=subprocess.DEVNULL):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed ({proc.returncode}):\n{proc.stderr.decode()[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def command(client, url, work, args, since):
    if client == "pricepipe":
        out = os.path.join(work, "pricepipe-out")
        os.makedirs(out, exist_ok=True)
        pipeline = os.path.join(work, "crawl.yaml")
        with open(pipeline, "w") as f:
            f.write(PIPELINE % {"out": out})
        return [PRICEPIPE, "-q", "run", pipeline]
    me = [sys.executable, os.path.abspath(__file__), "--as-client", client, "--url", url,
          "--records", os.path.join(work, client + ".jsonl"), "--since", since.isoformat(), "--cli-jobs",
          str(args.cli_jobs)]
    return me


def records_of(client, work):
    path = os.path.join(work, client + ".jsonl")
    if client == "pricepipe":
        normalize_pricepipe(os.path.join(work, "pricepipe-out"), path)
    with open(path) as f:
        return collections.Counter(tuple(json.loads(line)) for line in f)


def bound(log, latency_s, burst, rate):
    """The fastest the server allows the requests in `log` (one pricepipe run)."""
    per_region = collections.defaultdict(collections.Counter)
    for region, action, status, _ in log:
        if status == 200:
            per_region[region][action] += 1
    worst = 0.0
    for region, actions in per_region.items():
        if set(actions) == {"DescribeRegions"}:
            continue
        n = sum(actions.values())
        # One chain per operation; spot's comes after the zones it names.
        chain = max(actions["DescribeInstanceTypes"], actions["DescribeInstanceTypeOfferings"],
                    actions["DescribeAvailabilityZones"] + actions["DescribeSpotPriceHistory"])
        worst = max(worst, latency_s * (1 + chain), latency_s + max(0.0, (n - burst) / rate) + latency_s)
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--latency-ms", type=float, default=100)
    p.add_argument("--burst", type=int, default=100)
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--cli-jobs", type=int, default=8)
    p.add_argument("--skip-cli", action="store_true", help="the same as --clients pricepipe,boto3")
    p.add_argument("--clients", default="pricepipe,boto3,aws-cli",
                   help="which to run, of pricepipe,boto3,aws-cli (pricepipe always runs: it is the reference)")
    p.add_argument("--as-client", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--records", help=argparse.SUPPRESS)
    p.add_argument("--since", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.as_client:
        since = datetime.datetime.fromisoformat(args.since)
        (run_boto3 if args.as_client == "boto3" else lambda u, r, s: run_cli(u, r, s, args.cli_jobs))(
            args.url, args.records, since)
        return

    work = tempfile.mkdtemp(prefix="pricepipe-crawl-")
    port_file = os.path.join(work, "fakeaws.port")
    fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fakeaws", "fakeaws.py"), "--port", "0",
                             "--port-file", port_file], stderr=subprocess.DEVNULL)
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    replay = Replay(f"http://127.0.0.1:{open(port_file).read().strip()}", args.latency_ms / 1000, args.burst, args.rate)
    server = Server(("127.0.0.1", 0), make_handler(replay))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    since = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(days=1)
    wanted = set(args.clients.split(",")) - ({"aws-cli"} if args.skip_cli else set())
    clients = [c for c in ("pricepipe", "boto3", "aws-cli") if c == "pricepipe" or c in wanted]
    env = client_env(url)
    try:
        for c in clients:  # record each client's requests from fakeaws
            timed(command(c, url, work, args, since), env)
        replay.recording = False
        fake.terminate()
        results, records = {}, {}
        for _ in range(args.repeat):
            for c in clients:
                replay.reset()
                wall, cpu = timed(command(c, url, work, args, since), env)
                with replay.lock:
                    log = list(replay.log)
                    misses = replay.misses
                row = results.setdefault(c, {"wall": [], "cpu": [], "requests": [], "throttled": [], "misses": 0})
                row["wall"].append(wall)
                row["cpu"].append(cpu)
                row["requests"].append(len(log))
                row["throttled"].append(sum(1 for _, _, s, _ in log if s == 503))
                row["misses"] += misses
                if c == "pricepipe":
                    row.setdefault("bound", []).append(bound(log, args.latency_ms / 1000, args.burst, args.rate))
                records[c] = records_of(c, work)
    finally:
        server.shutdown()
        fake.kill()

    reference = records["pricepipe"]
    kinds = collections.Counter(r[0] for r in reference.elements())
    print(f"records: {sum(reference.values())} ({dict(kinds)})")
    for c in clients:
        same = records[c] == reference
        diff = sum(((records[c] - reference) + (reference - records[c])).values())
        print(f"  {c}: {'identical' if same else f'{diff} records differ'}")
    print(f"\n{'client':10} {'wall s (min/median/max)':>26} {'CPU s':>7} {'requests':>9} {'throttled':>9}")
    for c in clients:
        r = results[c]
        w = r["wall"]
        print(f"{c:10} {min(w):8.2f} {statistics.median(w):8.2f} {max(w):8.2f} {statistics.median(r['cpu']):7.2f} "
              f"{statistics.median(r['requests']):9.0f} {statistics.median(r['throttled']):9.0f}"
              + (f"   (unrecorded: {r['misses']})" if r["misses"] else ""))
    pp = results["pricepipe"]
    b = statistics.median(pp["bound"])
    print(f"\nbound for pricepipe's requests: {b:.2f} s; pricepipe's median wall / bound = "
          f"{statistics.median(pp['wall']) / b:.2f}")
    if "boto3" in results:
        print(f"boto3 CPU / pricepipe CPU = {statistics.median(results['boto3']['cpu']) / statistics.median(pp['cpu']):.1f}")


if __name__ == "__main__":
    main()
