"""Start and stop fakeaws from Python tests, and talk to its control API."""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


class FakeAws:
    ACCESS_KEY = "AKIDFAKEAWS"
    SECRET_KEY = "fakeaws-secret-key"

    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="fakeaws-")
        port_file = os.path.join(self.dir.name, "port")
        self.log = open(os.path.join(self.dir.name, "stderr.log"), "w+")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fakeaws.py"), "--port", "0", "--port-file", port_file, *args],
            stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.url = f"http://127.0.0.1:{f.read().strip()}"
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError("fakeaws did not start: " + self.log.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.dir.cleanup()

    def control(self, method, what, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_fakeaws/{what}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def set_faults(self, *faults):
        return self.control("POST", "faults", {"faults": list(faults)})

    def requests(self):
        return self.control("GET", "requests")

    def world(self):
        return self.control("GET", "world")

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
