"""Start and stop fakeaws from Python tests, and talk to its control API.

    with FakeAws("--throttle-burst", "5") as fake:
        ec2 = fake.client("ec2", "eu-west-1")          # boto3, retries off
        status, headers, body = fake.signed("eu-west-1", {"Action": "DescribeRegions"})
        fake.set_faults({"action": "DescribeRegions", "kind": "reset"})
        fake.requests()                                # GET /_fakeaws/requests
"""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
API_VERSION = "2016-11-15"


class FakeAws:
    ACCESS_KEY = "AKIDFAKEAWS"
    SECRET_KEY = "fakeaws-secret-key"

    def __init__(self, *args):
        """Starts fakeaws with extra flags `args` on a free loopback port; it
        always writes its request log to `self.request_log`."""
        self.dir = tempfile.TemporaryDirectory(prefix="fakeaws-")
        port_file = os.path.join(self.dir.name, "port")
        self.request_log = os.path.join(self.dir.name, "requests.ndjson")
        self.log = open(os.path.join(self.dir.name, "stderr.log"), "w+")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fakeaws.py"), "--port", "0", "--port-file", port_file,
             "--request-log", self.request_log, *args],
            stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                self.url = f"http://127.0.0.1:{self.port}"
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError("fakeaws did not start: " + self.log.read())

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.stop()

    def stop(self):
        """SIGTERM, then the exit code (0 when it shut down cleanly)."""
        self.process.terminate()
        try:
            code = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.log.close()
        self.dir.cleanup()
        return code

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    # --- control API ----------------------------------------------------

    def control(self, method, what, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_fakeaws/{what}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def set_faults(self, *faults):
        return self.control("POST", "faults", {"faults": list(faults)})

    def clear_faults(self):
        self.control("DELETE", "faults")

    def requests(self):
        return self.control("GET", "requests")

    def clear_requests(self):
        self.control("DELETE", "requests")

    def logged_requests(self):
        """The --request-log file, as a process that only sees files would read it."""
        with open(self.request_log) as f:
            return [json.loads(line) for line in f]

    def world(self):
        return self.control("GET", "world")

    # --- clients --------------------------------------------------------

    def pricepipe_env(self, cache):
        """The environment a pricepipe process points at this fakeaws with: its endpoints, its credentials, and
        no shared AWS config; answers cached in `cache`."""
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
                    "AWS_ENDPOINT_URL": self.url, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
                    "PRICEPIPE_PRICE_LIST_URL": self.url,
                    "PRICEPIPE_SPOT_ADVISOR_URL": self.url + "/spot-advisor-data.json", "PRICEPIPE_CACHE_DIR": cache})
        return env

    def client(self, service, region, **kwargs):
        import boto3
        from botocore.config import Config
        # total_max_attempts counts the first attempt; parameter validation is
        # off so that requests AWS would reject reach the server.
        config = Config(retries={"total_max_attempts": kwargs.pop("max_attempts", 1), "mode": "standard"},
                        parameter_validation=False)
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id=kwargs.pop("access_key", self.ACCESS_KEY),
                            aws_secret_access_key=kwargs.pop("secret_key", self.SECRET_KEY),
                            config=config, **kwargs)

    def signed(self, region, params, method="POST", connection=None, sign=True, service="ec2"):
        """One EC2 query request signed by botocore, sent raw, so tests see what
        boto3 would hide: (status, headers, body bytes). A body the server cut
        short raises http.client's IncompleteRead; a reset, RemoteDisconnected."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        form = urllib.parse.urlencode({"Version": API_VERSION, **params})
        headers = {}
        if method == "POST":
            path, body = "/", form
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        else:
            path, body = "/?" + form, ""
        if sign:
            request = AWSRequest(method, self.url + path, data=body, headers=headers)
            SigV4Auth(Credentials(self.ACCESS_KEY, self.SECRET_KEY), service, region).add_auth(request)
            headers = dict(request.headers)
        conn = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            if connection is None:
                conn.close()
