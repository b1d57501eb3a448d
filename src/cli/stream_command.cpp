#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/dataset.h"
#include "core/metrics_report.h"
#include "core/region_info.h"
#include "graph/catalog_run.h"
#include "graph/offer_graph.h"
#include "graph/plan.h"
#include "graph/price_list.h"
#include "graph/session.h"
#include "graph/stream_graph.h"
#include "stages/sinks/ndjson_sink.h"
#include "stages/transforms/catalog_join.h"
#include "stages/sources/spot_advisor_source.h"

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

// "2026-11-01T00:00:00Z", or a duration before `now`: 90s, 45m, 24h, 7d, 2w.
Timestamp parse_time_or_duration(const std::string& text, std::chrono::sys_seconds now, const char* option) {
  if (auto t = parse_rfc3339(text)) return *t;
  std::int64_t amount = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 7 * 86400}};
  if (ec == std::errc() && amount >= 0) {
    for (const auto& [name, seconds] : kUnits) {
      if (unit == name) return Timestamp{now - std::chrono::seconds(amount * seconds)};
    }
  }
  throw FatalError(ErrorCode::usage, std::string(option) + ": expected an RFC 3339 time or a duration such as 24h, got '" +
                                         text + "'");
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
  cmd_->add_option("--since", since_,
                   "Spot history from this time: RFC 3339 (2026-11-01T00:00:00Z) or a duration ago (24h, 90m, 7d). "
                   "Default: only the price in effect now.");
  cmd_->add_option("--until", until_, "Spot history up to this time (RFC 3339 or a duration ago). Default: now.");
  cmd_->add_option("--product-descriptions", product_descriptions_,
                   "Spot product descriptions, e.g. 'Linux/UNIX (Amazon VPC)' (the default), or 'all'.")
      ->delimiter(',');
  cmd_->add_option("--spot-batch-size", spot_batch_size_, "Instance types per DescribeSpotPriceHistory request.")
      ->check(CLI::Range(1, 1000));
  cmd_->add_option("--spot-advisor-url", spot_advisor_url_, "URL of the Spot Instance Advisor feed.")
      ->envname("PRICEPIPE_SPOT_ADVISOR_URL");
  cmd_->add_option("--concurrent-regions", concurrent_regions_,
                   "catalog: regions fetched and joined at once (bounds memory; default 4).")
      ->check(CLI::Range(1, 64));
  cmd_->add_flag("--keep-going", keep_going_,
                 "Stream what can be fetched when some regions fail; list the failures at the end and exit 7.");
}

void StreamCommand::spot_options(stages::SourceOptions& sources) const {
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  sources.spot_end = until_.empty() ? Timestamp{now} : parse_time_or_duration(until_, now, "--until");
  sources.spot_start = since_.empty() ? sources.spot_end : parse_time_or_duration(since_, now, "--since");
  // Ends that follow the clock are named relative to it in cache keys, so a
  // cached "now" answer is reused while fresh (--cache-ttl-spot).
  auto label = [&](const std::string& text, Timestamp at) -> std::string {
    if (text.empty()) return "now";
    if (parse_rfc3339(text)) return "";
    return "now-" + std::to_string((now - at.time).count()) + "s";
  };
  sources.spot_end_label = label(until_, sources.spot_end);
  sources.spot_start_label = since_.empty() ? sources.spot_end_label : label(since_, sources.spot_start);
  if (sources.spot_start.time > sources.spot_end.time) {
    throw FatalError(ErrorCode::usage, "--since is after --until");
  }
  if (product_descriptions_.size() == 1 && product_descriptions_[0] == "all") {
    sources.product_descriptions = {"Linux/UNIX", "Linux/UNIX (Amazon VPC)", "SUSE Linux", "SUSE Linux (Amazon VPC)",
                                    "Red Hat Enterprise Linux", "Red Hat Enterprise Linux (Amazon VPC)", "Windows",
                                    "Windows (Amazon VPC)"};
  } else if (!product_descriptions_.empty()) {
    sources.product_descriptions = product_descriptions_;
  }
  sources.spot_batch_size = spot_batch_size_;
  sources.spot_advisor_url = spot_advisor_url_;
}

bool StreamCommand::use_bulk(Dataset dataset, std::size_t regions) const {
  if (dataset == Dataset::savings_plans_rates || !offer_files_.empty() || price_source_ == "bulk") return true;
  if (price_source_ == "api") return false;
  // auto: a handful of exact lookups is cheaper through the API; anything
  // broader downloads less in total through the offer files.
  return !(stages::exact_instance_types(instance_types_) && regions > 0 && regions * instance_types_.size() <= 8);
}

graph::SessionOptions StreamCommand::session_options(bool sign) const {
  graph::SessionOptions options;
  options.network = settings_.network;
  options.cache = settings_.cache;
  options.sign_requests = sign;
  return options;
}

int StreamCommand::run(const RunSettings& settings) {
  settings_ = settings;
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

  spot_options(sources);
  if (dataset == Dataset::catalog) return run_catalog(sources);
  if (dataset == Dataset::spot_advisor) return run_advisor(sources);
  if (info(dataset).priced) {
    const bool all = regions_ == "all";
    std::vector<std::string> listed;
    if (!regions_.empty() && !all) listed = graph::parse_region_selection(regions_).regions;
    if (use_bulk(dataset, all ? 0 : std::max<std::size_t>(1, listed.size()))) return run_bulk(dataset, listed, sources);
  }
  return run_api(dataset, sources);
}

std::vector<std::string> StreamCommand::ec2_regions(graph::Session& session) const {
  graph::RegionSelection selection = regions_.empty() ? graph::RegionSelection{false, false, {session.default_region()}}
                                                      : graph::parse_region_selection(regions_);
  selection.include_disabled = include_disabled_;
  return graph::resolve_regions(session, selection);
}

int StreamCommand::run_api(Dataset dataset, stages::SourceOptions sources) {
  graph::Session session(session_options(true));
  return guarded(session, [&] {
    std::vector<std::string> regions;
    if (info(dataset).regional) {
      regions = ec2_regions(session);
    }
    if (dataset == Dataset::spot_prices) {
      auto facts = graph::spot_plan_facts(session, regions, !stages::exact_instance_types(instance_types_));
      sources.zone_ids = std::move(facts.zone_ids);
      sources.offered_types = std::move(facts.offered_types);
    }
    auto jobs = graph::plan_streams(dataset, regions, session.default_region(), sources);

    stages::NdjsonSink sink(STDOUT_FILENO);
    graph::GraphOptions graph_options;
    graph_options.keep_going = keep_going_;
    graph_options.sources = sources;
    graph_options.ordered = true;  // the same answers, the same bytes
    graph::StreamGraph graph(session.fetcher(), graph_options);
    const graph::RunReport report = graph.run(jobs, sink);
    const std::string service = info(dataset).priced ? "pricing" : "ec2";
    return finish(dataset, report, report.records(), session, regions.size(),
                  "endpoint " + session.endpoint_description(service));
  });
}

int StreamCommand::run_advisor(stages::SourceOptions sources) {
  graph::Session session(session_options(false));  // the feed is public
  return guarded(session, [&] {
    if (regions_.empty()) {
      sources.prices.regions = {session.default_region()};
    } else if (regions_ != "all") {
      sources.prices.regions = graph::parse_region_selection(regions_).regions;
    }
    sources.prices.instance_types = instance_types_;
    auto jobs = graph::plan_streams(Dataset::spot_advisor, {}, session.default_region(), sources);
    stages::NdjsonSink sink(STDOUT_FILENO);
    graph::GraphOptions graph_options;
    graph_options.keep_going = keep_going_;
    graph_options.sources = sources;
    graph_options.ordered = true;  // the same answers, the same bytes
    const graph::RunReport report = graph::StreamGraph(session.fetcher(), graph_options).run(jobs, sink);
    return finish(Dataset::spot_advisor, report, report.records(), session, sources.prices.regions.size(),
                  "spot advisor " + (spot_advisor_url_.empty() ? std::string(stages::kDefaultSpotAdvisorUrl) : spot_advisor_url_));
  });
}

int StreamCommand::run_bulk(Dataset dataset, const std::vector<std::string>& regions, stages::SourceOptions sources) {
  graph::Session session(session_options(false));  // the Price List is public
  return guarded(session, [&] {
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
      for (const auto& file : graph::resolve_offer_files(session.loop(), session.cache(), &session.metrics(), price_list_url_, dataset, wanted)) {
        jobs.push_back(graph::OfferFileJob{dataset, file.region, file.url,
                                           graph::download_reader(session.loop(), file.url, session.metrics(), session.cache()), sources.prices});
      }
    }
    stages::NdjsonSink sink(STDOUT_FILENO);
    graph::OfferGraphOptions graph_options;
    graph_options.keep_going = keep_going_;
    graph_options.ordered = true;
    const graph::RunReport report = graph::OfferGraph(graph_options).run(jobs, sink);
    return finish(dataset, report, report.records(), session, jobs.size(),
                  offer_files_.empty() ? "price list " + price_list_url_ : "offer files");
  });
}

int StreamCommand::run_catalog(stages::SourceOptions sources) {
  if (price_source_ == "api" || !offer_files_.empty() || !operating_systems_.empty() || !tenancies_.empty() ||
      !product_descriptions_.empty()) {
    throw FatalError(ErrorCode::usage,
                     "catalog: prices come from the bulk Price List for Linux, Windows, RHEL and SUSE on shared "
                     "tenancy, spot from Linux/UNIX (Amazon VPC); --price-source api, --offer-file, --os, --tenancy and "
                     "--product-descriptions do not apply");
  }
  sources.product_descriptions = {stages::CatalogJoinOptions{}.spot_product};
  graph::Session session(session_options(true));
  return guarded(session, [&] {
    graph::CatalogOptions options;
    options.regions = ec2_regions(session);
    options.sources = std::move(sources);
    options.price_list_url = price_list_url_;
    options.concurrent_regions = concurrent_regions_;
    options.keep_going = keep_going_;
    stages::NdjsonSink sink(STDOUT_FILENO);
    const graph::CatalogReport report = graph::run_catalog(session, options, sink);
    return finish(Dataset::catalog, report.inputs, report.rows, session, options.regions.size(),
                  "endpoint " + session.endpoint_description("ec2") + " · price list " + price_list_url_);
  });
}

int StreamCommand::finish(Dataset dataset, const graph::RunReport& report, std::uint64_t records,
                          graph::Session& session, std::size_t regions, const std::string& source) {
  const int code = report_outcome(dataset, report, records, session, regions, source);
  write_metrics(session, RunSummary{dataset_, records, report.complete(), code});
  return code;
}

int StreamCommand::guarded(graph::Session& session, const std::function<int()>& body) {
  try {
    return body();
  } catch (const FatalError& e) {
    // Stopped before (or instead of) streaming: the metrics still say what was asked.
    write_metrics(session, RunSummary{dataset_, 0, false, static_cast<int>(exit_code_for(e.error().code()))});
    throw;
  }
}

void StreamCommand::write_metrics(graph::Session& session, const RunSummary& run) const {
  const config::ReportSettings& out = settings_.report;
  if (out.metrics_out.empty()) return;
  const std::string text = out.metrics_format == "prometheus" ? metrics_prometheus(session.metrics(), run)
                                                               : metrics_json(session.metrics(), run);
  if (auto written = write_atomically(out.metrics_out, text); !written.ok()) {
    // The records are out and whole; a missing metrics file is not worth failing them.
    spdlog::warn("{}", written.error().describe());
  }
}

int StreamCommand::report_outcome(Dataset dataset, const graph::RunReport& report, std::uint64_t records,
                                  graph::Session& session, std::size_t regions, const std::string& source) {
  std::string summary = session.metrics().summary_line(dataset_, records);
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
