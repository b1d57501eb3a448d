"""The deployment files of deploy/ against the pricepipe they deploy.

Every Kubernetes manifest (deploy/kubernetes/*.yaml, read with PyYAML) and
AWS Batch job definition (deploy/aws-batch/*.json) is parsed, and what each
container is given is checked against what pricepipe reads: a PRICEPIPE_*
variable is one `pricepipe --help` (or its commands') names, any other
variable is documented in docs/cli.md, read by the pipeline file the
container runs, or used by its own script; every flag exists; the shard
counts agree with the Job's completions and the array size. Then the
sharded ones are run for real: the Indexed Job's script in four processes
(JOB_COMPLETION_INDEX 0-3) and the array job's command in four children
(AWS_BATCH_JOB_ARRAY_INDEX 0-3) then its merge job, against fakeaws and a
redis-server started here, with the snapshot directory on local disk; the
merged snapshot must verify.

Needs PRICEPIPE_BIN, python3 with PyYAML, and redis-server.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
from servers import free_port, start_for_class  # noqa: E402

BIN = os.environ.get("PRICEPIPE_BIN")
FAKEAWS = os.path.join(ROOT, "tests", "fakeaws", "fakeaws.py")
K8S = os.path.join(ROOT, "deploy", "kubernetes")
BATCH = os.path.join(ROOT, "deploy", "aws-batch")


def k8s_documents():
    out = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml"):
            with open(os.path.join(K8S, name)) as f:
                out[name] = [d for d in yaml.safe_load_all(f) if d]
    return out


def batch_definitions():
    out = {}
    for name in sorted(os.listdir(BATCH)):
        if name.endswith(".json"):
            with open(os.path.join(BATCH, name)) as f:
                out[name] = json.load(f)
    return out


def pod_spec(doc):
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if doc["kind"] in ("Job", "Deployment"):
        return doc["spec"]["template"]["spec"]
    return None


def help_text(*command):
    run = subprocess.run([BIN, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        cls.helps = {c: help_text(*c) for c in [(), ("snapshot",), ("snapshot", "merge"), ("run",)]}
        cls.read_env = set()
        for text in cls.helps.values():
            cls.read_env.update(re.findall(r"Env: ([A-Z0-9_]+)", text))
        with open(os.path.join(ROOT, "docs", "cli.md")) as f:
            cls.cli_doc = f.read()

    def check_env(self, where, names, script, pipeline_vars=()):
        for name in names:
            with self.subTest(where=where, variable=name):
                if name.startswith("PRICEPIPE_"):
                    self.assertIn(name, self.read_env, f"{where}: pricepipe reads no {name}")
                else:
                    documented = re.search(rf"\b{name}\b", self.cli_doc)
                    self.assertTrue(documented or name in pipeline_vars or re.search(rf"\${{?{name}\b", script),
                                    f"{where}: {name} is neither read by pricepipe (docs/cli.md), nor by the "
                                    "pipeline it runs, nor by its script")

    def check_flags(self, where, words, command):
        text = self.helps[command] + self.helps[()]  # global options may follow the command
        for flag in [w for w in words if w.startswith("--")]:
            with self.subTest(where=where, flag=flag):
                self.assertRegex(text, rf"(^|\s|,){re.escape(flag)}\b", f"{where}: pricepipe {' '.join(command)} has no {flag}")

    def test_kubernetes_manifests_pass_what_pricepipe_reads(self):
        docs = k8s_documents()
        self.assertEqual(set(docs), {"cronjob.yaml", "redis.yaml", "serviceaccount.yaml", "sharded-snapshot.yaml"})
        account = docs["serviceaccount.yaml"][0]
        self.assertEqual(account["kind"], "ServiceAccount")
        self.assertRegex(account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], r"^arn:aws:iam::\d{12}:role/")
        for name in ("cronjob.yaml", "sharded-snapshot.yaml"):
            doc = docs[name][0]
            spec = pod_spec(doc)
            self.assertEqual(spec["serviceAccountName"], account["metadata"]["name"], f"{name}: IRSA service account")
            (container,) = spec["containers"]
            env = {e["name"]: e for e in container["env"]}
            script = " ".join(container.get("command", []) + container.get("args", []))
            self.assertEqual(env["PRICEPIPE_CACHE_URL"]["value"].split("://")[0], "redis")
            pipeline_vars = ()
            if name == "cronjob.yaml":
                self.assertEqual(container["args"][0], "run")
                pipeline = os.path.join(ROOT, "pipelines", os.path.basename(container["args"][1]))
                with open(pipeline) as f:
                    text = f.read()
                pipeline_vars = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
                required = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))  # no default
                self.assertLessEqual(required, set(env), f"{name}: the pipeline needs {required - set(env)}")
                self.check_flags(name, container["args"], ("run",))
            else:
                self.assertEqual(doc["spec"]["completionMode"], "Indexed")
                self.assertEqual(int(env["PRICEPIPE_SHARD_COUNT"]["value"]), doc["spec"]["completions"])
                self.assertEqual(doc["spec"]["parallelism"], doc["spec"]["completions"])
                self.assertEqual(env["JOB_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.labels['job-name']")
                for line in container["args"][0].splitlines():
                    words = line.split()
                    if "pricepipe" in words:
                        rest = words[words.index("pricepipe") + 1:]
                        command = ("snapshot", "merge") if rest[:2] == ["snapshot", "merge"] else ("snapshot",)
                        self.check_flags(name, rest, command)
            self.check_env(name, env, script, pipeline_vars)

    def test_aws_batch_definitions_pass_what_pricepipe_reads(self):
        defs = batch_definitions()
        shard, merge = defs["job-definition.json"], defs["merge-job-definition.json"]
        with open(os.path.join(BATCH, "submit.sh")) as f:
            submit = f.read()
        for name, d in defs.items():
            props = d["containerProperties"]
            self.assertRegex(props["jobRoleArn"], r"^arn:aws:iam::\d{12}:role/", f"{name}: credentials from the job role")
            for word in props["command"]:
                for ref in re.findall(r"Ref::([a-z_]+)", word):
                    self.assertIn(ref, d["parameters"], f"{name}: Ref::{ref} has no default")
            names = [e["name"] for e in props.get("environment", [])] + [s["name"] for s in props.get("secrets", [])]
            self.check_env(name, names, "")
        self.check_flags("job-definition.json", shard["containerProperties"]["command"], ("snapshot",))
        self.check_flags("merge-job-definition.json", merge["containerProperties"]["command"], ("snapshot", "merge"))
        count = {e["name"]: e["value"] for e in shard["containerProperties"]["environment"]}["PRICEPIPE_SHARD_COUNT"]
        self.assertIn(f"shards={count}", submit.replace(" ", ""), "submit.sh's array size is the shard count")
        self.assertIn("--depends-on", submit)


class ShardedRuns(unittest.TestCase):
    """The sharded manifests' commands, run as their schedulers would run them."""

    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        if not shutil.which("redis-server"):
            raise unittest.SkipTest("redis-server is not installed (Debian package redis-server)")
        cls.work = tempfile.TemporaryDirectory(prefix="pricepipe-deploy-")
        cls.addClassCleanup(cls.work.cleanup)
        fake_port, redis_port = free_port(), free_port()
        cls.fake_url = f"http://127.0.0.1:{fake_port}"
        cls.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        start_for_class(cls, [sys.executable, FAKEAWS, "--host", "127.0.0.1", "--port", str(fake_port), "--synthetic",
                              "--synthetic-regions", "3", "--synthetic-variants", "3"],
                        "fakeaws", cls.fake_url + "/_fakeaws/world", cls.work.name)
        start_for_class(cls, ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", cls.work.name], "redis-server", redis_port, cls.work.name)
        cls.bin_dir = os.path.join(cls.work.name, "bin")
        os.makedirs(cls.bin_dir)
        os.symlink(BIN, os.path.join(cls.bin_dir, "pricepipe"))

    def base_env(self, given):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_", "JOB_"))}
        env.update(given)
        # Here, not AWS: fakeaws for AWS, the local Redis for the cluster's.
        env.update(PATH=self.bin_dir + os.pathsep + env.get("PATH", ""), AWS_ENDPOINT_URL=self.fake_url,
                   PRICEPIPE_PRICE_LIST_URL=self.fake_url, PRICEPIPE_SPOT_ADVISOR_URL=self.fake_url + "/spot-advisor-data.json",
                   AWS_ACCESS_KEY_ID="AKIDFAKEAWS", AWS_SECRET_ACCESS_KEY="fakeaws-secret-key",
                   AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent", PRICEPIPE_CACHE_URL=self.redis_url,
                   PRICEPIPE_CACHE_DIR=tempfile.mkdtemp(dir=self.work.name))
        env.pop("REDISCLI_AUTH", None)
        return env

    def verify(self, snapshot):
        run = subprocess.run([BIN, "snapshot", "verify", snapshot], capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        with open(os.path.join(snapshot, "manifest.json")) as f:
            self.assertTrue(json.load(f)["complete"])

    def test_the_indexed_job_writes_one_snapshot_and_its_first_pod_merges_it(self):
        (job,) = k8s_documents()["sharded-snapshot.yaml"]
        (container,) = pod_spec(job)["containers"]
        snapshots = os.path.join(self.work.name, "k8s")
        given = {e["name"]: e.get("value", "") for e in container["env"]}
        given.update(SNAPSHOTS=snapshots, JOB_NAME="pricepipe-snapshot-x7k2p", MERGE_WAIT="1", MERGE_TRIES="120")
        self.assertEqual(container["command"], ["/bin/sh", "-c"])
        pods = []
        for index in range(job["spec"]["completions"]):
            env = self.base_env(given)
            env["JOB_COMPLETION_INDEX"] = str(index)
            pods.append(subprocess.Popen(["/bin/sh", "-c", container["args"][0]], env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True))
        for index, pod in enumerate(pods):
            out, err = pod.communicate(timeout=600)
            self.assertEqual(pod.returncode, 0, f"pod {index}: {err}")
        self.verify(os.path.join(snapshots, "pricepipe-snapshot-x7k2p"))
        self.assertEqual(os.readlink(os.path.join(snapshots, "latest")), "pricepipe-snapshot-x7k2p")

    def test_the_array_job_and_its_merge(self):
        defs = batch_definitions()
        snapshots = os.path.join(self.work.name, "batch")

        def command(d):
            params = dict(d["parameters"], snapshots=snapshots, snapshot_id="nightly-batch")
            return [BIN] + [re.sub(r"Ref::([a-z_]+)", lambda m: params[m.group(1)], w)
                            for w in d["containerProperties"]["command"]]

        shard = defs["job-definition.json"]
        given = {e["name"]: e["value"] for e in shard["containerProperties"]["environment"]}
        children = []
        for index in range(int(given["PRICEPIPE_SHARD_COUNT"])):
            env = self.base_env(given)
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
            children.append(subprocess.Popen(command(shard), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             text=True))
        for index, child in enumerate(children):
            out, err = child.communicate(timeout=600)
            self.assertEqual(child.returncode, 0, f"child {index}: {err}")
        merge = defs["merge-job-definition.json"]
        env = self.base_env({e["name"]: e["value"] for e in merge["containerProperties"]["environment"]})
        run = subprocess.run(command(merge), env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.verify(os.path.join(snapshots, "nightly-batch"))


if __name__ == "__main__":
    unittest.main()
