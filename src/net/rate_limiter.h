// Client-side token buckets, one per (service, endpoint region), sized from
// AWS's documented limits so that a run does not cause the throttling it
// would then have to retry. A throttled answer halves the refill rate
// (never below `min_rate`); each success wins back a little of it, the way
// adaptive retry mode in the SDKs backs off and recovers.
//
// Contract: used from the fetch thread only; not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

namespace pricepipe::net {

struct RateLimit {
  double burst = 100;  ///< bucket size, requests
  double rate = 20;    ///< refill, requests per second
};

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(RateLimit limit, Clock::time_point now)
      : limit_(limit), rate_(limit.rate), tokens_(limit.burst), updated_(now) {}

  /// Reserves a token and returns when it may be used: `now` while the
  /// bucket holds tokens, later once it is in debt. Reservations queue up
  /// in call order, so callers never need to ask twice.
  Clock::time_point acquire(Clock::time_point now) {
    refill(now);
    tokens_ -= 1;
    if (tokens_ >= 0) return now;
    return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
  }

  void on_throttled() { rate_ = std::max(min_rate(), rate_ / 2); }
  void on_success() { rate_ = std::min(limit_.rate, rate_ + limit_.rate / 50); }
  double rate() const { return rate_; }

 private:
  double min_rate() const { return std::min(1.0, limit_.rate); }

  void refill(Clock::time_point now) {
    const double seconds = std::chrono::duration<double>(now - updated_).count();
    if (seconds > 0) {
      tokens_ = std::min(limit_.burst, tokens_ + seconds * rate_);
      updated_ = now;
    }
  }

  RateLimit limit_;
  double rate_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace pricepipe::net
