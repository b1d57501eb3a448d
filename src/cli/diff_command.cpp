#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/schema.h"
#include "stages/sinks/destination.h"
#include "stages/sinks/snapshot_diff.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::cli {

DiffCommand::DiffCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("diff",
                               "What changed from snapshot A to snapshot B: every price added, removed or changed "
                               "(the price-changes dataset) as NDJSON on stdout.");
  cmd_->add_option("a", older_, "The older snapshot: DIR/ID, or DIR for DIR/latest.")->required();
  cmd_->add_option("b", newer_, "The newer snapshot.")->required();
  std::vector<std::string> names = {"all"};
  for (const auto& d : all_datasets()) {
    if (d.fetched && stages::diffed(d.id)) names.emplace_back(d.name);
  }
  cmd_->add_option("--datasets", datasets_,
                   "The datasets compared: all (the default: the price datasets and the catalog) or a list.")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
}

int DiffCommand::run() const {
  auto older = stages::read_manifest(older_);
  if (!older.ok()) throw FatalError(older.error());
  auto newer = stages::read_manifest(newer_);
  if (!newer.ok()) throw FatalError(newer.error());
  const bool all = std::find(datasets_.begin(), datasets_.end(), "all") != datasets_.end();
  std::vector<Dataset> datasets;
  for (const auto& d : all_datasets()) {
    if (d.fetched && stages::diffed(d.id) &&
        (all || std::find(datasets_.begin(), datasets_.end(), d.name) != datasets_.end())) {
      datasets.push_back(d.id);
    }
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
  auto report = stages::diff_snapshots(*older, *newer, datasets, emit);
  if (!report.ok()) throw FatalError(report.error());
  for (const auto& s : report->skipped) spdlog::warn("diff: {}: missing from a partial snapshot; not compared", s);
  std::fprintf(stderr, "pricepipe: diff: %s changes · %s partitions · %s → %s\n",
               with_thousands(report->changes).c_str(), with_thousands(report->partitions).c_str(), older->id.c_str(),
               newer->id.c_str());
  const bool partial = older->state == stages::SnapshotState::partial || newer->state == stages::SnapshotState::partial;
  return partial ? static_cast<int>(ExitCode::partial) : 0;
}

}  // namespace pricepipe::cli
