// The streaming splitter behind offer-file ingest: whatever the chunking and
// whichever scanner (AVX2 or scalar), the segments hold exactly the entries
// of the wanted sections, each segment parses, and broken documents fail
// with the byte offset.
#include "stages/transforms/json_section_splitter.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>

namespace pricepipe::stages {
namespace {

// A small offer file with the traps a scanner can fall into: escaped quotes
// and backslashes, brackets inside strings, unicode, empty objects, arrays.
std::string offer_document(int products, int terms) {
  std::string doc = "{\n  \"formatVersion\" : \"v1.0\",\n  \"disclaimer\" : \"a \\\"quoted\\\" {not a brace} [x]\",\n"
                    "  \"publicationDate\" : \"2026-11-01T00:00:00Z\",\n  \"version\" : \"20261101000000\",\n"
                    "  \"products\" : {\n";
  for (int i = 0; i < products; ++i) {
    doc += "    \"SKU" + std::to_string(i) + "\" : {\n      \"sku\" : \"SKU" + std::to_string(i) +
           "\",\n      \"productFamily\" : \"Compute Instance\",\n      \"attributes\" : {\n"
           "        \"instanceType\" : \"m" + std::to_string(i % 9) + ".large\",\n"
           "        \"note\" : \"back\\\\slash \\\\\\\" and } ] { [ \\u00e9 é\",\n"
           "        \"empty\" : { },\n        \"list\" : [ \"a\", [ ], { \"x\" : [ 1, 2 ] } ]\n      }\n    }";
    doc += i + 1 < products ? ",\n" : "\n";
  }
  doc += "  },\n  \"terms\" : {\n    \"OnDemand\" : {\n";
  for (int i = 0; i < terms; ++i) {
    doc += "      \"SKU" + std::to_string(i) + "\" : { \"SKU" + std::to_string(i) +
           ".JRTCKXETXF\" : { \"priceDimensions\" : { \"d\" : { \"pricePerUnit\" : { \"USD\" : \"0." +
           std::to_string(100 + i) + "\" } } }, \"termAttributes\" : { } } }";
    doc += i + 1 < terms ? ",\n" : "\n";
  }
  doc += "    },\n    \"Reserved\" : {\n      \"SKU0\" : { \"SKU0.X\" : { \"termAttributes\" : { \"LeaseContractLength\" : \"1yr\" } } }\n"
         "    }\n  }\n}\n";
  return doc;
}

struct Split {
  std::vector<JsonSegment> segments;
  Result<void> result;
  std::map<std::string, std::string> header;
};

Split split(const std::string& doc, std::vector<std::vector<std::string>> sections, std::size_t segment_bytes,
            std::size_t chunk, bool scalar) {
  Split out{{}, Result<void>(), {}};
  JsonSectionSplitter splitter(std::move(sections), segment_bytes,
                               [&](JsonSegment&& s) { out.segments.push_back(std::move(s)); });
  if (scalar) splitter.use_scalar_scanner_for_testing();
  for (std::size_t at = 0; at < doc.size(); at += chunk) {
    out.result = splitter.feed(std::string_view(doc).substr(at, chunk));
    if (!out.result.ok()) return out;
  }
  out.result = splitter.finish();
  out.header = splitter.header();
  return out;
}

// Keys of every entry of each section, in order, after parsing each segment.
std::map<std::size_t, std::vector<std::string>> entries(const std::vector<JsonSegment>& segments) {
  std::map<std::size_t, std::vector<std::string>> out;
  simdjson::dom::parser parser;
  for (const auto& s : segments) {
    simdjson::dom::element doc;
    auto error = parser.parse(s.json.data(), s.json.size(), false).get(doc);
    EXPECT_EQ(error, simdjson::SUCCESS) << s.json.substr(0, 200);
    if (error) continue;
    std::size_t n = 0;
    if (doc.is_object()) {
      for (auto field : doc.get_object()) {
        out[s.section].emplace_back(field.key);
        ++n;
      }
    } else {
      for (auto element : doc.get_array()) {
        out[s.section].emplace_back(simdjson::minify(element));
        ++n;
      }
    }
    EXPECT_EQ(n, s.entries);
  }
  return out;
}

std::vector<std::string> skus(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("SKU" + std::to_string(i));
  return out;
}

class SplitterChunks : public ::testing::TestWithParam<std::tuple<std::size_t, bool>> {};

TEST_P(SplitterChunks, EveryEntryOnceWhateverTheChunkingAndScanner) {
  const auto [chunk, scalar] = GetParam();
  const std::string doc = offer_document(300, 250);
  const Split s = split(doc, {{"products"}, {"terms", "OnDemand"}, {"terms", "Reserved"}}, 4096, chunk, scalar);
  ASSERT_TRUE(s.result.ok()) << s.result.error().describe();
  const auto e = entries(s.segments);
  EXPECT_EQ(e.at(0), skus(300));
  EXPECT_EQ(e.at(1), skus(250));
  EXPECT_EQ(e.at(2), std::vector<std::string>{"SKU0"});
  EXPECT_EQ(s.header.at("publicationDate"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(s.header.at("version"), "20261101000000");
  for (std::size_t i = 0; i < s.segments.size(); ++i) {
    EXPECT_EQ(s.segments[i].sequence, i);
    EXPECT_LT(s.segments[i].json.size(), 4096u + 2048u) << "segments stay near the target size";
    EXPECT_EQ(doc.substr(s.segments[i].offset, 4).find('"') == std::string::npos, false)
        << "a segment's offset points at its first entry";
  }
}

INSTANTIATE_TEST_SUITE_P(Chunkings, SplitterChunks,
                         ::testing::Combine(::testing::Values(1, 7, 63, 64, 65, 1000, 4096, 1 << 20),
                                            ::testing::Bool()));

TEST(JsonSectionSplitter, RandomChunksMatchTheScalarScanner) {
  const std::string doc = offer_document(500, 500);
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<JsonSegment> got;
    JsonSectionSplitter splitter({{"products"}, {"terms", "OnDemand"}}, 2000, [&](JsonSegment&& s) { got.push_back(std::move(s)); });
    std::size_t at = 0;
    while (at < doc.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(1, 300)(rng);
      ASSERT_TRUE(splitter.feed(std::string_view(doc).substr(at, n)).ok());
      at += n;
    }
    ASSERT_TRUE(splitter.finish().ok());
    const Split reference = split(doc, {{"products"}, {"terms", "OnDemand"}}, 2000, doc.size(), true);
    ASSERT_EQ(got.size(), reference.segments.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].json, reference.segments[i].json);
  }
}

TEST(JsonSectionSplitter, ArraySectionsAsInSavingsPlansFiles) {
  const std::string doc =
      "{ \"version\" : \"v\", \"regionCode\" : \"us-east-1\", \"products\" : [ { \"sku\" : \"A\" }, { \"sku\" : \"B]\" } ],"
      " \"terms\" : { \"savingsPlan\" : [ { \"sku\" : \"A\", \"rates\" : [ { \"r\" : 1 } ] } ] } }";
  for (bool scalar : {false, true}) {
    const Split s = split(doc, {{"products"}, {"terms", "savingsPlan"}}, 1024, 5, scalar);
    ASSERT_TRUE(s.result.ok()) << s.result.error().describe();
    const auto e = entries(s.segments);
    EXPECT_EQ(e.at(0), (std::vector<std::string>{R"({"sku":"A"})", R"({"sku":"B]"})"}));
    EXPECT_EQ(e.at(1), (std::vector<std::string>{R"({"sku":"A","rates":[{"r":1}]})"}));
    EXPECT_EQ(s.header.at("regionCode"), "us-east-1");
  }
}

TEST(JsonSectionSplitter, UnwantedSectionsAreSkippedNotCopied) {
  const std::string doc = offer_document(50, 50);
  const Split s = split(doc, {{"terms", "Reserved"}}, 1 << 20, 977, false);
  ASSERT_TRUE(s.result.ok());
  ASSERT_EQ(s.segments.size(), 1u);
  EXPECT_EQ(entries(s.segments).at(0), std::vector<std::string>{"SKU0"});
  EXPECT_LT(s.segments[0].json.size(), 200u);
}

TEST(JsonSectionSplitter, BrokenDocumentsFailWithTheOffset) {
  const std::string good = offer_document(20, 20);
  struct Case {
    std::string doc;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "empty document"},
      {"   \n", "no JSON value"},
      {"[1, 2]", "does not start with '{'"},
      {good.substr(0, good.size() / 2), "ends at depth"},
      {good.substr(0, good.find("m3.large") + 3), "ends inside a string"},
      {good + "{}", "text after the end"},
      {good + " x", "text after the end"},
      {"{ \"products\" : { \"a\" : [ } }", "'}' closes '['"},
      {"{ \"a\" : 1 } }", "text after the end"},
  };
  for (bool scalar : {false, true}) {
    for (const auto& c : cases) {
      const Split s = split(c.doc, {{"products"}}, 4096, 100, scalar);
      ASSERT_FALSE(s.result.ok()) << c.message;
      EXPECT_EQ(s.result.error().code(), ErrorCode::malformed_response);
      EXPECT_NE(s.result.error().message().find(c.message), std::string::npos)
          << s.result.error().message() << " (wanted: " << c.message << ")";
      EXPECT_GE(s.result.error().context().offset, 0);
      EXPECT_LE(s.result.error().context().offset, static_cast<std::int64_t>(c.doc.size()));
    }
  }
}

TEST(JsonSectionSplitter, TruncationOffsetIsTheEndOfWhatArrived) {
  const std::string doc = offer_document(20, 20).substr(0, 5000);
  const Split s = split(doc, {{"products"}}, 4096, 333, false);
  ASSERT_FALSE(s.result.ok());
  EXPECT_EQ(s.result.error().context().offset, 5000);
}

}  // namespace
}  // namespace pricepipe::stages
