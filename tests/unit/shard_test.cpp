// Shards: the share of each shard (even, disjoint, covering) and how the
// shard is named (--shard, --shard-count with a job's index variable).
#include "stages/shard.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace pricepipe::stages {
namespace {

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Shard, EveryDatasetsRegionsAreDealtEvenlyToExactlyOneShard) {
  for (int n : {2, 3, 4, 7}) {
    std::map<int, int> total;
    for (std::size_t producer = 0; producer < 9; ++producer) {
      for (std::size_t regions : {1u, 5u, 30u}) {
        std::map<int, int> per_shard;
        for (std::size_t j = 0; j < regions; ++j) {
          int owners = 0;
          for (int i = 1; i <= n; ++i) {
            if (Shard{i, n}.owns(producer, j)) {
              ++owners;
              ++per_shard[i];
              ++total[i];
            }
          }
          EXPECT_EQ(owners, 1) << "producer " << producer << " region " << j << " of " << n << " shards";
        }
        int lo = 1 << 30, hi = 0;
        for (int i = 1; i <= n; ++i) {
          lo = std::min(lo, per_shard[i]);
          hi = std::max(hi, per_shard[i]);
        }
        EXPECT_LE(hi - lo, 1) << regions << " regions over " << n << " shards";
      }
    }
    int lo = 1 << 30, hi = 0;
    for (int i = 1; i <= n; ++i) {
      lo = std::min(lo, total[i]);
      hi = std::max(hi, total[i]);
    }
    // Datasets read once (one unit each) start at another shard each: no shard gets them all.
    EXPECT_LE(hi - lo, 9) << n << " shards";
  }
  EXPECT_TRUE(Shard{}.owns(3, 17)) << "unsharded: everything";
  EXPECT_EQ(Shard({2, 4}).file_stem(), "shard-0002-of-0004");
}

TEST(Shard, NamedByTheFlagOrByTheJobsIndexPlusOne) {
  EXPECT_EQ(resolve_shard("2/4", 0, env_of({})).index, 2);
  EXPECT_EQ(resolve_shard("2/4", 4, env_of({})).count, 4);
  const Shard k8s = resolve_shard("", 4, env_of({{"JOB_COMPLETION_INDEX", "0"}}));
  EXPECT_EQ(k8s.index, 1);
  EXPECT_EQ(k8s.count, 4);
  EXPECT_EQ(resolve_shard("", 3, env_of({{"AWS_BATCH_JOB_ARRAY_INDEX", "2"}})).index, 3);
  EXPECT_EQ(resolve_shard("1/2", 0, env_of({{"JOB_COMPLETION_INDEX", "5"}})).index, 1) << "the flag wins";
  EXPECT_FALSE(resolve_shard("", 0, env_of({{"JOB_COMPLETION_INDEX", "1"}})).sharded()) << "no count: no shards";
  EXPECT_FALSE(resolve_shard("", 0, env_of({})).sharded());
  EXPECT_FALSE(resolve_shard("", 1, env_of({})).sharded());
  for (const auto& [given, count, vars] : std::vector<std::tuple<std::string, int, std::map<std::string, std::string>>>{
           {"4/3", 0, {}}, {"0/3", 0, {}}, {"a/b", 0, {}}, {"1/", 0, {}}, {"1/3", 2, {}}, {"", 3, {}},
           {"", 3, {{"JOB_COMPLETION_INDEX", "3"}}}, {"", 3, {{"JOB_COMPLETION_INDEX", "-1"}}},
           {"", 3, {{"AWS_BATCH_JOB_ARRAY_INDEX", "x"}}}, {"", 20000, {}}}) {
    EXPECT_THROW(resolve_shard(given, count, env_of(vars)), FatalError) << given << " " << count;
  }
}

}  // namespace
}  // namespace pricepipe::stages
