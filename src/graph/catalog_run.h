// The catalog run: every input of the enriched catalog fetched at once and
// joined region by region.
//
//   advisor feed (once) ──────────────────────────────────────────────┐
//   per region, `concurrent_regions` at a time:                       ▼
//     StreamGraph: instance types, offerings, spot history ──▶ CatalogJoin ──▶ rows ──▶ sink
//     OfferGraph:  EC2 offer file (on-demand + reserved), Savings Plans ──▲
//
// Contract: `run_catalog` starts the advisor fetch, resolves the offer
// files and runs up to `concurrent_regions` regions at a time; within a
// region all of its streams and files run together, bounded by the rate
// limits and credits. A region's rows are ready as soon as all of its inputs
// and the advisor are complete, and go to the sink as one batch in
// instance-type order; regions are written in the order of `regions`, so
// the same inputs give the same bytes whatever finished first (a region
// waits at most for the ones before it; no more than 2 × concurrent_regions
// are open or waiting). A region with a failed input emits nothing. Join
// state lives only while its region is open, so memory is bounded by
// `concurrent_regions`, not by the number of regions or the spot window.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "graph/run_report.h"
#include "graph/session.h"
#include "stages/dataset_stages.h"
#include "stages/sinks/sink.h"

namespace pricepipe::graph {

struct CatalogOptions {
  std::vector<std::string> regions;
  stages::SourceOptions sources;  ///< instance types, spot window and batch, advisor URL
  std::string price_list_url;
  std::size_t concurrent_regions = 4;
  bool keep_going = false;
};

struct CatalogReport {
  RunReport inputs;        ///< every input stream and file, for errors
  std::uint64_t rows = 0;  ///< catalog rows written
  std::size_t regions_written = 0;
};

CatalogReport run_catalog(Session& session, const CatalogOptions& options, stages::Sink& sink);

}  // namespace pricepipe::graph
