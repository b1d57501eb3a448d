"""IAM Identity Center (SSO) profiles against fakeaws' portal and OIDC service.

What `aws sso login` leaves behind is set up by hand: a shared config file
with an `sso_session` profile and a legacy one, and their access tokens in
~/.aws/sso/cache/<SHA-1>.json, registered with fakeaws (POST /_fakeaws/sso).
pricepipe exchanges the token with GetRoleCredentials and streams the
regions from the same fakeaws, which verifies every EC2 signature: only the
credentials it issued for that exchange are accepted. A token about to
expire is renewed with CreateToken and the cache file rewritten (mode
0600) in a form botocore reads back; role credentials that expire during a
long run are renewed before any request is refused; an expired legacy token fails with the
`aws sso login` that mends it and writes nothing. boto3 resolves the same
profiles against the same fakeaws, so fakeaws speaks the protocol botocore
does. No token, client secret or issued secret reaches pricepipe's output,
trace log, cache or metrics, in any encoding.

Needs PRICEPIPE_BIN and a python3 with boto3.
"""

import base64
import datetime
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

from servers import free_port, start_for_class

BIN = os.environ.get("PRICEPIPE_BIN")
HERE = os.path.dirname(os.path.abspath(__file__))
FAKEAWS = os.path.join(HERE, "..", "fakeaws", "fakeaws.py")
START_URL = "https://d-9067example.awsapps.com/start"
ACCESS_TOKEN = "aoa-access-token-DO-NOT-LEAK"
LEGACY_TOKEN = "aoa-legacy-token-DO-NOT-LEAK"
REFRESH_TOKEN = "aor-refresh-token-DO-NOT-LEAK"
CLIENT_SECRET = "client-secret-DO-NOT-LEAK"


def when(delta):
    return (datetime.datetime.now(datetime.timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


class SsoThroughFakeaws(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        cls.home = tempfile.TemporaryDirectory(prefix="pricepipe-sso-")
        cls.addClassCleanup(cls.home.cleanup)
        port = free_port()
        cls.fake_url = f"http://127.0.0.1:{port}"
        start_for_class(cls, [sys.executable, FAKEAWS, "--host", "127.0.0.1", "--port", str(port), "--synthetic",
                              "--synthetic-regions", "2", "--synthetic-variants", "2"],
                        "fakeaws", cls.fake_url + "/_fakeaws/world", cls.home.name)
        cls.cache_dir = os.path.join(cls.home.name, ".aws", "sso", "cache")
        os.makedirs(cls.cache_dir)
        cls.config = os.path.join(cls.home.name, "config")
        with open(cls.config, "w") as f:
            f.write(f"""[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = us-east-1
[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
[profile legacy]
sso_start_url = {START_URL}
sso_region = us-east-1
sso_account_id = 444455556666
sso_role_name = Billing
""")
        cls.control("sso", {"access_tokens": [ACCESS_TOKEN, LEGACY_TOKEN],
                            "clients": [{"clientId": "client-1", "clientSecret": CLIENT_SECRET,
                                         "refreshToken": REFRESH_TOKEN}],
                            "roles": ["111122223333/ReadOnly", "444455556666/Billing"]})

    @classmethod
    def control(cls, what, body=None):
        request = urllib.request.Request(f"{cls.fake_url}/_fakeaws/{what}",
                                         data=None if body is None else json.dumps(body).encode(),
                                         method="GET" if body is None else "POST")
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.load(r)

    def setUp(self):
        urllib.request.urlopen(urllib.request.Request(self.fake_url + "/_fakeaws/requests", method="DELETE"),
                               timeout=30).close()

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_"))}
        env.update(AWS_ENDPOINT_URL=self.fake_url, AWS_ENDPOINT_URL_SSO=self.fake_url,
                   AWS_ENDPOINT_URL_SSO_OIDC=self.fake_url, AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=self.config, AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.home.name, "none"),
                   HOME=self.home.name)
        return env

    def token_path(self, key):
        return os.path.join(self.cache_dir, hashlib.sha1(key.encode()).hexdigest() + ".json")

    def login(self, key, access, expires_in, region="eu-west-1"):
        """The file `aws sso login` writes."""
        token = {"startUrl": START_URL, "region": region, "accessToken": access, "expiresAt": when(expires_in)}
        if key != START_URL:
            token.update(clientId="client-1", clientSecret=CLIENT_SECRET, refreshToken=REFRESH_TOKEN,
                         registrationExpiresAt=when(datetime.timedelta(days=90)))
        with open(self.token_path(key), "w") as f:
            json.dump(token, f)
        os.chmod(self.token_path(key), 0o600)

    def requests(self):
        with urllib.request.urlopen(self.fake_url + "/_fakeaws/requests", timeout=30) as r:
            return json.load(r)

    def issued(self):
        return self.control("sso")["issued"]

    def pricepipe(self, *args):
        return subprocess.run([BIN, *args], env=self.env(), capture_output=True, text=True, timeout=120)

    def boto3_access_key(self, profile):
        code = ("import boto3; c = boto3.Session(profile_name=%r).get_credentials().get_frozen_credentials(); "
                "print(c.access_key)" % profile)
        run = subprocess.run([sys.executable, "-c", code], env=self.env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout.strip()

    def assert_streamed_with_issued(self, run, account, role, token):
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertGreater(len(run.stdout.splitlines()), 0)
        log = self.requests()
        exchanges = [q for q in log if q.get("action") == "GetRoleCredentials"]
        self.assertEqual(len(exchanges), 1, exchanges)
        self.assertEqual(exchanges[0]["params"], {"account_id": account, "role_name": role})
        self.assertEqual(exchanges[0]["token_sha256"], hashlib.sha256(token.encode()).hexdigest())
        issued = self.issued()[-1]
        self.assertEqual((issued["account_id"], issued["role_name"]), (account, role))
        signers = {(q["access_key"], q["token_sha256"]) for q in log if q.get("service") == "ec2"}
        self.assertEqual(signers, {(issued["accessKeyId"], hashlib.sha256(issued["sessionToken"].encode()).hexdigest())})
        return log

    def test_a_session_profile_streams_with_the_role_credentials_it_exchanged(self):
        self.login("corp", ACCESS_TOKEN, datetime.timedelta(hours=8))
        run = self.pricepipe("-v", "--no-cache", "--profile", "dev", "stream", "regions")
        log = self.assert_streamed_with_issued(run, "111122223333", "ReadOnly", ACCESS_TOKEN)
        self.assertIn("credentials from sso", run.stderr)
        self.assertFalse([q for q in log if q.get("action") == "CreateToken"], "a token valid for hours is not renewed")
        self.assertTrue(self.boto3_access_key("dev").startswith("ASIA"), "botocore reads the same cache and portal")

    def test_a_legacy_profile_and_its_expired_token(self):
        self.login(START_URL, LEGACY_TOKEN, datetime.timedelta(hours=1), region="us-east-1")
        run = self.pricepipe("--no-cache", "--profile", "legacy", "stream", "regions")
        self.assert_streamed_with_issued(run, "444455556666", "Billing", LEGACY_TOKEN)
        self.assertTrue(self.boto3_access_key("legacy").startswith("ASIA"))

        self.login(START_URL, LEGACY_TOKEN, -datetime.timedelta(minutes=1), region="us-east-1")
        self.setUp()
        run = self.pricepipe("--no-cache", "--profile", "legacy", "stream", "regions")
        self.assertNotEqual(run.returncode, 0)
        self.assertEqual(run.stdout, "", "nothing is written when there are no credentials")
        self.assertIn("has expired; sign in again with aws sso login --profile legacy", run.stderr)
        self.assertEqual(self.requests(), [], "an expired legacy token is not sent anywhere")

    def test_a_token_about_to_expire_is_renewed_and_kept_as_the_aws_cli_keeps_it(self):
        self.login("corp", ACCESS_TOKEN, datetime.timedelta(minutes=5))
        run = self.pricepipe("--no-cache", "--profile", "dev", "stream", "regions")
        path = self.token_path("corp")
        with open(path) as f:
            renewed = json.load(f)
        self.assertNotEqual(renewed["accessToken"], ACCESS_TOKEN)
        self.assertNotEqual(renewed["refreshToken"], REFRESH_TOKEN, "the OIDC service rotated the refresh token")
        self.assertEqual((renewed["startUrl"], renewed["region"], renewed["clientId"], renewed["clientSecret"]),
                         (START_URL, "eu-west-1", "client-1", CLIENT_SECRET))
        self.assertGreater(renewed["expiresAt"], when(datetime.timedelta(hours=7)))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        log = self.assert_streamed_with_issued(run, "111122223333", "ReadOnly", renewed["accessToken"])
        self.assertEqual([q["action"] for q in log if q.get("service", "").startswith("sso")],
                         ["CreateToken", "GetRoleCredentials"])
        self.assertTrue(self.boto3_access_key("dev").startswith("ASIA"), "botocore reads the rewritten file")
        # Put the registration back as the other tests expect it.
        self.control("sso", {"clients": [{"clientId": "client-1", "clientSecret": CLIENT_SECRET,
                                          "refreshToken": REFRESH_TOKEN}]})

    def test_credentials_that_expire_during_a_long_run_are_renewed_before_a_request_fails(self):
        # Role credentials that live 3 s (fakeaws answers ExpiredToken after), a run of several seconds.
        self.control("sso", {"credential_seconds": 3})
        self.control("faults", {"faults": [{"kind": "latency", "latency_ms": 2500, "count": 1000}]})
        try:
            self.login("corp", ACCESS_TOKEN, datetime.timedelta(hours=8))
            run = self.pricepipe("-v", "--no-cache", "--max-concurrency", "1", "--profile", "dev", "stream",
                                 "instance-types", "--regions", "all")
        finally:
            urllib.request.urlopen(urllib.request.Request(self.fake_url + "/_fakeaws/faults", method="DELETE"),
                                   timeout=30).close()
            self.control("sso", {"credential_seconds": 3600})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn("warning", run.stderr)
        log = self.requests()
        ec2 = [q for q in log if q.get("service") == "ec2"]
        self.assertEqual([q for q in ec2 if q.get("status") != 200], [], "a request was signed with expired credentials")
        self.assertGreater(max(q["time"] for q in ec2) - min(q["time"] for q in ec2), 4, "the run was not long enough")
        self.assertGreaterEqual(len({q["access_key"] for q in ec2}), 2, "the credentials were not renewed mid-run")
        self.assertGreaterEqual(len([q for q in log if q.get("action") == "GetRoleCredentials"]), 2)

    def test_no_token_or_secret_reaches_the_output_the_trace_log_the_cache_or_the_metrics(self):
        work = tempfile.mkdtemp(dir=self.home.name)
        self.login("corp", ACCESS_TOKEN, datetime.timedelta(minutes=5))  # renewed during the run
        run = self.pricepipe("--log-level", "trace", "--cache-dir", os.path.join(work, "cache"), "--metrics-out",
                             os.path.join(work, "metrics.json"), "--profile", "dev", "stream", "regions")
        self.assertEqual(run.returncode, 0, run.stderr)
        seen = (run.stdout + run.stderr).encode()
        for root, _, files in os.walk(work):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    seen += f.read()
        with open(self.token_path("corp")) as f:
            renewed = json.load(f)
        issued = self.issued()[-1]
        secrets = [ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET, renewed["accessToken"], renewed["refreshToken"],
                   issued["secretAccessKey"], issued["sessionToken"]]
        for secret in secrets:
            for form in {secret, urllib.parse.quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}:
                self.assertNotIn(form.encode(), seen, f"a form of a secret ({form[:6]}…) leaked")
        self.control("sso", {"clients": [{"clientId": "client-1", "clientSecret": CLIENT_SECRET,
                                          "refreshToken": REFRESH_TOKEN}]})


if __name__ == "__main__":
    unittest.main()
