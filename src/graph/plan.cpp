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

namespace {

// Zones and offerings of a plan step, from one graph run.
class FactsSink final : public stages::Sink {
 public:
  std::string prepare(const stages::RecordBatch&) const override { return {}; }
  Result<void> write(const stages::RecordBatch& batch, std::string) override {
    if (const auto* zones = std::get_if<std::vector<AvailabilityZoneRecord>>(&batch.records)) {
      for (const auto& z : *zones) zone_ids.emplace(z.zone, z.zone_id);
    } else if (const auto* offerings = std::get_if<std::vector<InstanceTypeOfferingRecord>>(&batch.records)) {
      for (const auto& o : *offerings) types[o.region].push_back(o.instance_type);
    }
    return {};
  }
  Result<void> finish(bool) override { return {}; }

  std::map<std::string, std::string> zone_ids;
  std::map<std::string, std::vector<std::string>> types;
};

}  // namespace

SpotPlanFacts spot_plan_facts(Session& session, const std::vector<std::string>& regions, bool offered_types) {
  std::vector<StreamJob> jobs = plan_streams(Dataset::availability_zones, regions, session.default_region(), {});
  const std::size_t zone_jobs = jobs.size();
  if (offered_types) {
    for (auto& job : plan_streams(Dataset::instance_type_offerings, regions, session.default_region(), {})) {
      jobs.push_back(std::move(job));
    }
  }
  FactsSink sink;
  GraphOptions options;
  options.keep_going = true;  // zone ids may fail alone
  const RunReport report = StreamGraph(session.fetcher(), options).run(jobs, sink);

  SpotPlanFacts facts;
  auto zones = std::make_shared<std::map<std::string, std::string>>();
  const auto zone_error = std::find_if(report.streams.begin(), report.streams.begin() + static_cast<std::ptrdiff_t>(zone_jobs),
                                       [](const StreamOutcome& s) { return s.error.has_value(); });
  if (zone_error != report.streams.begin() + static_cast<std::ptrdiff_t>(zone_jobs)) {
    spdlog::warn("zone ids unavailable ({}); spot records will have null zone_id", zone_error->error->describe());
  } else {
    *zones = std::move(sink.zone_ids);
  }
  facts.zone_ids = std::move(zones);
  if (offered_types) {
    for (std::size_t i = zone_jobs; i < report.streams.size(); ++i) {
      if (report.streams[i].error) throw FatalError(*report.streams[i].error);
    }
    for (auto& [region, types] : sink.types) {
      std::sort(types.begin(), types.end());
      types.erase(std::unique(types.begin(), types.end()), types.end());
    }
    facts.offered_types = std::make_shared<const std::map<std::string, std::vector<std::string>>>(std::move(sink.types));
  }
  return facts;
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
  // Not per region, or one document for every region (the advisor feed).
  if (!info(dataset).regional || dataset == Dataset::spot_advisor) {
    jobs.push_back(StreamJob{dataset, default_region, stages::make_source(dataset, default_region, options)});
    return jobs;
  }
  if (dataset == Dataset::spot_prices) {
    for (const auto& region : regions) {
      for (auto& source : stages::spot_sources(region, options)) jobs.push_back(StreamJob{dataset, region, std::move(source)});
    }
    return jobs;
  }
  // The Pricing API matches one value per field: exact instance types get a
  // stream each, so the server filters instead of us paging through a region.
  const auto& types = options.prices.instance_types;
  const bool per_type = info(dataset).priced && types.size() > 1 && stages::exact_instance_types(types);
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
