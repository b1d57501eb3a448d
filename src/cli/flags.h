// Command-line flags bound from option declarations (config/options.h):
// each declared option becomes a flag, and what was given comes back as
// configuration values, to be read and checked by `read_options` exactly as
// a pipeline file's keys are. No flag is bound or documented by hand.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/options.h"
#include "config/value.h"

namespace pricepipe::cli {

class FlagValues {
 public:
  /// Adds a flag to `app` for each declaration.
  void bind(CLI::App& app, const std::vector<config::OptionDecl>& decls);
  /// What was given, keyed like a pipeline node's options, each located at its flag.
  std::vector<std::pair<std::string, config::Value>> given() const;

 private:
  struct Bound {
    config::OptionDecl decl;
    CLI::Option* option = nullptr;
    std::vector<std::string> values;
    std::int64_t count = 0;
  };
  std::deque<Bound> bound_;
};

/// The help text of a declaration: its description, values, default and variable.
std::string help_of(const config::OptionDecl& d);

}  // namespace pricepipe::cli
