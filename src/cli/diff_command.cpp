#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/schema.h"
#include "graph/session.h"
#include "stages/sinks/destination.h"
#include "stages/sinks/warehouse.h"
#include "stages/sinks/snapshot_diff.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::cli {

DiffCommand::DiffCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("diff",
                               "What changed from snapshot A to snapshot B: every price added, removed or changed "
                               "(the price-changes dataset) as NDJSON on stdout.");
  cmd_->add_option("a", older_, "The older snapshot: DIR/ID, or DIR for DIR/latest (with --in: its id).")->required();
  cmd_->add_option("b", newer_, "The newer snapshot.")->required();
  cmd_->add_option("--in", in_,
                   "A warehouse (a URL as `load --to` takes): A and B are ids of snapshots loaded there. PostgreSQL "
                   "and SQLite compare the price datasets (from their history); ClickHouse every one.");
  std::vector<std::string> names = {"all"};
  for (const auto& d : all_datasets()) {
    if (d.fetched && stages::diffed(d.id)) names.emplace_back(d.name);
  }
  cmd_->add_option("--datasets", datasets_,
                   "The datasets compared: all (the default: the price datasets and the catalog) or a list.")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
}

int DiffCommand::run(const RunSettings& settings) const {
  const bool all = std::find(datasets_.begin(), datasets_.end(), "all") != datasets_.end();
  std::vector<Dataset> datasets;
  for (const auto& d : all_datasets()) {
    if (d.fetched && stages::diffed(d.id) &&
        (all || std::find(datasets_.begin(), datasets_.end(), d.name) != datasets_.end())) {
      datasets.push_back(d.id);
    }
  }
  // Either two snapshots on disk, or two loaded in a warehouse (ClickHouse is
  // called through the one fetch path).
  std::optional<stages::Manifest> older, newer;
  std::optional<graph::Session> session;
  std::unique_ptr<stages::Warehouse> warehouse;
  std::optional<stages::Warehouse::Loaded> from, to;
  bool partial = false;
  if (in_.empty()) {
    auto a = stages::read_manifest(older_);
    if (!a.ok()) throw FatalError(a.error());
    auto b = stages::read_manifest(newer_);
    if (!b.ok()) throw FatalError(b.error());
    older = std::move(*a);
    newer = std::move(*b);
    partial = older->state == stages::SnapshotState::partial || newer->state == stages::SnapshotState::partial;
  } else {
    if (!stages::warehouse_url(in_)) throw FatalError(stages::encoding_for(in_).error());
    session.emplace(unsigned_session(settings));
    auto opened = stages::open_warehouse(in_, &session->fetcher());
    if (!opened.ok()) throw FatalError(opened.error());
    warehouse = std::move(*opened);
    for (auto [id, side] : {std::pair{&older_, &from}, std::pair{&newer_, &to}}) {
      auto loaded = warehouse->loaded_snapshot(*id);
      if (!loaded.ok()) throw FatalError(loaded.error());
      side->emplace(std::move(*loaded));
    }
    std::erase_if(datasets, [&](Dataset d) {
      const bool kept = std::find(from->datasets.begin(), from->datasets.end(), d) != from->datasets.end();
      if (!kept) {
        spdlog::warn("diff: {} keeps only the latest {} of each region: not compared", warehouse->describe(),
                     info(d).name);
      }
      return !kept;
    });
  }
  std::string out;
  auto emit = [&](std::vector<PriceChangeRecord>& records) -> Result<void> {
    out.clear();
    for (const auto& r : records) append_ndjson(out, r);
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      return stages::io_error("stdout", "cannot write the changes");
    }
    return {};
  };
  auto report = older ? stages::diff_snapshots(*older, *newer, datasets, emit)
                      : stages::diff_sides(from->side, to->side, datasets, emit);
  if (!report.ok()) throw FatalError(report.error());
  for (const auto& s : report->skipped) spdlog::warn("diff: {}: missing from a partial snapshot; not compared", s);
  std::fprintf(stderr, "pricepipe: diff: %s changes · %s partitions · %s → %s\n",
               with_thousands(report->changes).c_str(), with_thousands(report->partitions).c_str(),
               (older ? older->id : older_).c_str(), (newer ? newer->id : newer_).c_str());
  return partial ? static_cast<int>(ExitCode::partial) : 0;
}

}  // namespace pricepipe::cli
