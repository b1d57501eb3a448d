// A pipeline as declared: named nodes (sources, transforms, sinks), each with
// a type, the ids of its inputs and its options, as observability pipelines
// declare them. `pricepipe run FILE.yaml` loads one from YAML; the command
// line (`stream DATASET ...`) builds one; both then go through the same
// checks and the same graph builder (src/graph/plan.h).
//
//   sources:
//     catalog: {type: catalog, regions: all}
//   sinks:
//     out: {type: stdout, inputs: [catalog]}
//
// Contract: loading and `check_graph` are pure (no network, no stage
// knowledge): what they reject is reported as a usage FatalError naming the
// file, line and column — YAML syntax, duplicate keys or ids, a missing type,
// an unknown input (with the nearest id), a cycle, a sink or transform
// without inputs, a node that feeds no sink, an unset ${VARIABLE}. Whether a
// type exists and its options are right is checked against the stage
// registry when the spec is planned.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/value.h"
#include "core/environment.h"

namespace pricepipe::config {

enum class NodeKind { source, transform, sink };

/// "source", "transform", "sink".
std::string_view to_string(NodeKind kind);

struct NodeSpec {
  std::string id;
  NodeKind kind = NodeKind::source;
  std::string type;
  Location at;       ///< where the node's id is written
  Location type_at;  ///< where its type is written
  std::vector<std::pair<std::string, Location>> inputs;  ///< upstream node ids
  /// Every key of the node but `type` and `inputs`, in written order.
  std::vector<std::pair<std::string, Value>> options;

  /// "source 'catalog'", for messages.
  std::string describe() const;
};

struct PipelineSpec {
  std::string name;  ///< the file, or the command that built it
  Location at;
  /// Sources, then transforms, then sinks, each in written order.
  std::vector<NodeSpec> nodes;
  /// Top-level keys besides the three sections (pipeline-wide options).
  std::vector<std::pair<std::string, Value>> settings;

  const NodeSpec* find(std::string_view id) const;
};

/// Parses a pipeline document. `${NAME}` in a value is replaced by the
/// environment variable (`${NAME:-default}` when it may be unset, `$$` for a
/// literal `$`).
PipelineSpec parse_pipeline_yaml(std::string_view text, const std::string& origin, const Environment& env);
/// Reads and parses a pipeline file.
PipelineSpec load_pipeline_file(const std::string& path, const Environment& env);

/// The checks that need no stage knowledge (see the contract above).
void check_graph(const PipelineSpec& spec);

/// The spec as YAML (what `explain` prints for a command line).
std::string to_yaml(const PipelineSpec& spec);

}  // namespace pricepipe::config
