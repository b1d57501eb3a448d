// PostgreSQL through libpq: one transaction per load, rows streamed with
// COPY … FROM STDIN in text format into the dataset's table (one COPY open
// at a time; it ends when another statement must run).
//
// COPY text: columns separated by tabs, rows by newlines, null as \N, and
// backslash, tab, newline and carriage return escaped with a backslash.
// Lists are array literals ({"a","b"}: elements quoted, `"` and `\` escaped
// inside them), maps and prices JSON text for jsonb.
#include <libpq-fe.h>

#include <charconv>

#include <fmt/format.h>

#include "core/shared_library.h"
#include "stages/sinks/sql_warehouse.h"

namespace pricepipe::stages {

namespace {

// libpq's functions, loaded when a load first connects (core/shared_library.h):
// a command that loads nothing does not load libpq and what comes with it.
struct PqApi {
  decltype(&::PQconnectdb) connectdb;
  decltype(&::PQstatus) status;
  decltype(&::PQerrorMessage) errorMessage;
  decltype(&::PQfinish) finish;
  decltype(&::PQexec) exec;
  decltype(&::PQresultStatus) resultStatus;
  decltype(&::PQresultErrorMessage) resultErrorMessage;
  decltype(&::PQclear) clear;
  decltype(&::PQputCopyData) putCopyData;
  decltype(&::PQputCopyEnd) putCopyEnd;
  decltype(&::PQgetResult) getResult;
  decltype(&::PQntuples) ntuples;
  decltype(&::PQnfields) nfields;
  decltype(&::PQgetvalue) getvalue;
  decltype(&::PQgetisnull) getisnull;
};

const PqApi& pq() {
  static const PqApi api = [] {
    static const SharedLibrary lib("libpq.so.5", "libpq5");
    PqApi a{};
    lib.resolve(a.connectdb, "PQconnectdb");
    lib.resolve(a.status, "PQstatus");
    lib.resolve(a.errorMessage, "PQerrorMessage");
    lib.resolve(a.finish, "PQfinish");
    lib.resolve(a.exec, "PQexec");
    lib.resolve(a.resultStatus, "PQresultStatus");
    lib.resolve(a.resultErrorMessage, "PQresultErrorMessage");
    lib.resolve(a.clear, "PQclear");
    lib.resolve(a.putCopyData, "PQputCopyData");
    lib.resolve(a.putCopyEnd, "PQputCopyEnd");
    lib.resolve(a.getResult, "PQgetResult");
    lib.resolve(a.ntuples, "PQntuples");
    lib.resolve(a.nfields, "PQnfields");
    lib.resolve(a.getvalue, "PQgetvalue");
    lib.resolve(a.getisnull, "PQgetisnull");
    return a;
  }();
  return api;
}


void copy_escape(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

// An array element of a text[] literal, quoted.
void array_element(std::string& literal, std::string_view text) {
  literal += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

template <class T>
void number(std::string& out, T value) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

class PostgresWarehouse final : public SqlWarehouse {
 public:
  PostgresWarehouse(PGconn* conn, std::string url)
      : SqlWarehouse(SchemaDialect::postgresql), conn_(conn), described_(redact_url(url)) {}
  ~PostgresWarehouse() override {
    if (copying_) pq().putCopyEnd(conn_, "load abandoned");
    copying_.reset();
    rollback();
    pq().finish(conn_);
  }

  std::string describe() const override { return described_; }

  Result<void> append_rows(Dataset dataset, bool staged, std::string_view encoded, std::uint64_t) override {
    if (copying_ != std::pair(dataset, staged)) {
      if (auto r = end_appends(); !r.ok()) return r;
      PGresult* res = pq().exec(conn_, fmt::format("COPY {} FROM STDIN", table(dataset, staged)).c_str());
      const bool ok = pq().resultStatus(res) == PGRES_COPY_IN;
      pq().clear(res);
      if (!ok) return failure(fmt::format("COPY into {}", table(dataset, staged)));
      copying_ = std::pair(dataset, staged);
    }
    if (pq().putCopyData(conn_, encoded.data(), static_cast<int>(encoded.size())) != 1) {
      return failure(fmt::format("COPY of {} rows", info(dataset).name));
    }
    return {};
  }

 protected:
  Result<void> exec(const std::string& sql) override {
    PGresult* res = pq().exec(conn_, sql.c_str());
    const auto status = pq().resultStatus(res);
    pq().clear(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    return failure("a statement");
  }

  Result<void> query(const std::string& sql, const std::function<void(Columns&)>& each) override {
    PGresult* res = pq().exec(conn_, sql.c_str());
    if (pq().resultStatus(res) != PGRES_TUPLES_OK) {
      pq().clear(res);
      return failure("a query");
    }
    Columns row;
    for (int r = 0; r < pq().ntuples(res); ++r) {
      row.clear();
      for (int c = 0; c < pq().nfields(res); ++c) {
        row.push_back(pq().getisnull(res, r, c) ? std::nullopt : std::optional<std::string>(pq().getvalue(res, r, c)));
      }
      each(row);
    }
    pq().clear(res);
    return {};
  }

  Result<void> end_appends() override {
    if (!copying_) return {};
    const Dataset dataset = copying_->first;
    copying_.reset();
    if (pq().putCopyEnd(conn_, nullptr) != 1) return failure(fmt::format("ending the COPY of {}", info(dataset).name));
    PGresult* res = pq().getResult(conn_);
    const bool ok = pq().resultStatus(res) == PGRES_COMMAND_OK;
    std::string why = ok ? "" : pq().resultErrorMessage(res);
    pq().clear(res);
    while ((res = pq().getResult(conn_)) != nullptr) pq().clear(res);
    if (!ok) return failure(fmt::format("COPY of {} rows", info(dataset).name), why);
    return {};
  }

 private:
  Error failure(const std::string& doing, std::string why = {}) const {
    why = one_line(why.empty() ? pq().errorMessage(conn_) : why);
    const bool gone = pq().status(conn_) == CONNECTION_BAD;
    return Error(gone ? ErrorCode::network : ErrorCode::aws_api, fmt::format("{}: {}: {}", described_, doing, why));
  }

  PGconn* conn_;
  std::string described_;
  std::optional<std::pair<Dataset, bool>> copying_;  ///< the table a COPY is open into (staged or not)
};

// One row of COPY text: values separated by tabs.
struct CopyRow {
  std::string& out;
  std::string scratch;
  void null() { out += "\\N\t"; }
  void text(std::string_view s) {
    copy_escape(out, s);
    out += '\t';
  }
  void integer(std::int64_t n) {
    pricepipe::stages::number(out, n);
    out += '\t';
  }
  void number(double d) {
    pricepipe::stages::number(out, d);
    out += '\t';
  }
  void boolean(bool b) { out += b ? "t\t" : "f\t"; }
  void json(simdjson::dom::element v) {
    copy_escape(out, simdjson::minify(v));
    out += '\t';
  }
  bool list(simdjson::dom::element v) {  // an array literal: {"a","b"} or {1,2}
    simdjson::dom::array items;
    if (v.get_array().get(items) != simdjson::SUCCESS) return false;
    scratch = "{";
    for (simdjson::dom::element item : items) {
      if (scratch.size() > 1) scratch += ',';
      std::string_view s;
      std::int64_t n;
      if (item.get_string().get(s) == simdjson::SUCCESS) {
        array_element(scratch, s);
      } else if (item.get_int64().get(n) == simdjson::SUCCESS) {
        pricepipe::stages::number(scratch, n);
      } else {
        return false;
      }
    }
    scratch += '}';
    copy_escape(out, scratch);
    out += '\t';
    return true;
  }
};

}  // namespace

Result<void> encode_copy_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                             std::span<const LoadValue> added, std::string& out) {
  CopyRow copy{out, {}};
  if (auto r = visit_values(fields, row, copy); !r.ok()) return r;
  for (const LoadValue& v : added) copy.text(v.value);
  out.back() = '\n';  // the last value's tab
  return {};
}

Result<std::unique_ptr<Warehouse>> open_postgres(const std::string& url) {
  PGconn* conn = pq().connectdb(url.c_str());
  if (pq().status(conn) != CONNECTION_OK) {
    const std::string why = one_line(conn ? pq().errorMessage(conn) : "out of memory");
    pq().finish(conn);
    return Error(ErrorCode::unreachable, fmt::format("{}: cannot connect: {}", redact_url(url), why));
  }
  PGresult* res = pq().exec(conn, "SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'; SET client_min_messages = warning");
  pq().clear(res);
  return std::unique_ptr<Warehouse>(std::make_unique<PostgresWarehouse>(conn, url));
}

}  // namespace pricepipe::stages
