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

namespace {

std::string history_table(Dataset dataset) { return table_name(dataset) + "_history"; }
std::string closed_table(Dataset dataset) { return table_name(dataset) + "_history_closed"; }
std::string carried_table(Dataset dataset) { return "pp_carried_" + table_name(dataset); }
std::string staged_table(Dataset dataset) { return "pp_staged_" + table_name(dataset); }

std::vector<FieldInfo> with(std::vector<FieldInfo> fields, std::initializer_list<FieldInfo> more) {
  fields.insert(fields.end(), more);
  return fields;
}

}  // namespace

std::string SqlWarehouse::table(Dataset dataset, bool staged) const {
  return q(staged ? staged_table(dataset) : table_name(dataset));
}

std::vector<FieldInfo> SqlWarehouse::table_columns(Dataset dataset) const {
  std::vector<FieldInfo> columns = fields_of(dataset);
  const auto added = load_value_columns(
      dialect_ == SchemaDialect::postgresql ? RowEncoding::copy_text : RowEncoding::sqlite_values, dataset);
  columns.insert(columns.end(), added.begin(), added.end());
  return columns;
}

Result<void> SqlWarehouse::append(Dataset dataset, const std::string& region, std::string_view encoded,
                                  std::uint64_t rows) {
  // The first rows of a partition replace what it held, inside the load's
  // transaction, so readers see the old rows until it commits.
  if (replaced_[dataset].insert(region).second) {
    if (auto r = end_appends(); !r.ok()) return r;
    const std::string in_region = fmt::format("{} = {}", q("region"), literal(region));
    if (history_of(dataset)) {
      // A price partition that holds rows is staged: commit compares them.
      auto held = query_row(fmt::format("SELECT 1 FROM {} WHERE {} LIMIT 1", table(dataset), in_region));
      if (!held.ok()) return held.error();
      if (*held) {
        if (staged_[dataset].empty()) {
          // No key: the table's own catches a duplicate, and an index here made a reload 15% slower.
          const std::string ddl = create_table(dataset, dialect_, table_columns(dataset), staged_table(dataset), {},
                                               "CREATE TEMPORARY TABLE");
          if (auto r = exec(ddl); !r.ok()) return r;
        }
        staged_[dataset].insert(region);
      }
    } else if (auto r = exec(fmt::format("DELETE FROM {} WHERE {}", table(dataset), in_region)); !r.ok()) {
      return r;
    }
  }
  const auto staged = staged_.find(dataset);
  return append_rows(dataset, staged != staged_.end() && staged->second.count(region) > 0, encoded, rows);
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
  std::vector<Dataset> views;  // the price histories to make
  for (Dataset d : datasets) {
    ddl += create_table(d, dialect_, table_columns(d), table_name(d), key_columns(d), "CREATE TABLE IF NOT EXISTS");
    if (const auto history = history_of(d)) {
      FieldInfo valid_to = kValidToField;
      valid_to.nullable = false;  // closed
      std::vector<std::string_view> key = history->identity;
      key.push_back(kValidFromField.name);
      ddl += create_table(d, dialect_, with(fields_of(d), {kFirstSnapshotIdField, kValidFromField, valid_to}),
                          closed_table(d), key, "CREATE TABLE IF NOT EXISTS");
      // The history is a view; a table of that name is an earlier pricepipe's.
      const std::string name = history_table(d);
      auto kind = query_row(pg ? fmt::format("SELECT table_type FROM information_schema.tables WHERE table_schema = "
                                             "current_schema() AND table_name = {}",
                                             literal(name))
                               : fmt::format("SELECT type FROM sqlite_master WHERE name = {}", literal(name)));
      if (!kind.ok()) return fail(kind.error());
      if (!*kind) {
        views.push_back(d);
      } else if (const std::string k = (**kind)[0].value_or(""); k != "VIEW" && k != "view") {
        return fail(Error(ErrorCode::usage,
                          fmt::format("{} in {} is a table, made by an earlier pricepipe that kept a copy of each "
                                      "price's current version there; this one keeps it in {} and makes {} a view. "
                                      "Load into a new database (or rename the old tables); nothing was changed",
                                      name, describe(), table_name(d), name)));
      }
    }
  }
  if (pg) ddl += fmt::format("LOCK TABLE {} IN EXCLUSIVE MODE;\n", q("pricepipe_loads"));
  for (Dataset d : views) ddl += history_view(d);
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
  replaced_.clear();
  staged_.clear();
  return LoadStart::load;
}

std::string SqlWarehouse::current_versions(Dataset dataset, const std::string& from, const std::string& where) const {
  const auto history = history_of(dataset);
  if (history->latest_by.empty()) return fmt::format("(SELECT * FROM {}{})", from, where);
  // Several observations of a price (a spot window): the latest is its version.
  std::vector<std::string> ids;
  for (auto c : history->identity) ids.push_back(q(c));
  return fmt::format("(SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY {} ORDER BY {} DESC) AS pp_rank "
                     "FROM {} s{}) ranked WHERE pp_rank = 1)",
                     fmt::join(ids, ", "), q(history->latest_by), from, where);
}

std::string SqlWarehouse::history_view(Dataset dataset) const {
  std::vector<std::string> fields;
  for (const auto& f : fields_of(dataset)) fields.push_back(q(f.name));
  const std::string versions = fmt::format("{}, {}, {}", fmt::join(fields, ", "), q(kFirstSnapshotIdField.name),
                                           q(kValidFromField.name));
  const std::string open = dialect_ == SchemaDialect::postgresql ? "CAST(NULL AS timestamptz)" : "NULL";
  return fmt::format("CREATE VIEW {} AS\nSELECT {v}, {to} FROM {closed}\nUNION ALL\nSELECT {v}, {open} AS {to} FROM {cur} c;\n",
                     q(history_table(dataset)), fmt::arg("v", versions), fmt::arg("to", q(kValidToField.name)),
                     fmt::arg("closed", q(closed_table(dataset))), fmt::arg("open", open),
                     fmt::arg("cur", current_versions(dataset, table(dataset))));
}

std::string SqlWarehouse::carry_statements(Dataset dataset) const {
  const auto history = history_of(dataset);
  const auto staged = staged_.find(dataset);
  if (!history || staged == staged_.end() || staged->second.empty()) return {};
  std::vector<std::string> regions;
  for (const auto& r : staged->second) regions.push_back(literal(r));
  const std::string old = current_versions(
      dataset, table(dataset), fmt::format(" WHERE {} IN ({})", q("region"), fmt::join(regions, ", ")));
  const std::string fresh = current_versions(dataset, table(dataset, true));
  const std::string same_value = dialect_ == SchemaDialect::postgresql ? "IS NOT DISTINCT FROM" : "IS";
  auto same = [&](const std::string& a, const std::string& b, bool values) {
    std::vector<std::string> terms;
    for (auto c : history->identity) terms.push_back(fmt::format("{}.{} = {}.{}", a, q(c), b, q(c)));
    if (values) {
      for (auto c : history->values) terms.push_back(fmt::format("{}.{} {} {}.{}", a, q(c), same_value, b, q(c)));
    }
    return fmt::format("{}", fmt::join(terms, " AND "));
  };
  std::vector<FieldInfo> identity;
  std::vector<std::string> ids, fields;
  for (const auto& f : fields_of(dataset)) {
    fields.push_back(q(f.name));
    if (std::find(history->identity.begin(), history->identity.end(), f.name) != history->identity.end()) {
      identity.push_back(f);
      ids.push_back(q(f.name));
    }
  }
  const std::string first = q(kFirstSnapshotIdField.name), from = q(kValidFromField.name);
  const std::string carried = q(carried_table(dataset));
  std::string out;
  // The prices whose value did not change keep their version.
  out += create_table(dataset, dialect_, with(identity, {kFirstSnapshotIdField, kValidFromField}),
                      carried_table(dataset), history->identity, "CREATE TEMPORARY TABLE");
  std::vector<std::string> old_ids;
  for (const auto& i : ids) old_ids.push_back("o." + i);
  out += fmt::format("INSERT INTO {} SELECT {}, o.{}, o.{} FROM {} o JOIN {} n ON {};\n", carried,
                     fmt::join(old_ids, ", "), first, from, old, fresh, same("o", "n", true));
  // The others close as they were.
  std::vector<std::string> old_fields;
  for (const auto& f : fields) old_fields.push_back("o." + f);
  out += fmt::format(
      "INSERT INTO {} ({}, {}, {}, {}) SELECT {}, o.{}, o.{}, {} FROM {} o WHERE NOT EXISTS (SELECT 1 FROM {} c "
      "WHERE {});\n",
      q(closed_table(dataset)), fmt::join(fields, ", "), first, from, q(kValidToField.name), fmt::join(old_fields, ", "),
      first, from, timestamp_literal(info_.started_at), old, carried, same("c", "o", false));
  // The partitions' rows replaced by the staged ones, versions carried.
  out += fmt::format("DELETE FROM {} WHERE {} IN ({});\n", table(dataset), q("region"), fmt::join(regions, ", "));
  std::vector<std::string> staged_fields;
  for (const auto& f : fields) staged_fields.push_back("s." + f);
  out += fmt::format(
      "INSERT INTO {t} ({f}, {sid}, {first}, {from}) SELECT {sf}, s.{sid}, COALESCE(c.{first}, s.{first}), "
      "COALESCE(c.{from}, s.{from}) FROM {s} s LEFT JOIN {c} c ON {on};\n",
      fmt::arg("t", table(dataset)), fmt::arg("f", fmt::join(fields, ", ")), fmt::arg("sid", q(kSnapshotIdField.name)),
      fmt::arg("first", first), fmt::arg("from", from), fmt::arg("sf", fmt::join(staged_fields, ", ")),
      fmt::arg("s", table(dataset, true)), fmt::arg("c", carried), fmt::arg("on", same("c", "s", false)));
  out += fmt::format("DROP TABLE {};\nDROP TABLE {};\n", carried, table(dataset, true));
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
    sql += carry_statements(t.dataset);
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
    return fmt::format("FROM {} h WHERE {} <= {w} AND ({} IS NULL OR {} > {w})", q(history_table(d)),
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
