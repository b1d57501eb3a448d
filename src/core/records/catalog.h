// Record of the `catalog` dataset: one row per offered (region, instance
// type) with its specs and every price beside them. Each price is a Price:
// its value, where it came from and when, or null with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"

namespace pricepipe {

struct CatalogRecord {
  std::string region;
  std::string instance_type;
  std::string family;
  std::string size;
  bool current_generation = false;
  std::int64_t vcpus = 0;
  std::optional<std::int64_t> cores;
  double memory_gib = 0;
  std::vector<std::string> architectures;
  std::optional<std::string> processor_manufacturer;
  std::optional<double> clock_ghz;
  std::int64_t gpu_count = 0;
  std::optional<std::string> gpu_model;
  std::optional<double> gpu_total_memory_gib;
  std::int64_t neuron_device_count = 0;
  std::optional<std::string> neuron_device_model;
  std::int64_t inference_accelerator_count = 0;
  std::int64_t fpga_count = 0;
  std::int64_t media_accelerator_count = 0;
  std::optional<std::string> network_performance;
  std::optional<double> network_baseline_gbps;
  std::optional<std::int64_t> ebs_baseline_bandwidth_mbps;
  std::optional<std::int64_t> instance_storage_total_gb;
  bool bare_metal = false;
  bool burstable = false;
  std::vector<std::string> usage_classes;
  std::vector<std::string> zones;
  std::string currency;

  Price on_demand_linux;
  Price on_demand_windows;
  Price on_demand_rhel;
  Price on_demand_suse;

  NumberMap spot_price_by_zone;
  Price spot_min;
  Price spot_median;
  Price spot_max;
  Price spot_history_min;
  Price spot_history_mean;
  Price spot_history_max;
  std::optional<double> spot_savings_pct;

  std::optional<std::string> interruption_band;
  std::optional<std::int64_t> interruption_min_pct;
  std::optional<std::int64_t> interruption_max_pct;
  std::optional<std::int64_t> advisor_savings_pct;
  std::optional<std::string> advisor_reason;

  Price reserved_1yr_effective_hourly;
  Price reserved_3yr_effective_hourly;
  Price savings_plan_1yr_rate;
  Price savings_plan_3yr_rate;

  Price on_demand_per_vcpu_hour;
  Price on_demand_per_gib_hour;
  Price spot_per_vcpu_hour;
  Price spot_per_gib_hour;

  template <class V>
  static void describe(V&& v) {
    using R = CatalogRecord;
    v("region", &R::region, "Region code.");
    v("instance_type", &R::instance_type, "Instance type.");
    v("family", &R::family, "The part before the dot.");
    v("size", &R::size, "The part after the dot.");
    v("current_generation", &R::current_generation, "EC2's `CurrentGeneration` flag.");
    v("vcpus", &R::vcpus, "Default vCPUs.");
    v("cores", &R::cores, "Default physical cores; null when not reported.");
    v("memory_gib", &R::memory_gib, "Memory in GiB.");
    v("architectures", &R::architectures, "Supported architectures.");
    v("processor_manufacturer", &R::processor_manufacturer, "CPU manufacturer.");
    v("clock_ghz", &R::clock_ghz, "Sustained clock speed in GHz; null when not reported.");
    v("gpu_count", &R::gpu_count, "GPUs; 0 when none.");
    v("gpu_model", &R::gpu_model, "GPU model; null when none.");
    v("gpu_total_memory_gib", &R::gpu_total_memory_gib, "Total GPU memory in GiB; null when none.");
    v("neuron_device_count", &R::neuron_device_count, "AWS Neuron devices (Inferentia2, Trainium); 0 when none.");
    v("neuron_device_model", &R::neuron_device_model, "Neuron device model; null when none.");
    v("inference_accelerator_count", &R::inference_accelerator_count, "Inference accelerators as EC2 lists them (on inf1/inf2 the same devices as `neuron_device_count`); 0 when none.");
    v("fpga_count", &R::fpga_count, "FPGAs; 0 when none.");
    v("media_accelerator_count", &R::media_accelerator_count, "Media accelerators; 0 when none.");
    v("network_performance", &R::network_performance, "EC2's network performance label.");
    v("network_baseline_gbps", &R::network_baseline_gbps, "Baseline network bandwidth in Gbit/s; null when not reported.");
    v("ebs_baseline_bandwidth_mbps", &R::ebs_baseline_bandwidth_mbps, "EBS baseline bandwidth in Mbit/s.");
    v("instance_storage_total_gb", &R::instance_storage_total_gb, "Total instance store in GB; null when none.");
    v("bare_metal", &R::bare_metal, "A bare-metal type.");
    v("burstable", &R::burstable, "A burstable (T) type.");
    v("usage_classes", &R::usage_classes, "`on-demand`, `spot`, `capacity-block`.");
    v("zones", &R::zones, "Availability zones of the region that offer the type (DescribeInstanceTypeOfferings).");
    v("currency", &R::currency, "Currency of the Price List prices: `USD`, or `CNY` in the China regions. Spot prices are USD.");

    v("on_demand_linux", &R::on_demand_linux, "On-demand hourly price, Linux, shared tenancy, no pre-installed software.");
    v("on_demand_windows", &R::on_demand_windows, "The same for Windows (license included).");
    v("on_demand_rhel", &R::on_demand_rhel, "The same for Red Hat Enterprise Linux.");
    v("on_demand_suse", &R::on_demand_suse, "The same for SUSE Linux.");

    v("spot_price_by_zone", &R::spot_price_by_zone, "Current spot price per zone (the latest observation in the window), Linux/UNIX (Amazon VPC); `{}` when none.");
    v("spot_min", &R::spot_min, "Lowest current spot price across zones.");
    v("spot_median", &R::spot_median, "Median current spot price across zones.");
    v("spot_max", &R::spot_max, "Highest current spot price across zones.");
    v("spot_history_min", &R::spot_history_min, "Lowest spot price observed in the history window, any zone.");
    v("spot_history_mean", &R::spot_history_mean, "Time-weighted mean spot price over the window across the zones: each price counts for as long as it was in effect (from the window's start for the price in effect then, to the window's end for the current one). Without --since the window is the current instant and this is the mean of the zones' current prices. Null if a zone's observations came out of time order.");
    v("spot_history_max", &R::spot_history_max, "Highest spot price observed in the window.");
    v("spot_savings_pct", &R::spot_savings_pct, "Savings of `spot_min` over `on_demand_linux`, percent; null when either is missing.");

    v("interruption_band", &R::interruption_band, "Spot Instance Advisor interruption band (Linux); null when the advisor has no entry.");
    v("interruption_min_pct", &R::interruption_min_pct, "Lower bound of the band, percent.");
    v("interruption_max_pct", &R::interruption_max_pct, "Upper bound of the band, percent.");
    v("advisor_savings_pct", &R::advisor_savings_pct, "The advisor's savings over on-demand, percent.");
    v("advisor_reason", &R::advisor_reason, "Why the four advisor fields are null; null when the advisor has an entry.");

    v("reserved_1yr_effective_hourly", &R::reserved_1yr_effective_hourly,
      "Cheapest 1-year Reserved Instance effective hourly rate (Linux, shared), any class and purchase option.");
    v("reserved_3yr_effective_hourly", &R::reserved_3yr_effective_hourly, "The same for 3 years.");
    v("savings_plan_1yr_rate", &R::savings_plan_1yr_rate,
      "Cheapest 1-year Savings Plans rate (Linux, shared), Compute or EC2 Instance, any purchase option.");
    v("savings_plan_3yr_rate", &R::savings_plan_3yr_rate, "The same for 3 years.");

    v("on_demand_per_vcpu_hour", &R::on_demand_per_vcpu_hour, "`on_demand_linux` / `vcpus`.");
    v("on_demand_per_gib_hour", &R::on_demand_per_gib_hour, "`on_demand_linux` / `memory_gib`.");
    v("spot_per_vcpu_hour", &R::spot_per_vcpu_hour, "`spot_min` / `vcpus`.");
    v("spot_per_gib_hour", &R::spot_per_gib_hour, "`spot_min` / `memory_gib`.");
  }
};

}  // namespace pricepipe
