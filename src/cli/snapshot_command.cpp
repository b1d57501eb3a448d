#include <algorithm>

#include <fmt/format.h>

#include "cli/commands.h"
#include "core/dataset.h"
#include "core/error.h"
#include "stages/registry.h"

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
  for (const auto& d : all_datasets()) names.emplace_back(d.name);
  cmd_->add_option("--datasets", datasets_, "The datasets: all (the default) or a comma-separated list.")
      ->delimiter(',')
      ->check(CLI::IsMember(names));
  sources_.bind(*cmd_, source_option_union());
  sink_.bind(*cmd_, stages::find_stage_type("snapshot")->options);
  pipeline_.bind(*cmd_, config::declarations_of<stages::PipelineOptions>());
}

config::PipelineSpec SnapshotCommand::spec() const {
  config::PipelineSpec spec;
  spec.name = "snapshot";
  spec.at.origin = "command line";
  spec.at.name = "snapshot";
  spec.settings = pipeline_.given();

  std::vector<std::string> datasets;
  if (std::find(datasets_.begin(), datasets_.end(), "all") != datasets_.end()) {
    for (const auto& d : all_datasets()) datasets.emplace_back(d.name);
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

  config::NodeSpec sink;
  sink.id = "snapshot";
  sink.kind = config::NodeKind::sink;
  sink.type = "snapshot";
  sink.at = spec.at;
  sink.type_at = spec.at;
  sink.options = sink_.given();
  for (const auto& dataset : datasets) {
    const stages::StageType& type = *stages::find_stage_type(dataset);
    config::NodeSpec source;
    source.id = dataset;
    source.kind = config::NodeKind::source;
    source.type = dataset;
    source.at = spec.at;
    source.type_at = spec.at;
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
