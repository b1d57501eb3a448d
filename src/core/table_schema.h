// Table schemas of every dataset, generated from the records' one field
// declaration (core/schema.h): a JSON Schema of an NDJSON line, a BigQuery
// schema file, and CREATE TABLE statements for PostgreSQL, ClickHouse,
// Snowflake, DuckDB and SQLite, each with the dataset's key (a primary key;
// ClickHouse's sorting key). A snapshot writes them beside its data
// (`ID/_schema/`); `pricepipe schema DATASET --format DIALECT` prints one.
//
// Types keep numbers numbers and times timestamps: integer → 64-bit
// integer, number → double, timestamp → a UTC timestamp, lists → arrays,
// a price (`{"value", "source", "as_of", "reason"}`) → a struct where the
// engine has one (JSON in PostgreSQL), spot prices by zone → a map (JSON in
// PostgreSQL and BigQuery). ClickHouse's types are those every release since
// 18.16 knows: booleans UInt8, maps and prices JSON text in a String. A field
// that may be null is nullable; every other is NOT NULL.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dataset.h"
#include "core/schema.h"

namespace pricepipe {

enum class SchemaDialect { json_schema, bigquery, postgresql, clickhouse, snowflake, duckdb, sqlite };

struct DialectInfo {
  SchemaDialect id;
  std::string_view name;  ///< as `--format` takes it: `postgresql`
  std::string_view file;  ///< the file name in a snapshot's `_schema/DATASET/`
};

/// Every dialect, in documentation order.
std::span<const DialectInfo> all_dialects();
std::optional<SchemaDialect> dialect_from_name(std::string_view name);

/// The fields of `dataset`'s records, in output order.
std::vector<FieldInfo> fields_of(Dataset dataset);

/// The column every snapshot row carries after its record's fields.
inline constexpr FieldInfo kSnapshotIdField{"snapshot_id", FieldType::string, false,
                                            "The snapshot the row was written by (its UTC start time)."};
/// A version of a price in a warehouse (docs/warehouse.md): when it was
/// first seen, and (closed versions) when it changed or was gone.
inline constexpr FieldInfo kFirstSnapshotIdField{"first_snapshot_id", FieldType::string, false,
                                                 "The snapshot this version of the price was first seen in."};
inline constexpr FieldInfo kValidFromField{"valid_from", FieldType::timestamp, false,
                                           "When this version was first seen: that snapshot's time."};
inline constexpr FieldInfo kValidToField{
    "valid_to", FieldType::timestamp, true,
    "When it changed or was gone: the time of the first snapshot without it; null while current."};

/// The table a dataset loads into: its name with `_` for `-` (`instance_types`).
std::string table_name(Dataset dataset);

/// The columns that name one row of `dataset` in a region (never null): the
/// primary key of its table, which holds one snapshot per region.
std::vector<std::string_view> key_columns(Dataset dataset);

/// True for a dataset whose rows are of one load as a whole, not of each
/// region (`price-changes`: the changes since the snapshot before): a load
/// that has it replaces every region's rows, those it has none for too.
bool replaced_whole(Dataset dataset);

/// How a price dataset's history is kept (docs/warehouse.md): a price is
/// named by `identity` and is what `values` say; a row of the history opens
/// when a price is first seen and closes when its values change or it is
/// gone. Only the latest row per identity (by `latest_by`, when set) of a
/// load counts.
struct HistorySpec {
  std::vector<std::string_view> identity;
  std::vector<std::string_view> values;
  std::string_view latest_by;
};
/// nullopt for datasets without a history (everything but prices).
std::optional<HistorySpec> history_of(Dataset dataset);

/// CREATE TABLE (or `verb`: `CREATE TABLE IF NOT EXISTS`) `table` of
/// `fields` with `key` as its primary (ClickHouse: sorting) key, none when
/// `key` is empty (PostgreSQL and SQLite): what
/// table_schema writes, for other tables of a dataset's rows (a load's
/// staging table, a price history).
std::string create_table(Dataset dataset, SchemaDialect dialect, const std::vector<FieldInfo>& fields,
                         std::string_view table, const std::vector<std::string_view>& key,
                         std::string_view verb = "CREATE TABLE");
/// The column type of `type` in `dialect` (a SQL dialect).
std::string sql_type(SchemaDialect dialect, FieldType type);
/// `name` quoted as `dialect` quotes identifiers.
std::string quote_name(SchemaDialect dialect, std::string_view name);

/// A column of `dataset` as CSV: a field, or one member of a price field
/// (`on_demand_linux` its value, then `on_demand_linux_source`, `_as_of`,
/// `_reason`). Lists and maps are one column each, as JSON text.
struct CsvColumn {
  std::string name;
  std::size_t field = 0;    ///< in fields_of(dataset)
  std::string_view member;  ///< of a price; empty for any other field
};
std::vector<CsvColumn> csv_columns(Dataset dataset);

/// `dataset`'s schema in `dialect`; with `snapshot_id`, as snapshot rows are
/// (kSnapshotIdField last). Ends with a newline.
std::string table_schema(Dataset dataset, SchemaDialect dialect, bool snapshot_id);

}  // namespace pricepipe
