"""Interop with a third-party EC2 implementation: moto's server.

pricepipe streams a dataset from `python3 -m moto.server`; boto3 reads the
same server; this file maps boto3's dicts to pricepipe's records with its own,
independent implementation of the mapping (the rules of docs/datasets.md,
written again in Python) and compares every field of every record. A field
pricepipe writes that this mapping does not know is a failure too, so a new
field cannot go unchecked.

Needs PRICEPIPE_BIN (the pricepipe binary) and a python3 with boto3 and moto 5.
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import boto3

from servers import free_port, wait_until_answering

BIN = os.environ.get("PRICEPIPE_BIN")
REGIONS = ("us-east-1", "eu-west-1")
DIFFS_SHOWN = 25


def gib(mib):
    return None if mib is None else mib / 1024.0


def common(values):
    """The value every entry reports; None when one does not or two differ."""
    if not values or values[0] is None or any(v != values[0] for v in values):
        return None
    return values[0]


def joined(names):
    """Distinct non-empty names in first-seen order, joined with '+'."""
    distinct = []
    for name in names:
        if name and name not in distinct:
            distinct.append(name)
    return "+".join(distinct) or None


def devices(info, list_key, total_key):
    """A device list summarized the way docs/datasets.md says."""
    info = info or {}
    entries = info.get(list_key, [])
    memories = [e.get("MemoryInfo", {}).get("SizeInMiB") for e in entries]
    total = info.get(total_key)
    if total is None and entries and all(m is not None for m in memories):
        total = sum(m * e.get("Count", 0) for m, e in zip(memories, entries))
    return {
        "count": sum(e.get("Count", 0) for e in entries),
        "model": joined(e.get("Name") for e in entries),
        "manufacturer": joined(e.get("Manufacturer") for e in entries),
        "memory_gib": gib(common(memories)),
        "total_memory_gib": gib(total),
        "entries": entries,
    }


def summed_over_cards(cards, key):
    values = [c.get(key) for c in cards]
    return sum(values) if values and all(v is not None for v in values) else None


def expected_instance_type(region, t):
    """boto3's InstanceTypeInfo → pricepipe's instance-types record."""
    vcpu = t.get("VCpuInfo", {})
    cpu = t.get("ProcessorInfo", {})
    net = t.get("NetworkInfo", {})
    ebs = t.get("EbsInfo", {})
    optimized = ebs.get("EbsOptimizedInfo", {})
    storage = t.get("InstanceStorageInfo")
    disks = (storage or {}).get("Disks", [])
    disk_counts = [d["Count"] for d in disks if "Count" in d]
    family, _, size = t["InstanceType"].partition(".")
    memory_mib = t["MemoryInfo"]["SizeInMiB"]
    gpu = devices(t.get("GpuInfo"), "Gpus", "TotalGpuMemoryInMiB")
    neuron = devices(t.get("NeuronInfo"), "NeuronDevices", "TotalNeuronDeviceMemoryInMiB")
    inference = devices(t.get("InferenceAcceleratorInfo"), "Accelerators", "TotalInferenceMemoryInMiB")
    fpga = devices(t.get("FpgaInfo"), "Fpgas", "TotalFpgaMemoryInMiB")
    media = devices(t.get("MediaAcceleratorInfo"), "Accelerators", "TotalMediaMemoryInMiB")
    neuron_cores = [d.get("CoreInfo", {}) for d in neuron["entries"]]
    cards = net.get("NetworkCards", [])
    return {
        "region": region,
        "instance_type": t["InstanceType"],
        "family": family,
        "size": size,
        "current_generation": t.get("CurrentGeneration", False),
        "free_tier_eligible": t.get("FreeTierEligible", False),
        "bare_metal": t.get("BareMetal", False),
        "burstable": t.get("BurstablePerformanceSupported", False),
        "hypervisor": t.get("Hypervisor"),
        "usage_classes": t.get("SupportedUsageClasses", []),
        "root_device_types": t.get("SupportedRootDeviceTypes", []),
        "virtualization_types": t.get("SupportedVirtualizationTypes", []),
        "boot_modes": t.get("SupportedBootModes", []),
        "vcpus": vcpu["DefaultVCpus"],
        "cores": vcpu.get("DefaultCores"),
        "threads_per_core": vcpu.get("DefaultThreadsPerCore"),
        "valid_cores": vcpu.get("ValidCores", []),
        "valid_threads_per_core": vcpu.get("ValidThreadsPerCore", []),
        "memory_gib": memory_mib / 1024.0,
        "memory_mib": memory_mib,
        "architectures": cpu.get("SupportedArchitectures", []),
        "processor_manufacturer": cpu.get("Manufacturer"),
        "clock_ghz": cpu.get("SustainedClockSpeedInGhz"),
        "processor_features": cpu.get("SupportedFeatures", []),
        "gpu_count": gpu["count"],
        "gpu_partition_size": common([g.get("GpuPartitionSize") for g in gpu["entries"]]),
        "gpu_manufacturer": gpu["manufacturer"],
        "gpu_model": gpu["model"],
        "gpu_memory_gib": gpu["memory_gib"],
        "gpu_total_memory_gib": gpu["total_memory_gib"],
        "neuron_device_count": neuron["count"],
        "neuron_device_model": neuron["model"],
        "neuron_cores_per_device": common([c.get("Count") for c in neuron_cores]),
        "neuron_core_version": common([c.get("Version") for c in neuron_cores]),
        "neuron_device_memory_gib": neuron["memory_gib"],
        "neuron_total_memory_gib": neuron["total_memory_gib"],
        "inference_accelerator_count": inference["count"],
        "inference_accelerator_manufacturer": inference["manufacturer"],
        "inference_accelerator_model": inference["model"],
        "inference_accelerator_memory_gib": inference["memory_gib"],
        "fpga_count": fpga["count"],
        "fpga_manufacturer": fpga["manufacturer"],
        "fpga_model": fpga["model"],
        "fpga_memory_gib": fpga["memory_gib"],
        "fpga_total_memory_gib": fpga["total_memory_gib"],
        "media_accelerator_count": media["count"],
        "media_accelerator_manufacturer": media["manufacturer"],
        "media_accelerator_model": media["model"],
        "media_accelerator_memory_gib": media["memory_gib"],
        "network_performance": net.get("NetworkPerformance"),
        "network_baseline_gbps": summed_over_cards(cards, "BaselineBandwidthInGbps"),
        "network_peak_gbps": summed_over_cards(cards, "PeakBandwidthInGbps"),
        "network_cards": net.get("MaximumNetworkCards"),
        "max_network_interfaces": net.get("MaximumNetworkInterfaces"),
        "ipv4_addresses_per_interface": net.get("Ipv4AddressesPerInterface"),
        "ipv6_addresses_per_interface": net.get("Ipv6AddressesPerInterface"),
        "ipv6_supported": net.get("Ipv6Supported", False),
        "ena_support": net.get("EnaSupport"),
        "efa_supported": net.get("EfaSupported", False),
        "efa_max_interfaces": net.get("EfaInfo", {}).get("MaximumEfaInterfaces"),
        "encryption_in_transit_supported": net.get("EncryptionInTransitSupported", False),
        "ebs_optimized_support": ebs.get("EbsOptimizedSupport"),
        "ebs_baseline_bandwidth_mbps": optimized.get("BaselineBandwidthInMbps"),
        "ebs_maximum_bandwidth_mbps": optimized.get("MaximumBandwidthInMbps"),
        "ebs_baseline_throughput_mbs": optimized.get("BaselineThroughputInMBps"),
        "ebs_maximum_throughput_mbs": optimized.get("MaximumThroughputInMBps"),
        "ebs_baseline_iops": optimized.get("BaselineIops"),
        "ebs_maximum_iops": optimized.get("MaximumIops"),
        "ebs_nvme_support": ebs.get("NvmeSupport"),
        "ebs_encryption_support": ebs.get("EncryptionSupport"),
        "ebs_max_attachments": ebs.get("MaximumEbsAttachments"),
        "instance_storage_supported": t.get("InstanceStorageSupported", False),
        "instance_storage_total_gb": (storage or {}).get("TotalSizeInGB"),
        "instance_storage_disk_count": sum(disk_counts) if disk_counts else None,
        "instance_storage_disk_size_gb": common([d.get("SizeInGB") for d in disks]),
        "instance_storage_disk_type": common([d.get("Type") for d in disks]),
        "instance_storage_nvme_support": (storage or {}).get("NvmeSupport"),
        "hibernation_supported": t.get("HibernationSupported", False),
        "dedicated_hosts_supported": t.get("DedicatedHostsSupported", False),
        "auto_recovery_supported": t.get("AutoRecoverySupported", False),
        "nitro_enclaves_support": t.get("NitroEnclavesSupport"),
        "nitro_tpm_support": t.get("NitroTpmSupport"),
        "placement_group_strategies": t.get("PlacementGroupInfo", {}).get("SupportedStrategies", []),
    }


def expected_zone(region, account, z):
    """boto3's AvailabilityZone → pricepipe's availability-zones record."""
    return {
        "region": z.get("RegionName", region),
        "account_id": account,
        "zone": z["ZoneName"],
        "zone_id": z.get("ZoneId", ""),
        "zone_type": z.get("ZoneType", "availability-zone"),
        "state": z.get("State", ""),
        "opt_in_status": z.get("OptInStatus", "opt-in-not-required"),
        "group_name": z.get("GroupName"),
        "network_border_group": z.get("NetworkBorderGroup"),
        "parent_zone": z.get("ParentZoneName"),
    }


def same(actual, expected):
    """Equal in JSON type as well as value: true is not 1, and null is not 0."""
    if isinstance(expected, bool) or expected is None or isinstance(expected, (str, list)):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int):
        return type(actual) is int and actual == expected
    if isinstance(expected, float):
        # A whole double is written without a fraction ("1152"), so JSON gives an int.
        return type(actual) in (int, float) and math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)
    raise TypeError(f"no rule for {expected!r}")


class MotoInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN:
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        if not os.access(BIN, os.X_OK):
            raise RuntimeError(f"PRICEPIPE_BIN={BIN} is not an executable file")
        cls.home = tempfile.TemporaryDirectory(prefix="pricepipe-interop-")
        cls.addClassCleanup(cls.home.cleanup)
        cls.port = free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.log = open(os.path.join(cls.home.name, "moto.log"), "w+b")
        cls.addClassCleanup(cls.log.close)
        cls.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.port)],
                                    stdout=cls.log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_moto)
        cls.wait_for_moto()

    @classmethod
    def stop_moto(cls):
        cls.moto.terminate()
        try:
            cls.moto.wait(10)
        except subprocess.TimeoutExpired:
            cls.moto.kill()
            cls.moto.wait()

    @classmethod
    def wait_for_moto(cls):
        wait_until_answering(cls.url + "/moto-api/", cls.moto, cls.log, "moto.server")

    def pricepipe(self, dataset, region):
        """The records pricepipe streams for one dataset and region."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=os.path.join(self.home.name, "no-config"),
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(self.home.name, "no-credentials"),
                   PRICEPIPE_NO_CACHE="1")
        command = [BIN, "stream", dataset, "--regions", region, "--endpoint-url", self.url]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            self.fail(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr}")
        records = []
        for number, line in enumerate(result.stdout.splitlines(), 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                self.fail(f"{dataset} {region}: stdout line {number} is not JSON ({e}): {line[:200]}")
        return records

    def ec2(self, region):
        return boto3.client("ec2", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def account(self):
        """The account moto's STS says the keys are of: what pricepipe's records must name."""
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.url, aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        return sts.get_caller_identity()["Account"]

    def keyed(self, what, records, key):
        by_key = {}
        for record in records:
            k = key(record)
            self.assertNotIn(k, by_key, f"{what}: {k} appears twice")
            by_key[k] = record
        return by_key

    def assert_same_records(self, what, ours, theirs):
        """`ours` and `theirs` map a key to a record; every field of every record must agree."""
        problems = []
        only_ours = sorted(set(ours) - set(theirs))
        only_theirs = sorted(set(theirs) - set(ours))
        if only_ours:
            problems.append(f"{len(only_ours)} only in pricepipe's output: {only_ours[:10]}")
        if only_theirs:
            problems.append(f"{len(only_theirs)} only in what boto3 reads: {only_theirs[:10]}")
        missing, unknown, differing = {}, {}, {}
        values = []
        for key in sorted(set(ours) & set(theirs)):
            record, expected = ours[key], theirs[key]
            for field in expected:
                if field not in record:
                    missing.setdefault(field, key)
                elif not same(record[field], expected[field]):
                    differing[field] = differing.get(field, 0) + 1
                    values.append(f"{key} {field}: pricepipe {record[field]!r}, boto3 {expected[field]!r}")
            for field in record:
                if field not in expected:
                    unknown.setdefault(field, key)
        problems += [f"pricepipe's records lack {field!r} (e.g. {key})" for field, key in missing.items()]
        problems += [f"pricepipe writes {field!r}, which this test does not map (e.g. {key})"
                     for field, key in unknown.items()]
        if differing:
            problems.append("records differ in: " + ", ".join(f"{f} ({n})" for f, n in sorted(differing.items())))
        problems += values
        if problems:
            shown = "\n  ".join(problems[:DIFFS_SHOWN])
            self.fail(f"{what}: {len(problems)} problems, the first {min(len(problems), DIFFS_SHOWN)}:\n  {shown}")

    def test_instance_types(self):
        for region in REGIONS:
            with self.subTest(region=region):
                ours = self.keyed(region, self.pricepipe("instance-types", region), lambda r: r["instance_type"])
                theirs = {t["InstanceType"]: expected_instance_type(region, t)
                          for page in self.ec2(region).get_paginator("describe_instance_types").paginate()
                          for t in page["InstanceTypes"]}
                self.assertGreater(len(theirs), 100, "moto serves its whole catalog")
                self.assert_same_records(f"instance-types {region}", ours, theirs)

    def test_instance_type_offerings(self):
        for region in REGIONS:
            with self.subTest(region=region):
                ours = self.pricepipe("instance-type-offerings", region)
                theirs = [{"region": region, "account_id": self.account(), "instance_type": o["InstanceType"],
                           "zone": o["Location"]}
                          for page in self.ec2(region).get_paginator("describe_instance_type_offerings").paginate(
                              LocationType="availability-zone")
                          for o in page["InstanceTypeOfferings"]]
                self.assertGreater(len(theirs), 100, "moto offers types in every zone")
                key = lambda r: (r["instance_type"], r["zone"])
                self.assert_same_records(f"instance-type-offerings {region}", self.keyed(region, ours, key),
                                         self.keyed(region, theirs, key))

    def test_availability_zones(self):
        for region in REGIONS:
            with self.subTest(region=region):
                ours = self.keyed(region, self.pricepipe("availability-zones", region), lambda r: r["zone"])
                theirs = {z["ZoneName"]: expected_zone(region, self.account(), z)
                          for z in self.ec2(region).describe_availability_zones(AllAvailabilityZones=True)[
                              "AvailabilityZones"]}
                self.assertTrue(theirs, "moto knows the region's zones")
                self.assert_same_records(f"availability-zones {region}", ours, theirs)


if __name__ == "__main__":
    unittest.main()
