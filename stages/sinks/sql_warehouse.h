// What PostgreSQL and SQLite loads share: the statements of a load
// (warehouse.h) in either dialect, run through the few calls an engine
// provides (a statement, a one-row query, streaming rows into a table).
//
// Tables (docs/warehouse.md):
//   <dataset>                  one snapshot per region: the rows of the latest
//                              load of that region, keyed by key_columns(dataset);
//                              a price dataset's rows also carry the version of
//                              the price they hold (first_snapshot_id, valid_from)
//   <dataset>_history_closed   prices only: the versions that ended (valid_to)
//   <dataset>_history          prices only, a view: the closed versions and the
//                              current ones (the table's), valid_to null
//   pricepipe_loads            one row per load: snapshot id and time, manifest
//                              hash, rows per table, when it started and ended
//
// A load replaces a (dataset, region) partition when its first rows come,
// inside the load's one transaction (readers see the previous rows until
// COMMIT). A partition without a history, or one that holds no rows yet (a
// first load), has its rows deleted and the new ones streamed into the table
// itself: each row written once. A price partition that holds rows streams
// the new ones into a temporary table instead; at commit the versions whose
// price did not change carry their first_snapshot_id and valid_from into the
// new rows, the others close into <dataset>_history_closed, and the
// partition's rows are replaced from the temporary table (temporary tables
// write no WAL). A price history kept apart from the table would write every
// row twice on a first load (docs/performance.md).
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
  /// Streams `encoded` rows into `dataset`'s table, or its temporary table when `staged`.
  virtual Result<void> append_rows(Dataset dataset, bool staged, std::string_view encoded, std::uint64_t rows) = 0;
  /// Ends what append_rows has open (a COPY) before another statement.
  virtual Result<void> end_appends() { return {}; }

  /// A string literal of `value` (quotes doubled; both engines take backslashes as they are).
  std::string literal(std::string_view value) const;
  /// The table of `dataset`, quoted, or its temporary table (`staged`).
  std::string table(Dataset dataset, bool staged = false) const;
  /// The columns of `dataset`'s table: its fields, then what load_values adds.
  std::vector<FieldInfo> table_columns(Dataset dataset) const;

 private:
  /// The first row of `sql`'s result; nullopt when there is none.
  Result<std::optional<Columns>> query_row(const std::string& sql);
  std::string timestamp_literal(std::string_view rfc3339) const;
  /// What commit runs for a price dataset whose partitions were staged.
  std::string carry_statements(Dataset dataset) const;
  /// A price dataset's current versions among the rows of table `from`
  /// that `where` (empty, or " WHERE …") keeps: every row, or the latest
  /// observation of each price.
  std::string current_versions(Dataset dataset, const std::string& from, const std::string& where = {}) const;
  /// The SQL that makes `<dataset>_history`, the view of every version.
  std::string history_view(Dataset dataset) const;
  std::string q(std::string_view name) const { return quote_name(dialect_, name); }

  SchemaDialect dialect_;
  LoadInfo info_;
  std::string load_started_at_;
  bool open_ = false;
  std::map<Dataset, std::set<std::string>> replaced_;  ///< the partitions this load replaced
  std::map<Dataset, std::set<std::string>> staged_;    ///< those of them streamed into a temporary table
};

/// The engines (postgres_warehouse.cpp, sqlite_warehouse.cpp, and ClickHouse's,
/// which is not a SqlWarehouse: clickhouse_warehouse.cpp), for open_warehouse.
Result<std::unique_ptr<Warehouse>> open_postgres(const std::string& url);
Result<std::unique_ptr<Warehouse>> open_sqlite(const std::string& path);
/// The encodings of PostgreSQL, SQLite and ClickHouse (encode_row).
Result<void> encode_copy_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::span<const LoadValue> added, std::string& out);
Result<void> encode_sqlite_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                               std::span<const LoadValue> added, std::string& out);
Result<std::unique_ptr<Warehouse>> open_clickhouse(const std::string& url, net::Fetcher* fetcher);
Result<void> encode_json_each_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                                  std::span<const LoadValue> added, std::string& out);

}  // namespace pricepipe::stages
