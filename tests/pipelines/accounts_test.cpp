// Many accounts (--profiles, --role-arns; roles are tested against moto's STS
// in tests/interop/test_credentials_sts.py), end to end against fakeaws,
// whose accounts differ as AWS's do in the opt-in regions they enabled and
// whose request log says which access key, and so which account, signed
// each request: what differs by account is read once as each account, with
// its account_id, what every account shares once; the run's own account id
// comes from STS GetCallerIdentity once and then from the cache.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAccountA = "123456789012";  // fakeaws' default account, which has not opted in to every region
constexpr const char* kAccountB = "210987654321";  // has opted in to all of them

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_in(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Two profiles with keys of two accounts, in a config of their own.
class Accounts : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(fs::path(home_) / "config") << "[profile a]\nregion = us-east-1\n[profile b]\nregion = us-east-1\n";
    std::ofstream(fs::path(home_) / "credentials")
        << "[a]\naws_access_key_id = " << FakeAws::kAccessKey << "\naws_secret_access_key = " << FakeAws::kSecretKey
        << "\n[b]\naws_access_key_id = AKIDACCOUNTB\naws_secret_access_key = secret-of-account-b\n";
  }

  ProcessResult run(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    env.emplace("AWS_CONFIG_FILE", home_ + "/config");
    env.emplace("AWS_SHARED_CREDENTIALS_FILE", home_ + "/credentials");
    return fake_.pricepipe(args, env);
  }

  // (action, access key, account) of every request fakeaws saw (the key and
  // account empty for the public Price List's files), and forgets them.
  std::vector<std::tuple<std::string, std::string, std::string>> requests() {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    simdjson::dom::parser parser;
    for (simdjson::dom::element r : parser.parse(fake_.requests()).get_array()) {
      auto text = [&](const char* field) {
        std::string_view v;
        return r[field].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
      };
      out.emplace_back(text("action"), text("access_key"), text("account"));
    }
    fake_.clear_requests();
    return out;
  }

  FakeAws fake_{{"--synthetic", "--synthetic-regions", "8", "--synthetic-variants", "4", "--credentials",
                 std::string(FakeAws::kAccessKey) + ":" + FakeAws::kSecretKey, "--credentials",
                 std::string("AKIDACCOUNTB:secret-of-account-b::") + kAccountB}};
  std::string home_ = temp_dir("accounts");
};

// account → region → rows.
std::map<std::string, std::map<std::string, int>> rows_by_account(const std::string& ndjson) {
  std::map<std::string, std::map<std::string, int>> out;
  simdjson::dom::parser parser;
  for (const auto& line : lines_in(ndjson)) {
    simdjson::dom::element r = parser.parse(line);
    ++out[std::string(r["account_id"].get_string().value())][std::string(r["region"].get_string().value())];
  }
  return out;
}

TEST_F(Accounts, WhatDiffersIsReadAsEachAccountAndWhatTheyShareOnce) {
  // A pipeline file: the zones of every region each account enabled, and the prices of one region.
  const std::string file = home_ + "/fleet.yaml";
  std::ofstream(file) << "profiles: [a, b]\n"
                         "sources:\n"
                         "  zones: {type: availability-zones, regions: all}\n"
                         "  prices: {type: on-demand-prices, regions: [us-east-1], instance_types: ['m*']}\n"
                         "sinks:\n"
                         "  zones-out: {type: file, inputs: [zones], path: "
                      << home_ << "/zones.ndjson}\n"
                                  "  prices-out: {type: file, inputs: [prices], path: "
                      << home_ << "/prices.ndjson}\n";
  const auto fleet = run({"run", file});
  ASSERT_EQ(fleet.exit_code, 0) << fleet.err;
  const auto fleet_requests = requests();

  // Each account's zones, in the regions it enabled (fakeaws' second account opted in to more).
  const World world = fake_.parsed_world();
  const auto zones = rows_by_account(read_file(home_ + "/zones.ndjson"));
  ASSERT_EQ(zones.size(), 2u) << fleet.err;
  std::set<std::string> a_regions, b_regions;
  for (const auto& [region, n] : zones.at(kAccountA)) a_regions.insert(region);
  for (const auto& [region, n] : zones.at(kAccountB)) b_regions.insert(region);
  EXPECT_EQ(a_regions, std::set<std::string>(world.enabled_regions.begin(), world.enabled_regions.end()));
  EXPECT_GT(b_regions.size(), a_regions.size()) << "the second account enabled the opt-in regions the first has not";
  for (const auto& region : a_regions) EXPECT_EQ(zones.at(kAccountA).at(region), zones.at(kAccountB).at(region));
  // Account b's zones, asked as b: what it reads alone.
  const auto b_alone = run({"stream", "availability-zones", "--regions", "all", "--profile", "b"});
  ASSERT_EQ(b_alone.exit_code, 0) << b_alone.err;
  EXPECT_EQ(rows_by_account(b_alone.out).at(kAccountB), zones.at(kAccountB));
  requests();

  // Every request of an account was signed with its key; prices were asked once, as the first profile.
  std::map<std::string, std::map<std::string, int>> asked;  // action → account → requests
  for (const auto& [action, key, account] : fleet_requests) {
    if (!account.empty()) {
      EXPECT_EQ(key, account == kAccountA ? FakeAws::kAccessKey : "AKIDACCOUNTB") << action;
    }
    ++asked[action][account];
  }
  EXPECT_EQ(asked["DescribeRegions"], (std::map<std::string, int>{{kAccountA, 1}, {kAccountB, 1}}));
  EXPECT_EQ(asked["GetCallerIdentity"], (std::map<std::string, int>{{kAccountA, 1}, {kAccountB, 1}}));
  EXPECT_EQ(asked["DescribeAvailabilityZones"][kAccountA], static_cast<int>(a_regions.size()));
  EXPECT_EQ(asked["DescribeAvailabilityZones"][kAccountB], static_cast<int>(b_regions.size()));

  // The prices are what one account alone reads, asked as often.
  const auto alone = run({"stream", "on-demand-prices", "--regions", "us-east-1", "--instance-types", "m*",
                          "--profile", "a"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(read_file(home_ + "/prices.ndjson"), alone.out);
  EXPECT_GT(lines_in(alone.out).size(), 0u);
  EXPECT_EQ(alone.out.find("account_id"), std::string::npos) << "prices are the same in every account";
  std::map<std::string, int> price_requests, fleet_price_requests;
  for (const auto& [action, key, account] : requests()) {
    if (action != "GetCallerIdentity") ++price_requests[action];
  }
  for (const auto& [action, by_account] : asked) {
    if (action.rfind("Describe", 0) == 0 || action == "GetCallerIdentity") continue;
    for (const auto& [account, n] : by_account) fleet_price_requests[action] += n;
  }
  EXPECT_EQ(fleet_price_requests, price_requests);
}

TEST_F(Accounts, TheRunsOwnAccountIdIsAskedOnceThenCachedAndServedOffline) {
  const std::string cache = temp_dir("accounts-cache");
  const std::map<std::string, std::string> cached = {{"PRICEPIPE_NO_CACHE", ""}};
  std::vector<std::string> args = {"--cache-dir", cache, "stream", "regions"};

  const auto first = fake_.pricepipe(args, cached);  // the test's usual environment keys
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto rows = rows_by_account(first.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.begin()->first, kAccountA);
  std::map<std::string, int> asked;
  for (const auto& [action, key, account] : requests()) ++asked[action];
  EXPECT_EQ(asked, (std::map<std::string, int>{{"DescribeRegions", 1}, {"GetCallerIdentity", 1}}));

  const auto again = fake_.pricepipe(args, cached);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_TRUE(requests().empty()) << "a cached rerun asks nothing, STS included";

  args.insert(args.begin(), "--offline");
  const auto offline = fake_.pricepipe(args, cached);
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(offline.out, first.out);
  EXPECT_TRUE(requests().empty());

  // Credentials that say their account (AWS_ACCOUNT_ID, as the SDKs read it) need no STS.
  const auto stated = fake_.pricepipe({"stream", "regions"}, {{"AWS_ACCOUNT_ID", "999999999999"}});
  ASSERT_EQ(stated.exit_code, 0) << stated.err;
  EXPECT_EQ(rows_by_account(stated.out).begin()->first, "999999999999");
  for (const auto& [action, key, account] : requests()) EXPECT_NE(action, "GetCallerIdentity");

  // --offline with an account the cache has never seen: refused, naming it.
  const auto unseen = run({"--offline", "--cache-dir", cache, "stream", "regions", "--profiles", "b"}, cached);
  EXPECT_EQ(unseen.exit_code, 4) << unseen.err;
  EXPECT_NE(unseen.err.find("--offline: the id of account b is not in the cache"), std::string::npos) << unseen.err;
}

TEST_F(Accounts, ASnapshotOfTwoAccountsLoadsEveryRowOfEach) {
  const std::string dir = temp_dir("accounts-snapshot"), db = home_ + "/fleet.db";
  const auto snap = run({"snapshot", "--out", dir, "--id", "s1", "--datasets", "regions,availability-zones",
                         "--regions", "all", "--profiles", "a,b", "--load", "sqlite://" + db});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  ASSERT_EQ(run({"snapshot", "verify", dir + "/s1"}).exit_code, 0);
  // Each account's rows of a region are their own rows of the table (its key has account_id).
  for (const char* table : {"regions", "availability_zones"}) {
    ProcessOptions q;
    q.argv = {"sqlite3", db, std::string("SELECT account_id, count(*) FROM ") + table + " GROUP BY 1 ORDER BY 1"};
    const auto counted = run_process(q);
    ASSERT_EQ(counted.exit_code, 0) << counted.err;
    const auto lines = lines_in(counted.out);
    ASSERT_EQ(lines.size(), 2u) << table << ": " << counted.out;
    EXPECT_EQ(lines[0].substr(0, 13), std::string(kAccountA) + "|") << table;
    EXPECT_EQ(lines[1].substr(0, 13), std::string(kAccountB) + "|") << table;
  }
}

// Shards deal accounts too: each account's regions are its own units.
TEST_F(Accounts, TwoAccountsInThreeShardsMergeIntoTheOneProcessSnapshot) {
  const std::string one = temp_dir("accounts-one"), three = temp_dir("accounts-three");
  const std::vector<std::string> what = {"--datasets", "regions,availability-zones", "--regions", "all", "--profiles",
                                         "a,b", "--id", "s1"};
  auto snapshot = [&](const std::string& dir, std::vector<std::string> extra) {
    std::vector<std::string> args = {"snapshot", "--out", dir};
    args.insert(args.end(), what.begin(), what.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  };
  const auto whole = snapshot(one, {});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  for (const char* shard : {"1/3", "2/3", "3/3"}) {
    const auto part = snapshot(three, {"--shard", shard});
    ASSERT_EQ(part.exit_code, 0) << shard << ": " << part.err;
  }
  const auto merged = run({"snapshot", "merge", three + "/s1"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  auto parts = [](const std::string& manifest) {
    simdjson::dom::parser parser;
    std::vector<std::string> out;
    for (auto p : parser.parse(manifest)["parts"].get_array()) out.push_back(simdjson::minify(p));
    return out;
  };
  const auto want = parts(read_file(one + "/s1/manifest.json"));
  EXPECT_EQ(parts(read_file(three + "/s1/manifest.json")), want);
  // Each account's rows of a region are parts of their own.
  const World world = fake_.parsed_world();
  std::map<std::string, std::size_t> regions_parts;  // account → parts of the regions dataset
  for (const auto& p : want) {
    for (const char* account : {kAccountA, kAccountB}) {
      if (p.find("dataset=regions/") != std::string::npos && p.find(std::string("/part-") + account + "-") != std::string::npos) {
        ++regions_parts[account];
      }
    }
  }
  const std::size_t all_regions = world.enabled_regions.size() + world.disabled_regions.size();
  EXPECT_EQ(regions_parts, (std::map<std::string, std::size_t>{{kAccountA, all_regions}, {kAccountB, all_regions}}));
}

TEST_F(Accounts, ProfilesAndRoleArnsAreCheckedBeforeAnyRequest) {
  auto r = run({"stream", "regions", "--profiles", "a", "--role-arns", "arn:aws:iam::111111111111:role/x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("give profiles or role_arns, not both"), std::string::npos) << r.err;
  r = run({"stream", "regions", "--role-arns", "arn:aws:iam::12345:role/x"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("expected a role ARN"), std::string::npos) << r.err;
  r = run({"stream", "regions", "--profiles", "a,nope"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("the config profile (nope) could not be found"), std::string::npos) << r.err;
  EXPECT_TRUE(requests().empty());
}

}  // namespace
}  // namespace pricepipe::testing
