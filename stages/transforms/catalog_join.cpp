#include "stages/transforms/catalog_join.h"

#include <algorithm>
#include <cmath>

namespace pricepipe::stages {

namespace {

constexpr const char* kOsNames[] = {"linux", "windows", "rhel", "suse"};
constexpr const char* kOsLabels[] = {"Linux", "Windows", "RHEL", "SUSE"};

int os_index(std::string_view os) {
  for (int i = 0; i < 4; ++i) {
    if (os == kOsNames[i]) return i;
  }
  return -1;
}

int term_index(std::int64_t years) { return years == 1 ? 0 : years == 3 ? 1 : -1; }

// What the catalog's on-demand and reserved columns mean: a plain instance
// (shared tenancy, no pre-installed software, not a reservation's capacity),
// license included.
bool plain(const PricedProduct& p) {
  return p.tenancy == "shared" && !p.pre_installed_software && p.capacity_status == "used" &&
         p.license_model != "bring-your-own-license";
}

Price priced(double value, std::string source, std::optional<Timestamp> as_of) {
  Price p;
  p.value = value;
  p.source = std::move(source);
  p.as_of = as_of;
  return p;
}

// `base` / `divisor`, or null saying which input was missing.
Price per_unit(const Price& base, double divisor, const char* base_name) {
  if (!base.value) return Price::missing(std::string(base_name) + " is null");
  return priced(*base.value / divisor, "derived", base.as_of);
}

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

void CatalogJoin::Cheapest::offer(double v, std::optional<Timestamp> when) {
  if (value && *value <= v) return;
  value = v;
  as_of = when;
}

CatalogJoin::CatalogJoin(std::string region, CatalogJoinOptions options)
    : region_(std::move(region)), options_(std::move(options)) {}

CatalogJoin::TypeState& CatalogJoin::state(const std::string& instance_type) { return types_[instance_type]; }

void CatalogJoin::add(const InstanceTypeRecord& r) { state(r.instance_type).specs = r; }

void CatalogJoin::add(const InstanceTypeOfferingRecord& r) { state(r.instance_type).zones.push_back(r.zone); }

void CatalogJoin::add(const OnDemandPriceRecord& r) {
  if (r.region != region_) return;  // a file covering several regions: only this one's prices
  TypeState& s = state(r.instance_type);
  s.priced = true;
  const int os = os_index(r.operating_system);
  if (os < 0 || !plain(r)) return;
  s.on_demand[os].offer(r.price_per_hour, r.published_at ? r.published_at : r.effective_date);
  if (s.currency.empty()) s.currency = r.currency;
}

void CatalogJoin::add(const ReservedPriceRecord& r) {
  if (r.region != region_) return;
  TypeState& s = state(r.instance_type);
  s.priced = true;
  const int term = term_index(r.lease_years);
  if (term < 0 || r.operating_system != "linux" || !plain(r)) return;
  s.reserved[term].offer(r.effective_hourly, r.published_at ? r.published_at : r.effective_date);
}

void CatalogJoin::add(const SavingsPlansRateRecord& r) {
  if (r.region != region_) return;
  const int term = term_index(r.term_years);
  if (term < 0 || r.operating_system != "linux" || r.tenancy != "shared") return;
  state(r.instance_type).plan[term].offer(r.rate, r.published_at ? r.published_at : r.effective_date);
}

void CatalogJoin::hold(TimeWeighted& sum, double price, Timestamp from, Timestamp to) const {
  const auto start = std::max(from.time, options_.window_start.time);
  const auto end = std::min(to.time, options_.window_end.time);
  if (end <= start) return;
  const auto seconds = static_cast<double>((end - start).count());
  sum.price_seconds += price * seconds;
  sum.seconds += seconds;
}

void CatalogJoin::add(const SpotPriceRecord& r) {
  if (r.product_description != options_.spot_product) return;
  TypeState& s = state(r.instance_type);
  if (s.spot.empty()) {
    s.history_min = s.history_max = r.price;
    s.history_last = r.timestamp;
  } else {
    s.history_min = std::min(s.history_min, r.price);
    s.history_max = std::max(s.history_max, r.price);
    if (r.timestamp.time > s.history_last.time) s.history_last = r.timestamp;
  }
  auto [it, inserted] = s.spot.try_emplace(r.zone);
  SpotZone& z = it->second;
  if (inserted) {
    z.price = z.last_price = r.price;
    z.at = z.last_at = r.timestamp;
  } else if (r.timestamp.time != z.last_at.time) {
    // Of two neighbours in time, the earlier price holds until the later one.
    const int order = r.timestamp.time < z.last_at.time ? -1 : 1;
    if (z.order != 0 && z.order != order) s.history_unordered = true;
    z.order = order;
    if (order < 0) {
      hold(z.held, r.price, r.timestamp, z.last_at);
    } else {
      hold(z.held, z.last_price, z.last_at, r.timestamp);
    }
    z.last_price = r.price;
    z.last_at = r.timestamp;
    // The latest observation of a zone is its current price.
    if (z.at.time < r.timestamp.time) {
      z.price = r.price;
      z.at = r.timestamp;
    }
  }
}

void CatalogJoin::add(const RecordVector& records) {
  std::visit(
      [this](const auto& rows) {
        for (const auto& r : rows) add(r);
      },
      records);
}

std::vector<std::string> CatalogJoin::offered_types() const {
  std::vector<std::string> out;
  for (const auto& [type, s] : types_) {
    if (!s.zones.empty()) out.push_back(type);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Price CatalogJoin::history_mean(const TypeState& s) const {
  if (s.history_unordered) {
    return Price::missing("spot observations of a zone came out of time order; the time-weighted mean needs them in order");
  }
  TimeWeighted total;
  double current_sum = 0;
  for (const auto& [name, z] : s.spot) {
    total.price_seconds += z.held.price_seconds;
    total.seconds += z.held.seconds;
    hold(total, z.price, z.at, options_.window_end);  // the newest price holds to the window's end
    current_sum += z.price;
  }
  // An instant (no --since): the mean of the zones' prices at that instant.
  const double mean = total.seconds > 0 ? total.price_seconds / total.seconds
                                        : current_sum / static_cast<double>(s.spot.size());
  return priced(mean, "spot-history", s.history_last);
}

std::vector<CatalogRecord> CatalogJoin::rows(const AdvisorIndex& advisor) const {
  std::vector<const std::pair<const std::string, TypeState>*> offered;
  for (const auto& entry : types_) {
    if (entry.second.specs) offered.push_back(&entry);
  }
  std::sort(offered.begin(), offered.end(), [](auto* a, auto* b) { return a->first < b->first; });

  std::vector<CatalogRecord> out;
  out.reserve(offered.size());
  for (const auto* entry : offered) {
    const TypeState& s = entry->second;
    const InstanceTypeRecord& t = *s.specs;
    CatalogRecord c;
    c.region = region_;
    c.instance_type = t.instance_type;
    c.family = t.family;
    c.size = t.size;
    c.current_generation = t.current_generation;
    c.vcpus = t.vcpus;
    c.cores = t.cores;
    c.memory_gib = t.memory_gib;
    c.architectures = t.architectures;
    c.processor_manufacturer = t.processor_manufacturer;
    c.clock_ghz = t.clock_ghz;
    c.gpu_count = t.gpu_count;
    c.gpu_model = t.gpu_model;
    c.gpu_total_memory_gib = t.gpu_total_memory_gib;
    c.neuron_device_count = t.neuron_device_count;
    c.neuron_device_model = t.neuron_device_model;
    c.inference_accelerator_count = t.inference_accelerator_count;
    c.fpga_count = t.fpga_count;
    c.media_accelerator_count = t.media_accelerator_count;
    c.network_performance = t.network_performance;
    c.network_baseline_gbps = t.network_baseline_gbps;
    c.ebs_baseline_bandwidth_mbps = t.ebs_baseline_bandwidth_mbps;
    c.instance_storage_total_gb = t.instance_storage_total_gb;
    c.bare_metal = t.bare_metal;
    c.burstable = t.burstable;
    c.usage_classes = t.usage_classes;
    c.zones = s.zones;
    std::sort(c.zones.begin(), c.zones.end());
    c.zones.erase(std::unique(c.zones.begin(), c.zones.end()), c.zones.end());
    c.currency = s.currency.empty() ? "USD" : s.currency;

    // On-demand, by operating system.
    Price* on_demand[] = {&c.on_demand_linux, &c.on_demand_windows, &c.on_demand_rhel, &c.on_demand_suse};
    for (int os = 0; os < 4; ++os) {
      const Cheapest& p = s.on_demand[os];
      if (p.value) {
        *on_demand[os] = priced(*p.value, "bulk", p.as_of);
      } else if (!s.priced) {
        *on_demand[os] = Price::missing("the region's price list has no product for the type");
      } else {
        *on_demand[os] = Price::missing(std::string("no on-demand ") + kOsLabels[os] +
                                        " price (shared tenancy, license included) in the region's price list");
      }
    }

    // Spot: the zones' current prices, then the window's history.
    const bool spot_offered = std::find(t.usage_classes.begin(), t.usage_classes.end(), "spot") != t.usage_classes.end();
    const std::string no_spot = spot_offered
                                    ? "no " + options_.spot_product + " spot price in the window"
                                    : std::string("the type is not offered as spot (supported usage classes)");
    if (s.spot.empty()) {
      c.spot_min = c.spot_median = c.spot_max = Price::missing(no_spot);
      c.spot_history_min = c.spot_history_mean = c.spot_history_max = Price::missing(no_spot);
    } else {
      std::vector<std::pair<double, Timestamp>> current;
      Timestamp newest = s.spot.begin()->second.at;
      for (const auto& [zone, z] : s.spot) {
        c.spot_price_by_zone.emplace(zone, z.price);
        current.emplace_back(z.price, z.at);
        if (z.at.time > newest.time) newest = z.at;
      }
      std::sort(current.begin(), current.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      const std::size_t n = current.size();
      const double median = n % 2 == 1 ? current[n / 2].first : (current[n / 2 - 1].first + current[n / 2].first) / 2;
      c.spot_min = priced(current.front().first, "spot-history", current.front().second);
      c.spot_median = priced(median, "spot-history", newest);
      c.spot_max = priced(current.back().first, "spot-history", current.back().second);
      c.spot_history_min = priced(s.history_min, "spot-history", s.history_last);
      c.spot_history_mean = history_mean(s);
      c.spot_history_max = priced(s.history_max, "spot-history", s.history_last);
      if (c.on_demand_linux.value && *c.on_demand_linux.value > 0) {
        c.spot_savings_pct = round_to((1 - *c.spot_min.value / *c.on_demand_linux.value) * 100, 0.01);
      }
    }

    if (auto it = advisor.find({region_, t.instance_type}); it != advisor.end()) {
      c.interruption_band = it->second.interruption_band;
      c.interruption_min_pct = it->second.interruption_min_pct;
      c.interruption_max_pct = it->second.interruption_max_pct;
      c.advisor_savings_pct = it->second.savings_pct;
    } else {
      c.advisor_reason = "the Spot Instance Advisor has no Linux entry for the type in this region";
    }

    // Commitments: the cheapest effective hourly rate per term.
    Price* reserved[] = {&c.reserved_1yr_effective_hourly, &c.reserved_3yr_effective_hourly};
    Price* plans[] = {&c.savings_plan_1yr_rate, &c.savings_plan_3yr_rate};
    for (int term = 0; term < 2; ++term) {
      const char* years = term == 0 ? "1-year" : "3-year";
      const Cheapest& r = s.reserved[term];
      *reserved[term] = r.value ? priced(*r.value, "bulk", r.as_of)
                                : Price::missing(std::string("no ") + years +
                                                 " Reserved Instance offering (Linux, shared tenancy) in the region's price list");
      const Cheapest& p = s.plan[term];
      *plans[term] = p.value ? priced(*p.value, "bulk", p.as_of)
                             : Price::missing(std::string("no ") + years +
                                              " Savings Plans rate (Linux, shared tenancy) in the region's Savings Plans file");
    }

    c.on_demand_per_vcpu_hour = per_unit(c.on_demand_linux, static_cast<double>(t.vcpus), "on_demand_linux");
    c.on_demand_per_gib_hour = per_unit(c.on_demand_linux, t.memory_gib, "on_demand_linux");
    c.spot_per_vcpu_hour = per_unit(c.spot_min, static_cast<double>(t.vcpus), "spot_min");
    c.spot_per_gib_hour = per_unit(c.spot_min, t.memory_gib, "spot_min");
    out.push_back(std::move(c));
  }
  return out;
}

void index_advisor(AdvisorIndex& index, const RecordVector& batch) {
  for (const auto& r : std::get<std::vector<SpotAdvisorRecord>>(batch)) {
    if (r.operating_system == "linux") index.insert_or_assign({r.region, r.instance_type}, r);
  }
}

}  // namespace pricepipe::stages
