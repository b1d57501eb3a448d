// The planner: what a run fetches, when, and what is complete.
//
// A Plan says which feeds each node reads; the planner turns that into
// feed *instances* — a feed in one region, or once per run — as regions
// become known (`--regions all` resolves through DescribeRegions or the
// Price List index, themselves feeds), plans each instance's streams once
// the instances it needs are complete (spot batches from the region's
// offerings, an offer file's URL from the index), and opens catalog regions
// a few at a time (`concurrent_regions`).
//
// One instance serves every node that reads its feed in its region: it
// starts only once each of them has decided whether it reads that region,
// so none joins after the first page went by. A page two nodes need is
// fetched once.
//
// Contract: thread-safe (one lock); never blocks and does no I/O. Calls
// return `Actions` for the graph builder to carry out after the call: start
// a stream, declare how many parts a node's output has at some position
// (sinks write parts in that order), look a catalog region up in its memo,
// finish a region, stop the run. The real run and `explain` drive the same
// planner, so explain shows exactly what a run would do.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"
#include "graph/plan.h"
#include "graph/run_report.h"

namespace pricepipe::graph {

/// A position in a node's output: [region slot, stream] for sources and
/// catalogs, prefixed by the input index through transforms.
using Path = std::vector<std::uint32_t>;

/// Who reads an instance's pages.
struct Subscriber {
  enum class Kind { source, catalog } kind = Kind::source;
  std::size_t producer = 0;
  std::uint32_t slot = 0;  ///< the region's position in the producer's regions
  std::size_t input = 0;   ///< catalog: which of its inputs (CatalogInput)
};

/// A stream of a feed instance; immutable once started.
struct StreamInfo {
  std::uint32_t id = 0;
  std::size_t instance = 0;
  std::size_t feed = 0;  ///< in Plan::feeds
  std::uint32_t index = 0;  ///< within its instance
  std::string region;
  stages::StreamPlan plan;
  std::vector<Subscriber> subscribers;
  bool collect = false;  ///< the instance keeps its records for planning
};

class Planner {
 public:
  struct Start {
    std::uint32_t stream;
  };
  struct Declare {
    std::size_t producer;
    Path at;
    std::uint32_t parts;
  };
  /// A catalog region is about to open: look it up in the memo first.
  /// `known_inputs` are the requests its rows depend on that are known now
  /// (its offer files); `advisor` is the advisor feed's request.
  struct CheckMemo {
    std::size_t catalog;
    std::uint32_t slot;
    std::string region;
    std::vector<net::ApiRequest> known_inputs;
    net::ApiRequest advisor;
  };
  /// Every input of a catalog region is in: build its rows (`ok` false: an input failed; emit nothing).
  struct FinishRegion {
    std::size_t catalog;
    std::uint32_t slot;
    std::string region;
    bool ok;
    bool advisor_ok;
    std::size_t advisor_instance;
  };
  /// The first failure of a run without keep_going: stop sending, stop writing.
  struct Stop {};
  using Action = std::variant<Start, Declare, CheckMemo, FinishRegion, Stop>;
  using Actions = std::vector<Action>;

  explicit Planner(const Plan& plan);

  /// The run begins: global feeds, static region lists.
  Actions start();
  /// Every page of `stream` went through the graph; `error` when it ended in one.
  Actions stream_done(std::uint32_t stream, const std::optional<Error>& error);
  /// The memo answered for a catalog region: `hit` means the builder emitted its rows.
  Actions memo_checked(std::size_t catalog, std::uint32_t slot, bool hit);
  /// The builder finished a catalog region (its rows are out, or it failed).
  Actions region_finished(std::size_t catalog, std::uint32_t slot);
  /// Stop for a reason outside the planner (a sink failed).
  Actions stop();

  /// Records of every page of `stream`'s instance, if it keeps them (pages
  /// arrive through `collect`).
  void collect(std::uint32_t stream, std::uint32_t page, const RecordVector& records);

  /// A started stream. The reference stays valid for the planner's life.
  const StreamInfo& stream(std::uint32_t id) const;
  /// The records an instance kept, in stream and page order.
  std::vector<RecordVector> collected(std::size_t instance) const;

  /// After the run: what happened.
  struct StreamOutcome {
    std::string feed;
    std::string region;
    bool read = false;  ///< a node read its records (not only planning)
    std::optional<Error> error;
    std::optional<std::uint32_t> stream;  ///< none for an instance that could not be planned
    bool regional = true;  ///< false: a feed read once for every region
    /// The producers whose records depend on it: its readers, and those of
    /// the instances planned from its records.
    std::vector<std::size_t> producers;
  };
  std::vector<StreamOutcome> outcomes() const;
  /// The producers whose records depend on `instance` (as StreamOutcome::producers).
  std::vector<std::size_t> readers_of(std::size_t instance) const;
  /// An error that stopped the run whatever keep_going says (a region list that could not be read).
  std::optional<Error> fatal() const;
  bool stopped() const;
  /// The regions of a producer, once known (for the summary).
  std::size_t regions_of(std::size_t producer) const;
  /// How far the run is (for a progress line): the inputs planned so far and
  /// those done, and the regions they are of, done when all of theirs are.
  RunProgress progress() const;
  /// Something is still waiting that can no longer happen (a bug), for the builder's checks.
  std::optional<std::string> unfinished() const;

 private:
  struct Instance {
    std::size_t feed = 0;
    std::string region;  ///< the run's region for a feed fetched once
    std::set<std::size_t> waiting;  ///< users that have not decided whether they read it
    std::vector<Subscriber> subscribers;
    std::vector<std::size_t> dependents;  ///< instances planned from its records
    std::vector<std::size_t> needs;       ///< instances it is planned from
    bool collect = false;
    enum class State { pending, planned, done } state = State::pending;
    std::vector<std::uint32_t> streams;
    std::size_t streams_done = 0;
    std::optional<Error> error;
    // Kept records, by (stream index, page).
    std::map<std::pair<std::uint32_t, std::uint32_t>, RecordVector> records;
  };
  struct Region {
    enum class State { waiting, checking, open, finishing, done } state = State::waiting;
    std::size_t inputs_pending = 0;
    bool failed = false;
    std::size_t instances[kCatalogInputs] = {};
  };
  struct ProducerState {
    bool resolved = false;
    std::vector<std::string> regions;
    // Catalogs.
    std::vector<Region> slots;
    std::size_t next = 0;
    std::size_t open = 0;
    std::size_t finished_prefix = 0;  ///< slots below this are all done
    std::size_t advisor = 0;          ///< its advisor instance
    std::vector<std::size_t> before;  ///< instances that must complete before regions open
  };

  std::size_t instance(std::size_t feed, const std::string& region, Actions& out);
  void subscribe(std::size_t instance, Subscriber s);
  void decide(std::size_t producer, const std::string& region, Actions& out);
  void maybe_plan(std::size_t instance, Actions& out);
  void plan_streams(std::size_t instance, Actions& out);
  void instance_done(std::size_t instance, Actions& out);
  void resolve(std::size_t producer, Actions& out);
  void open_source_slots(std::size_t producer, Actions& out);
  void admit(std::size_t catalog, Actions& out);
  void open_region(std::size_t catalog, std::uint32_t slot, Actions& out);
  void region_input_done(std::size_t catalog, std::uint32_t slot, Actions& out);
  void maybe_finish(std::size_t catalog, std::uint32_t slot, Actions& out);
  void fail(const Error& error, Actions& out);
  void add_readers(std::size_t instance, std::vector<std::size_t>& producers) const;
  bool global(std::size_t feed) const { return !plan_.feeds[feed].feed->regional(); }
  const std::string& region_key(std::size_t feed, const std::string& region) const;

  const Plan& plan_;
  mutable std::mutex mutex_;
  std::deque<Instance> instances_;
  std::map<std::pair<std::size_t, std::string>, std::size_t> by_feed_region_;
  std::deque<StreamInfo> streams_;
  std::vector<ProducerState> producers_;
  std::vector<std::set<std::string>> decided_;  ///< per producer: regions it decided
  std::map<std::uint32_t, Error> outcome_errors_;  ///< streams that ended in an error
  bool starting_ = false;  ///< start() is wiring every reader: nothing is planned yet
  bool stopped_ = false;
  std::optional<Error> fatal_;
};

}  // namespace pricepipe::graph
