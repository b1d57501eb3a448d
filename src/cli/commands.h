// The subcommands. Each registers its options on construction and runs when
// selected; options common to every command live in the config:: settings.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/settings.h"
#include "core/metrics_report.h"
#include "core/dataset.h"
#include "graph/price_list.h"
#include "graph/run_report.h"
#include "graph/session.h"
#include "stages/dataset_stages.h"

namespace pricepipe::cli {

/// The global options of a run.
struct RunSettings {
  config::NetworkSettings network;
  config::CacheSettings cache;
  config::ReportSettings report;
};

/// `pricepipe stream DATASET`: NDJSON records on stdout.
class StreamCommand {
 public:
  explicit StreamCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run(const RunSettings& settings);

 private:
  bool use_bulk(Dataset dataset, std::size_t regions) const;
  /// --regions resolved against EC2 (DescribeRegions for 'all'); the default region when absent.
  std::vector<std::string> ec2_regions(graph::Session& session) const;
  /// Spot window, product descriptions and the advisor URL, from the options.
  void spot_options(stages::SourceOptions& sources) const;
  /// A session for this run; `sign`: whether it resolves credentials and signs.
  graph::SessionOptions session_options(bool sign) const;
  int run_api(Dataset dataset, stages::SourceOptions sources);
  int run_advisor(stages::SourceOptions sources);
  int run_bulk(Dataset dataset, const std::vector<std::string>& regions, stages::SourceOptions sources);
  /// The summary line, failures and exit code of a run.
  int run_catalog(stages::SourceOptions sources);
  /// The summary line, failures, metrics file and exit code of a run that wrote `records`.
  int finish(Dataset dataset, const graph::RunReport& report, std::uint64_t records, graph::Session& session,
             std::size_t regions, const std::string& source);
  /// Runs `body`; a FatalError out of it still writes the metrics file, then goes on.
  int guarded(graph::Session& session, const std::function<int()>& body);
  void write_metrics(graph::Session& session, const RunSummary& run) const;
  /// The summary line and failures on stderr; the exit code.
  int report_outcome(Dataset dataset, const graph::RunReport& report, std::uint64_t records, graph::Session& session,
                     std::size_t regions, const std::string& source);

  CLI::App* cmd_;
  RunSettings settings_;
  std::string dataset_;
  std::string regions_;
  bool include_disabled_ = false;
  std::vector<std::string> instance_types_;
  std::vector<std::string> operating_systems_;
  std::vector<std::string> tenancies_;
  std::string price_source_ = "auto";
  std::string price_list_url_ = graph::kDefaultPriceListUrl;
  std::vector<std::string> offer_files_;
  std::string pricing_region_ = "us-east-1";
  std::string since_;
  std::string until_;
  std::vector<std::string> product_descriptions_;
  std::size_t spot_batch_size_ = 50;
  std::string spot_advisor_url_;
  std::size_t concurrent_regions_ = 4;
  bool keep_going_ = false;
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

/// `pricepipe schema [DATASET]`: the fields of each dataset.
class SchemaCommand {
 public:
  explicit SchemaCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run();

 private:
  CLI::App* cmd_;
  std::string dataset_;
  std::string format_ = "text";
};

/// `pricepipe docs datasets|settings`: Markdown for docs/, generated from the
/// same declarations the code uses.
class DocsCommand {
 public:
  explicit DocsCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run();

 private:
  CLI::App* cmd_;
  std::string topic_;
};

}  // namespace pricepipe::cli
