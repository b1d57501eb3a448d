"""Interop with a third-party EC2 implementation: moto's server.

pricepipe's records for a region must equal, field for field, what boto3
reads from the same moto server, mapped to pricepipe's record by an
independent implementation of the mapping written here.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import boto3

BIN = os.environ.get("PRICEPIPE_BIN")
REGIONS = ["us-east-1", "eu-west-1"]
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gib(mib):
    return None if mib is None else mib / 1024.0


def devices(info, list_key, total_key):
    """(count, model, manufacturer, memory per device GiB, total GiB) as pricepipe summarizes them."""
    items = (info or {}).get(list_key, [])
    count = sum(d.get("Count", 0) for d in items)
    models, makers = [], []
    for d in items:
        if d.get("Name") and d["Name"] not in models:
            models.append(d["Name"])
        if d.get("Manufacturer") and d["Manufacturer"] not in makers:
            makers.append(d["Manufacturer"])
    memories = [d["MemoryInfo"]["SizeInMiB"] for d in items if "MemoryInfo" in d and "SizeInMiB" in d["MemoryInfo"]]
    per = gib(memories[0]) if memories and len(set(memories)) == 1 else None
    total = (info or {}).get(total_key)
    if total is not None:
        total = gib(total)
    elif memories:
        total = sum(gib(d["MemoryInfo"]["SizeInMiB"]) * d.get("Count", 0) for d in items if "MemoryInfo" in d)
    return count, "+".join(models) or None, "+".join(makers) or None, per, total


def expected_record(region, t):
    vcpu = t.get("VCpuInfo", {})
    cpu = t.get("ProcessorInfo", {})
    net = t.get("NetworkInfo", {})
    ebs = t.get("EbsInfo", {})
    opt = ebs.get("EbsOptimizedInfo", {})
    storage = t.get("InstanceStorageInfo")
    name = t["InstanceType"]
    family, _, size = name.partition(".")
    gpu = devices(t.get("GpuInfo"), "Gpus", "TotalGpuMemoryInMiB")
    neuron_info = t.get("NeuronInfo")
    neuron = devices(neuron_info, "NeuronDevices", "TotalNeuronDeviceMemoryInMiB")
    first_neuron = (neuron_info or {}).get("NeuronDevices", [{}])[0] if neuron_info and neuron_info.get("NeuronDevices") else {}
    inference = devices(t.get("InferenceAcceleratorInfo"), "Accelerators", "TotalInferenceMemoryInMiB")
    fpga = devices(t.get("FpgaInfo"), "Fpgas", "TotalFpgaMemoryInMiB")
    media = devices(t.get("MediaAcceleratorInfo"), "Accelerators", "TotalMediaMemoryInMiB")
    cards = net.get("NetworkCards", [])
    baseline = [c["BaselineBandwidthInGbps"] for c in cards if "BaselineBandwidthInGbps" in c]
    peak = [c["PeakBandwidthInGbps"] for c in cards if "PeakBandwidthInGbps" in c]
    disks = (storage or {}).get("Disks", [])
    memory_mib = t.get("MemoryInfo", {}).get("SizeInMiB", 0)
    return {
        "region": region,
        "instance_type": name,
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
        "vcpus": vcpu.get("DefaultVCpus", 0),
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
        "gpu_count": gpu[0], "gpu_manufacturer": gpu[2], "gpu_model": gpu[1],
        "gpu_memory_gib": gpu[3], "gpu_total_memory_gib": gpu[4],
        "neuron_device_count": neuron[0], "neuron_device_model": neuron[1],
        "neuron_cores_per_device": first_neuron.get("CoreInfo", {}).get("Count"),
        "neuron_core_version": first_neuron.get("CoreInfo", {}).get("Version"),
        "neuron_device_memory_gib": neuron[3], "neuron_total_memory_gib": neuron[4],
        "inference_accelerator_count": inference[0], "inference_accelerator_manufacturer": inference[2],
        "inference_accelerator_model": inference[1], "inference_accelerator_memory_gib": inference[3],
        "fpga_count": fpga[0], "fpga_manufacturer": fpga[2], "fpga_model": fpga[1],
        "fpga_memory_gib": fpga[3], "fpga_total_memory_gib": fpga[4],
        "media_accelerator_count": media[0], "media_accelerator_manufacturer": media[2],
        "media_accelerator_model": media[1], "media_accelerator_memory_gib": media[3],
        "network_performance": net.get("NetworkPerformance"),
        "network_baseline_gbps": sum(baseline) if baseline else None,
        "network_peak_gbps": sum(peak) if peak else None,
        "network_cards": net.get("MaximumNetworkCards"),
        "max_network_interfaces": net.get("MaximumNetworkInterfaces"),
        "ipv4_addresses_per_interface": net.get("Ipv4AddressesPerInterface"),
        "ipv6_addresses_per_interface": net.get("Ipv6AddressesPerInterface"),
        "ipv6_supported": net.get("Ipv6Supported", False),
        "ena_support": net.get("EnaSupport"),
        "efa_supported": net.get("EfaSupported", False),
        "efa_max_interfaces": net.get("EfaInfo", {}).get("MaximumEfaInterfaces"),
        "ebs_optimized_support": ebs.get("EbsOptimizedSupport"),
        "ebs_baseline_bandwidth_mbps": opt.get("BaselineBandwidthInMbps"),
        "ebs_maximum_bandwidth_mbps": opt.get("MaximumBandwidthInMbps"),
        "ebs_baseline_throughput_mbs": opt.get("BaselineThroughputInMBps"),
        "ebs_maximum_throughput_mbs": opt.get("MaximumThroughputInMBps"),
        "ebs_baseline_iops": opt.get("BaselineIops"),
        "ebs_maximum_iops": opt.get("MaximumIops"),
        "ebs_nvme_support": ebs.get("NvmeSupport"),
        "ebs_encryption_support": ebs.get("EncryptionSupport"),
        "ebs_max_attachments": ebs.get("MaximumEbsAttachments"),
        "instance_storage_supported": t.get("InstanceStorageSupported", False),
        "instance_storage_total_gb": (storage or {}).get("TotalSizeInGB"),
        "instance_storage_disk_count": sum(d.get("Count", 0) for d in disks) or None,
        "instance_storage_disk_size_gb": disks[0].get("SizeInGB") if disks else None,
        "instance_storage_disk_type": disks[0].get("Type") if disks else None,
        "instance_storage_nvme_support": (storage or {}).get("NvmeSupport"),
        "hibernation_supported": t.get("HibernationSupported", False),
        "dedicated_hosts_supported": t.get("DedicatedHostsSupported", False),
        "auto_recovery_supported": t.get("AutoRecoverySupported", False),
        "nitro_enclaves_support": t.get("NitroEnclavesSupport"),
        "nitro_tpm_support": t.get("NitroTpmSupport"),
        "placement_group_strategies": t.get("PlacementGroupInfo", {}).get("SupportedStrategies", []),
    }


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


class MotoInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN:
            raise RuntimeError("PRICEPIPE_BIN must name the pricepipe binary")
        cls.port = free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.log = tempfile.TemporaryFile()
        cls.moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.port)],
                                    stdout=cls.log, stderr=cls.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(cls.url + "/moto-api/", timeout=1)
                return
            except Exception:
                time.sleep(0.2)
        cls.moto.kill()
        raise RuntimeError("moto.server did not start")

    @classmethod
    def tearDownClass(cls):
        cls.moto.terminate()
        try:
            cls.moto.wait(10)
        except subprocess.TimeoutExpired:
            cls.moto.kill()
        cls.log.close()

    def pricepipe(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(CREDENTIALS, AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/nonexistent",
                   AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        result = subprocess.run([BIN, "--endpoint-url", self.url, *args], env=env, capture_output=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return [json.loads(line) for line in result.stdout.decode().splitlines()]

    def client(self, region):
        return boto3.client("ec2", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def test_instance_types_equal_what_boto3_reads(self):
        for region in REGIONS:
            ours = {r["instance_type"]: r for r in self.pricepipe("stream", "instance-types", "--regions", region)}
            theirs = {}
            for page in self.client(region).get_paginator("describe_instance_types").paginate():
                for t in page["InstanceTypes"]:
                    theirs[t["InstanceType"]] = expected_record(region, t)
            self.assertEqual(set(ours), set(theirs), region)
            self.assertGreater(len(ours), 100)
            for name, expected in theirs.items():
                record = ours[name]
                self.assertEqual(list(record), list(expected), "field order and names")
                diffs = [f"{k}: pricepipe {record[k]!r} vs boto3 {expected[k]!r}"
                         for k in expected if not same(record[k], expected[k])]
                self.assertFalse(diffs, f"{region} {name}: " + "; ".join(diffs[:5]))

    def test_offerings_and_zones_equal_what_boto3_reads(self):
        region = REGIONS[0]
        ours = {(r["instance_type"], r["zone"]) for r in self.pricepipe("stream", "instance-type-offerings", "--regions", region)}
        theirs = {(o["InstanceType"], o["Location"])
                  for p in self.client(region).get_paginator("describe_instance_type_offerings").paginate(
                      LocationType="availability-zone")
                  for o in p["InstanceTypeOfferings"]}
        self.assertEqual(ours, theirs)
        zones = {r["zone"]: r["zone_id"] for r in self.pricepipe("stream", "availability-zones", "--regions", region)}
        expected = {z["ZoneName"]: z["ZoneId"] for z in self.client(region).describe_availability_zones()["AvailabilityZones"]}
        self.assertEqual(zones, expected)


if __name__ == "__main__":
    unittest.main()
