// SQLite: one file, written in one IMMEDIATE transaction (its journal makes
// a kill at any point a rollback). Rows are encoded as typed values and
// bound to a prepared INSERT into the dataset's table.
//
// Encoding (prepare → append): per value a tag byte, then 'i' int64 or 'd'
// double (8 bytes, native order: made and read by this process), 't' a
// 32-bit length and UTF-8, or 'n' for null.
#include <sqlite3.h>

#include <cstring>
#include <map>

#include <fmt/format.h>

#include "stages/sinks/sql_warehouse.h"

namespace pricepipe::stages {

namespace {

template <class T>
void put(std::string& out, char tag, T value) {
  out.push_back(tag);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_text(std::string& out, std::string_view text) {
  put(out, 't', static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

class SqliteWarehouse final : public SqlWarehouse {
 public:
  SqliteWarehouse(sqlite3* db, std::string path) : SqlWarehouse(SchemaDialect::sqlite), db_(db), path_(std::move(path)) {}
  ~SqliteWarehouse() override {
    rollback();
    for (auto& [d, s] : inserts_) sqlite3_finalize(s.stmt);
    sqlite3_close(db_);
  }

  std::string describe() const override { return "sqlite://" + path_; }

  Result<void> append_rows(Dataset dataset, bool staged, std::string_view encoded, std::uint64_t rows) override {
    auto it = inserts_.find({dataset, staged});
    if (it == inserts_.end()) {
      // Prepared at the first rows for a table (the staged ones exist from then).
      const int columns = static_cast<int>(table_columns(dataset).size());
      std::string sql = fmt::format("INSERT INTO {} VALUES (", table(dataset, staged));
      for (int c = 0; c < columns; ++c) sql += c ? ",?" : "?";
      sql += ")";
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return failure("preparing an insert");
      it = inserts_.emplace(std::pair(dataset, staged), Insert{stmt, columns}).first;
    }
    sqlite3_stmt* stmt = it->second.stmt;
    const int columns = it->second.columns;
    std::size_t at = 0;
    for (std::uint64_t r = 0; r < rows; ++r) {
      for (int c = 1; c <= columns; ++c) {
        const char tag = encoded[at++];
        if (tag == 'n') {
          sqlite3_bind_null(stmt, c);
        } else if (tag == 'i') {
          std::int64_t n;
          std::memcpy(&n, encoded.data() + at, 8);
          at += 8;
          sqlite3_bind_int64(stmt, c, n);
        } else if (tag == 'd') {
          double d;
          std::memcpy(&d, encoded.data() + at, 8);
          at += 8;
          sqlite3_bind_double(stmt, c, d);
        } else {
          std::uint32_t n;
          std::memcpy(&n, encoded.data() + at, 4);
          at += 4;
          sqlite3_bind_text(stmt, c, encoded.data() + at, static_cast<int>(n), SQLITE_STATIC);
          at += n;
        }
      }
      const int rc = sqlite3_step(stmt);
      sqlite3_reset(stmt);
      if (rc != SQLITE_DONE) return failure(fmt::format("inserting a {} row", info(dataset).name));
    }
    return {};
  }

 protected:
  Result<void> exec(const std::string& sql) override {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return {};
    std::string what = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return Error(sqlite3_errcode(db_) == SQLITE_FULL || sqlite3_errcode(db_) == SQLITE_IOERR ? ErrorCode::io
                                                                                             : ErrorCode::aws_api,
                 fmt::format("{}: {}", describe(), what));
  }

  Result<void> query(const std::string& sql, const std::function<void(Columns&)>& each) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return failure("a query");
    Columns row;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      row.clear();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        row.push_back(text ? std::optional<std::string>(reinterpret_cast<const char*>(text)) : std::nullopt);
      }
      each(row);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return failure("a query");
    return {};
  }


 private:
  Error failure(const std::string& doing) const {
    return Error(ErrorCode::aws_api, fmt::format("{}: {}: {}", describe(), doing, sqlite3_errmsg(db_)));
  }

  struct Insert {
    sqlite3_stmt* stmt = nullptr;
    int columns = 0;
  };
  sqlite3* db_;
  std::string path_;
  std::map<std::pair<Dataset, bool>, Insert> inserts_;  ///< by table: (dataset, staged)
};

}  // namespace

namespace {

// One row of typed values (the encoding above).
struct SqliteRow {
  std::string& out;
  void null() { out.push_back('n'); }
  void text(std::string_view s) { put_text(out, s); }
  void integer(std::int64_t n) { put(out, 'i', n); }
  void number(double d) { put(out, 'd', d); }
  void boolean(bool b) { put(out, 'i', static_cast<std::int64_t>(b)); }
  void json(simdjson::dom::element v) { put_text(out, simdjson::minify(v)); }  // SQLite's JSON functions read it
  bool list(simdjson::dom::element v) {
    json(v);
    return true;
  }
};

}  // namespace

Result<void> encode_sqlite_row(const std::vector<FieldInfo>& fields, simdjson::dom::object row,
                               std::span<const LoadValue> added, std::string& out) {
  SqliteRow values{out};
  if (auto r = visit_values(fields, row, values); !r.ok()) return r;
  for (const LoadValue& v : added) put_text(out, v.value);
  return {};
}

Result<std::unique_ptr<Warehouse>> open_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    errno = EIO;
    return Error(ErrorCode::io, fmt::format("sqlite://{}: cannot open: {}", path, why));
  }
  sqlite3_busy_timeout(db, 60000);  // another load holds the file: wait for it
  // WAL: readers see the previous data while a load writes, and a kill rolls back.
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
  return std::unique_ptr<Warehouse>(std::make_unique<SqliteWarehouse>(db, path));
}

}  // namespace pricepipe::stages
