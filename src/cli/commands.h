// The subcommands. Each registers its options on construction and runs when
// selected; options common to every command live in the config:: settings.
// `stream` and `run` build a pipeline spec and hand it to the same runner
// (cli/pipeline_runner.h); `explain` prints what that runner would do.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/flags.h"
#include "config/pipeline_spec.h"
#include "config/settings.h"
#include "core/metrics_report.h"

namespace pricepipe::net {
class Fetcher;
}

namespace pricepipe::cli {

/// The global options of a run.
struct RunSettings {
  config::NetworkSettings network;
  config::CacheSettings cache;
  config::ReportSettings report;
  bool progress = true;  ///< a progress line on a terminal (not with --quiet)
};

/// `stream DATASET [options]`: one dataset as NDJSON on stdout. Its flags
/// are every source type's options; the spec it builds is the pipeline
/// `sources: {DATASET: {type: DATASET, ...}}, sinks: {stdout: ...}`.
class StreamCommand {
 public:
  StreamCommand(CLI::App& parent, const std::string& name, const std::string& description);
  bool selected() const { return cmd_->parsed(); }
  config::PipelineSpec spec() const;

 private:
  CLI::App* cmd_;
  std::string dataset_;
  FlagValues options_;
  FlagValues pipeline_;
  FlagValues output_;  ///< the stdout sink's options: --format
};

/// `snapshot --out DIR [--datasets all|LIST] [options]`: every dataset (or
/// those listed) of every region (or those of --regions) into one snapshot
/// (stages/sinks/snapshot_sink.h). Its flags are the sources' options, each
/// given to every dataset that takes it, and the snapshot sink's; the spec it
/// builds is one source per dataset, all read by one `snapshot` sink.
class SnapshotCommand {
 public:
  explicit SnapshotCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  /// `snapshot verify|ls|prune`: reads (or prunes) what is written, sends nothing.
  bool reads_snapshots() const { return verify_->parsed() || ls_->parsed() || prune_->parsed(); }
  int run_reader() const;
  /// `snapshot merge DIR/ID`: the manifest of a snapshot written in shards (in S3 too).
  bool merges() const { return merge_->parsed(); }
  int run_merge(const RunSettings& settings) const;
  config::PipelineSpec spec() const;

 private:
  CLI::App* cmd_;
  CLI::App* verify_;
  CLI::App* ls_;
  CLI::App* prune_;
  CLI::App* merge_;
  std::string where_;
  std::string merge_id_;
  std::size_t keep_ = 0;
  std::vector<std::string> datasets_{"all"};
  FlagValues sources_;
  FlagValues sink_;
  FlagValues pipeline_;
};

/// `load SNAPSHOT --to URL [--datasets LIST]`: a snapshot into a warehouse
/// (stages/sinks/load_sink.h), all or nothing; docs/warehouse.md.
class LoadCommand {
 public:
  explicit LoadCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  /// Loads, then writes the metrics file (--metrics-out), also when the load fails.
  int run(const RunSettings& settings) const;

 private:
  int load(net::Fetcher& fetcher, bool progress, RunSummary& summary) const;
  CLI::App* cmd_;
  std::string snapshot_;
  std::string to_;
  std::vector<std::string> datasets_{"all"};
};

/// `diff A B [--datasets LIST]`: the `price-changes` records from snapshot
/// A to snapshot B as NDJSON on stdout (stages/sinks/snapshot_diff.h).
class DiffCommand {
 public:
  explicit DiffCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run(const RunSettings& settings) const;

 private:
  CLI::App* cmd_;
  std::string older_, newer_;
  std::string in_;  ///< a warehouse: A and B are snapshot ids loaded there
  std::vector<std::string> datasets_{"all"};
};

/// `select [requirements] [--regions all|LIST] [--matrix] [--explain-cost]`:
/// the pipeline `catalog → select → stdout` (stages/transforms/select_transform.h).
/// Its flags are the catalog's, the select transform's and the stdout sink's;
/// the format is a table on a terminal and NDJSON otherwise.
class SelectCommand {
 public:
  explicit SelectCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  config::PipelineSpec spec() const;

 private:
  CLI::App* cmd_;
  FlagValues source_;
  FlagValues select_;
  FlagValues output_;
  FlagValues pipeline_;
  bool matrix_ = false;
  bool explain_cost_ = false;
};

/// `run FILE.yaml`: a pipeline file.
class RunCommand {
 public:
  explicit RunCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  config::PipelineSpec spec() const;

 private:
  CLI::App* cmd_;
  std::string file_;
  FlagValues pipeline_;
};

/// `explain FILE.yaml` or `explain stream DATASET ...`: the graph and the
/// requests a run would make, without making any.
class ExplainCommand {
 public:
  explicit ExplainCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run(const RunSettings& settings);

 private:
  CLI::App* cmd_;
  std::string file_;
  std::unique_ptr<StreamCommand> stream_;
};

/// `pricepipe cache stats|ls|clear|gc|verify`.
class CacheCommand {
 public:
  explicit CacheCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run(const config::CacheSettings& settings);

 private:
  CLI::App* cmd_;
  std::string region_;
  std::string class_;
  std::string older_than_;
  std::string format_ = "text";
};

/// `pricepipe schema [DATASET]`: the fields of each dataset;
/// `schema --pipeline`: the JSON Schema of pipeline files.
class SchemaCommand {
 public:
  explicit SchemaCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run();

 private:
  CLI::App* cmd_;
  std::string dataset_;
  std::string format_ = "text";
  bool pipeline_ = false;
  bool snapshot_ = false;
};

/// `pricepipe docs datasets|settings|stream|pipelines`: Markdown for docs/,
/// generated from the same declarations the code uses.
class DocsCommand {
 public:
  explicit DocsCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run();

 private:
  CLI::App* cmd_;
  std::string topic_;
};

/// Every source type's options, each key once, in the order types declare them.
std::vector<config::OptionDecl> source_option_union();

/// A pipeline spec a command builds: named `name`, located at the command
/// line, with the pipeline's own flags (`--keep-going`).
config::PipelineSpec command_line_spec(const std::string& name, const FlagValues& pipeline);
/// A node of such a spec, located where the spec is.
config::NodeSpec command_line_node(const config::PipelineSpec& spec, std::string id, config::NodeKind kind,
                                   std::string type);

}  // namespace pricepipe::cli
