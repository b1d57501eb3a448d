#include "stages/sinks/snapshot_merge.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include "stages/sinks/snapshot_manifest.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::stages {

namespace {

Error refused(const std::string& where, const std::string& why) {
  ErrorContext c;
  c.file = where;
  return Error(ErrorCode::usage, fmt::format("snapshot merge {}: {}", where, why), c);
}

}  // namespace

Result<MergeReport> merge_shards(SnapshotTarget& target, const std::string& id) {
  const std::string where = target.where(id);
  auto manifest = target.get(id + "/manifest.json");
  if (!manifest.ok()) return manifest.error();
  if (*manifest) return refused(where, "it has a manifest already (merged, or not written in shards)");
  auto header_text = target.get(id + "/_snapshot.json");
  if (!header_text.ok()) return header_text.error();
  if (!*header_text) return refused(where, "there is no snapshot begun here (no _snapshot.json)");
  simdjson::dom::parser parser;
  std::int64_t count = 0;
  if (parser.parse(**header_text)["shards"].get_int64().get(count) != simdjson::SUCCESS || count < 2) {
    return refused(where, "it was not written in shards (its _snapshot.json names no shard count)");
  }

  MergeReport report;
  report.id = id;
  report.shards = static_cast<int>(count);
  std::vector<ManifestDocument> shards;
  for (int i = 1; i <= count; ++i) {
    const Shard shard{i, static_cast<int>(count)};
    const std::string name = id + "/_shards/" + shard.file_stem() + ".json";
    auto text = target.get(name);
    if (!text.ok()) return text.error();
    if (!*text) {
      report.missing_shards.push_back(shard.describe());
      continue;
    }
    auto doc = parse_manifest_document(**text);
    if (!doc.ok()) return refused(target.where(name), "not a shard manifest: " + doc.error().message());
    if (!doc->shard || doc->shard->index != i || doc->shard->count != count || doc->id != id) {
      return refused(target.where(name), fmt::format("it is not shard {} of snapshot {}", shard.describe(), id));
    }
    shards.push_back(std::move(doc).value());
  }
  if (!report.missing_shards.empty()) return report;

  const ManifestDocument& first = shards.front();
  ManifestDocument merged;
  merged.id = id;
  merged.version = first.version;
  merged.compression = first.compression;
  merged.part_bytes = first.part_bytes;
  merged.options = first.options;
  merged.datasets = first.datasets;
  merged.started_at = first.started_at;
  merged.finished_at = first.finished_at;
  std::map<std::string, std::string> written_by;  // part path → the shard that wrote it
  for (const auto& s : shards) {
    if (s.compression != first.compression || s.part_bytes != first.part_bytes || s.datasets != first.datasets) {
      return refused(where, fmt::format("shards 1/{} and {} were run with other options (compression, part size or "
                                        "datasets); run every shard alike",
                                        count, s.shard->describe()));
    }
    merged.started_at = std::min(merged.started_at, s.started_at);
    merged.finished_at = std::max(merged.finished_at, s.finished_at);
    merged.complete = merged.complete && s.complete;
    merged.missing.insert(merged.missing.end(), s.missing.begin(), s.missing.end());
    for (const auto& v : s.sources) {
      if (std::find(merged.sources.begin(), merged.sources.end(), v) == merged.sources.end()) merged.sources.push_back(v);
    }
    for (const auto& p : s.parts) {
      auto [at, fresh] = written_by.emplace(p.path, s.shard->describe());
      if (!fresh) return refused(where, fmt::format("shards {} and {} both wrote {}", at->second, s.shard->describe(), p.path));
    }
  }
  // As a run orders them (graph_builder's RunEnd).
  std::sort(merged.sources.begin(), merged.sources.end(), [](const SourceVersion& a, const SourceVersion& b) {
    return std::tie(a.dataset, a.region, a.source, a.fields) < std::tie(b.dataset, b.region, b.source, b.fields);
  });
  std::sort(merged.missing.begin(), merged.missing.end(), [](const ManifestMissing& a, const ManifestMissing& b) {
    return std::tie(a.dataset, a.region, a.source) < std::tie(b.dataset, b.region, b.source);
  });
  for (const auto& s : shards) merged.parts.insert(merged.parts.end(), s.parts.begin(), s.parts.end());
  order_parts(merged.parts, merged.datasets);
  for (const auto& p : merged.parts) report.rows += p.rows;
  report.parts = merged.parts.size();
  report.complete = merged.complete;

  if (auto swept = target.sweep(id); !swept.ok()) return swept.error();
  if (auto written = target.put(id + "/manifest.json", render_manifest(merged)); !written.ok()) return written.error();
  if (!merged.complete) return report;  // partial: each shard resumes its own share; never `latest`
  if (auto removed = target.remove(id + "/_snapshot.json"); !removed.ok()) return removed.error();
  if (auto pointed = target.point_latest(id); !pointed.ok()) return pointed.error();
  return report;
}

}  // namespace pricepipe::stages
