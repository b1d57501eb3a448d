// `pricepipe select` end to end against fakeaws's synthetic world: every
// answer checked against a brute-force computation over the catalog stream
// (its own filter, prices and order, written here apart from the product),
// golden table and CSV, the capacity matrix, and warm answers from the
// catalog's memos.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/fakeaws.h"
#include "tests/support/golden.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

struct Cache {
  Cache() : path(temp_dir("pricepipe-select-")) {}
  ~Cache() { fs::remove_all(path); }
  std::string path;
};

ProcessResult pricepipe(FakeAws& fake, const Cache& cache, std::vector<std::string> args,
                        std::map<std::string, std::string> env = {}) {
  ProcessOptions p;
  p.argv = {pricepipe_binary(), "--cache-dir", cache.path};
  p.argv.insert(p.argv.end(), args.begin(), args.end());
  p.env = fake.client_env();
  p.env["PRICEPIPE_NO_CACHE"] = "";  // warm answers come from the cache
  p.env["PRICEPIPE_PRICE_LIST_URL"] = fake.url();
  p.env["PRICEPIPE_SPOT_ADVISOR_URL"] = fake.url() + "/spot-advisor-data.json";
  for (auto& [k, v] : env) p.env[k] = v;
  p.timeout = std::chrono::seconds(300);
  return run_process(p);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  return out;
}

// A catalog row, as the test reads it from the stream.
struct Row {
  std::string region, type, family;
  bool current_generation = false, burstable = false;
  double vcpus = 0, memory = 0;
  std::vector<std::string> arch;
  double gpus = 0, neuron = 0;
  std::optional<std::string> gpu_model;
  std::optional<double> gpu_memory, network, storage;
  std::map<std::string, std::optional<double>> on_demand;  // by os
  std::optional<double> spot;
  std::optional<std::int64_t> band_min, band_max;
  std::size_t zones = 0;
};

std::optional<double> number(simdjson::dom::element v) {
  double d = 0;
  if (v.is_null() || v.get_double().get(d)) return std::nullopt;
  return d;
}

std::vector<Row> catalog_rows(const std::string& ndjson) {
  std::vector<Row> rows;
  simdjson::dom::parser parser;
  for (const auto& line : lines_of(ndjson)) {
    simdjson::dom::element e = parser.parse(line);
    Row r;
    r.region = std::string(e["region"].get_string().value());
    r.type = std::string(e["instance_type"].get_string().value());
    r.family = std::string(e["family"].get_string().value());
    r.current_generation = e["current_generation"].get_bool().value();
    r.burstable = e["burstable"].get_bool().value();
    r.vcpus = static_cast<double>(e["vcpus"].get_int64().value());
    r.memory = e["memory_gib"].get_double().value();
    for (auto a : e["architectures"].get_array()) r.arch.emplace_back(a.get_string().value());
    r.gpus = static_cast<double>(e["gpu_count"].get_int64().value());
    r.neuron = static_cast<double>(e["neuron_device_count"].get_int64().value());
    if (!e["gpu_model"].is_null()) r.gpu_model = std::string(e["gpu_model"].get_string().value());
    r.gpu_memory = number(e["gpu_total_memory_gib"]);
    r.network = number(e["network_baseline_gbps"]);
    r.storage = number(e["instance_storage_total_gb"]);
    for (const char* os : {"linux", "windows", "rhel", "suse"}) {
      r.on_demand[os] = number(e[std::string("on_demand_") + os]["value"]);
    }
    r.spot = number(e["spot_min"]["value"]);
    if (!e["interruption_min_pct"].is_null()) r.band_min = e["interruption_min_pct"].get_int64().value();
    if (!e["interruption_max_pct"].is_null()) r.band_max = e["interruption_max_pct"].get_int64().value();
    r.zones = e["zones"].get_array().size();
    rows.push_back(std::move(r));
  }
  return rows;
}

// What the test expects of a choice.
struct Expected {
  std::string region, type, market;
  double price = 0;
  double key = 0;
  bool has_key = true;
  std::size_t zones = 0;
};

struct Case {
  std::string name;
  std::vector<std::string> flags;
  std::function<bool(const Row&)> meets;
  std::string markets = "any";  // any, spot, on-demand
  std::string os = "linux";
  double max_price = 0;
  std::int64_t max_interruption = 100;
  std::string sort = "price";
  std::size_t top = 0;
};

bool glob(const std::string& pattern, const std::string& text) {
  // Recursive: the test's own matcher.
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (glob(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  return !text.empty() && (pattern[0] == '?' || pattern[0] == text[0]) && glob(pattern.substr(1), text.substr(1));
}

std::vector<Expected> brute_force(const std::vector<Row>& rows, const Case& c) {
  std::vector<Expected> out;
  for (const Row& r : rows) {
    if (!c.meets(r)) continue;
    auto add = [&](const std::string& market, double price, double band) {
      if (c.max_price > 0 && price > c.max_price) return;
      Expected e{r.region, r.type, market, price, price, true, r.zones};
      if (c.sort == "price-per-vcpu") e.key = price / r.vcpus;
      if (c.sort == "price-per-gib") e.key = price / r.memory;
      if (c.sort == "price-per-gpu-memory") {
        e.has_key = r.gpu_memory && *r.gpu_memory > 0;
        e.key = e.has_key ? price / *r.gpu_memory : 0;
      }
      if (c.sort == "score") e.key = band + price / (1 + price);
      out.push_back(e);
    };
    if (c.markets != "spot") {
      if (auto p = r.on_demand.at(c.os)) add("on-demand", *p, 0);
    }
    if (c.markets != "on-demand" && c.os == "linux" && r.spot) {
      if (c.max_interruption >= 100 || (r.band_max && *r.band_max <= c.max_interruption)) {
        add("spot", *r.spot, r.band_min ? std::min<double>(4, static_cast<double>(*r.band_min / 5)) : 5);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Expected& a, const Expected& b) {
    return std::make_tuple(!a.has_key, a.key, a.price, -static_cast<long>(a.zones), a.region, a.type, a.market) <
           std::make_tuple(!b.has_key, b.key, b.price, -static_cast<long>(b.zones), b.region, b.type, b.market);
  });
  if (c.top > 0 && out.size() > c.top) out.resize(c.top);
  return out;
}

bool has_arch(const Row& r, const std::string& a) { return std::find(r.arch.begin(), r.arch.end(), a) != r.arch.end(); }

std::vector<Case> cases() {
  return {
      // (the synthetic world's Graviton types have 2 vCPUs)
      {"graviton-2-16-vcpus-8gib-spot-under-10pct",
       {"--vcpus", "2..16", "--memory", "8..", "--arch", "arm64", "--market", "spot", "--max-interruption", "10"},
       [](const Row& r) { return r.vcpus >= 2 && r.vcpus <= 16 && r.memory >= 8 && has_arch(r, "arm64"); },
       "spot", "linux", 0, 10},
      {"gpu-memory-per-dollar",
       {"--gpus", "1..", "--sort", "price-per-gpu-memory"},
       [](const Row& r) { return r.gpus >= 1; }, "any", "linux", 0, 100, "price-per-gpu-memory"},
      {"neuron",
       {"--neuron", "1..", "--market", "on-demand"},
       [](const Row& r) { return r.neuron >= 1; }, "on-demand"},
      {"gpu-model-and-memory",
       {"--gpu-model", "a10g", "--gpu-memory", "24.."},
       [](const Row& r) { return r.gpu_model && *r.gpu_model == "A10G" && r.gpu_memory.value_or(0) >= 24; }},
      {"on-demand-under-20-cents",
       {"--market", "on-demand", "--max-price", "0.2"},
       [](const Row&) { return true; }, "on-demand", "linux", 0.2},
      {"families-by-score",
       {"--families", "m7*,c7*", "--exclude", "*.metal*", "--sort", "score", "--top", "10"},
       [](const Row& r) { return (glob("m7*", r.family) || glob("c7*", r.family)) && !glob("*.metal*", r.type) &&
                                 !glob("*.metal*", r.family); },
       "any", "linux", 0, 100, "score", 10},
      {"no-burstable-current-generation-per-vcpu",
       {"--burstable", "no", "--current-generation", "--memory-per-vcpu", "2..8", "--sort", "price-per-vcpu", "--top",
        "15"},
       [](const Row& r) { return !r.burstable && r.current_generation && r.memory / r.vcpus >= 2 && r.memory / r.vcpus <= 8; },
       "any", "linux", 0, 100, "price-per-vcpu", 15},
      {"instance-storage-and-network",  // (its baseline is 0.75 Gbit/s)
       {"--instance-storage", "--network", "0.5..1"},
       [](const Row& r) { return r.storage.value_or(0) > 0 && r.network && *r.network >= 0.5 && *r.network <= 1; }},
      {"windows-on-demand-per-gib",
       {"--os", "windows", "--sort", "price-per-gib"},
       [](const Row&) { return true; }, "any", "windows", 0, 100, "price-per-gib"},
      {"spot-under-5pct-by-score",
       {"--market", "spot", "--max-interruption", "5", "--sort", "score"},
       [](const Row&) { return true; }, "spot", "linux", 0, 5, "score"},
      {"two-vcpus-x86-no-t",
       {"--vcpus", "2", "--arch", "x86_64", "--exclude", "t*", "--top", "5"},
       [](const Row& r) { return r.vcpus == 2 && has_arch(r, "x86_64") && !glob("t*", r.type) && !glob("t*", r.family); },
       "any", "linux", 0, 100, "price", 5},
      // No requirement: every priced row of both markets, more than a page of the gathered answer.
      {"everything", {}, [](const Row&) { return true; }},
      {"anything-under-5-cents",
       {"--max-price", "0.05", "--vcpus", "..4"},
       [](const Row& r) { return r.vcpus <= 4; }, "any", "linux", 0.05},
  };
}

class SelectWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fake_ = new FakeAws({"--synthetic", "--synthetic-regions", "4"});
    cache_ = new Cache();
    const auto r = pricepipe(*fake_, *cache_, {"stream", "catalog", "--regions", "all"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    catalog_ = new std::vector<Row>(catalog_rows(r.out));
  }
  static void TearDownTestSuite() {
    delete catalog_;
    delete cache_;
    delete fake_;
  }
  static FakeAws* fake_;
  static Cache* cache_;
  static std::vector<Row>* catalog_;
};
FakeAws* SelectWorld::fake_ = nullptr;
Cache* SelectWorld::cache_ = nullptr;
std::vector<Row>* SelectWorld::catalog_ = nullptr;

// Every requirement set: the same choices, prices and order as the brute force.
TEST_F(SelectWorld, AnswersEqualABruteForceOverTheCatalogStream) {
  ASSERT_GT(catalog_->size(), 100u);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"select", "--regions", "all", "--format", "ndjson"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const auto r = pricepipe(*fake_, *cache_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto expected = brute_force(*catalog_, c);
    EXPECT_FALSE(expected.empty()) << "a requirement set that chooses nothing proves little";
    if (c.name == "everything") {
      EXPECT_GT(expected.size(), 2048u) << "the answer spans pages";
    }
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), expected.size()) << r.out.substr(0, 2000);
    simdjson::dom::parser parser;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      simdjson::dom::element e = parser.parse(lines[i]);
      EXPECT_EQ(e["rank"].get_int64().value(), static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(e["region"].get_string().value(), expected[i].region) << "row " << i;
      EXPECT_EQ(e["instance_type"].get_string().value(), expected[i].type) << "row " << i;
      EXPECT_EQ(e["market"].get_string().value(), expected[i].market) << "row " << i;
      EXPECT_DOUBLE_EQ(e["price"].get_double().value(), expected[i].price) << "row " << i;
      EXPECT_EQ(e["os"].get_string().value(), c.os);
    }
    EXPECT_NE(r.err.find("(100% cached"), std::string::npos) << "warm: every answer from the cache\n" << r.err;
  }
}

// Warm answers come from the catalog's memos (one hit per region, each
// region's lines read by the transform itself) and equal an answer from
// records joined from the pages.
TEST_F(SelectWorld, WarmAnswerFromTheMemosEqualsOneJoinedAgain) {
  const std::vector<std::string> args = {"select", "--regions", "all", "--gpus", "1..", "--format", "ndjson"};
  auto memo_hits = [](const std::string& metrics_file) {
    std::ifstream in(metrics_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    simdjson::dom::parser parser;
    std::int64_t hits = 0;
    for (simdjson::dom::element a : parser.parse(text)["actions"].get_array()) {
      if (a["action"].get_string().value() == "CatalogRegion") hits = a["cache_hits"].get_int64().value();
    }
    return hits;
  };
  Cache metrics;  // (a directory of its own, not the cache's)
  auto with_metrics = [&](const Cache& cache, const std::string& name) {
    auto a = args;
    a.insert(a.begin(), {"--metrics-out", metrics.path + "/" + name});
    return pricepipe(*fake_, cache, a);
  };
  const auto from_memo = with_metrics(*cache_, "memo.json");
  ASSERT_EQ(from_memo.exit_code, 0) << from_memo.err;
  EXPECT_EQ(memo_hits(metrics.path + "/memo.json"),
            static_cast<std::int64_t>(fake_->parsed_world().enabled_regions.size()))
      << "every enabled region of the world from its memo";
  Cache other;
  const auto joined = with_metrics(other, "joined.json");
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_EQ(memo_hits(metrics.path + "/joined.json"), 0) << "an empty cache has no memo";
  EXPECT_EQ(from_memo.out, joined.out);
  EXPECT_FALSE(from_memo.out.empty());
}

// Break-even of spot against each price, from the catalog row's own numbers.
TEST_F(SelectWorld, BreakEvenIsComputedFromTheCatalogRowsPrices) {
  const auto r = pricepipe(*fake_, *cache_, {"select", "--regions", "all", "--market", "spot", "--explain-cost", "--format",
                                             "ndjson", "--top", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto catalog = pricepipe(*fake_, *cache_, {"stream", "catalog", "--regions", "all"});
  simdjson::dom::parser choice_parser, row_parser;
  std::map<std::pair<std::string, std::string>, std::string> rows;
  for (const auto& line : lines_of(catalog.out)) {
    simdjson::dom::element e = row_parser.parse(line);
    rows[{std::string(e["region"].get_string().value()), std::string(e["instance_type"].get_string().value())}] = line;
  }
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 20u);
  int checked = 0;
  for (const auto& line : lines) {
    simdjson::dom::element c = choice_parser.parse(line);
    const std::string region(c["region"].get_string().value()), type(c["instance_type"].get_string().value());
    simdjson::dom::parser p;
    simdjson::dom::element row = p.parse(rows.at({region, type}));
    const double spot = row["spot_min"]["value"].get_double().value();
    EXPECT_DOUBLE_EQ(c["spot_hourly"].get_double().value(), spot);
    const std::pair<const char*, const char*> against[] = {
        {"on_demand_linux", "on_demand"},
        {"reserved_1yr_effective_hourly", "reserved_1yr"},
        {"reserved_3yr_effective_hourly", "reserved_3yr"},
        {"savings_plan_1yr_rate", "savings_plan_1yr"},
        {"savings_plan_3yr_rate", "savings_plan_3yr"}};
    for (const auto& [catalog_field, name] : against) {
      const auto rate = number(row[catalog_field]["value"]);
      const auto pct = number(c[std::string("break_even_vs_") + name + "_pct"]);
      if (!rate) {
        EXPECT_FALSE(pct) << type << " " << name;
        continue;
      }
      const double hand = std::max(0.0, 100.0 * (1.0 - spot / *rate));
      ASSERT_TRUE(pct) << type << " " << name;
      EXPECT_NEAR(*pct, hand, 1e-9) << type << " " << name;
      const std::string band = hand < 5 ? "<5%" : hand < 10 ? "5-10%" : hand < 15 ? "10-15%" : hand < 20 ? "15-20%" : ">20%";
      EXPECT_EQ(c[std::string("spot_stops_paying_vs_") + name].get_string().value(), band) << type << " " << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 40) << "most chosen types have on-demand and commitment prices";
}

// The capacity matrix: per region, the chosen types by the zones, each cell
// the zone's spot price, `-` where the zone does not offer the type.
TEST_F(SelectWorld, MatrixShowsEachZonesSpotPriceAndMarksZonesThatDoNotOfferTheType) {
  const auto r = pricepipe(*fake_, *cache_, {"select", "--regions", "us-east-1", "--gpus", "1..", "--neuron", "0",
                                             "--market", "spot", "--matrix"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = pricepipe(*fake_, *cache_, {"select", "--regions", "us-east-1", "--gpus", "1..", "--neuron", "0",
                                                "--market", "spot", "--format", "ndjson"});
  const auto lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("us-east-1: current spot price", 0), 0u) << lines[0];
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos) << "no colour when stdout is not a terminal";
  // The header: the type, then the zones.
  std::vector<std::string> header;
  {
    std::istringstream in(lines[1]);
    for (std::string w; in >> w;) header.push_back(w);
  }
  ASSERT_EQ(header[0], "instance_type");
  simdjson::dom::parser parser;
  const auto choices = lines_of(json.out);
  ASSERT_EQ(lines.size(), 2 + choices.size());
  bool marked = false;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    simdjson::dom::element c = parser.parse(choices[i]);
    std::vector<std::string> cells;
    std::istringstream in(lines[2 + i]);
    for (std::string w; in >> w;) cells.push_back(w);
    ASSERT_EQ(cells.size(), header.size()) << lines[2 + i];
    EXPECT_EQ(cells[0], c["instance_type"].get_string().value());
    for (std::size_t z = 1; z < header.size(); ++z) {
      simdjson::dom::element price;
      if (c["spot_price_by_zone"][header[z]].get(price) == simdjson::SUCCESS) {
        EXPECT_DOUBLE_EQ(std::stod(cells[z]), price.get_double().value()) << header[z];
      } else {
        bool offered = false;
        for (auto zone : c["zones"].get_array()) offered |= zone.get_string().value() == header[z];
        EXPECT_EQ(cells[z], offered ? "n/a" : "-") << header[z];
        marked |= !offered;
      }
    }
  }
  const auto colour = pricepipe(*fake_, *cache_, {"select", "--regions", "us-east-1", "--gpus", "1..", "--neuron", "0",
                                                  "--market", "spot", "--matrix", "--color", "always"});
  EXPECT_NE(colour.out.find("\x1b[32m"), std::string::npos) << "the cheapest zone in green";
  EXPECT_TRUE(marked) << "the world leaves some types out of some zones (a fifth of the pairs): none was marked";
}

// A requirement that is not a range is refused before anything is sent, naming the flag.
TEST_F(SelectWorld, BadRangeIsAUsageErrorNamingTheFlag) {
  const auto r = pricepipe(*fake_, *cache_, {"select", "--vcpus", "16..4"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--vcpus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("low end is above its high end"), std::string::npos) << r.err;
  const auto columns = pricepipe(*fake_, *cache_, {"select", "--format", "ndjson", "--columns", "region"});
  EXPECT_EQ(columns.exit_code, 2) << columns.err;
  EXPECT_NE(columns.err.find("columns are those of a csv or a table"), std::string::npos) << columns.err;
  const auto spot_windows = pricepipe(*fake_, *cache_, {"select", "--market", "spot", "--os", "windows"});
  EXPECT_EQ(spot_windows.exit_code, 2) << spot_windows.err;
  EXPECT_NE(spot_windows.err.find("Linux/UNIX"), std::string::npos) << spot_windows.err;
}

// The small world of the catalog's golden, answered as a table, with
// --explain-cost, and as CSV: exact bytes.
TEST(Select, GoldenTablesAndCsvOfTheSmallWorld) {
  FakeAws fake({"--synthetic", "--synthetic-regions", "3"});
  Cache cache;
  const std::vector<std::string> small = {"select", "--regions", "eu-west-1,us-east-1", "--instance-types",
                                          "t4g.small,m5.large,c5v3.xlarge,g5.xlarge,u-3tb1.56xlarge,i4iv7.xlarge",
                                          "--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T12:00:00Z"};
  auto with = [&](std::vector<std::string> more) {
    auto args = small;
    args.insert(args.end(), more.begin(), more.end());
    const auto r = pricepipe(fake, cache, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  expect_golden("select_small_world.table", with({"--format", "table"}));
  expect_golden("select_small_world_cost.table", with({"--format", "table", "--explain-cost", "--market", "spot"}));
  expect_golden("select_small_world.csv", with({"--format", "csv", "--sort", "score"}));
}

}  // namespace
}  // namespace pricepipe::testing
