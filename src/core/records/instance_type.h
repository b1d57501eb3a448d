// Record of the `instance-types` dataset: DescribeInstanceTypes flattened
// into the columns users filter on. Every number is a number; each
// accelerator kind has its own columns so GPUs, Neuron devices, inference
// accelerators, FPGAs and media accelerators are never confused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"

namespace pricepipe {

struct InstanceTypeRecord {
  std::string region;
  std::string instance_type;
  std::string family;
  std::string size;
  bool current_generation = false;
  bool free_tier_eligible = false;
  bool bare_metal = false;
  bool burstable = false;
  std::optional<std::string> hypervisor;
  std::vector<std::string> usage_classes;
  std::vector<std::string> root_device_types;
  std::vector<std::string> virtualization_types;
  std::vector<std::string> boot_modes;

  std::int64_t vcpus = 0;
  std::optional<std::int64_t> cores;
  std::optional<std::int64_t> threads_per_core;
  std::vector<std::int64_t> valid_cores;
  std::vector<std::int64_t> valid_threads_per_core;
  double memory_gib = 0;
  std::int64_t memory_mib = 0;
  std::vector<std::string> architectures;
  std::optional<std::string> processor_manufacturer;
  std::optional<double> clock_ghz;
  std::vector<std::string> processor_features;

  std::int64_t gpu_count = 0;
  std::optional<double> gpu_partition_size;
  std::optional<std::string> gpu_manufacturer;
  std::optional<std::string> gpu_model;
  std::optional<double> gpu_memory_gib;
  std::optional<double> gpu_total_memory_gib;

  std::int64_t neuron_device_count = 0;
  std::optional<std::string> neuron_device_model;
  std::optional<std::int64_t> neuron_cores_per_device;
  std::optional<std::int64_t> neuron_core_version;
  std::optional<double> neuron_device_memory_gib;
  std::optional<double> neuron_total_memory_gib;

  std::int64_t inference_accelerator_count = 0;
  std::optional<std::string> inference_accelerator_manufacturer;
  std::optional<std::string> inference_accelerator_model;
  std::optional<double> inference_accelerator_memory_gib;

  std::int64_t fpga_count = 0;
  std::optional<std::string> fpga_manufacturer;
  std::optional<std::string> fpga_model;
  std::optional<double> fpga_memory_gib;
  std::optional<double> fpga_total_memory_gib;

  std::int64_t media_accelerator_count = 0;
  std::optional<std::string> media_accelerator_manufacturer;
  std::optional<std::string> media_accelerator_model;
  std::optional<double> media_accelerator_memory_gib;

  std::optional<std::string> network_performance;
  std::optional<double> network_baseline_gbps;
  std::optional<double> network_peak_gbps;
  std::optional<std::int64_t> network_cards;
  std::optional<std::int64_t> max_network_interfaces;
  std::optional<std::int64_t> ipv4_addresses_per_interface;
  std::optional<std::int64_t> ipv6_addresses_per_interface;
  bool ipv6_supported = false;
  std::optional<std::string> ena_support;
  bool efa_supported = false;
  std::optional<std::int64_t> efa_max_interfaces;
  bool encryption_in_transit_supported = false;

  std::optional<std::string> ebs_optimized_support;
  std::optional<std::int64_t> ebs_baseline_bandwidth_mbps;
  std::optional<std::int64_t> ebs_maximum_bandwidth_mbps;
  std::optional<double> ebs_baseline_throughput_mbs;
  std::optional<double> ebs_maximum_throughput_mbs;
  std::optional<std::int64_t> ebs_baseline_iops;
  std::optional<std::int64_t> ebs_maximum_iops;
  std::optional<std::string> ebs_nvme_support;
  std::optional<std::string> ebs_encryption_support;
  std::optional<std::int64_t> ebs_max_attachments;

  bool instance_storage_supported = false;
  std::optional<std::int64_t> instance_storage_total_gb;
  std::optional<std::int64_t> instance_storage_disk_count;
  std::optional<std::int64_t> instance_storage_disk_size_gb;
  std::optional<std::string> instance_storage_disk_type;
  std::optional<std::string> instance_storage_nvme_support;

  bool hibernation_supported = false;
  bool dedicated_hosts_supported = false;
  bool auto_recovery_supported = false;
  std::optional<std::string> nitro_enclaves_support;
  std::optional<std::string> nitro_tpm_support;
  std::vector<std::string> placement_group_strategies;

  template <class V>
  static void describe(V&& v) {
    using R = InstanceTypeRecord;
    v("region", &R::region, "Region code.");
    v("instance_type", &R::instance_type, "Instance type, e.g. `m7g.large`.");
    v("family", &R::family, "The part before the dot, e.g. `m7g`.");
    v("size", &R::size, "The part after the dot, e.g. `large` or `metal-48xl`.");
    v("current_generation", &R::current_generation, "EC2's `CurrentGeneration` flag.");
    v("free_tier_eligible", &R::free_tier_eligible, "Eligible for the AWS Free Tier.");
    v("bare_metal", &R::bare_metal, "A bare-metal instance type.");
    v("burstable", &R::burstable, "A burstable performance (T family) instance type.");
    v("hypervisor", &R::hypervisor, "`nitro` or `xen`; null for bare metal, where EC2 reports none.");
    v("usage_classes", &R::usage_classes, "Supported usage classes: `on-demand`, `spot`, `capacity-block`.");
    v("root_device_types", &R::root_device_types, "Supported root device types: `ebs`, `instance-store`.");
    v("virtualization_types", &R::virtualization_types, "Supported virtualization types: `hvm`, `paravirtual`.");
    v("boot_modes", &R::boot_modes, "Supported boot modes: `legacy-bios`, `uefi`.");

    v("vcpus", &R::vcpus, "Default number of vCPUs; always reported (an answer without it is a malformed response).");
    v("cores", &R::cores, "Default number of physical cores; null when EC2 does not report it.");
    v("threads_per_core", &R::threads_per_core, "Default threads per core; null when EC2 does not report it.");
    v("valid_cores", &R::valid_cores, "Core counts that can be chosen with CPU options; empty when not configurable.");
    v("valid_threads_per_core", &R::valid_threads_per_core, "Threads-per-core values that can be chosen with CPU options.");
    v("memory_gib", &R::memory_gib, "Memory in GiB (`memory_mib` / 1024).");
    v("memory_mib", &R::memory_mib, "Memory in MiB, as EC2 reports it; always reported.");
    v("architectures", &R::architectures, "Supported architectures: `x86_64`, `arm64`, `i386`, `x86_64_mac`, `arm64_mac`.");
    v("processor_manufacturer", &R::processor_manufacturer, "CPU manufacturer, e.g. `Intel`, `AMD`, `AWS`, `Apple`.");
    v("clock_ghz", &R::clock_ghz, "Sustained clock speed in GHz; null when EC2 does not report it.");
    v("processor_features", &R::processor_features, "Processor features, e.g. `amd-sev-snp`.");

    v("gpu_count", &R::gpu_count, "Number of whole GPUs (EC2's `Count`, summed over GPU entries); 0 when none, and 0 for a type with a share of one GPU (see `gpu_partition_size`).");
    v("gpu_partition_size", &R::gpu_partition_size, "Fraction of one physical GPU that each of the type's GPUs is: 1 for whole GPUs, 0.125 for an eighth of one (g6f.large); null when no GPU, or when GPU entries differ.");
    v("gpu_manufacturer", &R::gpu_manufacturer, "GPU manufacturer, e.g. `NVIDIA`; several are joined with `+`; null when no GPU.");
    v("gpu_model", &R::gpu_model, "GPU model, e.g. `A100`; several models are joined with `+`; null when no GPU.");
    v("gpu_memory_gib", &R::gpu_memory_gib, "Memory per GPU in GiB; null when no GPU, or when GPU entries differ.");
    v("gpu_total_memory_gib", &R::gpu_total_memory_gib, "Total GPU memory in GiB (EC2's total, else the sum over GPUs); null when no GPU.");

    v("neuron_device_count", &R::neuron_device_count, "Number of AWS Neuron devices (Inferentia, Inferentia2, Trainium); 0 when none.");
    v("neuron_device_model", &R::neuron_device_model, "Neuron device model, e.g. `Trainium2`; null when none.");
    v("neuron_cores_per_device", &R::neuron_cores_per_device, "NeuronCores per device; null when none, or when device entries differ.");
    v("neuron_core_version", &R::neuron_core_version, "NeuronCore version; null when none, or when device entries differ.");
    v("neuron_device_memory_gib", &R::neuron_device_memory_gib, "Memory per Neuron device in GiB; null when none, or when device entries differ.");
    v("neuron_total_memory_gib", &R::neuron_total_memory_gib, "Total Neuron device memory in GiB; null when none.");

    v("inference_accelerator_count", &R::inference_accelerator_count, "Number of inference accelerators EC2 lists under InferenceAcceleratorInfo; 0 when none. EC2 lists Inferentia and Inferentia2 here and under NeuronInfo, so on inf1 and inf2 these are the `neuron_*` devices again (do not add the two); dl2q's Qualcomm AI 100 is only here.");
    v("inference_accelerator_manufacturer", &R::inference_accelerator_manufacturer, "Inference accelerator manufacturer; null when none.");
    v("inference_accelerator_model", &R::inference_accelerator_model, "Inference accelerator model, e.g. `Inferentia`; null when none.");
    v("inference_accelerator_memory_gib", &R::inference_accelerator_memory_gib, "Memory per inference accelerator in GiB; null when none, not reported, or when entries differ.");

    v("fpga_count", &R::fpga_count, "Number of FPGAs; 0 when none.");
    v("fpga_manufacturer", &R::fpga_manufacturer, "FPGA manufacturer, e.g. `Xilinx`; null when none.");
    v("fpga_model", &R::fpga_model, "FPGA model, e.g. `Virtex UltraScale (VU9P)`; null when none.");
    v("fpga_memory_gib", &R::fpga_memory_gib, "Memory per FPGA in GiB; null when none, or when FPGA entries differ.");
    v("fpga_total_memory_gib", &R::fpga_total_memory_gib, "Total FPGA memory in GiB; null when none.");

    v("media_accelerator_count", &R::media_accelerator_count, "Number of media accelerators; 0 when none.");
    v("media_accelerator_manufacturer", &R::media_accelerator_manufacturer, "Media accelerator manufacturer; null when none.");
    v("media_accelerator_model", &R::media_accelerator_model, "Media accelerator model, e.g. `U30`; null when none.");
    v("media_accelerator_memory_gib", &R::media_accelerator_memory_gib, "Memory per media accelerator in GiB; null when none, or when entries differ.");

    v("network_performance", &R::network_performance, "EC2's network performance label, e.g. `Up to 12.5 Gigabit`.");
    v("network_baseline_gbps", &R::network_baseline_gbps, "Baseline bandwidth in Gbit/s, summed over network cards; null when a card does not report it.");
    v("network_peak_gbps", &R::network_peak_gbps, "Peak (burst) bandwidth in Gbit/s, summed over network cards; null when a card does not report it.");
    v("network_cards", &R::network_cards, "Maximum number of network cards.");
    v("max_network_interfaces", &R::max_network_interfaces, "Maximum number of network interfaces.");
    v("ipv4_addresses_per_interface", &R::ipv4_addresses_per_interface, "Maximum IPv4 addresses per interface.");
    v("ipv6_addresses_per_interface", &R::ipv6_addresses_per_interface, "Maximum IPv6 addresses per interface.");
    v("ipv6_supported", &R::ipv6_supported, "IPv6 supported.");
    v("ena_support", &R::ena_support, "Elastic Network Adapter support: `unsupported`, `supported` or `required`.");
    v("efa_supported", &R::efa_supported, "Elastic Fabric Adapter supported.");
    v("efa_max_interfaces", &R::efa_max_interfaces, "Maximum EFA interfaces; null when EFA is not supported.");
    v("encryption_in_transit_supported", &R::encryption_in_transit_supported, "Encrypts in-transit traffic between instances automatically (both ends must support it).");

    v("ebs_optimized_support", &R::ebs_optimized_support, "`unsupported`, `supported` or `default`.");
    v("ebs_baseline_bandwidth_mbps", &R::ebs_baseline_bandwidth_mbps, "EBS baseline bandwidth in Mbit/s; null when not EBS-optimized.");
    v("ebs_maximum_bandwidth_mbps", &R::ebs_maximum_bandwidth_mbps, "EBS maximum bandwidth in Mbit/s.");
    v("ebs_baseline_throughput_mbs", &R::ebs_baseline_throughput_mbs, "EBS baseline throughput in MB/s.");
    v("ebs_maximum_throughput_mbs", &R::ebs_maximum_throughput_mbs, "EBS maximum throughput in MB/s.");
    v("ebs_baseline_iops", &R::ebs_baseline_iops, "EBS baseline IOPS (16 KiB I/O).");
    v("ebs_maximum_iops", &R::ebs_maximum_iops, "EBS maximum IOPS (16 KiB I/O).");
    v("ebs_nvme_support", &R::ebs_nvme_support, "EBS volumes exposed as NVMe: `unsupported`, `supported` or `required`.");
    v("ebs_encryption_support", &R::ebs_encryption_support, "EBS encryption: `unsupported` or `supported`.");
    v("ebs_max_attachments", &R::ebs_max_attachments, "Maximum EBS volume attachments, when EC2 reports it.");

    v("instance_storage_supported", &R::instance_storage_supported, "Has local instance store volumes.");
    v("instance_storage_total_gb", &R::instance_storage_total_gb, "Total instance store size in GB; null when none.");
    v("instance_storage_disk_count", &R::instance_storage_disk_count, "Number of instance store disks (summed over disk entries); null when none.");
    v("instance_storage_disk_size_gb", &R::instance_storage_disk_size_gb, "Size of each instance store disk in GB; null when none, or when disk entries differ.");
    v("instance_storage_disk_type", &R::instance_storage_disk_type, "`ssd` or `hdd`; null when none, or when disk entries differ.");
    v("instance_storage_nvme_support", &R::instance_storage_nvme_support, "Instance store NVMe: `unsupported`, `supported` or `required`; null when none.");

    v("hibernation_supported", &R::hibernation_supported, "On-demand hibernation supported.");
    v("dedicated_hosts_supported", &R::dedicated_hosts_supported, "Can run on Dedicated Hosts.");
    v("auto_recovery_supported", &R::auto_recovery_supported, "Automatic recovery supported.");
    v("nitro_enclaves_support", &R::nitro_enclaves_support, "`unsupported` or `supported`.");
    v("nitro_tpm_support", &R::nitro_tpm_support, "`unsupported` or `supported`.");
    v("placement_group_strategies", &R::placement_group_strategies, "Supported placement group strategies: `cluster`, `partition`, `spread`.");
  }
};

}  // namespace pricepipe
