// What PostgreSQL and SQLite loads share: the statements of a load
// (warehouse.h) in either dialect, run through the few calls an engine
// provides (a statement, a one-row query, streaming rows into a table).
//
// Tables (docs/warehouse.md):
//   <dataset>           one snapshot per region: the rows of the latest load
//                       of that region, keyed by key_columns(dataset)
//   <dataset>_history   prices only: every version of a price with
//                       valid_from / valid_to (null while current)
//   pricepipe_loads     one row per load: snapshot id and time, manifest
//                       hash, rows per table, when it started and ended
//
// A load replaces a (dataset, region) partition when its first rows come:
// the partition's rows are deleted and the new ones streamed into the table,
// all inside the load's one transaction (readers see the previous rows until
// COMMIT). A staging table would write every row twice: measured at half
// psql's \copy rate (docs/performance.md).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/table_schema.h"
#include "stages/sinks/warehouse.h"

namespace pricepipe::stages {

class SqlWarehouse : public Warehouse {
 public:
  Result<LoadStart> begin(const LoadInfo& info, const std::vector<Dataset>& datasets) final;
  Result<void> append(Dataset dataset, const std::string& region, std::string_view encoded, std::uint64_t rows) final;
  Result<void> commit(const std::vector<LoadedTable>& tables) final;
  void rollback() final;
  Result<Loaded> loaded_snapshot(const std::string& id) final;

 protected:
  explicit SqlWarehouse(SchemaDialect dialect) : dialect_(dialect) {}

  /// Runs `sql` (one or more statements without results).
  virtual Result<void> exec(const std::string& sql) = 0;
  using Columns = std::vector<std::optional<std::string>>;
  /// Runs `sql`, handing `row` each row of its result, the columns as text (null as nullopt).
  virtual Result<void> query(const std::string& sql, const std::function<void(Columns&)>& row) = 0;
  /// Called once the tables exist, before the first append.
  virtual Result<void> prepared(const std::vector<Dataset>& datasets) { (void)datasets; return {}; }
  /// Streams `encoded` rows into `dataset`'s table.
  virtual Result<void> append_rows(Dataset dataset, std::string_view encoded, std::uint64_t rows) = 0;
  /// Ends what append_rows has open (a COPY) before another statement.
  virtual Result<void> end_appends() { return {}; }

  /// A string literal of `value` (quotes doubled; both engines take backslashes as they are).
  std::string literal(std::string_view value) const;
  /// The table of `dataset`, quoted.
  std::string table(Dataset dataset) const;

 private:
  /// The first row of `sql`'s result; nullopt when there is none.
  Result<std::optional<Columns>> query_row(const std::string& sql);
  std::string timestamp_literal(std::string_view rfc3339) const;
  std::string history_statements(Dataset dataset) const;
  std::string q(std::string_view name) const { return quote_name(dialect_, name); }

  SchemaDialect dialect_;
  LoadInfo info_;
  std::string load_started_at_;
  bool open_ = false;
  std::map<Dataset, std::set<std::string>> replaced_;  ///< the partitions this load replaced
};

/// The engines (postgres_warehouse.cpp, sqlite_warehouse.cpp, and ClickHouse's,
/// which is not a SqlWarehouse: clickhouse_warehouse.cpp), for open_warehouse.
Result<std::unique_ptr<Warehouse>> open_postgres(const std::string& url);
Result<std::unique_ptr<Warehouse>> open_sqlite(const std::string& path);
Result<void> encode_copy_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::string_view snapshot_id, std::string& out);
Result<void> encode_sqlite_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                               std::string_view snapshot_id, std::string& out);
Result<std::unique_ptr<Warehouse>> open_clickhouse(const std::string& url, net::Fetcher* fetcher);
Result<void> encode_json_each_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                                  std::string_view snapshot_id, std::string& out);

}  // namespace pricepipe::stages
