#include "stages/transforms/instance_type_normalizer.h"

#include <algorithm>

#include "stages/transforms/ec2_xml.h"

namespace pricepipe::stages {

namespace {

constexpr double kMiBPerGiB = 1024.0;

// A list of devices (GPUs, FPGAs, ...): `<list><item><count/><name/>
// <manufacturer/><memoryInfo><sizeInMiB/></memoryInfo></item>...</list>`.
struct Devices {
  std::int64_t count = 0;
  std::optional<std::string> model;
  std::optional<std::string> manufacturer;
  std::optional<double> memory_gib;        // per device, when every device has the same
  std::optional<double> total_memory_gib;
};

void join_distinct(std::optional<std::string>& into, const std::optional<std::string>& value) {
  if (!value || value->empty()) return;
  if (!into) {
    into = value;
    return;
  }
  // "A100+T4" style for the rare type with two kinds of device.
  std::string_view existing = *into;
  std::size_t start = 0;
  while (start <= existing.size()) {
    const auto plus = existing.find('+', start);
    if (existing.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start) == *value) return;
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  *into += "+" + *value;
}

Devices read_devices(xml::Reader& read, pugi::xml_node info, const char* list, const char* total) {
  Devices d;
  if (!info) return d;
  bool same_memory = true;
  std::optional<double> memory;
  double summed_memory = 0;
  for (pugi::xml_node item : xml::items(info.child(list))) {
    const std::int64_t count = read.integer(item, "count").value_or(0);
    d.count += count;
    join_distinct(d.model, read.text(item, "name"));
    join_distinct(d.manufacturer, read.text(item, "manufacturer"));
    if (auto mib = read.integer(item.child("memoryInfo"), "sizeInMiB")) {
      const double gib = static_cast<double>(*mib) / kMiBPerGiB;
      if (memory && *memory != gib) same_memory = false;
      memory = gib;
      summed_memory += gib * static_cast<double>(count);
    }
  }
  if (memory && same_memory) d.memory_gib = memory;
  if (auto total_mib = read.integer(info, total)) {
    d.total_memory_gib = static_cast<double>(*total_mib) / kMiBPerGiB;
  } else if (memory) {
    d.total_memory_gib = summed_memory;
  }
  return d;
}

}  // namespace

Result<std::vector<InstanceTypeRecord>> InstanceTypeNormalizer::process(const Ec2Document& doc,
                                                                        const net::Page& page) const {
  std::vector<InstanceTypeRecord> out;
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    InstanceTypeRecord r;
    r.region = page.request.region;
    r.instance_type = read.text(item, "instanceType").value_or("");
    if (r.instance_type.empty()) return malformed(page, doc, "an <instanceTypeSet> item has no <instanceType>");
    const auto dot = r.instance_type.find('.');
    r.family = r.instance_type.substr(0, dot);
    r.size = dot == std::string::npos ? "" : r.instance_type.substr(dot + 1);
    r.current_generation = read.boolean(item, "currentGeneration").value_or(false);
    r.free_tier_eligible = read.boolean(item, "freeTierEligible").value_or(false);
    r.bare_metal = read.boolean(item, "bareMetal").value_or(false);
    r.burstable = read.boolean(item, "burstablePerformanceSupported").value_or(false);
    r.hypervisor = read.text(item, "hypervisor");
    r.usage_classes = read.text_list(item, "supportedUsageClasses");
    r.root_device_types = read.text_list(item, "supportedRootDeviceTypes");
    r.virtualization_types = read.text_list(item, "supportedVirtualizationTypes");
    r.boot_modes = read.text_list(item, "supportedBootModes");

    const pugi::xml_node vcpu = item.child("vCpuInfo");
    r.vcpus = read.integer(vcpu, "defaultVCpus").value_or(0);
    r.cores = read.integer(vcpu, "defaultCores");
    r.threads_per_core = read.integer(vcpu, "defaultThreadsPerCore");
    r.valid_cores = read.integer_list(vcpu, "validCores");
    r.valid_threads_per_core = read.integer_list(vcpu, "validThreadsPerCore");
    r.memory_mib = read.integer(item.child("memoryInfo"), "sizeInMiB").value_or(0);
    r.memory_gib = static_cast<double>(r.memory_mib) / kMiBPerGiB;
    const pugi::xml_node cpu = item.child("processorInfo");
    r.architectures = read.text_list(cpu, "supportedArchitectures");
    r.processor_manufacturer = read.text(cpu, "manufacturer");
    r.clock_ghz = read.number(cpu, "sustainedClockSpeedInGhz");
    r.processor_features = read.text_list(cpu, "supportedFeatures");

    const Devices gpus = read_devices(read, item.child("gpuInfo"), "gpus", "totalGpuMemoryInMiB");
    r.gpu_count = gpus.count;
    r.gpu_manufacturer = gpus.manufacturer;
    r.gpu_model = gpus.model;
    r.gpu_memory_gib = gpus.memory_gib;
    r.gpu_total_memory_gib = gpus.total_memory_gib;

    const pugi::xml_node neuron = item.child("neuronInfo");
    const Devices neurons = read_devices(read, neuron, "neuronDevices", "totalNeuronDeviceMemoryInMiB");
    r.neuron_device_count = neurons.count;
    r.neuron_device_model = neurons.model;
    r.neuron_device_memory_gib = neurons.memory_gib;
    r.neuron_total_memory_gib = neurons.total_memory_gib;
    if (pugi::xml_node first = neuron.child("neuronDevices").child("item")) {
      r.neuron_cores_per_device = read.integer(first.child("coreInfo"), "count");
      r.neuron_core_version = read.integer(first.child("coreInfo"), "version");
    }

    const Devices inference = read_devices(read, item.child("inferenceAcceleratorInfo"), "accelerators", "totalInferenceMemoryInMiB");
    r.inference_accelerator_count = inference.count;
    r.inference_accelerator_manufacturer = inference.manufacturer;
    r.inference_accelerator_model = inference.model;
    r.inference_accelerator_memory_gib = inference.memory_gib;

    const Devices fpgas = read_devices(read, item.child("fpgaInfo"), "fpgas", "totalFpgaMemoryInMiB");
    r.fpga_count = fpgas.count;
    r.fpga_manufacturer = fpgas.manufacturer;
    r.fpga_model = fpgas.model;
    r.fpga_memory_gib = fpgas.memory_gib;
    r.fpga_total_memory_gib = fpgas.total_memory_gib;

    const Devices media = read_devices(read, item.child("mediaAcceleratorInfo"), "accelerators", "totalMediaMemoryInMiB");
    r.media_accelerator_count = media.count;
    r.media_accelerator_manufacturer = media.manufacturer;
    r.media_accelerator_model = media.model;
    r.media_accelerator_memory_gib = media.memory_gib;

    const pugi::xml_node net = item.child("networkInfo");
    r.network_performance = read.text(net, "networkPerformance");
    r.network_cards = read.integer(net, "maximumNetworkCards");
    r.max_network_interfaces = read.integer(net, "maximumNetworkInterfaces");
    r.ipv4_addresses_per_interface = read.integer(net, "ipv4AddressesPerInterface");
    r.ipv6_addresses_per_interface = read.integer(net, "ipv6AddressesPerInterface");
    r.ipv6_supported = read.boolean(net, "ipv6Supported").value_or(false);
    r.ena_support = read.text(net, "enaSupport");
    r.efa_supported = read.boolean(net, "efaSupported").value_or(false);
    r.efa_max_interfaces = read.integer(net.child("efaInfo"), "maximumEfaInterfaces");
    for (pugi::xml_node card : xml::items(net.child("networkCards"))) {
      if (auto baseline = read.number(card, "baselineBandwidthInGbps")) {
        r.network_baseline_gbps = r.network_baseline_gbps.value_or(0) + *baseline;
      }
      if (auto peak = read.number(card, "peakBandwidthInGbps")) {
        r.network_peak_gbps = r.network_peak_gbps.value_or(0) + *peak;
      }
    }

    const pugi::xml_node ebs = item.child("ebsInfo");
    const pugi::xml_node optimized = ebs.child("ebsOptimizedInfo");
    r.ebs_optimized_support = read.text(ebs, "ebsOptimizedSupport");
    r.ebs_encryption_support = read.text(ebs, "encryptionSupport");
    r.ebs_nvme_support = read.text(ebs, "nvmeSupport");
    r.ebs_max_attachments = read.integer(ebs, "maximumEbsAttachments");
    r.ebs_baseline_bandwidth_mbps = read.integer(optimized, "baselineBandwidthInMbps");
    r.ebs_maximum_bandwidth_mbps = read.integer(optimized, "maximumBandwidthInMbps");
    r.ebs_baseline_throughput_mbs = read.number(optimized, "baselineThroughputInMBps");
    r.ebs_maximum_throughput_mbs = read.number(optimized, "maximumThroughputInMBps");
    r.ebs_baseline_iops = read.integer(optimized, "baselineIops");
    r.ebs_maximum_iops = read.integer(optimized, "maximumIops");

    r.instance_storage_supported = read.boolean(item, "instanceStorageSupported").value_or(false);
    if (const pugi::xml_node storage = item.child("instanceStorageInfo")) {
      r.instance_storage_total_gb = read.integer(storage, "totalSizeInGB");
      r.instance_storage_nvme_support = read.text(storage, "nvmeSupport");
      std::int64_t disks = 0;
      for (pugi::xml_node disk : xml::items(storage.child("disks"))) {
        disks += read.integer(disk, "count").value_or(0);
        if (!r.instance_storage_disk_size_gb) r.instance_storage_disk_size_gb = read.integer(disk, "sizeInGB");
        if (!r.instance_storage_disk_type) r.instance_storage_disk_type = read.text(disk, "type");
      }
      if (disks > 0) r.instance_storage_disk_count = disks;
    }

    r.hibernation_supported = read.boolean(item, "hibernationSupported").value_or(false);
    r.dedicated_hosts_supported = read.boolean(item, "dedicatedHostsSupported").value_or(false);
    r.auto_recovery_supported = read.boolean(item, "autoRecoverySupported").value_or(false);
    r.nitro_enclaves_support = read.text(item, "nitroEnclavesSupport");
    r.nitro_tpm_support = read.text(item, "nitroTpmSupport");
    r.placement_group_strategies = read.text_list(item.child("placementGroupInfo"), "supportedStrategies");

    if (read.failure()) return malformed(page, doc, r.instance_type + ": " + *read.failure());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace pricepipe::stages
