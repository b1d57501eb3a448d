// A snapshot's manifest as data: what the snapshot sink writes when a run
// ends, what each shard of a sharded run writes as its shard manifest, and
// what `snapshot merge` reads back from the shards to write the one
// manifest. One renderer, one parser, so a merged manifest is written by
// the same code as a single process's (field order: docs/snapshot.md).
//
// Contract: `render_manifest` writes the fields in their documented order,
// `shard` last and only for a shard's manifest; `parse_manifest_document`
// reads what it wrote (an error naming the field when it is not that).
// Plain functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "core/provenance.h"
#include "stages/shard.h"

namespace pricepipe::stages {

/// A closed part: where, of what, how much, its SHA-256 as stored.
struct SnapshotPart {
  std::string path;  ///< relative to DIR/ID
  Dataset dataset = Dataset::regions;
  std::string region;
  std::uint64_t rows = 0, bytes = 0, ndjson_bytes = 0;
  std::string sha256;
};

/// An input that failed under --keep-going, as the manifest says it.
/// The order a manifest lists parts in, whoever wrote them (one process or
/// shards): dataset by dataset as `datasets` lists them, then by region,
/// then by path (an account's parts, then part by part).
void order_parts(std::vector<SnapshotPart>& parts, const std::vector<Dataset>& datasets);

struct ManifestMissing {
  Dataset dataset = Dataset::regions;
  std::string region;  ///< empty: every region
  std::string source;
  std::string error;   ///< the error line, with request id
};

struct ManifestDocument {
  std::string id;
  std::string started_at, finished_at;  ///< RFC 3339
  std::string version;                  ///< pricepipe's
  std::string compression;
  std::uint64_t part_bytes = 0;
  bool complete = true;
  std::vector<ManifestMissing> missing;
  std::vector<SourceVersion> sources;
  std::vector<std::pair<std::string, std::string>> options;  ///< as given
  std::vector<Dataset> datasets;  ///< every dataset taken, those without a row too
  std::vector<SnapshotPart> parts;  ///< in the order written
  std::optional<Shard> shard;       ///< set in a shard's manifest
};

/// manifest.json (or a shard's manifest), newline-terminated; the
/// datasets' rows, parts, bytes and regions are summed from `parts`.
std::string render_manifest(const ManifestDocument& doc);
Result<ManifestDocument> parse_manifest_document(std::string_view text);

}  // namespace pricepipe::stages
