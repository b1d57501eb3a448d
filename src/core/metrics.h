// What a run did, counted as it happens: requests per service and action,
// retries, throttles, failures, bytes, latency, records written.
//
// Contract: thread-safe. `action()` returns a reference that stays valid for
// the life of the Metrics object; its counters are atomics so the fetch
// thread and the sinks update them without locks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pricepipe {

struct ActionMetrics {
  std::atomic<std::uint64_t> requests{0};    ///< HTTP attempts sent
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> bytes{0};       ///< response body bytes received
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> throttles{0};
  std::atomic<std::uint64_t> failures{0};    ///< requests that failed for good

  void record_latency(std::chrono::microseconds latency);
  /// Latency percentile (0..100) over all attempts, in microseconds; 0 when none.
  std::uint64_t latency_percentile(double p) const;
  /// How many latencies were recorded, and their sum in microseconds.
  std::uint64_t latency_count() const;
  std::uint64_t latency_sum_us() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> latencies_us_;
};

class Metrics {
 public:
  Metrics() : started_(std::chrono::steady_clock::now()), started_wall_(std::chrono::system_clock::now()) {}

  ActionMetrics& action(const std::string& service, const std::string& action);
  /// The counters of an action seen so far; null when none.
  const ActionMetrics* find(const std::string& service, const std::string& action) const;

  /// Snapshot of (service, action) keys in sorted order.
  std::vector<std::pair<std::string, std::string>> actions() const;

  struct Totals {
    std::uint64_t requests = 0, cache_hits = 0, bytes = 0, retries = 0, throttles = 0, failures = 0;
  };
  Totals totals() const;
  double elapsed_seconds() const;
  std::chrono::system_clock::time_point started_at() const { return started_wall_; }

  /// "instance-types: 21,118 records · 320 requests (0% cached, 0 failed, 3 throttled, 3 retried) · 1.2 s · 266 req/s"
  std::string summary_line(const std::string& what, std::uint64_t records) const;

 private:
  std::chrono::steady_clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<ActionMetrics>> actions_;
};

/// 21118 → "21,118".
std::string with_thousands(std::uint64_t n);
/// 1536 → "1.5 KiB"; under 1 KiB, "512 B".
std::string human_bytes(std::uint64_t n);

}  // namespace pricepipe
