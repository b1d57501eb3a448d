#include "net/rate_limiter.h"

#include <gtest/gtest.h>

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, AllowsTheBurstThenSpacesRequestsAtTheRefillRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(RateLimit{3, 10}, t0);
  EXPECT_EQ(bucket.acquire(t0), t0);
  EXPECT_EQ(bucket.acquire(t0), t0);
  EXPECT_EQ(bucket.acquire(t0), t0);
  // In debt: each further request waits one more refill interval (100 ms).
  EXPECT_NEAR(std::chrono::duration<double>(bucket.acquire(t0) - t0).count(), 0.1, 1e-6);
  EXPECT_NEAR(std::chrono::duration<double>(bucket.acquire(t0) - t0).count(), 0.2, 1e-6);
  // After a second the debt is repaid and the bucket refilled, capped at the burst.
  const auto t1 = t0 + 10s;
  EXPECT_EQ(bucket.acquire(t1), t1);
}

TEST(TokenBucket, ThrottlingHalvesTheRateAndSuccessWinsItBack) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(RateLimit{100, 20}, t0);
  bucket.on_throttled();
  EXPECT_DOUBLE_EQ(bucket.rate(), 10);
  for (int i = 0; i < 10; ++i) bucket.on_throttled();
  EXPECT_DOUBLE_EQ(bucket.rate(), 1);
  for (int i = 0; i < 1000; ++i) bucket.on_success();
  EXPECT_DOUBLE_EQ(bucket.rate(), 20);
}

}  // namespace
}  // namespace pricepipe::net
