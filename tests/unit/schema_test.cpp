#include "core/schema.h"
#include "core/table_schema.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cctype>
#include <limits>
#include <set>

#include "core/dataset.h"
#include "core/json_writer.h"

namespace pricepipe {
namespace {

struct Sample {
  std::string name;
  std::int64_t count = 0;
  double price = 0;
  bool flag = false;
  std::optional<double> maybe;
  std::optional<std::string> label;
  std::vector<std::string> tags;
  std::vector<std::int64_t> sizes;
  Timestamp at;

  template <class V>
  static void describe(V&& v) {
    v("name", &Sample::name, "A name.");
    v("count", &Sample::count, "A count.");
    v("price", &Sample::price, "A price.");
    v("flag", &Sample::flag, "A flag.");
    v("maybe", &Sample::maybe, "Maybe a number.");
    v("label", &Sample::label, "Maybe a label.");
    v("tags", &Sample::tags, "Tags.");
    v("sizes", &Sample::sizes, "Sizes.");
    v("at", &Sample::at, "When.");
  }
};

TEST(Schema, DescribesTypesAndNullability) {
  const auto fields = schema_of<Sample>();
  ASSERT_EQ(fields.size(), 9u);
  EXPECT_EQ(fields[0].type, FieldType::string);
  EXPECT_EQ(fields[1].type, FieldType::integer);
  EXPECT_EQ(fields[2].type, FieldType::number);
  EXPECT_EQ(fields[3].type, FieldType::boolean);
  EXPECT_EQ(fields[4].type, FieldType::number);
  EXPECT_TRUE(fields[4].nullable);
  EXPECT_FALSE(fields[2].nullable);
  EXPECT_EQ(fields[6].type, FieldType::string_list);
  EXPECT_EQ(fields[7].type, FieldType::integer_list);
  EXPECT_EQ(fields[8].type, FieldType::timestamp);
}

TEST(Schema, WritesTypedNdjson) {
  Sample s;
  s.name = "m7g.large \"x\"\n";
  s.count = -3;
  s.price = 0.0816;
  s.flag = true;
  s.label = "ok";
  s.tags = {"a", "b"};
  s.sizes = {1, 2};
  s.at = Timestamp{std::chrono::sys_seconds{std::chrono::seconds{1764000000}}};
  std::string out;
  append_ndjson(out, s);
  EXPECT_EQ(out,
            "{\"name\":\"m7g.large \\\"x\\\"\\n\",\"count\":-3,\"price\":0.0816,\"flag\":true,\"maybe\":null,"
            "\"label\":\"ok\",\"tags\":[\"a\",\"b\"],\"sizes\":[1,2],\"at\":\"2025-11-24T16:00:00Z\"}\n");
}

TEST(JsonWriter, EscapesControlCharactersAndWritesShortestNumbers) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.string(std::string("\x01\t\\", 3));
  w.number(0.1);
  w.number(1e21);
  w.number(std::numeric_limits<double>::infinity());
  w.integer(INT64_MIN);
  w.end_array();
  EXPECT_EQ(out, "[\"\\u0001\\t\\\\\",0.1,1e+21,null,-9223372036854775808]");
}

TEST(Schema, EveryDatasetFieldIsSnakeCaseAndDocumented) {
  for (const auto& d : all_datasets()) {
    visit_record_type(d.id, [&](const auto* tag) {
      using Record = std::remove_cvref_t<decltype(*tag)>;
      std::set<std::string_view> seen;
      for (const auto& f : schema_of<Record>()) {
        EXPECT_TRUE(seen.insert(f.name).second) << d.name << " repeats " << f.name;
        EXPECT_FALSE(f.description.empty()) << d.name << "." << f.name;
        for (char c : f.name) EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_') << f.name;
      }
      if (d.regional) {
        EXPECT_EQ(schema_of<Record>().front().name, "region") << d.name;
      }
    });
  }
}

// A table's key names fields that are never null, region first; a history's
// identity and values name fields of its dataset.
TEST(Schema, KeysAndHistoriesNameFieldsOfTheirDataset) {
  for (const auto& d : all_datasets()) {
    const auto fields = fields_of(d.id);
    auto field = [&](std::string_view name) {
      return std::find_if(fields.begin(), fields.end(), [&](const FieldInfo& f) { return f.name == name; });
    };
    const auto key = key_columns(d.id);
    ASSERT_FALSE(key.empty()) << d.name;
    EXPECT_EQ(key.front(), "region") << d.name;
    for (auto k : key) {
      ASSERT_NE(field(k), fields.end()) << d.name << ": " << k;
      EXPECT_FALSE(field(k)->nullable) << d.name << ": " << k << " is in the key";
    }
    if (const auto history = history_of(d.id)) {
      for (auto k : history->identity) EXPECT_NE(std::find(key.begin(), key.end(), k), key.end()) << d.name << ": " << k;
      for (auto v : history->values) EXPECT_NE(field(v), fields.end()) << d.name << ": " << v;
      EXPECT_TRUE(d.priced || d.id == Dataset::spot_prices) << d.name;
    }
  }
}

}  // namespace
}  // namespace pricepipe
