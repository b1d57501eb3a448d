#include <unistd.h>

#include <algorithm>

#include "cli/commands.h"
#include "stages/registry.h"
#include "stages/transforms/select_transform.h"

namespace pricepipe::cli {

namespace {

// What the table shows when --columns is not given: a screen's width.
const std::vector<std::string> kChoiceColumns = {
    "rank",  "region", "instance_type", "market",     "price",             "price_per_vcpu", "price_per_gib", "vcpus",
    "memory_gib", "gpu_count", "score", "score_band", "interruption_band", "zones_offered", "spot_zones"};
// --explain-cost: what each price and commitment costs an hour, and where spot stops paying.
const std::vector<std::string> kCostColumns = {"rank",
                                               "region",
                                               "instance_type",
                                               "market",
                                               "on_demand_hourly",
                                               "spot_hourly",
                                               "spot_window_mean_hourly",
                                               "reserved_1yr_hourly",
                                               "reserved_3yr_hourly",
                                               "savings_plan_1yr_hourly",
                                               "savings_plan_3yr_hourly",
                                               "interruption_band",
                                               "spot_stops_paying_vs_on_demand",
                                               "spot_stops_paying_vs_reserved_1yr",
                                               "spot_stops_paying_vs_reserved_3yr",
                                               "spot_stops_paying_vs_savings_plan_1yr",
                                               "spot_stops_paying_vs_savings_plan_3yr"};

bool has(const std::vector<std::pair<std::string, config::Value>>& given, std::string_view key) {
  return std::any_of(given.begin(), given.end(), [&](const auto& entry) { return entry.first == key; });
}

}  // namespace

SelectCommand::SelectCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand(
      "select",
      "The best instance types for a need across regions: the catalog's rows that meet the requirements, one per "
      "market, ranked (a table on a terminal, NDJSON when piped; docs/select.md).");
  source_.bind(*cmd_, stages::find_stage_type("catalog")->options);
  select_.bind(*cmd_, stages::find_stage_type("select")->options);
  output_.bind(*cmd_, stages::find_stage_type("stdout")->options);
  // select's own default: a table for people, NDJSON for programs.
  CLI::Option* format = cmd_->get_option("--format");
  format->description(format->get_description() + " For select: a table when stdout is a terminal, else ndjson.");
  pipeline_.bind(*cmd_, config::declarations_of<stages::PipelineOptions>());
  cmd_->add_flag("--matrix", matrix_,
                 "Print the chosen types by the availability zones of each region, with the current spot price in "
                 "each zone and a mark where the zone does not offer the type (--format matrix).");
  cmd_->add_flag("--explain-cost", explain_cost_,
                 "Show what each choice costs an hour on-demand, on spot (now and over the window), with 1- and "
                 "3-year Reserved Instances and Savings Plans, and the interruption band at which spot stops paying "
                 "against each.");
}

config::PipelineSpec SelectCommand::spec() const {
  config::PipelineSpec spec = command_line_spec("select", pipeline_);
  config::NodeSpec source = command_line_node(spec, "catalog", config::NodeKind::source, "catalog");
  source.options = source_.given();
  config::NodeSpec select = command_line_node(spec, "select", config::NodeKind::transform, "select");
  select.inputs.emplace_back("catalog", spec.at);
  select.options = select_.given();
  config::NodeSpec sink = command_line_node(spec, "stdout", config::NodeKind::sink, "stdout");
  sink.inputs.emplace_back("select", spec.at);
  sink.options = output_.given();
  const bool format_given = has(sink.options, "format");
  if (matrix_ || !format_given) {
    std::erase_if(sink.options, [](const auto& entry) { return entry.first == "format"; });
    const std::string format = matrix_ ? "matrix" : isatty(STDOUT_FILENO) == 1 ? "table" : "ndjson";
    sink.options.emplace_back("format", config::Value::of(format, spec.at));
  }
  const auto format = std::find_if(sink.options.begin(), sink.options.end(),
                                   [](const auto& entry) { return entry.first == "format"; });
  if (format->second.scalar == "table" && !has(sink.options, "columns")) {
    std::vector<std::string> columns = explain_cost_ ? kCostColumns : kChoiceColumns;
    // A need for accelerators shows them.
    const auto sorted_by_gpu_memory = std::any_of(select.options.begin(), select.options.end(), [](const auto& entry) {
      return entry.first == "sort" && entry.second.scalar == "price-per-gpu-memory";
    });
    auto after = [&columns](const std::string& column, std::vector<std::string> more) {
      auto at = std::find(columns.begin(), columns.end(), column);
      columns.insert(at == columns.end() ? at : at + 1, more.begin(), more.end());
    };
    if (!explain_cost_ && (sorted_by_gpu_memory || has(select.options, "gpus") || has(select.options, "gpu_model") ||
                           has(select.options, "gpu_memory"))) {
      after("gpu_count", {"gpu_model", "gpu_total_memory_gib", "price_per_gpu_memory_gib"});
    }
    if (!explain_cost_ && has(select.options, "neuron")) after("gpu_count", {"neuron_device_count"});
    sink.options.emplace_back("columns", config::Value::list(std::move(columns), spec.at));
  }
  spec.nodes = {std::move(source), std::move(select), std::move(sink)};
  return spec;
}

}  // namespace pricepipe::cli
