// A bounded queue of byte chunks between a producer that must not block
// (the curl loop receiving a multi-GB offer file) and a consumer thread
// that may (the splitter, which waits on the graph).
//
// Contract: thread-safe, one producer and one consumer. `push` never blocks;
// it returns false once the queue holds `high_water` bytes or more, telling
// the producer to pause. The consumer's `pop` blocks; when the queue drains
// to `low_water` after the producer was told to pause, `on_drained` runs (on
// the consumer's thread) so the producer can resume. `close` ends the stream,
// with an error or cleanly; `pop` then returns what is left, then nothing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"

namespace pricepipe::net {

class ChunkQueue {
 public:
  ChunkQueue(std::size_t high_water, std::size_t low_water) : high_(high_water), low_(low_water) {}

  /// Called when the queue drains after the producer was told to pause.
  void on_drained(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    on_drained_ = std::move(fn);
  }

  /// Appends a chunk; false means "pause now".
  bool push(std::string_view chunk) {
    std::lock_guard lock(mutex_);
    chunks_.emplace_back(chunk);
    bytes_ += chunk.size();
    cv_.notify_one();
    if (bytes_ >= high_) paused_ = true;
    return !paused_;
  }

  /// Ends the stream; `error` set means it failed.
  void close(std::optional<Error> error = std::nullopt) {
    std::lock_guard lock(mutex_);
    closed_ = true;
    error_ = std::move(error);
    cv_.notify_one();
  }

  /// The next chunk; nothing once closed and empty.
  std::optional<std::string> pop() {
    std::function<void()> resume;
    std::optional<std::string> out;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !chunks_.empty() || closed_; });
      if (chunks_.empty()) return std::nullopt;
      out = std::move(chunks_.front());
      chunks_.pop_front();
      bytes_ -= out->size();
      if (paused_ && bytes_ <= low_) {
        paused_ = false;
        resume = on_drained_;
      }
    }
    if (resume) resume();
    return out;
  }

  /// After `pop` returned nothing: why the stream ended (nullopt: cleanly).
  std::optional<Error> error() const {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  const std::size_t high_;
  const std::size_t low_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  std::size_t bytes_ = 0;
  bool paused_ = false;
  bool closed_ = false;
  std::optional<Error> error_;
  std::function<void()> on_drained_;
};

}  // namespace pricepipe::net
