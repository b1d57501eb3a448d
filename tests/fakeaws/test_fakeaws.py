"""fakeaws's fidelity, checked with boto3: a real AWS client must read from
it exactly what the world holds, paginate it, and meet AWS's errors."""

import datetime
import http.client
import json
import os
import sys
import time
import unittest
import unittest.mock
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import botocore.auth  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import world as world_module  # noqa: E402
from harness import FakeAws  # noqa: E402


SESSION_KEY, SESSION_SECRET, SESSION_TOKEN = "ASIAFAKESESSION", "session-secret", "session-token"
OTHER_KEY, OTHER_SECRET, OTHER_ACCOUNT = "AKIDOTHERACCOUNT", "other-secret", "210987654321"


class SharedServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws("--credentials", f"{FakeAws.ACCESS_KEY}:{FakeAws.SECRET_KEY}",
                           "--credentials", f"{SESSION_KEY}:{SESSION_SECRET}:{SESSION_TOKEN}",
                           "--credentials", f"{OTHER_KEY}:{OTHER_SECRET}::{OTHER_ACCOUNT}")
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

    def test_describe_regions_filters(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        not_opted_in = ec2.describe_regions(AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}])
        self.assertEqual({r["RegionName"] for r in not_opted_in["Regions"]},
                         {r.name for r in self.world.regions.values() if not r.enabled})
        europe = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["eu-*"]}], RegionNames=["eu-west-1", "us-east-1"])
        self.assertEqual([(r["RegionName"], r["Endpoint"]) for r in europe["Regions"]], [("eu-west-1", "ec2.eu-west-1.amazonaws.com")])
        self.assertEqual(self.error_code(lambda: ec2.describe_regions(Filters=[{"Name": "zone-name", "Values": ["x"]}])),
                         ("InvalidParameterValue", 400))

    def test_describe_availability_zones_by_id_and_filter(self):
        zones = self.world.region("eu-west-1").zones
        ec2 = self.fake.client("ec2", "eu-west-1")
        by_id = ec2.describe_availability_zones(ZoneIds=[zones[0][1]])["AvailabilityZones"]
        self.assertEqual([(z["ZoneName"], z["ZoneId"]) for z in by_id], [zones[0]])
        filtered = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": [zones[1][0]]},
                                                            {"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
        self.assertEqual([z["ZoneName"] for z in filtered], [zones[1][0]])
        self.assertEqual(ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["local-zone"]}])["AvailabilityZones"], [])

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

    def test_filters_reach_any_field(self):
        region = self.world.region("us-east-1")
        source = {name: self.world.instance_types[name] for name in region.instance_types}
        ec2 = self.fake.client("ec2", "us-east-1")

        def served(*filters):
            return {t["InstanceType"] for p in ec2.get_paginator("describe_instance_types").paginate(
                Filters=[{"Name": n, "Values": v} for n, v in filters]) for t in p["InstanceTypes"]}

        def expected(predicate):
            return {name for name, info in source.items() if predicate(info)}

        arm = expected(lambda i: "arm64" in i["ProcessorInfo"]["SupportedArchitectures"])
        self.assertEqual(served(("processor-info.supported-architecture", ["arm64"])), arm)
        self.assertEqual(served(("bare-metal", ["true"])), expected(lambda i: i["BareMetal"]))
        # Values of one filter are alternatives; filters must all hold.
        self.assertEqual(served(("processor-info.supported-architecture", ["arm64"]), ("vcpu-info.default-vcpus", ["2", "4"])),
                         {n for n in arm if source[n]["VCpuInfo"]["DefaultVCpus"] in (2, 4)})
        # Singular names for list members, as EC2 spells them.
        self.assertEqual(served(("supported-usage-class", ["capacity-block"])),
                         expected(lambda i: "capacity-block" in i["SupportedUsageClasses"]))
        self.assertEqual(served(("instance-storage-info.disk.type", ["hdd"])),
                         expected(lambda i: any(d["Type"] == "hdd" for d in i.get("InstanceStorageInfo", {}).get("Disks", []))))
        self.assertTrue(arm and served(("bare-metal", ["true"])))
        self.assertEqual(self.error_code(lambda: served(("no-such-field", ["x"]))), ("InvalidParameterValue", 400))

    def test_a_type_the_region_does_not_offer_does_not_exist_there(self):
        here = self.world.region("us-east-1")
        elsewhere = next(t for t in self.world.instance_types if t not in here.offered)
        ec2 = self.fake.client("ec2", "us-east-1")
        self.assertEqual(self.error_code(lambda: ec2.describe_instance_types(InstanceTypes=["m5.large", elsewhere])),
                         ("InvalidInstanceType", 400))

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

    def test_session_credentials_need_their_token(self):
        good = self.fake.client("ec2", "us-east-1", access_key=SESSION_KEY, secret_key=SESSION_SECRET,
                                aws_session_token=SESSION_TOKEN)
        self.assertTrue(good.describe_regions()["Regions"])
        wrong = self.fake.client("ec2", "us-east-1", access_key=SESSION_KEY, secret_key=SESSION_SECRET,
                                 aws_session_token="another-token")
        self.assertEqual(self.error_code(wrong.describe_regions), ("AuthFailure", 401))
        missing = self.fake.client("ec2", "us-east-1", access_key=SESSION_KEY, secret_key=SESSION_SECRET)
        self.assertEqual(self.error_code(missing.describe_regions), ("AuthFailure", 401))

    def test_a_request_dated_beyond_the_skew_has_expired(self):
        now = botocore.auth.get_current_datetime
        ec2 = self.fake.client("ec2", "us-east-1")
        with unittest.mock.patch("botocore.auth.get_current_datetime",
                                 lambda **kw: now(**kw) - datetime.timedelta(minutes=16)):
            self.assertEqual(self.error_code(ec2.describe_regions), ("RequestExpired", 400))

    def test_an_unsigned_request_lacks_the_access_key(self):
        status, headers, body = self.fake.signed("us-east-1", {"Action": "DescribeRegions"}, sign=False)
        self.assertEqual(status, 400)
        error = ET.fromstring(body)
        self.assertEqual(error.findtext("Errors/Error/Code"), "MissingParameter")
        self.assertEqual(error.findtext("RequestID"), headers["x-amzn-RequestId"])

    def test_sts_get_caller_identity_names_the_account_of_the_key(self):
        default = self.fake.client("sts", "us-east-1").get_caller_identity()
        self.assertEqual(default["Account"], "123456789012")
        other = self.fake.client("sts", "us-east-1", access_key=OTHER_KEY, secret_key=OTHER_SECRET)
        self.assertEqual(other.get_caller_identity()["Account"], OTHER_ACCOUNT)

    def test_accounts_differ_in_the_opt_in_regions_they_enabled(self):
        def regions(ec2):
            return {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(AllRegions=True)["Regions"]}
        default = regions(self.fake.client("ec2", "us-east-1"))
        other_ec2 = self.fake.client("ec2", "us-east-1", access_key=OTHER_KEY, secret_key=OTHER_SECRET)
        other = regions(other_ec2)
        self.assertEqual(set(default), set(other))
        self.assertEqual(default["af-south-1"], "not-opted-in")
        self.assertEqual(other["af-south-1"], "opted-in")
        self.assertNotIn("not-opted-in", other.values())
        self.assertTrue(self.fake.client("ec2", "af-south-1", access_key=OTHER_KEY,
                                         secret_key=OTHER_SECRET).describe_availability_zones()["AvailabilityZones"])

    def test_requests_are_logged_without_secrets(self):
        self.fake.control("DELETE", "requests")
        self.fake.client("ec2", "eu-west-1").describe_availability_zones()
        log = self.fake.requests()
        self.assertEqual(len(log), 1)
        entry = log[0]
        self.assertEqual((entry["action"], entry["region"], entry["status"]), ("DescribeAvailabilityZones", "eu-west-1", 200))
        self.assertNotIn(FakeAws.SECRET_KEY, json.dumps(log))


class TestProtocol(SharedServer):
    def test_get_with_a_query_string_works_like_post(self):
        status, _, body = self.fake.signed("eu-west-1", {"Action": "DescribeAvailabilityZones"}, method="GET")
        self.assertEqual(status, 200)
        root = ET.fromstring(body)
        ns = {"ec2": "http://ec2.amazonaws.com/doc/2016-11-15/"}
        self.assertEqual(root.tag, "{http://ec2.amazonaws.com/doc/2016-11-15/}DescribeAvailabilityZonesResponse")
        self.assertTrue(root.findtext("ec2:requestId", namespaces=ns))
        self.assertEqual(len(root.findall("ec2:availabilityZoneInfo/ec2:item", ns)), len(self.world.region("eu-west-1").zones))

    def test_one_connection_serves_many_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=30)
        try:
            self.fake.signed("us-east-1", {"Action": "DescribeRegions"}, connection=conn)
            sock = conn.sock
            for region in ("us-west-2", "eu-west-1"):
                status, _, _ = self.fake.signed(region, {"Action": "DescribeInstanceTypes", "MaxResults": "5"}, connection=conn)
                self.assertEqual(status, 200)
                self.assertIs(conn.sock, sock)
        finally:
            conn.close()

    def test_unknown_action_and_missing_version(self):
        status, _, body = self.fake.signed("us-east-1", {"Action": "DescribeEverything"})
        self.assertEqual((status, ET.fromstring(body).findtext("Errors/Error/Code")), (400, "InvalidAction"))
        status, _, body = self.fake.signed("us-east-1", {"Action": "DescribeRegions", "Version": ""})
        self.assertEqual((status, ET.fromstring(body).findtext("Errors/Error/Code")), (400, "InvalidParameterValue"))


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

    def test_broken_answers(self):
        regions = {"Action": "DescribeRegions"}
        self.fake.set_faults({"action": "DescribeRegions", "kind": "reset"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.fake.signed("us-east-1", regions)
        self.fake.set_faults({"action": "DescribeRegions", "kind": "malformed"})
        status, _, body = self.fake.signed("us-east-1", regions)
        self.assertEqual(status, 200)
        with self.assertRaises(ET.ParseError):
            ET.fromstring(body)
        self.fake.set_faults({"action": "DescribeRegions", "kind": "truncated"})
        with self.assertRaises(http.client.IncompleteRead):
            self.fake.signed("us-east-1", regions)
        # Each fault fired once: the next answer is whole.
        status, _, body = self.fake.signed("us-east-1", regions)
        self.assertEqual(status, 200)
        ET.fromstring(body)

    def test_slow_answers(self):
        types = {"Action": "DescribeInstanceTypes"}
        self.fake.set_faults({"action": "DescribeInstanceTypes", "region": "eu-west-1", "kind": "slow-body", "latency_ms": 300},
                             {"action": "DescribeInstanceTypes", "region": "us-west-2", "kind": "latency", "latency_ms": 300})
        for region in ("eu-west-1", "us-west-2"):
            started = time.monotonic()
            status, _, body = self.fake.signed(region, types)
            self.assertGreaterEqual(time.monotonic() - started, 0.25, region)
            self.assertEqual(status, 200)
            ET.fromstring(body)

    def test_boto3_retries_through_injected_throttling(self):
        self.fake.set_faults({"action": "DescribeAvailabilityZones", "region": "eu-west-1", "kind": "throttle", "count": 2})
        ec2 = self.fake.client("ec2", "eu-west-1", max_attempts=5)
        self.assertTrue(ec2.describe_availability_zones()["AvailabilityZones"])


class TestRequestLog(SharedServer):
    def test_log_records_each_request_in_the_api_and_the_file(self):
        self.fake.clear_requests()
        ec2 = self.fake.client("ec2", "us-west-2")
        first = ec2.describe_instance_types(MaxResults=5)
        ec2.describe_instance_types(MaxResults=5, NextToken=first["NextToken"])
        self.error_code(lambda: ec2.describe_instance_types(MaxResults=1))
        log = self.fake.requests()
        self.assertEqual([(e["action"], e["region"], e["service"], e["status"], e.get("page"), e.get("code")) for e in log],
                         [("DescribeInstanceTypes", "us-west-2", "ec2", 200, 1, None),
                          ("DescribeInstanceTypes", "us-west-2", "ec2", 200, 2, None),
                          ("DescribeInstanceTypes", "us-west-2", "ec2", 400, None, "InvalidParameterValue")])
        self.assertEqual(log[1]["params"], {"MaxResults": "5", "NextToken": first["NextToken"]})
        self.assertGreater(log[0]["bytes"], 0)
        self.assertEqual([e["seq"] for e in log], sorted(e["seq"] for e in log))
        # The file holds the same records (it is never cleared).
        by_seq = {e["seq"]: e for e in self.fake.logged_requests()}
        self.assertEqual([by_seq[e["seq"]] for e in log], log)
        self.assertNotIn(FakeAws.SECRET_KEY, json.dumps(list(by_seq.values())))


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
            self.assertIn(f"fakeaws: listening on {fake.url} (world: synthetic", fake.stderr())
        finally:
            self.assertEqual(fake.stop(), 0)  # SIGTERM shuts it down cleanly

    def test_the_world_is_deterministic(self):
        self.assertEqual(world_module.load().summary(), world_module.load().summary())
        self.assertEqual(world_module.synthetic_world().summary(), world_module.synthetic_world().summary())


if __name__ == "__main__":
    unittest.main()
