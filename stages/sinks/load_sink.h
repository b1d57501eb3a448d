// The `load` sink: its inputs' records into a warehouse (warehouse.h) as one
// load, all or nothing. `pricepipe load SNAPSHOT` feeds it a snapshot's
// parts; a pipeline feeds it records straight from a run.
//
// Contract (stages/sinks/sink.h): `prepare` (many threads) encodes a
// batch's rows as the warehouse takes them (COPY text, typed values);
// `write` (one thread, in order) streams them into the staging tables, the
// first write opening the load; `finish` commits when the run went to its
// end (what failed under --keep-going is absent, so those partitions keep
// their previous rows) and rolls back otherwise.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stages/sinks/sink.h"
#include "stages/sinks/warehouse.h"

namespace pricepipe::stages {

struct LoadSinkOptions {
  std::string url;                ///< postgresql://…, sqlite:///…
  LoadInfo info;
  std::vector<Dataset> datasets;  ///< the inputs' datasets: their tables
  net::Fetcher* fetcher = nullptr;  ///< what ClickHouse is called through
};

class LoadSink final : public Sink {
 public:
  /// `options.url` names a warehouse (warehouse_url): the caller checked it.
  explicit LoadSink(LoadSinkOptions options);
  ~LoadSink() override;

  /// Connects and opens the load (write does it when not called first).
  Result<LoadStart> begin();
  std::string prepare(const RecordBatch& batch) const override;
  bool needs_records() const override { return false; }
  Result<void> write(const RecordBatch& batch, std::string prepared) override;
  Result<void> finish(const RunEnd& end) override;

  /// The rows loaded per table, once finished.
  const std::vector<LoadedTable>& loaded() const { return loaded_; }
  std::vector<std::pair<std::string, std::uint64_t>> loaded_rows() const override;
  std::int64_t loaded_snapshot_time() const override;
  /// The warehouse, without its password.
  std::string describe() const;

 private:
  LoadSinkOptions options_;
  RowEncoding encoding_;
  std::map<Dataset, std::vector<FieldInfo>> fields_;
  std::map<Dataset, std::vector<LoadValue>> added_;  ///< load_values of each dataset
  std::unique_ptr<Warehouse> warehouse_;
  std::optional<LoadStart> start_;
  std::map<Dataset, std::uint64_t> rows_;
  std::vector<LoadedTable> loaded_;
};

struct Manifest;

/// A snapshot loaded (load_snapshot).
struct SnapshotLoad {
  LoadStart start = LoadStart::load;
  bool stopped = false;             ///< a signal came: rolled back, the warehouse is as it was
  std::uint64_t rows = 0;
  /// Once committed: rows per table and the snapshot's time (Sink::loaded_rows).
  std::vector<std::pair<std::string, std::uint64_t>> tables;
  std::int64_t snapshot_time = 0;
  std::string warehouse;  ///< the URL without its password
};

/// Loads `manifest`'s parts of `datasets` (those it has; empty: all) into
/// `url` as one load: what `pricepipe load` and a snapshot sink's `load` do.
/// Batches are encoded side by side (kBatchesInFlight at most in memory)
/// and written in order; every part is checked against the manifest as it
/// is read. A signal rolls the load back.
/// `rows_done`, when given, counts the rows written so far (a progress line).
Result<SnapshotLoad> load_snapshot(const Manifest& manifest, const std::string& url, net::Fetcher* fetcher,
                                   const std::vector<Dataset>& datasets, std::atomic<std::uint64_t>* rows_done = nullptr);

}  // namespace pricepipe::stages
