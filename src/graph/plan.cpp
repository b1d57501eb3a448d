#include "graph/plan.h"

#include <algorithm>
#include <regex>

#include <spdlog/spdlog.h>

#include "stages/sinks/record_collector.h"

namespace pricepipe::graph {

RegionSelection parse_region_selection(const std::string& text) {
  RegionSelection out;
  if (text == "all") {
    out.all = true;
    return out;
  }
  static const std::regex kRegion("^[a-z]{2,4}(-[a-z]+)+-[0-9]+$");
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    std::string code = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    code.erase(std::remove_if(code.begin(), code.end(), [](unsigned char c) { return std::isspace(c); }), code.end());
    if (!code.empty()) {
      if (!std::regex_match(code, kRegion)) {
        throw FatalError(ErrorCode::usage, "--regions: '" + code + "' is not a region code (e.g. us-east-1), or use 'all'");
      }
      if (std::find(out.regions.begin(), out.regions.end(), code) == out.regions.end()) out.regions.push_back(code);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.regions.empty()) throw FatalError(ErrorCode::usage, "--regions: expected 'all' or a list such as us-east-1,eu-west-1");
  return out;
}

std::vector<RegionRecord> describe_regions(Session& session) {
  stages::RecordCollector<RegionRecord> collector;
  StreamGraph graph(session.fetcher(), GraphOptions{});
  auto jobs = plan_streams(Dataset::regions, {}, session.default_region(), {});
  RunReport report = graph.run(jobs, collector);
  if (const Error* error = report.first_error()) throw FatalError(*error);
  return collector.records();
}

std::vector<std::string> resolve_regions(Session& session, const RegionSelection& selection) {
  if (!selection.all) return selection.regions;
  std::vector<std::string> out;
  std::vector<std::string> skipped;
  for (const RegionRecord& r : describe_regions(session)) {
    if (r.enabled || selection.include_disabled) {
      out.push_back(r.region);
    } else {
      skipped.push_back(r.region);
    }
  }
  std::sort(out.begin(), out.end());
  if (!skipped.empty()) {
    spdlog::info("--regions all: {} enabled regions; skipping {} not enabled for this account ({})", out.size(),
                 skipped.size(), fmt::join(skipped, ", "));
  }
  if (out.empty()) throw FatalError(ErrorCode::aws_api, "DescribeRegions returned no enabled region");
  return out;
}

std::vector<StreamJob> plan_streams(Dataset dataset, const std::vector<std::string>& regions,
                                    const std::string& default_region, const stages::SourceOptions& options) {
  std::vector<StreamJob> jobs;
  if (!info(dataset).regional) {
    jobs.push_back(StreamJob{dataset, default_region, stages::make_source(dataset, default_region, options)});
    return jobs;
  }
  // The Pricing API matches one value per field: exact instance types get a
  // stream each, so the server filters instead of us paging through a region.
  const auto& types = options.prices.instance_types;
  const bool per_type = info(dataset).priced && types.size() > 1 &&
                        std::none_of(types.begin(), types.end(),
                                     [](const std::string& t) { return t.find_first_of("*?") != std::string::npos; });
  for (const auto& region : regions) {
    if (!per_type) {
      jobs.push_back(StreamJob{dataset, region, stages::make_source(dataset, region, options)});
      continue;
    }
    for (const auto& type : types) {
      stages::SourceOptions one = options;
      one.prices.instance_types = {type};
      jobs.push_back(StreamJob{dataset, region, stages::make_source(dataset, region, one)});
    }
  }
  return jobs;
}

}  // namespace pricepipe::graph
