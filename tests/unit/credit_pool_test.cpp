#include "net/credit_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace pricepipe::net {
namespace {

TEST(CreditPool, HandsOutAtMostCapacityAndTakesThemBack) {
  auto pool = CreditPool::create(3);
  int released = 0;
  pool->on_release([&] { ++released; });
  std::vector<std::shared_ptr<const Credit>> held;
  for (int i = 0; i < 3; ++i) {
    auto c = pool->try_acquire();
    ASSERT_TRUE(c);
    held.push_back(c);
  }
  EXPECT_FALSE(pool->try_acquire());
  EXPECT_EQ(pool->in_use(), 3u);
  auto copy = held[0];  // messages derived from one page share its credit
  held.erase(held.begin());
  EXPECT_EQ(released, 0);
  copy.reset();
  EXPECT_EQ(released, 1);
  EXPECT_EQ(pool->in_use(), 2u);
  EXPECT_TRUE(pool->try_acquire());
  EXPECT_EQ(pool->high_water(), 3u);
}

}  // namespace
}  // namespace pricepipe::net
