// The sink interface: where records leave the graph.
//
// Contract: `prepare` is const and CPU-only; the graph calls it on many
// threads at once to turn a batch into bytes (NDJSON, COPY rows, ...).
// `write` is called from one thread at a time, in page order within each
// stream, with what `prepare` returned; it may block (a slow stdout pipe or
// database), which is how backpressure reaches the fetch loop. `finish` is
// called once, after the last write, with how the run ended for the sink's
// inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "core/provenance.h"

namespace pricepipe::stages {

/// The records of one page, with where they came from.
struct RecordBatch {
  Dataset dataset = Dataset::regions;
  std::string region;
  std::uint32_t stream = 0;
  std::uint32_t page = 0;
  /// Shared by every sink that reads the batch; null when there are none.
  std::shared_ptr<const RecordVector> records;
  /// The records' NDJSON when it was made already (a catalog region
  /// replayed from its memo, or encoded for one); `records` may then be null.
  std::shared_ptr<const std::string> ndjson;
  /// How many records the batch holds, also when only `ndjson` is set.
  std::uint64_t rows = 0;
};

/// How the run ended, as far as one sink's inputs go.
struct RunEnd {
  /// Every stream succeeded and nothing stopped the run: the output is whole.
  bool complete = false;
  /// The run went to its end (no signal, no fatal or sink error, no stop at
  /// a first failure): what the output lacks is exactly `missing`.
  bool finished = false;
  /// Inputs of this sink that failed under --keep-going.
  std::vector<MissingInput> missing;
  /// The versions of what this sink's records were read from.
  std::vector<SourceVersion> sources;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::string prepare(const RecordBatch& batch) const = 0;
  /// False when `write` uses only what `prepare` made: the graph then frees
  /// the records early, which keeps a slow sink's backlog small.
  virtual bool needs_records() const { return true; }
  virtual Result<void> write(const RecordBatch& batch, std::string prepared) = 0;
  virtual Result<void> finish(const RunEnd& end) = 0;
  /// What a sink that loads a warehouse loaded, once finished: rows per
  /// table, and the time of the snapshot loaded (Unix seconds), for the
  /// run's metrics. Empty for the others.
  virtual std::vector<std::pair<std::string, std::uint64_t>> loaded_rows() const { return {}; }
  virtual std::int64_t loaded_snapshot_time() const { return 0; }
};

}  // namespace pricepipe::stages
