// What a run did: every stream's outcome, what each sink wrote, and whether
// the output is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace pricepipe::graph {

struct StreamOutcome {
  std::string feed;    ///< "ec2 DescribeInstanceTypes"
  std::string region;
  bool read = false;   ///< a node read its records; false: only planning did (DescribeRegions, indexes)
  std::uint64_t records = 0;   ///< records its pages yielded
  std::optional<Error> error;  ///< why it stopped early
};

/// How far a run is, while it runs (Planner::progress).
struct RunProgress {
  std::size_t regions_done = 0, regions = 0;  ///< regions whose every input is done, of those planned
  std::size_t inputs_done = 0, inputs = 0;    ///< (feed, region) inputs done, of those planned so far
};

struct SinkOutcome {
  std::string id;
  std::uint64_t records = 0;
  /// A load's rows per table and its snapshot's time (Sink::loaded_rows).
  std::vector<std::pair<std::string, std::uint64_t>> loaded;
  std::int64_t snapshot_time = 0;
};

struct RunReport {
  std::vector<StreamOutcome> streams;
  std::vector<SinkOutcome> sinks;
  std::vector<std::size_t> regions;  ///< per producer: the regions it covered
  std::optional<Error> sink_error;   ///< a sink failed (stdout closed, disk full)
  std::optional<Error> fatal;        ///< planning could not go on (no region list)
  bool cancelled = false;            ///< stopped at the first failure

  bool complete() const;
  std::uint64_t records() const;
  std::size_t failed_streams() const;
  /// The error that decides the exit code: the sink's, the fatal one, else the first stream's.
  const Error* first_error() const;
};

}  // namespace pricepipe::graph
