#include "stages/sinks/warehouse.h"

#include <chrono>

#include <fmt/format.h>

#include "stages/sinks/sql_warehouse.h"

namespace pricepipe::stages {

namespace {

// `find(key)`: the index of the field named `key`, or fields.size().
template <class Find>
Result<void> values_in_order(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::vector<simdjson::dom::element>& out, const Find& find) {
  thread_local std::vector<unsigned char> seen;  // reused: this runs once per row
  out.assign(fields.size(), simdjson::dom::element());
  seen.assign(fields.size(), 0);
  std::size_t next = 0;  // rows come in declaration order: a key is most likely the next field
  for (auto [key, value] : row) {
    std::size_t at = next;
    if (at >= fields.size() || fields[at].name != key) {
      at = find(key);
      if (at == fields.size()) continue;
    }
    out[at] = value;
    seen[at] = 1;
    next = at + 1;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (!seen[i]) return Error(ErrorCode::malformed_response, fmt::format("the row has no field '{}'", fields[i].name));
  }
  return {};
}

}  // namespace

FieldIndex::FieldIndex(std::vector<FieldInfo> f) : fields(std::move(f)) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const std::size_t length = fields[i].name.size();
    if (by_length.size() <= length) by_length.resize(length + 1);
    by_length[length].push_back(i);
  }
}

Result<void> values_in_order(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::vector<simdjson::dom::element>& out) {
  return values_in_order(fields, row, out, [&fields](std::string_view key) {
    std::size_t at = 0;
    while (at < fields.size() && fields[at].name != key) ++at;
    return at;
  });
}

Result<void> values_in_order(const FieldIndex& index, simdjson::dom::object row,
                             std::vector<simdjson::dom::element>& out) {
  return values_in_order(index.fields, row, out, [&index](std::string_view key) {
    if (key.size() < index.by_length.size()) {
      for (std::size_t at : index.by_length[key.size()]) {
        if (index.fields[at].name == key) return at;
      }
    }
    return index.fields.size();
  });
}

std::string redact_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto authority = scheme + 3;
  const auto end = url.find_first_of("/?#", authority);
  const std::string_view host_part = url.substr(authority, end == std::string_view::npos ? url.npos : end - authority);
  const auto at = host_part.rfind('@');
  std::string out(url);
  if (at != std::string_view::npos) {
    const auto colon = host_part.find(':');
    if (colon != std::string_view::npos && colon < at) out.replace(authority + colon + 1, at - colon - 1, "***");
  }
  // A password given as a query parameter (postgresql://h/db?password=…).
  for (std::size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const auto value = p + 9;
    const auto stop = out.find('&', value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
  }
  return out;
}

Error field_type_error(const FieldInfo& f) {
  return Error(ErrorCode::malformed_response, fmt::format("field '{}' is not a {}", f.name, to_string(f.type)));
}

Result<RowEncoding> encoding_for(std::string_view url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return RowEncoding::copy_text;
  if (url.starts_with("sqlite://")) return RowEncoding::sqlite_values;
  if (url.starts_with("clickhouse://") || url.starts_with("http://") || url.starts_with("https://")) {
    return RowEncoding::json_each_row;
  }
  return Error(ErrorCode::usage, fmt::format("'{}' is not a warehouse URL: expected postgresql://…, "
                                             "clickhouse://HOST:8123/DB (or http(s)://…) or sqlite:///path/to/file.db",
                                             redact_url(url)));
}

std::vector<FieldInfo> load_value_columns(RowEncoding encoding, Dataset dataset) {
  // ClickHouse keeps every snapshot's rows and its history apart.
  if (encoding == RowEncoding::json_each_row || !history_of(dataset)) return {kSnapshotIdField};
  return {kSnapshotIdField, kFirstSnapshotIdField, kValidFromField};
}

std::vector<LoadValue> load_values(RowEncoding encoding, Dataset dataset, const LoadInfo& info) {
  std::vector<LoadValue> out;
  for (const FieldInfo& c : load_value_columns(encoding, dataset)) {
    // A version opens at this load: its snapshot, its time.
    out.push_back({c.name, c.name == kValidFromField.name ? info.started_at : info.snapshot_id});
  }
  return out;
}

Result<void> encode_row(RowEncoding encoding, const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                        std::span<const LoadValue> added, std::string& out) {
  switch (encoding) {
    case RowEncoding::copy_text: return encode_copy_row(fields, row, added, out);
    case RowEncoding::sqlite_values: return encode_sqlite_row(fields, row, added, out);
    case RowEncoding::json_each_row: break;
  }
  return encode_json_each_row(fields, row, added, out);
}

Result<std::unique_ptr<Warehouse>> open_warehouse(const std::string& url, net::Fetcher* fetcher) {
  auto encoding = encoding_for(url);
  if (!encoding.ok()) return encoding.error();
  if (*encoding == RowEncoding::copy_text) return open_postgres(url);
  if (*encoding == RowEncoding::json_each_row) return open_clickhouse(url, fetcher);
  const std::string path = url.substr(std::string_view("sqlite://").size());
  if (path.empty()) return Error(ErrorCode::usage, "sqlite:// needs a file: sqlite:///path/to/prices.db");
  return open_sqlite(path);
}

bool warehouse_url(std::string_view url) { return encoding_for(url).ok(); }

std::span<const LoadColumn> load_columns() {
  static constexpr LoadColumn kColumns[] = {
      {"snapshot_id", FieldType::string, false},         {"snapshot_started_at", FieldType::timestamp, false},
      {"manifest_sha256", FieldType::string, true},      {"source", FieldType::string, false},
      {"rows", FieldType::number_map, false},            {"load_started_at", FieldType::timestamp, false},
      {"load_finished_at", FieldType::timestamp, false}, {"pricepipe_version", FieldType::string, false},
  };
  return kColumns;
}

Error another_manifest(const std::string& id, const std::string& where, std::string_view loaded_hash,
                       std::string_view this_hash) {
  return Error(ErrorCode::usage,
               fmt::format("refused: snapshot {} is loaded in {} already, from another manifest (sha256 {}, this "
                           "one's is {}); a snapshot id names one snapshot",
                           id, where, loaded_hash.empty() ? "none" : loaded_hash, this_hash.empty() ? "none" : this_hash));
}

Error older_than_loaded(const std::string& id, const std::string& at, const std::string& newer,
                        const std::string& where) {
  return Error(ErrorCode::usage,
               fmt::format("refused: snapshot {} ({}) is older than snapshot {} loaded in {} already; loads go in "
                           "time order, so that the price history stays true (load older snapshots into a new "
                           "database first)",
                           id, at, newer, where));
}

std::string now_rfc3339() {
  std::string out;
  append_rfc3339(out, Timestamp{std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())});
  return out;
}

std::string one_line(std::string_view why) {
  std::string out;
  for (char c : why) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space) out += c;
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace pricepipe::stages
