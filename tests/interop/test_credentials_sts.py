"""Roles through a second implementation of STS: moto's server.

pricepipe resolves credentials from a shared config file whose profiles
assume roles (source_profile, a chain of two roles, credential_source) or
federate a web identity (AWS_WEB_IDENTITY_TOKEN_FILE, or a profile's
web_identity_token_file), asking moto's STS; then streams the regions from
fakeaws (which accepts any signature here and logs who signed each request).
Each case checks, from moto's own record of the sessions it issued
(`/moto-api/data.json`), that STS was asked for exactly the role, session
name, external id and duration configured, and, from fakeaws's log, that
every EC2 request was signed with the credentials moto issued for that
session (access key and session token), never the source keys. The source
secret, the issued secrets and tokens and the web identity token never
appear in pricepipe's output, its trace log, its cache or its metrics, in
any of their encodings.

Needs PRICEPIPE_BIN and a python3 with boto3 and moto 5.
"""

import base64
import hashlib
import json
import os
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
SOURCE_SECRET = "source-secret-DO-NOT-LEAK"
WEB_TOKEN = "eyJ-web-identity-token-DO-NOT-LEAK"


class RolesThroughMotoSts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        cls.home = tempfile.TemporaryDirectory(prefix="pricepipe-sts-")
        cls.addClassCleanup(cls.home.cleanup)
        moto_port, fake_port = free_port(), free_port()
        cls.moto_url = f"http://127.0.0.1:{moto_port}"
        cls.fake_url = f"http://127.0.0.1:{fake_port}"
        cls.start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], "moto.server",
                  cls.moto_url + "/moto-api/")
        cls.start([sys.executable, FAKEAWS, "--host", "127.0.0.1", "--port", str(fake_port), "--synthetic",
                   "--synthetic-regions", "2", "--synthetic-variants", "2", "--no-verify-signature"], "fakeaws",
                  cls.fake_url + "/_fakeaws/world")
        cls.config = os.path.join(cls.home.name, "config")
        cls.credentials = os.path.join(cls.home.name, "credentials")
        cls.token_file = os.path.join(cls.home.name, "token")
        with open(cls.token_file, "w") as f:
            f.write(WEB_TOKEN + "\n")
        with open(cls.credentials, "w") as f:
            f.write(f"[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = {SOURCE_SECRET}\n")
        with open(cls.config, "w") as f:
            f.write(f"""[profile reader]
role_arn = arn:aws:iam::123456789012:role/reader
source_profile = base
role_session_name = nightly-snapshot
external_id = finops-42
duration_seconds = 1800
[profile auditor]
role_arn = arn:aws:iam::210987654321:role/auditor
source_profile = reader
role_session_name = chained
[profile from-env]
role_arn = arn:aws:iam::123456789012:role/from-env
credential_source = Environment
role_session_name = from-env
[profile ci]
role_arn = arn:aws:iam::123456789012:role/ci
web_identity_token_file = {cls.token_file}
role_session_name = ci-job
""")

    @classmethod
    def start(cls, argv, what, probe):
        start_for_class(cls, argv, what, probe, cls.home.name)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_"))}
        env.update(AWS_ENDPOINT_URL=self.fake_url, AWS_ENDPOINT_URL_STS=self.moto_url, AWS_REGION="us-east-1",
                   AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=self.config,
                   AWS_SHARED_CREDENTIALS_FILE=self.credentials, HOME=self.home.name, **extra)
        return env

    def sessions(self):
        """moto's record of every role session it issued, by session name."""
        with urllib.request.urlopen(self.moto_url + "/moto-api/data.json", timeout=30) as r:
            data = json.load(r)
        return {s["session_name"]: s for s in data.get("sts", {}).get("AssumedRole", [])}

    def signers(self):
        """(access key, token hash) of every EC2 request fakeaws answered, and forgets them."""
        with urllib.request.urlopen(self.fake_url + "/_fakeaws/requests", timeout=30) as r:
            requests = json.load(r)
        urllib.request.urlopen(urllib.request.Request(self.fake_url + "/_fakeaws/requests", method="DELETE"),
                               timeout=30).close()
        return {(q.get("access_key"), q.get("token_sha256")) for q in requests if q.get("service") == "ec2"}

    def stream_regions(self, *global_flags, stream_flags=(), **env):
        run = subprocess.run([BIN, "-v", "--no-cache", *global_flags, "stream", "regions", *stream_flags],
                             env=self.env(**env),
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertGreater(len(run.stdout.splitlines()), 0)
        return run

    def assert_signed_by(self, session, run):
        token = hashlib.sha256(session["session_token"].encode()).hexdigest()
        self.assertEqual(self.signers(), {(session["access_key_id"], token)})
        for secret in (SOURCE_SECRET, WEB_TOKEN, session["secret_access_key"], session["session_token"]):
            self.assertNotIn(secret, run.stdout + run.stderr)

    def test_a_role_from_a_source_profile_sends_every_setting(self):
        run = self.stream_regions("--profile", "reader")
        session = self.sessions()["nightly-snapshot"]
        self.assertEqual(session["role_arn"], "arn:aws:iam::123456789012:role/reader")
        self.assertEqual(session["external_id"], "finops-42")
        self.assertIn("credentials from assume-role", run.stderr)
        self.assert_signed_by(session, run)

    def test_a_role_assumed_from_a_role(self):
        run = self.stream_regions("--profile", "auditor")
        sessions = self.sessions()
        self.assertIn("nightly-snapshot", sessions, "the first role is assumed to assume the second")
        chained = sessions["chained"]
        self.assertEqual(chained["role_arn"], "arn:aws:iam::210987654321:role/auditor")
        self.assert_signed_by(chained, run)

    def test_a_role_with_the_environment_as_its_source(self):
        run = self.stream_regions("--profile", "from-env", AWS_ACCESS_KEY_ID="AKIDENVSOURCE",
                                  AWS_SECRET_ACCESS_KEY=SOURCE_SECRET)
        self.assert_signed_by(self.sessions()["from-env"], run)

    def test_web_identity_from_the_environment_as_on_eks(self):
        run = self.stream_regions(AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file,
                                  AWS_ROLE_ARN="arn:aws:iam::123456789012:role/eks-pod",
                                  AWS_ROLE_SESSION_NAME="eks-pod-session")
        session = self.sessions()["eks-pod-session"]
        self.assertEqual(session["role_arn"], "arn:aws:iam::123456789012:role/eks-pod")
        self.assertIn("credentials from web-identity", run.stderr)
        self.assert_signed_by(session, run)

    def test_web_identity_from_a_profile(self):
        run = self.stream_regions("--profile", "ci")
        session = self.sessions()["ci-job"]
        self.assertEqual(session["role_arn"], "arn:aws:iam::123456789012:role/ci")
        self.assert_signed_by(session, run)

    def test_role_arns_read_each_account_as_its_role(self):
        roles = ["arn:aws:iam::111111111111:role/fleet-reader", "arn:aws:iam::222222222222:role/fleet-reader"]
        run = self.stream_regions("--profile", "base", stream_flags=("--role-arns", ",".join(roles)))
        rows = [json.loads(line) for line in run.stdout.splitlines()]
        by_account = {}
        for r in rows:
            by_account.setdefault(r["account_id"], []).append(r["region"])
        self.assertEqual(set(by_account), {"111111111111", "222222222222"})
        self.assertEqual(by_account["111111111111"], by_account["222222222222"])
        # One session per role, assumed with the source profile's keys; each account's requests signed with its own.
        issued = {s["role_arn"]: s for s in self.sessions().values() if s["role_arn"] in roles}
        self.assertEqual(set(issued), set(roles))
        expected = {(s["access_key_id"], hashlib.sha256(s["session_token"].encode()).hexdigest())
                    for s in issued.values()}
        self.assertEqual(self.signers(), expected)

    def test_the_account_of_plain_keys_is_what_sts_get_caller_identity_says(self):
        import boto3
        run = self.stream_regions("--profile", "base")
        accounts = {json.loads(line)["account_id"] for line in run.stdout.splitlines()}
        sts = boto3.client("sts", endpoint_url=self.moto_url, region_name="us-east-1", aws_access_key_id="AKIDSOURCE",
                           aws_secret_access_key=SOURCE_SECRET)
        self.assertEqual(accounts, {sts.get_caller_identity()["Account"]})
        self.signers()

    def test_no_secret_of_a_role_reaches_the_cache_the_metrics_or_a_debug_log(self):
        work = tempfile.mkdtemp(dir=self.home.name)
        seen = b""
        web = dict(AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file, AWS_ROLE_ARN="arn:aws:iam::1:role/eks",
                   AWS_ROLE_SESSION_NAME="traced-pod")
        for profile, env in ((["--profile", "auditor"], {}), ([], web)):
            args = [BIN, "--log-level", "trace", "--cache-dir", os.path.join(work, "cache"), "--metrics-out",
                    os.path.join(work, "metrics.json"), *profile, "stream", "regions"]
            run = subprocess.run(args, env=self.env(**env), capture_output=True, text=True, timeout=120)
            self.assertEqual(run.returncode, 0, run.stderr)
            seen += (run.stdout + run.stderr).encode()
        for root, _, files in os.walk(work):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    seen += f.read()
        sessions = self.sessions()
        secrets = [SOURCE_SECRET, WEB_TOKEN]
        for name in ("nightly-snapshot", "chained", "traced-pod"):
            secrets += [sessions[name]["secret_access_key"], sessions[name]["session_token"]]
        for secret in secrets:
            for form in {secret, urllib.parse.quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}:
                self.assertNotIn(form.encode(), seen, f"a form of a secret ({form[:6]}…) leaked")
        self.signers()


if __name__ == "__main__":
    unittest.main()
