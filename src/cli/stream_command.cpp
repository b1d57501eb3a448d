#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
#include "graph/explain.h"
#include "graph/session.h"
#include "core/dataset.h"
#include "stages/registry.h"

namespace pricepipe::cli {

std::vector<config::OptionDecl> source_option_union() {
  std::vector<config::OptionDecl> out;
  for (const auto& type : stages::stage_types()) {
    if (type.kind != config::NodeKind::source) continue;
    for (const auto& d : type.options) {
      if (std::none_of(out.begin(), out.end(), [&](const config::OptionDecl& o) { return o.key == d.key; })) {
        out.push_back(d);
      }
    }
  }
  return out;
}

config::PipelineSpec command_line_spec(const std::string& name, const FlagValues& pipeline) {
  config::PipelineSpec spec;
  spec.name = name;
  spec.at.origin = "command line";
  spec.at.name = name;
  spec.settings = pipeline.given();
  return spec;
}

config::NodeSpec command_line_node(const config::PipelineSpec& spec, std::string id, config::NodeKind kind,
                                   std::string type) {
  config::NodeSpec n;
  n.id = std::move(id);
  n.kind = kind;
  n.type = std::move(type);
  n.at = spec.at;
  n.type_at = spec.at;
  return n;
}

StreamCommand::StreamCommand(CLI::App& parent, const std::string& name, const std::string& description) {
  cmd_ = parent.add_subcommand(name, description);
  std::vector<std::string> datasets;
  for (const auto& type : stages::stage_types()) {
    if (type.kind == config::NodeKind::source) datasets.push_back(type.name);
  }
  cmd_->add_option("dataset", dataset_, "Dataset to stream (docs/datasets.md).")->required()->check(CLI::IsMember(datasets));
  // Every source type's options; the chosen type refuses those it does not take.
  options_.bind(*cmd_, source_option_union());
  pipeline_.bind(*cmd_, config::declarations_of<stages::PipelineOptions>());
  output_.bind(*cmd_, stages::find_stage_type("stdout")->options);
}

config::PipelineSpec StreamCommand::spec() const {
  config::PipelineSpec spec = command_line_spec("stream " + dataset_, pipeline_);
  config::NodeSpec source = command_line_node(spec, dataset_, config::NodeKind::source, dataset_);
  source.options = options_.given();
  config::NodeSpec sink = command_line_node(spec, "stdout", config::NodeKind::sink, "stdout");
  sink.inputs.emplace_back(dataset_, spec.at);
  sink.options = output_.given();
  spec.nodes = {std::move(source), std::move(sink)};
  return spec;
}

RunCommand::RunCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("run", "Run a pipeline file (pipelines/*.yaml; docs/pipelines.md).");
  cmd_->add_option("file", file_, "The pipeline file.")->required();
  pipeline_.bind(*cmd_, config::declarations_of<stages::PipelineOptions>());
}

config::PipelineSpec RunCommand::spec() const {
  config::PipelineSpec spec = config::load_pipeline_file(file_, process_environment());
  // A flag wins over the file's own top-level option.
  for (const auto& flag : pipeline_.given()) {
    std::erase_if(spec.settings, [&](const auto& entry) { return entry.first == flag.first; });
    spec.settings.push_back(flag);
  }
  return spec;
}

ExplainCommand::ExplainCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("explain",
                               "Print the graph a pipeline file (or `explain stream DATASET ...`) would run and the "
                               "requests it would make, with what the cache holds; sends nothing.");
  cmd_->add_option("file", file_, "The pipeline file.");
  stream_ = std::make_unique<StreamCommand>(*cmd_, "stream", "Explain `pricepipe stream DATASET ...`.");
  cmd_->require_subcommand(0, 1);
}

int ExplainCommand::run(const RunSettings& settings) {
  if (file_.empty() && !stream_->selected()) {
    throw FatalError(ErrorCode::usage, "explain: give a pipeline file or `stream DATASET ...`");
  }
  const config::PipelineSpec spec =
      stream_->selected() ? stream_->spec() : config::load_pipeline_file(file_, process_environment());
  const graph::Plan plan = graph::plan_pipeline(spec, lowering_context(settings));
  graph::SessionOptions options;
  options.network = settings.network;
  options.cache = settings.cache;
  options.sign_requests = false;  // nothing is sent
  graph::Session session(options);
  const std::string text = graph::explain(plan, session);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (stream_->selected()) {
    const std::string yaml = config::to_yaml(spec);
    std::fprintf(stdout, "\nthe same pipeline as a file (pricepipe run FILE):\n%s", yaml.c_str());
  }
  return 0;
}

}  // namespace pricepipe::cli
