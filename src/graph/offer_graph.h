// The offer-file graph: Price List files of any size, streamed.
//
//   reader threads ──bytes──▶ splitter ──segment──▶ parse+normalize ─▶ prepare ─▶ write
//   (download or file)        (same thread)         (TBB, parallel)   (parallel)  (serial, in order)
//
// Contract: `run` processes every job to completion into the sink and
// reports each job's outcome like StreamGraph. A reader thread pulls bytes,
// cuts them into segments of whole entries and hands each segment to the
// graph only when it holds a credit: at most `max_segments_in_flight`
// segments exist at once, so memory does not depend on the file's size.
// Products come before terms in an offer file; a job's first term segment
// waits until every product segment before it has been absorbed into the
// job's product table, so terms are joined against complete products while
// parsing still runs on all cores. At most `concurrent_files` files are read
// at once.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "graph/stream_graph.h"
#include "stages/sinks/sink.h"
#include "stages/transforms/price_list_product.h"

namespace pricepipe::graph {

/// Feeds a file's bytes, in order, to `consume`; stops at the first error either side reports.
using ByteReader = std::function<Result<void>(const std::function<Result<void>(std::string_view)>& consume)>;

struct OfferFileJob {
  Dataset dataset;
  std::string region;  ///< the file's region; empty for a file covering many
  std::string name;    ///< URL or path, for messages
  ByteReader read;
  stages::PriceFilter filter;
};

struct OfferGraphOptions {
  std::size_t segment_bytes = 1 << 20;
  std::size_t max_segments_in_flight = 12;
  std::size_t concurrent_files = 2;
  bool keep_going = false;
  /// Write files one after another in job order (graph/ordered_writer.h).
  bool ordered = false;
  /// Set from outside to stop reading (another part of the run failed).
  const std::atomic<bool>* cancel = nullptr;
};

class OfferGraph {
 public:
  explicit OfferGraph(OfferGraphOptions options) : options_(std::move(options)) {}

  RunReport run(const std::vector<OfferFileJob>& jobs, stages::Sink& sink);

 private:
  OfferGraphOptions options_;
};

/// Reads a local file in large blocks.
ByteReader file_reader(std::string path);

}  // namespace pricepipe::graph
