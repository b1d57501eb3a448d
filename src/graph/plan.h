// Plan: expand a request (dataset × regions × filters) into stream jobs.
//
// `--regions all` is resolved by running DescribeRegions through the same
// graph (so it is signed, paced, retried and counted like everything else)
// and keeping the regions the account has enabled.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/records/region.h"
#include "graph/session.h"
#include "graph/stream_graph.h"
#include "stages/dataset_stages.h"

namespace pricepipe::graph {

struct RegionSelection {
  bool all = false;                  ///< --regions all
  bool include_disabled = false;     ///< keep regions that are not opted in
  std::vector<std::string> regions;  ///< an explicit list when !all
};

/// Parses "all" or "r1,r2" and checks each code looks like a region.
RegionSelection parse_region_selection(const std::string& text);

/// Every region of the partition (DescribeRegions with AllRegions=true).
std::vector<RegionRecord> describe_regions(Session& session);

/// The region codes a selection names, sorted; throws FatalError when
/// DescribeRegions fails or nothing is left.
std::vector<std::string> resolve_regions(Session& session, const RegionSelection& selection);

/// What spot history requests are planned from, fetched in one graph run.
struct SpotPlanFacts {
  /// Zone name → zone id (DescribeAvailabilityZones); empty, with a warning,
  /// when that fails, as the ids are only a convenience.
  std::shared_ptr<const std::map<std::string, std::string>> zone_ids;
  /// Region → offered instance types (DescribeInstanceTypeOfferings), to
  /// batch the requests; null when not asked for. Throws FatalError on failure.
  std::shared_ptr<const std::map<std::string, std::vector<std::string>>> offered_types;
};
SpotPlanFacts spot_plan_facts(Session& session, const std::vector<std::string>& regions, bool offered_types);

/// One job per region (or one for a dataset that is not regional).
std::vector<StreamJob> plan_streams(Dataset dataset, const std::vector<std::string>& regions,
                                    const std::string& default_region, const stages::SourceOptions& options);

}  // namespace pricepipe::graph
