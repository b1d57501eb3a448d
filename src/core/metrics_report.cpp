#include "core/metrics_report.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/schema.h"

namespace pricepipe {

namespace {

struct Counters {
  const char* name;  // JSON key; the Prometheus family is pricepipe_<name>_total
  const char* help;
  std::uint64_t (*get)(const ActionMetrics&);
};

constexpr Counters kCounters[] = {
    {"requests", "HTTP requests sent (attempts, retries included).",
     [](const ActionMetrics& m) { return m.requests.load(); }},
    {"cache_hits", "Answers served from the cache (or shared with an identical request in flight).",
     [](const ActionMetrics& m) { return m.cache_hits.load(); }},
    {"bytes", "Response body bytes received from the network.", [](const ActionMetrics& m) { return m.bytes.load(); }},
    {"retries", "Requests sent again after a retryable failure.", [](const ActionMetrics& m) { return m.retries.load(); }},
    {"throttles", "Answers that asked to slow down (RequestLimitExceeded, ThrottlingException, ...).",
     [](const ActionMetrics& m) { return m.throttles.load(); }},
    {"failures", "Requests that failed for good.", [](const ActionMetrics& m) { return m.failures.load(); }},
};

constexpr std::pair<const char*, double> kQuantiles[] = {{"p50", 50}, {"p95", 95}, {"p99", 99}};

std::string started_at(const Metrics& metrics) {
  std::string out;
  append_rfc3339(out, Timestamp{std::chrono::time_point_cast<std::chrono::seconds>(metrics.started_at())});
  return out;
}

// Prometheus label values escape backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

}  // namespace

std::string metrics_json(const Metrics& metrics, const RunSummary& run) {
  const Metrics::Totals t = metrics.totals();
  const std::uint64_t lookups = t.requests + t.cache_hits;
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("dataset");
  w.string(run.dataset);
  w.key("records");
  w.integer(static_cast<std::int64_t>(run.records));
  w.key("complete");
  w.boolean(run.complete);
  w.key("exit_code");
  w.integer(run.exit_code);
  w.key("started_at");
  w.string(started_at(metrics));
  w.key("elapsed_s");
  w.number(metrics.elapsed_seconds());
  if (run.snapshot_time != 0) {
    w.key("snapshot_started_at");
    std::string at;
    append_rfc3339(at, Timestamp{std::chrono::sys_seconds(std::chrono::seconds(run.snapshot_time))});
    w.string(at);
  }
  if (!run.loaded.empty()) {
    w.key("loaded");
    w.begin_object();
    for (const auto& [table, rows] : run.loaded) {
      w.key(table);
      w.integer(static_cast<std::int64_t>(rows));
    }
    w.end_object();
  }
  w.key("totals");
  w.begin_object();
  w.key("lookups");
  w.integer(static_cast<std::int64_t>(lookups));
  for (auto [name, value] : {std::pair{"requests", t.requests}, {"cache_hits", t.cache_hits}, {"bytes", t.bytes},
                             {"retries", t.retries}, {"throttles", t.throttles}, {"failures", t.failures}}) {
    w.key(name);
    w.integer(static_cast<std::int64_t>(value));
  }
  w.key("cached_pct");
  w.number(lookups == 0 ? 0.0 : 100.0 * static_cast<double>(t.cache_hits) / static_cast<double>(lookups));
  w.end_object();
  w.key("actions");
  w.begin_array();
  for (const auto& [service, action] : metrics.actions()) {
    const ActionMetrics& m = *metrics.find(service, action);
    w.begin_object();
    w.key("service");
    w.string(service);
    w.key("action");
    w.string(action);
    for (const auto& c : kCounters) {
      w.key(c.name);
      w.integer(static_cast<std::int64_t>(c.get(m)));
    }
    w.key("latency_ms");
    w.begin_object();
    const bool sampled = m.latency_count() > 0;
    for (auto [name, p] : kQuantiles) {
      w.key(name);
      if (sampled) {
        w.number(static_cast<double>(m.latency_percentile(p)) / 1000.0);
      } else {
        w.null();
      }
    }
    w.end_object();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out += '\n';
  return out;
}

std::string metrics_prometheus(const Metrics& metrics, const RunSummary& run, std::string_view previous) {
  std::string out;
  const auto keys = metrics.actions();
  for (const auto& c : kCounters) {
    out += fmt::format("# HELP pricepipe_{}_total {}\n# TYPE pricepipe_{}_total counter\n", c.name, c.help, c.name);
    for (const auto& [service, action] : keys) {
      out += fmt::format("pricepipe_{}_total{{service=\"{}\",action=\"{}\"}} {}\n", c.name, label(service), label(action),
                         c.get(*metrics.find(service, action)));
    }
  }
  out += "# HELP pricepipe_request_latency_seconds Time from sending a request to its last byte.\n"
         "# TYPE pricepipe_request_latency_seconds summary\n";
  for (const auto& [service, action] : keys) {
    const ActionMetrics& a = *metrics.find(service, action);
    const std::string labels = fmt::format("service=\"{}\",action=\"{}\"", label(service), label(action));
    if (a.latency_count() > 0) {
      for (auto [name, p] : kQuantiles) {
        out += fmt::format("pricepipe_request_latency_seconds{{{},quantile=\"{}\"}} {}\n", labels, p / 100.0,
                           static_cast<double>(a.latency_percentile(p)) / 1e6);
      }
    }
    out += fmt::format("pricepipe_request_latency_seconds_sum{{{}}} {}\n", labels, static_cast<double>(a.latency_sum_us()) / 1e6);
    out += fmt::format("pricepipe_request_latency_seconds_count{{{}}} {}\n", labels, a.latency_count());
  }
  const std::string ds = fmt::format("dataset=\"{}\"", label(run.dataset));
  auto gauge = [&](const char* name, const char* help, auto value) {
    out += fmt::format("# HELP pricepipe_run_{} {}\n# TYPE pricepipe_run_{} gauge\npricepipe_run_{}{{{}}} {}\n", name, help,
                       name, name, ds, value);
  };
  gauge("records", "Records written by the last run.", run.records);
  gauge("complete", "1 when the last run's output is complete.", run.complete ? 1 : 0);
  gauge("exit_code", "Exit code of the last run.", run.exit_code);
  gauge("duration_seconds", "Wall time of the last run.", metrics.elapsed_seconds());
  gauge("start_timestamp_seconds", "When the last run started, in Unix time.",
        std::chrono::duration_cast<std::chrono::seconds>(metrics.started_at().time_since_epoch()).count());
  // When a run last succeeded: now, or what the file said before.
  const std::string success = fmt::format("pricepipe_last_success_timestamp_seconds{{{}}} ", ds);
  std::string last;
  if (run.exit_code == 0) {
    last = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  } else if (const auto at = previous.find("\n" + success); at != std::string_view::npos) {
    const auto value = at + 1 + success.size();
    last = std::string(previous.substr(value, previous.find('\n', value) - value));
  }
  if (!last.empty()) {
    out += "# HELP pricepipe_last_success_timestamp_seconds When a run last ended with exit code 0, in Unix time.\n"
           "# TYPE pricepipe_last_success_timestamp_seconds gauge\n" +
           success + last + "\n";
  }
  if (run.snapshot_time != 0) {
    out += fmt::format("# HELP pricepipe_load_snapshot_timestamp_seconds When the snapshot the last load read was "
                       "taken, in Unix time.\n# TYPE pricepipe_load_snapshot_timestamp_seconds gauge\n"
                       "pricepipe_load_snapshot_timestamp_seconds{{{}}} {}\n",
                       ds, run.snapshot_time);
  }
  if (!run.loaded.empty()) {
    out += "# HELP pricepipe_load_rows Rows the last load put in each table.\n# TYPE pricepipe_load_rows gauge\n";
    for (const auto& [table, rows] : run.loaded) {
      out += fmt::format("pricepipe_load_rows{{{},table=\"{}\"}} {}\n", ds, label(table), rows);
    }
  }
  return out;
}


}  // namespace pricepipe
