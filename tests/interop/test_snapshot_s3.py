"""A snapshot to S3: fakeaws answers EC2 and the Price List, moto's server
is the bucket.

`pricepipe snapshot --out s3://BUCKET/PREFIX` writes the layout a directory
gets; boto3 reads every object back and checks it against the manifest
(size, SHA-256, rows, the snapshot column), the stored checksums, `latest`,
and that no multipart upload is left. The parts are byte for byte those of
the same snapshot written to a directory. A snapshot killed while a
multipart upload is open is resumed and ends with the same parts, and the
upload it left is aborted. A snapshot written in two shards and merged in
the bucket (`snapshot merge s3://…`) lists the whole snapshot's parts.

Needs PRICEPIPE_BIN and a python3 with boto3 and moto 5.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import boto3

from servers import free_port, start_for_class

BIN = os.environ.get("PRICEPIPE_BIN")
HERE = os.path.dirname(os.path.abspath(__file__))
FAKEAWS = os.path.join(HERE, "..", "fakeaws", "fakeaws.py")
BUCKET = "pricepipe-lake"
WINDOW = ["--since", "2026-11-30T00:00:00Z", "--until", "2026-12-01T00:00:00Z"]


class SnapshotToS3(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        cls.home = tempfile.TemporaryDirectory(prefix="pricepipe-s3-")
        cls.addClassCleanup(cls.home.cleanup)
        cls.servers = []
        moto_port, fake_port = free_port(), free_port()
        cls.moto_url = f"http://127.0.0.1:{moto_port}"
        cls.fake_url = f"http://127.0.0.1:{fake_port}"
        cls.start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], "moto.server",
                  cls.moto_url + "/moto-api/")
        # Slow answers, so that a run is under way long enough to be killed mid-upload.
        cls.start([sys.executable, FAKEAWS, "--host", "127.0.0.1", "--port", str(fake_port), "--synthetic",
                   "--synthetic-regions", "3", "--synthetic-variants", "120", "--latency-ms", "10"], "fakeaws", cls.fake_url + "/_fakeaws/world")
        cls.s3 = boto3.client("s3", endpoint_url=cls.moto_url, region_name="us-east-1",
                              aws_access_key_id="AKIDFAKEAWS", aws_secret_access_key="fakeaws-secret-key")
        cls.s3.create_bucket(Bucket=BUCKET)
        # The snapshot both tests compare with, written once.
        cls.cache = os.path.join(cls.home.name, "cache-a")
        r = subprocess.run(cls.snapshot_args(f"s3://{BUCKET}/whole"), env=cls.env(cls.cache), capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"the snapshot to S3 failed ({r.returncode}):\n{r.stderr}")

    @classmethod
    def start(cls, argv, what, probe):
        start_for_class(cls, argv, what, probe, cls.home.name)

    @classmethod
    def env(cls, cache):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PRICEPIPE_"))}
        env.update(AWS_ENDPOINT_URL=cls.fake_url, AWS_ENDPOINT_URL_S3=cls.moto_url,
                   AWS_ACCESS_KEY_ID="AKIDFAKEAWS", AWS_SECRET_ACCESS_KEY="fakeaws-secret-key",
                   AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                   PRICEPIPE_PRICE_LIST_URL=cls.fake_url,
                   PRICEPIPE_SPOT_ADVISOR_URL=cls.fake_url + "/spot-advisor-data.json",
                   PRICEPIPE_CACHE_DIR=cache)
        return env

    @staticmethod
    def snapshot_args(out, *extra):
        # Uncompressed parts of up to 32 MiB: the large ones are multipart uploads of 8 MiB parts.
        return [BIN, "--max-concurrency", "4", "snapshot", "--out", out, "--id", "s1", "--compression", "none",
                "--part-size", "32M", *WINDOW, *extra]

    def run_snapshot(self, out, cache, *extra):
        r = subprocess.run(self.snapshot_args(out, *extra), env=self.env(cache), capture_output=True, text=True,
                           timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def get(self, key):
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def keys(self, prefix):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return out

    def uploads(self, prefix):
        return self.s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])

    def check_against_manifest(self, prefix):
        """Every object of the snapshot under `prefix` as its manifest says; the manifest's parts."""
        manifest = json.loads(self.get(f"{prefix}/s1/manifest.json"))
        self.assertTrue(manifest["complete"])
        self.assertEqual(manifest["missing"], [])
        listed = set()
        multipart = 0
        for part in manifest["parts"]:
            key = f"{prefix}/s1/{part['path']}"
            listed.add(key)
            body = self.get(key)
            self.assertEqual(len(body), part["bytes"], key)
            self.assertEqual(hashlib.sha256(body).hexdigest(), part["sha256"], key)
            lines = body.decode().splitlines()
            self.assertEqual(len(lines), part["rows"], key)
            for line in lines[:3] + lines[-3:]:
                row = json.loads(line)
                self.assertEqual(row["snapshot_id"], "s1")
                self.assertEqual(row["region"], part["region"])
            head = self.s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
            self.assertIn("ChecksumSHA256", head, key)
            if part["bytes"] > 8 << 20:  # uploaded in parts of 8 MiB: a multipart ETag, "-N"
                multipart += 1
                self.assertTrue(head["ETag"].strip('"').endswith(f"-{(part['bytes'] + (8 << 20) - 1) // (8 << 20)}"),
                                head["ETag"])
        self.assertGreater(multipart, 0, "no part was large enough for a multipart upload")
        for key in self.keys(f"{prefix}/s1/dataset="):
            self.assertIn(key, listed, "an object among the parts that the manifest does not list")
        self.assertTrue(any(k.startswith(f"{prefix}/s1/_schema/catalog/") for k in self.keys(f"{prefix}/s1/_schema/")))
        self.assertEqual(self.get(f"{prefix}/latest"), b"s1\n")
        self.assertEqual(self.keys(f"{prefix}/s1/_progress"), [])
        self.assertEqual(self.keys(f"{prefix}/s1/_snapshot.json"), [])
        self.assertEqual(self.uploads(f"{prefix}/"), [])
        return manifest["parts"]

    def test_the_layout_of_a_directory_checked_object_by_object(self):
        parts = self.check_against_manifest("whole")
        # The same snapshot to a directory (the same answers, from the cache): the same parts, byte for byte.
        local = os.path.join(self.home.name, "local")
        self.run_snapshot(local, self.cache)
        with open(os.path.join(local, "s1", "manifest.json")) as f:
            local_parts = json.load(f)["parts"]
        self.assertEqual([(p["path"], p["sha256"]) for p in parts], [(p["path"], p["sha256"]) for p in local_parts])

    def test_shards_written_to_s3_and_merged_there_are_the_whole_snapshot(self):
        merge = [BIN, "snapshot", "merge", f"s3://{BUCKET}/sharded/s1"]
        first = subprocess.run(self.snapshot_args(f"s3://{BUCKET}/sharded", "--shard", "1/2"), env=self.env(self.cache),
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(first.returncode, 0, first.stderr)
        early = subprocess.run(merge, env=self.env(self.cache), capture_output=True, text=True, timeout=120)
        self.assertEqual(early.returncode, 7, early.stderr)
        self.assertIn("waiting for shard 2/2", early.stderr)
        self.assertEqual(self.keys("sharded/s1/manifest.json"), [])
        second = subprocess.run(self.snapshot_args(f"s3://{BUCKET}/sharded", "--shard", "2/2"), env=self.env(self.cache),
                                capture_output=True, text=True, timeout=300)
        self.assertEqual(second.returncode, 0, second.stderr)
        merged = subprocess.run(merge, env=self.env(self.cache), capture_output=True, text=True, timeout=120)
        self.assertEqual(merged.returncode, 0, merged.stderr)
        parts = self.check_against_manifest("sharded")
        self.assertEqual(parts, json.loads(self.get("whole/s1/manifest.json"))["parts"])
        self.assertEqual(len(self.keys("sharded/s1/_shards/")), 2)

    def test_keep_removes_the_older_complete_snapshots(self):
        out = f"s3://{BUCKET}/kept"
        for snapshot_id in ("k1", "k2", "k3"):
            args = [BIN, "snapshot", "--out", out, "--id", snapshot_id, "--keep", "2", "--datasets",
                    "regions,availability-zones"]
            r = subprocess.run(args, env=self.env(self.cache), capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.keys("kept/k1/"), [])
        self.assertIn("kept/k2/manifest.json", self.keys("kept/k2/"))
        self.assertIn("kept/k3/manifest.json", self.keys("kept/k3/"))
        self.assertEqual(self.get("kept/latest"), b"k3\n")

    def test_a_snapshot_killed_mid_upload_resumes_to_the_same_parts(self):
        cache = os.path.join(self.home.name, "cache-b")
        expected = [(p["path"], p["sha256"]) for p in json.loads(self.get("whole/s1/manifest.json"))["parts"]]

        out = f"s3://{BUCKET}/killed"
        run = subprocess.Popen(self.snapshot_args(out), env=self.env(cache), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        killed = False
        deadline = time.monotonic() + 120
        while run.poll() is None and time.monotonic() < deadline:
            if self.uploads("killed/"):
                run.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        run.wait(30)
        stderr = run.stderr.read().decode()
        run.stderr.close()
        self.assertTrue(killed, "the run ended before a multipart upload was open: " + stderr)
        self.assertNotIn("killed/s1/manifest.json", self.keys("killed/"))
        self.assertTrue(self.uploads("killed/"), "the killed run's upload should still be open")

        r = self.run_snapshot(out, cache, "--resume")
        self.assertIn("resuming", r.stderr)
        parts = self.check_against_manifest("killed")  # no upload left: the dangling one was aborted
        self.assertEqual([(p["path"], p["sha256"]) for p in parts], expected)


if __name__ == "__main__":
    unittest.main()
