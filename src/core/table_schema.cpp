#include "core/table_schema.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "core/json_writer.h"

namespace pricepipe {

namespace {

constexpr std::array kDialects = {
    DialectInfo{SchemaDialect::json_schema, "json-schema", "schema.json"},
    DialectInfo{SchemaDialect::bigquery, "bigquery", "bigquery.json"},
    DialectInfo{SchemaDialect::postgresql, "postgresql", "postgresql.sql"},
    DialectInfo{SchemaDialect::clickhouse, "clickhouse", "clickhouse.sql"},
    DialectInfo{SchemaDialect::snowflake, "snowflake", "snowflake.sql"},
    DialectInfo{SchemaDialect::duckdb, "duckdb", "duckdb.sql"},
    DialectInfo{SchemaDialect::sqlite, "sqlite", "sqlite.sql"},
};

// The fields of a price object, as core/schema.cpp writes them (all nullable).
struct PriceMember {
  std::string_view name;
  FieldType type;
};
constexpr std::array kPriceMembers = {PriceMember{"value", FieldType::number}, PriceMember{"source", FieldType::string},
                                      PriceMember{"as_of", FieldType::timestamp},
                                      PriceMember{"reason", FieldType::string}};

std::vector<FieldInfo> columns(Dataset dataset, bool snapshot_id) {
  auto fields = fields_of(dataset);
  if (snapshot_id) fields.push_back(kSnapshotIdField);
  return fields;
}

// ---------------------------------------------------------------------------
// JSON Schema (2020-12) of one NDJSON line: every key present, no others.

void json_type(JsonWriter& w, std::string_view type, bool nullable) {
  w.key("type");
  if (nullable) {
    w.begin_array();
    w.string(type);
    w.string("null");
    w.end_array();
  } else {
    w.string(type);
  }
}

void json_field(JsonWriter& w, FieldType type, bool nullable, std::string_view description = {}) {
  w.begin_object();
  if (!description.empty()) {
    w.key("description");
    w.string(description);
  }
  switch (type) {
    case FieldType::string: json_type(w, "string", nullable); break;
    case FieldType::integer: json_type(w, "integer", nullable); break;
    case FieldType::number: json_type(w, "number", nullable); break;
    case FieldType::boolean: json_type(w, "boolean", nullable); break;
    case FieldType::timestamp:
      json_type(w, "string", nullable);
      w.key("format");
      w.string("date-time");
      break;
    case FieldType::string_list:
    case FieldType::integer_list:
      json_type(w, "array", nullable);
      w.key("items");
      w.begin_object();
      json_type(w, type == FieldType::string_list ? "string" : "integer", false);
      w.end_object();
      break;
    case FieldType::number_map:
      json_type(w, "object", nullable);
      w.key("additionalProperties");
      w.begin_object();
      json_type(w, "number", false);
      w.end_object();
      break;
    case FieldType::price:
      json_type(w, "object", nullable);
      w.key("properties");
      w.begin_object();
      for (const auto& m : kPriceMembers) {
        w.key(m.name);
        json_field(w, m.type, true);
      }
      w.end_object();
      w.key("required");
      w.begin_array();
      for (const auto& m : kPriceMembers) w.string(m.name);
      w.end_array();
      w.key("additionalProperties");
      w.boolean(false);
      break;
  }
  w.end_object();
}

std::string json_schema(Dataset dataset, const std::vector<FieldInfo>& fields) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("$schema");
  w.string("https://json-schema.org/draft/2020-12/schema");
  w.key("title");
  w.string(info(dataset).name);
  w.key("description");
  w.string(info(dataset).summary);
  w.key("type");
  w.string("object");
  w.key("properties");
  w.begin_object();
  for (const auto& f : fields) {
    w.key(f.name);
    json_field(w, f.type, f.nullable, f.description);
  }
  w.end_object();
  w.key("required");
  w.begin_array();
  for (const auto& f : fields) w.string(f.name);
  w.end_array();
  w.key("additionalProperties");
  w.boolean(false);
  w.end_object();
  out.push_back('\n');
  return out;
}

// ---------------------------------------------------------------------------
// BigQuery: a schema file for `bq load --schema`.

std::string_view bigquery_type(FieldType type) {
  switch (type) {
    case FieldType::string:
    case FieldType::string_list: return "STRING";
    case FieldType::integer:
    case FieldType::integer_list: return "INT64";
    case FieldType::number: return "FLOAT64";
    case FieldType::boolean: return "BOOL";
    case FieldType::timestamp: return "TIMESTAMP";
    case FieldType::number_map: return "JSON";
    case FieldType::price: return "RECORD";
  }
  return "STRING";
}

void bigquery_field(JsonWriter& w, std::string_view name, FieldType type, bool nullable, std::string_view description) {
  w.begin_object();
  w.key("name");
  w.string(name);
  w.key("type");
  w.string(bigquery_type(type));
  w.key("mode");
  const bool list = type == FieldType::string_list || type == FieldType::integer_list;
  w.string(list ? "REPEATED" : nullable ? "NULLABLE" : "REQUIRED");
  if (!description.empty()) {
    w.key("description");
    w.string(description.substr(0, 1024));  // BigQuery's limit
  }
  if (type == FieldType::price) {
    w.key("fields");
    w.begin_array();
    for (const auto& m : kPriceMembers) bigquery_field(w, m.name, m.type, true, {});
    w.end_array();
  }
  w.end_object();
}

std::string bigquery_schema(const std::vector<FieldInfo>& fields) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& f : fields) bigquery_field(w, f.name, f.type, f.nullable, f.description);
  w.end_array();
  out.push_back('\n');
  return out;
}

// ---------------------------------------------------------------------------
// CREATE TABLE statements.

// SQLite: its storage classes; times are RFC 3339 text (its date functions
// read them), lists, maps and prices JSON text (its JSON functions read them).
std::string_view sqlite_type(FieldType type) {
  switch (type) {
    case FieldType::integer:
    case FieldType::boolean: return "INTEGER";
    case FieldType::number: return "REAL";
    default: return "TEXT";
  }
}

}  // namespace

std::string sql_type(SchemaDialect dialect, FieldType type) {
  using D = SchemaDialect;
  if (dialect == D::sqlite) return std::string(sqlite_type(type));
  const auto pick = [dialect](std::string_view pg, std::string_view ch, std::string_view sf, std::string_view duck) {
    switch (dialect) {
      case D::postgresql: return std::string(pg);
      case D::clickhouse: return std::string(ch);
      case D::snowflake: return std::string(sf);
      case D::sqlite: return std::string();
      default: return std::string(duck);
    }
  };
  switch (type) {
    case FieldType::string: return pick("text", "String", "VARCHAR", "VARCHAR");
    case FieldType::integer: return pick("bigint", "Int64", "NUMBER(19,0)", "BIGINT");
    case FieldType::number: return pick("double precision", "Float64", "FLOAT", "DOUBLE");
    case FieldType::boolean: return pick("boolean", "UInt8", "BOOLEAN", "BOOLEAN");
    case FieldType::timestamp: return pick("timestamptz", "DateTime('UTC')", "TIMESTAMP_TZ", "TIMESTAMPTZ");
    case FieldType::string_list: return pick("text[]", "Array(String)", "ARRAY", "VARCHAR[]");
    case FieldType::integer_list: return pick("bigint[]", "Array(Int64)", "ARRAY", "BIGINT[]");
    case FieldType::number_map: return pick("jsonb", "String", "OBJECT", "MAP(VARCHAR, DOUBLE)");
    case FieldType::price: {
      if (dialect == D::postgresql) return "jsonb";
      if (dialect == D::clickhouse) return "String";
      if (dialect == D::snowflake) return "OBJECT";
      std::string members;
      for (const auto& m : kPriceMembers) {
        if (!members.empty()) members += ", ";
        const std::string inner = sql_type(dialect, m.type);
        members += fmt::format("{} {}", m.name, inner);
      }
      return "STRUCT(" + members + ")";
    }
  }
  return "text";
}

namespace {

std::string quoted(SchemaDialect dialect, std::string_view name) {
  switch (dialect) {
    case SchemaDialect::clickhouse: return fmt::format("`{}`", name);
    // Unquoted: Snowflake folds names to upper case, and a quoted lower-case
    // name would have to be quoted in every query. None is a reserved word.
    case SchemaDialect::snowflake: return std::string(name);
    default: return fmt::format("\"{}\"", name);
  }
}

// ClickHouse cannot make an Array Nullable: a null list loads as [].
bool composite(FieldType type) { return type == FieldType::string_list || type == FieldType::integer_list; }

}  // namespace

std::string create_table(Dataset dataset, SchemaDialect dialect, const std::vector<FieldInfo>& fields,
                         std::string_view table, const std::vector<std::string_view>& key, std::string_view verb) {
  std::string out = fmt::format("-- {}: {}\n", info(dataset).name, info(dataset).summary);
  if (dialect == SchemaDialect::clickhouse) {
    out += "-- Timestamps are RFC 3339 (2026-12-01T06:00:00Z): load with date_time_input_format = 'best_effort'.\n"
           "-- Maps and prices are JSON text (visitParamExtractFloat(on_demand_linux, 'value')): from NDJSON, load\n"
           "-- with input_format_json_read_objects_as_strings = 1 (ClickHouse 22.7 and later).\n";
  }
  out += fmt::format("{} {} (\n", verb, quoted(dialect, table));
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& f = fields[i];
    std::string type = sql_type(dialect, f.type);
    std::string constraint;
    if (dialect == SchemaDialect::clickhouse) {
      if (f.nullable && !composite(f.type)) type = "Nullable(" + type + ")";
    } else if (!f.nullable) {
      constraint = " NOT NULL";
    }
    out += fmt::format("  {} {}{}{}\n", quoted(dialect, f.name), type, constraint,
                       i + 1 < fields.size() || (dialect != SchemaDialect::clickhouse && !key.empty()) ? "," : "");
  }
  std::vector<std::string> keys;
  for (std::string_view k : key) keys.push_back(quoted(dialect, k));
  if (dialect == SchemaDialect::clickhouse) {
    // Rows of a snapshot are one partition: a reload replaces it whole.
    const bool snapshot_rows = std::any_of(fields.begin(), fields.end(),
                                           [](const FieldInfo& f) { return f.name == kSnapshotIdField.name; });
    out += fmt::format(")\nENGINE = MergeTree\n{}ORDER BY ({})",
                       snapshot_rows ? fmt::format("PARTITION BY {}\n", quoted(dialect, kSnapshotIdField.name)) : "",
                       fmt::join(keys, ", "));
  } else if (!keys.empty()) {
    out += fmt::format("  PRIMARY KEY ({})\n)", fmt::join(keys, ", "));
  } else {
    out += ")";
  }
  out += ";\n";
  return out;
}

std::string quote_name(SchemaDialect dialect, std::string_view name) { return quoted(dialect, name); }

std::vector<CsvColumn> csv_columns(Dataset dataset) {
  std::vector<CsvColumn> out;
  const auto fields = fields_of(dataset);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].type != FieldType::price) {
      out.push_back({std::string(fields[i].name), i, {}});
      continue;
    }
    for (const auto& m : kPriceMembers) {
      const bool value = m.name == std::string_view("value");
      out.push_back({value ? std::string(fields[i].name) : fmt::format("{}_{}", fields[i].name, m.name), i, m.name});
    }
  }
  return out;
}

std::span<const DialectInfo> all_dialects() { return kDialects; }

std::optional<SchemaDialect> dialect_from_name(std::string_view name) {
  for (const auto& d : kDialects) {
    if (d.name == name) return d.id;
  }
  return std::nullopt;
}

std::vector<FieldInfo> fields_of(Dataset dataset) {
  return visit_record_type(dataset, [](const auto* tag) {
    using Record = std::remove_cvref_t<decltype(*tag)>;
    return schema_of<Record>();
  });
}

namespace {

// The key of a dataset's rows within one account.
std::vector<std::string_view> account_key_columns(Dataset dataset) {
  switch (dataset) {
    case Dataset::regions: return {"region"};
    case Dataset::availability_zones: return {"region", "zone"};
    case Dataset::instance_types:
    case Dataset::catalog: return {"region", "instance_type"};
    case Dataset::instance_type_offerings: return {"region", "instance_type", "zone"};
    case Dataset::on_demand_prices: return {"region", "rate_code"};
    case Dataset::reserved_prices: return {"region", "sku", "offer_term_code"};
    case Dataset::savings_plans_rates: return {"region", "plan_sku", "rate_code"};
    case Dataset::spot_prices: return {"region", "zone", "instance_type", "product_description", "timestamp"};
    case Dataset::spot_advisor: return {"region", "operating_system", "instance_type"};
    case Dataset::price_changes: return {"region", "dataset", "key", "field"};
    case Dataset::choices: return {"region", "instance_type", "market", "os"};
  }
  return {"region"};
}

}  // namespace

std::vector<std::string_view> key_columns(Dataset dataset) {
  auto key = account_key_columns(dataset);
  // Zone names and opt-in differ by account: one row per account.
  if (info(dataset).per_account) key.insert(key.begin() + 1, "account_id");
  return key;
}

bool replaced_whole(Dataset dataset) { return dataset == Dataset::price_changes; }

std::optional<HistorySpec> history_of(Dataset dataset) {
  switch (dataset) {
    case Dataset::on_demand_prices: return HistorySpec{{"region", "rate_code"}, {"price_per_hour", "currency"}, {}};
    case Dataset::reserved_prices:
      return HistorySpec{{"region", "sku", "offer_term_code"}, {"upfront_fee", "hourly", "currency"}, {}};
    case Dataset::savings_plans_rates: return HistorySpec{{"region", "plan_sku", "rate_code"}, {"rate", "currency"}, {}};
    case Dataset::spot_prices:
      return HistorySpec{{"region", "account_id", "zone", "instance_type", "product_description"}, {"price"}, "timestamp"};
    default: return std::nullopt;
  }
}

std::string table_name(Dataset dataset) {
  std::string name(info(dataset).name);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string table_schema(Dataset dataset, SchemaDialect dialect, bool snapshot_id) {
  const auto fields = columns(dataset, snapshot_id);
  switch (dialect) {
    case SchemaDialect::json_schema: return json_schema(dataset, fields);
    case SchemaDialect::bigquery: return bigquery_schema(fields);
    default: return create_table(dataset, dialect, fields, table_name(dataset), key_columns(dataset));
  }
}

}  // namespace pricepipe
