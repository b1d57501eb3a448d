// A run's metrics as a file: JSON, or a Prometheus node-exporter textfile.
//
// Contract: both renderings carry the same numbers: per (service, action)
// requests (HTTP attempts), cache hits, response bytes, retries, throttles,
// failures and latency p50/p95/p99; per run the dataset, records written,
// whether the output is complete, the exit code, start time and duration.
// It is written with core/atomic_file.h, so a collector never reads half of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/metrics.h"

namespace pricepipe {

struct RunSummary {
  std::string dataset;
  std::uint64_t records = 0;
  bool complete = false;
  int exit_code = 0;
  /// A load: the rows loaded per table, and the time of the snapshot loaded (Unix seconds; 0: none).
  std::vector<std::pair<std::string, std::uint64_t>> loaded;
  std::int64_t snapshot_time = 0;
};

std::string metrics_json(const Metrics& metrics, const RunSummary& run);
/// The textfile. `pricepipe_last_success_timestamp_seconds` is when a run
/// ended with exit code 0; a failed run carries the value of `previous` (the
/// file it replaces), so a stale-data alert keeps firing from the last good run.
std::string metrics_prometheus(const Metrics& metrics, const RunSummary& run, std::string_view previous = {});

}  // namespace pricepipe
