#include "stages/transforms/select_transform.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <tuple>

#include "stages/transforms/price_list_product.h"
#include "stages/transforms/record_reader.h"

namespace pricepipe::stages {

namespace {

std::optional<double> number_in(std::string_view text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

Range range_of(const std::string& text) {
  std::string why;
  return text.empty() ? Range{} : parse_range(text, why).value_or(Range{});
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view value) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return instance_type_matches(p, value); });
}

// The score's first component from the advisor's band (0 for `<5%` … 4 for `>20%`).
template <class Row>
std::int64_t band_rank(const Row& r) {
  if (!r.interruption_min_pct) return 5;
  return std::clamp<std::int64_t>(*r.interruption_min_pct / 5, 0, 4);
}

// Spot's break-even share of lost hours against `rate`, in percent.
std::optional<double> break_even(const std::optional<double>& spot, const std::optional<double>& rate) {
  if (!spot || !rate || *rate <= 0) return std::nullopt;
  return std::max(0.0, 100.0 * (1.0 - *spot / *rate));
}

std::optional<std::string> stops_paying(const std::optional<double>& pct) {
  if (!pct) return std::nullopt;
  return band_holding(*pct);
}

struct Need {
  Range vcpus, memory, memory_per_vcpu, gpus, gpu_memory, neuron, network;
  std::vector<std::string> arch, gpu_models, families, exclude;
  bool instance_storage = false, current_generation = false;
  std::optional<bool> burstable;
  bool spot = true, on_demand = true;
  double max_price = 0;
  std::int64_t max_interruption = 100;
  std::string os;  ///< as written in each choice
  // Decided once, not per row: the operating system's price, and the order.
  enum class Os { linux_unix, windows, rhel, suse } os_kind = Os::linux_unix;
  enum class Sort { price, per_vcpu, per_gib, per_gpu_memory, score } sort = Sort::price;
  std::int64_t top = 0;

  // Row: a CatalogRecord, or a SelectRow read from the catalog's NDJSON (the same fields by the same names).
  template <class Row>
  bool meets(const Row& r) const {
    if (!vcpus.contains(static_cast<double>(r.vcpus)) || !memory.contains(r.memory_gib)) return false;
    if (!memory_per_vcpu.any() && (r.vcpus <= 0 || !memory_per_vcpu.contains(r.memory_gib / static_cast<double>(r.vcpus)))) {
      return false;
    }
    if (!arch.empty() && std::none_of(r.architectures.begin(), r.architectures.end(), [&](const std::string& a) {
          return std::find(arch.begin(), arch.end(), a) != arch.end();
        })) {
      return false;
    }
    if (!gpus.contains(static_cast<double>(r.gpu_count))) return false;
    if (!gpu_models.empty() && (!r.gpu_model || std::find(gpu_models.begin(), gpu_models.end(), lower(*r.gpu_model)) ==
                                                     gpu_models.end())) {
      return false;
    }
    if (!gpu_memory.any() && !gpu_memory.contains(r.gpu_total_memory_gib.value_or(0))) return false;
    if (!neuron.contains(static_cast<double>(r.neuron_device_count))) return false;
    if (!network.any() && (!r.network_baseline_gbps || !network.contains(*r.network_baseline_gbps))) return false;
    if (instance_storage && r.instance_storage_total_gb.value_or(0) <= 0) return false;
    if (!families.empty() && !matches_any(families, r.family)) return false;
    if (matches_any(exclude, r.instance_type) || matches_any(exclude, r.family)) return false;
    if (current_generation && !r.current_generation) return false;
    if (burstable && r.burstable != *burstable) return false;
    return true;
  }

  template <class Row>
  const auto& on_demand_price(const Row& r) const {
    switch (os_kind) {
      case Os::windows: return r.on_demand_windows;
      case Os::rhel: return r.on_demand_rhel;
      case Os::suse: return r.on_demand_suse;
      case Os::linux_unix: break;
    }
    return r.on_demand_linux;
  }

  template <class Row>
  ChoiceRecord choice(const Row& r, std::string market, double price) const {
    ChoiceRecord c;
    c.region = r.region;
    c.instance_type = r.instance_type;
    c.market = std::move(market);
    c.os = os;
    c.price = price;
    c.price_per_vcpu = r.vcpus > 0 ? price / static_cast<double>(r.vcpus) : 0;
    c.price_per_gib = r.memory_gib > 0 ? price / r.memory_gib : 0;
    if (r.gpu_total_memory_gib && *r.gpu_total_memory_gib > 0) c.price_per_gpu_memory_gib = price / *r.gpu_total_memory_gib;
    const bool spot_row = c.market == "spot";
    c.score_band = spot_row ? band_rank(r) : 0;
    c.score = static_cast<double>(c.score_band) + price / (1.0 + price);
    if (spot_row) {
      c.interruption_band = r.interruption_band;
      c.interruption_max_pct = r.interruption_max_pct;
    }
    c.zones_offered = static_cast<std::int64_t>(r.zones.size());
    c.spot_zones = static_cast<std::int64_t>(r.spot_price_by_zone.size());
    auto cheapest = std::min_element(r.spot_price_by_zone.begin(), r.spot_price_by_zone.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
    if (cheapest != r.spot_price_by_zone.end()) c.cheapest_zone = cheapest->first;
    c.vcpus = r.vcpus;
    c.memory_gib = r.memory_gib;
    c.architectures = r.architectures;
    c.gpu_count = r.gpu_count;
    c.gpu_model = r.gpu_model;
    c.gpu_total_memory_gib = r.gpu_total_memory_gib;
    c.neuron_device_count = r.neuron_device_count;
    c.network_baseline_gbps = r.network_baseline_gbps;
    c.instance_storage_total_gb = r.instance_storage_total_gb;
    c.burstable = r.burstable;
    c.current_generation = r.current_generation;
    c.zones = r.zones;
    c.spot_price_by_zone = r.spot_price_by_zone;

    c.on_demand_hourly = on_demand_price(r).value;
    if (os_kind == Os::linux_unix) {  // spot and commitments are Linux/UNIX prices
      c.spot_hourly = r.spot_min.value;
      c.spot_window_mean_hourly = r.spot_history_mean.value;
      c.reserved_1yr_hourly = r.reserved_1yr_effective_hourly.value;
      c.reserved_3yr_hourly = r.reserved_3yr_effective_hourly.value;
      c.savings_plan_1yr_hourly = r.savings_plan_1yr_rate.value;
      c.savings_plan_3yr_hourly = r.savings_plan_3yr_rate.value;
      c.break_even_vs_on_demand_pct = break_even(c.spot_hourly, c.on_demand_hourly);
      c.break_even_vs_reserved_1yr_pct = break_even(c.spot_hourly, c.reserved_1yr_hourly);
      c.break_even_vs_reserved_3yr_pct = break_even(c.spot_hourly, c.reserved_3yr_hourly);
      c.break_even_vs_savings_plan_1yr_pct = break_even(c.spot_hourly, c.savings_plan_1yr_hourly);
      c.break_even_vs_savings_plan_3yr_pct = break_even(c.spot_hourly, c.savings_plan_3yr_hourly);
      c.spot_stops_paying_vs_on_demand = stops_paying(c.break_even_vs_on_demand_pct);
      c.spot_stops_paying_vs_reserved_1yr = stops_paying(c.break_even_vs_reserved_1yr_pct);
      c.spot_stops_paying_vs_reserved_3yr = stops_paying(c.break_even_vs_reserved_3yr_pct);
      c.spot_stops_paying_vs_savings_plan_1yr = stops_paying(c.break_even_vs_savings_plan_1yr_pct);
      c.spot_stops_paying_vs_savings_plan_3yr = stops_paying(c.break_even_vs_savings_plan_3yr_pct);
    }
    return c;
  }

  bool within_price(double price) const { return max_price <= 0 || price <= max_price; }

  template <class Row>
  void choose(const Row& r, std::vector<ChoiceRecord>& out) const {
    if (!meets(r)) return;
    if (on_demand) {
      const auto& p = on_demand_price(r);
      if (p.value && within_price(*p.value)) out.push_back(choice(r, "on-demand", *p.value));
    }
    if (spot && os_kind == Os::linux_unix && r.spot_min.value && within_price(*r.spot_min.value)) {
      const bool known = r.interruption_max_pct.has_value();
      if (max_interruption >= 100 || (known && *r.interruption_max_pct <= max_interruption)) {
        out.push_back(choice(r, "spot", *r.spot_min.value));
      }
    }
  }

  // The value ranked by; nullopt sorts last.
  std::optional<double> key(const ChoiceRecord& c) const {
    switch (sort) {
      case Sort::per_vcpu: return c.price_per_vcpu;
      case Sort::per_gib: return c.price_per_gib;
      case Sort::per_gpu_memory: return c.price_per_gpu_memory_gib;
      case Sort::score: return c.score;
      case Sort::price: break;
    }
    return c.price;
  }
};

// What `choose` reads of a catalog row, by the catalog's names: read straight
// from a memo's NDJSON (read_each skips the row's other fields, into one row
// reused line by line), so a warm answer builds no whole catalog record.
struct SelectRow {
  std::string region, instance_type, family;
  bool current_generation = false;
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
  std::vector<std::string> zones;
  PriceValue on_demand_linux, on_demand_windows, on_demand_rhel, on_demand_suse;
  NumberMap spot_price_by_zone;
  PriceValue spot_min, spot_history_mean;
  std::optional<std::string> interruption_band;
  std::optional<std::int64_t> interruption_min_pct, interruption_max_pct;
  PriceValue reserved_1yr_effective_hourly, reserved_3yr_effective_hourly, savings_plan_1yr_rate, savings_plan_3yr_rate;

  template <class V>
  static void describe(V&& v) {
    using R = SelectRow;
    v("region", &R::region, "");
    v("instance_type", &R::instance_type, "");
    v("family", &R::family, "");
    v("current_generation", &R::current_generation, "");
    v("vcpus", &R::vcpus, "");
    v("memory_gib", &R::memory_gib, "");
    v("architectures", &R::architectures, "");
    v("gpu_count", &R::gpu_count, "");
    v("gpu_model", &R::gpu_model, "");
    v("gpu_total_memory_gib", &R::gpu_total_memory_gib, "");
    v("neuron_device_count", &R::neuron_device_count, "");
    v("network_baseline_gbps", &R::network_baseline_gbps, "");
    v("instance_storage_total_gb", &R::instance_storage_total_gb, "");
    v("burstable", &R::burstable, "");
    v("zones", &R::zones, "");
    v("on_demand_linux", &R::on_demand_linux, "");
    v("on_demand_windows", &R::on_demand_windows, "");
    v("on_demand_rhel", &R::on_demand_rhel, "");
    v("on_demand_suse", &R::on_demand_suse, "");
    v("spot_price_by_zone", &R::spot_price_by_zone, "");
    v("spot_min", &R::spot_min, "");
    v("spot_history_mean", &R::spot_history_mean, "");
    v("interruption_band", &R::interruption_band, "");
    v("interruption_min_pct", &R::interruption_min_pct, "");
    v("interruption_max_pct", &R::interruption_max_pct, "");
    v("reserved_1yr_effective_hourly", &R::reserved_1yr_effective_hourly, "");
    v("reserved_3yr_effective_hourly", &R::reserved_3yr_effective_hourly, "");
    v("savings_plan_1yr_rate", &R::savings_plan_1yr_rate, "");
    v("savings_plan_3yr_rate", &R::savings_plan_3yr_rate, "");
  }
};

class SelectTransform final : public Transform {
 public:
  explicit SelectTransform(Need need) : need_(std::move(need)) {}

  void apply(RecordVector& records) const override {
    std::vector<ChoiceRecord> out;
    for (const CatalogRecord& r : std::get<std::vector<CatalogRecord>>(records)) need_.choose(r, out);
    records = std::move(out);
  }

  bool gathers() const override { return true; }

  bool reads_ndjson() const override { return true; }

  Result<void> apply_ndjson(const std::string& lines, RecordVector& records) const override {
    std::vector<ChoiceRecord> out;
    auto read = read_each<SelectRow>(lines, [&](const SelectRow& r) { need_.choose(r, out); });
    if (!read.ok()) return read.error();
    records = std::move(out);
    return {};
  }

  void finish(RecordVector& all) const override {
    auto& rows = std::get<std::vector<ChoiceRecord>>(all);
    auto order = [this](const ChoiceRecord& c) {
      const auto k = need_.key(c);
      return std::make_tuple(!k.has_value(), k.value_or(0), c.price, -c.zones_offered, std::cref(c.region),
                             std::cref(c.instance_type), std::cref(c.market));
    };
    const auto before = [&](const ChoiceRecord& a, const ChoiceRecord& b) { return order(a) < order(b); };
    if (need_.top > 0 && rows.size() > static_cast<std::size_t>(need_.top)) {
      const auto end = rows.begin() + static_cast<std::ptrdiff_t>(need_.top);
      std::partial_sort(rows.begin(), end, rows.end(), before);  // only the first N in order
      rows.erase(end, rows.end());
    } else {
      std::sort(rows.begin(), rows.end(), before);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].rank = static_cast<std::int64_t>(i + 1);
  }

 private:
  Need need_;
};

}  // namespace

std::optional<Range> parse_range(const std::string& text, std::string& why) {
  const std::string_view t(text);
  Range r;
  const auto dots = t.find("..");
  if (dots == std::string_view::npos) {
    auto v = number_in(t);
    if (!v) {
      why = "'" + text + "' is not a number or a range (4..16, 16.., ..8)";
      return std::nullopt;
    }
    r.low = r.high = v;
    return r;
  }
  const std::string_view a = t.substr(0, dots), b = t.substr(dots + 2);
  if (a.empty() && b.empty()) {
    why = "'" + text + "' has no bounds: write 4..16, 16.. or ..8";
    return std::nullopt;
  }
  if (!a.empty() && !(r.low = number_in(a))) {
    why = "'" + std::string(a) + "' in '" + text + "' is not a number";
    return std::nullopt;
  }
  if (!b.empty() && !(r.high = number_in(b))) {
    why = "'" + std::string(b) + "' in '" + text + "' is not a number";
    return std::nullopt;
  }
  if (r.low && r.high && *r.low > *r.high) {
    why = "'" + text + "' is empty: its low end is above its high end";
    return std::nullopt;
  }
  return r;
}

std::optional<std::string> SelectOptions::check_range(const std::string& text) {
  std::string why;
  if (!parse_range(text, why)) return why;
  return std::nullopt;
}

std::optional<config::OptionProblem> SelectOptions::validate() const {
  if (market == "spot" && os != "linux") {
    return config::OptionProblem{"os", "spot prices are Linux/UNIX: market spot takes os linux"};
  }
  return std::nullopt;
}

std::string band_holding(double pct) {
  if (pct < 5) return "<5%";
  if (pct < 10) return "5-10%";
  if (pct < 15) return "10-15%";
  if (pct < 20) return "15-20%";
  return ">20%";
}

Result<std::shared_ptr<const Transform>> bind_select(const SelectOptions& o, Dataset input) {
  if (input != Dataset::catalog) {
    return Error(ErrorCode::usage, "select reads the catalog, not " + std::string(info(input).name));
  }
  Need n;
  n.vcpus = range_of(o.vcpus);
  n.memory = range_of(o.memory);
  n.memory_per_vcpu = range_of(o.memory_per_vcpu);
  n.gpus = range_of(o.gpus);
  n.gpu_memory = range_of(o.gpu_memory);
  n.neuron = range_of(o.neuron);
  n.network = range_of(o.network);
  n.arch = o.arch;
  for (const auto& m : o.gpu_model) n.gpu_models.push_back(lower(m));
  n.families = o.families;
  n.exclude = o.exclude;
  n.instance_storage = o.instance_storage;
  n.current_generation = o.current_generation;
  if (o.burstable != "any") n.burstable = o.burstable == "yes";
  n.spot = o.market != "on-demand";
  n.on_demand = o.market != "spot";
  n.max_price = o.max_price;
  n.max_interruption = o.max_interruption;
  n.os = o.os;
  n.os_kind = o.os == "windows" ? Need::Os::windows
              : o.os == "rhel"  ? Need::Os::rhel
              : o.os == "suse"  ? Need::Os::suse
                                : Need::Os::linux_unix;
  n.sort = o.sort == "price-per-vcpu"         ? Need::Sort::per_vcpu
           : o.sort == "price-per-gib"        ? Need::Sort::per_gib
           : o.sort == "price-per-gpu-memory" ? Need::Sort::per_gpu_memory
           : o.sort == "score"                ? Need::Sort::score
                                              : Need::Sort::price;
  n.top = o.top;
  return std::shared_ptr<const Transform>(std::make_shared<const SelectTransform>(std::move(n)));
}

}  // namespace pricepipe::stages
