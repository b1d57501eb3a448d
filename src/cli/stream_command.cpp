#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/dataset.h"
#include "core/region_info.h"
#include "graph/offer_graph.h"
#include "graph/plan.h"
#include "graph/price_list.h"
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
                   "'all' or a comma-separated list. For EC2 datasets 'all' is every region enabled for the account "
                   "(DescribeRegions); for price datasets, every region of the Price List. Default: the --region.");
  cmd_->add_flag("--include-disabled-regions", include_disabled_,
                 "With --regions all, also query regions that are not enabled for the account (they fail).");
  cmd_->add_option("--instance-types", instance_types_,
                   "Only these instance types; names or patterns such as 'm7g.*' (comma-separated).")
      ->delimiter(',');
  cmd_->add_option("--os", operating_systems_,
                   "Price datasets: only these operating systems (linux, windows, rhel, rhel-ha, suse, ubuntu-pro).")
      ->delimiter(',');
  cmd_->add_option("--tenancy", tenancies_, "Price datasets: only these tenancies (shared, dedicated, host).")
      ->delimiter(',');
  cmd_->add_option("--price-source", price_source_,
                   "Where prices come from: 'api' (Pricing GetProducts, signed), 'bulk' (the public Price List offer "
                   "files, streamed) or 'auto' (the API for a few exact types in a few regions, else bulk). "
                   "savings-plans-rates are bulk only.")
      ->check(CLI::IsMember({"auto", "api", "bulk"}));
  cmd_->add_option("--price-list-url", price_list_url_, "Base URL of the bulk Price List.")
      ->envname("PRICEPIPE_PRICE_LIST_URL");
  cmd_->add_option("--offer-file", offer_files_,
                   "Read these local offer files instead of downloading (implies --price-source bulk).");
  cmd_->add_option("--pricing-region", pricing_region_,
                   "Pricing API endpoint region: us-east-1, eu-central-1 or ap-south-1.")
      ->check(CLI::IsMember({"us-east-1", "eu-central-1", "ap-south-1", "cn-northwest-1"}));
  cmd_->add_flag("--keep-going", keep_going_,
                 "Stream what can be fetched when some regions fail; list the failures at the end and exit 7.");
}

bool StreamCommand::use_bulk(Dataset dataset, std::size_t regions) const {
  if (dataset == Dataset::savings_plans_rates || !offer_files_.empty() || price_source_ == "bulk") return true;
  if (price_source_ == "api") return false;
  // auto: a handful of exact lookups is cheaper through the API; anything
  // broader downloads less in total through the offer files.
  const bool exact = !instance_types_.empty() &&
                     std::none_of(instance_types_.begin(), instance_types_.end(),
                                  [](const std::string& t) { return t.find_first_of("*?") != std::string::npos; });
  return !(exact && regions > 0 && regions * instance_types_.size() <= 8);
}

int StreamCommand::run(const config::NetworkSettings& network) {
  const Dataset dataset = *dataset_from_name(dataset_);
  if (dataset == Dataset::savings_plans_rates && price_source_ == "api") {
    throw FatalError(ErrorCode::usage, "savings-plans-rates come only from the bulk Price List (--price-source bulk)");
  }
  stages::SourceOptions sources;
  sources.instance_types = instance_types_;
  sources.prices.instance_types = instance_types_;
  sources.prices.operating_systems = operating_systems_;
  sources.prices.tenancies = tenancies_;
  sources.pricing_region = pricing_region_;

  if (info(dataset).priced) {
    const bool all = regions_ == "all";
    std::vector<std::string> listed;
    if (!regions_.empty() && !all) listed = graph::parse_region_selection(regions_).regions;
    if (use_bulk(dataset, all ? 0 : std::max<std::size_t>(1, listed.size()))) return run_bulk(network, dataset, listed, sources);
  }
  return run_api(network, dataset, sources);
}

int StreamCommand::run_api(const config::NetworkSettings& network, Dataset dataset,
                           const stages::SourceOptions& sources) {
  graph::Session session(graph::SessionOptions{network});
  std::vector<std::string> regions;
  if (info(dataset).regional) {
    graph::RegionSelection selection = regions_.empty() ? graph::RegionSelection{false, false, {session.default_region()}}
                                                        : graph::parse_region_selection(regions_);
    selection.include_disabled = include_disabled_;
    regions = graph::resolve_regions(session, selection);
  }
  auto jobs = graph::plan_streams(dataset, regions, session.default_region(), sources);

  stages::NdjsonSink sink(STDOUT_FILENO);
  graph::GraphOptions graph_options;
  graph_options.keep_going = keep_going_;
  graph_options.sources = sources;
  graph::StreamGraph graph(session.fetcher(), graph_options);
  const graph::RunReport report = graph.run(jobs, sink);
  const std::string service = info(dataset).priced ? "pricing" : "ec2";
  return finish(dataset, report, session, regions.size(), "endpoint " + session.endpoint_description(service));
}

int StreamCommand::run_bulk(const config::NetworkSettings& network, Dataset dataset,
                            const std::vector<std::string>& regions, stages::SourceOptions sources) {
  graph::SessionOptions options{network};
  options.sign_requests = false;  // the Price List is public
  graph::Session session(options);
  std::vector<graph::OfferFileJob> jobs;
  if (!offer_files_.empty()) {
    // Local files may cover many regions: the region list filters records.
    sources.prices.regions = regions;
    for (const auto& path : offer_files_) {
      jobs.push_back(graph::OfferFileJob{dataset, "", path, graph::file_reader(path), sources.prices});
    }
  } else {
    const std::vector<std::string> wanted =
        regions_.empty() ? std::vector<std::string>{session.default_region()} : regions;
    for (const auto& file : graph::resolve_offer_files(session.loop(), price_list_url_, dataset, wanted)) {
      jobs.push_back(graph::OfferFileJob{dataset, file.region, file.url,
                                         graph::download_reader(session.loop(), file.url, session.metrics()), sources.prices});
    }
  }
  stages::NdjsonSink sink(STDOUT_FILENO);
  graph::OfferGraphOptions graph_options;
  graph_options.keep_going = keep_going_;
  const graph::RunReport report = graph::OfferGraph(graph_options).run(jobs, sink);
  return finish(dataset, report, session, jobs.size(),
                offer_files_.empty() ? "price list " + price_list_url_ : "offer files");
}

int StreamCommand::finish(Dataset dataset, const graph::RunReport& report, graph::Session& session,
                          std::size_t regions, const std::string& source) {
  std::string summary = session.metrics().summary_line(dataset_, report.records());
  if (info(dataset).regional) summary += fmt::format(" · {} {}", regions, offer_files_.empty() ? "regions" : "files");
  summary += " · " + source;
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
