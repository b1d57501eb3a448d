#include "config/pipeline_spec.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/options.h"
#include "core/error.h"

namespace pricepipe::config {

namespace {

constexpr std::string_view kSections[] = {"sources", "transforms", "sinks"};

Location location_of(const std::string& origin, const YAML::Mark& mark) {
  Location at;
  at.origin = origin;
  at.line = mark.line + 1;
  at.column = mark.column + 1;
  return at;
}

// ${NAME}, ${NAME:-default} and $$ in a scalar.
std::string substitute(const std::string& text, const Location& at, const Environment& env) {
  if (text.find('$') == std::string::npos) return text;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back('$');
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string::npos) fail_at(at, "unterminated ${ in '" + text + "' (write $$ for a literal $)");
    const std::string inner = text.substr(i + 2, close - i - 2);
    const auto dash = inner.find(":-");
    const std::string name = inner.substr(0, dash);
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_';
    }) && !std::isdigit(static_cast<unsigned char>(name[0]));
    if (!valid) fail_at(at, "'${" + inner + "}' does not name an environment variable");
    if (auto value = env ? non_empty(env, name) : std::nullopt) {
      out += *value;
    } else if (dash != std::string::npos) {
      out += inner.substr(dash + 2);
    } else {
      fail_at(at, "environment variable " + name + " is not set (write ${" + name + ":-default} to give a default)");
    }
    i = close;
  }
  return out;
}

// Far more values than any pipeline holds; aliases of aliases (`b: &b [*a,
// *a, ...]`, "billion laughs") expand geometrically and must stop here, not
// in the memory of the machine.
constexpr std::size_t kMaxValues = 100'000;

Value convert(const YAML::Node& node, const std::string& origin, const Environment& env, std::size_t& values,
              int depth = 0) {
  Value v;
  v.at = location_of(origin, node.Mark());
  // An alias inside its own anchor (`&d {<<: *d}`) makes the nodes a cycle.
  if (depth > 64) fail_at(v.at, "nested more than 64 levels deep (an alias inside its own anchor?)");
  if (++values > kMaxValues) {
    fail_at(v.at, fmt::format("more than {} values (aliases that repeat aliases?)", kMaxValues));
  }
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      v.kind = Value::Kind::scalar;
      v.scalar = substitute(node.Scalar(), v.at, env);
      break;
    case YAML::NodeType::Sequence:
      v.kind = Value::Kind::sequence;
      for (const auto& item : node) v.items.push_back(convert(item, origin, env, values, depth + 1));
      break;
    case YAML::NodeType::Map: {
      v.kind = Value::Kind::mapping;
      std::set<std::string> seen;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const Location key_at = location_of(origin, it->first.Mark());
        if (!it->first.IsScalar()) fail_at(key_at, "a key must be a plain name");
        const std::string key = it->first.Scalar();
        if (!seen.insert(key).second) fail_at(key_at, "'" + key + "' is written twice");
        Value entry = convert(it->second, origin, env, values, depth + 1);
        // An empty value (`key:`) has no mark of its own; point at its key.
        if (entry.kind == Value::Kind::null) entry.at = key_at;
        entry.key_at = key_at;
        v.entries.emplace_back(key, std::move(entry));
      }
      break;
    }
    default:
      v.kind = Value::Kind::null;
  }
  return v;
}

bool valid_id(const std::string& id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

NodeKind kind_of(std::string_view section) {
  if (section == "sources") return NodeKind::source;
  if (section == "transforms") return NodeKind::transform;
  return NodeKind::sink;
}

NodeSpec node_from(const std::string& id, const Value& body, NodeKind kind) {
  NodeSpec node;
  node.id = id;
  node.kind = kind;
  node.at = body.key_at;
  if (!valid_id(id)) fail_at(node.at, "'" + id + "' is not a valid id (letters, digits, '_' and '-')");
  if (body.kind != Value::Kind::mapping) {
    fail_at(body.at, fmt::format("{} '{}' must be a mapping with a type, got {}", to_string(kind), id, body.kind_name()));
  }
  for (const auto& [key, value] : body.entries) {
    if (key == "type") {
      if (value.kind != Value::Kind::scalar || value.scalar.empty()) fail_at(value.at, "type: expected a type name");
      node.type = value.scalar;
      node.type_at = value.at;
    } else if (key == "inputs") {
      if (kind == NodeKind::source) fail_at(value.key_at, fmt::format("source '{}' takes no inputs (it reads AWS)", id));
      auto add = [&](const Value& item) {
        if (item.kind != Value::Kind::scalar) fail_at(item.at, "inputs: expected node ids");
        node.inputs.emplace_back(item.scalar, item.at);
      };
      if (value.kind == Value::Kind::sequence) {
        for (const auto& item : value.items) add(item);
      } else {
        add(value);
      }
    } else {
      node.options.emplace_back(key, value);
    }
  }
  if (node.type.empty()) fail_at(node.at, fmt::format("{} '{}' has no type", to_string(kind), id));
  return node;
}

}  // namespace

std::string_view to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::source: return "source";
    case NodeKind::transform: return "transform";
    case NodeKind::sink: return "sink";
  }
  return "node";
}

std::string NodeSpec::describe() const { return fmt::format("{} '{}'", to_string(kind), id); }

const NodeSpec* PipelineSpec::find(std::string_view id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

PipelineSpec parse_pipeline_yaml(std::string_view text, const std::string& origin, const Environment& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail_at(location_of(origin, e.mark), "not valid YAML: " + e.msg);
  }
  PipelineSpec spec;
  spec.name = origin;
  spec.at.origin = origin;
  spec.at.line = 1;
  spec.at.column = 1;
  if (!root.IsMap()) fail_at(spec.at, "a pipeline is a mapping with sources, transforms and sinks");
  std::size_t values = 0;
  const Value doc = convert(root, origin, env, values);
  std::set<std::string> ids;
  for (std::string_view section : kSections) {
    const Value* nodes = doc.find(section);
    if (nodes == nullptr || nodes->kind == Value::Kind::null) continue;
    if (nodes->kind != Value::Kind::mapping) {
      fail_at(nodes->at, fmt::format("{}: expected a mapping of ids to nodes, got {}", section, nodes->kind_name()));
    }
    for (const auto& [id, body] : nodes->entries) {
      if (!ids.insert(id).second) fail_at(body.key_at, "'" + id + "' names two nodes; ids are unique across sections");
      spec.nodes.push_back(node_from(id, body, kind_of(section)));
    }
  }
  for (const auto& [key, value] : doc.entries) {
    if (std::find(std::begin(kSections), std::end(kSections), key) == std::end(kSections)) {
      spec.settings.emplace_back(key, value);
    }
  }
  return spec;
}

PipelineSpec load_pipeline_file(const std::string& path, const Environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Location at;
    at.origin = path;
    fail_at(at, "cannot read the pipeline file");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_pipeline_yaml(text.str(), path, env);
}

void check_graph(const PipelineSpec& spec) {
  auto ids_of = [&](auto keep) {
    std::vector<std::string> out;
    for (const auto& n : spec.nodes) {
      if (keep(n)) out.push_back(n.id);
    }
    return out;
  };
  const auto upstream = ids_of([](const NodeSpec& n) { return n.kind != NodeKind::sink; });
  if (std::none_of(spec.nodes.begin(), spec.nodes.end(), [](const NodeSpec& n) { return n.kind == NodeKind::source; })) {
    fail_at(spec.at, "the pipeline has no sources");
  }
  if (std::none_of(spec.nodes.begin(), spec.nodes.end(), [](const NodeSpec& n) { return n.kind == NodeKind::sink; })) {
    fail_at(spec.at, "the pipeline has no sinks: nothing would be written");
  }
  for (const auto& n : spec.nodes) {
    if (n.kind != NodeKind::source && n.inputs.empty()) fail_at(n.at, n.describe() + " has no inputs");
    std::set<std::string> seen;
    for (const auto& [input, at] : n.inputs) {
      const NodeSpec* from = spec.find(input);
      if (from == nullptr) {
        std::string message = fmt::format("{} reads '{}', which is not a source or transform", n.describe(), input);
        if (auto close = nearest(input, upstream)) message += fmt::format("; did you mean '{}'?", *close);
        fail_at(at, message);
      }
      if (from->kind == NodeKind::sink) fail_at(at, fmt::format("'{}' is a sink: inputs name sources or transforms", input));
      if (!seen.insert(input).second) fail_at(at, fmt::format("{} reads '{}' twice", n.describe(), input));
    }
  }
  // Cycles among transforms: depth-first, naming the loop.
  std::map<std::string, int> state;  // 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(const NodeSpec&)> visit = [&](const NodeSpec& n) {
    state[n.id] = 1;
    path.push_back(n.id);
    for (const auto& [input, at] : n.inputs) {
      const NodeSpec& from = *spec.find(input);
      if (state[input] == 1) {
        const auto start = std::find(path.begin(), path.end(), input);
        std::vector<std::string> loop(start, path.end());
        loop.push_back(input);
        fail_at(at, fmt::format("a cycle: {}", fmt::join(loop, " → ")));
      }
      if (state[input] == 0) visit(from);
    }
    path.pop_back();
    state[n.id] = 2;
  };
  for (const auto& n : spec.nodes) {
    if (state[n.id] == 0) visit(n);
  }
  // Every source and transform must reach a sink.
  std::set<std::string> feeding;
  std::function<void(const NodeSpec&)> mark = [&](const NodeSpec& n) {
    for (const auto& [input, at] : n.inputs) {
      if (feeding.insert(input).second) mark(*spec.find(input));
    }
  };
  for (const auto& n : spec.nodes) {
    if (n.kind == NodeKind::sink) mark(n);
  }
  for (const auto& n : spec.nodes) {
    if (n.kind != NodeKind::sink && !feeding.count(n.id)) {
      fail_at(n.at, n.describe() + " feeds no sink: add it to a sink's inputs or remove it");
    }
  }
}

namespace {

void emit_value(YAML::Emitter& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::null: out << YAML::Null; break;
    case Value::Kind::scalar: out << v.scalar; break;
    case Value::Kind::sequence:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : v.items) emit_value(out, item);
      out << YAML::EndSeq;
      break;
    case Value::Kind::mapping:
      out << YAML::BeginMap;
      for (const auto& [k, e] : v.entries) {
        out << YAML::Key << k << YAML::Value;
        emit_value(out, e);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

std::string to_yaml(const PipelineSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& [k, v] : spec.settings) {
    out << YAML::Key << k << YAML::Value;
    emit_value(out, v);
  }
  for (std::string_view section : kSections) {
    const NodeKind kind = kind_of(section);
    if (std::none_of(spec.nodes.begin(), spec.nodes.end(), [&](const NodeSpec& n) { return n.kind == kind; })) continue;
    out << YAML::Key << std::string(section) << YAML::Value << YAML::BeginMap;
    for (const auto& n : spec.nodes) {
      if (n.kind != kind) continue;
      out << YAML::Key << n.id << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "type" << YAML::Value << n.type;
      if (!n.inputs.empty()) {
        out << YAML::Key << "inputs" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& [input, at] : n.inputs) out << input;
        out << YAML::EndSeq;
      }
      for (const auto& [k, v] : n.options) {
        out << YAML::Key << k << YAML::Value;
        emit_value(out, v);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace pricepipe::config
