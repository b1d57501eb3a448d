"""fakeaws's fidelity, checked with boto3: a real AWS client must read from
it exactly what the world holds, paginate it, and meet AWS's errors."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.exceptions import ClientError  # noqa: E402

import world as world_module  # noqa: E402
from harness import FakeAws  # noqa: E402


class SharedServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws()
        cls.world = world_module.load()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.control("DELETE", "faults")

    def enabled_regions(self):
        return [r.name for r in self.world.regions.values() if r.enabled]

    def error_code(self, call):
        with self.assertRaises(ClientError) as caught:
            call()
        return caught.exception.response["Error"]["Code"], caught.exception.response["ResponseMetadata"]["HTTPStatusCode"]


class TestRegionsAndZones(SharedServer):
    def test_describe_regions_hides_regions_not_opted_in_unless_all_regions(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        enabled = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
        everything = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(AllRegions=True)["Regions"]}
        self.assertEqual(enabled, set(self.enabled_regions()))
        self.assertEqual(set(everything), set(self.world.regions))
        self.assertEqual(everything["af-south-1"], "not-opted-in")
        self.assertEqual(everything["us-east-1"], "opt-in-not-required")
        self.assertEqual(everything["ap-east-1"], "opted-in")

    def test_describe_availability_zones_per_region(self):
        for name in self.enabled_regions()[:5]:
            zones = self.fake.client("ec2", name).describe_availability_zones()["AvailabilityZones"]
            self.assertEqual({(z["ZoneName"], z["ZoneId"]) for z in zones}, set(self.world.region(name).zones))
            for z in zones:
                self.assertEqual(z["RegionName"], name)
                self.assertEqual(z["State"], "available")
                self.assertTrue(z["ZoneId"].startswith(world_module.zone_id_prefix(name) + "-az"))


class TestInstanceTypes(SharedServer):
    def test_paginator_reads_every_type_field_for_field(self):
        checked = set()
        for name in self.enabled_regions():
            ec2 = self.fake.client("ec2", name)
            seen = {}
            pages = 0
            for page in ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 100}):
                pages += 1
                self.assertLessEqual(len(page["InstanceTypes"]), 100)
                for t in page["InstanceTypes"]:
                    self.assertNotIn(t["InstanceType"], seen)
                    seen[t["InstanceType"]] = t
            self.assertEqual(set(seen), set(self.world.region(name).instance_types))
            self.assertGreater(pages, 1)
            for type_name, parsed in seen.items():
                if type_name in checked:
                    continue
                # boto3 parses the XML back into the model's shape: it must be the source data.
                self.assertEqual(parsed, self.world.instance_types[type_name], type_name)
                checked.add(type_name)
        self.assertGreater(len(checked), 500)

    def test_filters_and_explicit_types(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        types = [t["InstanceType"] for p in ec2.get_paginator("describe_instance_types").paginate(
            Filters=[{"Name": "instance-type", "Values": ["m5.*"]}]) for t in p["InstanceTypes"]]
        self.assertTrue(types)
        self.assertTrue(all(t.startswith("m5.") for t in types))
        two = ec2.describe_instance_types(InstanceTypes=["m5.large", "c5.xlarge"])["InstanceTypes"]
        self.assertEqual({t["InstanceType"] for t in two}, {"m5.large", "c5.xlarge"})

    def test_max_results_out_of_range(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        self.assertEqual(self.error_code(lambda: ec2.describe_instance_types(MaxResults=101)), ("InvalidParameterValue", 400))
        self.assertEqual(self.error_code(lambda: ec2.describe_instance_types(MaxResults=4)), ("InvalidParameterValue", 400))

    def test_a_bad_token_is_rejected(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        self.assertEqual(self.error_code(lambda: ec2.describe_instance_types(NextToken="garbage")), ("InvalidParameterValue", 400))
        token = ec2.describe_instance_types(MaxResults=5)["NextToken"]
        # A token is tied to its request: another region or filter cannot use it.
        other = self.fake.client("ec2", "eu-west-1")
        self.assertEqual(self.error_code(lambda: other.describe_instance_types(MaxResults=5, NextToken=token)),
                         ("InvalidParameterValue", 400))


class TestOfferings(SharedServer):
    def test_offerings_by_region_and_by_zone(self):
        name = "eu-west-1"
        ec2 = self.fake.client("ec2", name)
        paginator = ec2.get_paginator("describe_instance_type_offerings")
        by_region = {o["InstanceType"] for p in paginator.paginate() for o in p["InstanceTypeOfferings"]}
        self.assertEqual(by_region, set(self.world.region(name).instance_types))
        by_zone = set()
        for page in paginator.paginate(LocationType="availability-zone", PaginationConfig={"PageSize": 1000}):
            for o in page["InstanceTypeOfferings"]:
                self.assertEqual(o["LocationType"], "availability-zone")
                by_zone.add((o["InstanceType"], o["Location"]))
        expected = {(t, z) for z, types in self.world.region(name).offerings.items() for t in types}
        self.assertEqual(by_zone, expected)
        ids = {o["Location"] for p in paginator.paginate(LocationType="availability-zone-id") for o in p["InstanceTypeOfferings"]}
        self.assertEqual(ids, {i for _, i in self.world.region(name).zones})


class TestAuth(SharedServer):
    def test_wrong_secret_is_signature_does_not_match(self):
        ec2 = self.fake.client("ec2", "us-east-1", secret_key="not-the-secret")
        self.assertEqual(self.error_code(ec2.describe_regions), ("SignatureDoesNotMatch", 403))

    def test_unknown_key_is_auth_failure(self):
        ec2 = self.fake.client("ec2", "us-east-1", access_key="AKIDUNKNOWN")
        self.assertEqual(self.error_code(ec2.describe_regions), ("AuthFailure", 401))

    def test_a_region_not_enabled_answers_like_aws(self):
        ec2 = self.fake.client("ec2", "af-south-1")
        self.assertEqual(self.error_code(ec2.describe_instance_types), ("AuthFailure", 401))

    def test_requests_are_logged_without_secrets(self):
        self.fake.control("DELETE", "requests")
        self.fake.client("ec2", "eu-west-1").describe_availability_zones()
        log = self.fake.requests()
        self.assertEqual(len(log), 1)
        entry = log[0]
        self.assertEqual((entry["action"], entry["region"], entry["status"]), ("DescribeAvailabilityZones", "eu-west-1", 200))
        self.assertNotIn(FakeAws.SECRET_KEY, json.dumps(log))


class TestFaults(SharedServer):
    def test_an_injected_error_then_success(self):
        self.fake.set_faults({"action": "DescribeRegions", "kind": "error", "status": 500, "code": "InternalError", "count": 1})
        ec2 = self.fake.client("ec2", "us-east-1")
        self.assertEqual(self.error_code(ec2.describe_regions), ("InternalError", 500))
        self.assertTrue(ec2.describe_regions()["Regions"])

    def test_faults_match_the_page_of_a_chain(self):
        self.fake.set_faults({"action": "DescribeInstanceTypes", "region": "us-west-2", "page": 2, "kind": "throttle"})
        ec2 = self.fake.client("ec2", "us-west-2")
        first = ec2.describe_instance_types(MaxResults=100)
        self.assertEqual(self.error_code(lambda: ec2.describe_instance_types(MaxResults=100, NextToken=first["NextToken"])),
                         ("RequestLimitExceeded", 503))
        self.assertTrue(ec2.describe_instance_types(MaxResults=100, NextToken=first["NextToken"])["InstanceTypes"])

    def test_boto3_retries_through_injected_throttling(self):
        self.fake.set_faults({"action": "DescribeAvailabilityZones", "region": "eu-west-1", "kind": "throttle", "count": 2})
        ec2 = self.fake.client("ec2", "eu-west-1", max_attempts=5)
        self.assertTrue(ec2.describe_availability_zones()["AvailabilityZones"])


class TestThrottling(unittest.TestCase):
    def test_token_bucket_per_region_refills(self):
        fake = FakeAws("--throttle-burst", "3", "--throttle-rate", "5")
        try:
            ec2 = fake.client("ec2", "us-east-1")
            codes = []
            for _ in range(6):
                try:
                    ec2.describe_availability_zones()
                    codes.append("ok")
                except ClientError as e:
                    codes.append(e.response["Error"]["Code"])
            self.assertEqual(codes[:3], ["ok"] * 3)
            self.assertIn("RequestLimitExceeded", codes[3:])
            # Another region has its own bucket.
            fake.client("ec2", "eu-west-1").describe_availability_zones()
            time.sleep(0.5)
            ec2.describe_availability_zones()
        finally:
            fake.stop()


class TestSyntheticWorld(unittest.TestCase):
    def test_serves_without_the_shared_data(self):
        fake = FakeAws("--synthetic")
        try:
            world = fake.world()
            self.assertTrue(world["source"].startswith("synthetic"))
            names = {r["name"] for r in world["regions"]}
            self.assertIn("us-east-1", names)
            ec2 = fake.client("ec2", "us-east-1")
            types = {t["InstanceType"]: t for p in ec2.get_paginator("describe_instance_types").paginate(
                PaginationConfig={"PageSize": 5}) for t in p["InstanceTypes"]}
            expected = next(r for r in world["regions"] if r["name"] == "us-east-1")["instance_types"]
            self.assertEqual(set(types), set(expected))
            synthetic = world_module.synthetic_types()
            for name, parsed in types.items():
                self.assertEqual(parsed, synthetic[name])
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main()
