#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/parallel_for.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
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

namespace {

// Batches prepared side by side, then written in order: what a load holds in memory.
constexpr std::size_t kBatchesInFlight = 16;

}  // namespace

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
  // ClickHouse is called through the one fetch path: a session that signs
  // nothing and caches nothing (its calls never are).
  graph::SessionOptions options;
  options.network = settings.network;
  options.cache.disabled = true;
  options.sign_requests = false;
  graph::Session session(options);
  RunSummary summary;
  summary.dataset = "load";
  try {
    summary.exit_code = load(session.fetcher(), summary);
  } catch (const FatalError& e) {
    std::fprintf(stderr, "pricepipe: error: %s\n", e.what());
    summary.exit_code = static_cast<int>(exit_code_for(e.error().code()));
  }
  return write_metrics(settings, session.metrics(), summary);
}

int LoadCommand::load(net::Fetcher& fetcher, RunSummary& summary) const {
  const auto began = std::chrono::steady_clock::now();
  if (!stages::warehouse_url(to_)) {
    throw FatalError(stages::encoding_for(to_).error());
  }
  auto manifest = stages::read_manifest(snapshot_);
  if (!manifest.ok()) throw FatalError(manifest.error());
  const bool all = std::find(datasets_.begin(), datasets_.end(), "all") != datasets_.end();
  std::vector<Dataset> datasets;
  for (const auto& part : manifest->parts) {
    const bool wanted = all || std::find(datasets_.begin(), datasets_.end(), info(part.dataset).name) != datasets_.end();
    if (wanted && std::find(datasets.begin(), datasets.end(), part.dataset) == datasets.end()) {
      datasets.push_back(part.dataset);
    }
  }
  if (manifest->state == stages::SnapshotState::partial) {
    spdlog::warn("snapshot {} is partial: {} inputs are missing; their partitions keep what was loaded before",
                 manifest->id, manifest->missing.size());
    for (const auto& m : manifest->missing) spdlog::warn("  missing: {}", m);
  }

  stages::LoadSinkOptions options;
  options.url = to_;
  options.info = {manifest->id, manifest->started_at, manifest->sha256, "snapshot " + manifest->path.string()};
  options.datasets = datasets;
  options.fetcher = &fetcher;
  stages::LoadSink sink(std::move(options));
  interrupt::Subscription stop([] {});  // checked between batches: a stop rolls the load back
  auto started = sink.begin();
  if (!started.ok()) throw FatalError(started.error());
  if (auto at = parse_rfc3339(manifest->started_at)) summary.snapshot_time = at->time.time_since_epoch().count();
  if (*started == stages::LoadStart::already_loaded) {
    summary.complete = true;
    std::fprintf(stderr, "pricepipe: load: snapshot %s is in %s already (the same manifest): nothing to do\n",
                 manifest->id.c_str(), sink.describe().c_str());
    return 0;
  }

  std::vector<stages::RecordBatch> pending;
  std::vector<std::string> prepared;
  auto flush = [&]() -> Result<void> {
    prepared.assign(pending.size(), {});
    tbb::parallel_for(std::size_t{0}, pending.size(), [&](std::size_t i) { prepared[i] = sink.prepare(pending[i]); });
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (auto r = sink.write(pending[i], std::move(prepared[i])); !r.ok()) return r;
    }
    pending.clear();
    return {};
  };
  std::uint64_t rows = 0;
  for (const auto& part : manifest->parts) {
    if (std::find(datasets.begin(), datasets.end(), part.dataset) == datasets.end()) continue;
    Result<void> written;
    auto take = [&](std::string_view lines, std::string& why) {
      stages::RecordBatch batch;
      batch.dataset = part.dataset;
      batch.region = part.region;
      batch.ndjson = std::make_shared<const std::string>(lines);
      batch.rows = static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
      rows += batch.rows;
      pending.push_back(std::move(batch));
      if (pending.size() >= kBatchesInFlight) written = flush();
      if (!written.ok()) why = written.error().describe();
      return written.ok() && interrupt::requested() == 0;
    };
    auto read = stages::read_part(*manifest, part, take);
    if (!written.ok()) throw FatalError(written.error());
    if (interrupt::requested() != 0) break;
    if (!read.ok()) throw FatalError(read.error());
  }
  if (interrupt::requested() == 0) {
    if (auto r = flush(); !r.ok()) throw FatalError(r.error());
  }
  stages::RunEnd end;
  end.finished = interrupt::requested() == 0;
  end.complete = end.finished && manifest->state == stages::SnapshotState::complete;
  if (auto r = sink.finish(end); !r.ok()) throw FatalError(r.error());
  if (!end.finished) {
    std::fprintf(stderr, "pricepipe: load: stopped; rolled back, %s is as it was\n", sink.describe().c_str());
    return 128 + interrupt::requested();
  }
  summary.records = rows;
  summary.complete = end.complete;
  for (const auto& t : sink.loaded()) summary.loaded.emplace_back(table_name(t.dataset), t.rows);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::fprintf(stderr, "pricepipe: load: %s rows · %zu tables · snapshot %s → %s · %.1f s\n",
               with_thousands(rows).c_str(), sink.loaded().size(), manifest->id.c_str(), sink.describe().c_str(),
               seconds);
  return manifest->state == stages::SnapshotState::partial ? static_cast<int>(ExitCode::partial) : 0;
}

}  // namespace pricepipe::cli
