#include "stages/sinks/sql_warehouse.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/schema.h"
#include "core/version.h"

namespace pricepipe::stages {


std::string SqlWarehouse::literal(std::string_view value) const {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string SqlWarehouse::timestamp_literal(std::string_view rfc3339) const {
  // SQLite keeps times as RFC 3339 text; PostgreSQL types the literal.
  return dialect_ == SchemaDialect::postgresql ? "TIMESTAMPTZ " + literal(rfc3339) : literal(rfc3339);
}

std::string SqlWarehouse::table(Dataset dataset) const { return q(table_name(dataset)); }

Result<void> SqlWarehouse::append(Dataset dataset, const std::string& region, std::string_view encoded,
                                  std::uint64_t rows) {
  // The first rows of a partition replace what it held: deleted here, inside
  // the load's transaction, so readers see the old rows until it commits.
  if (replaced_[dataset].insert(region).second) {
    if (auto r = end_appends(); !r.ok()) return r;
    if (auto r = exec(fmt::format("DELETE FROM {} WHERE {} = {}", table(dataset), q("region"), literal(region)));
        !r.ok()) {
      return r;
    }
  }
  return append_rows(dataset, encoded, rows);
}

Result<LoadStart> SqlWarehouse::begin(const LoadInfo& info, const std::vector<Dataset>& datasets) {
  info_ = info;
  load_started_at_ = now_rfc3339();
  const bool pg = dialect_ == SchemaDialect::postgresql;
  if (auto r = exec(pg ? "BEGIN" : "BEGIN IMMEDIATE"); !r.ok()) return r.error();
  open_ = true;
  auto fail = [this](Error e) -> Result<LoadStart> {
    rollback();
    return e;
  };
  // The tables, from the records' field declaration.
  std::string ddl = fmt::format("CREATE TABLE IF NOT EXISTS {} (\n", q("pricepipe_loads"));
  for (const auto& c : load_columns()) {
    ddl += fmt::format("  {} {}{},\n", q(c.name), sql_type(dialect_, c.type), c.nullable ? "" : " NOT NULL");
  }
  ddl += fmt::format("  PRIMARY KEY ({})\n);\n", q("snapshot_id"));
  for (Dataset d : datasets) {
    std::vector<FieldInfo> fields = fields_of(d);
    fields.push_back(kSnapshotIdField);
    ddl += create_table(d, dialect_, fields, table_name(d), key_columns(d), "CREATE TABLE IF NOT EXISTS");
    if (const auto history = history_of(d)) {
      std::vector<FieldInfo> h = fields_of(d);
      h.push_back({"first_snapshot_id", FieldType::string, false, "The snapshot this version was first seen in."});
      h.push_back({"valid_from", FieldType::timestamp, false, "When it was first seen: that snapshot's time."});
      h.push_back({"valid_to", FieldType::timestamp, true,
                   "When it changed or was gone: the time of the first snapshot without it; null while current."});
      std::vector<std::string_view> key = history->identity;
      key.push_back("valid_from");
      ddl += create_table(d, dialect_, h, table_name(d) + "_history", key, "CREATE TABLE IF NOT EXISTS");
    }
  }
  if (pg) ddl += fmt::format("LOCK TABLE {} IN EXCLUSIVE MODE;\n", q("pricepipe_loads"));
  if (auto r = exec(ddl); !r.ok()) return fail(r.error());

  // Loaded already, or from another manifest, or older than what is loaded.
  auto same = query_row(fmt::format("SELECT {} FROM {} WHERE {} = {}", q("manifest_sha256"), q("pricepipe_loads"),
                                    q("snapshot_id"), literal(info.snapshot_id)));
  if (!same.ok()) return fail(same.error());
  if (*same) {
    const std::optional<std::string>& hash = (**same)[0];
    // Only a snapshot's manifest proves the rows are the same; a run's are new rows.
    if (!info.manifest_sha256.empty() && hash.value_or("") == info.manifest_sha256) {
      rollback();
      return LoadStart::already_loaded;
    }
    return fail(another_manifest(info.snapshot_id, describe(), hash.value_or(""), info.manifest_sha256));
  }
  auto newer = query_row(fmt::format("SELECT {}, {} FROM {} WHERE {} > {} ORDER BY {} DESC LIMIT 1", q("snapshot_id"),
                                     q("snapshot_started_at"), q("pricepipe_loads"), q("snapshot_started_at"),
                                     timestamp_literal(info.started_at), q("snapshot_started_at")));
  if (!newer.ok()) return fail(newer.error());
  if (*newer) {
    return fail(older_than_loaded(info.snapshot_id, info.started_at, (**newer)[0].value_or("?"), describe()));
  }

  // A dataset of the load as a whole (the price changes): every region's rows go.
  for (Dataset d : datasets) {
    if (!replaced_whole(d)) continue;
    if (auto r = exec("DELETE FROM " + table(d)); !r.ok()) return fail(r.error());
  }
  if (auto r = prepared(datasets); !r.ok()) return fail(r.error());
  replaced_.clear();
  return LoadStart::load;
}

std::string SqlWarehouse::history_statements(Dataset dataset) const {
  const auto history = history_of(dataset);
  if (!history) return {};
  const std::string history_table = q(table_name(dataset) + "_history");
  // What this load put in the table: the current rows of the regions it replaced.
  const std::string loaded =
      fmt::format("(SELECT * FROM {} WHERE {} = {})", table(dataset), q("snapshot_id"), literal(info_.snapshot_id));
  std::vector<std::string> regions;
  for (const auto& r : replaced_.at(dataset)) regions.push_back(literal(r));
  const std::string same_value = dialect_ == SchemaDialect::postgresql ? "IS NOT DISTINCT FROM" : "IS";
  // The load's current row of each price: the latest by `latest_by` when a
  // load may hold several observations of one (a spot window).
  std::string current = loaded;
  if (!history->latest_by.empty()) {
    std::vector<std::string> ids;
    for (auto c : history->identity) ids.push_back(q(c));
    current = fmt::format("(SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY {} ORDER BY {} DESC) AS "
                          "pp_rank FROM {} s) ranked WHERE pp_rank = 1)",
                          fmt::join(ids, ", "), q(history->latest_by), loaded);
  }
  auto matches = [&](const std::string& a, const std::string& b) {
    std::vector<std::string> terms;
    for (auto c : history->identity) terms.push_back(fmt::format("{}.{} = {}.{}", a, q(c), b, q(c)));
    for (auto c : history->values) terms.push_back(fmt::format("{}.{} {} {}.{}", a, q(c), same_value, b, q(c)));
    return fmt::format("{}", fmt::join(terms, " AND "));
  };
  const std::string at = timestamp_literal(info_.started_at);
  std::string out;
  // Close the versions this load's regions no longer have as they were.
  out += fmt::format(
      "UPDATE {t} SET {to} = {at} WHERE {to} IS NULL AND {region} IN ({regions}) AND "
      "NOT EXISTS (SELECT 1 FROM {cur} c WHERE {match});\n",
      fmt::arg("t", history_table), fmt::arg("to", q("valid_to")), fmt::arg("at", at), fmt::arg("region", q("region")),
      fmt::arg("regions", fmt::join(regions, ", ")), fmt::arg("cur", current),
      fmt::arg("match", matches("c", history_table)));
  // Open a version for each price new or changed.
  std::vector<std::string> columns, from_current;
  for (const auto& f : fields_of(dataset)) {
    columns.push_back(q(f.name));
    from_current.push_back("c." + q(f.name));
  }
  out += fmt::format(
      "INSERT INTO {t} ({cols}, {first}, {from}) SELECT {vals}, {sid}, {at} FROM {cur} c WHERE NOT EXISTS (SELECT 1 "
      "FROM {t} h WHERE h.{to} IS NULL AND {match});\n",
      fmt::arg("t", history_table), fmt::arg("cols", fmt::join(columns, ", ")),
      fmt::arg("first", q("first_snapshot_id")),
      fmt::arg("from", q("valid_from")), fmt::arg("vals", fmt::join(from_current, ", ")),
      fmt::arg("sid", literal(info_.snapshot_id)), fmt::arg("at", at), fmt::arg("cur", current),
      fmt::arg("to", q("valid_to")), fmt::arg("match", matches("h", "c")));
  return out;
}

Result<void> SqlWarehouse::commit(const std::vector<LoadedTable>& tables) {
  if (auto r = end_appends(); !r.ok()) {
    rollback();
    return r.error();
  }
  std::string sql;
  std::string rows = "{";
  for (const LoadedTable& t : tables) {
    if (replaced_.count(t.dataset)) sql += history_statements(t.dataset);
    rows += fmt::format("{}\"{}\":{}", rows.size() > 1 ? "," : "", table_name(t.dataset), t.rows);
  }
  rows += "}";
  sql += fmt::format("INSERT INTO {} VALUES ({}, {}, {}, {}, {}, {}, {}, {});\n", q("pricepipe_loads"),
                     literal(info_.snapshot_id), timestamp_literal(info_.started_at),
                     info_.manifest_sha256.empty() ? "NULL" : literal(info_.manifest_sha256), literal(info_.source),
                     literal(rows), timestamp_literal(load_started_at_), timestamp_literal(now_rfc3339()),
                     literal(kVersion));
  sql += "COMMIT";
  if (auto r = exec(sql); !r.ok()) {
    rollback();
    return r.error();
  }
  open_ = false;
  return {};
}

Result<std::optional<SqlWarehouse::Columns>> SqlWarehouse::query_row(const std::string& sql) {
  std::optional<Columns> first;
  auto r = query(sql, [&first](Columns& row) {
    if (!first) first = std::move(row);
  });
  if (!r.ok()) return r.error();
  return first;
}

Result<SqlWarehouse::Loaded> SqlWarehouse::loaded_snapshot(const std::string& id) {
  const bool pg = dialect_ == SchemaDialect::postgresql;
  // When the snapshot was taken, as text both engines take back in a literal.
  auto at = query_row(fmt::format("SELECT {} FROM {} WHERE {} = {}",
                                  pg ? "snapshot_started_at::text" : q("snapshot_started_at"), q("pricepipe_loads"),
                                  q("snapshot_id"), literal(id)));
  if (!at.ok()) return at.error();
  if (!*at || !(**at)[0]) {
    return Error(ErrorCode::usage, fmt::format("snapshot {} is not loaded in {} (pricepipe_loads)", id, describe()));
  }
  const std::string when = timestamp_literal(*(**at)[0]);
  // The versions of a price current at that snapshot.
  auto valid = [this, when](Dataset d) {
    return fmt::format("FROM {} h WHERE {} <= {w} AND ({} IS NULL OR {} > {w})", q(table_name(d) + "_history"),
                       q("valid_from"), q("valid_to"), q("valid_to"), fmt::arg("w", when));
  };
  Loaded out;
  for (const auto& d : all_datasets()) {
    if (history_of(d.id)) out.datasets.push_back(d.id);
  }
  out.side.id = id;
  out.side.missing = [](Dataset, const std::string&) { return false; };
  out.side.regions = [this, valid](Dataset d) -> Result<std::vector<std::string>> {
    std::vector<std::string> regions;
    auto r = query(fmt::format("SELECT DISTINCT {} {} ORDER BY 1", q("region"), valid(d)),
                   [&regions](Columns& row) { regions.push_back(row[0].value_or("")); });
    if (!r.ok()) return r.error();
    return regions;
  };
  out.side.rows = [this, valid, pg](Dataset d, const std::string& region, const TakeRows& take) -> Result<void> {
    // Each row as a JSON object: PostgreSQL's row_to_json, SQLite's json_object of the dataset's fields.
    std::string object = "row_to_json(h)::text";
    if (!pg) {
      std::vector<std::string> pairs;
      for (const auto& f : fields_of(d)) pairs.push_back(fmt::format("{}, h.{}", literal(f.name), q(f.name)));
      object = fmt::format("json_object({})", fmt::join(pairs, ", "));
    }
    std::string lines, why;
    bool taken = true;
    auto r = query(fmt::format("SELECT {} {} AND h.{} = {}", object, valid(d), q("region"), literal(region)),
                   [&](Columns& row) {
                     lines += row[0].value_or("{}");
                     lines += '\n';
                     if (lines.size() >= (1u << 20) && taken) {
                       taken = take(lines, why);
                       lines.clear();
                     }
                   });
    if (!r.ok()) return r;
    if (taken && !lines.empty()) taken = take(lines, why);
    if (!taken) return Error(ErrorCode::malformed_response, fmt::format("{} of {}: {}", info(d).name, region, why));
    return {};
  };
  return out;
}

void SqlWarehouse::rollback() {
  if (!open_) return;
  open_ = false;
  (void)exec("ROLLBACK");
}

}  // namespace pricepipe::stages
