// The flow graph: fetch → parse → normalize → prepare → write.
//
// Contract: `run` builds a oneTBB flow graph for a set of streams, runs it to
// completion and reports each stream's outcome. This file and its .cpp are
// the only ones that include tbb/flow_graph.h. Backpressure is a credit
// scheme: the fetcher takes one credit per page and the credit travels with
// every message derived from that page until the sink has written its
// records, so the number of pages in memory never exceeds the pool size,
// however slow the sink. Parse, normalize and prepare run in parallel;
// write is serial and sees each stream's pages in order.
//
// Failure policy: a stream that fails stops with its error recorded. Without
// `keep_going` the first failure cancels the run (no further requests are
// sent, nothing more is written); with it, the other streams carry on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "graph/run_report.h"
#include "net/fetcher.h"
#include "stages/dataset_stages.h"
#include "stages/sinks/sink.h"

namespace pricepipe::graph {

/// One paginated stream: a dataset for a region.
struct StreamJob {
  Dataset dataset;
  std::string region;
  std::shared_ptr<const net::Paginator> source;
};

struct GraphOptions {
  bool keep_going = false;
  stages::SourceOptions sources;  ///< what the normalizers filter on
  /// Write streams one after another in job order (graph/ordered_writer.h),
  /// so the same answers give the same bytes. Only for sinks that write what
  /// `prepare` made (`needs_records()` false); ignored for others.
  bool ordered = false;
  /// Called (from the serial write step) with the cache key of every page written.
  std::function<void(const std::string& cache_key)> on_page_key;
};

class StreamGraph {
 public:
  StreamGraph(net::Fetcher& fetcher, GraphOptions options) : fetcher_(fetcher), options_(std::move(options)) {}

  /// Runs every job to completion into `sink`; never throws for stream errors.
  RunReport run(const std::vector<StreamJob>& jobs, stages::Sink& sink);

 private:
  net::Fetcher& fetcher_;
  GraphOptions options_;
};

}  // namespace pricepipe::graph
