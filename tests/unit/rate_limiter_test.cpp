#include "net/rate_limiter.h"

#include <gtest/gtest.h>

namespace pricepipe::net {
namespace {

using namespace std::chrono_literals;
using Clock = AdaptiveRate::Clock;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

TEST(AdaptiveRate, AllowsTheBurstThenSpacesRequestsAtTheRefillRate) {
  const auto t0 = Clock::time_point{} + 1h;
  AdaptiveRate rate(RateLimit{3, 10}, t0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rate.wait(t0), Clock::duration::zero());
    rate.take(t0);
  }
  // Empty: the next token is one refill interval (100 ms) away.
  EXPECT_NEAR(seconds(rate.wait(t0)), 0.1, 1e-6);
  EXPECT_NEAR(seconds(rate.wait(t0 + 60ms)), 0.04, 1e-6);
  // Refilled, capped at the burst.
  const auto t1 = t0 + 10s;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rate.wait(t1), Clock::duration::zero());
    rate.take(t1);
  }
  EXPECT_GT(rate.wait(t1), Clock::duration::zero());
}

TEST(AdaptiveRate, AThrottleCutsToTheRateAnswersSucceededAtAndEmptiesTheBucket) {
  const auto t0 = Clock::time_point{} + 1h;
  AdaptiveRate rate(RateLimit{100, 20}, t0);
  // Two answers succeeded in the last two seconds: 1 per second.
  rate.on_success(t0);
  rate.on_success(t0 + 10ms);
  rate.on_throttled(t0 + 20ms, t0 + 30ms);
  EXPECT_DOUBLE_EQ(rate.rate(), 1);
  EXPECT_DOUBLE_EQ(rate.capacity(), 1);
  EXPECT_NEAR(seconds(rate.wait(t0 + 30ms)), 1.0, 1e-6);
}

TEST(AdaptiveRate, RequestsSentBeforeACutDoNotCutAgain) {
  const auto t0 = Clock::time_point{} + 1h;
  AdaptiveRate rate(RateLimit{100, 20}, t0);
  for (int i = 0; i < 40; ++i) rate.on_success(t0 + i * 50ms);
  const auto t1 = t0 + 2s;
  rate.on_throttled(t1, t1 + 10ms);
  EXPECT_DOUBLE_EQ(rate.rate(), 14);  // 70% of 20: answers were succeeding faster
  // Fifteen more answers to requests that were in flight with the first.
  for (int i = 0; i < 15; ++i) rate.on_throttled(t1, t1 + 20ms);
  EXPECT_DOUBLE_EQ(rate.rate(), 14);
  // One sent after the cut cuts again.
  rate.on_throttled(t1 + 30ms, t1 + 40ms);
  EXPECT_LT(rate.rate(), 14);
}

TEST(AdaptiveRate, SuccessesWinTheRateBackUpToTheLimitAndNeverBelowTheFloor) {
  const auto t0 = Clock::time_point{} + 1h;
  AdaptiveRate rate(RateLimit{100, 20}, t0);
  for (int i = 0; i < 20; ++i) rate.on_throttled(t0 + i * 1s, t0 + i * 1s + 1ms);
  EXPECT_DOUBLE_EQ(rate.rate(), AdaptiveRate::kMinRate);
  auto t = t0 + 30s;
  rate.on_success(t);
  EXPECT_NEAR(rate.rate(), AdaptiveRate::kMinRate * 1.02, 1e-9);
  for (int i = 0; i < 1000; ++i) rate.on_success(t += 10ms);
  EXPECT_DOUBLE_EQ(rate.rate(), 20);
  EXPECT_DOUBLE_EQ(rate.capacity(), 100);
}

}  // namespace
}  // namespace pricepipe::net
