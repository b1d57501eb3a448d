// What a stage type becomes in a run: the vocabulary between the stage
// registry (stages/registry.h), which builds these from a node's options,
// and the graph (src/graph/plan.h), which wires them.
//
//   SourceLowering   a dataset read region by region from one feed
//   CatalogLowering  the catalog: several feeds per region folded by a join
//   TransformLowering records in, records out (filter)
//   SinkLowering     where records leave: a format and a destination
//
// Contract: everything here is data or const, CPU-only functions; nothing
// does I/O until the graph runs it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/dataset.h"
#include "stages/sinks/sink.h"
#include "stages/sources/feed.h"
#include "stages/transforms/catalog_join.h"

namespace pricepipe::net {
class Fetcher;
}

namespace pricepipe::stages {

/// Where a node's regions come from.
struct RegionScope {
  enum class Kind {
    single,      ///< one slot: `regions` holds the run's region (a dataset fetched once)
    listed,      ///< exactly `regions`, in this order
    ec2,         ///< every region enabled for the account (DescribeRegions), sorted
    price_list,  ///< every region the bulk Price List has a file for, sorted
  };
  Kind kind = Kind::single;
  std::vector<std::string> regions;
  bool include_disabled = false;  ///< ec2: regions that are not opted in too
  FeedPtr index;                  ///< price_list: the index feed that lists them
};

/// Drops the records a node does not want of a feed's batch (const, CPU-only).
using Keep = std::function<void(RecordVector& records)>;

/// A feed as one node reads it.
struct FeedUse {
  FeedPtr feed;
  Keep keep;  ///< what the node keeps of every batch; null: everything
  /// What it keeps when the feed also serves other nodes (an offer file read
  /// for several filters); alone, the feed already keeps only this.
  Keep keep_if_shared;
};

/// A dataset read region by region: the records of one feed, kept as the
/// node's options say.
struct SourceLowering {
  Dataset dataset = Dataset::regions;
  RegionScope scope;
  FeedUse input;
  // What the run summary names as the data's origin and counts.
  std::string endpoint_service;  ///< "ec2" or "pricing": that service's endpoint
  std::string origin;            ///< else this: "price list URL", "offer files", "spot advisor URL"
  std::size_t files = 0;         ///< local offer files read: counted instead of regions
  std::optional<std::size_t> regions_counted;  ///< regions counted when not the scope's
};

/// The catalog: per region, its instance types, offerings, spot history and
/// offer files folded into one row per type, with the advisor feed (read
/// once) beside them.
struct CatalogLowering {
  RegionScope scope;
  FeedUse instance_types, offerings, spot, ec2_prices, savings_plans;
  FeedUse advisor;
  CatalogJoinOptions join;
  std::size_t concurrent_regions = 4;
  /// What, besides the inputs' answers, shapes a region's rows (for memos).
  std::string fingerprint;
  std::string origin;
};

/// A CPU-only step between nodes: a batch in, what it keeps out.
class Transform {
 public:
  virtual ~Transform() = default;
  /// Const and CPU-only; called concurrently.
  virtual void apply(RecordVector& records) const = 0;
  /// True when the transform yields nothing before it has every record (a
  /// sort, a top N): the graph then gathers what `apply` kept of every batch
  /// into one, in no particular order, and once every input has ended hands
  /// it to `finish`, whose result is what the transform yields (in pages,
  /// in its order). A run that fails or stops yields none.
  virtual bool gathers() const { return false; }
  virtual void finish(RecordVector& /*all*/) const {}
  /// True when the transform reads its input's NDJSON itself (a catalog
  /// memo's bytes) rather than the records it stands for: `apply_ndjson`
  /// then yields into `out` exactly what `apply` would of those records.
  virtual bool reads_ndjson() const { return false; }
  virtual Result<void> apply_ndjson(const std::string& /*lines*/, RecordVector& /*out*/) const { return {}; }
};

/// A transform, once its input's dataset is known (all its inputs yield the same one).
struct TransformLowering {
  /// The transform for records of `input`, or why it cannot read them.
  std::function<Result<std::shared_ptr<const Transform>>(Dataset input)> bind;
  /// The dataset it yields from `input`.
  std::function<Dataset(Dataset input)> output;
};

/// What a sink is told of its inputs when the run builds it.
struct SinkInputs {
  std::vector<Dataset> datasets;  ///< each input's dataset, in the order written
  /// The run's fetcher, for sinks that send (a snapshot to S3), and its region.
  net::Fetcher* fetcher = nullptr;
  std::string region;
};

/// Where records leave the graph; built when the run starts.
struct SinkLowering {
  std::function<std::unique_ptr<Sink>(const SinkInputs&)> make;
  std::string describe;  ///< "stdout", "file out.ndjson"
  bool signed_requests = false;  ///< it sends signed requests (S3): the run needs credentials
  bool writes_at_end = false;    ///< it writes nothing before the run ends (a table): a progress line may share its terminal
};

using Lowered = std::variant<SourceLowering, CatalogLowering, TransformLowering, SinkLowering>;

}  // namespace pricepipe::stages
