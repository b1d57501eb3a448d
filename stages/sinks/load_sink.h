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
  /// The warehouse, without its password.
  std::string describe() const;

 private:
  LoadSinkOptions options_;
  RowEncoding encoding_;
  std::map<Dataset, std::vector<FieldInfo>> fields_;
  std::unique_ptr<Warehouse> warehouse_;
  std::optional<LoadStart> start_;
  std::map<Dataset, std::uint64_t> rows_;
  std::vector<LoadedTable> loaded_;
};

}  // namespace pricepipe::stages
