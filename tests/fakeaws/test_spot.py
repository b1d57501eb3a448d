"""fakeaws's spot data, read with boto3: DescribeSpotPriceHistory pages like
EC2, and the history is consistent with the advisor feed and on-demand
prices (spot ≈ on-demand × (1 − savings%))."""

import datetime
import json
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.exceptions import ClientError  # noqa: E402

from harness import FakeAws  # noqa: E402

UTC = datetime.timezone.utc


class TestSpot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws("--synthetic", "--synthetic-regions", "3", "--pricing-throttle-burst", "1000",
                           "--pricing-throttle-rate", "1000")
        cls.world = cls.fake.world()
        with urllib.request.urlopen(cls.fake.url + "/spot-advisor-data.json", timeout=30) as r:
            cls.advisor = json.load(r)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def region(self, name):
        (r,) = [r for r in self.world["regions"] if r["name"] == name]
        return r

    def test_paginator_reads_a_window_newest_first_each_change_once(self):
        ec2 = self.fake.client("ec2", "eu-west-1")
        start, end = datetime.datetime(2026, 10, 1, tzinfo=UTC), datetime.datetime(2026, 10, 8, tzinfo=UTC)
        types = ["m5.large", "c5.xlarge"]
        pages = list(ec2.get_paginator("describe_spot_price_history").paginate(
            InstanceTypes=types, ProductDescriptions=["Linux/UNIX (Amazon VPC)"], StartTime=start, EndTime=end,
            PaginationConfig={"PageSize": 20}))
        rows = [row for page in pages for row in page["SpotPriceHistory"]]
        zones = self.region("eu-west-1")["offerings"]
        expected_pairs = {(t, z) for z, offered in zones.items() for t in offered if t in types}
        self.assertEqual({(r["InstanceType"], r["AvailabilityZone"]) for r in rows}, expected_pairs)
        # Seven days of six-hourly changes: 29 observations per type and zone, both ends included.
        self.assertEqual(len(rows), 29 * len(expected_pairs))
        self.assertEqual(len({(r["InstanceType"], r["AvailabilityZone"], r["Timestamp"]) for r in rows}), len(rows))
        self.assertGreater(len(pages), 2)
        stamps = [r["Timestamp"] for r in rows]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        self.assertTrue(all(start <= s <= end for s in stamps))

    def test_start_equal_to_end_is_the_price_in_effect(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        at = datetime.datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
        rows = ec2.describe_spot_price_history(InstanceTypes=["m5.large"], StartTime=at, EndTime=at,
                                               ProductDescriptions=["Linux/UNIX (Amazon VPC)"])["SpotPriceHistory"]
        zones = [z for z, offered in self.region("us-east-1")["offerings"].items() if "m5.large" in offered]
        self.assertEqual(sorted(r["AvailabilityZone"] for r in rows), sorted(zones))
        self.assertTrue(all(r["Timestamp"] == datetime.datetime(2026, 11, 2, 0, 0, tzinfo=UTC) for r in rows))

    def test_prices_follow_on_demand_and_the_advisor_savings(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        pricing = self.fake.client("pricing", "us-east-1")
        at = datetime.datetime(2026, 11, 2, tzinfo=UTC)
        checked = 0
        for instance_type, entry in list(self.advisor["spot_advisor"]["us-east-1"]["Linux"].items())[:5]:
            page = pricing.get_products(ServiceCode="AmazonEC2", Filters=[
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
                {"Type": "TERM_MATCH", "Field": "instanceType", "Value": instance_type},
                {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
                {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
                {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
                {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"}])
            (item,) = [json.loads(i) for i in page["PriceList"]]
            (term,) = item["terms"]["OnDemand"].values()
            (dimension,) = term["priceDimensions"].values()
            on_demand = float(dimension["pricePerUnit"]["USD"])
            anchor = on_demand * (1 - entry["s"] / 100)
            rows = ec2.describe_spot_price_history(InstanceTypes=[instance_type], StartTime=at, EndTime=at,
                                                   ProductDescriptions=["Linux/UNIX (Amazon VPC)"])["SpotPriceHistory"]
            self.assertTrue(rows, instance_type)
            for r in rows:
                self.assertAlmostEqual(float(r["SpotPrice"]) / anchor, 1, delta=0.1001, msg=instance_type)
                checked += 1
        self.assertGreater(checked, 5)

    def test_a_type_without_spot_has_no_history(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        rows = ec2.describe_spot_price_history(InstanceTypes=["u-3tb1.56xlarge"])["SpotPriceHistory"]
        self.assertEqual(rows, [])

    def test_bad_windows_and_products_are_rejected_like_ec2(self):
        ec2 = self.fake.client("ec2", "us-east-1")
        for kwargs in ({"ProductDescriptions": ["BeOS"]},
                       {"StartTime": datetime.datetime(2026, 11, 2, tzinfo=UTC),
                        "EndTime": datetime.datetime(2026, 11, 1, tzinfo=UTC)}):
            with self.assertRaises(ClientError) as caught:
                ec2.describe_spot_price_history(**kwargs)
            self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_advisor_feed_has_the_real_shape(self):
        self.assertEqual([r["label"] for r in self.advisor["ranges"]], ["<5%", "5-10%", "10-15%", "15-20%", ">20%"])
        for region in ("us-east-1", "us-west-2", "eu-west-1"):
            linux = self.advisor["spot_advisor"][region]["Linux"]
            offered = set(self.region(region)["instance_types"])
            self.assertTrue(set(linux) <= offered)
            self.assertLess(len(linux), len(offered), "some types have no advisor entry")
            for entry in linux.values():
                self.assertIn(entry["r"], range(5))
                self.assertIn(entry["s"], range(0, 101))


if __name__ == "__main__":
    unittest.main()
