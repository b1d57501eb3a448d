"""fakeaws's Pricing API and bulk Price List, checked with boto3 and plain HTTP."""

import json
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from botocore.exceptions import ClientError  # noqa: E402

import pricing  # noqa: E402
import world as world_module  # noqa: E402
from harness import FakeAws  # noqa: E402


class Pricing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws("--pricing-throttle-burst", "1000", "--pricing-throttle-rate", "1000")

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.control("DELETE", "faults")

    def pricing(self, **kwargs):
        return self.fake.client("pricing", "us-east-1", **kwargs)

    def get(self, path, headers=None):
        request = urllib.request.Request(self.fake.url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()

    def test_get_products_paginates_price_list_items(self):
        paginator = self.pricing().get_paginator("get_products")
        items = []
        pages = 0
        for page in paginator.paginate(ServiceCode="AmazonEC2", Filters=[
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
                {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
                {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"}]):
            pages += 1
            self.assertLessEqual(len(page["PriceList"]), 100)
            items += [json.loads(i) for i in page["PriceList"]]
        self.assertGreater(pages, 2)
        skus = [i["product"]["sku"] for i in items]
        self.assertEqual(len(skus), len(set(skus)))
        for item in items:
            a = item["product"]["attributes"]
            self.assertEqual((a["regionCode"], a["operatingSystem"], a["tenancy"]), ("eu-west-1", "Linux", "Shared"))
            (term,) = item["terms"]["OnDemand"].values()
            (dimension,) = term["priceDimensions"].values()
            self.assertGreater(float(dimension["pricePerUnit"]["USD"]), 0)
            self.assertEqual(item["publicationDate"], "2026-11-01T00:00:00Z")

    def test_prices_are_anchored_on_the_real_us_east_1_prices(self):
        page = self.pricing().get_products(ServiceCode="AmazonEC2", Filters=[
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "m5.large"},
            {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
            {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"}])
        (item,) = [json.loads(i) for i in page["PriceList"]]
        (term,) = item["terms"]["OnDemand"].values()
        (dimension,) = term["priceDimensions"].values()
        if self.fake.world()["source"].startswith("synthetic"):
            # Without the shared data, prices follow vCPUs and memory.
            expected = pricing.synthetic_base_prices(world_module.synthetic_types())["m5.large"]["linux"]
        else:
            expected = 0.096  # the real m5.large Linux price in us-east-1
        self.assertEqual(dimension["pricePerUnit"]["USD"], f"{expected:.10f}")
        self.assertEqual(len(item["terms"]["Reserved"]), 6)

    def test_errors_are_json_with_the_type(self):
        with self.assertRaises(ClientError) as caught:
            self.pricing().get_products(ServiceCode="AmazonS3")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidParameterException")
        with self.assertRaises(ClientError) as caught:
            self.pricing().get_products(ServiceCode="AmazonEC2", NextToken="bad")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidNextTokenException")
        with self.assertRaises(ClientError) as caught:
            self.pricing(secret_key="wrong").get_products(ServiceCode="AmazonEC2")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidSignatureException")

    def test_injected_throttling_is_a_throttling_exception(self):
        self.fake.set_faults({"action": "GetProducts", "kind": "throttle", "count": 1})
        with self.assertRaises(ClientError) as caught:
            self.pricing().get_products(ServiceCode="AmazonEC2", MaxResults=1)
        self.assertEqual(caught.exception.response["Error"]["Code"], "ThrottlingException")
        self.assertTrue(self.pricing().get_products(ServiceCode="AmazonEC2", MaxResults=1)["PriceList"])

    def test_bulk_index_chain_and_offer_file(self):
        _, _, body = self.get("/offers/v1.0/aws/index.json")
        ec2 = json.loads(body)["offers"]["AmazonEC2"]
        _, _, body = self.get(ec2["currentRegionIndexUrl"])
        url = json.loads(body)["regions"]["eu-west-1"]["currentVersionUrl"]
        status, headers, body = self.get(url)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Accept-Ranges"], "bytes")
        offer = json.loads(body)
        self.assertEqual(offer["offerCode"], "AmazonEC2")
        self.assertEqual(set(offer["terms"]["OnDemand"]), set(offer["products"]))
        # The API and the file describe the same products at the same prices.
        api = {}
        some_type = next(iter(offer["products"].values()))["attributes"]["instanceType"]
        for page in self.pricing().get_paginator("get_products").paginate(ServiceCode="AmazonEC2", Filters=[
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
                {"Type": "TERM_MATCH", "Field": "instanceType", "Value": some_type}]):
            for i in page["PriceList"]:
                item = json.loads(i)
                api[item["product"]["sku"]] = item["terms"]["OnDemand"]
        self.assertTrue(api)
        for sku, on_demand in api.items():
            self.assertEqual(offer["terms"]["OnDemand"][sku], on_demand)

    def test_ranges_resume_a_download(self):
        _, _, body = self.get("/offers/v1.0/aws/AmazonEC2/current/region_index.json")
        url = json.loads(body)["regions"]["us-west-2"]["currentVersionUrl"]
        _, _, whole = self.get(url)
        status, headers, tail = self.get(url, {"Range": "bytes=1000-"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["Content-Range"], f"bytes 1000-{len(whole) - 1}/{len(whole)}")
        self.assertEqual(tail, whole[1000:])

    def test_savings_plans_index_and_file(self):
        _, _, body = self.get("/offers/v1.0/aws/index.json")
        index_url = json.loads(body)["offers"]["AmazonEC2"]["currentSavingsPlanIndexUrl"]
        _, _, body = self.get(index_url)
        regions = {r["regionCode"]: r["versionUrl"] for r in json.loads(body)["regions"]}
        _, _, body = self.get(regions["eu-west-1"])
        plans = json.loads(body)
        self.assertEqual(plans["regionCode"], "eu-west-1")
        families = {p["productFamily"] for p in plans["products"]}
        self.assertEqual(families, {"ComputeSavingsPlans", "EC2InstanceSavingsPlans"})
        for term in plans["terms"]["savingsPlan"]:
            for rate in term["rates"]:
                self.assertEqual(rate["discountedServiceCode"], "AmazonEC2")
                self.assertGreater(float(rate["discountedRate"]["price"]), 0)

    def test_prerendered_files_are_the_ones_generated_on_request(self):
        import bulk
        world = world_module.load(None, synthetic=True, synthetic_regions=2, synthetic_variants=2)
        prices = pricing.PriceWorld(world, world_module.default_data_dir())
        prerendered = bulk.BulkPriceList(prices, prerender=True)
        on_request = bulk.BulkPriceList(prices)
        paths = prerendered.paths()
        self.assertEqual(len(paths), 3 + 2 * len(world.regions))
        self.assertEqual(set(prerendered.cache), set(paths))
        for path in paths:
            self.assertEqual(prerendered.document(path), on_request.document(path), path)
        self.assertEqual(len(on_request.cache), 4)  # on request, only the most recent four are kept
        self.assertEqual(len(prerendered.cache), len(paths))

    def test_a_missing_file_is_404(self):
        with self.assertRaises(urllib.error.HTTPError) as caught:
            self.get("/offers/v1.0/aws/AmazonEC2/20261101000000/xx-nowhere-1/index.json")
        self.assertEqual(caught.exception.code, 404)


if __name__ == "__main__":
    unittest.main()
