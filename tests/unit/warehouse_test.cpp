// The pieces of a load that need no database: URLs and their passwords,
// COPY text, and which URLs are warehouses. (Loads themselves are tested
// against real engines: tests/warehouse.)
#include "stages/sinks/warehouse.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/table_schema.h"
#include "stages/sinks/sql_warehouse.h"

namespace pricepipe::stages {
namespace {

TEST(Warehouse, UrlsNeverShowTheirPassword) {
  EXPECT_EQ(redact_url("postgresql://loader:s3cret@db:5432/finops"), "postgresql://loader:***@db:5432/finops");
  EXPECT_EQ(redact_url("postgresql://db/finops?user=loader&password=s3cret&sslmode=verify-full"),
            "postgresql://db/finops?user=loader&password=***&sslmode=verify-full");
  EXPECT_EQ(redact_url("postgresql://loader@db/finops"), "postgresql://loader@db/finops");
  EXPECT_EQ(redact_url("sqlite:///var/lib/prices.db"), "sqlite:///var/lib/prices.db");
  EXPECT_TRUE(warehouse_url("postgres://db/x"));
  EXPECT_TRUE(warehouse_url("sqlite:///x.db"));
  EXPECT_FALSE(warehouse_url("mysql://db/x"));
  EXPECT_NE(encoding_for("mysql://u:pw@db/x").error().message().find("u:***@db"), std::string::npos)
      << encoding_for("mysql://u:pw@db/x").error().message();
}

// What a load adds to a row of a dataset without a history: its snapshot id.
std::vector<LoadValue> snapshot(std::string id) { return {{kSnapshotIdField.name, std::move(id)}}; }

std::string copy_row(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object row = parser.parse(json.data(), json.size(), true).get_object().value();
  const std::vector<FieldInfo> fields = {{"s", FieldType::string, true, "."},       {"n", FieldType::number, false, "."},
                                         {"i", FieldType::integer, false, "."},     {"b", FieldType::boolean, false, "."},
                                         {"l", FieldType::string_list, false, "."}, {"m", FieldType::number_map, false, "."}};
  std::string out;
  EXPECT_TRUE(encode_copy_row(fields, row, snapshot("id"), out).ok());
  return out;
}

TEST(Warehouse, CopyTextEscapesEveryByteThatWouldEndAValue) {
  EXPECT_EQ(copy_row(R"({"s":"a\\b\tc\nd\re","n":0.1,"i":-3,"b":true,"l":["x\"y","z\\w",""],"m":{"a":1.5}})"),
            "a\\\\b\\tc\\nd\\re\t0.1\t-3\tt\t{\"x\\\\\"y\",\"z\\\\\\\\w\",\"\"}\t{\"a\":1.5}\tid\n");
  EXPECT_EQ(copy_row(R"({"s":null,"n":1e-07,"i":0,"b":false,"l":[],"m":{}})"), "\\N\t1e-07\t0\tf\t{}\t{}\tid\n");
  // A key the fields do not name (a snapshot row's snapshot_id) is not a column; a missing field is an error.
  simdjson::dom::parser parser;
  std::string out;
  const std::vector<FieldInfo> one = {{"s", FieldType::string, false, "."}};
  EXPECT_TRUE(encode_copy_row(one, parser.parse(std::string_view(R"({"s":"x","snapshot_id":"old"})")).get_object().value(),
                              snapshot("new"), out).ok());
  EXPECT_EQ(out, "x\tnew\n");
  EXPECT_FALSE(encode_copy_row(one, parser.parse(std::string_view(R"({"t":"x"})")).get_object().value(), snapshot("new"), out).ok());
  EXPECT_FALSE(encode_copy_row(one, parser.parse(std::string_view(R"({"s":1})")).get_object().value(), snapshot("new"), out).ok());
}

TEST(Warehouse, PriceRowsInPostgresAndSqliteOpenAVersionAtTheLoad) {
  const LoadInfo info{"2026-10-01T06-00-00Z", "2026-10-01T06:00:00Z", "", "run"};
  auto names = [](const std::vector<LoadValue>& values) {
    std::vector<std::string> out;
    for (const auto& v : values) out.push_back(fmt::format("{}={}", v.name, v.value));
    return out;
  };
  const std::vector<std::string> versioned = {"snapshot_id=2026-10-01T06-00-00Z",
                                              "first_snapshot_id=2026-10-01T06-00-00Z",
                                              "valid_from=2026-10-01T06:00:00Z"};
  EXPECT_EQ(names(load_values(RowEncoding::copy_text, Dataset::on_demand_prices, info)), versioned);
  EXPECT_EQ(names(load_values(RowEncoding::sqlite_values, Dataset::spot_prices, info)), versioned);
  EXPECT_EQ(names(load_values(RowEncoding::copy_text, Dataset::catalog, info)),
            std::vector<std::string>{"snapshot_id=2026-10-01T06-00-00Z"});
  EXPECT_EQ(names(load_values(RowEncoding::json_each_row, Dataset::on_demand_prices, info)),
            std::vector<std::string>{"snapshot_id=2026-10-01T06-00-00Z"});
}

TEST(Warehouse, JsonEachRowKeepsNamesTypesAndNullsAsClickHouseReadsThem) {
  simdjson::dom::parser parser;
  const std::string_view json =
      R"({"s":"a\"b\u00e9","n":0.1,"b":false,"l":null,"il":[1,2],"m":{"z":1.5},"p":{"value":null,"reason":"x"},"t":"2026-10-01T06:00:00Z"})";
  simdjson::dom::object row = parser.parse(json.data(), json.size(), true).get_object().value();
  const std::vector<FieldInfo> fields = {
      {"s", FieldType::string, true, "."},       {"n", FieldType::number, false, "."},
      {"b", FieldType::boolean, false, "."},     {"l", FieldType::string_list, true, "."},
      {"il", FieldType::integer_list, false, "."}, {"m", FieldType::number_map, false, "."},
      {"p", FieldType::price, false, "."},       {"t", FieldType::timestamp, false, "."}};
  std::string out;
  ASSERT_TRUE(encode_json_each_row(fields, row, snapshot("2026-10-01T06-00-00Z"), out).ok());
  // A null list is [] (ClickHouse's arrays cannot be null); maps and prices are JSON text.
  EXPECT_EQ(out,
            R"({"s":"a\"bé","n":0.1,"b":false,"l":[],"il":[1,2],"m":"{\"z\":1.5}","p":"{\"value\":null,\"reason\":\"x\"}","t":"2026-10-01T06:00:00Z","snapshot_id":"2026-10-01T06-00-00Z"})"
            "\n");
  EXPECT_EQ(encoding_for("clickhouse://127.0.0.1:8123/finops").value(), RowEncoding::json_each_row);
  EXPECT_EQ(encoding_for("https://ch.internal:8443/finops").value(), RowEncoding::json_each_row);
}

TEST(Warehouse, ClickHouseUrlsAreCheckedBeforeAnythingIsSent) {
  // Plain http leaves loopback never; a refused URL names itself without its password.
  auto remote = open_warehouse("clickhouse://loader:s3cret@ch.example.com:8123/finops", nullptr);
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.error().code(), ErrorCode::usage);
  EXPECT_NE(remote.error().message().find("loopback"), std::string::npos) << remote.error().message();
  EXPECT_NE(remote.error().message().find("loader:***@"), std::string::npos) << remote.error().message();
  EXPECT_EQ(remote.error().message().find("s3cret"), std::string::npos);
  auto nested = open_warehouse("clickhouse://127.0.0.1/a/b", nullptr);
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message().find("one database name"), std::string::npos) << nested.error().message();
}

}  // namespace
}  // namespace pricepipe::stages
