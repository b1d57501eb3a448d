// The select transform on hand-made catalog rows: requirements, markets,
// the score, break-even against hand-computed numbers, the order and the
// top N; and NDJSON read back into records (what a memo's rows go through).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "stages/sinks/ndjson_format.h"
#include "stages/transforms/record_reader.h"
#include "stages/transforms/select_transform.h"
#include "tests/support/process.h"

namespace pricepipe::stages {
namespace {

Price price(double v) {
  Price p;
  p.value = v;
  p.source = "bulk";
  return p;
}

CatalogRecord row(std::string region, std::string type, std::int64_t vcpus, double memory, double on_demand,
                  std::optional<double> spot, std::optional<std::int64_t> band_min = std::nullopt) {
  CatalogRecord r;
  r.region = std::move(region);
  r.instance_type = std::move(type);
  r.family = r.instance_type.substr(0, r.instance_type.find('.'));
  r.vcpus = vcpus;
  r.memory_gib = memory;
  r.architectures = {"x86_64"};
  r.current_generation = true;
  r.zones = {r.region + "a", r.region + "b"};
  r.on_demand_linux = price(on_demand);
  r.on_demand_windows = Price::missing("no Windows");
  if (spot) {
    r.spot_min = price(*spot);
    r.spot_price_by_zone = {{r.region + "a", *spot}, {r.region + "b", *spot + 0.01}};
  } else {
    r.spot_min = Price::missing("no spot");
  }
  if (band_min) {
    r.interruption_min_pct = *band_min;
    r.interruption_max_pct = *band_min == 20 ? 100 : *band_min + 5;
    r.interruption_band = *band_min == 0 ? "<5%" : *band_min == 20 ? ">20%" : "x";
  }
  return r;
}

std::vector<ChoiceRecord> run(const SelectOptions& o, std::vector<CatalogRecord> rows) {
  auto t = bind_select(o, Dataset::catalog);
  EXPECT_TRUE(t.ok());
  RecordVector records = std::move(rows);
  (*t)->apply(records);
  EXPECT_TRUE((*t)->gathers());
  (*t)->finish(records);
  return std::get<std::vector<ChoiceRecord>>(records);
}

TEST(SelectTransform, BreakEvenAgainstEachRateAndTheBandWhereSpotStopsPaying) {
  CatalogRecord r = row("us-east-1", "m7i.large", 2, 8, 0.10, 0.09, 0);
  r.reserved_1yr_effective_hourly = price(0.095);
  r.reserved_3yr_effective_hourly = price(0.08);
  r.savings_plan_1yr_rate = price(0.0925);
  r.savings_plan_3yr_rate = price(0.12);
  SelectOptions o;
  o.market = "spot";
  const auto out = run(o, {r});
  ASSERT_EQ(out.size(), 1u);
  const ChoiceRecord& c = out[0];
  // 1 - 0.09 / R, in percent, by hand.
  EXPECT_NEAR(*c.break_even_vs_on_demand_pct, 10.0, 1e-9);
  EXPECT_NEAR(*c.break_even_vs_reserved_1yr_pct, 100.0 * (1 - 0.09 / 0.095), 1e-9);  // 5.263%
  EXPECT_EQ(*c.break_even_vs_reserved_3yr_pct, 0.0);  // spot is dearer: it never pays
  EXPECT_NEAR(*c.break_even_vs_savings_plan_1yr_pct, 100.0 * (1 - 0.09 / 0.0925), 1e-9);  // 2.703%
  EXPECT_NEAR(*c.break_even_vs_savings_plan_3yr_pct, 25.0, 1e-9);
  EXPECT_EQ(*c.spot_stops_paying_vs_on_demand, "10-15%");
  EXPECT_EQ(*c.spot_stops_paying_vs_reserved_1yr, "5-10%");
  EXPECT_EQ(*c.spot_stops_paying_vs_reserved_3yr, "<5%");
  EXPECT_EQ(*c.spot_stops_paying_vs_savings_plan_1yr, "<5%");
  EXPECT_EQ(*c.spot_stops_paying_vs_savings_plan_3yr, ">20%");
  EXPECT_EQ(c.price, 0.09);
  EXPECT_EQ(*c.cheapest_zone, "us-east-1a");
  EXPECT_EQ(c.spot_zones, 2);
}

TEST(SelectTransform, ScoreIsTheBandFirstThenThePrice) {
  SelectOptions o;
  o.market = "spot";
  o.sort = "score";
  const auto out = run(o, {row("r", "a.large", 2, 8, 1, 0.30, 0), row("r", "b.large", 2, 8, 1, 0.05, 10),
                           row("r", "c.large", 2, 8, 1, 0.01, std::nullopt), row("r", "d.large", 2, 8, 1, 0.20, 0)});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].instance_type, "d.large");  // band 0, cheaper
  EXPECT_EQ(out[1].instance_type, "a.large");  // band 0
  EXPECT_EQ(out[2].instance_type, "b.large");  // band 2 (10-15%)
  EXPECT_EQ(out[3].instance_type, "c.large");  // no advisor entry: last, however cheap
  EXPECT_EQ(out[0].score_band, 0);
  EXPECT_NEAR(out[0].score, 0.20 / 1.20, 1e-12);
  EXPECT_EQ(out[2].score_band, 2);
  EXPECT_EQ(out[3].score_band, 5);
  EXPECT_EQ(out[3].rank, 4);
}

TEST(SelectTransform, MissingPricesAreNoChoiceAndLimitsApplyPerMarket) {
  SelectOptions o;  // market any
  o.max_interruption = 10;
  o.max_price = 0.5;
  const auto out = run(o, {row("r", "a.large", 2, 8, 0.4, std::nullopt), row("r", "b.large", 2, 8, 0.6, 0.1, 20),
                           row("r", "c.large", 2, 8, 0.3, 0.2, 5), row("r", "d.large", 2, 8, 0.2, 0.1)});
  std::vector<std::string> got;
  for (const auto& c : out) got.push_back(c.instance_type + "/" + c.market);
  // a: no spot price; b: on-demand over the limit, spot over 10%; d: spot without an advisor entry.
  EXPECT_EQ(got, (std::vector<std::string>{"c.large/spot", "d.large/on-demand", "c.large/on-demand", "a.large/on-demand"}));
  SelectOptions windows;
  windows.os = "windows";
  EXPECT_TRUE(run(windows, {row("r", "a.large", 2, 8, 0.4, 0.1, 0)}).empty()) << "no Windows price, and spot is Linux";
}

TEST(SelectTransform, RangesSetsAndPatterns) {
  std::string why;
  auto r = parse_range("4..16", why);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(4) && r->contains(16) && !r->contains(3) && !r->contains(17));
  EXPECT_TRUE(parse_range("16..", why)->contains(1e9));
  EXPECT_FALSE(parse_range("..8", why)->contains(9));
  EXPECT_TRUE(parse_range("2", why)->contains(2));
  EXPECT_FALSE(parse_range("2", why)->contains(2.5));
  EXPECT_FALSE(parse_range("..", why));
  EXPECT_FALSE(parse_range("a..3", why));
  EXPECT_NE(why.find("'a'"), std::string::npos) << why;
  EXPECT_FALSE(parse_range("8..4", why));

  SelectOptions o;
  o.market = "on-demand";
  o.vcpus = "4..";
  o.families = {"m7*"};
  o.exclude = {"*.metal"};
  o.top = 2;
  o.sort = "price-per-vcpu";
  const auto out = run(o, {row("r", "m7i.xlarge", 4, 16, 0.2, 0.1), row("r", "m7i.metal", 96, 384, 4, 2),
                           row("r", "m7g.2xlarge", 8, 32, 0.3, 0.1), row("r", "c7i.xlarge", 4, 8, 0.1, 0.05),
                           row("r", "m7i.large", 2, 8, 0.1, 0.05), row("r", "m7a.4xlarge", 16, 64, 1.6, 0.5)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].instance_type, "m7g.2xlarge");  // 0.0375 per vCPU
  EXPECT_EQ(out[1].instance_type, "m7i.xlarge");   // 0.05
  EXPECT_EQ(out[1].rank, 2);
}

// A warm answer reads the memo's lines itself: the same choices as from the records.
TEST(SelectTransform, ChoicesFromCatalogLinesEqualThoseFromTheirRecords) {
  std::ifstream in(testing::source_dir() + "/tests/pipelines/golden/catalog_small_world.ndjson", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string lines = text.str();
  for (const char* market : {"any", "spot", "on-demand"}) {
    SelectOptions o;
    o.market = market;
    o.sort = "score";
    auto t = bind_select(o, Dataset::catalog);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE((*t)->reads_ndjson());
    auto records = read_ndjson(Dataset::catalog, lines);
    ASSERT_TRUE(records.ok());
    (*t)->apply(*records);
    (*t)->finish(*records);
    RecordVector from_lines;
    ASSERT_TRUE((*t)->apply_ndjson(lines, from_lines).ok());
    (*t)->finish(from_lines);
    std::string a, b;
    append_ndjson(a, *records);
    append_ndjson(b, from_lines);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, b) << market;
  }
  // A line that is not a catalog row is an error, not an empty answer.
  SelectOptions o;
  RecordVector out;
  EXPECT_FALSE((*bind_select(o, Dataset::catalog))->apply_ndjson("{\"region\":\"r\"}\n", out).ok());
}

TEST(SelectTransform, ReadsOnlyTheCatalog) {
  SelectOptions o;
  auto t = bind_select(o, Dataset::spot_prices);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("select reads the catalog"), std::string::npos);
}

// The catalog's golden NDJSON read into records writes the same bytes again.
TEST(RecordReader, CatalogLinesReadBackWriteTheSameBytes) {
  std::ifstream in(testing::source_dir() + "/tests/pipelines/golden/catalog_small_world.ndjson", std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto records = read_ndjson(Dataset::catalog, text.str());
  ASSERT_TRUE(records.ok()) << records.error().message();
  EXPECT_EQ(size_of(*records), 11u);
  std::string again;
  append_ndjson(again, *records);
  EXPECT_EQ(again, text.str());
}

TEST(RecordReader, AFieldOfTheWrongTypeNamesTheLineAndTheField) {
  auto records = read_ndjson(Dataset::regions, "{\"region\":\"a\"}\n{\"region\":3}\n");
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message().find("record line 1"), std::string::npos) << records.error().message();
  auto wrong = read_ndjson(Dataset::catalog, "[1]\n");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("not a JSON object"), std::string::npos) << wrong.error().message();
}

}  // namespace
}  // namespace pricepipe::stages
