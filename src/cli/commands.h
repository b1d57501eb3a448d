// The subcommands. Each registers its options on construction and runs when
// selected; options common to every command live in config::NetworkSettings.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/settings.h"

namespace pricepipe::cli {

/// `pricepipe stream DATASET`: NDJSON records on stdout.
class StreamCommand {
 public:
  explicit StreamCommand(CLI::App& parent);
  bool selected() const { return cmd_->parsed(); }
  int run(const config::NetworkSettings& network);

 private:
  CLI::App* cmd_;
  std::string dataset_;
  std::string regions_;
  bool include_disabled_ = false;
  std::vector<std::string> instance_types_;
  bool keep_going_ = false;
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
