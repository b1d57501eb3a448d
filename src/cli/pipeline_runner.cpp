#include "cli/pipeline_runner.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/progress_line.h"
#include "core/atomic_file.h"
#include "core/interrupt.h"
#include "core/metrics_report.h"
#include "core/region_info.h"
#include "graph/graph_builder.h"
#include "graph/session.h"

namespace pricepipe::cli {

namespace {

// AWS answers AuthFailure, not a dedicated code, for a region the account has
// not enabled; in an opt-in region that is what it almost always means.
Error explain_error(const Error& error) {
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

int write_metrics(const RunSettings& settings, const Metrics& metrics, const RunSummary& run) {
  const config::ReportSettings& out = settings.report;
  if (out.metrics_out.empty()) return run.exit_code;
  std::string previous;
  if (std::FILE* f = std::fopen(out.metrics_out.c_str(), "rb")) {
    char buf[1 << 16];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) previous.append(buf, n);
    std::fclose(f);
  }
  const std::string text = out.metrics_format == "prometheus" ? metrics_prometheus(metrics, run, previous)
                                                               : metrics_json(metrics, run);
  auto written = write_atomically(out.metrics_out, text, "the metrics file");
  if (written.ok()) return run.exit_code;
  std::fprintf(stderr, "pricepipe: error: --metrics-out: %s\n", written.error().describe().c_str());
  return run.exit_code != 0 ? run.exit_code : static_cast<int>(ExitCode::io);
}

namespace {

// "· 25 regions · endpoint AWS": what the summary says of a one-source pipeline.
std::string origin_of(const graph::Plan& plan, const graph::RunReport& report, graph::Session& session) {
  std::vector<std::size_t> sources;
  for (std::size_t p = 0; p < plan.producers.size(); ++p) {
    if (plan.producers[p].kind != graph::ProducerKind::transform) sources.push_back(p);
  }
  if (sources.size() != 1) return fmt::format(" · {} sources · {} sinks", sources.size(), plan.sinks.size());
  const graph::Producer& p = plan.producers[sources.front()];
  std::string out;
  if (info(p.dataset).regional) {
    if (p.files > 0) {
      out += fmt::format(" · {} files", p.files);
    } else {
      out += fmt::format(" · {} regions", p.regions_counted.value_or(report.regions[sources.front()]));
    }
  }
  std::vector<std::string> parts;
  if (!p.endpoint_service.empty()) parts.push_back("endpoint " + session.endpoint_description(p.endpoint_service));
  if (!p.origin.empty()) parts.push_back(p.origin);
  return out + " · " + fmt::format("{}", fmt::join(parts, " · "));
}

int outcome(const graph::Plan& plan, const graph::RunReport& report) {
  if (report.complete()) return static_cast<int>(ExitCode::ok);
  if (const int signal = interrupt::requested(); signal != 0) {
    std::fprintf(stderr, "pricepipe: error: stopped by %s\npricepipe: incomplete: the output above is partial\n",
                 signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "a signal");
    return 128 + signal;
  }
  if (report.sink_error) {
    std::fprintf(stderr, "pricepipe: error: %s\npricepipe: incomplete: the output is partial\n",
                 report.sink_error->describe().c_str());
    return static_cast<int>(exit_code_for(report.sink_error->code()));
  }
  if (report.fatal) {
    std::fprintf(stderr, "pricepipe: error: %s\n", explain_error(*report.fatal).describe().c_str());
    return static_cast<int>(exit_code_for(report.fatal->code()));
  }
  if (plan.keep_going) {
    // Counted by region when the data is regional (a region reads many
    // streams: pages of several feeds, files), else by stream.
    const bool regional = std::any_of(plan.producers.begin(), plan.producers.end(),
                                      [](const graph::Producer& p) { return info(p.dataset).regional; });
    std::set<std::string> listed, failed, read;
    std::size_t stream = 0;
    for (const auto& s : report.streams) {
      const std::string unit = regional ? s.region : std::to_string(stream++);
      if (s.read) read.insert(unit);
      if (!s.error) continue;
      if (s.read) failed.insert(unit);
      const std::string line = explain_error(*s.error).describe();
      if (listed.insert(line).second) std::fprintf(stderr, "pricepipe: failed: %s\n", line.c_str());
    }
    std::size_t failures = failed.size();
    if (failures == 0) failures = report.failed_streams();  // only planning failed: count what did
    std::fprintf(stderr, "pricepipe: incomplete: %zu of %zu %s failed; the output lacks some or all of their records\n",
                 failures, std::max(read.size(), failures), regional ? "regions" : "streams");
    return static_cast<int>(ExitCode::partial);
  }
  const Error* first = report.first_error();
  if (first == nullptr) {
    std::fprintf(stderr, "pricepipe: error: the run was stopped\npricepipe: incomplete: the output above is partial\n");
    return static_cast<int>(ExitCode::failure);
  }
  const Error error = explain_error(*first);
  std::fprintf(stderr, "pricepipe: error: %s\n", error.describe().c_str());
  std::fprintf(stderr, "pricepipe: incomplete: the output above is partial\n");
  return static_cast<int>(exit_code_for(error.code()));
}

}  // namespace

stages::LoweringContext lowering_context(const RunSettings& settings) {
  stages::LoweringContext context;
  context.env = process_environment();
  context.default_region = graph::default_region(settings.network, context.env);
  context.now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return context;
}

graph::SessionOptions unsigned_session(const RunSettings& settings) {
  graph::SessionOptions options;
  options.network = settings.network;
  options.cache.disabled = true;
  options.sign_requests = false;
  return options;
}

int run_pipeline(const config::PipelineSpec& spec, const RunSettings& settings, const std::string& what) {
  // A stop asked for before the graph runs is kept for it (the graph stops at
  // once); one after it still gets the summary and the metrics.
  interrupt::Subscription report_first([] {});
  const graph::Plan plan = graph::plan_pipeline(spec, lowering_context(settings));
  graph::SessionOptions options;
  options.network = settings.network;
  options.cache = settings.cache;
  options.sign_requests = plan.needs_credentials();
  options.accounts = plan.accounts;
  options.account_ids = plan.needs_account_ids();
  graph::Session session(options);
  graph::ProgressProbe probe;
  // Records streamed to the same terminal would be drawn over: no line then. A
  // sink that writes only at the end (a table, a matrix) waits for the line to be cleared.
  const bool records_on_terminal =
      isatty(STDOUT_FILENO) == 1 && std::any_of(plan.sinks.begin(), plan.sinks.end(), [](const graph::PlanSink& s) {
        return s.type == "stdout" && !s.lowering.writes_at_end;
      });
  ProgressLine line(settings.progress && !records_on_terminal, [&] {
    const auto done = probe.read().value_or(graph::RunProgress{});
    const auto t = session.metrics().totals();
    const std::uint64_t lookups = t.requests + t.cache_hits;
    const double cached = lookups == 0 ? 0.0 : 100.0 * static_cast<double>(t.cache_hits) / static_cast<double>(lookups);
    return fmt::format("pricepipe: {}: {}", what,
                       progress_text("regions", done.regions_done, done.regions, session.metrics().elapsed_seconds(),
                                     fmt::format("{} requests ({:.0f}% cached) · {} · {} throttled",
                                                 with_thousands(lookups), cached, human_bytes(t.bytes),
                                                 with_thousands(t.throttles))));
  });
  graph::RunOptions run_options;
  run_options.progress = &probe;
  run_options.before_sinks_finish = [&line] { line.stop(); };
  const graph::RunReport report = graph::run_plan(plan, session, run_options);
  line.stop();
  std::fprintf(stderr, "pricepipe: %s%s\n", session.metrics().summary_line(what, report.records()).c_str(),
               origin_of(plan, report, session).c_str());
  const int code = outcome(plan, report);
  RunSummary summary{what, report.records(), report.complete(), code, {}, 0};
  for (const auto& sink : report.sinks) {
    summary.loaded.insert(summary.loaded.end(), sink.loaded.begin(), sink.loaded.end());
    summary.snapshot_time = std::max(summary.snapshot_time, sink.snapshot_time);
  }
  return write_metrics(settings, session.metrics(), summary);
}

}  // namespace pricepipe::cli
