#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/metrics.h"
#include "graph/session.h"
#include "net/s3_client.h"
#include "stages/registry.h"
#include "stages/sinks/snapshot_merge.h"
#include "stages/sinks/snapshot_sink.h"
#include "stages/sinks/snapshot_store.h"
#include "stages/sinks/snapshot_target.h"

namespace pricepipe::cli {

std::vector<config::OptionDecl> source_option_union();

namespace {

bool takes(const stages::StageType& type, const std::string& key) {
  return std::any_of(type.options.begin(), type.options.end(), [&](const config::OptionDecl& d) { return d.key == key; });
}

}  // namespace

SnapshotCommand::SnapshotCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("snapshot",
                               "Write every dataset of every region (or those asked for) to a snapshot: partitioned "
                               "files, a manifest, schemas (docs/snapshot.md).");
  std::vector<std::string> names = {"all"};
  for (const auto& d : all_datasets()) {
    if (d.fetched) names.emplace_back(d.name);
  }
  cmd_->add_option("--datasets", datasets_, "The datasets: all (the default) or a comma-separated list.")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
  verify_ = cmd_->add_subcommand("verify",
                                 "Re-read every part of a snapshot (DIR/ID, or DIR for its latest): size, SHA-256, "
                                 "rows, every line a row of its dataset. Exit 0, 6 naming the first bad part, 7 "
                                 "when the snapshot is incomplete or partial.");
  verify_->add_option("snapshot", where_, "DIR/ID, or DIR for DIR/latest.")->required();
  ls_ = cmd_->add_subcommand("ls", "List the snapshots in DIR: complete, partial or incomplete, parts, rows, size; * marks latest.");
  ls_->add_option("dir", where_, "The snapshot directory.")->required();
  prune_ = cmd_->add_subcommand("prune",
                                "Remove the complete snapshots older than the --keep newest; never the latest, never "
                                "an incomplete one.");
  prune_->add_option("dir", where_, "The snapshot directory.")->required();
  prune_->add_option("--keep", keep_, "How many complete snapshots to keep (at least 1).")
      ->required()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  merge_ = cmd_->add_subcommand("merge",
                                "Write the manifest of a snapshot written in shards (--shard I/N) once every shard "
                                "is in; before, exit 7 naming the shards missing (docs/snapshot.md).");
  merge_->add_option("snapshot", where_, "DIR/ID, or s3://BUCKET/PREFIX/ID (or DIR with --id).")->required();
  merge_->add_option("--id", merge_id_, "The snapshot in DIR, when DIR is given alone.");
  cmd_->require_subcommand(0, 1);
  sources_.bind(*cmd_, source_option_union());
  sink_.bind(*cmd_, stages::find_stage_type("snapshot")->options);
  pipeline_.bind(*cmd_, config::declarations_of<stages::PipelineOptions>());
}

int SnapshotCommand::run_reader() const {
  if (where_.rfind("s3://", 0) == 0) {
    throw FatalError(ErrorCode::usage, "snapshot verify, ls and prune read a directory; for a snapshot in S3, copy it "
                                       "down first (aws s3 sync " + where_ + " DIR) and verify DIR/ID");
  }
  if (ls_->parsed()) {
    auto all = stages::list_snapshots(where_);
    if (!all.ok()) throw FatalError(all.error());
    std::string out = fmt::format("{:<2}{:<26} {:<10} {:>6} {:>12} {:>10}\n", "", "snapshot", "status", "parts", "rows",
                                  "size");
    for (const auto& s : *all) {
      out += fmt::format("{:<2}{:<26} {:<10} {:>6} {:>12} {:>10}\n", s.latest ? "*" : "", s.id,
                         stages::name_of(s.state), s.parts, s.rows, human_bytes(s.bytes));
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (prune_->parsed()) {
    auto removed = stages::prune_snapshots(where_, keep_);
    if (!removed.ok()) throw FatalError(removed.error());
    for (const auto& id : *removed) std::fprintf(stdout, "removed %s\n", id.c_str());
    return 0;
  }
  auto report = stages::verify_snapshot(where_);
  if (!report.ok()) throw FatalError(report.error());
  const auto& s = report->snapshot;
  if (report->problem) {
    spdlog::error("snapshot {}: {}", s.path.string(), report->problem->describe());
    return static_cast<int>(exit_code_for(report->problem->code()));
  }
  if (s.state == stages::SnapshotState::partial) {
    spdlog::error("snapshot {} is partial: its {} parts are sound, and {} inputs are missing (resume it with "
                  "--resume):",
                  s.path.string(), report->parts_checked, s.missing.size());
    for (const auto& m : s.missing) spdlog::error("  missing: {}", m);
    return static_cast<int>(ExitCode::partial);
  }
  if (s.state == stages::SnapshotState::incomplete) {
    spdlog::error("snapshot {} is incomplete: it has no manifest ({} parts, {} rows closed so far)", s.path.string(),
                  s.parts, s.rows);
    return static_cast<int>(ExitCode::partial);
  }
  std::fprintf(stdout, "snapshot %s: complete; %llu parts, %llu rows, %s verified\n", s.path.string().c_str(),
               static_cast<unsigned long long>(report->parts_checked),
               static_cast<unsigned long long>(report->rows_checked), human_bytes(report->bytes_checked).c_str());
  return 0;
}

int SnapshotCommand::run_merge(const RunSettings& settings) const {
  std::string parent = where_;
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  std::string id = merge_id_;
  if (id.empty()) {  // DIR/ID
    const auto slash = parent.rfind('/');
    id = slash == std::string::npos ? parent : parent.substr(slash + 1);
    parent = slash == std::string::npos ? std::string(".") : parent.substr(0, slash);
  }
  if (!stages::valid_snapshot_id(id)) {
    throw FatalError(ErrorCode::usage, "snapshot merge: '" + where_ + "' does not end in a snapshot id (DIR/ID)");
  }
  std::optional<graph::Session> session;
  std::unique_ptr<stages::SnapshotTarget> target;
  if (where_.rfind("s3://", 0) == 0) {
    const auto s3 = net::parse_s3_url(parent);
    if (!s3) throw FatalError(ErrorCode::usage, "snapshot merge: '" + where_ + "' is not s3://BUCKET/PREFIX/ID");
    graph::SessionOptions options = unsigned_session(settings);
    options.sign_requests = true;
    session.emplace(options);
    target = stages::s3_target(session->fetcher(), *s3, session->default_region());
  } else {
    target = stages::directory_target(parent);
  }
  auto report = stages::merge_shards(*target, id);
  if (!report.ok()) throw FatalError(report.error());
  if (!report->missing_shards.empty()) {
    spdlog::error("snapshot {}: {} of {} shards are in; waiting for shard {} (nothing written)", target->where(id),
                  report->shards - static_cast<int>(report->missing_shards.size()), report->shards,
                  fmt::join(report->missing_shards, ", "));
    return static_cast<int>(ExitCode::partial);
  }
  std::fprintf(stdout, "snapshot %s: %d shards merged; %zu parts, %llu rows; %s\n", target->where(id).c_str(),
               report->shards, report->parts, static_cast<unsigned long long>(report->rows),
               report->complete ? "complete" : "partial (a shard lists missing inputs)");
  return report->complete ? 0 : static_cast<int>(ExitCode::partial);
}

config::PipelineSpec SnapshotCommand::spec() const {
  config::PipelineSpec spec = command_line_spec("snapshot", pipeline_);

  std::vector<std::string> datasets;
  if (std::find(datasets_.begin(), datasets_.end(), "all") != datasets_.end()) {
    for (const auto& d : all_datasets()) {
      if (d.fetched) datasets.emplace_back(d.name);
    }
  } else {
    for (const auto& d : all_datasets()) {  // documentation order, each once
      if (std::find(datasets_.begin(), datasets_.end(), d.name) != datasets_.end()) datasets.emplace_back(d.name);
    }
  }

  const auto given = sources_.given();
  for (const auto& [key, value] : given) {
    const bool used = std::any_of(datasets.begin(), datasets.end(),
                                  [&](const std::string& d) { return takes(*stages::find_stage_type(d), key); });
    if (!used) {
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      throw FatalError(ErrorCode::usage, fmt::format("--{}: applies to none of the datasets {}", flag,
                                                     fmt::join(datasets, ", ")));
    }
  }
  const bool regions_given =
      std::any_of(given.begin(), given.end(), [](const auto& option) { return option.first == "regions"; });

  config::NodeSpec sink = command_line_node(spec, "snapshot", config::NodeKind::sink, "snapshot");
  sink.options = sink_.given();
  for (const auto& dataset : datasets) {
    const stages::StageType& type = *stages::find_stage_type(dataset);
    config::NodeSpec source = command_line_node(spec, dataset, config::NodeKind::source, dataset);
    for (const auto& option : given) {
      if (takes(type, option.first)) source.options.push_back(option);
    }
    // A snapshot covers every region unless told otherwise.
    if (!regions_given && takes(type, "regions")) source.options.emplace_back("regions", config::Value::of("all", spec.at));
    sink.inputs.emplace_back(dataset, spec.at);
    spec.nodes.push_back(std::move(source));
  }
  spec.nodes.push_back(std::move(sink));
  return spec;
}

}  // namespace pricepipe::cli
