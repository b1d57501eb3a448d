// Record of the `choices` dataset: what `pricepipe select` answers. One row
// per (region, instance type, market) that meets the requirements, ranked,
// with the price it was ranked by, the spot score's components and the
// break-even of spot against each commitment (docs/select.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"

namespace pricepipe {

struct ChoiceRecord {
  std::string region;
  std::string instance_type;
  std::string market;
  std::string os;
  std::int64_t rank = 0;
  double price = 0;
  double price_per_vcpu = 0;
  double price_per_gib = 0;
  std::optional<double> price_per_gpu_memory_gib;
  double score = 0;
  std::int64_t score_band = 0;
  std::optional<std::string> interruption_band;
  std::optional<std::int64_t> interruption_max_pct;
  std::int64_t zones_offered = 0;
  std::int64_t spot_zones = 0;
  std::optional<std::string> cheapest_zone;

  std::int64_t vcpus = 0;
  double memory_gib = 0;
  std::vector<std::string> architectures;
  std::int64_t gpu_count = 0;
  std::optional<std::string> gpu_model;
  std::optional<double> gpu_total_memory_gib;
  std::int64_t neuron_device_count = 0;
  std::optional<double> network_baseline_gbps;
  std::optional<std::int64_t> instance_storage_total_gb;
  bool burstable = false;
  bool current_generation = false;
  std::vector<std::string> zones;
  NumberMap spot_price_by_zone;

  std::optional<double> on_demand_hourly;
  std::optional<double> spot_hourly;
  std::optional<double> spot_window_mean_hourly;
  std::optional<double> reserved_1yr_hourly;
  std::optional<double> reserved_3yr_hourly;
  std::optional<double> savings_plan_1yr_hourly;
  std::optional<double> savings_plan_3yr_hourly;
  std::optional<double> break_even_vs_on_demand_pct;
  std::optional<double> break_even_vs_reserved_1yr_pct;
  std::optional<double> break_even_vs_reserved_3yr_pct;
  std::optional<double> break_even_vs_savings_plan_1yr_pct;
  std::optional<double> break_even_vs_savings_plan_3yr_pct;
  std::optional<std::string> spot_stops_paying_vs_on_demand;
  std::optional<std::string> spot_stops_paying_vs_reserved_1yr;
  std::optional<std::string> spot_stops_paying_vs_reserved_3yr;
  std::optional<std::string> spot_stops_paying_vs_savings_plan_1yr;
  std::optional<std::string> spot_stops_paying_vs_savings_plan_3yr;

  template <class V>
  static void describe(V&& v) {
    using R = ChoiceRecord;
    v("region", &R::region, "Region code.");
    v("instance_type", &R::instance_type, "Instance type.");
    v("market", &R::market, "`spot` or `on-demand`: the market `price` is of.");
    v("os", &R::os, "Operating system of the price: `linux`, `windows`, `rhel` or `suse` (spot is Linux/UNIX).");
    v("rank", &R::rank, "Position in the answer, 1 first, by the `--sort` order.");
    v("price", &R::price,
      "Hourly price in the market: the on-demand price, or the lowest current spot price across the region's zones.");
    v("price_per_vcpu", &R::price_per_vcpu, "`price` / `vcpus`.");
    v("price_per_gib", &R::price_per_gib, "`price` / `memory_gib`.");
    v("price_per_gpu_memory_gib", &R::price_per_gpu_memory_gib, "`price` / `gpu_total_memory_gib`; null without GPUs.");
    v("score", &R::score,
      "The spot score, lower is better: `score_band` + `price` / (1 + `price`). Its whole part is the interruption "
      "band, its fraction grows with the price: band first, then price.");
    v("score_band", &R::score_band,
      "The score's first component: 0 for on-demand and the advisor's `<5%` band, 1 for `5-10%`, 2 for `10-15%`, 3 for "
      "`15-20%`, 4 for `>20%`, 5 for a spot type the advisor has no entry for.");
    v("interruption_band", &R::interruption_band, "The Spot Instance Advisor's interruption band; null for on-demand or without an entry.");
    v("interruption_max_pct", &R::interruption_max_pct, "Upper bound of the band, percent.");
    v("zones_offered", &R::zones_offered, "Availability zones of the region that offer the type.");
    v("spot_zones", &R::spot_zones, "Zones with a current spot price for the type.");
    v("cheapest_zone", &R::cheapest_zone, "The zone of the lowest current spot price; null without spot prices.");

    v("vcpus", &R::vcpus, "Default vCPUs.");
    v("memory_gib", &R::memory_gib, "Memory in GiB.");
    v("architectures", &R::architectures, "Supported architectures.");
    v("gpu_count", &R::gpu_count, "GPUs; 0 when none.");
    v("gpu_model", &R::gpu_model, "GPU model; null when none.");
    v("gpu_total_memory_gib", &R::gpu_total_memory_gib, "Total GPU memory in GiB; null when none.");
    v("neuron_device_count", &R::neuron_device_count, "AWS Neuron devices; 0 when none.");
    v("network_baseline_gbps", &R::network_baseline_gbps, "Baseline network bandwidth in Gbit/s; null when not reported.");
    v("instance_storage_total_gb", &R::instance_storage_total_gb, "Total instance store in GB; null when none.");
    v("burstable", &R::burstable, "A burstable (T) type.");
    v("current_generation", &R::current_generation, "EC2's `CurrentGeneration` flag.");
    v("zones", &R::zones, "The zones of the region that offer the type.");
    v("spot_price_by_zone", &R::spot_price_by_zone, "Current spot price per zone, Linux/UNIX; `{}` when none.");

    v("on_demand_hourly", &R::on_demand_hourly, "On-demand hourly price for `os`.");
    v("spot_hourly", &R::spot_hourly, "Lowest current spot price across zones (Linux/UNIX).");
    v("spot_window_mean_hourly", &R::spot_window_mean_hourly, "Time-weighted mean spot price over the window (`--since`).");
    v("reserved_1yr_hourly", &R::reserved_1yr_hourly, "Cheapest 1-year Reserved Instance effective hourly rate (Linux).");
    v("reserved_3yr_hourly", &R::reserved_3yr_hourly, "The same for 3 years.");
    v("savings_plan_1yr_hourly", &R::savings_plan_1yr_hourly, "Cheapest 1-year Savings Plans rate (Linux).");
    v("savings_plan_3yr_hourly", &R::savings_plan_3yr_hourly, "The same for 3 years.");
    v("break_even_vs_on_demand_pct", &R::break_even_vs_on_demand_pct,
      "The share of spot hours, percent, that interruptions may cost before spot costs as much as on-demand: "
      "100 × (1 − spot / on-demand), 0 when spot is dearer; null when either price is missing.");
    v("break_even_vs_reserved_1yr_pct", &R::break_even_vs_reserved_1yr_pct, "The same against the 1-year Reserved Instance rate.");
    v("break_even_vs_reserved_3yr_pct", &R::break_even_vs_reserved_3yr_pct, "The same against the 3-year Reserved Instance rate.");
    v("break_even_vs_savings_plan_1yr_pct", &R::break_even_vs_savings_plan_1yr_pct, "The same against the 1-year Savings Plans rate.");
    v("break_even_vs_savings_plan_3yr_pct", &R::break_even_vs_savings_plan_3yr_pct, "The same against the 3-year Savings Plans rate.");
    v("spot_stops_paying_vs_on_demand", &R::spot_stops_paying_vs_on_demand,
      "The advisor band in which spot stops paying against on-demand: the band holding the break-even (`<5%`, "
      "`5-10%`, `10-15%`, `15-20%`, `>20%`); null when the break-even is.");
    v("spot_stops_paying_vs_reserved_1yr", &R::spot_stops_paying_vs_reserved_1yr, "The same against the 1-year Reserved Instance.");
    v("spot_stops_paying_vs_reserved_3yr", &R::spot_stops_paying_vs_reserved_3yr, "The same against the 3-year Reserved Instance.");
    v("spot_stops_paying_vs_savings_plan_1yr", &R::spot_stops_paying_vs_savings_plan_1yr, "The same against the 1-year Savings Plan.");
    v("spot_stops_paying_vs_savings_plan_3yr", &R::spot_stops_paying_vs_savings_plan_3yr, "The same against the 3-year Savings Plan.");
  }
};

}  // namespace pricepipe
