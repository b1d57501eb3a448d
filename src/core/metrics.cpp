#include "core/metrics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace pricepipe {

void ActionMetrics::record_latency(std::chrono::microseconds latency) {
  const auto us = static_cast<std::uint32_t>(std::clamp<std::int64_t>(latency.count(), 0, UINT32_MAX));
  std::lock_guard lock(mutex_);
  latencies_us_.push_back(us);
}

std::uint64_t ActionMetrics::latency_percentile(double p) const {
  std::lock_guard lock(mutex_);
  if (latencies_us_.empty()) return 0;
  std::vector<std::uint32_t> sorted = latencies_us_;
  // Nearest-rank: the smallest value with at least p% of samples at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  const std::size_t index = std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(index), sorted.end());
  return sorted[index];
}

std::uint64_t ActionMetrics::latency_count() const {
  std::lock_guard lock(mutex_);
  return latencies_us_.size();
}

std::uint64_t ActionMetrics::latency_sum_us() const {
  std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (auto us : latencies_us_) sum += us;
  return sum;
}

ActionMetrics& Metrics::action(const std::string& service, const std::string& action) {
  std::lock_guard lock(mutex_);
  auto& slot = actions_[{service, action}];
  if (!slot) slot = std::make_unique<ActionMetrics>();
  return *slot;
}

const ActionMetrics* Metrics::find(const std::string& service, const std::string& action) const {
  std::lock_guard lock(mutex_);
  auto it = actions_.find({service, action});
  return it == actions_.end() ? nullptr : it->second.get();
}

std::vector<std::pair<std::string, std::string>> Metrics::actions() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> keys;
  keys.reserve(actions_.size());
  for (const auto& [key, value] : actions_) keys.push_back(key);
  return keys;
}

Metrics::Totals Metrics::totals() const {
  std::lock_guard lock(mutex_);
  Totals t;
  for (const auto& [key, m] : actions_) {
    t.requests += m->requests.load();
    t.cache_hits += m->cache_hits.load();
    t.bytes += m->bytes.load();
    t.retries += m->retries.load();
    t.throttles += m->throttles.load();
    t.failures += m->failures.load();
  }
  return t;
}

double Metrics::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

std::string human_bytes(std::uint64_t n) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Metrics::summary_line(const std::string& what, std::uint64_t records) const {
  const Totals t = totals();
  const double seconds = elapsed_seconds();
  const std::uint64_t lookups = t.requests + t.cache_hits;
  const double cached = lookups == 0 ? 0.0 : 100.0 * static_cast<double>(t.cache_hits) / static_cast<double>(lookups);
  const double rate = seconds > 0 ? static_cast<double>(lookups) / seconds : 0.0;
  return fmt::format("{}: {} records · {} requests ({:.0f}% cached, {} failed, {} throttled, {} retried) · {:.1f} s · {:.0f} req/s",
                     what, with_thousands(records), with_thousands(lookups), cached,
                     with_thousands(t.failures), with_thousands(t.throttles), with_thousands(t.retries), seconds, rate);
}

}  // namespace pricepipe
