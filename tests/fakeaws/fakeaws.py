#!/usr/bin/env python3
"""fakeaws: a local AWS endpoint for pricepipe's tests and demo.

Speaks EC2's query protocol with AWS's XML, pagination, error format, SigV4
verification and throttling (a token bucket per account and region), over a
world built from ../shared/data/aws. Faults and latency are injected on
request through a control API under /_fakeaws/. See README.md.
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ec2  # noqa: E402
import sigv4  # noqa: E402
import world as world_module  # noqa: E402

DEFAULT_ACCESS_KEY = "AKIDFAKEAWS"
DEFAULT_SECRET_KEY = "fakeaws-secret-key"


class TokenBucket:
    def __init__(self, burst, rate):
        self.burst = burst
        self.rate = rate
        self.tokens = burst
        self.updated = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Fault:
    KINDS = {"throttle", "error", "reset", "malformed", "truncated", "latency", "slow-body"}

    def __init__(self, spec):
        self.kind = spec.get("kind", "error")
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(self.KINDS)}")
        self.action = spec.get("action")
        self.region = spec.get("region")
        self.page = spec.get("page")
        self.status = int(spec.get("status", 500))
        self.code = spec.get("code", "InternalError")
        self.message = spec.get("message", "An internal error has occurred")
        self.count = int(spec.get("count", 1))
        self.latency_ms = int(spec.get("latency_ms", 200))

    def matches(self, action, region, page):
        return (self.count > 0 and (self.action is None or self.action == action)
                and (self.region is None or self.region == region)
                and (self.page is None or self.page == page))


class State:
    def __init__(self, args, world):
        self.world = world
        self.ec2 = ec2.Ec2(world)
        self.credentials = {}
        for entry in args.credentials or [f"{DEFAULT_ACCESS_KEY}:{DEFAULT_SECRET_KEY}"]:
            parts = entry.split(":")
            self.credentials[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None)
        self.verify_signature = not args.no_verify_signature
        self.burst = args.throttle_burst
        self.rate = args.throttle_rate
        self.latency_ms = args.latency_ms
        self.lock = threading.Lock()
        self.buckets = {}
        self.faults = []
        self.requests = []
        self.request_log = open(args.request_log, "a", buffering=1) if args.request_log else None

    def take_token(self, account, region):
        with self.lock:
            bucket = self.buckets.get((account, region))
            if bucket is None:
                bucket = self.buckets[(account, region)] = TokenBucket(self.burst, self.rate)
            return bucket.take()

    def take_fault(self, action, region, page):
        with self.lock:
            for fault in self.faults:
                if fault.matches(action, region, page):
                    fault.count -= 1
                    return fault
        return None

    def log(self, entry):
        with self.lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)
            if self.request_log:
                self.request_log.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeaws"
    sys_version = ""

    def log_message(self, fmt, *args):  # requests are logged as JSON, not to stderr
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    # --- plumbing -------------------------------------------------------

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body, content_type="text/xml;charset=UTF-8", request_id=None, extra=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, value):
        self.send(status, json.dumps(value), "application/json")

    def hang_up(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        state = self.server.state
        if url.path.startswith("/_fakeaws/"):
            self.control(method, url.path[len("/_fakeaws/"):], body)
            return
        if state.latency_ms:
            time.sleep(state.latency_ms / 1000)
        self.api(method, url, body)

    # --- control API ----------------------------------------------------

    def control(self, method, what, body):
        state = self.server.state
        if what == "health":
            self.send_json(200, {"ok": True, "world": state.world.source})
        elif what == "world" and method == "GET":
            self.send_json(200, state.world.summary())
        elif what == "faults" and method == "POST":
            try:
                faults = [Fault(f) for f in json.loads(body or b"{}").get("faults", [])]
            except (ValueError, AttributeError) as e:
                self.send_json(400, {"error": str(e)})
                return
            with state.lock:
                state.faults.extend(faults)
            self.send_json(200, {"faults": len(faults)})
        elif what == "faults" and method == "DELETE":
            with state.lock:
                state.faults.clear()
            self.send_json(200, {})
        elif what == "requests" and method == "GET":
            with state.lock:
                self.send_json(200, list(state.requests))
        elif what == "requests" and method == "DELETE":
            with state.lock:
                state.requests.clear()
            self.send_json(200, {})
        else:
            self.send_json(404, {"error": f"no control endpoint {method} /_fakeaws/{what}"})

    # --- AWS API --------------------------------------------------------

    def api(self, method, url, body):
        state = self.server.state
        request_id = str(uuid.uuid4())
        content_type = self.headers.get("Content-Type", "")
        if method == "POST" and "x-www-form-urlencoded" in content_type:
            params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        else:
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        action = params.get("Action", "")
        entry = {"time": time.time(), "method": method, "action": action,
                 "params": {k: v for k, v in params.items() if k not in ("Action", "Version")}}

        def fail(status, code, message, region=None, service=None):
            entry.update(status=status, code=code, region=region, service=service, request_id=request_id)
            state.log(entry)
            self.send(status, ec2.error_body(code, message, request_id), request_id=request_id)

        akid, region, service = DEFAULT_ACCESS_KEY, "us-east-1", "ec2"
        if state.verify_signature:
            headers = list(self.headers.items())
            try:
                akid, region, service = sigv4.verify(method, url.path, url.query, headers, body, state.credentials)
            except sigv4.SigV4Error as e:
                fail(e.status, e.code, e.message)
                return
        else:
            auth = self.headers.get("Authorization", "")
            scope = auth.split("Credential=")[1].split(",")[0].split("/") if "Credential=" in auth else []
            if len(scope) >= 4:
                akid, region, service = scope[0], scope[2], scope[3]
        if service != "ec2":
            fail(400, "InvalidAction", f"fakeaws does not serve the service {service!r}", region, service)
            return
        if not state.take_token(akid, region):
            fail(503, "RequestLimitExceeded", "Request limit exceeded.", region, service)
            return
        try:
            xml, page = state.ec2.handle(action, region, params, request_id)
        except ec2.Ec2Error as e:
            fail(e.status, e.code, e.message, region, service)
            return
        entry.update(region=region, service=service, page=page, request_id=request_id)
        fault = state.take_fault(action, region, page)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "throttle":
                fail(503, "RequestLimitExceeded", "Request limit exceeded.", region, service)
                return
            if fault.kind == "error":
                fail(fault.status, fault.code, fault.message, region, service)
                return
            if fault.kind == "reset":
                entry.update(status=0)
                state.log(entry)
                self.hang_up()
                return
            if fault.kind == "latency":
                time.sleep(fault.latency_ms / 1000)
            if fault.kind == "malformed":
                xml = xml[: len(xml) // 2] + "</broken"
            if fault.kind in ("truncated", "slow-body"):
                data = xml.encode()
                entry.update(status=200, bytes=len(data))
                state.log(entry)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", request_id)
                self.end_headers()
                if fault.kind == "truncated":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.hang_up()
                    return
                for i in range(0, len(data), 1024):
                    self.wfile.write(data[i:i + 1024])
                    self.wfile.flush()
                    time.sleep(fault.latency_ms / 1000 / max(1, len(data) // 1024))
                return
        entry.update(status=200, bytes=len(xml))
        state.log(entry)
        self.send(200, xml, request_id=request_id)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the port here (atomically) once listening")
    p.add_argument("--data-dir", help="public AWS data (default: $PRICEPIPE_AWS_DATA or ../shared/data/aws)")
    p.add_argument("--synthetic", action="store_true", help="serve the synthetic world even if data is present")
    p.add_argument("--synthetic-regions", type=int, default=8, help="regions of the synthetic world (up to 30)")
    p.add_argument("--credentials", action="append", metavar="AKID:SECRET[:TOKEN]",
                   help=f"accepted credentials (repeatable; default {DEFAULT_ACCESS_KEY}:{DEFAULT_SECRET_KEY})")
    p.add_argument("--no-verify-signature", action="store_true")
    p.add_argument("--throttle-burst", type=float, default=100, help="token bucket size per account and region")
    p.add_argument("--throttle-rate", type=float, default=20, help="token refill per second")
    p.add_argument("--latency-ms", type=int, default=0, help="added to every API answer")
    p.add_argument("--not-opted-in", default=",".join(world_module.DEFAULT_NOT_OPTED_IN),
                   help="comma-separated regions the account has not enabled")
    p.add_argument("--request-log", help="append every API request as a JSON line")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    not_opted_in = tuple(r for r in args.not_opted_in.split(",") if r)
    world = world_module.load(args.data_dir, args.synthetic, not_opted_in, args.synthetic_regions)
    server = Server((args.host, args.port), Handler)
    server.state = State(args, world)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"fakeaws: listening on http://{args.host}:{port} (world: {world.source}, {len(world.regions)} regions)",
          file=sys.stderr, flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main()
