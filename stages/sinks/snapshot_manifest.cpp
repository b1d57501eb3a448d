#include "stages/sinks/snapshot_manifest.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/json_writer.h"

namespace pricepipe::stages {

namespace {

constexpr std::string_view kFormat = "pricepipe-snapshot 1";

}  // namespace

std::string render_manifest(const ManifestDocument& doc) {
  std::string text;
  JsonWriter w(text);
  w.begin_object();
  w.key("format");
  w.string(kFormat);
  w.key("snapshot_id");
  w.string(doc.id);
  w.key("started_at");
  w.string(doc.started_at);
  w.key("finished_at");
  w.string(doc.finished_at);
  w.key("pricepipe_version");
  w.string(doc.version);
  w.key("compression");
  w.string(doc.compression);
  w.key("part_bytes");
  w.integer(static_cast<std::int64_t>(doc.part_bytes));
  w.key("complete");
  w.boolean(doc.complete);
  // What an entry is about: its dataset, its region (null: every region), the source read.
  const auto about = [&w](Dataset dataset, const std::string& region, const std::string& source) {
    w.key("dataset");
    w.string(info(dataset).name);
    w.key("region");
    if (region.empty()) {
      w.null();
    } else {
      w.string(region);
    }
    w.key("source");
    w.string(source);
  };
  w.key("missing");
  w.begin_array();
  for (const auto& m : doc.missing) {
    w.begin_object();
    about(m.dataset, m.region, m.source);
    w.key("error");
    w.string(m.error);
    w.end_object();
  }
  w.end_array();
  w.key("sources");
  w.begin_array();
  for (const auto& v : doc.sources) {
    w.begin_object();
    about(v.dataset, v.region, v.source);
    for (const auto& [name, value] : v.fields) {
      w.key(name);
      w.string(value);
    }
    w.end_object();
  }
  w.end_array();
  w.key("options");
  w.begin_object();
  for (const auto& [name, value] : doc.options) {
    w.key(name);
    w.string(value);
  }
  w.end_object();
  w.key("datasets");
  w.begin_array();
  for (Dataset d : doc.datasets) {
    std::uint64_t rows = 0, parts = 0, bytes = 0;
    std::vector<std::string> regions;
    for (const auto& p : doc.parts) {
      if (p.dataset != d) continue;
      rows += p.rows;
      bytes += p.bytes;
      ++parts;
      if (std::find(regions.begin(), regions.end(), p.region) == regions.end()) regions.push_back(p.region);
    }
    w.begin_object();
    w.key("name");
    w.string(info(d).name);
    w.key("rows");
    w.integer(static_cast<std::int64_t>(rows));
    w.key("parts");
    w.integer(static_cast<std::int64_t>(parts));
    w.key("bytes");
    w.integer(static_cast<std::int64_t>(bytes));
    w.key("regions");
    w.begin_array();
    for (const auto& r : regions) w.string(r);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("parts");
  w.begin_array();
  for (const auto& p : doc.parts) {
    w.begin_object();
    w.key("path");
    w.string(p.path);
    w.key("dataset");
    w.string(info(p.dataset).name);
    w.key("region");
    w.string(p.region);
    w.key("rows");
    w.integer(static_cast<std::int64_t>(p.rows));
    w.key("bytes");
    w.integer(static_cast<std::int64_t>(p.bytes));
    w.key("ndjson_bytes");
    w.integer(static_cast<std::int64_t>(p.ndjson_bytes));
    w.key("sha256");
    w.string(p.sha256);
    w.end_object();
  }
  w.end_array();
  if (doc.shard) {
    w.key("shard");
    w.begin_object();
    w.key("index");
    w.integer(doc.shard->index);
    w.key("count");
    w.integer(doc.shard->count);
    w.end_object();
  }
  w.end_object();
  text.push_back('\n');
  return text;
}

Result<ManifestDocument> parse_manifest_document(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Error(ErrorCode::malformed_response, "not a JSON object");
  }
  std::string problem;
  auto string_of = [&](simdjson::dom::object o, const char* key, std::string& out) {
    std::string_view v;
    if (o[key].get_string().get(v) != simdjson::SUCCESS) {
      if (problem.empty()) problem = fmt::format("'{}' is not a string", key);
      return;
    }
    out = v;
  };
  auto number_of = [&](simdjson::dom::object o, const char* key, std::uint64_t& out) {
    if (o[key].get_uint64().get(out) != simdjson::SUCCESS && problem.empty()) {
      problem = fmt::format("'{}' is not a count", key);
    }
  };
  auto dataset_of = [&](simdjson::dom::object o, const char* key, Dataset& out) {
    std::string name;
    string_of(o, key, name);
    if (auto d = dataset_from_name(name)) {
      out = *d;
    } else if (problem.empty()) {
      problem = fmt::format("'{}' names no dataset ('{}')", key, name);
    }
  };
  auto region_of = [](simdjson::dom::object o) {
    std::string_view v;
    return o["region"].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  ManifestDocument doc;
  std::string format;
  string_of(root, "format", format);
  if (problem.empty() && format != kFormat) problem = fmt::format("its format is '{}', not '{}'", format, kFormat);
  string_of(root, "snapshot_id", doc.id);
  string_of(root, "started_at", doc.started_at);
  string_of(root, "finished_at", doc.finished_at);
  string_of(root, "pricepipe_version", doc.version);
  string_of(root, "compression", doc.compression);
  number_of(root, "part_bytes", doc.part_bytes);
  bool complete = true;
  if (root["complete"].get_bool().get(complete) == simdjson::SUCCESS) doc.complete = complete;
  simdjson::dom::array array;
  if (root["missing"].get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::object m : array) {
      ManifestMissing entry;
      dataset_of(m, "dataset", entry.dataset);
      entry.region = region_of(m);
      string_of(m, "source", entry.source);
      string_of(m, "error", entry.error);
      doc.missing.push_back(std::move(entry));
    }
  }
  if (root["sources"].get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::object s : array) {
      SourceVersion v;
      dataset_of(s, "dataset", v.dataset);
      v.region = region_of(s);
      string_of(s, "source", v.source);
      for (auto field : s) {
        if (field.key == "dataset" || field.key == "region" || field.key == "source") continue;
        std::string_view value;
        if (field.value.get_string().get(value) == simdjson::SUCCESS) v.fields.emplace_back(field.key, value);
      }
      doc.sources.push_back(std::move(v));
    }
  }
  simdjson::dom::object options;
  if (root["options"].get_object().get(options) == simdjson::SUCCESS) {
    for (auto field : options) {
      std::string_view value;
      if (field.value.get_string().get(value) == simdjson::SUCCESS) doc.options.emplace_back(field.key, value);
    }
  }
  if (root["datasets"].get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::object d : array) {
      Dataset dataset = Dataset::regions;
      dataset_of(d, "name", dataset);
      doc.datasets.push_back(dataset);
    }
  }
  if (root["parts"].get_array().get(array) != simdjson::SUCCESS) {
    if (problem.empty()) problem = "'parts' is not a list";
  } else {
    for (simdjson::dom::object p : array) {
      SnapshotPart part;
      string_of(p, "path", part.path);
      dataset_of(p, "dataset", part.dataset);
      string_of(p, "region", part.region);
      number_of(p, "rows", part.rows);
      number_of(p, "bytes", part.bytes);
      number_of(p, "ndjson_bytes", part.ndjson_bytes);
      string_of(p, "sha256", part.sha256);
      doc.parts.push_back(std::move(part));
    }
  }
  simdjson::dom::object shard;
  if (root["shard"].get_object().get(shard) == simdjson::SUCCESS) {
    std::uint64_t index = 0, count = 0;
    number_of(shard, "index", index);
    number_of(shard, "count", count);
    doc.shard = Shard{static_cast<int>(index), static_cast<int>(count)};
  }
  if (!problem.empty()) return Error(ErrorCode::malformed_response, problem);
  return doc;
}

void order_parts(std::vector<SnapshotPart>& parts, const std::vector<Dataset>& datasets) {
  auto rank = [&datasets](Dataset d) {
    return static_cast<std::size_t>(std::find(datasets.begin(), datasets.end(), d) - datasets.begin());
  };
  std::stable_sort(parts.begin(), parts.end(), [&](const SnapshotPart& a, const SnapshotPart& b) {
    return std::make_tuple(rank(a.dataset), std::string_view(a.region), std::string_view(a.path)) <
           std::make_tuple(rank(b.dataset), std::string_view(b.region), std::string_view(b.path));
  });
}

}  // namespace pricepipe::stages
