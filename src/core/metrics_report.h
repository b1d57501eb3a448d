// A run's metrics as a file: JSON, or a Prometheus node-exporter textfile.
//
// Contract: both renderings carry the same numbers: per (service, action)
// requests (HTTP attempts), cache hits, response bytes, retries, throttles,
// failures and latency p50/p95/p99; per run the dataset, records written,
// whether the output is complete, the exit code, start time and duration.
// `write_atomically` replaces the file in one rename, so a collector never
// reads half of it.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/metrics.h"

namespace pricepipe {

struct RunSummary {
  std::string dataset;
  std::uint64_t records = 0;
  bool complete = false;
  int exit_code = 0;
};

std::string metrics_json(const Metrics& metrics, const RunSummary& run);
std::string metrics_prometheus(const Metrics& metrics, const RunSummary& run);

/// Writes `content` to a temporary file beside `path` (0644), then renames it over `path`.
Result<void> write_atomically(const std::string& path, const std::string& content);

}  // namespace pricepipe
