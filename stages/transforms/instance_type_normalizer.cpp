#include "stages/transforms/instance_type_normalizer.h"

#include <cstddef>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "stages/transforms/ec2_xml.h"

namespace pricepipe::stages {

namespace {

constexpr double kMiBPerGiB = 1024.0;

std::optional<double> to_gib(std::optional<std::int64_t> mib) {
  if (!mib) return std::nullopt;
  return static_cast<double>(*mib) / kMiBPerGiB;
}

// The value every entry of a list reports, or null when one entry does not
// report it or two disagree: a per-device figure must hold for each device.
template <class T>
class Common {
 public:
  void add(std::optional<T> value) {
    if (!seen_) {
      seen_ = true;
      known_ = value.has_value();
      if (known_) value_ = std::move(*value);
    } else if (known_ && (!value || *value != value_)) {
      known_ = false;
    }
  }
  std::optional<T> take() { return known_ ? std::optional<T>(std::move(value_)) : std::nullopt; }

 private:
  T value_{};
  bool seen_ = false;
  bool known_ = false;
};

// Distinct names in first-seen order, joined with `+` ("A10G+T4").
void join_distinct(std::optional<std::string>& joined, std::optional<std::string> name) {
  if (!name || name->empty()) return;
  if (!joined) {
    joined = std::move(name);
    return;
  }
  const std::string_view all = *joined;
  for (std::size_t start = 0;;) {
    const std::size_t plus = all.find('+', start);
    if (all.substr(start, plus == std::string_view::npos ? plus : plus - start) == *name) return;
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  joined->append(1, '+').append(*name);
}

// A device list summarized: the shape GPUs, Neuron devices and inference,
// FPGA and media accelerators share.
struct Devices {
  std::int64_t count = 0;
  std::optional<std::string> model;
  std::optional<std::string> manufacturer;
  std::optional<double> memory_gib;  // per device
  std::optional<double> total_memory_gib;
};

// `<info><list><item><count/><name/><manufacturer/><memoryInfo><sizeInMiB/>
// </memoryInfo></item>...</list><total/></info>`. `each` is shown every
// entry, for the fields only one kind of device has. The total is EC2's, or
// the sum over entries when EC2 gives none and every entry has its memory.
template <class Each>
Devices read_devices(xml::Reader& read, pugi::xml_node info, const char* list, const char* total, Each&& each) {
  Devices d;
  if (!info) return d;
  Common<std::int64_t> memory_mib;
  std::int64_t summed_mib = 0;
  bool every_memory = true;
  bool any = false;
  for (pugi::xml_node entry : xml::items(info.child(list))) {
    any = true;
    const std::int64_t count = read.integer(entry, "count").value_or(0);
    d.count += count;
    join_distinct(d.model, read.text(entry, "name"));
    join_distinct(d.manufacturer, read.text(entry, "manufacturer"));
    const std::optional<std::int64_t> mib = read.integer(entry.child("memoryInfo"), "sizeInMiB");
    memory_mib.add(mib);
    if (mib) {
      summed_mib += *mib * count;
    } else {
      every_memory = false;
    }
    each(entry);
  }
  d.memory_gib = to_gib(memory_mib.take());
  d.total_memory_gib = to_gib(read.integer(info, total));
  if (!d.total_memory_gib && any && every_memory) d.total_memory_gib = to_gib(summed_mib);
  return d;
}

Devices read_devices(xml::Reader& read, pugi::xml_node info, const char* list, const char* total) {
  return read_devices(read, info, list, total, [](pugi::xml_node) {});
}

void read_compute(xml::Reader& read, pugi::xml_node item, InstanceTypeRecord& r) {
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
}

void read_accelerators(xml::Reader& read, pugi::xml_node item, InstanceTypeRecord& r) {
  Common<double> partition;
  Devices gpus = read_devices(read, item.child("gpuInfo"), "gpus", "totalGpuMemoryInMiB", [&](pugi::xml_node gpu) {
    partition.add(read.number(gpu, "gpuPartitionSize"));
  });
  r.gpu_count = gpus.count;
  r.gpu_partition_size = partition.take();
  r.gpu_manufacturer = std::move(gpus.manufacturer);
  r.gpu_model = std::move(gpus.model);
  r.gpu_memory_gib = gpus.memory_gib;
  r.gpu_total_memory_gib = gpus.total_memory_gib;

  Common<std::int64_t> cores;
  Common<std::int64_t> core_version;
  Devices neurons = read_devices(read, item.child("neuronInfo"), "neuronDevices", "totalNeuronDeviceMemoryInMiB",
                                 [&](pugi::xml_node device) {
                                   const pugi::xml_node core = device.child("coreInfo");
                                   cores.add(read.integer(core, "count"));
                                   core_version.add(read.integer(core, "version"));
                                 });
  r.neuron_device_count = neurons.count;
  r.neuron_device_model = std::move(neurons.model);
  r.neuron_cores_per_device = cores.take();
  r.neuron_core_version = core_version.take();
  r.neuron_device_memory_gib = neurons.memory_gib;
  r.neuron_total_memory_gib = neurons.total_memory_gib;

  // The model names this list's members <member>, not <item>; xml::items takes either.
  Devices inference =
      read_devices(read, item.child("inferenceAcceleratorInfo"), "accelerators", "totalInferenceMemoryInMiB");
  r.inference_accelerator_count = inference.count;
  r.inference_accelerator_manufacturer = std::move(inference.manufacturer);
  r.inference_accelerator_model = std::move(inference.model);
  r.inference_accelerator_memory_gib = inference.memory_gib;

  Devices fpgas = read_devices(read, item.child("fpgaInfo"), "fpgas", "totalFpgaMemoryInMiB");
  r.fpga_count = fpgas.count;
  r.fpga_manufacturer = std::move(fpgas.manufacturer);
  r.fpga_model = std::move(fpgas.model);
  r.fpga_memory_gib = fpgas.memory_gib;
  r.fpga_total_memory_gib = fpgas.total_memory_gib;

  Devices media = read_devices(read, item.child("mediaAcceleratorInfo"), "accelerators", "totalMediaMemoryInMiB");
  r.media_accelerator_count = media.count;
  r.media_accelerator_manufacturer = std::move(media.manufacturer);
  r.media_accelerator_model = std::move(media.model);
  r.media_accelerator_memory_gib = media.memory_gib;
}

// The instance's bandwidth is the sum over its network cards, known only
// when every card reports it.
std::optional<double> sum_over_cards(xml::Reader& read, pugi::xml_node cards, const char* name) {
  std::optional<double> sum;
  bool every_card = true;
  for (pugi::xml_node card : xml::items(cards)) {
    if (const auto value = read.number(card, name)) {
      sum = sum.value_or(0) + *value;
    } else {
      every_card = false;
    }
  }
  return every_card ? sum : std::nullopt;
}

void read_network(xml::Reader& read, pugi::xml_node net, InstanceTypeRecord& r) {
  r.network_performance = read.text(net, "networkPerformance");
  const pugi::xml_node cards = net.child("networkCards");
  r.network_baseline_gbps = sum_over_cards(read, cards, "baselineBandwidthInGbps");
  r.network_peak_gbps = sum_over_cards(read, cards, "peakBandwidthInGbps");
  r.network_cards = read.integer(net, "maximumNetworkCards");
  r.max_network_interfaces = read.integer(net, "maximumNetworkInterfaces");
  r.ipv4_addresses_per_interface = read.integer(net, "ipv4AddressesPerInterface");
  r.ipv6_addresses_per_interface = read.integer(net, "ipv6AddressesPerInterface");
  r.ipv6_supported = read.boolean(net, "ipv6Supported").value_or(false);
  r.ena_support = read.text(net, "enaSupport");
  r.efa_supported = read.boolean(net, "efaSupported").value_or(false);
  r.efa_max_interfaces = read.integer(net.child("efaInfo"), "maximumEfaInterfaces");
  r.encryption_in_transit_supported = read.boolean(net, "encryptionInTransitSupported").value_or(false);
}

void read_ebs(xml::Reader& read, pugi::xml_node ebs, InstanceTypeRecord& r) {
  r.ebs_optimized_support = read.text(ebs, "ebsOptimizedSupport");
  const pugi::xml_node optimized = ebs.child("ebsOptimizedInfo");
  r.ebs_baseline_bandwidth_mbps = read.integer(optimized, "baselineBandwidthInMbps");
  r.ebs_maximum_bandwidth_mbps = read.integer(optimized, "maximumBandwidthInMbps");
  r.ebs_baseline_throughput_mbs = read.number(optimized, "baselineThroughputInMBps");
  r.ebs_maximum_throughput_mbs = read.number(optimized, "maximumThroughputInMBps");
  r.ebs_baseline_iops = read.integer(optimized, "baselineIops");
  r.ebs_maximum_iops = read.integer(optimized, "maximumIops");
  r.ebs_nvme_support = read.text(ebs, "nvmeSupport");
  r.ebs_encryption_support = read.text(ebs, "encryptionSupport");
  r.ebs_max_attachments = read.integer(ebs, "maximumEbsAttachments");
}

void read_instance_storage(xml::Reader& read, pugi::xml_node item, InstanceTypeRecord& r) {
  r.instance_storage_supported = read.boolean(item, "instanceStorageSupported").value_or(false);
  const pugi::xml_node storage = item.child("instanceStorageInfo");
  if (!storage) return;
  r.instance_storage_total_gb = read.integer(storage, "totalSizeInGB");
  Common<std::int64_t> size;
  Common<std::string> type;
  for (pugi::xml_node disk : xml::items(storage.child("disks"))) {
    if (const auto count = read.integer(disk, "count")) {
      r.instance_storage_disk_count = r.instance_storage_disk_count.value_or(0) + *count;
    }
    size.add(read.integer(disk, "sizeInGB"));
    type.add(read.text(disk, "type"));
  }
  r.instance_storage_disk_size_gb = size.take();
  r.instance_storage_disk_type = type.take();
  r.instance_storage_nvme_support = read.text(storage, "nvmeSupport");
}

std::size_t count_items(pugi::xml_node list) {
  std::size_t n = 0;
  for ([[maybe_unused]] pugi::xml_node item : xml::items(list)) ++n;
  return n;
}

}  // namespace

Result<std::vector<InstanceTypeRecord>> InstanceTypeNormalizer::process(const Ec2Document& doc,
                                                                        const net::Page& page) const {
  std::vector<InstanceTypeRecord> out;
  out.reserve(count_items(doc.items));
  xml::Reader read;
  for (pugi::xml_node item : xml::items(doc.items)) {
    // Filled in place rather than built and moved: a record is ~1.7 KB of members.
    InstanceTypeRecord& r = out.emplace_back();
    r.region = page.request.region;
    r.instance_type = read.text(item, "instanceType").value_or("");
    if (r.instance_type.empty()) {
      return malformed(page, doc, fmt::format("item {} of <{}> has no <instanceType>", out.size(), kResultElement));
    }
    const std::string_view name = r.instance_type;
    const std::size_t dot = name.find('.');
    r.family = name.substr(0, dot);
    if (dot != std::string_view::npos) r.size = name.substr(dot + 1);

    r.current_generation = read.boolean(item, "currentGeneration").value_or(false);
    r.free_tier_eligible = read.boolean(item, "freeTierEligible").value_or(false);
    r.bare_metal = read.boolean(item, "bareMetal").value_or(false);
    r.burstable = read.boolean(item, "burstablePerformanceSupported").value_or(false);
    r.hypervisor = read.text(item, "hypervisor");
    r.usage_classes = read.text_list(item, "supportedUsageClasses");
    r.root_device_types = read.text_list(item, "supportedRootDeviceTypes");
    r.virtualization_types = read.text_list(item, "supportedVirtualizationTypes");
    r.boot_modes = read.text_list(item, "supportedBootModes");

    read_compute(read, item, r);
    read_accelerators(read, item, r);
    read_network(read, item.child("networkInfo"), r);
    read_ebs(read, item.child("ebsInfo"), r);
    read_instance_storage(read, item, r);

    r.hibernation_supported = read.boolean(item, "hibernationSupported").value_or(false);
    r.dedicated_hosts_supported = read.boolean(item, "dedicatedHostsSupported").value_or(false);
    r.auto_recovery_supported = read.boolean(item, "autoRecoverySupported").value_or(false);
    r.nitro_enclaves_support = read.text(item, "nitroEnclavesSupport");
    r.nitro_tpm_support = read.text(item, "nitroTpmSupport");
    r.placement_group_strategies = read.text_list(item.child("placementGroupInfo"), "supportedStrategies");

    if (read.failure()) return malformed(page, doc, fmt::format("{}: {}", r.instance_type, *read.failure()));
    // vCPUs and memory are what every consumer filters on: a type without
    // them is a broken answer, not a type with 0 of each.
    if (r.vcpus <= 0) {
      return malformed(page, doc, fmt::format("{}: <vCpuInfo><defaultVCpus> is missing or 0", r.instance_type));
    }
    if (r.memory_mib <= 0) {
      return malformed(page, doc, fmt::format("{}: <memoryInfo><sizeInMiB> is missing or 0", r.instance_type));
    }
  }
  return out;
}

}  // namespace pricepipe::stages
