// Table schemas of every dataset, generated from the records' one field
// declaration (core/schema.h): a JSON Schema of an NDJSON line, a BigQuery
// schema file, and CREATE TABLE statements for PostgreSQL, ClickHouse,
// Snowflake and DuckDB. A snapshot writes them beside its data
// (`ID/_schema/`); `pricepipe schema DATASET --format DIALECT` prints one.
//
// Types keep numbers numbers and times timestamps: integer → 64-bit
// integer, number → double, timestamp → a UTC timestamp, lists → arrays,
// a price (`{"value", "source", "as_of", "reason"}`) → a struct where the
// engine has one (JSON in PostgreSQL), spot prices by zone → a map (JSON in
// PostgreSQL and BigQuery). A field that may be null is nullable; every
// other is NOT NULL.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dataset.h"
#include "core/schema.h"

namespace pricepipe {

enum class SchemaDialect { json_schema, bigquery, postgresql, clickhouse, snowflake, duckdb };

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

/// The table a dataset loads into: its name with `_` for `-` (`instance_types`).
std::string table_name(Dataset dataset);

/// `dataset`'s schema in `dialect`; with `snapshot_id`, as snapshot rows are
/// (kSnapshotIdField last). Ends with a newline.
std::string table_schema(Dataset dataset, SchemaDialect dialect, bool snapshot_id);

}  // namespace pricepipe
