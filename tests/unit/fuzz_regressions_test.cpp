// Inputs the fuzz targets (tests/fuzz) found, each ending in a clean error
// now: the exact crashing input where it is short, else the mutation that
// mattered applied to a real answer or entry.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cache/disk_backend.h"
#include "config/pipeline_spec.h"
#include "core/schema.h"
#include "stages/sources/get_products_feed.h"
#include "stages/sources/ec2_describe_feed.h"
#include "stages/transforms/json_section_splitter.h"
#include "tests/support/feeds.h"
#include "tests/support/process.h"

namespace pricepipe {
namespace {

namespace fs = std::filesystem;

net::Page zones_page(std::string body) {
  net::Page p;
  p.request.service = "ec2";
  p.request.region = "eu-west-1";
  p.request.action = "DescribeAvailabilityZones";
  p.http_status = 200;
  p.body = std::move(body);
  return p;
}

// ec2_xml_fuzz: a fakeaws DescribeAvailabilityZones answer with one byte of
// <zoneState> flipped to 0xEC. pugixml does not check the encoding, so the
// record carried the byte into NDJSON that no JSON parser accepts.
TEST(FuzzRegressions, Ec2TextThatIsNotUtf8IsAMalformedResponse) {
  const std::string body =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      "\n"
      R"(<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ecf4136f-e5d5-41bd-bacd-f552bc49721e</requestId><availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName><zoneId>euw1-az1</zoneId><zoneState>avai)"
      "\xec"
      R"(able</zoneState><regionName>eu-west-1</regionName><groupName>eu-west-1</groupName><optInStatus>opt-in-not-required</optInStatus><networkBorderGroup>eu-west-1</networkBorderGroup><zoneType>availability-zone</zoneType></item></availabilityZoneInfo></DescribeAvailabilityZonesResponse>)";
  auto records = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(body));
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.error().code(), ErrorCode::malformed_response);
  EXPECT_NE(records.error().message().find("zoneState>: expected UTF-8 text, got bytes that are not UTF-8"),
            std::string::npos)
      << records.error().message();
  EXPECT_EQ(records.error().context().request_id, "ecf4136f-e5d5-41bd-bacd-f552bc49721e");
}

// The same through a character reference: pugixml writes &#xD800; (a lone
// surrogate, which XML forbids) as the three bytes ED A0 80.
TEST(FuzzRegressions, Ec2CharacterReferenceToASurrogateIsAMalformedResponse) {
  const std::string body =
      "<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName>"
      "<zoneId>euw1-az1</zoneId><zoneState>&#xD800;</zoneState></item></availabilityZoneInfo>"
      "</DescribeAvailabilityZonesResponse>";
  auto records = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(body));
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.error().code(), ErrorCode::malformed_response);
  EXPECT_NE(records.error().message().find("not UTF-8"), std::string::npos) << records.error().message();

  // Non-ASCII text that is UTF-8 stays as it is.
  const std::string fine =
      "<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item><zoneName>sa-east-1a</zoneName>"
      "<zoneId>sae1-az1</zoneId><zoneState>dispon\xc3\xadvel &#xE9;</zoneState></item></availabilityZoneInfo>"
      "</DescribeAvailabilityZonesResponse>";
  auto ok = testing::decode_with(stages::DescribeAvailabilityZonesFeed(), zones_page(fine));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(std::get<std::vector<AvailabilityZoneRecord>>(ok.value()).at(0).state, "dispon\xc3\xadvel \xc3\xa9");
}

// offer_file_fuzz: a backslash outside any string. The AVX2 scanner took it
// as escaping the quote after it, the scalar one did not, so the two failed
// at different bytes (and could cut different segments) on the same file.
// The exact input, without its two control bytes (a Savings Plans file, read
// whole).
TEST(FuzzRegressions, BackslashOutsideAStringScansAlikeInBothScanners) {
  static constexpr unsigned char kDoc[] = {
      0x7b, 0x0a, 0x20, 0x5c, 0x22, 0x70, 0x20, 0x22, 0x4a, 0x43, 0x4e, 0x46, 0x58, 0x32, 0x46, 0x36,
      0x35, 0x33, 0x44, 0x00, 0x00, 0x7d, 0x0a, 0x20, 0xff, 0xff, 0xff, 0x20, 0x20, 0x20, 0x20, 0x5d,
      0x0a, 0x20, 0x20, 0x7d, 0x0a, 0x7d, 0x0a, 0xff, 0xff, 0xff, 0x20, 0x20, 0x20, 0x20, 0x20, 0x5d,
      0x0a, 0x20, 0x20, 0x7d, 0x0a, 0x7d, 0x0a, 0x20, 0x5d, 0x0a, 0x20, 0x20, 0x7d, 0x0a, 0x7d, 0x0a};
  const std::string_view doc(reinterpret_cast<const char*>(kDoc), sizeof kDoc);
  auto split = [&](bool scalar, std::size_t chunk) {
    stages::JsonSectionSplitter splitter({{"products"}, {"terms", "savingsPlan"}}, 1024, [](stages::JsonSegment&&) {});
    if (scalar) splitter.use_scalar_scanner_for_testing();
    Result<void> r;
    for (std::size_t at = 0; at < doc.size() && r.ok(); at += chunk) r = splitter.feed(doc.substr(at, chunk));
    if (r.ok()) r = splitter.finish();
    return r;
  };
  const Result<void> simd = split(false, doc.size());
  ASSERT_FALSE(simd.ok());
  EXPECT_EQ(simd.error().code(), ErrorCode::malformed_response);
  for (std::size_t chunk : {doc.size(), std::size_t{1}, std::size_t{7}}) {
    const Result<void> scalar = split(true, chunk);
    ASSERT_FALSE(scalar.ok()) << "chunk " << chunk;
    EXPECT_EQ(scalar.error().context().offset, simd.error().context().offset) << "chunk " << chunk;
    EXPECT_EQ(scalar.error().message(), simd.error().message()) << "chunk " << chunk;
  }
}

// cache_entry_fuzz: an entry whose `size` line says 1796128209 (1.7 GB) for a
// blob of a few hundred bytes. Reading it allocated and zeroed the 1.7 GB
// before looking at the blob; a size near 2^63 threw std::length_error out
// of a backend that must never throw. Now the frames' declared sizes are
// checked first and the entry reads as a miss.
TEST(FuzzRegressions, CacheEntryClaimingMoreThanItsBlobHoldsIsAMiss) {
  const fs::path dir = testing::temp_dir("fuzz-regression-cache");
  auto disk = cache::DiskBackend::open(cache::DiskOptions{dir, 1ull << 30, 3});
  ASSERT_TRUE(disk);
  const std::string key = cache::sha256_hex("a request");
  cache::EntryMeta meta;
  meta.service = "pricing-bulk";
  meta.action = "GetOfferFile";
  meta.dataset = "price-list-file";
  for (const char* size : {"1796128209", "9223372036854775807", "18446744073709551615", "4"}) {
    auto stored = disk->put(key, meta, std::chrono::seconds(0), "an offer file");
    ASSERT_TRUE(stored);
    const fs::path entry = dir / "v1" / "entries" / key.substr(0, 2) / key;
    std::ifstream in(entry, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    std::string damaged = text.str();
    const std::string line = "\nsize " + std::to_string(stored->size) + "\n";
    const auto at = damaged.find(line);
    ASSERT_NE(at, std::string::npos);
    damaged.replace(at, line.size(), std::string("\nsize ") + size + "\n");
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << damaged;

    std::optional<cache::Hit> hit;
    EXPECT_NO_THROW(hit = disk->get(key, true)) << size;
    EXPECT_FALSE(hit) << size;
    EXPECT_FALSE(fs::exists(entry)) << "a damaged entry is dropped: " << size;
  }
  fs::remove_all(dir);
}

// get_products_fuzz: a reserved term whose effectiveDate lost a digit to a
// minus sign, "-026-10-01T00:00:00Z". from_chars read the year as -26, and
// writing the record formatted it through fmt's chrono support, whose
// conversion to nanoseconds overflows (undefined behaviour) that far from
// 1970. RFC 3339 fields are digits only; years that an offset moves out of
// 0000-9999 are written from their fields.
TEST(FuzzRegressions, TimestampFieldsAreDigitsOnly) {
  EXPECT_FALSE(parse_rfc3339("-026-10-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-10-01T-1:-1:-1Z"));
  EXPECT_FALSE(parse_rfc3339("2026-10-01T00:00:00+-1:00"));
  EXPECT_TRUE(parse_rfc3339("2026-10-01T00:00:00Z"));

  std::string out;
  append_rfc3339(out, parse_rfc3339("0000-01-01T00:30:00+01:00").value());
  EXPECT_EQ(out, "-001-12-31T23:30:00Z");
  out.clear();
  append_rfc3339(out, parse_rfc3339("9999-12-31T23:30:00-01:00").value());
  EXPECT_EQ(out, "10000-01-01T00:30:00Z");

  const std::string item =
      R"({\"product\":{\"productFamily\":\"Compute Instance\",\"attributes\":{\"regionCode\":\"eu-west-1\",\"instanceType\":\"m7g.large\",\"operatingSystem\":\"Linux\",\"tenancy\":\"Shared\",\"licenseModel\":\"No License required\",\"preInstalledSw\":\"NA\",\"capacitystatus\":\"Used\",\"usagetype\":\"EUW1-BoxUsage:m7g.large\",\"operation\":\"RunInstances\",\"marketoption\":\"OnDemand\"},\"sku\":\"SKUA\"},\"serviceCode\":\"AmazonEC2\",\"terms\":{\"OnDemand\":{\"SKUA.JRTCKXETXF\":{\"priceDimensions\":{\"SKUA.JRTCKXETXF.6YS6EN2CT7\":{\"unit\":\"Hrs\",\"rateCode\":\"SKUA.JRTCKXETXF.6YS6EN2CT7\",\"pricePerUnit\":{\"USD\":\"0.0816000000\"}}},\"sku\":\"SKUA\",\"effectiveDate\":\"-026-10-01T00:00:00Z\",\"offerTermCode\":\"JRTCKXETXF\",\"termAttributes\":{}}}},\"version\":\"v\",\"publicationDate\":\"2026-11-01T00:00:00Z\"})";
  net::Page page;
  page.request.service = "pricing";
  page.request.region = "eu-west-1";
  page.request.action = "GetProducts";
  page.http_status = 200;
  page.body = R"({"FormatVersion":"aws_v1","PriceList":[")" + item + R"("]})";
  auto records = testing::decode_with(stages::GetProductsFeed(Dataset::on_demand_prices, {}, "us-east-1"), page);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.error().code(), ErrorCode::malformed_response);
  EXPECT_NE(records.error().message().find("effectiveDate"), std::string::npos) << records.error().message();
}

// pipeline_yaml_fuzz: an anchor whose mapping merges its own alias. yaml-cpp
// builds a cycle of nodes, and converting it recursed until the stack
// overflowed; now it is a usage error naming the place.
TEST(FuzzRegressions, PipelineAliasInsideItsOwnAnchorIsAUsageError) {
  const std::string text =
      "defaults: &d {type: regions, <<: *d}\n"
      "sources:\n  s: {type: regions}\n"
      "sinks:\n  o: {type: stdout, inputs: [s]}\n";
  try {
    config::parse_pipeline_yaml(text, "cycle.yaml", [](const std::string&) { return std::nullopt; });
    ADD_FAILURE() << "parsed";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("cycle.yaml:1:"), std::string::npos) << e.what();
  }
}

// pipeline_yaml_fuzz's memory grew in its long run (to 1 GB): aliases whose
// anchors repeat aliases expand geometrically when converted. Seven levels
// of ten took 15.7 GB and 57 s before the first check; now conversion stops
// at 100,000 values with a usage error naming the place.
TEST(FuzzRegressions, PipelineAliasesOfAliasesStopAtAHundredThousandValues) {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 7; ++level) {
    const std::string below = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + below;
    text += "]\n";
  }
  text += "sources:\n  s: {type: regions}\nsinks:\n  o: {type: stdout, inputs: [s]}\n";
  try {
    config::parse_pipeline_yaml(text, "laughs.yaml", [](const std::string&) { return std::nullopt; });
    ADD_FAILURE() << "parsed";
  } catch (const FatalError& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("laughs.yaml:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("more than 100000 values"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pricepipe
