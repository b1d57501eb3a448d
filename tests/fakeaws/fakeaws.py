#!/usr/bin/env python3
"""fakeaws: a local AWS endpoint for pricepipe's tests and demo.

Speaks EC2's query protocol with AWS's XML, pagination, error format, SigV4
verification and throttling (a token bucket per account and region), over a
world built from ../shared/data/aws. Faults and latency are injected on
request through a control API under /_fakeaws/. See README.md.
"""

import argparse
import hashlib
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

import bulk  # noqa: E402
import ec2  # noqa: E402
import pricing  # noqa: E402
import pricing_api  # noqa: E402
import sigv4  # noqa: E402
import spot  # noqa: E402
import sso  # noqa: E402
import world as world_module  # noqa: E402

DEFAULT_ACCESS_KEY = "AKIDFAKEAWS"
DEFAULT_SECRET_KEY = "fakeaws-secret-key"
DEFAULT_ACCOUNT = "123456789012"



def caller_identity(account, akid, request_id):
    """STS GetCallerIdentity's answer for the account `akid` is of."""
    return (f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>arn:aws:iam::{account}:user/fakeaws</Arn><UserId>{akid}</UserId><Account>{account}</Account>"
            f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</GetCallerIdentityResponse>")

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
    KINDS = {"throttle", "error", "reset", "malformed", "truncated", "latency", "slow-body", "stall"}

    def __init__(self, spec):
        self.kind = spec.get("kind", "error")
        if self.kind not in self.KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(self.KINDS)}")
        self.action = spec.get("action")
        self.region = spec.get("region")
        self.path = spec.get("path")  # bulk files: matches when the path starts with this
        self.page = spec.get("page")
        self.status = int(spec.get("status", 500))
        self.code = spec.get("code", "InternalError")
        self.message = spec.get("message", "An internal error has occurred")
        self.count = int(spec.get("count", 1))
        self.latency_ms = int(spec.get("latency_ms", 200))

    def matches(self, action, region, page, path=None):
        return (self.count > 0 and (self.action is None or self.action == action)
                and (self.region is None or self.region == region)
                and (self.page is None or self.page == page)
                and (self.path is None or (path or "").startswith(self.path)))


class State:
    def __init__(self, args, world):
        self.world = world
        self.ec2 = ec2.Ec2(world)
        self.prices = pricing.PriceWorld(world, args.data_dir or world_module.default_data_dir())
        self.spot = spot.SpotWorld(world, self.prices, args.data_dir or world_module.default_data_dir())
        self.ec2.spot = self.spot
        self.pricing = pricing_api.PricingApi(self.prices)
        self.bulk = bulk.BulkPriceList(self.prices, args.prerender)
        self.pricing_burst = args.pricing_throttle_burst
        self.pricing_rate = args.pricing_throttle_rate
        self.credentials = {}
        self.accounts = {}  # access key → the account it is of (absent: DEFAULT_ACCOUNT)
        for entry in args.credentials or [f"{DEFAULT_ACCESS_KEY}:{DEFAULT_SECRET_KEY}"]:
            parts = entry.split(":")
            self.credentials[parts[0]] = (parts[1], parts[2] if len(parts) > 2 and parts[2] else None)
            if len(parts) > 3 and parts[3]:
                self.accounts[parts[0]] = parts[3]
        self.sso = sso.SsoService(self.credentials, self.accounts)
        self.verify_signature = not args.no_verify_signature
        self.burst = args.throttle_burst
        self.rate = args.throttle_rate
        self.latency_ms = args.latency_ms
        self.lock = threading.Lock()
        self.buckets = {}
        self.faults = []
        self.requests = []
        self.request_log = open(args.request_log, "a", buffering=1) if args.request_log else None

    def take_token(self, account, service, region):
        with self.lock:
            key = (account, service, region)
            bucket = self.buckets.get(key)
            if bucket is None:
                # Pricing has one account-wide limit; EC2 one per region.
                burst, rate = (self.pricing_burst, self.pricing_rate) if service == "pricing" else (self.burst, self.rate)
                bucket = self.buckets[key] = TokenBucket(burst, rate)
            return bucket.take()

    def take_fault(self, action, region, page, path=None):
        with self.lock:
            for fault in self.faults:
                if fault.matches(action, region, page, path):
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
        if method == "GET" and (url.path.startswith("/offers/") or url.path.startswith("/savingsPlan/")):
            self.bulk_file(url.path)
            return
        if method == "GET" and url.path == "/spot-advisor-data.json":
            self.spot_advisor()
            return
        if (method, url.path) in (("GET", "/federation/credentials"), ("POST", "/token")):
            self.identity_center(method, url, body)
            return
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
        elif what == "sso" and method == "GET":
            self.send_json(200, state.sso.summary())
        elif what == "sso" and method == "POST":
            try:
                self.send_json(200, state.sso.configure(json.loads(body or b"{}")))
            except (ValueError, KeyError, TypeError) as e:
                self.send_json(400, {"error": f"bad sso registration: {e}"})
        elif what == "requests" and method == "DELETE":
            with state.lock:
                state.requests.clear()
            self.send_json(200, {})
        else:
            self.send_json(404, {"error": f"no control endpoint {method} /_fakeaws/{what}"})

    # --- IAM Identity Center ----------------------------------------------

    def identity_center(self, method, url, body):
        """The SSO portal's GetRoleCredentials and SSO OIDC's CreateToken (unsigned, restJson)."""
        state = self.server.state
        request_id = str(uuid.uuid4())
        bearer = self.headers.get("x-amz-sso_bearer_token")
        if method == "GET":
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            entry = {"time": time.time(), "method": method, "service": "sso", "action": "GetRoleCredentials",
                     "params": params, "token_sha256": sso.SsoService.token_hash(bearer)}
        else:
            try:
                client = json.loads(body or b"{}").get("clientId")
            except (ValueError, AttributeError):
                client = None
            entry = {"time": time.time(), "method": method, "service": "sso-oidc", "action": "CreateToken",
                     "params": {"clientId": client}}
        entry["request_id"] = request_id
        try:
            answer = state.sso.get_role_credentials(bearer, params) if method == "GET" else state.sso.create_token(body)
        except sso.SsoError as e:
            entry.update(status=e.status, code=e.code)
            state.log(entry)
            self.send(e.status, json.dumps({"message": e.message}), "application/json", request_id=request_id,
                      extra=[("x-amzn-ErrorType", e.code)])
            return
        entry.update(status=200)
        state.log(entry)
        self.send(200, json.dumps(answer), "application/json", request_id=request_id)

    # --- AWS API --------------------------------------------------------

    def api(self, method, url, body):
        state = self.server.state
        request_id = str(uuid.uuid4())
        target = self.headers.get("X-Amz-Target")
        content_type = self.headers.get("Content-Type", "")
        if target:
            params = {}
            action = target.rsplit(".", 1)[-1]
        else:
            if method == "POST" and "x-www-form-urlencoded" in content_type:
                params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            else:
                params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            action = params.get("Action", "")
        entry = {"time": time.time(), "method": method, "action": action,
                 "params": {k: v for k, v in params.items() if k not in ("Action", "Version")}}
        json_protocol = bool(target)

        def fail(status, code, message, region=None, service=None):
            entry.update(status=status, code=code, region=region, service=service, request_id=request_id)
            state.log(entry)
            if json_protocol:
                self.send(status, pricing_api.error_body(code, message), "application/x-amz-json-1.1",
                          request_id=request_id, extra=[("X-Amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/")])
            else:
                self.send(status, ec2.error_body(code, message, request_id), request_id=request_id)

        akid, region, service = DEFAULT_ACCESS_KEY, "us-east-1", "pricing" if json_protocol else "ec2"
        if state.verify_signature:
            headers = list(self.headers.items())
            try:
                akid, region, service = sigv4.verify(method, url.path, url.query, headers, body, state.credentials)
            except sigv4.SigV4Error as e:
                if json_protocol:
                    # JSON services name these differently from EC2.
                    code = {"AuthFailure": "UnrecognizedClientException",
                            "MissingParameter": "MissingAuthenticationTokenException",
                            "SignatureDoesNotMatch": "InvalidSignatureException"}.get(e.code, e.code)
                    fail(400 if code != "UnrecognizedClientException" else 403, code, e.message)
                else:
                    fail(e.status, e.code, e.message)
                return
        else:
            auth = self.headers.get("Authorization", "")
            scope = auth.split("Credential=")[1].split(",")[0].split("/") if "Credential=" in auth else []
            if len(scope) >= 4:
                akid, region, service = scope[0], scope[2], scope[3]
        if state.sso.expired(akid):
            fail(400, "ExpiredToken", "The security token included in the request is expired", region, service)
            return
        # Who signed: the access key (an identifier, not a secret) and a hash of the session token.
        token = self.headers.get("X-Amz-Security-Token")
        entry.update(access_key=akid, token_sha256=hashlib.sha256(token.encode()).hexdigest() if token else None)
        account = state.accounts.get(akid, DEFAULT_ACCOUNT)
        entry.update(account=account)
        if service == "sts" and action == "GetCallerIdentity" and not json_protocol:
            entry.update(region=region, service=service, status=200, request_id=request_id)
            state.log(entry)
            self.send(200, caller_identity(account, akid, request_id), "text/xml", request_id=request_id)
            return
        if service not in ("ec2", "pricing") or (service == "pricing") != json_protocol:
            fail(400, "InvalidAction", f"fakeaws does not serve {service!r} this way", region, service)
            return
        if not state.take_token(akid, service, region):
            if json_protocol:
                fail(400, "ThrottlingException", "Rate exceeded", region, service)
            else:
                fail(503, "RequestLimitExceeded", "Request limit exceeded.", region, service)
            return
        try:
            if json_protocol:
                answer, page = state.pricing.handle(target, body)
                content = "application/x-amz-json-1.1"
            else:
                answer, page = state.ec2.handle(action, region, params, request_id,
                                                None if account == DEFAULT_ACCOUNT else account)
                content = "text/xml;charset=UTF-8"
        except (ec2.Ec2Error, pricing_api.PricingError) as e:
            fail(e.status, e.code, e.message, region, service)
            return
        entry.update(region=region, service=service, page=page, request_id=request_id)
        fault = state.take_fault(action, region, page)
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "throttle":
                if json_protocol:
                    fail(400, "ThrottlingException", "Rate exceeded", region, service)
                else:
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
                answer = answer[: len(answer) // 2] + ("</broken" if not json_protocol else "}}]")
            if fault.kind in ("truncated", "slow-body", "stall"):
                entry.update(status=200, bytes=len(answer))
                state.log(entry)
                self.send_partial(answer.encode(), content, request_id, fault)
                return
        entry.update(status=200, bytes=len(answer))
        state.log(entry)
        self.send(200, answer, content, request_id=request_id)

    def send_partial(self, data, content_type, request_id, fault, status=200, extra=()):
        """A truncated body (Content-Length promises more, then the connection closes), a slow one, or one
        that stalls for latency_ms half-way."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if fault.kind == "truncated":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.hang_up()
            return
        if fault.kind == "stall":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(fault.latency_ms / 1000)
            self.wfile.write(data[len(data) // 2:])
            self.wfile.flush()
            return
        step = max(1024, len(data) // 100)
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step])
            self.wfile.flush()
            time.sleep(fault.latency_ms / 1000 / 100)

    def spot_advisor(self):
        state = self.server.state
        entry = {"time": time.time(), "method": "GET", "action": "GetSpotAdvisorData", "service": "spot-advisor",
                 "path": "/spot-advisor-data.json"}
        data = state.spot.advisor_bytes
        fault = state.take_fault("GetSpotAdvisorData", None, None)
        entry.update(status=200, bytes=len(data), fault=fault.kind if fault else None)
        state.log(entry)
        self.send_file(data, fault)

    # --- bulk Price List ------------------------------------------------

    def bulk_file(self, path):
        state = self.server.state
        entry = {"time": time.time(), "method": "GET", "action": "GetOfferFile", "path": path, "service": "pricing-bulk"}
        data = state.bulk.document(path)
        if data is None:
            entry.update(status=404)
            state.log(entry)
            self.send(404, "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
                      "application/xml")
            return
        start = 0
        status = 200
        extra = [("Accept-Ranges", "bytes"), ("ETag", '"' + pricing.sku(path, str(len(data))) + '"')]
        spec = self.headers.get("Range", "")
        if spec.startswith("bytes="):
            first, _, last = spec[len("bytes="):].partition("-")
            start = int(first or 0)
            if start >= len(data):
                entry.update(status=416)
                state.log(entry)
                self.send(416, "", "application/json")
                return
            status = 206
            extra.append(("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"))
        body = data[start:]
        fault = state.take_fault("GetOfferFile", None, None, path)
        entry.update(status=status, bytes=len(body), range_start=start, fault=fault.kind if fault else None)
        state.log(entry)
        self.send_file(body, fault, status, extra)

    def send_file(self, data, fault, status=200, extra=()):
        """A plain file (bulk Price List, advisor feed) with any fault applied."""
        kind = fault.kind if fault is not None else None
        if kind == "latency":
            time.sleep(fault.latency_ms / 1000)
        if kind == "reset":
            self.hang_up()
            return
        if kind in ("truncated", "slow-body", "stall"):
            self.send_partial(data, "application/json", None, fault, status, extra)
            return
        if kind == "throttle":
            self.send(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
                      "application/xml")
            return
        if kind == "error":
            self.send(fault.status, "<Error><Code>" + fault.code + "</Code></Error>", "application/xml")
            return
        if kind == "malformed":
            data = data[: len(data) // 2] + b"#broken"
        self.send(status, data, "application/json", extra=extra)


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
    p.add_argument("--synthetic-variants", type=int, default=40,
                   help="made-up families per base type in the synthetic world (more: larger regions)")
    p.add_argument("--credentials", action="append", metavar="AKID:SECRET[:TOKEN[:ACCOUNT]]",
                   help=f"accepted credentials and the account they are of (repeatable; default "
                        f"{DEFAULT_ACCESS_KEY}:{DEFAULT_SECRET_KEY}, account {DEFAULT_ACCOUNT})")
    p.add_argument("--no-verify-signature", action="store_true")
    p.add_argument("--throttle-burst", type=float, default=100, help="token bucket size per account and region")
    p.add_argument("--throttle-rate", type=float, default=20, help="token refill per second")
    p.add_argument("--pricing-throttle-burst", type=float, default=10, help="Pricing API token bucket size per account")
    p.add_argument("--pricing-throttle-rate", type=float, default=5, help="Pricing API refill per second")
    p.add_argument("--latency-ms", type=int, default=0, help="added before every answer (API calls and files)")
    p.add_argument("--prerender", action="store_true",
                   help="render every bulk Price List file at start-up and keep them (served as a CDN would; "
                        "without it each is generated on request, the most recent four kept)")
    p.add_argument("--not-opted-in", default=",".join(world_module.DEFAULT_NOT_OPTED_IN),
                   help="comma-separated regions the account has not enabled")
    p.add_argument("--request-log", help="append every API request as a JSON line")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    not_opted_in = tuple(r for r in args.not_opted_in.split(",") if r)
    world = world_module.load(args.data_dir, args.synthetic, not_opted_in, args.synthetic_regions,
                              args.synthetic_variants)
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
