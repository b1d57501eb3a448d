// Shards: one run's work split over n processes (a Kubernetes Indexed Job,
// an AWS Batch array job, CI runners), each doing its share and writing its
// own parts of one snapshot.
//
// Contract: `--shard i/n` (1-based, as CloudQuery's) names the share. Without
// it, `--shard-count n` takes i from JOB_COMPLETION_INDEX (a Kubernetes
// Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job), i =
// index + 1; an index variable without a count shards nothing (a warning
// says so). The unit of work is a producer's region (a dataset in a region;
// a dataset read once is one unit): the regions of the k-th producer of the
// pipeline, in its planned order, are dealt round robin starting at shard k,
// so every shard gets an even share of every dataset and the same answers
// give every shard the same share, whichever process asks. Plain values:
// thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/environment.h"

namespace pricepipe::stages {

struct Shard {
  int index = 1;  ///< 1-based
  int count = 1;

  bool sharded() const { return count > 1; }
  /// Whether the unit at `position` of producer `producer` is this shard's.
  bool owns(std::size_t producer, std::size_t position) const {
    return static_cast<int>((producer + position) % static_cast<std::size_t>(count)) == index - 1;
  }
  /// "2/4".
  std::string describe() const;
  /// "shard-0002-of-0004": a file name that sorts by index.
  std::string file_stem() const;
};

/// The shard from `--shard` (`given`, "i/n" or empty), `--shard-count`
/// (`count`, 0 when not given) and the job index variables; throws
/// FatalError(usage) naming what is wrong.
Shard resolve_shard(std::string_view given, int count, const Environment& env);

}  // namespace pricepipe::stages
