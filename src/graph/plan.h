// The plan of a run: a pipeline spec lowered through the stage registry
// into producers (sources, catalogs, transforms), sinks and the feeds they
// read, with every feed named once.
//
//   PipelineSpec ──registry──▶ Lowered nodes ──▶ Plan
//   (CLI or YAML)               (per node)        feeds deduplicated by key (a page
//                                                 two nodes need is fetched once),
//                                                 who reads what, in which order
//
// Contract: `plan_pipeline` is pure: no network, no files. Whatever is wrong
// with the spec is a usage FatalError naming the file, line and column (or
// the flag) before anything is sent. The graph builder (graph_builder.h)
// runs a Plan; `explain` prints one.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/pipeline_spec.h"
#include "net/credentials.h"
#include "stages/lowering.h"
#include "stages/registry.h"

namespace pricepipe::graph {

/// A feed of the run: fetched once in each region it is needed in.
struct PlanFeed {
  stages::FeedPtr feed;
  std::vector<std::size_t> needs;       ///< plan feeds, in the order of feed->needs()
  std::vector<bool> need_required;
  std::set<std::size_t> users;          ///< producers reading it, directly or through a feed that needs it
  std::size_t reads = 0;                ///< node inputs naming it: more than one share its pages
};

/// A node's read of a feed.
struct PlanInput {
  std::size_t feed = 0;
  stages::Keep keep;  ///< null: every record
};

enum class ProducerKind { source, catalog, transform };

/// Who reads a producer's records: a sink or a transform, at one of its inputs.
struct Consumer {
  bool sink = true;
  std::size_t index = 0;   ///< into Plan::sinks or Plan::producers
  std::uint32_t input = 0; ///< the position among that node's inputs
};

/// The catalog's inputs in one region, in this order.
enum CatalogInput : std::size_t { kInstanceTypes, kOfferings, kSpot, kEc2Prices, kSavingsPlans, kCatalogInputs };

struct Producer {
  std::string id;
  /// The account it reads as (an entry of Plan::accounts), for a per-account
  /// dataset in a run of several; empty: the run's own.
  std::string account;
  ProducerKind kind = ProducerKind::source;
  Dataset dataset = Dataset::regions;

  // Sources and catalogs: the regions, and the feed that resolves them (ec2 / price_list scopes).
  stages::RegionScope scope;
  std::optional<std::size_t> scope_feed;

  // A source: its feed.
  PlanInput input;

  // A catalog: its feeds per region, the advisor (read once), the feeds
  // that must be in before a region is opened (the Price List indexes that
  // name its offer files, for memo keys), and how it joins.
  PlanInput regional[kCatalogInputs];
  PlanInput advisor;
  std::vector<std::size_t> before;
  stages::CatalogJoinOptions join;
  std::size_t concurrent_regions = 4;
  std::string fingerprint;

  // A transform: the producers it reads.
  std::vector<std::size_t> inputs;
  std::shared_ptr<const stages::Transform> transform;

  std::vector<Consumer> consumers;

  // For the run summary.
  std::string endpoint_service;
  std::string origin;
  std::size_t files = 0;
  std::optional<std::size_t> regions_counted;

  /// How explain and messages name it: its node's id, with the account it reads as.
  std::string name() const { return account.empty() ? id : id + " as " + account; }
  /// Every feed it reads directly (sources and catalogs).
  std::vector<std::size_t> direct_feeds() const;
};

struct PlanSink {
  std::string id;
  std::string type;
  std::vector<std::size_t> inputs;  ///< producers, in the order written
  stages::SinkLowering lowering;
};

struct Plan {
  std::string name;
  bool keep_going = false;
  stages::Shard shard;  ///< the regions of each producer this run does (planner.h)
  /// `profiles` or `role_arns`: a source of a per-account dataset becomes one
  /// producer per account, in this order, each reading as its account.
  std::vector<net::AccountSpec> accounts;
  std::string default_region;
  std::vector<PlanFeed> feeds;
  std::vector<Producer> producers;
  std::vector<PlanSink> sinks;

  /// Some feed signs its requests: the run needs credentials.
  bool needs_credentials() const;
  /// Some source yields a per-account dataset, whose records carry the account's id.
  bool needs_account_ids() const;
  /// Feeds reachable from `feed` through its needs, itself included.
  std::vector<std::size_t> closure(std::size_t feed) const;
};

/// Checks the spec and lowers every node (see the contract above).
Plan plan_pipeline(const config::PipelineSpec& spec, const stages::LoweringContext& context);

}  // namespace pricepipe::graph
