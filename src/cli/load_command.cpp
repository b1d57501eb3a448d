#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
#include "cli/progress_line.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "core/metrics.h"
#include "core/schema.h"
#include "core/table_schema.h"
#include "graph/session.h"
#include "stages/sinks/load_sink.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::cli {

LoadCommand::LoadCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("load",
                               "Load a snapshot into a warehouse in one transaction: typed tables, price history, "
                               "a record of each load (docs/warehouse.md).");
  cmd_->add_option("snapshot", snapshot_, "DIR/ID, or DIR for DIR/latest: a snapshot with its manifest.")->required();
  cmd_->add_option("--to", to_,
                   "postgresql://USER@HOST:PORT/DB (libpq: PGPASSWORD, ~/.pgpass, sslmode), "
                   "clickhouse://[USER@]HOST:8123/DB or https://HOST:8443/DB (CLICKHOUSE_PASSWORD), or "
                   "sqlite:///path/to/prices.db")
      ->required();
  std::vector<std::string> names = {"all"};
  for (const auto& d : all_datasets()) names.emplace_back(d.name);
  cmd_->add_option("--datasets", datasets_, "The datasets to load: all (the default) or a comma-separated list.")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
}

int LoadCommand::run(const RunSettings& settings) const {
  graph::Session session(unsigned_session(settings));  // ClickHouse is called through the one fetch path
  RunSummary summary;
  summary.dataset = "load";
  try {
    summary.exit_code = load(session.fetcher(), settings.progress, summary);
  } catch (const FatalError& e) {
    std::fprintf(stderr, "pricepipe: error: %s\n", e.what());
    summary.exit_code = static_cast<int>(exit_code_for(e.error().code()));
  }
  return write_metrics(settings, session.metrics(), summary);
}

int LoadCommand::load(net::Fetcher& fetcher, bool progress, RunSummary& summary) const {
  const auto began = std::chrono::steady_clock::now();
  if (!stages::warehouse_url(to_)) {
    throw FatalError(stages::encoding_for(to_).error());
  }
  auto manifest = stages::read_manifest(snapshot_);
  if (!manifest.ok()) throw FatalError(manifest.error());
  std::vector<Dataset> datasets;  // empty: all
  if (std::find(datasets_.begin(), datasets_.end(), "all") == datasets_.end()) {
    for (const auto& name : datasets_) datasets.push_back(*dataset_from_name(name));
  }
  std::uint64_t total = 0;
  for (const auto& part : manifest->parts) {
    if (datasets.empty() || std::find(datasets.begin(), datasets.end(), part.dataset) != datasets.end()) {
      total += part.rows;
    }
  }
  std::atomic<std::uint64_t> done{0};
  ProgressLine line(progress, [&] {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    return "pricepipe: load: " + progress_text("rows", done.load(), total, elapsed);
  });
  auto loaded = stages::load_snapshot(*manifest, to_, &fetcher, datasets, &done);
  line.stop();
  if (!loaded.ok()) throw FatalError(loaded.error());
  if (auto at = parse_rfc3339(manifest->started_at)) summary.snapshot_time = at->time.time_since_epoch().count();
  if (loaded->start == stages::LoadStart::already_loaded) {
    summary.complete = true;
    std::fprintf(stderr, "pricepipe: load: snapshot %s is in %s already (the same manifest): nothing to do\n",
                 manifest->id.c_str(), loaded->warehouse.c_str());
    return 0;
  }
  if (loaded->stopped) {
    std::fprintf(stderr, "pricepipe: load: stopped; rolled back, %s is as it was\n", loaded->warehouse.c_str());
    return 128 + interrupt::requested();
  }
  const bool partial = manifest->state == stages::SnapshotState::partial;
  summary.records = loaded->rows;
  summary.complete = !partial;
  summary.loaded = loaded->tables;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::fprintf(stderr, "pricepipe: load: %s rows · %zu tables · snapshot %s → %s · %.1f s\n",
               with_thousands(loaded->rows).c_str(), loaded->tables.size(), manifest->id.c_str(),
               loaded->warehouse.c_str(), seconds);
  return partial ? static_cast<int>(ExitCode::partial) : 0;
}

}  // namespace pricepipe::cli
