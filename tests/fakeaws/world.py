"""The world fakeaws serves: regions, zones, instance types and offerings.

Built from the public AWS data in ../shared/data/aws when it is there (the
same inputs always give the same world), else from a small synthetic world
that has the shapes tests care about: a GPU type, a Neuron type, an
inference-accelerator type, a burstable type, bare metal, instance storage.
"""

import functools
import hashlib
import json
import os

# Opt-in regions the fake account has not enabled. The other opt-in regions
# of the world count as opted in.
DEFAULT_NOT_OPTED_IN = ("af-south-1", "me-south-1", "il-central-1", "ap-southeast-4", "eu-south-2")

OPT_IN_REGIONS = {
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2",
    "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
}

_DIRECTIONS = {"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
               "north": "n", "south": "s", "east": "e", "west": "w", "central": "c"}


def zone_id_prefix(region):
    """us-east-1 → use1, ap-southeast-2 → apse2, as AWS spells zone ids."""
    parts = region.split("-")
    return parts[0] + "".join(_DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]


def stable_hash(*parts):
    return int(hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12], 16)


class Region:
    def __init__(self, name, description, opt_in_status):
        self.name = name
        self.description = description
        self.opt_in_status = opt_in_status
        self.zones = []            # [(zone name, zone id)]
        self.instance_types = []   # sorted type names offered in the region
        self.offerings = {}        # zone name → sorted type names

    @property
    def enabled(self):
        return self.opt_in_status != "not-opted-in"

    @functools.cached_property
    def offered(self):
        """The region's types as a set, for membership tests (set once loading is done)."""
        return frozenset(self.instance_types)


class World:
    def __init__(self, regions, instance_types, source):
        self.regions = regions                  # name → Region, sorted by name
        self.instance_types = instance_types    # name → DescribeInstanceTypes shape (PascalCase)
        self.source = source

    def region(self, name):
        return self.regions.get(name)

    def summary(self):
        return {
            "source": self.source,
            "regions": [
                {
                    "name": r.name,
                    "opt_in_status": r.opt_in_status,
                    "zones": [{"name": z, "id": i} for z, i in r.zones],
                    "instance_types": r.instance_types,
                    "offerings": r.offerings,
                }
                for r in self.regions.values()
            ],
        }


def default_data_dir():
    env = os.environ.get("PRICEPIPE_AWS_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "aws"))


def _zone_ids(region, zone_names):
    """Deterministic zone ids: the name→id mapping differs per account in AWS, so shuffle it."""
    names = sorted(zone_names)
    ids = [f"{zone_id_prefix(region)}-az{n + 1}" for n in range(len(names))]
    ids.sort(key=lambda i: stable_hash(region, i))
    return list(zip(names, ids))


def _opt_in_status(region, not_opted_in):
    if region in not_opted_in:
        return "not-opted-in"
    if region in OPT_IN_REGIONS:
        return "opted-in"
    return "opt-in-not-required"


def load(data_dir=None, synthetic=False, not_opted_in=DEFAULT_NOT_OPTED_IN, synthetic_regions=8, synthetic_variants=40):
    data_dir = data_dir or default_data_dir()
    if synthetic or not os.path.isdir(os.path.join(data_dir, "instance_type_offerings")):
        return synthetic_world(not_opted_in, synthetic_regions, synthetic_variants)
    with open(os.path.join(data_dir, "instance_types.json")) as f:
        types = json.load(f)
    descriptions = {}
    endpoints_file = os.path.join(data_dir, "endpoints.json")
    if os.path.exists(endpoints_file):
        with open(endpoints_file) as f:
            for partition in json.load(f).get("partitions", []):
                for name, info in partition.get("regions", {}).items():
                    descriptions[name] = info.get("description", name)
    regions = {}
    region_dir = os.path.join(data_dir, "instance_type_offerings", "region")
    zone_dir = os.path.join(data_dir, "instance_type_offerings", "availability-zone")
    for file in sorted(os.listdir(region_dir)):
        name = file[:-len(".json")]
        region = Region(name, descriptions.get(name, name), _opt_in_status(name, not_opted_in))
        with open(os.path.join(region_dir, file)) as f:
            region.instance_types = sorted({o["InstanceType"] for o in json.load(f) if o["InstanceType"] in types})
        offered = set(region.instance_types)
        by_zone = {}
        zone_file = os.path.join(zone_dir, file)
        if os.path.exists(zone_file):
            with open(zone_file) as f:
                for o in json.load(f):
                    if o["InstanceType"] in offered:
                        by_zone.setdefault(o["Location"], set()).add(o["InstanceType"])
        region.offerings = {z: sorted(t) for z, t in sorted(by_zone.items())}
        region.zones = _zone_ids(name, by_zone.keys())
        regions[name] = region
    return World(regions, types, f"shared data ({data_dir})")


def _synthetic_type(name, vcpus, mib, arch="x86_64", **extra):
    family = name.split(".")[0]
    info = {
        "InstanceType": name,
        "CurrentGeneration": True,
        "FreeTierEligible": name == "t3.micro",
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": "nitro",
        "ProcessorInfo": {"SupportedArchitectures": [arch], "SustainedClockSpeedInGhz": 3.1,
                          "Manufacturer": "AWS" if arch == "arm64" else "Intel"},
        "VCpuInfo": {"DefaultVCpus": vcpus, "DefaultCores": max(1, vcpus // 2), "DefaultThreadsPerCore": 2 if vcpus > 1 else 1},
        "MemoryInfo": {"SizeInMiB": mib},
        "InstanceStorageSupported": False,
        "EbsInfo": {"EbsOptimizedSupport": "default", "EncryptionSupport": "supported", "NvmeSupport": "required",
                    "EbsOptimizedInfo": {"BaselineBandwidthInMbps": 650, "BaselineThroughputInMBps": 81.25,
                                         "BaselineIops": 3600, "MaximumBandwidthInMbps": 10000,
                                         "MaximumThroughputInMBps": 1250.0, "MaximumIops": 40000}},
        "NetworkInfo": {"NetworkPerformance": "Up to 12.5 Gigabit", "MaximumNetworkInterfaces": 3,
                        "MaximumNetworkCards": 1, "DefaultNetworkCardIndex": 0,
                        "NetworkCards": [{"NetworkCardIndex": 0, "NetworkPerformance": "Up to 12.5 Gigabit",
                                          "MaximumNetworkInterfaces": 3, "BaselineBandwidthInGbps": 0.75,
                                          "PeakBandwidthInGbps": 12.5}],
                        "Ipv4AddressesPerInterface": 10, "Ipv6AddressesPerInterface": 10, "Ipv6Supported": True,
                        "EnaSupport": "required", "EfaSupported": False, "EncryptionInTransitSupported": True},
        "PlacementGroupInfo": {"SupportedStrategies": ["cluster", "partition", "spread"]},
        "HibernationSupported": True,
        "BurstablePerformanceSupported": family.startswith("t"),
        "DedicatedHostsSupported": not family.startswith("t"),
        "AutoRecoverySupported": True,
        "SupportedBootModes": ["legacy-bios", "uefi"],
        "NitroEnclavesSupport": "supported",
        "NitroTpmSupport": "supported",
    }
    info.update(extra)
    return {k: v for k, v in info.items() if v is not None}


def base_types():
    return [
        _synthetic_type("t3.micro", 2, 1024),
        _synthetic_type("t4g.small", 2, 2048, arch="arm64"),
        _synthetic_type("m5.large", 2, 8192),
        _synthetic_type("c5.xlarge", 4, 8192),
        _synthetic_type("m7g.large", 2, 8192, arch="arm64"),
        _synthetic_type("m7i.xlarge", 4, 16384),
        _synthetic_type("c7i.2xlarge", 8, 16384),
        _synthetic_type("r7i.large", 2, 16384),
        _synthetic_type("i4i.xlarge", 4, 32768, InstanceStorageSupported=True,
                        InstanceStorageInfo={"TotalSizeInGB": 937, "Disks": [{"SizeInGB": 937, "Count": 1, "Type": "ssd"}],
                                             "NvmeSupport": "required", "EncryptionSupport": "required"}),
        _synthetic_type("m7i.metal-24xl", 96, 393216, BareMetal=True, Hypervisor=None),
        _synthetic_type("g5.xlarge", 4, 16384,
                        GpuInfo={"Gpus": [{"Name": "A10G", "Manufacturer": "NVIDIA", "Count": 1, "MemoryInfo": {"SizeInMiB": 24576}}],
                                 "TotalGpuMemoryInMiB": 24576}),
        _synthetic_type("inf2.xlarge", 4, 16384,
                        NeuronInfo={"NeuronDevices": [{"Count": 1, "Name": "Inferentia2", "CoreInfo": {"Count": 2, "Version": 2},
                                                       "MemoryInfo": {"SizeInMiB": 32768}}],
                                    "TotalNeuronDeviceMemoryInMiB": 32768}),
        _synthetic_type("inf1.xlarge", 4, 8192,
                        InferenceAcceleratorInfo={"Accelerators": [{"Count": 1, "Name": "Inferentia", "Manufacturer": "AWS"}]}),
        # High-memory types are sold on-demand and reserved only, never as spot.
        _synthetic_type("u-3tb1.56xlarge", 224, 3145728, SupportedUsageClasses=["on-demand"]),
        _synthetic_type("f1.2xlarge", 8, 124928,
                        FpgaInfo={"Fpgas": [{"Name": "Virtex UltraScale (VU9P)", "Manufacturer": "Xilinx", "Count": 1,
                                             "MemoryInfo": {"SizeInMiB": 65536}}], "TotalFpgaMemoryInMiB": 65536}),
    ]


def synthetic_types(variants=40):
    """The base types, plus `variants` made-up families of each (m7gv3.large …)
    so that regions need several pages, as real ones do."""
    out = {}
    for base in base_types():
        out[base["InstanceType"]] = base
        family, _, size = base["InstanceType"].partition(".")
        for v in range(1, variants):
            t = json.loads(json.dumps(base))
            t["InstanceType"] = f"{family}v{v}.{size}"
            t["MemoryInfo"]["SizeInMiB"] = base["MemoryInfo"]["SizeInMiB"] * (1 + v % 4)
            out[t["InstanceType"]] = t
    return out


# Real region codes, so pricepipe's tables know them; opt-in ones included.
SYNTHETIC_REGIONS = [
    "us-east-1", "us-west-2", "eu-west-1", "af-south-1", "ap-northeast-1", "ap-east-1", "eu-central-1", "sa-east-1",
    "us-east-2", "us-west-1", "ca-central-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ap-northeast-2", "ap-northeast-3", "me-central-1", "ap-south-2",
    "ap-southeast-3", "eu-central-2", "ca-west-1", "il-central-1", "me-south-1", "ap-southeast-4", "eu-south-2",
    "ap-southeast-5",
]


def synthetic_world(not_opted_in=DEFAULT_NOT_OPTED_IN, regions=8, variants=40):
    types = synthetic_types(variants)
    names = sorted(types)
    world_regions = {}
    for name in sorted(SYNTHETIC_REGIONS[:regions]):
        region = Region(name, name, _opt_in_status(name, not_opted_in))
        # Every region and zone lacks some types, differently, as real ones do.
        available = [t for t in names if stable_hash(name, t) % 6 != 0]
        zone_names = [f"{name}{chr(ord('a') + i)}" for i in range(3 + stable_hash(name) % 3)]
        region.zones = _zone_ids(name, zone_names)
        region.offerings = {z: [t for t in available if stable_hash(z, t) % 5 != 0] for z in zone_names}
        region.instance_types = sorted({t for types_in_zone in region.offerings.values() for t in types_in_zone})
        world_regions[name] = region
    return World(world_regions, types, f"synthetic ({regions} regions)")
