// The graph builder: runs a Plan as one oneTBB flow graph.
//
//   planner ─Start─▶ fetch (async: the fetcher) ─page──┐
//      ▲             read  (async: offer-file readers) ─segment─▶ decode ─▶ route ─▶ joins (catalog, per region)
//      │                                                (parallel)  (parallel) ─▶ transforms ─▶ format ─▶ write
//      └──────── stream done, region finished ◀──────────────────────────────┘        (parallel)   (serial, in order)
//
// Contract: `run_plan` builds the graph, runs it to completion and reports
// every stream's outcome; it never throws for stream errors. This is the
// only place that includes oneTBB's flow graph: credits and backpressure, page
// and region order, failure and cancellation are written here once, for
// every source, file and sink.
//
// Backpressure: every API page holds a credit from the fetcher's pool
// (--max-pages-in-flight) and every offer-file segment one from the
// readers' pool, from before it is fetched until every sink has written (or
// set aside) its records; a slow sink stops the fetching. Order: each sink
// writes its inputs, regions, streams and pages in a fixed order
// (graph/ordered_writer.h), so the same answers give the same bytes.
// Failure: a stream that fails ends with its error; without keep_going the
// first failure stops the run (nothing more is sent or written).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "graph/plan.h"
#include "graph/run_report.h"
#include "graph/session.h"
#include "stages/sinks/sink.h"

namespace pricepipe::graph {

/// Feeds a file's bytes, in order, to `consume`; stops at the first error either side reports.
using ByteReader = std::function<Result<void>(const std::function<Result<void>(std::string_view)>& consume)>;

/// Reads a run's progress from another thread (a progress line) while the
/// run is attached; nothing before it starts or after it ends.
class ProgressProbe {
 public:
  std::optional<RunProgress> read() const {
    std::lock_guard lock(mutex_);
    return poll_ ? std::optional<RunProgress>(poll_()) : std::nullopt;
  }
  void attach(std::function<RunProgress()> poll) {
    std::lock_guard lock(mutex_);
    poll_ = std::move(poll);
  }
  void detach() { attach({}); }

 private:
  mutable std::mutex mutex_;
  std::function<RunProgress()> poll_;
};

struct RunOptions {
  /// Where a progress line reads the run's progress; null: nowhere.
  ProgressProbe* progress = nullptr;
  /// Called once every record is in, before the sinks finish (and write what
  /// they held to the end: a table): where a progress line is cleared.
  std::function<void()> before_sinks_finish;
  /// Sinks to write to instead of those the plan builds, by sink id (tests).
  std::map<std::string, stages::Sink*> sinks;
  /// The bytes of an offer file instead of its URL or path (tests); an
  /// empty reader means the real file.
  std::function<ByteReader(const stages::OfferFilePlan&)> open_file;
  /// Offer files are cut into segments of about this size...
  std::size_t segment_bytes = 1 << 20;
  /// ...of which at most this many are in memory (0: six per file read at once).
  std::size_t segments_in_flight = 0;
};

RunReport run_plan(const Plan& plan, Session& session, const RunOptions& options = {});

}  // namespace pricepipe::graph
