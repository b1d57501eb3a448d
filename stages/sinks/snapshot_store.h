// What a snapshot directory holds, for `pricepipe snapshot verify|ls|prune`
// (the layout is stages/sinks/snapshot_sink.h's): the snapshots in DIR and
// whether each is complete, every part of one re-read against its manifest,
// and old complete snapshots removed.
//
// A snapshot without manifest.json is incomplete, one whose manifest lists
// missing inputs is partial: every reader says so, and nothing here removes
// either (it may be being written, or resumed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"

namespace pricepipe::stages {

/// incomplete: no manifest (stopped, or being written); partial: a manifest
/// that lists inputs as missing (failed under --keep-going); complete: a
/// manifest and nothing missing.
enum class SnapshotState { incomplete, partial, complete };
std::string_view name_of(SnapshotState state);

/// The state a manifest's text declares (`"complete": false` is partial; a
/// manifest without the field is complete); nullopt when it is not JSON.
std::optional<SnapshotState> manifest_state(std::string_view manifest);

struct SnapshotSummary {
  std::string id;
  std::filesystem::path path;
  SnapshotState state = SnapshotState::incomplete;
  std::vector<std::string> missing;  ///< of a partial one: 'dataset region (source): error'
  bool latest = false;      ///< DIR/latest points at it
  std::string started_at;   ///< from the manifest; empty without one
  std::uint64_t parts = 0;  ///< the manifest's, or those the progress file lists
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> datasets;  ///< with rows, from the manifest
};

/// One snapshot directory: from its manifest, or the progress file of one being written.
Result<SnapshotSummary> summarize_snapshot(const std::filesystem::path& path);

/// The snapshots in `dir` (every subdirectory but `_*` and `.*`), oldest
/// first: complete ones by start time, then the others (partial or
/// incomplete) by id.
Result<std::vector<SnapshotSummary>> list_snapshots(const std::filesystem::path& dir);

/// A part as its snapshot's manifest lists it.
struct ManifestPart {
  std::string path;  ///< relative to the snapshot: dataset=NAME/region=CODE/part-NNNNN.ndjson.zst
  Dataset dataset = Dataset::regions;
  std::string region;
  std::uint64_t rows = 0, bytes = 0;
  std::string sha256;
};

/// What a snapshot's manifest says, for the readers that load or compare it.
struct Manifest {
  std::filesystem::path path;  ///< DIR/ID
  std::string id;
  std::string started_at;      ///< RFC 3339
  SnapshotState state = SnapshotState::complete;  ///< complete or partial
  std::vector<std::string> missing;               ///< of a partial one, as SnapshotSummary says them
  std::vector<ManifestPart> parts;
  /// Every dataset the snapshot was taken of, those without a row too.
  std::vector<Dataset> datasets;
  std::string sha256;          ///< of manifest.json as written
};

/// The manifest of `path` (DIR/ID, or DIR for its latest). A snapshot
/// without one is incomplete: an error saying so (ErrorCode::usage: nothing
/// of it may be read as data), as is a manifest that is not one (naming it).
Result<Manifest> read_manifest(const std::filesystem::path& path);

/// Reads `part` of `manifest`: checks its size and SHA-256 against the
/// manifest, decompresses it and hands `take` its rows in chunks of whole
/// lines (each ending in '\n'), in order; `take` returns false to stop. An
/// error names the file (and, from `take`'s `why`, the line).
Result<void> read_part(const Manifest& manifest, const ManifestPart& part,
                       const std::function<bool(std::string_view lines, std::string& why)>& take);

struct VerifyReport {
  SnapshotSummary snapshot;
  std::uint64_t parts_checked = 0, rows_checked = 0, bytes_checked = 0;
  /// The first problem: a part that does not match its manifest
  /// (malformed_response, naming the file, and the line where it is one),
  /// or that cannot be read (io). Empty when every part is sound; an
  /// incomplete snapshot (no manifest) has no problem but is not complete,
  /// nor has a partial one (its parts are checked).
  std::optional<Error> problem;
};

/// Re-reads every part `path` (DIR/ID, or DIR for its latest) lists: its
/// size and SHA-256, its rows, every line a JSON object of its dataset's
/// fields in order (types and nulls as declared), its region the
/// partition's, its snapshot_id the snapshot's; and that no other file lies
/// among the parts.
Result<VerifyReport> verify_snapshot(const std::filesystem::path& path);

/// Removes the complete snapshots of `dir` older than its `keep` newest
/// complete ones, never the one `latest` names nor an incomplete one; the
/// ids removed, oldest first.
Result<std::vector<std::string>> prune_snapshots(const std::filesystem::path& dir, std::size_t keep);

}  // namespace pricepipe::stages
