// A snapshot: every record of its inputs in Hive-style partitions that
// DuckDB, ClickHouse, Spark, Athena and BigQuery read as they are, with a
// manifest that proves what is there.
//
//   DIR/ID/dataset=NAME/region=CODE/part-NNNNN.ndjson.zst   (.gz, or none)
//   DIR/ID/_schema/NAME/{schema.json,bigquery.json,postgresql.sql,...}
//   DIR/ID/_progress.ndjson   the parts closed so far (while it is written)
//   DIR/ID/_shards/shard-000I-of-000N.json   a shard's manifest (sharded runs)
//   DIR/ID/manifest.json      written last: the snapshot is complete
//   DIR/latest -> ID          replaced once the manifest is in place
//
// A row is its record's NDJSON with `snapshot_id` added last. A record goes
// to the partition of its own `region` field (every dataset has one), so a
// reader's `region` column and the path agree. Parts are rolled once they
// hold `part_bytes` (as stored, compressed); each is written to
// `part-NNNNN.*.partial`, fsynced, renamed, and recorded in _progress.ndjson
// with its rows, bytes and SHA-256. A run that is stopped writes no
// manifest: the parts it closed stay, listed in the progress file, and every
// reader calls the snapshot incomplete. A run that ends with inputs that
// failed under --keep-going writes a partial manifest (`complete: false`,
// the failures under `missing`); `latest` is moved by complete ones only.
//
// With `changes`, the `price-changes` dataset from the snapshot `latest`
// named before this one (diff_snapshots) is written as parts of this one
// before its manifest, so it loads like every other dataset; with `load`,
// the snapshot, once its manifest is written, is loaded into that warehouse
// as `pricepipe load DIR/ID` does (load_snapshot). Both need a local DIR.
//
// Contract (stages/sinks/sink.h): `prepare` (many threads) turns a batch
// into its rows, grouped by region and compressed, each group a whole zstd
// frame or gzip member, so parts concatenate them as they come; `write`
// (one thread, in the graph's order) appends them to parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stages/sinks/sink.h"
#include "stages/sinks/snapshot_manifest.h"

namespace pricepipe::net {
class Fetcher;
}

namespace pricepipe::stages {

enum class Compression { zstd, gzip, none };

std::optional<Compression> compression_from_name(std::string_view name);
std::string_view name_of(Compression c);
/// The part file's extension: `.ndjson.zst`, `.ndjson.gz`, `.ndjson`.
std::string_view part_extension(Compression c);

class SnapshotTarget;

struct SnapshotSinkOptions {
  std::filesystem::path dir;  ///< DIR: snapshots go to DIR/ID
  /// Where the files go instead of `dir` (an S3 prefix); null: `dir`.
  std::shared_ptr<SnapshotTarget> target;
  std::string id;             ///< the snapshot id: its UTC start time, 2026-12-01T06-00-00Z
  /// Resume the newest incomplete snapshot in `dir` (when `id` is empty; an
  /// `id` naming an incomplete snapshot resumes it anyway).
  bool resume = false;
  Compression compression = Compression::zstd;
  int level = 3;                            ///< zstd 1-19, gzip 1-9
  std::uint64_t part_bytes = 128ull << 20;  ///< a part is closed once it holds this many bytes
  std::string started_at;                   ///< RFC 3339
  std::vector<Dataset> datasets;            ///< the inputs' datasets, in order
  std::size_t keep = 0;                     ///< once complete, keep this many complete snapshots (0: all)
  /// The options as given, for the manifest (name → value as written).
  std::vector<std::pair<std::string, std::string>> options;
  bool changes = false;            ///< write price-changes since the previous snapshot into this one
  std::string load;                ///< a warehouse URL to load the snapshot into once written; empty: none
  net::Fetcher* fetcher = nullptr;  ///< what a ClickHouse load calls through
  /// A shard of a sharded run writes its parts, its own progress file and
  /// `ID/_shards/shard-000I-of-000N.json` (its manifest) instead of
  /// manifest.json; `merge_shards` writes the manifest once all are in.
  Shard shard;
};

/// `2026-12-01T06-00-00Z` for `time`: an id that sorts as time and is a
/// plain file name everywhere (no colons).
std::string snapshot_id_for(std::chrono::sys_seconds time);
/// True when `id` can name a snapshot directory.
bool valid_snapshot_id(std::string_view id);

class SnapshotSink final : public Sink {
 public:
  /// Resolves the id and, when resuming, the snapshot's own options; a usage
  /// FatalError when `dir`/`id` is a complete snapshot, or a resume finds
  /// nothing to resume or other options than the snapshot was begun with.
  explicit SnapshotSink(SnapshotSinkOptions options);
  ~SnapshotSink() override;

  std::string prepare(const RecordBatch& batch) const override;
  bool needs_records() const override { return false; }
  Result<void> write(const RecordBatch& batch, std::string prepared) override;
  /// Writes the manifest when every input was read (complete), or when the
  /// run went to its end with inputs that failed under --keep-going
  /// (partial: `complete: false`, each listed as missing; `latest` stays).
  Result<void> finish(const RunEnd& end) override;
  std::vector<std::pair<std::string, std::uint64_t>> loaded_rows() const override { return loaded_; }
  std::int64_t loaded_snapshot_time() const override { return loaded_time_; }

 private:
  struct Part;
  using Closed = SnapshotPart;
  /// ID/_progress.ndjson, or a shard's own ID/_progress.shard-000I-of-000N.ndjson.
  std::string progress_name() const;

  Result<void> append(Dataset dataset, const std::string& region, const std::string& account, std::uint64_t rows,
                      std::uint64_t ndjson_bytes, std::string_view data);
  Result<void> open_part(Dataset dataset, const std::string& region, const std::string& account);
  Result<void> close_part();
  Result<void> write_manifest(const RunEnd& end, bool whole);
  Result<void> write_changes(const RunEnd& end);
  Result<void> load_into_warehouse();
  Result<void> begin();

  SnapshotSinkOptions options_;
  std::shared_ptr<SnapshotTarget> target_;
  std::unique_ptr<Part> part_;  ///< the part being written, if any
  std::map<std::pair<Dataset, std::string>, std::uint32_t> next_part_;  ///< by dataset and partition directory
  std::vector<Closed> closed_;
  bool begun_ = false;
  bool partial_manifest_ = false;  ///< resuming a partial snapshot: its manifest goes when writing begins
  std::vector<std::pair<std::string, std::uint64_t>> loaded_;  ///< rows per table, once loaded
  std::int64_t loaded_time_ = 0;
};

}  // namespace pricepipe::stages
