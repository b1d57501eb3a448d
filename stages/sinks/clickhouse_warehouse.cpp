// ClickHouse over its HTTP interface, through the one fetch path
// (Fetcher::call): every statement a POST, rows sent as
// `INSERT … FORMAT JSONEachRow`. Kept to the SQL of ClickHouse 18.16 (the
// oldest release tested; docs/warehouse.md).
//
// ClickHouse has no transactions; a load is made safe by where it writes:
//   <dataset>          MergeTree, one partition per snapshot: every snapshot
//                      loaded stays, and a load first drops its own
//                      snapshot's partition (what an interrupted load of it
//                      left), so a re-load replaces it
//   <dataset>_history  rebuilt whole into `<table>_pricepipe_next` from the
//                      history and the snapshot, then swapped in by RENAME:
//                      readers see the old history or the new, and the
//                      rebuild from the same snapshot gives the same history
//   pricepipe_loads    written last: a snapshot is loaded once it is listed
// A load cut short leaves the snapshots loaded before, their history and
// pricepipe_loads as they were; the cut snapshot's partial partition is not
// listed in pricepipe_loads and is dropped by the next load of it.
//
// Rows of one dataset are gathered up to kInsertBytes per INSERT (each
// INSERT makes a part on disk, and ClickHouse wants few large ones), and
// sent when another dataset's rows come: memory holds one insert's worth.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/table_schema.h"
#include "core/version.h"
#include "net/fetcher.h"
#include "net/http.h"
#include "stages/sinks/sql_warehouse.h"

namespace pricepipe::stages {

namespace {

constexpr std::size_t kInsertBytes = 8u << 20;
constexpr std::string_view kNext = "_pricepipe_next", kPrevious = "_pricepipe_prev";

std::string percent_decoded(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// A string literal as ClickHouse reads one: backslash escapes are escapes.
std::string literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string q(std::string_view name) { return quote_name(SchemaDialect::clickhouse, name); }

// An RFC 3339 time (2026-10-01T06:00:00Z) as a DateTime('UTC').
std::string time_literal(std::string_view rfc3339) {
  return fmt::format("parseDateTimeBestEffort({}, 'UTC')", literal(rfc3339));
}

// One JSONEachRow row: the fields by name as visit_values hands them, lists
// as arrays (a null list as [], ClickHouse's arrays cannot be null), maps and
// prices as JSON text.
struct JsonRow {
  JsonWriter& w;
  const std::vector<FieldInfo>& fields;
  std::size_t next = 0;

  void name() { w.key(fields[next++].name); }
  void null() {
    const bool list = fields[next].type == FieldType::string_list || fields[next].type == FieldType::integer_list;
    name();
    if (list) {
      w.begin_array();
      w.end_array();
    } else {
      w.null();
    }
  }
  void text(std::string_view s) { name(), w.string(s); }
  void integer(std::int64_t n) { name(), w.integer(n); }
  void number(double d) { name(), w.number(d); }
  void boolean(bool b) { name(), w.boolean(b); }
  bool list(simdjson::dom::element v) {
    name();
    w.raw(simdjson::minify(v));
    return true;
  }
  void json(simdjson::dom::element v) { name(), w.string(simdjson::minify(v)); }
};

struct Endpoint {
  std::string url;       ///< http(s)://host:port/ without user information
  std::string database;
  std::string authorization;  ///< `Basic …`, or empty
  std::string shown;     ///< the URL as given, its password hidden
};

Result<Endpoint> parse_endpoint(const std::string& given) {
  Endpoint out;
  out.shown = redact_url(given);
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::usage, fmt::format("'{}' is not a ClickHouse URL: {} (expected clickhouse://[USER[:PASSWORD]@]"
                                               "HOST[:PORT][/DATABASE], or http(s)://…)",
                                               out.shown, why));
  };
  const auto scheme_end = given.find("://");
  const std::string scheme = given.substr(0, scheme_end);
  std::string rest = given.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, authority_end);
  std::string path = authority_end == std::string::npos ? std::string() : rest.substr(authority_end);
  std::string user, password;
  bool has_password = false;
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    const std::string info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = info.find(':');
    user = percent_decoded(info.substr(0, colon));
    if (colon != std::string::npos) {
      password = percent_decoded(info.substr(colon + 1));
      has_password = true;
    }
  }
  if (path.find_first_of("?#") != std::string::npos) return bad("it takes no query");
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.find('/') != std::string::npos) return bad("the path is one database name");
  out.database = path.empty() ? "default" : percent_decoded(path);
  const std::string http_scheme = scheme == "https" ? "https" : "http";
  std::string host_port = authority;
  if (authority.find(':', authority.rfind(']') == std::string::npos ? 0 : authority.rfind(']')) == std::string::npos) {
    host_port += http_scheme == "https" ? ":8443" : ":8123";
  }
  auto parsed = net::parse_url(http_scheme + "://" + host_port + "/");
  if (!parsed.ok()) return bad(parsed.error().message());
  if (http_scheme == "http" && !net::is_loopback_host(parsed->host)) {
    return bad("plain http goes to loopback addresses only; use https://HOST:8443/DATABASE");
  }
  out.url = http_scheme + "://" + host_port + "/";
  if (!has_password) {
    if (const char* env = std::getenv("CLICKHOUSE_PASSWORD")) password = env;
  }
  if (!user.empty() || !password.empty()) {
    out.authorization = "Basic " + net::base64((user.empty() ? "default" : user) + ":" + password);
  }
  return out;
}

class ClickHouseWarehouse final : public Warehouse {
 public:
  ClickHouseWarehouse(net::Fetcher& fetcher, Endpoint endpoint) : fetcher_(fetcher), endpoint_(std::move(endpoint)) {}

  std::string describe() const override { return endpoint_.shown; }

  Result<LoadStart> begin(const LoadInfo& info, const std::vector<Dataset>& datasets) override {
    info_ = info;
    datasets_ = datasets;
    load_started_at_ = now_rfc3339();
    if (auto r = statement(fmt::format("CREATE DATABASE IF NOT EXISTS {}", q(endpoint_.database)), false); !r.ok()) {
      return r.error();
    }
    std::vector<std::string> columns;
    for (const auto& c : load_columns()) {
      const std::string type = sql_type(SchemaDialect::clickhouse, c.type);
      columns.push_back(fmt::format("{} {}", q(c.name), c.nullable ? "Nullable(" + type + ")" : type));
    }
    std::vector<std::string> ddl = {fmt::format("CREATE TABLE IF NOT EXISTS {} ({}) ENGINE = MergeTree ORDER BY {}",
                                                q("pricepipe_loads"), fmt::join(columns, ", "), q("snapshot_id"))};
    for (Dataset d : datasets) {
      std::vector<FieldInfo> fields = fields_of(d);
      fields.push_back(kSnapshotIdField);
      ddl.push_back(create_table(d, SchemaDialect::clickhouse, fields, table_name(d), key_columns(d),
                                 "CREATE TABLE IF NOT EXISTS"));
      if (const auto history = history_of(d)) {
        std::vector<std::string_view> key = history->identity;
        key.push_back("valid_from");
        ddl.push_back(create_table(d, SchemaDialect::clickhouse, history_fields(d), history_table(d), key,
                                   "CREATE TABLE IF NOT EXISTS"));
      }
    }
    for (const auto& s : ddl) {
      if (auto r = statement(s); !r.ok()) return r.error();
    }
    for (Dataset d : datasets) {
      if (!history_of(d)) continue;
      if (auto r = recover_swap(history_table(d)); !r.ok()) return r.error();
    }

    auto same = rows(fmt::format("SELECT {} FROM {} WHERE {} = {}", q("manifest_sha256"), q("pricepipe_loads"),
                                 q("snapshot_id"), literal(info.snapshot_id)));
    if (!same.ok()) return same.error();
    if (!same->empty()) {
      const std::string& hash = (*same)[0];
      if (!info.manifest_sha256.empty() && hash == info.manifest_sha256) return LoadStart::already_loaded;
      return another_manifest(info.snapshot_id, describe(), hash == "\\N" ? "" : hash, info.manifest_sha256);
    }
    auto newer = rows(fmt::format("SELECT {} FROM {} WHERE {} > {} ORDER BY {} DESC LIMIT 1", q("snapshot_id"),
                                  q("pricepipe_loads"), q("snapshot_started_at"), time_literal(info.started_at),
                                  q("snapshot_started_at")));
    if (!newer.ok()) return newer.error();
    if (!newer->empty()) {
      return older_than_loaded(info.snapshot_id, info.started_at, (*newer)[0], describe());
    }
    // What an interrupted load of this snapshot left goes first.
    open_ = true;
    for (Dataset d : datasets) {
      if (auto r = drop_snapshot(d); !r.ok()) return r.error();
    }
    return LoadStart::load;
  }

  Result<void> append(Dataset dataset, const std::string& region, std::string_view encoded,
                      std::uint64_t rows) override {
    (void)rows;
    regions_[dataset].insert(region);
    // A snapshot's parts come dataset by dataset: what another dataset gathered goes now,
    // so that what is held stays one insert's worth whatever the snapshot's size.
    for (auto& [other, rows_of_other] : pending_) {
      if (other != dataset && !rows_of_other.empty()) {
        if (auto r = insert(other); !r.ok()) return r;
      }
    }
    std::string& pending = pending_[dataset];
    pending.append(encoded);
    if (pending.size() >= kInsertBytes) return insert(dataset);
    return {};
  }

  Result<void> commit(const std::vector<LoadedTable>& tables) override {
    for (Dataset d : datasets_) {
      if (auto r = insert(d); !r.ok()) return fail(r.error());
    }
    std::string counts = "{";
    for (const LoadedTable& t : tables) {
      if (regions_.count(t.dataset) && history_of(t.dataset)) {
        if (auto r = rebuild_history(t.dataset); !r.ok()) return fail(r.error());
      }
      counts += fmt::format("{}\"{}\":{}", counts.size() > 1 ? "," : "", table_name(t.dataset), t.rows);
    }
    counts += "}";
    const std::string record = fmt::format(
        "INSERT INTO {} SELECT {}, {}, {}, {}, {}, {}, {}, {}", q("pricepipe_loads"), literal(info_.snapshot_id),
        time_literal(info_.started_at), info_.manifest_sha256.empty() ? "NULL" : literal(info_.manifest_sha256),
        literal(info_.source), literal(counts), time_literal(load_started_at_), time_literal(now_rfc3339()),
        literal(kVersion));
    if (auto r = statement(record); !r.ok()) return fail(r.error());
    open_ = false;
    return {};
  }

  Result<Loaded> loaded_snapshot(const std::string& id) override {
    auto listed = rows(fmt::format("SELECT {} FROM {} WHERE {} = {}", q("snapshot_id"), q("pricepipe_loads"),
                                   q("snapshot_id"), literal(id)));
    if (!listed.ok()) return listed.error();
    if (listed->empty()) {
      return Error(ErrorCode::usage, fmt::format("snapshot {} is not loaded in {} (pricepipe_loads)", id, describe()));
    }
    Loaded out;
    for (const auto& d : all_datasets()) {
      if (d.fetched) out.datasets.push_back(d.id);
    }
    out.side.id = id;
    out.side.missing = [](Dataset, const std::string&) { return false; };
    out.side.regions = [this, id](Dataset d) -> Result<std::vector<std::string>> {
      auto exists = rows("EXISTS TABLE " + q(table_name(d)));
      if (!exists.ok()) return exists.error();
      if (exists->empty() || (*exists)[0] != "1") return std::vector<std::string>{};
      return rows(fmt::format("SELECT DISTINCT {} FROM {} WHERE {} = {} ORDER BY 1", q("region"), q(table_name(d)),
                              q("snapshot_id"), literal(id)));
    };
    out.side.rows = [this, id](Dataset d, const std::string& region, const TakeRows& take) -> Result<void> {
      auto body = send(fmt::format("SELECT * FROM {} WHERE {} = {} AND {} = {} FORMAT JSONEachRow", q(table_name(d)),
                                   q("snapshot_id"), literal(id), q("region"), literal(region)));
      if (!body.ok()) return body.error();
      std::string why;
      if (!body->empty() && !take(*body, why)) {
        return Error(ErrorCode::malformed_response, fmt::format("{}: {} of {}: {}", describe(), info(d).name, region, why));
      }
      return {};
    };
    return out;
  }

  void rollback() override {
    if (!open_) return;
    open_ = false;
    pending_.clear();
    for (Dataset d : datasets_) (void)drop_snapshot(d);  // not listed in pricepipe_loads: no reader takes it
  }

 private:
  Result<void> fail(Error e) {
    rollback();
    return e;
  }

  std::vector<FieldInfo> history_fields(Dataset d) const {
    std::vector<FieldInfo> h = fields_of(d);
    h.push_back({"first_snapshot_id", FieldType::string, false, ""});
    h.push_back({"valid_from", FieldType::timestamp, false, ""});
    h.push_back({"valid_to", FieldType::timestamp, true, ""});
    return h;
  }
  std::string history_table(Dataset d) const { return table_name(d) + "_history"; }

  // Sends `sql` (with `body`, the rows of an INSERT, after it); the answer's body.
  Result<std::string> send(const std::string& sql, std::string body = {}, bool idempotent = true,
                           bool in_database = true) {
    // The statement without create_table's comment lines: "CREATE TABLE IF NOT EXISTS `catalog` ".
    std::string_view what = sql;
    while (what.starts_with("--")) what.remove_prefix(std::min(what.size(), what.find('\n') + 1));
    what = what.substr(0, what.find_first_of("(\n"));
    net::ApiRequest r;
    r.service = "clickhouse";
    r.action = std::string(what.substr(0, what.find(' ')));
    r.method = "POST";
    r.url = endpoint_.url + "?date_time_input_format=best_effort";
    if (in_database) r.url += "&database=" + net::uri_encode(endpoint_.database);
    if (!body.empty()) {
      r.url += "&query=" + net::uri_encode(sql);
      r.body = std::move(body);
    } else {
      r.body = sql;
    }
    if (!endpoint_.authorization.empty()) r.headers.emplace_back("Authorization", endpoint_.authorization);
    r.any_status_is_answer = true;
    r.idempotent = idempotent;
    auto answer = fetcher_.call(std::move(r));
    if (!answer.ok()) {
      // Named by the warehouse and the statement, not by the request's URL (which holds it).
      ErrorContext c = answer.error().context();
      c.file.clear();
      c.service.clear();
      c.action.clear();
      return Error(answer.error().code(), fmt::format("{}: {}: {}", describe(), what, answer.error().message()),
                   std::move(c));
    }
    if (answer->status == 200) return std::move(answer->body);
    // "Code: 60, e.displayText() = DB::Exception: Table … doesn't exist, e.what() = DB::Exception"
    std::string why = answer->body;
    if (const auto tail = why.find(", e.what()"); tail != std::string::npos) why.resize(tail);
    ErrorContext c;
    c.service = "clickhouse";
    c.http_status = static_cast<int>(answer->status);
    const bool denied = answer->status == 401 || answer->status == 403 || why.find("Code: 516") == 0 ||
                        why.find("Code: 192") == 0 || why.find("Code: 193") == 0;
    return Error(denied ? ErrorCode::auth : ErrorCode::aws_api,
                 fmt::format("{}: {}: {}", describe(), what, one_line(why)),
                 std::move(c));
  }
  Result<void> statement(const std::string& sql, bool in_database = true) {
    auto r = send(sql, {}, !sql.starts_with("INSERT"), in_database);
    if (!r.ok()) return r.error();
    return {};
  }
  // The first column of each row `sql` answers (TabSeparated; null is \N).
  Result<std::vector<std::string>> rows(const std::string& sql) {
    auto body = send(sql + " FORMAT TabSeparated");
    if (!body.ok()) return body.error();
    std::vector<std::string> out;
    std::string_view rest = *body;
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      out.emplace_back(line.substr(0, line.find('\t')));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    return out;
  }

  Result<void> insert(Dataset d) {
    auto pending = pending_.find(d);
    if (pending == pending_.end() || pending->second.empty()) return {};
    std::string body = std::move(pending->second);
    pending->second.clear();
    auto r = send(fmt::format("INSERT INTO {} FORMAT JSONEachRow", q(table_name(d))), std::move(body), false);
    if (!r.ok()) return r.error();
    return {};
  }

  Result<void> drop_snapshot(Dataset d) {
    return statement(fmt::format("ALTER TABLE {} DROP PARTITION {}", q(table_name(d)), literal(info_.snapshot_id)));
  }

  // A swap cut between its two renames: put the history back where it belongs.
  Result<void> recover_swap(const std::string& table) {
    auto exists = [&](const std::string& t) -> Result<bool> {
      auto r = rows("EXISTS TABLE " + q(t));
      if (!r.ok()) return r.error();
      return !r->empty() && (*r)[0] == "1";
    };
    auto previous = exists(table + std::string(kPrevious));
    if (!previous.ok()) return previous.error();
    if (!*previous) return {};
    auto current = exists(table);
    if (!current.ok()) return current.error();
    if (*current) return statement("DROP TABLE " + q(table + std::string(kPrevious)));
    return statement(fmt::format("RENAME TABLE {} TO {}", q(table + std::string(kPrevious)), q(table)));
  }

  // The history after this snapshot, from the history before it (see the
  // file's comment): rebuilding it from the same snapshot twice gives the same.
  Result<void> rebuild_history(Dataset d) {
    const HistorySpec history = *history_of(d);
    const std::string h = q(history_table(d)), next = q(history_table(d) + std::string(kNext)),
                      previous = q(history_table(d) + std::string(kPrevious));
    std::vector<std::string> regions;
    for (const auto& r : regions_.at(d)) regions.push_back(literal(r));
    const std::string in_regions = fmt::format("{} IN ({})", q("region"), fmt::join(regions, ", "));
    // The snapshot's current rows: the latest by `latest_by` where a load holds several observations of one price.
    std::string current = fmt::format("(SELECT * FROM {} WHERE {} = {}", q(table_name(d)), q("snapshot_id"),
                                      literal(info_.snapshot_id));
    std::vector<std::string> identity, version;
    for (auto c : history.identity) identity.push_back(q(c));
    if (!history.latest_by.empty()) {
      current += fmt::format(" ORDER BY {} DESC LIMIT 1 BY {}", q(history.latest_by), fmt::join(identity, ", "));
    }
    current += ")";
    // A version: its identity and its values, nulls told apart from every value.
    version = identity;
    for (auto c : history.values) {
      version.push_back(fmt::format("isNull({0}), ifNull(toString({0}), '')", q(c)));
    }
    const std::string version_key = fmt::format("({})", fmt::join(version, ", "));
    std::vector<std::string> columns;
    for (const auto& f : fields_of(d)) columns.push_back(q(f.name));
    const std::string fields = fmt::format("{}", fmt::join(columns, ", "));
    const std::string at = time_literal(info_.started_at);
    const std::string open = fmt::format("{} IS NULL", q("valid_to"));
    const std::string statements[] = {
        "DROP TABLE IF EXISTS " + next,
        fmt::format("CREATE TABLE {} AS {}", next, h),
        // Closed versions, and the open ones of regions this load did not read, as they were.
        fmt::format("INSERT INTO {} SELECT * FROM {} WHERE NOT ({} AND {})", next, h, open, in_regions),
        // The open versions of the regions read: still open when the snapshot has them as they were, else closed.
        fmt::format("INSERT INTO {n} SELECT {f}, {first}, {from}, if({v} IN (SELECT {v} FROM {cur}), NULL, {at}) "
                    "FROM {h} WHERE {open} AND {regions}",
                    fmt::arg("n", next), fmt::arg("f", fields), fmt::arg("first", q("first_snapshot_id")),
                    fmt::arg("from", q("valid_from")), fmt::arg("v", version_key), fmt::arg("cur", current),
                    fmt::arg("at", at), fmt::arg("h", h), fmt::arg("open", open), fmt::arg("regions", in_regions)),
        // The snapshot's prices new or changed open a version.
        fmt::format("INSERT INTO {n} SELECT {f}, {sid}, {at}, NULL FROM {cur} WHERE {v} NOT IN (SELECT {v} FROM {h} "
                    "WHERE {open} AND {regions})",
                    fmt::arg("n", next), fmt::arg("f", fields), fmt::arg("sid", literal(info_.snapshot_id)),
                    fmt::arg("at", at), fmt::arg("cur", current), fmt::arg("v", version_key), fmt::arg("h", h),
                    fmt::arg("open", open), fmt::arg("regions", in_regions)),
        fmt::format("RENAME TABLE {} TO {}, {} TO {}", h, previous, next, h),
        "DROP TABLE " + previous,
    };
    for (const auto& s : statements) {
      if (auto r = statement(s); !r.ok()) return r;
    }
    return {};
  }

  net::Fetcher& fetcher_;
  Endpoint endpoint_;
  LoadInfo info_;
  std::vector<Dataset> datasets_;
  std::string load_started_at_;
  bool open_ = false;
  std::map<Dataset, std::string> pending_;
  std::map<Dataset, std::set<std::string>> regions_;
};

}  // namespace

Result<void> encode_json_each_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                                  std::span<const LoadValue> added, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  JsonRow values{w, fields};
  if (auto r = visit_values(fields, row, values); !r.ok()) return r;
  for (const LoadValue& v : added) {
    w.key(v.name);
    w.string(v.value);
  }
  w.end_object();
  out += '\n';
  return {};
}

Result<std::unique_ptr<Warehouse>> open_clickhouse(const std::string& url, net::Fetcher* fetcher) {
  auto endpoint = parse_endpoint(url);
  if (!endpoint.ok()) return endpoint.error();
  if (fetcher == nullptr) return Error(ErrorCode::internal, "a ClickHouse load without a fetcher");
  return std::unique_ptr<Warehouse>(std::make_unique<ClickHouseWarehouse>(*fetcher, std::move(*endpoint)));
}

}  // namespace pricepipe::stages
