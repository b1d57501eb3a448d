// Flow control across the whole graph: a fixed number of credits, one per
// page between "request about to be sent" and "its records are written".
//
// Contract: thread-safe. The fetcher takes a credit before it sends a
// request and attaches it to the page; every message derived from the page
// shares it; when the last of them is destroyed (the sink wrote the records)
// the credit returns and the release callback runs on the releasing thread.
// A slow consumer therefore stops the fetch loop instead of growing memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

namespace pricepipe::net {

class CreditPool;

/// One unit of pages-in-flight. Returned to its pool when destroyed.
class Credit {
 public:
  explicit Credit(std::shared_ptr<CreditPool> pool) : pool_(std::move(pool)) {}
  ~Credit();
  const CreditPool& pool() const { return *pool_; }
  Credit(const Credit&) = delete;
  Credit& operator=(const Credit&) = delete;

 private:
  std::shared_ptr<CreditPool> pool_;
};

class CreditPool : public std::enable_shared_from_this<CreditPool> {
 public:
  static std::shared_ptr<CreditPool> create(std::size_t capacity) {
    return std::shared_ptr<CreditPool>(new CreditPool(capacity));
  }

  /// A credit, or nullptr when all are in use. Never blocks.
  std::shared_ptr<const Credit> try_acquire() {
    std::size_t used = in_use_.load(std::memory_order_relaxed);
    do {
      if (used >= capacity_) return nullptr;
    } while (!in_use_.compare_exchange_weak(used, used + 1, std::memory_order_acq_rel));
    std::size_t high = high_water_.load(std::memory_order_relaxed);
    while (used + 1 > high && !high_water_.compare_exchange_weak(high, used + 1)) {
    }
    return std::make_shared<const Credit>(shared_from_this());
  }

  /// Runs whenever a credit comes back (on the thread that returned it).
  void on_release(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    on_release_ = std::move(fn);
  }

  std::size_t capacity() const { return capacity_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  /// The most credits ever in use at once.
  std::size_t high_water() const { return high_water_.load(std::memory_order_relaxed); }

 private:
  friend class Credit;
  explicit CreditPool(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void release() {
    in_use_.fetch_sub(1, std::memory_order_acq_rel);
    std::function<void()> fn;
    {
      std::lock_guard lock(mutex_);
      fn = on_release_;
    }
    if (fn) fn();
  }

  const std::size_t capacity_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::size_t> high_water_{0};
  std::mutex mutex_;
  std::function<void()> on_release_;
};

inline Credit::~Credit() { pool_->release(); }

}  // namespace pricepipe::net
