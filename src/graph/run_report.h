// What a graph run did: one outcome per stream or file, and whether the
// output is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"

namespace pricepipe::graph {

struct StreamOutcome {
  Dataset dataset;
  std::string region;
  std::uint64_t pages = 0;
  std::uint64_t records = 0;
  std::optional<Error> error;  ///< why the stream stopped early
};

struct RunReport {
  std::vector<StreamOutcome> streams;
  std::optional<Error> sink_error;  ///< the sink failed (e.g. stdout closed)
  bool cancelled = false;           ///< stopped at the first failure

  bool complete() const;
  std::uint64_t records() const;
  /// The error that decides the exit code: the sink's, else the first stream's.
  const Error* first_error() const;
};

}  // namespace pricepipe::graph
