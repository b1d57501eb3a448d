// DescribeInstanceTypes pages through the real parse and normalize stages
// (Ec2XmlParser + InstanceTypeNormalizer): each accelerator kind in its own
// columns, units converted, null where a value does not apply, and every
// bad answer an error that names region, action, request id and element.
//
// Fixtures are hand-written items in EC2's wire shape (the botocore ec2
// model's locationNames); whole records are compared field by field through
// InstanceTypeRecord::describe, so a null that became 0 cannot hide.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/instance_type_normalizer.h"

// Expected records are designated initializers that name only what a type
// has: every other field must keep its default (null, 0, false, empty).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pricepipe::stages {
namespace {

constexpr const char* kRegion = "us-west-2";
constexpr const char* kAction = "DescribeInstanceTypes";

/// A DescribeInstanceTypes answer holding `items`. `request_id` is both the
/// HTTP header's (net::Page::request_id) and the body's <requestId>.
net::Page page_of(std::string_view items, const std::string& request_id = "req-it-1") {
  net::Page p;
  p.request.service = "ec2";
  p.request.region = kRegion;
  p.request.action = kAction;
  p.request_id = request_id;
  p.http_status = 200;
  p.body.reserve(items.size() + 300);
  p.body += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<DescribeInstanceTypesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>";
  p.body += request_id;
  p.body += "</requestId><instanceTypeSet>";
  p.body += items;
  p.body += "</instanceTypeSet></DescribeInstanceTypesResponse>";
  return p;
}

Result<std::vector<InstanceTypeRecord>> normalize(const net::Page& page) {
  const Ec2XmlParser parser(InstanceTypeNormalizer::kResultElement);
  auto doc = parser.process(page);
  if (!doc.ok()) return doc.error();
  return InstanceTypeNormalizer().process(doc.value(), page);
}

InstanceTypeRecord one(std::string_view item) {
  auto r = normalize(page_of(item));
  EXPECT_TRUE(r.ok()) << r.error().describe();
  if (!r.ok()) return {};
  EXPECT_EQ(r.value().size(), 1u);
  return r.value().empty() ? InstanceTypeRecord{} : r.value()[0];
}

/// Every field, by name: the record's own field list drives the comparison.
void expect_record(const InstanceTypeRecord& actual, const InstanceTypeRecord& expected) {
  InstanceTypeRecord::describe([&](std::string_view name, auto member, std::string_view) {
    EXPECT_EQ(actual.*member, expected.*member) << "field " << name << " of " << expected.instance_type;
  });
}

/// A page-level failure: malformed response, and the one-line description
/// names the region, the action and the request id.
void expect_names_the_page(const Error& e, const std::string& request_id) {
  EXPECT_EQ(e.code(), ErrorCode::malformed_response) << e.describe();
  EXPECT_EQ(e.context().region, kRegion);
  EXPECT_EQ(e.context().action, kAction);
  EXPECT_EQ(e.context().request_id, request_id);
  const std::string line = e.describe();
  EXPECT_NE(line.find(kRegion), std::string::npos) << line;
  EXPECT_NE(line.find(kAction), std::string::npos) << line;
  EXPECT_NE(line.find("(request " + request_id + ")"), std::string::npos) << line;
}

// A complete item, as EC2 answers it today, including elements pricepipe
// does not map: 8 A100 GPUs, four network cards, EFA, NVMe instance store.
constexpr std::string_view kP4d = R"(<item>
  <instanceType>p4d.24xlarge</instanceType><currentGeneration>true</currentGeneration>
  <freeTierEligible>false</freeTierEligible>
  <supportedUsageClasses><item>capacity-block</item><item>on-demand</item><item>spot</item></supportedUsageClasses>
  <supportedRootDeviceTypes><item>ebs</item></supportedRootDeviceTypes>
  <supportedVirtualizationTypes><item>hvm</item></supportedVirtualizationTypes>
  <bareMetal>false</bareMetal><hypervisor>nitro</hypervisor>
  <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures>
    <sustainedClockSpeedInGhz>3.0</sustainedClockSpeedInGhz><manufacturer>Intel</manufacturer></processorInfo>
  <vCpuInfo><defaultVCpus>96</defaultVCpus><defaultCores>48</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore>
    <validCores><item>2</item><item>4</item><item>24</item><item>48</item></validCores>
    <validThreadsPerCore><item>1</item><item>2</item></validThreadsPerCore></vCpuInfo>
  <memoryInfo><sizeInMiB>1179648</sizeInMiB></memoryInfo>
  <instanceStorageSupported>true</instanceStorageSupported>
  <instanceStorageInfo><totalSizeInGB>8000</totalSizeInGB>
    <disks><item><sizeInGB>1000</sizeInGB><count>8</count><type>ssd</type></item></disks>
    <nvmeSupport>required</nvmeSupport><encryptionSupport>required</encryptionSupport></instanceStorageInfo>
  <ebsInfo><ebsOptimizedSupport>default</ebsOptimizedSupport><encryptionSupport>supported</encryptionSupport>
    <ebsOptimizedInfo><baselineBandwidthInMbps>19000</baselineBandwidthInMbps>
      <baselineThroughputInMBps>2375.0</baselineThroughputInMBps><baselineIops>80000</baselineIops>
      <maximumBandwidthInMbps>19000</maximumBandwidthInMbps><maximumThroughputInMBps>2375.0</maximumThroughputInMBps>
      <maximumIops>80000</maximumIops></ebsOptimizedInfo>
    <nvmeSupport>required</nvmeSupport><maximumEbsAttachments>28</maximumEbsAttachments>
    <attachmentLimitType>dedicated</attachmentLimitType></ebsInfo>
  <networkInfo><networkPerformance>4x 100 Gigabit</networkPerformance>
    <maximumNetworkInterfaces>60</maximumNetworkInterfaces><maximumNetworkCards>4</maximumNetworkCards>
    <defaultNetworkCardIndex>0</defaultNetworkCardIndex>
    <networkCards>
      <item><networkCardIndex>0</networkCardIndex><networkPerformance>100 Gigabit</networkPerformance>
        <maximumNetworkInterfaces>15</maximumNetworkInterfaces><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps>
        <peakBandwidthInGbps>100.0</peakBandwidthInGbps><defaultEnaQueueCountPerInterface>32</defaultEnaQueueCountPerInterface></item>
      <item><networkCardIndex>1</networkCardIndex><networkPerformance>100 Gigabit</networkPerformance>
        <maximumNetworkInterfaces>15</maximumNetworkInterfaces><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps>
        <peakBandwidthInGbps>100.0</peakBandwidthInGbps><defaultEnaQueueCountPerInterface>32</defaultEnaQueueCountPerInterface></item>
      <item><networkCardIndex>2</networkCardIndex><networkPerformance>100 Gigabit</networkPerformance>
        <maximumNetworkInterfaces>15</maximumNetworkInterfaces><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps>
        <peakBandwidthInGbps>100.0</peakBandwidthInGbps><defaultEnaQueueCountPerInterface>32</defaultEnaQueueCountPerInterface></item>
      <item><networkCardIndex>3</networkCardIndex><networkPerformance>100 Gigabit</networkPerformance>
        <maximumNetworkInterfaces>15</maximumNetworkInterfaces><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps>
        <peakBandwidthInGbps>100.0</peakBandwidthInGbps><defaultEnaQueueCountPerInterface>32</defaultEnaQueueCountPerInterface></item>
    </networkCards>
    <ipv4AddressesPerInterface>50</ipv4AddressesPerInterface><ipv6AddressesPerInterface>50</ipv6AddressesPerInterface>
    <ipv6Supported>true</ipv6Supported><enaSupport>required</enaSupport><efaSupported>true</efaSupported>
    <efaInfo><maximumEfaInterfaces>4</maximumEfaInterfaces></efaInfo>
    <encryptionInTransitSupported>true</encryptionInTransitSupported><enaSrdSupported>false</enaSrdSupported>
    <flexibleEnaQueuesSupport>unsupported</flexibleEnaQueuesSupport>
    <connectionTrackingConfiguration><defaultTcpEstablishedTimeout>432000</defaultTcpEstablishedTimeout>
      <defaultUdpTimeout>30</defaultUdpTimeout><defaultUdpStreamTimeout>180</defaultUdpStreamTimeout></connectionTrackingConfiguration>
    <secondaryNetworkSupported>false</secondaryNetworkSupported></networkInfo>
  <gpuInfo><gpus><item><name>A100</name><manufacturer>NVIDIA</manufacturer><count>8</count>
      <logicalGpuCount>8</logicalGpuCount><gpuPartitionSize>1.0</gpuPartitionSize><workloadSet><item>ml-ai</item></workloadSet>
      <memoryInfo><sizeInMiB>40960</sizeInMiB></memoryInfo></item></gpus>
    <totalGpuMemoryInMiB>327680</totalGpuMemoryInMiB></gpuInfo>
  <placementGroupInfo><supportedStrategies><item>cluster</item><item>partition</item><item>spread</item></supportedStrategies></placementGroupInfo>
  <hibernationSupported>false</hibernationSupported><burstablePerformanceSupported>false</burstablePerformanceSupported>
  <dedicatedHostsSupported>true</dedicatedHostsSupported><autoRecoverySupported>false</autoRecoverySupported>
  <supportedBootModes><item>legacy-bios</item></supportedBootModes>
  <nitroEnclavesSupport>supported</nitroEnclavesSupport><nitroTpmSupport>unsupported</nitroTpmSupport>
  <phcSupport>unsupported</phcSupport><rebootMigrationSupport>unsupported</rebootMigrationSupport>
</item>)";

// EC2 lists Inferentia2 twice: under inferenceAcceleratorInfo (whose list
// members are <member>, as the model says) and under neuronInfo.
constexpr std::string_view kInf2 = R"(<item>
  <instanceType>inf2.48xlarge</instanceType><currentGeneration>true</currentGeneration>
  <hypervisor>nitro</hypervisor>
  <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures>
    <sustainedClockSpeedInGhz>3.6</sustainedClockSpeedInGhz><manufacturer>AMD</manufacturer></processorInfo>
  <vCpuInfo><defaultVCpus>192</defaultVCpus><defaultCores>96</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore></vCpuInfo>
  <memoryInfo><sizeInMiB>786432</sizeInMiB></memoryInfo>
  <inferenceAcceleratorInfo><accelerators><member><count>12</count><name>Inferentia2</name><manufacturer>AWS</manufacturer>
      <memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo></member></accelerators>
    <totalInferenceMemoryInMiB>393216</totalInferenceMemoryInMiB></inferenceAcceleratorInfo>
  <neuronInfo><neuronDevices><item><count>12</count><name>Inferentia2</name>
      <coreInfo><count>2</count><version>2</version></coreInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo></item></neuronDevices>
    <totalNeuronDeviceMemoryInMiB>393216</totalNeuronDeviceMemoryInMiB></neuronInfo>
</item>)";

constexpr std::string_view kInf1 = R"(<item>
  <instanceType>inf1.xlarge</instanceType>
  <vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo>
  <inferenceAcceleratorInfo><accelerators><member><count>1</count><name>Inferentia</name><manufacturer>AWS</manufacturer>
      <memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></member></accelerators>
    <totalInferenceMemoryInMiB>8192</totalInferenceMemoryInMiB></inferenceAcceleratorInfo>
</item>)";

constexpr std::string_view kF1 = R"(<item>
  <instanceType>f1.2xlarge</instanceType>
  <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>124928</sizeInMiB></memoryInfo>
  <fpgaInfo><fpgas><item><name>Virtex UltraScale (VU9P)</name><manufacturer>Xilinx</manufacturer><count>1</count>
      <memoryInfo><sizeInMiB>65536</sizeInMiB></memoryInfo></item></fpgas>
    <totalFpgaMemoryInMiB>65536</totalFpgaMemoryInMiB></fpgaInfo>
</item>)";

constexpr std::string_view kVt1 = R"(<item>
  <instanceType>vt1.3xlarge</instanceType>
  <vCpuInfo><defaultVCpus>12</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo>
  <mediaAcceleratorInfo><accelerators><item><count>1</count><name>U30</name><manufacturer>Xilinx</manufacturer>
      <memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo></item></accelerators>
    <totalMediaMemoryInMiB>24576</totalMediaMemoryInMiB></mediaAcceleratorInfo>
</item>)";

constexpr std::string_view kT3 = R"(<item>
  <instanceType>t3.micro</instanceType><currentGeneration>true</currentGeneration>
  <freeTierEligible>true</freeTierEligible><hypervisor>nitro</hypervisor>
  <processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures>
    <sustainedClockSpeedInGhz>2.5</sustainedClockSpeedInGhz><manufacturer>Intel</manufacturer></processorInfo>
  <vCpuInfo><defaultVCpus>2</defaultVCpus><defaultCores>1</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore>
    <validCores><item>1</item></validCores><validThreadsPerCore><item>1</item><item>2</item></validThreadsPerCore></vCpuInfo>
  <memoryInfo><sizeInMiB>1024</sizeInMiB></memoryInfo>
  <instanceStorageSupported>false</instanceStorageSupported>
  <networkInfo><networkPerformance>Up to 5 Gigabit</networkPerformance>
    <maximumNetworkInterfaces>2</maximumNetworkInterfaces><maximumNetworkCards>1</maximumNetworkCards>
    <networkCards><item><networkCardIndex>0</networkCardIndex><baselineBandwidthInGbps>0.064</baselineBandwidthInGbps>
      <peakBandwidthInGbps>5.0</peakBandwidthInGbps></item></networkCards>
    <ipv4AddressesPerInterface>2</ipv4AddressesPerInterface><ipv6AddressesPerInterface>2</ipv6AddressesPerInterface>
    <ipv6Supported>true</ipv6Supported><enaSupport>required</enaSupport><efaSupported>false</efaSupported></networkInfo>
  <hibernationSupported>true</hibernationSupported><burstablePerformanceSupported>true</burstablePerformanceSupported>
  <supportedBootModes><item>legacy-bios</item><item>uefi</item></supportedBootModes>
</item>)";

// Bare metal: EC2 sends no <hypervisor> at all.
constexpr std::string_view kMetal = R"(<item>
  <instanceType>m7i.metal-48xl</instanceType><currentGeneration>true</currentGeneration><bareMetal>true</bareMetal>
  <supportedVirtualizationTypes><item>hvm</item></supportedVirtualizationTypes>
  <vCpuInfo><defaultVCpus>192</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>786432</sizeInMiB></memoryInfo>
</item>)";

constexpr std::string_view kD3 = R"(<item>
  <instanceType>d3.xlarge</instanceType>
  <vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo>
  <instanceStorageSupported>true</instanceStorageSupported>
  <instanceStorageInfo><totalSizeInGB>5940</totalSizeInGB>
    <disks><item><sizeInGB>1980</sizeInGB><count>3</count><type>hdd</type></item></disks>
    <nvmeSupport>required</nvmeSupport></instanceStorageInfo>
</item>)";

// A share of one GPU: EC2's count is 0, the partition size says how much.
constexpr std::string_view kG6f = R"(<item>
  <instanceType>g6f.large</instanceType>
  <vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo>
  <gpuInfo><gpus><item><name>L4</name><manufacturer>NVIDIA</manufacturer><count>0</count><logicalGpuCount>1</logicalGpuCount>
      <gpuPartitionSize>0.125</gpuPartitionSize><memoryInfo><sizeInMiB>2861</sizeInMiB></memoryInfo></item></gpus>
    <totalGpuMemoryInMiB>2861</totalGpuMemoryInMiB></gpuInfo>
</item>)";

TEST(InstanceTypeNormalizer, AGpuTypeWithFourNetworkCardsAndInstanceStorage) {
  expect_record(one(kP4d), {
      .region = kRegion, .instance_type = "p4d.24xlarge", .family = "p4d", .size = "24xlarge",
      .current_generation = true, .hypervisor = "nitro",
      .usage_classes = {"capacity-block", "on-demand", "spot"}, .root_device_types = {"ebs"},
      .virtualization_types = {"hvm"}, .boot_modes = {"legacy-bios"},
      .vcpus = 96, .cores = 48, .threads_per_core = 2, .valid_cores = {2, 4, 24, 48}, .valid_threads_per_core = {1, 2},
      .memory_gib = 1152.0, .memory_mib = 1179648, .architectures = {"x86_64"}, .processor_manufacturer = "Intel",
      .clock_ghz = 3.0,
      .gpu_count = 8, .gpu_partition_size = 1.0, .gpu_manufacturer = "NVIDIA", .gpu_model = "A100",
      .gpu_memory_gib = 40.0, .gpu_total_memory_gib = 320.0,
      .network_performance = "4x 100 Gigabit", .network_baseline_gbps = 400.0, .network_peak_gbps = 400.0,
      .network_cards = 4, .max_network_interfaces = 60, .ipv4_addresses_per_interface = 50,
      .ipv6_addresses_per_interface = 50, .ipv6_supported = true, .ena_support = "required", .efa_supported = true,
      .efa_max_interfaces = 4, .encryption_in_transit_supported = true,
      .ebs_optimized_support = "default", .ebs_baseline_bandwidth_mbps = 19000, .ebs_maximum_bandwidth_mbps = 19000,
      .ebs_baseline_throughput_mbs = 2375.0, .ebs_maximum_throughput_mbs = 2375.0, .ebs_baseline_iops = 80000,
      .ebs_maximum_iops = 80000, .ebs_nvme_support = "required", .ebs_encryption_support = "supported",
      .ebs_max_attachments = 28,
      .instance_storage_supported = true, .instance_storage_total_gb = 8000, .instance_storage_disk_count = 8,
      .instance_storage_disk_size_gb = 1000, .instance_storage_disk_type = "ssd",
      .instance_storage_nvme_support = "required",
      .dedicated_hosts_supported = true, .nitro_enclaves_support = "supported", .nitro_tpm_support = "unsupported",
      .placement_group_strategies = {"cluster", "partition", "spread"},
  });
}

TEST(InstanceTypeNormalizer, NeuronDevicesAreNeitherGpusNorExtraAccelerators) {
  expect_record(one(kInf2), {
      .region = kRegion, .instance_type = "inf2.48xlarge", .family = "inf2", .size = "48xlarge",
      .current_generation = true, .hypervisor = "nitro",
      .vcpus = 192, .cores = 96, .threads_per_core = 2, .memory_gib = 768.0, .memory_mib = 786432,
      .architectures = {"x86_64"}, .processor_manufacturer = "AMD", .clock_ghz = 3.6,
      .neuron_device_count = 12, .neuron_device_model = "Inferentia2", .neuron_cores_per_device = 2,
      .neuron_core_version = 2, .neuron_device_memory_gib = 32.0, .neuron_total_memory_gib = 384.0,
      // The same twelve devices, as EC2 also lists them: reported, not added.
      .inference_accelerator_count = 12, .inference_accelerator_manufacturer = "AWS",
      .inference_accelerator_model = "Inferentia2", .inference_accelerator_memory_gib = 32.0,
  });
}

TEST(InstanceTypeNormalizer, AnInferenceAcceleratorTypeReadsMemberElements) {
  expect_record(one(kInf1), {
      .region = kRegion, .instance_type = "inf1.xlarge", .family = "inf1", .size = "xlarge",
      .vcpus = 4, .memory_gib = 8.0, .memory_mib = 8192,
      .inference_accelerator_count = 1, .inference_accelerator_manufacturer = "AWS",
      .inference_accelerator_model = "Inferentia", .inference_accelerator_memory_gib = 8.0,
  });
}

TEST(InstanceTypeNormalizer, AnFpgaType) {
  expect_record(one(kF1), {
      .region = kRegion, .instance_type = "f1.2xlarge", .family = "f1", .size = "2xlarge",
      .vcpus = 8, .memory_gib = 122.0, .memory_mib = 124928,
      .fpga_count = 1, .fpga_manufacturer = "Xilinx", .fpga_model = "Virtex UltraScale (VU9P)",
      .fpga_memory_gib = 64.0, .fpga_total_memory_gib = 64.0,
  });
}

TEST(InstanceTypeNormalizer, AMediaAcceleratorType) {
  expect_record(one(kVt1), {
      .region = kRegion, .instance_type = "vt1.3xlarge", .family = "vt1", .size = "3xlarge",
      .vcpus = 12, .memory_gib = 24.0, .memory_mib = 24576,
      .media_accelerator_count = 1, .media_accelerator_manufacturer = "Xilinx", .media_accelerator_model = "U30",
      .media_accelerator_memory_gib = 24.0,
  });
}

TEST(InstanceTypeNormalizer, ABurstableTypeHasZeroAcceleratorsAndNullEverywhereElse) {
  expect_record(one(kT3), {
      .region = kRegion, .instance_type = "t3.micro", .family = "t3", .size = "micro",
      .current_generation = true, .free_tier_eligible = true, .burstable = true, .hypervisor = "nitro",
      .boot_modes = {"legacy-bios", "uefi"},
      .vcpus = 2, .cores = 1, .threads_per_core = 2, .valid_cores = {1}, .valid_threads_per_core = {1, 2},
      .memory_gib = 1.0, .memory_mib = 1024, .architectures = {"x86_64"}, .processor_manufacturer = "Intel",
      .clock_ghz = 2.5,
      .network_performance = "Up to 5 Gigabit", .network_baseline_gbps = 0.064, .network_peak_gbps = 5.0,
      .network_cards = 1, .max_network_interfaces = 2, .ipv4_addresses_per_interface = 2,
      .ipv6_addresses_per_interface = 2, .ipv6_supported = true, .ena_support = "required",
      .hibernation_supported = true,
  });
}

TEST(InstanceTypeNormalizer, BareMetalHasNoHypervisor) {
  expect_record(one(kMetal), {
      .region = kRegion, .instance_type = "m7i.metal-48xl", .family = "m7i", .size = "metal-48xl",
      .current_generation = true, .bare_metal = true, .virtualization_types = {"hvm"},
      .vcpus = 192, .memory_gib = 768.0, .memory_mib = 786432,
  });
}

TEST(InstanceTypeNormalizer, InstanceStorageOnHardDisks) {
  expect_record(one(kD3), {
      .region = kRegion, .instance_type = "d3.xlarge", .family = "d3", .size = "xlarge",
      .vcpus = 4, .memory_gib = 32.0, .memory_mib = 32768,
      .instance_storage_supported = true, .instance_storage_total_gb = 5940, .instance_storage_disk_count = 3,
      .instance_storage_disk_size_gb = 1980, .instance_storage_disk_type = "hdd",
      .instance_storage_nvme_support = "required",
  });
}

TEST(InstanceTypeNormalizer, AShareOfOneGpuHasZeroWholeGpusAndAPartitionSize) {
  expect_record(one(kG6f), {
      .region = kRegion, .instance_type = "g6f.large", .family = "g6f", .size = "large",
      .vcpus = 2, .memory_gib = 8.0, .memory_mib = 8192,
      .gpu_count = 0, .gpu_partition_size = 0.125, .gpu_manufacturer = "NVIDIA", .gpu_model = "L4",
      .gpu_memory_gib = 2861.0 / 1024, .gpu_total_memory_gib = 2861.0 / 1024,
  });
}

TEST(InstanceTypeNormalizer, SeveralGpuEntriesAreSummedAndJoined) {
  const auto mixed = one(R"(<item><instanceType>g9.mix</instanceType>
      <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo>
      <gpuInfo><gpus>
        <item><name>A10G</name><manufacturer>NVIDIA</manufacturer><count>1</count><memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo></item>
        <item><name>T4</name><manufacturer>NVIDIA</manufacturer><count>2</count><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item>
        <item><name>A10G</name><manufacturer>NVIDIA</manufacturer><count>1</count><memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo></item>
      </gpus></gpuInfo></item>)");
  EXPECT_EQ(mixed.gpu_count, 4);
  EXPECT_EQ(mixed.gpu_model, "A10G+T4") << "distinct models, in order of appearance";
  EXPECT_EQ(mixed.gpu_manufacturer, "NVIDIA");
  EXPECT_EQ(mixed.gpu_memory_gib, std::nullopt) << "per-GPU memory differs: null, not a guess";
  EXPECT_EQ(mixed.gpu_total_memory_gib, 24.0 + 2 * 16.0 + 24.0) << "no EC2 total: the sum over GPUs";
  EXPECT_EQ(mixed.gpu_partition_size, std::nullopt) << "not reported";

  const auto with_total = one(R"(<item><instanceType>g9.total</instanceType>
      <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo>
      <gpuInfo><gpus>
        <item><name>T4</name><manufacturer>NVIDIA</manufacturer><count>1</count><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item>
        <item><name>V520</name><manufacturer>AMD</manufacturer><count>1</count></item>
      </gpus><totalGpuMemoryInMiB>24576</totalGpuMemoryInMiB></gpuInfo></item>)");
  EXPECT_EQ(with_total.gpu_count, 2);
  EXPECT_EQ(with_total.gpu_manufacturer, "NVIDIA+AMD");
  EXPECT_EQ(with_total.gpu_memory_gib, std::nullopt) << "one GPU does not report its memory";
  EXPECT_EQ(with_total.gpu_total_memory_gib, 24.0) << "EC2's total wins";

  const auto unknown = one(R"(<item><instanceType>g9.unknown</instanceType>
      <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo>
      <gpuInfo><gpus>
        <item><name>T4</name><count>1</count><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item>
        <item><name>T4</name><count>1</count></item>
      </gpus></gpuInfo></item>)");
  EXPECT_EQ(unknown.gpu_count, 2);
  EXPECT_EQ(unknown.gpu_model, "T4");
  EXPECT_EQ(unknown.gpu_manufacturer, std::nullopt);
  EXPECT_EQ(unknown.gpu_total_memory_gib, std::nullopt) << "no EC2 total and a GPU without memory: a sum would be low";
}

TEST(InstanceTypeNormalizer, DisksThatDifferHaveNoSingleSizeOrType) {
  const auto r = one(R"(<item><instanceType>x9.disks</instanceType>
      <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>32768</sizeInMiB></memoryInfo>
      <instanceStorageSupported>true</instanceStorageSupported>
      <instanceStorageInfo><totalSizeInGB>4950</totalSizeInGB><disks>
        <item><sizeInGB>475</sizeInGB><count>2</count><type>ssd</type></item>
        <item><sizeInGB>4000</sizeInGB><count>1</count><type>hdd</type></item>
      </disks></instanceStorageInfo></item>)");
  EXPECT_EQ(r.instance_storage_total_gb, 4950);
  EXPECT_EQ(r.instance_storage_disk_count, 3);
  EXPECT_EQ(r.instance_storage_disk_size_gb, std::nullopt);
  EXPECT_EQ(r.instance_storage_disk_type, std::nullopt);
  EXPECT_EQ(r.instance_storage_nvme_support, std::nullopt);
}

TEST(InstanceTypeNormalizer, BandwidthIsUnknownWhenACardDoesNotReportIt) {
  const auto r = one(R"(<item><instanceType>c9.cards</instanceType>
      <vCpuInfo><defaultVCpus>8</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo>
      <networkInfo><maximumNetworkCards>2</maximumNetworkCards><networkCards>
        <item><baselineBandwidthInGbps>50.0</baselineBandwidthInGbps><peakBandwidthInGbps>50.0</peakBandwidthInGbps></item>
        <item><baselineBandwidthInGbps>25.0</baselineBandwidthInGbps></item>
      </networkCards></networkInfo></item>)");
  EXPECT_EQ(r.network_baseline_gbps, 75.0);
  EXPECT_EQ(r.network_peak_gbps, std::nullopt) << "a partial sum would understate the type";
  EXPECT_EQ(r.network_cards, 2);
}

TEST(InstanceTypeNormalizer, RecordsKeepPageOrder) {
  std::string items;
  for (std::string_view item : {kT3, kP4d, kMetal}) items += item;
  auto r = normalize(page_of(items));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  std::vector<std::string> names;
  for (const auto& record : r.value()) names.push_back(record.instance_type);
  EXPECT_EQ(names, (std::vector<std::string>{"t3.micro", "p4d.24xlarge", "m7i.metal-48xl"}));
}

TEST(InstanceTypeNormalizer, AnEmptyPageHasNoRecords) {
  auto r = normalize(page_of(""));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_TRUE(r.value().empty());
}

TEST(InstanceTypeNormalizerErrors, NonNumericVcpusNameTheElementAndThePage) {
  auto r = normalize(page_of(R"(<item><instanceType>m5.large</instanceType>
      <vCpuInfo><defaultVCpus>two</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></item>)",
                             "req-bad-vcpus"));
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-bad-vcpus");
  const std::string& message = r.error().message();
  EXPECT_NE(message.find("m5.large"), std::string::npos) << message;
  EXPECT_NE(message.find("vCpuInfo/defaultVCpus"), std::string::npos) << message;
  EXPECT_NE(message.find("'two'"), std::string::npos) << message;
}

TEST(InstanceTypeNormalizerErrors, ABadValueAnywhereIsAnErrorNotADefault) {
  struct Case {
    const char* element;  // as it appears in the message
    const char* xml;      // inside an item that is otherwise valid
  };
  const Case cases[] = {
      {"bareMetal", "<bareMetal>yes</bareMetal>"},
      {"processorInfo/sustainedClockSpeedInGhz",
       "<processorInfo><sustainedClockSpeedInGhz>fast</sustainedClockSpeedInGhz></processorInfo>"},
      {"vCpuInfo/validCores/item", "<vCpuInfo><defaultVCpus>2</defaultVCpus><validCores><item>1</item><item>x</item></validCores></vCpuInfo>"},
      {"memoryInfo/sizeInMiB", "<memoryInfo><sizeInMiB>8 GiB</sizeInMiB></memoryInfo>"},
      {"gpuInfo/gpus/item/count", "<gpuInfo><gpus><item><name>T4</name><count>eight</count></item></gpus></gpuInfo>"},
      {"neuronInfo/neuronDevices/item/coreInfo/version",
       "<neuronInfo><neuronDevices><item><count>1</count><coreInfo><version>v2</version></coreInfo></item></neuronDevices></neuronInfo>"},
      {"inferenceAcceleratorInfo/accelerators/member/memoryInfo/sizeInMiB",
       "<inferenceAcceleratorInfo><accelerators><member><count>1</count><memoryInfo><sizeInMiB>-</sizeInMiB></memoryInfo>"
       "</member></accelerators></inferenceAcceleratorInfo>"},
      {"networkInfo/networkCards/item/baselineBandwidthInGbps",
       "<networkInfo><networkCards><item><baselineBandwidthInGbps>n/a</baselineBandwidthInGbps></item></networkCards></networkInfo>"},
      {"ebsInfo/ebsOptimizedInfo/maximumIops", "<ebsInfo><ebsOptimizedInfo><maximumIops>1e</maximumIops></ebsOptimizedInfo></ebsInfo>"},
      {"instanceStorageInfo/disks/item/sizeInGB",
       "<instanceStorageInfo><disks><item><sizeInGB>1TB</sizeInGB><count>1</count></item></disks></instanceStorageInfo>"},
      {"networkInfo/efaInfo/maximumEfaInterfaces",
       "<networkInfo><efaInfo><maximumEfaInterfaces>4.5</maximumEfaInterfaces></efaInfo></networkInfo>"},
  };
  for (const Case& c : cases) {
    std::string item = "<item><instanceType>c9.bad</instanceType>";
    item += c.xml;
    // The required elements, unless the case is about them.
    const std::string_view xml = c.xml;
    if (!xml.starts_with("<vCpuInfo>")) item += "<vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo>";
    if (!xml.starts_with("<memoryInfo>")) item += "<memoryInfo><sizeInMiB>4096</sizeInMiB></memoryInfo>";
    item += "</item>";
    auto r = normalize(page_of(item, "req-bad-value"));
    ASSERT_FALSE(r.ok()) << c.element;
    expect_names_the_page(r.error(), "req-bad-value");
    EXPECT_NE(r.error().message().find(c.element), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("c9.bad"), std::string::npos) << r.error().message();
  }
}

TEST(InstanceTypeNormalizerErrors, TruncatedXmlNamesThePageAndTheOffset) {
  net::Page page = page_of(kP4d, "req-truncated");
  page.body.resize(page.body.size() / 2);
  auto r = normalize(page);
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-truncated");
  EXPECT_GT(r.error().context().offset, 0);
  EXPECT_NE(r.error().message().find("not well-formed XML"), std::string::npos) << r.error().message();
}

TEST(InstanceTypeNormalizerErrors, AWrongRootElementIsMalformed) {
  net::Page page = page_of("", "req-wrong-root");
  page.body = "<DescribeRegionsResponse><requestId>req-wrong-root</requestId><instanceTypeSet/></DescribeRegionsResponse>";
  auto r = normalize(page);
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-wrong-root");
  EXPECT_NE(r.error().message().find("<DescribeRegionsResponse>"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("<DescribeInstanceTypesResponse>"), std::string::npos) << r.error().message();
}

TEST(InstanceTypeNormalizerErrors, AMissingInstanceTypeSetIsMalformed) {
  net::Page page = page_of("", "req-no-set");
  page.body = "<DescribeInstanceTypesResponse><requestId>req-no-set</requestId><nextToken/></DescribeInstanceTypesResponse>";
  auto r = normalize(page);
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-no-set");
  EXPECT_NE(r.error().message().find("<instanceTypeSet>"), std::string::npos) << r.error().message();
}

TEST(InstanceTypeNormalizerErrors, TheRequestIdComesFromTheBodyWhenTheHeaderHasNone) {
  net::Page page = page_of(R"(<item><instanceType>m5.large</instanceType><bareMetal>no</bareMetal></item>)",
                           "req-from-body");
  page.request_id.clear();
  auto r = normalize(page);
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-from-body");
}

TEST(InstanceTypeNormalizerErrors, AnItemWithoutAnInstanceTypeIsMalformed) {
  std::string items(kT3);
  items += "<item><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo></item>";
  auto r = normalize(page_of(items, "req-no-name"));
  ASSERT_FALSE(r.ok());
  expect_names_the_page(r.error(), "req-no-name");
  EXPECT_NE(r.error().message().find("item 2 of <instanceTypeSet> has no <instanceType>"), std::string::npos)
      << r.error().message();
}

TEST(InstanceTypeNormalizerErrors, ATypeWithoutVcpusOrMemoryIsMalformedNotZero) {
  auto no_vcpus = normalize(page_of(
      "<item><instanceType>m5.large</instanceType><memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo></item>",
      "req-no-vcpus"));
  ASSERT_FALSE(no_vcpus.ok());
  expect_names_the_page(no_vcpus.error(), "req-no-vcpus");
  EXPECT_NE(no_vcpus.error().message().find("m5.large: <vCpuInfo><defaultVCpus> is missing"), std::string::npos)
      << no_vcpus.error().message();

  auto no_memory = normalize(page_of(
      "<item><instanceType>m5.large</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo></item>",
      "req-no-memory"));
  ASSERT_FALSE(no_memory.ok());
  expect_names_the_page(no_memory.error(), "req-no-memory");
  EXPECT_NE(no_memory.error().message().find("m5.large: <memoryInfo><sizeInMiB> is missing"), std::string::npos)
      << no_memory.error().message();
}

}  // namespace
}  // namespace pricepipe::stages
