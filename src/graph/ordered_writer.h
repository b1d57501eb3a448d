// Writes streams one after another in stream order, whatever order their
// pages arrive in, so the same answers always give the same bytes (a rerun
// from the cache prints exactly what the first run printed).
//
// Contract: used from a graph's serial write step, with each stream's pages
// in order. The head stream (the lowest one not yet finished) goes straight
// to the sink. Another stream's bytes wait with `hold` (the page's credit):
// while the sink is slow the write step is busy, pages queue with their
// credits and fetching slows down as before. At most `max_held` waiting
// pages keep their credit; past that a stream's oldest waiting bytes move to
// a temporary file and its credit goes back, so the head stream can always
// get one. `end(stream)` marks a stream finished; when the head finishes,
// the next stream's file and waiting pages are written out and it becomes
// the head.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "core/error.h"
#include "stages/sinks/sink.h"

namespace pricepipe::graph {

template <class Hold>
class OrderedWriter {
 public:
  OrderedWriter(stages::Sink& sink, std::size_t streams, std::size_t max_held)
      : sink_(sink), streams_(streams), max_held_(max_held) {}
  ~OrderedWriter() {
    for (auto& s : streams_) {
      if (s.spill != nullptr) std::fclose(s.spill);
    }
  }
  OrderedWriter(const OrderedWriter&) = delete;
  OrderedWriter& operator=(const OrderedWriter&) = delete;

  Result<void> write(std::uint32_t stream, const stages::RecordBatch& batch, std::string bytes, Hold hold) {
    if (stream == head_) return sink_.write(batch, std::move(bytes));
    Waiting& w = streams_[stream];
    w.dataset = batch.dataset;
    w.region = batch.region;
    w.held.push_back({std::move(bytes), std::move(hold)});
    ++held_;
    while (held_ > max_held_) {
      if (auto spilled = spill_oldest(stream); !spilled.ok()) return spilled;
    }
    return {};
  }

  /// The stream has no more pages.
  Result<void> end(std::uint32_t stream) {
    streams_[stream].ended = true;
    while (head_ < streams_.size() && streams_[head_].ended) {
      ++head_;
      if (head_ < streams_.size()) {
        if (auto flushed = flush(streams_[head_]); !flushed.ok()) return flushed;
      }
    }
    return {};
  }

 private:
  struct Waiting {
    std::deque<std::pair<std::string, Hold>> held;
    std::FILE* spill = nullptr;
    bool ended = false;
    Dataset dataset = Dataset::regions;
    std::string region;
  };

  // Moves the oldest waiting page of `stream` (or of the stream holding the
  // most) to its file; the file only ever holds pages older than the held ones.
  Result<void> spill_oldest(std::uint32_t stream) {
    std::uint32_t victim = stream;
    if (streams_[victim].held.empty()) {
      for (std::uint32_t s = 0; s < streams_.size(); ++s) {
        if (streams_[s].held.size() > streams_[victim].held.size()) victim = s;
      }
    }
    Waiting& w = streams_[victim];
    if (w.spill == nullptr && (w.spill = std::tmpfile()) == nullptr) {
      return Error(ErrorCode::io, "cannot create a temporary file to hold output waiting for an earlier region");
    }
    const std::string& bytes = w.held.front().first;
    if (std::fwrite(bytes.data(), 1, bytes.size(), w.spill) != bytes.size()) {
      return Error(ErrorCode::io, "cannot write output waiting for an earlier region to a temporary file");
    }
    w.held.pop_front();  // its credit goes back
    --held_;
    return {};
  }

  Result<void> flush(Waiting& w) {
    const stages::RecordBatch batch{w.dataset, w.region, 0, 0, {}};
    if (w.spill != nullptr) {
      std::rewind(w.spill);
      std::string chunk(1 << 20, '\0');
      for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), w.spill)) > 0;) {
        if (auto written = sink_.write(batch, chunk.substr(0, n)); !written.ok()) return written;
      }
      std::fclose(w.spill);
      w.spill = nullptr;
    }
    while (!w.held.empty()) {
      auto written = sink_.write(batch, std::move(w.held.front().first));
      w.held.pop_front();
      --held_;
      if (!written.ok()) return written;
    }
    return {};
  }

  stages::Sink& sink_;
  std::vector<Waiting> streams_;
  std::size_t max_held_;
  std::size_t held_ = 0;
  std::uint32_t head_ = 0;
};

}  // namespace pricepipe::graph
