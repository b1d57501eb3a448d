// A warehouse a load writes into: PostgreSQL (libpq, COPY) or SQLite (one
// file). The load sink (load_sink.h) drives it; docs/warehouse.md says what
// users see.
//
//   begin   one transaction: the tables (from the records' field declaration,
//           core/table_schema.h) and the checks against `pricepipe_loads`
//           (already loaded: nothing to do; an older snapshot than the last
//           loaded, or the same id from another manifest: refused)
//   append  rows of one region, as `encode_row` made them: the first rows of
//           a (dataset, region) partition replace the rows it held
//   commit  per dataset, the history of prices updated from the rows loaded;
//           the load recorded; then COMMIT, the only moment anything is visible
//
// Contract: `encode_row` is a pure function (the sink's prepare runs it on
// many threads, before anything is connected); a Warehouse is used from one
// thread, in order. An error, a killed connection, a stopped server or a
// killed process before COMMIT leaves the previous data as it was: the
// engine rolls back.
// Passwords never appear in `describe()` or in an error.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "core/dataset.h"
#include "core/error.h"
#include "core/schema.h"
#include "stages/sinks/snapshot_diff.h"

namespace pricepipe::net {
class Fetcher;
}

namespace pricepipe::stages {

/// What is being loaded.
struct LoadInfo {
  std::string snapshot_id;
  std::string started_at;       ///< RFC 3339: when the data was read; history rows open and close at it
  std::string manifest_sha256;  ///< of the snapshot's manifest.json; empty for records straight from a run
  std::string source;           ///< "snapshot DIR/ID", or "run"
};

/// A dataset's rows loaded.
struct LoadedTable {
  Dataset dataset = Dataset::regions;
  std::uint64_t rows = 0;
};

/// How `begin` found the warehouse.
enum class LoadStart { load, already_loaded };

class Warehouse {
 public:
  virtual ~Warehouse() = default;
  /// The URL without its password.
  virtual std::string describe() const = 0;
  virtual Result<LoadStart> begin(const LoadInfo& info, const std::vector<Dataset>& datasets) = 0;
  virtual Result<void> append(Dataset dataset, const std::string& region, std::string_view encoded,
                              std::uint64_t rows) = 0;
  virtual Result<void> commit(const std::vector<LoadedTable>& tables) = 0;
  /// Abandons the transaction (nothing of this load stays).
  virtual void rollback() = 0;

  /// Reading back, for `pricepipe diff A B --in URL`: snapshot `id` as it
  /// was loaded here, one side of a diff (it reads through this warehouse,
  /// which must outlive it); an error naming the snapshot when it is not
  /// loaded. `datasets` says what it can be compared on: PostgreSQL and
  /// SQLite keep each region's latest rows but every version of a price, so
  /// the price datasets as they were at that snapshot; ClickHouse keeps every
  /// snapshot, so every dataset.
  struct Loaded {
    DiffSide side;
    std::vector<Dataset> datasets;
  };
  virtual Result<Loaded> loaded_snapshot(const std::string& id) = 0;
};

/// How an engine takes rows: PostgreSQL's COPY text, SQLite's typed values,
/// ClickHouse's JSONEachRow.
enum class RowEncoding { copy_text, sqlite_values, json_each_row };
/// The encoding of `url`'s engine; a usage error naming a URL that is not a warehouse's.
Result<RowEncoding> encoding_for(std::string_view url);
/// A value a load adds after a row's fields, named as its column.
struct LoadValue {
  std::string_view name;
  std::string value;
};
/// What a load of `info` adds to each row of `dataset` in `encoding`'s
/// engine: `snapshot_id`; and for a price dataset (history_of) in PostgreSQL
/// and SQLite, whose tables hold each price's current version, the version
/// the row opens (`first_snapshot_id`, `valid_from`: this load's; the load
/// carries the earlier version's when the price has not changed).
std::vector<LoadValue> load_values(RowEncoding encoding, Dataset dataset, const LoadInfo& info);
/// The columns of those values, in their order: what a table has after the dataset's fields.
std::vector<FieldInfo> load_value_columns(RowEncoding encoding, Dataset dataset);
/// Appends `row`'s values, `fields` in order then the `added` values, as
/// `encoding` says (what Warehouse::append takes). An error names the
/// field whose value is not of its type.
Result<void> encode_row(RowEncoding encoding, const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                        std::span<const LoadValue> added, std::string& out);

/// Why a value cannot be loaded as its field's type.
Error field_type_error(const FieldInfo& field);

/// Fields by the length of their names: where a key that is not the next
/// field is looked for (a row read for some of its fields skips most keys).
struct FieldIndex {
  explicit FieldIndex(std::vector<FieldInfo> fields);
  std::vector<FieldInfo> fields;
  std::vector<std::vector<std::size_t>> by_length;
};

/// `row`'s values in the order of `fields` (a key not among them, such as a
/// snapshot row's `snapshot_id`, is skipped); an error names a field the row lacks.
Result<void> values_in_order(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::vector<simdjson::dom::element>& out);
Result<void> values_in_order(const FieldIndex& index, simdjson::dom::object row,
                             std::vector<simdjson::dom::element>& out);

/// Hands `out` each of `row`'s values, `fields` in order, as its declared
/// type: `out.null()`, `out.text(string_view)` (strings, timestamps),
/// `out.integer(int64)`, `out.number(double)`, `out.boolean(bool)`,
/// `out.list(element)` (a JSON array), `out.json(element)` (maps, prices).
/// An error names the field whose value is not of its type.
template <class Out>
Result<void> visit_values(const std::vector<FieldInfo>& fields, simdjson::dom::object row, Out& out) {
  thread_local std::vector<simdjson::dom::element> values;
  if (auto r = values_in_order(fields, row, values); !r.ok()) return r;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const simdjson::dom::element v = values[i];
    bool ok = true;
    if (v.is_null()) {
      out.null();
      continue;
    }
    switch (fields[i].type) {
      case FieldType::string:
      case FieldType::timestamp: {
        std::string_view s;
        ok = v.get_string().get(s) == simdjson::SUCCESS;
        if (ok) out.text(s);
        break;
      }
      case FieldType::integer: {
        std::int64_t n = 0;
        ok = v.get_int64().get(n) == simdjson::SUCCESS;
        if (ok) out.integer(n);
        break;
      }
      case FieldType::number: {
        double d = 0;
        ok = v.get_double().get(d) == simdjson::SUCCESS;
        if (ok) out.number(d);
        break;
      }
      case FieldType::boolean: {
        bool b = false;
        ok = v.get_bool().get(b) == simdjson::SUCCESS;
        if (ok) out.boolean(b);
        break;
      }
      case FieldType::string_list:
      case FieldType::integer_list:
        ok = v.is_array() && out.list(v);
        break;
      default: out.json(v); break;
    }
    if (!ok) return field_type_error(fields[i]);
  }
  return {};
}

/// `postgresql://…` (or `postgres://`, libpq's conventions: PGPASSWORD,
/// ~/.pgpass, sslmode), `clickhouse://[USER[:PASSWORD]@]HOST[:PORT][/DB]`
/// (or `http(s)://…`; CLICKHOUSE_PASSWORD when the URL has none), through
/// `fetcher`), `sqlite:///path/to/file.db`; a usage error for anything else.
/// Connects (or opens) at once, but ClickHouse, which is asked at `begin`.
Result<std::unique_ptr<Warehouse>> open_warehouse(const std::string& url, net::Fetcher* fetcher);

/// `url` with any password replaced by `***`.
std::string redact_url(std::string_view url);

/// True when `url` names a warehouse pricepipe loads (by its scheme).
bool warehouse_url(std::string_view url);

/// A column of `pricepipe_loads`, the table where every engine records its loads.
struct LoadColumn {
  std::string_view name;
  FieldType type;
  bool nullable;
};
std::span<const LoadColumn> load_columns();

/// The refusals of `begin` (every engine's words): snapshot `id` loaded in
/// `where` already from another manifest (hashes empty when there is none),
/// and `id` taken at `at` older than `newer`, loaded already.
Error another_manifest(const std::string& id, const std::string& where, std::string_view loaded_hash,
                       std::string_view this_hash);
Error older_than_loaded(const std::string& id, const std::string& at, const std::string& newer,
                        const std::string& where);

/// Now, in RFC 3339 to the second.
std::string now_rfc3339();
/// A server's message on one line: runs of spaces, tabs and newlines folded to one space.
std::string one_line(std::string_view why);

}  // namespace pricepipe::stages
