#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/dataset.h"
#include "core/region_info.h"
#include "graph/plan.h"
#include "graph/session.h"
#include "graph/stream_graph.h"
#include "stages/sinks/ndjson_sink.h"

namespace pricepipe::cli {

namespace {

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& d : all_datasets()) names.emplace_back(d.name);
  return names;
}

// AWS answers AuthFailure, not a dedicated code, for a region the account has
// not enabled; in an opt-in region that is what it almost always means.
Error explain(const Error& error) {
  const auto& c = error.context();
  if (c.aws_code == "AuthFailure" && !c.region.empty()) {
    if (auto known = find_region_info(c.region); known && known->opt_in_required) {
      return Error(ErrorCode::region_disabled,
                   fmt::format("{} — {} is an opt-in region; it is probably not enabled for this account "
                               "(--regions all skips regions that are not enabled)",
                               error.message(), c.region),
                   c);
    }
  }
  return error;
}

}  // namespace

StreamCommand::StreamCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("stream", "Stream one dataset as NDJSON on stdout.");
  cmd_->add_option("dataset", dataset_, "Dataset to stream.")
      ->required()
      ->check(CLI::IsMember(dataset_names()));
  cmd_->add_option("--regions", regions_,
                   "'all' (every region enabled for the account, from DescribeRegions) or a comma-separated "
                   "list. Default: the --region.");
  cmd_->add_flag("--include-disabled-regions", include_disabled_,
                 "With --regions all, also query regions that are not enabled for the account (they fail).");
  cmd_->add_option("--instance-types", instance_types_,
                   "Only these instance types; names or patterns such as 'm7g.*' (comma-separated).")
      ->delimiter(',');
  cmd_->add_flag("--keep-going", keep_going_,
                 "Stream what can be fetched when some regions fail; list the failures at the end and exit 7.");
}

int StreamCommand::run(const config::NetworkSettings& network) {
  const Dataset dataset = *dataset_from_name(dataset_);
  graph::Session session(graph::SessionOptions{network});

  std::vector<std::string> regions;
  if (info(dataset).regional) {
    graph::RegionSelection selection = regions_.empty() ? graph::RegionSelection{false, false, {session.default_region()}}
                                                        : graph::parse_region_selection(regions_);
    selection.include_disabled = include_disabled_;
    regions = graph::resolve_regions(session, selection);
  }
  stages::SourceOptions source_options;
  source_options.instance_types = instance_types_;
  auto jobs = graph::plan_streams(dataset, regions, session.default_region(), source_options);

  stages::NdjsonSink sink(STDOUT_FILENO);
  graph::GraphOptions graph_options;
  graph_options.keep_going = keep_going_;
  graph_options.sources = source_options;
  graph::StreamGraph graph(session.fetcher(), graph_options);
  const graph::RunReport report = graph.run(jobs, sink);

  std::string summary = session.metrics().summary_line(dataset_, report.records());
  if (info(dataset).regional) summary += fmt::format(" · {} regions", regions.size());
  summary += " · endpoint " + session.ec2_endpoint_description();
  std::fprintf(stderr, "pricepipe: %s\n", summary.c_str());

  if (report.complete()) return static_cast<int>(ExitCode::ok);
  if (report.sink_error) {
    std::fprintf(stderr, "pricepipe: error: %s\n", report.sink_error->describe().c_str());
    return static_cast<int>(exit_code_for(report.sink_error->code()));
  }
  if (keep_going_) {
    std::size_t failed = 0;
    for (const auto& s : report.streams) {
      if (!s.error) continue;
      ++failed;
      std::fprintf(stderr, "pricepipe: failed: %s\n", explain(*s.error).describe().c_str());
    }
    std::fprintf(stderr, "pricepipe: incomplete: %zu of %zu %s failed; the output lacks some or all of their records\n",
                 failed, report.streams.size(), info(dataset).regional ? "regions" : "streams");
    return static_cast<int>(ExitCode::partial);
  }
  const Error* first = report.first_error();
  if (first == nullptr) {
    std::fprintf(stderr, "pricepipe: error: the run was stopped\npricepipe: incomplete: the output above is partial\n");
    return static_cast<int>(ExitCode::failure);
  }
  const Error error = explain(*first);
  std::fprintf(stderr, "pricepipe: error: %s\n", error.describe().c_str());
  std::fprintf(stderr, "pricepipe: incomplete: the output above is partial\n");
  return static_cast<int>(exit_code_for(error.code()));
}

}  // namespace pricepipe::cli
