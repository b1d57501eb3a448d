// The `select` transform: catalog rows in, the `choices` that meet a need
// out, ranked (docs/select.md). What `pricepipe select` runs after the
// catalog join, and what a pipeline file names as `type: select`.
//
// Per batch it keeps the catalog rows whose specs meet every requirement
// (ranges such as `4..16`, `16..` or `..8`, sets, name patterns) and makes a
// choice per market asked for (`spot`: the lowest current spot price across
// the region's zones; `on-demand`: the price for `os`) that has a price and
// is within the price and interruption limits. A price that is missing is
// never read as 0: a type without one in a market is no choice there. The
// transform gathers (stages/lowering.h): once every region is in, `finish`
// sorts by `sort` (ties: price, then more zones, region, type, market),
// keeps the first `top` and numbers them.
//
// The score (lower is better) puts the interruption band first and the
// price second, as EC2's price-capacity-optimized allocation favours the
// deepest pools before the cheapest: `score_band + price / (1 + price)`,
// with score_band 0 for on-demand and for the advisor's `<5%` band up to 4
// for `>20%`, and 5 for a spot type the advisor has no entry for.
//
// Break-even: if interruptions cost a share f of the hours run on spot
// (work redone), an hour of finished work costs spot / (1 − f); against a
// rate R (on-demand, a Reserved Instance's effective hourly, a Savings
// Plans rate) spot pays while f < 1 − spot / R. Each choice carries that
// share in percent and the advisor band that holds it, where spot stops
// paying. Spot prices and commitments are Linux/UNIX: for another `os`
// those fields are null.
//
// A warm catalog arrives as its memo's NDJSON: `apply_ndjson` reads from
// each line only the fields `choose` needs (prices by value), into one row
// object reused line by line, and chooses exactly as `apply` does from
// records (one `choose`, instantiated for both rows).
//
// Contract: the options are checked when the pipeline is planned; the input
// must be the catalog; `apply`, `apply_ndjson` and `finish` are const and
// CPU-only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/options.h"
#include "stages/lowering.h"

namespace pricepipe::stages {

/// A closed range of numbers, either end open: `4..16`, `16..`, `..8`, `4`.
struct Range {
  std::optional<double> low, high;
  bool contains(double v) const { return (!low || v >= *low) && (!high || v <= *high); }
  bool any() const { return !low && !high; }
};

/// Parses a range as written; nullopt with `why` set when it is not one.
std::optional<Range> parse_range(const std::string& text, std::string& why);

struct SelectOptions {
  std::string vcpus;
  std::string memory;
  std::string memory_per_vcpu;
  std::vector<std::string> arch;
  std::string gpus;
  std::vector<std::string> gpu_model;
  std::string gpu_memory;
  std::string neuron;
  std::string network;
  bool instance_storage = false;
  std::vector<std::string> families;
  std::vector<std::string> exclude;
  bool current_generation = false;
  std::string burstable = "any";
  std::string market = "any";
  double max_price = 0;
  std::int64_t max_interruption = 100;
  std::string os = "linux";
  std::string sort = "price";
  std::int64_t top = 0;

  template <class V>
  static void describe(V&& v) {
    using S = SelectOptions;
    auto range = [&](auto member, std::string_view key, std::string_view help) {
      v(member, config::Option{.key = key, .help = help, .placeholder = "RANGE", .check = check_range});
    };
    range(&S::vcpus, "vcpus", "vCPUs, a range: `4..16`, `8..`, `..4` or `4`.");
    range(&S::memory, "memory", "Memory in GiB, a range.");
    range(&S::memory_per_vcpu, "memory_per_vcpu", "GiB of memory per vCPU, a range: `2..8`.");
    v(&S::arch, config::Option{.key = "arch",
                               .help = "Architectures, any of (`arm64` is Graviton).",
                               .choices = {"arm64", "x86_64", "i386", "x86_64_mac", "arm64_mac"},
                               .placeholder = "LIST"});
    range(&S::gpus, "gpus", "GPUs, a range: `1..`.");
    v(&S::gpu_model, config::Option{.key = "gpu_model",
                                    .help = "GPU models, any of (`H100,L4`; case-insensitive).",
                                    .placeholder = "LIST"});
    range(&S::gpu_memory, "gpu_memory", "Total GPU memory in GiB, a range: `24..`.");
    range(&S::neuron, "neuron", "AWS Neuron devices (Inferentia, Trainium), a range: `1..`.");
    range(&S::network, "network", "Baseline network bandwidth in Gbit/s, a range: `25..`.");
    v(&S::instance_storage, config::Option{.key = "instance_storage", .help = "Only types with instance store."});
    v(&S::families, config::Option{.key = "families",
                                   .help = "Only these families, names or patterns: `m7*,c7g`.",
                                   .placeholder = "LIST"});
    v(&S::exclude, config::Option{.key = "exclude",
                                  .help = "Leave out types or families matching these patterns: `t*,*.metal`.",
                                  .placeholder = "LIST"});
    v(&S::current_generation,
      config::Option{.key = "current_generation", .help = "Only current-generation types."});
    v(&S::burstable, config::Option{.key = "burstable",
                                    .help = "Burstable (T) types: `no` leaves them out, `yes` keeps only them.",
                                    .choices = {"any", "yes", "no"}});
    v(&S::market, config::Option{.key = "market",
                                 .help = "The market priced: `spot`, `on-demand`, or `any` (a choice for each).",
                                 .choices = {"any", "spot", "on-demand"}});
    v(&S::max_price, config::Option{.key = "max_price",
                                    .help = "Highest hourly price in the market (USD; 0: no limit).",
                                    .min = 0,
                                    .placeholder = "USD"});
    v(&S::max_interruption,
      config::Option{.key = "max_interruption",
                     .help = "Spot choices whose advisor band's upper bound is at most this percent; below 100, a "
                             "type the advisor has no entry for is left out. On-demand is never interrupted.",
                     .min = 0,
                     .max = 100,
                     .placeholder = "PCT"});
    v(&S::os, config::Option{.key = "os",
                             .help = "Operating system of on-demand prices; spot and commitments are Linux/UNIX.",
                             .choices = {"linux", "windows", "rhel", "suse"}});
    v(&S::sort, config::Option{.key = "sort",
                               .help = "Order of the answer, lowest first (`score`: interruption band, then price).",
                               .choices = {"price", "price-per-vcpu", "price-per-gib", "price-per-gpu-memory", "score"}});
    v(&S::top, config::Option{.key = "top", .help = "Only the first N choices (0: all).", .min = 0, .placeholder = "N"});
  }
  std::optional<config::OptionProblem> validate() const;
  static std::optional<std::string> check_range(const std::string& text);
};

/// The select transform for catalog rows, or why it cannot read `input`.
Result<std::shared_ptr<const Transform>> bind_select(const SelectOptions& options, Dataset input);

/// The advisor band (`<5%` … `>20%`) that holds `pct`.
std::string band_holding(double pct);

}  // namespace pricepipe::stages
