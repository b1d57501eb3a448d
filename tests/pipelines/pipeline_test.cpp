// Pipelines end to end against fakeaws: `pricepipe run FILE.yaml` prints the
// bytes `pricepipe stream` prints for every dataset, the shipped pipelines
// run, several sinks share one fetch, `explain` sends nothing, and a broken
// pipeline file is refused before any request, naming its line and column.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/dataset.h"
#include "stages/transforms/price_list_product.h"
#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

FakeAws small_world() { return FakeAws({"--synthetic", "--synthetic-regions", "3"}); }

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::size_t count_of(const std::vector<std::string>& log, const std::string& action) {
  return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), [&](const std::string& l) {
    return l.rfind(action + " ", 0) == 0 || l == action;
  }));
}

// A dataset's options, written once: as flags for `stream` and as keys of a pipeline file.
struct Case {
  std::string dataset;
  std::vector<std::pair<std::string, std::string>> options;  // a value with commas is a list

  std::vector<std::string> stream_args() const {
    std::vector<std::string> args = {"stream", dataset};
    for (const auto& [key, value] : options) {
      std::string flag = "--" + key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      args.push_back(flag);
      args.push_back(value);
    }
    return args;
  }

  std::string yaml() const {
    std::string out = "# the pipeline `pricepipe " + dataset + " ...` builds\nsources:\n  " + dataset + ":\n    type: " + dataset + "\n";
    for (const auto& [key, value] : options) {
      out += "    " + key + ": ";
      if (value.find(',') == std::string::npos) {
        out += "\"" + value + "\"\n";
        continue;
      }
      // A list, written as a YAML sequence.
      out += "[";
      std::size_t start = 0;
      for (;;) {
        const auto comma = value.find(',', start);
        out += "\"" + value.substr(start, comma - start) + "\"";
        if (comma == std::string::npos) break;
        out += ", ";
        start = comma + 1;
      }
      out += "]\n";
    }
    return out + "sinks:\n  stdout:\n    type: stdout\n    inputs: [" + dataset + "]\n";
  }
};

constexpr const char* kSince = "2026-11-20T00:00:00Z";
constexpr const char* kUntil = "2026-11-21T12:00:00Z";

const std::vector<Case>& every_dataset() {
  static const std::vector<Case> cases = {
      {"regions", {}},
      {"availability-zones", {{"regions", "all"}}},
      {"instance-types", {{"regions", "all"}, {"instance_types", "m5.*,c5.*"}}},
      {"instance-type-offerings", {{"regions", "eu-west-1"}}},
      {"on-demand-prices", {{"regions", "eu-west-1"}, {"price_source", "bulk"}, {"os", "linux"}}},
      {"reserved-prices", {{"regions", "eu-west-1"}, {"instance_types", "m5.large,c5.large"}}},
      {"savings-plans-rates", {{"regions", "eu-west-1,us-east-1"}, {"instance_types", "m5.*"}}},
      {"spot-prices", {{"regions", "all"}, {"since", kSince}, {"until", kUntil}}},
      {"spot-advisor", {{"regions", "all"}, {"os", "linux"}}},
      {"catalog", {{"regions", "all"}, {"since", kSince}, {"until", kUntil}}},
  };
  return cases;
}

TEST(Pipelines, RunPrintsTheBytesStreamPrintsForEveryDataset) {
  FakeAws fake = small_world();
  const std::string dir = temp_dir("pipelines");
  std::set<std::string> covered;
  for (const Case& c : every_dataset()) {
    SCOPED_TRACE(c.dataset);
    const auto streamed = fake.pricepipe(c.stream_args());
    ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
    ASSERT_FALSE(streamed.out.empty());
    const auto ran = fake.pricepipe({"run", write_file(dir, c.dataset + ".yaml", c.yaml())});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, streamed.out) << c.yaml();
    covered.insert(c.dataset);
  }
  for (const auto& d : all_datasets()) {
    if (!d.fetched) continue;
    EXPECT_TRUE(covered.count(std::string(d.name))) << d.name << " is not covered";
  }
}

// Every dataset as a table: a header, a rule, then a line per record of
// its NDJSON, each as many columns as the header (its cells aligned).
TEST(Pipelines, EveryDatasetStreamsAsATable) {
  FakeAws fake = small_world();
  for (const Case& c : every_dataset()) {
    SCOPED_TRACE(c.dataset);
    const auto streamed = fake.pricepipe(c.stream_args());
    ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
    auto args = c.stream_args();
    args.insert(args.end(), {"--format", "table"});
    const auto table = fake.pricepipe(args);
    ASSERT_EQ(table.exit_code, 0) << table.err;
    const auto lines = lines_of(table.out);
    ASSERT_EQ(lines.size(), lines_of(streamed.out).size() + 2);
    EXPECT_EQ(lines[1].find_first_not_of("- "), std::string::npos) << lines[1];
    EXPECT_EQ(lines[0].rfind("region", 0), 0u) << lines[0];
    // The rule's dashes mark where each column is: every line has its cells there, or a blank.
    for (std::size_t i = 2; i < lines.size(); ++i) {
      for (std::size_t at = lines[1].find("  "); at != std::string::npos && at < lines[i].size();
           at = lines[1].find("  ", at + 2)) {
        EXPECT_EQ(lines[i].substr(at, 2), "  ") << "line " << i << " spills over a column at " << at << ": " << lines[i];
      }
    }
  }
}

TEST(Pipelines, ExplainPrintsThePipelineAStreamCommandBuilds) {
  FakeAws fake = small_world();
  const Case c = every_dataset()[2];
  const auto explained = fake.pricepipe([&] {
    auto args = c.stream_args();
    args.insert(args.begin(), "explain");
    return args;
  }());
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_TRUE(fake.requests() == "[]") << fake.requests();
  const auto at = explained.out.find("the same pipeline as a file");
  ASSERT_NE(at, std::string::npos) << explained.out;
  const std::string yaml = explained.out.substr(explained.out.find('\n', at) + 1);
  const auto ran = fake.pricepipe({"run", write_file(temp_dir("explained"), "p.yaml", yaml)});
  ASSERT_EQ(ran.exit_code, 0) << ran.err << yaml;
  EXPECT_EQ(ran.out, fake.pricepipe(c.stream_args()).out);
}

TEST(Pipelines, SeveralSinksShareOneFetch) {
  FakeAws fake = small_world();
  const std::string dir = temp_dir("two-sinks");
  const std::string yaml = std::string(R"(# the catalog on stdout, and two of the datasets it is joined from in files
sources:
  catalog:
    type: catalog
    regions: all
    instance_types: ["m5.*", "c5.*"]
    since: ")") + kSince + R"("
    until: ")" + kUntil + R"("
  types:
    type: instance-types
    regions: all
    instance_types: ["m5.*", "c5.*"]
  prices:
    type: on-demand-prices
    regions: eu-west-1
    price_source: bulk
    os: [linux, windows]
sinks:
  out:
    type: stdout
    inputs: [catalog]
  types_file:
    type: file
    inputs: [types]
    path: )" + dir + R"(/types.ndjson
  prices_file:
    type: file
    inputs: [prices]
    path: )" + dir + R"(/prices.ndjson
)";
  const auto ran = fake.pricepipe({"run", write_file(dir, "p.yaml", yaml)});
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  const std::vector<std::string> log = fake.request_lines();
  std::map<std::string, int> seen;
  for (const auto& line : log) EXPECT_EQ(++seen[line], 1) << "fetched twice: " << line;
  EXPECT_GT(count_of(log, "DescribeInstanceTypes"), 0u);

  // What each sink wrote is what each dataset streamed alone gives.
  fake.clear_requests();
  const auto catalog = fake.pricepipe({"stream", "catalog", "--regions", "all", "--instance-types", "m5.*,c5.*",
                                       "--since", kSince, "--until", kUntil});
  const std::vector<std::string> catalog_log = fake.request_lines();
  fake.clear_requests();
  const auto types = fake.pricepipe({"stream", "instance-types", "--regions", "all", "--instance-types", "m5.*,c5.*"});
  const std::vector<std::string> types_log = fake.request_lines();
  const auto prices =
      fake.pricepipe({"stream", "on-demand-prices", "--regions", "eu-west-1", "--price-source", "bulk", "--os", "linux,windows"});
  EXPECT_EQ(ran.out, catalog.out);
  EXPECT_EQ(read_file(dir + "/types.ndjson"), types.out);
  EXPECT_EQ(read_file(dir + "/prices.ndjson"), prices.out);
  EXPECT_FALSE(fs::exists(dir + "/types.ndjson.partial"));
  // The instance-type pages two nodes read, and the offer file two nodes
  // read, were fetched once: as many times as by the catalog alone.
  EXPECT_EQ(count_of(log, "DescribeInstanceTypes"), count_of(catalog_log, "DescribeInstanceTypes"));
  EXPECT_EQ(count_of(log, "DescribeInstanceTypes"), count_of(types_log, "DescribeInstanceTypes"));
  EXPECT_EQ(count_of(log, "GetOfferFile"), count_of(catalog_log, "GetOfferFile"));
}

TEST(Pipelines, ExplainSendsNothingAndCountsWhatTheCacheHolds) {
  FakeAws fake = small_world();
  const std::string cache = temp_dir("explain-cache");
  const std::map<std::string, std::string> cached = {{"PRICEPIPE_NO_CACHE", ""}, {"PRICEPIPE_CACHE_DIR", cache}};
  const std::string pipeline = source_dir() + "/pipelines/catalog.yaml";

  const auto cold = fake.pricepipe({"explain", pipeline}, cached);
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(fake.requests(), "[]");
  for (const char* part : {"pipeline", "source     catalog", "sink       stdout", "graph (one flow graph)", "page credits",
                           "join", "write", "feeds", "ec2 DescribeRegions", "requests", "not planned yet"}) {
    EXPECT_NE(cold.out.find(part), std::string::npos) << part << " in\n" << cold.out;
  }

  ASSERT_EQ(fake.pricepipe({"run", pipeline}, cached).exit_code, 0);
  fake.clear_requests();
  const auto warm = fake.pricepipe({"explain", pipeline}, cached);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_EQ(fake.requests(), "[]");
  const World world = fake.parsed_world();
  const std::string regions = std::to_string(world.enabled_regions.size());
  EXPECT_NE(warm.out.find("catalog: " + regions + " regions, " + regions + " from memos"), std::string::npos) << warm.out;
  EXPECT_EQ(warm.out.find("not planned yet"), std::string::npos) << warm.out;
}

TEST(Pipelines, ShippedPipelinesRun) {
  FakeAws fake = small_world();
  const std::string shipped = source_dir() + "/pipelines/";

  // The catalog carries the spot price in effect now, and fakeaws's prices
  // change every six hours: two runs that straddle a change differ, so a
  // pair that did is run again (at most once: the next change is hours away).
  const auto six_hours = [] {
    return std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()).time_since_epoch().count() / 6;
  };
  auto same_as_stream = [&](const std::map<std::string, std::string>& env, const std::string& regions) {
    for (int attempt = 0;; ++attempt) {
      const auto before = six_hours();
      const auto run = fake.pricepipe({"run", shipped + "catalog.yaml"}, env);
      const auto stream = fake.pricepipe({"stream", "catalog", "--regions", regions});
      if (six_hours() != before && attempt == 0) continue;
      ASSERT_EQ(run.exit_code, 0) << run.err;
      EXPECT_EQ(run.out, stream.out);
      return;
    }
  };
  same_as_stream({}, "all");
  same_as_stream({{"REGIONS", "eu-west-1"}}, "eu-west-1");  // ${REGIONS} narrows it

  const std::string out = temp_dir("prices");
  fake.clear_requests();
  const auto prices = fake.pricepipe({"run", shipped + "prices-all-regions.yaml"}, {{"OUT", out}});
  ASSERT_EQ(prices.exit_code, 0) << prices.err;
  const std::vector<std::string> log = fake.request_lines();
  for (const char* dataset : {"on-demand-prices", "reserved-prices", "savings-plans-rates"}) {
    SCOPED_TRACE(dataset);
    const std::string written = read_file(out + "/" + dataset + ".ndjson");
    EXPECT_FALSE(written.empty());
    EXPECT_EQ(written, fake.pricepipe({"stream", dataset, "--regions", "all", "--price-source", "bulk"}).out);
  }
  // One download per offer file, on-demand and reserved alike.
  std::map<std::string, int> downloads;
  for (const auto& line : log) {
    if (line.rfind("GetOfferFile", 0) == 0) {
      EXPECT_EQ(++downloads[line], 1) << line;
    }
  }

  const std::string spot = temp_dir("spot");
  const auto watch = fake.pricepipe({"run", shipped + "gpu-spot-watch.yaml"}, {{"OUT", spot}});
  ASSERT_EQ(watch.exit_code, 0) << watch.err;
  const auto rows = lines_of(read_file(spot + "/gpu-spot-prices.ndjson"));
  EXPECT_FALSE(rows.empty());
  stages::PriceFilter accelerated;
  accelerated.instance_types = {"g*", "p*", "inf*", "trn*"};
  simdjson::dom::parser parser;
  std::set<std::string> families;
  for (const auto& row : rows) {
    simdjson::dom::element r = parser.parse(row);
    const std::string type(r["instance_type"].get_string().value());
    EXPECT_TRUE(accelerated.keeps_product("", type, "", "")) << type;
    families.insert(type.substr(0, type.find('.')));
  }
  EXPECT_GT(families.size(), 1u);
  EXPECT_FALSE(fs::exists(spot + "/gpu-spot-prices.ndjson.partial"));

  // The shipped select pipeline is `pricepipe select` with the flags its comment names
  // (the synthetic world's Graviton types have 2 vCPUs).
  const std::string choices = temp_dir("choices");
  const auto chosen = fake.pricepipe({"run", shipped + "spot-choices.yaml"},
                                     {{"OUT", choices}, {"TOP", "5"}, {"VCPUS", "2..16"}, {"MEMORY", "8.."}});
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  const std::string csv = read_file(choices + "/spot-choices.csv");
  EXPECT_EQ(lines_of(csv).size(), 6u) << csv;
  EXPECT_EQ(csv, fake.pricepipe({"select", "--regions", "all", "--vcpus", "2..16", "--memory", "8..", "--arch", "arm64",
                                 "--market", "spot", "--max-interruption", "10", "--sort", "score", "--top", "5",
                                 "--format", "csv"})
                     .out);
}

// A broken pipeline file: exit 2, the file, line and column, no request sent.
struct Broken {
  std::string name;
  std::string yaml;
  std::string expected;  ///< what the error says after "FILE:"
};

TEST(Pipelines, ABrokenFileIsRefusedBeforeAnyRequestNamingLineAndColumn) {
  FakeAws fake = small_world();
  const std::string dir = temp_dir("broken");
  const std::string sink = "sinks:\n  out:\n    type: stdout\n    inputs: [catalog]\n";
  const std::vector<Broken> cases = {
      {"unknown-key", "sources:\n  catalog:\n    type: catalog\n    instnace_types: m5.*\n" + sink,
       "4:5: source 'catalog' (type catalog) has no option 'instnace_types'; did you mean 'instance_types'?"},
      {"wrong-type", "sources:\n  catalog:\n    type: catalog\n    concurrent_regions: many\n" + sink,
       "4:25: concurrent_regions: expected an integer, got 'many'"},
      {"out-of-range", "sources:\n  catalog:\n    type: catalog\n    concurrent_regions: 0\n" + sink,
       "4:25: concurrent_regions: must be between 1 and 64, got 0"},
      {"bad-choice", "sources:\n  p:\n    type: on-demand-prices\n    os: [linux, windoze]\nsinks:\n  out: {type: stdout, inputs: [p]}\n",
       "4:17: os: 'windoze' is not one of linux, windows, rhel, rhel-ha, suse, ubuntu-pro (did you mean 'windows'?)"},
      {"unknown-input", "sources:\n  catalog:\n    type: catalog\nsinks:\n  out:\n    type: stdout\n    inputs: [catalgo]\n",
       "7:14: sink 'out' reads 'catalgo', which is not a source or transform; did you mean 'catalog'?"},
      {"cycle",
       "sources:\n  catalog:\n    type: catalog\ntransforms:\n  a:\n    type: filter\n    inputs: [catalog, b]\n"
       "    where: [\"gpu_count >= 1\"]\n  b:\n    type: filter\n    inputs: [a]\n    where: [\"vcpus > 2\"]\n"
       "sinks:\n  out:\n    type: stdout\n    inputs: [a]\n",
       "a cycle: a → b → a"},
      {"sink-without-input", "sources:\n  catalog:\n    type: catalog\nsinks:\n  out:\n    type: stdout\n",
       "5:3: sink 'out' has no inputs"},
      {"unknown-type", "sources:\n  catalog:\n    type: catlog\n" + sink,
       "3:11: source 'catalog' has an unknown type 'catlog'; did you mean 'catalog'?"},
      {"type-in-wrong-section", "sources:\n  catalog:\n    type: stdout\n" + sink,
       "3:11: 'stdout' is a sink type, not a source type: it goes under sinks"},
      {"not-yaml", "sources:\n  catalog: [type: catalog\n", "not valid YAML"},
      {"unset-variable", "sources:\n  catalog:\n    type: catalog\n    regions: ${PRICEPIPE_TEST_UNSET}\n" + sink,
       "4:14: environment variable PRICEPIPE_TEST_UNSET is not set"},
      {"unknown-field", "sources:\n  catalog:\n    type: catalog\ntransforms:\n  gpus:\n    type: filter\n"
       "    inputs: [catalog]\n    where: [\"gpu_cnt >= 1\"]\nsinks:\n  out:\n    type: stdout\n    inputs: [gpus]\n",
       "5:3: filter: the input has no field 'gpu_cnt'; did you mean 'gpu_count'?"},
      {"feeds-no-sink", "sources:\n  catalog:\n    type: catalog\n  types:\n    type: instance-types\n" + sink,
       "4:3: source 'types' feeds no sink"},
      {"bad-region", "sources:\n  catalog:\n    type: catalog\n    regions: [eu-west-1, Europe]\n" + sink,
       "4:26: regions: 'Europe' is not a region code"},
  };
  for (const Broken& b : cases) {
    SCOPED_TRACE(b.name);
    const std::string path = write_file(dir, b.name + ".yaml", b.yaml);
    const auto r = fake.pricepipe({"run", path});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(b.expected), std::string::npos) << r.err;
  }
  EXPECT_EQ(fake.requests(), "[]") << "nothing is sent for a pipeline that does not check out";
  // The same checks for a command line, naming the flag.
  const auto flag = fake.pricepipe({"stream", "catalog", "--os", "linux"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("--os: does not apply to source 'catalog'"), std::string::npos) << flag.err;
}

TEST(Pipelines, FilterKeepsTheRecordsThatSatisfyEveryCondition) {
  FakeAws fake = small_world();
  const std::string dir = temp_dir("filter");
  const std::string yaml = R"(sources:
  types:
    type: instance-types
    regions: all
transforms:
  arm:
    type: filter
    inputs: [types]
    where: ["architectures == arm64", "vcpus >= 2", "memory_gib < 64", "instance_type ~ *g.*", "gpu_count == 0", "gpu_model == null"]
sinks:
  out:
    type: stdout
    inputs: [arm]
)";
  const auto filtered = fake.pricepipe({"run", write_file(dir, "f.yaml", yaml)});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  const auto all = fake.pricepipe({"stream", "instance-types", "--regions", "all"});
  simdjson::dom::parser parser;
  std::string expected;
  for (const auto& line : lines_of(all.out)) {
    simdjson::dom::element r = parser.parse(line);
    bool arm = false;
    for (simdjson::dom::element a : r["architectures"].get_array()) arm = arm || a.get_string().value() == "arm64";
    const std::string type(r["instance_type"].get_string().value());
    if (arm && r["vcpus"].get_int64().value() >= 2 && r["memory_gib"].get_double().value() < 64 &&
        stages::instance_type_matches("*g.*", type) && r["gpu_count"].get_int64().value() == 0 &&
        r["gpu_model"].is_null()) {
      expected += line + "\n";
    }
  }
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(filtered.out, expected);
}

TEST(Pipelines, TheSchemaDescribesEveryTypeAndOption) {
  ProcessOptions p;
  p.argv = {pricepipe_binary(), "schema", "--pipeline"};
  const auto r = run_process(p);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element schema = parser.parse(r.out);
  simdjson::dom::object defs = schema["$defs"].get_object();
  for (const char* type : {"source.catalog", "source.spot-prices", "source.regions", "transform.filter", "sink.stdout",
                           "sink.file"}) {
    simdjson::dom::element def;
    ASSERT_EQ(defs[type].get(def), simdjson::SUCCESS) << type;
    EXPECT_FALSE(def["additionalProperties"].get_bool().value()) << "unknown keys are refused, as pricepipe refuses them";
  }
  simdjson::dom::object catalog = defs["source.catalog"]["properties"].get_object();
  for (const char* key : {"type", "regions", "instance_types", "since", "until", "concurrent_regions", "price_list_url"}) {
    simdjson::dom::element property;
    EXPECT_EQ(catalog[key].get(property), simdjson::SUCCESS) << key;
  }
  EXPECT_EQ(defs["sink.file"]["required"].at(1).get_string().value(), "inputs");
}

}  // namespace
}  // namespace pricepipe::testing
