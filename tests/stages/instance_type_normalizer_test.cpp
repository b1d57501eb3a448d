// DescribeInstanceTypes pages through the real parse and normalize stages:
// each accelerator kind in its own columns, units converted, nulls where a
// value does not apply, and bad values reported instead of becoming 0.
#include <gtest/gtest.h>

#include "stages/dataset_stages.h"

namespace pricepipe::stages {
namespace {

net::Page page_of(std::string items, std::string request_id = "req-it") {
  net::Page p;
  p.request.service = "ec2";
  p.request.region = "us-west-2";
  p.request.action = "DescribeInstanceTypes";
  p.request_id = std::move(request_id);
  p.http_status = 200;
  p.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstanceTypesResponse "
           "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-it</requestId><instanceTypeSet>" +
           std::move(items) + "</instanceTypeSet></DescribeInstanceTypesResponse>";
  return p;
}

Result<std::vector<InstanceTypeRecord>> normalize(const net::Page& page) {
  auto parsed = parse_page(Dataset::instance_types, page);
  if (!parsed.ok()) return parsed.error();
  auto records = normalize_page(Dataset::instance_types, parsed.value(), page, SourceOptions{});
  if (!records.ok()) return records.error();
  return std::get<std::vector<InstanceTypeRecord>>(records.value());
}

InstanceTypeRecord one(const std::string& item) {
  auto r = normalize(page_of(item));
  EXPECT_TRUE(r.ok()) << r.error().describe();
  if (!r.ok() || r.value().size() != 1) return {};
  return r.value()[0];
}

const char* kP4d =
    "<item><instanceType>p4d.24xlarge</instanceType><currentGeneration>true</currentGeneration>"
    "<freeTierEligible>false</freeTierEligible><supportedUsageClasses><item>on-demand</item><item>spot</item>"
    "<item>capacity-block</item></supportedUsageClasses><supportedRootDeviceTypes><item>ebs</item></supportedRootDeviceTypes>"
    "<supportedVirtualizationTypes><item>hvm</item></supportedVirtualizationTypes><bareMetal>false</bareMetal>"
    "<hypervisor>nitro</hypervisor><processorInfo><supportedArchitectures><item>x86_64</item></supportedArchitectures>"
    "<sustainedClockSpeedInGhz>3.0</sustainedClockSpeedInGhz><manufacturer>Intel</manufacturer></processorInfo>"
    "<vCpuInfo><defaultVCpus>96</defaultVCpus><defaultCores>48</defaultCores><defaultThreadsPerCore>2</defaultThreadsPerCore>"
    "<validCores><item>2</item><item>4</item><item>48</item></validCores><validThreadsPerCore><item>1</item><item>2</item>"
    "</validThreadsPerCore></vCpuInfo><memoryInfo><sizeInMiB>1179648</sizeInMiB></memoryInfo>"
    "<instanceStorageSupported>true</instanceStorageSupported><instanceStorageInfo><totalSizeInGB>8000</totalSizeInGB>"
    "<disks><item><sizeInGB>1000</sizeInGB><count>8</count><type>ssd</type></item></disks><nvmeSupport>required</nvmeSupport>"
    "</instanceStorageInfo><ebsInfo><ebsOptimizedSupport>default</ebsOptimizedSupport><encryptionSupport>supported</encryptionSupport>"
    "<ebsOptimizedInfo><baselineBandwidthInMbps>19000</baselineBandwidthInMbps><baselineThroughputInMBps>2375.0</baselineThroughputInMBps>"
    "<baselineIops>80000</baselineIops><maximumBandwidthInMbps>19000</maximumBandwidthInMbps>"
    "<maximumThroughputInMBps>2375.0</maximumThroughputInMBps><maximumIops>80000</maximumIops></ebsOptimizedInfo>"
    "<nvmeSupport>required</nvmeSupport><maximumEbsAttachments>28</maximumEbsAttachments></ebsInfo>"
    "<networkInfo><networkPerformance>4x 100 Gigabit</networkPerformance><maximumNetworkInterfaces>60</maximumNetworkInterfaces>"
    "<maximumNetworkCards>4</maximumNetworkCards><networkCards>"
    "<item><networkCardIndex>0</networkCardIndex><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps><peakBandwidthInGbps>100.0</peakBandwidthInGbps></item>"
    "<item><networkCardIndex>1</networkCardIndex><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps><peakBandwidthInGbps>100.0</peakBandwidthInGbps></item>"
    "<item><networkCardIndex>2</networkCardIndex><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps><peakBandwidthInGbps>100.0</peakBandwidthInGbps></item>"
    "<item><networkCardIndex>3</networkCardIndex><baselineBandwidthInGbps>100.0</baselineBandwidthInGbps><peakBandwidthInGbps>100.0</peakBandwidthInGbps></item>"
    "</networkCards><ipv4AddressesPerInterface>50</ipv4AddressesPerInterface><ipv6AddressesPerInterface>50</ipv6AddressesPerInterface>"
    "<ipv6Supported>true</ipv6Supported><enaSupport>required</enaSupport><efaSupported>true</efaSupported>"
    "<efaInfo><maximumEfaInterfaces>4</maximumEfaInterfaces></efaInfo></networkInfo>"
    "<gpuInfo><gpus><item><name>A100</name><manufacturer>NVIDIA</manufacturer><count>8</count>"
    "<memoryInfo><sizeInMiB>40960</sizeInMiB></memoryInfo></item></gpus><totalGpuMemoryInMiB>327680</totalGpuMemoryInMiB></gpuInfo>"
    "<placementGroupInfo><supportedStrategies><item>cluster</item><item>partition</item><item>spread</item></supportedStrategies></placementGroupInfo>"
    "<hibernationSupported>false</hibernationSupported><burstablePerformanceSupported>false</burstablePerformanceSupported>"
    "<dedicatedHostsSupported>true</dedicatedHostsSupported><autoRecoverySupported>false</autoRecoverySupported>"
    "<supportedBootModes><item>legacy-bios</item></supportedBootModes><nitroEnclavesSupport>supported</nitroEnclavesSupport>"
    "<nitroTpmSupport>unsupported</nitroTpmSupport></item>";

TEST(InstanceTypeNormalizer, AGpuTypeFlattenedAndTyped) {
  const InstanceTypeRecord r = one(kP4d);
  EXPECT_EQ(r.region, "us-west-2");
  EXPECT_EQ(r.instance_type, "p4d.24xlarge");
  EXPECT_EQ(r.family, "p4d");
  EXPECT_EQ(r.size, "24xlarge");
  EXPECT_TRUE(r.current_generation);
  EXPECT_EQ(r.usage_classes, (std::vector<std::string>{"on-demand", "spot", "capacity-block"}));
  EXPECT_EQ(r.vcpus, 96);
  EXPECT_EQ(r.cores.value(), 48);
  EXPECT_EQ(r.threads_per_core.value(), 2);
  EXPECT_EQ(r.valid_cores, (std::vector<std::int64_t>{2, 4, 48}));
  EXPECT_DOUBLE_EQ(r.memory_gib, 1152.0);
  EXPECT_EQ(r.memory_mib, 1179648);
  EXPECT_DOUBLE_EQ(r.clock_ghz.value(), 3.0);
  EXPECT_EQ(r.gpu_count, 8);
  EXPECT_EQ(r.gpu_manufacturer.value(), "NVIDIA");
  EXPECT_EQ(r.gpu_model.value(), "A100");
  EXPECT_DOUBLE_EQ(r.gpu_memory_gib.value(), 40.0);
  EXPECT_DOUBLE_EQ(r.gpu_total_memory_gib.value(), 320.0);
  EXPECT_EQ(r.neuron_device_count, 0);
  EXPECT_FALSE(r.neuron_device_model.has_value());
  EXPECT_EQ(r.inference_accelerator_count, 0);
  EXPECT_DOUBLE_EQ(r.network_baseline_gbps.value(), 400.0);
  EXPECT_DOUBLE_EQ(r.network_peak_gbps.value(), 400.0);
  EXPECT_EQ(r.network_cards.value(), 4);
  EXPECT_TRUE(r.efa_supported);
  EXPECT_EQ(r.efa_max_interfaces.value(), 4);
  EXPECT_EQ(r.ebs_baseline_bandwidth_mbps.value(), 19000);
  EXPECT_DOUBLE_EQ(r.ebs_maximum_throughput_mbs.value(), 2375.0);
  EXPECT_EQ(r.ebs_max_attachments.value(), 28);
  EXPECT_TRUE(r.instance_storage_supported);
  EXPECT_EQ(r.instance_storage_total_gb.value(), 8000);
  EXPECT_EQ(r.instance_storage_disk_count.value(), 8);
  EXPECT_EQ(r.instance_storage_disk_size_gb.value(), 1000);
  EXPECT_EQ(r.instance_storage_disk_type.value(), "ssd");
  EXPECT_EQ(r.placement_group_strategies.size(), 3u);
  EXPECT_EQ(r.nitro_tpm_support.value(), "unsupported");
}

TEST(InstanceTypeNormalizer, NeuronInferenceFpgaAndMediaAreKeptApart) {
  const auto inf2 = one(
      "<item><instanceType>inf2.48xlarge</instanceType><vCpuInfo><defaultVCpus>192</defaultVCpus></vCpuInfo>"
      "<memoryInfo><sizeInMiB>786432</sizeInMiB></memoryInfo><neuronInfo><neuronDevices><item><count>12</count>"
      "<name>Inferentia2</name><coreInfo><count>2</count><version>2</version></coreInfo><memoryInfo><sizeInMiB>32768</sizeInMiB>"
      "</memoryInfo></item></neuronDevices><totalNeuronDeviceMemoryInMiB>393216</totalNeuronDeviceMemoryInMiB></neuronInfo></item>");
  EXPECT_EQ(inf2.neuron_device_count, 12);
  EXPECT_EQ(inf2.neuron_device_model.value(), "Inferentia2");
  EXPECT_EQ(inf2.neuron_cores_per_device.value(), 2);
  EXPECT_EQ(inf2.neuron_core_version.value(), 2);
  EXPECT_DOUBLE_EQ(inf2.neuron_device_memory_gib.value(), 32.0);
  EXPECT_DOUBLE_EQ(inf2.neuron_total_memory_gib.value(), 384.0);
  EXPECT_EQ(inf2.gpu_count, 0) << "a Neuron device is not a GPU";

  const auto inf1 = one(
      "<item><instanceType>inf1.xlarge</instanceType><vCpuInfo><defaultVCpus>4</defaultVCpus></vCpuInfo>"
      "<memoryInfo><sizeInMiB>8192</sizeInMiB></memoryInfo><inferenceAcceleratorInfo><accelerators><member><count>1</count>"
      "<name>Inferentia</name><manufacturer>AWS</manufacturer></member></accelerators></inferenceAcceleratorInfo></item>");
  // EC2's model names this list's members <member>, not <item>.
  EXPECT_EQ(inf1.inference_accelerator_count, 1);
  EXPECT_EQ(inf1.inference_accelerator_model.value(), "Inferentia");
  EXPECT_EQ(inf1.inference_accelerator_manufacturer.value(), "AWS");
  EXPECT_FALSE(inf1.inference_accelerator_memory_gib.has_value()) << "not reported: null, not 0";
  EXPECT_EQ(inf1.gpu_count, 0);

  const auto f1 = one(
      "<item><instanceType>f1.2xlarge</instanceType><fpgaInfo><fpgas><item><name>Virtex UltraScale (VU9P)</name>"
      "<manufacturer>Xilinx</manufacturer><count>1</count><memoryInfo><sizeInMiB>65536</sizeInMiB></memoryInfo></item>"
      "</fpgas><totalFpgaMemoryInMiB>65536</totalFpgaMemoryInMiB></fpgaInfo></item>");
  EXPECT_EQ(f1.fpga_count, 1);
  EXPECT_EQ(f1.fpga_model.value(), "Virtex UltraScale (VU9P)");
  EXPECT_DOUBLE_EQ(f1.fpga_total_memory_gib.value(), 64.0);

  const auto vt1 = one(
      "<item><instanceType>vt1.3xlarge</instanceType><mediaAcceleratorInfo><accelerators><item><count>1</count>"
      "<name>U30</name><manufacturer>Xilinx</manufacturer><memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo></item>"
      "</accelerators><totalMediaMemoryInMiB>24576</totalMediaMemoryInMiB></mediaAcceleratorInfo></item>");
  EXPECT_EQ(vt1.media_accelerator_count, 1);
  EXPECT_EQ(vt1.media_accelerator_model.value(), "U30");
  EXPECT_DOUBLE_EQ(vt1.media_accelerator_memory_gib.value(), 24.0);
  EXPECT_EQ(vt1.fpga_count, 0);
}

TEST(InstanceTypeNormalizer, BurstableAndBareMetalAndMixedGpus) {
  const auto t3 = one("<item><instanceType>t3.micro</instanceType><burstablePerformanceSupported>true</burstablePerformanceSupported>"
                      "<freeTierEligible>true</freeTierEligible><hypervisor>nitro</hypervisor></item>");
  EXPECT_TRUE(t3.burstable);
  EXPECT_TRUE(t3.free_tier_eligible);
  EXPECT_FALSE(t3.clock_ghz.has_value());
  EXPECT_FALSE(t3.network_baseline_gbps.has_value());

  const auto metal = one("<item><instanceType>m7i.metal-48xl</instanceType><bareMetal>true</bareMetal></item>");
  EXPECT_TRUE(metal.bare_metal);
  EXPECT_FALSE(metal.hypervisor.has_value()) << "EC2 reports no hypervisor for bare metal";
  EXPECT_EQ(metal.size, "metal-48xl");

  const auto mixed = one(
      "<item><instanceType>g9.mix</instanceType><gpuInfo><gpus>"
      "<item><name>A10G</name><manufacturer>NVIDIA</manufacturer><count>1</count><memoryInfo><sizeInMiB>24576</sizeInMiB></memoryInfo></item>"
      "<item><name>T4</name><manufacturer>NVIDIA</manufacturer><count>2</count><memoryInfo><sizeInMiB>16384</sizeInMiB></memoryInfo></item>"
      "</gpus></gpuInfo></item>");
  EXPECT_EQ(mixed.gpu_count, 3);
  EXPECT_EQ(mixed.gpu_model.value(), "A10G+T4");
  EXPECT_EQ(mixed.gpu_manufacturer.value(), "NVIDIA");
  EXPECT_FALSE(mixed.gpu_memory_gib.has_value()) << "per-GPU memory differs: null, not a guess";
  EXPECT_DOUBLE_EQ(mixed.gpu_total_memory_gib.value(), 24.0 + 2 * 16.0);
}

TEST(InstanceTypeNormalizer, ABadNumberIsAnErrorNamingTheElement) {
  auto r = normalize(page_of("<item><instanceType>m5.large</instanceType><vCpuInfo><defaultVCpus>two</defaultVCpus></vCpuInfo></item>",
                             "req-bad"));
  ASSERT_FALSE(r.ok());
  const Error& e = r.error();
  EXPECT_EQ(e.code(), ErrorCode::malformed_response);
  EXPECT_EQ(e.context().region, "us-west-2");
  EXPECT_EQ(e.context().action, "DescribeInstanceTypes");
  EXPECT_EQ(e.context().request_id, "req-bad");
  EXPECT_NE(e.message().find("m5.large"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("vCpuInfo/defaultVCpus"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("'two'"), std::string::npos) << e.message();
}

TEST(InstanceTypeNormalizer, AnItemWithoutAnInstanceTypeIsAnError) {
  auto r = normalize(page_of("<item><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo></item>"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no <instanceType>"), std::string::npos);
}

TEST(InstanceTypeNormalizer, AWholePageOfItems) {
  std::string items;
  for (int i = 0; i < 100; ++i) items += std::string(kP4d);
  auto r = normalize(page_of(items));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().size(), 100u);
}

}  // namespace
}  // namespace pricepipe::stages
