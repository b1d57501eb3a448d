// Restores per-stream order after parallel stages: messages of a stream
// may finish out of order; `push` hands them to `consume` strictly by
// sequence number (0, 1, 2, …), holding early ones until their turn.
//
// Contract: not thread-safe; used from the serial write node. Memory is
// bounded by the messages in flight, which credits bound.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

namespace pricepipe::graph {

template <class Message>
class InOrder {
 public:
  template <class Consume>
  void push(std::uint64_t stream, std::uint64_t sequence, Message m, Consume&& consume) {
    std::uint64_t& expected = next_[stream];
    if (sequence != expected) {
      early_.emplace(std::make_pair(stream, sequence), std::move(m));
      return;
    }
    consume(m);
    ++expected;
    for (auto it = early_.find({stream, expected}); it != early_.end(); it = early_.find({stream, expected})) {
      Message next = std::move(it->second);
      early_.erase(it);
      consume(next);
      ++expected;
    }
  }

 private:
  std::map<std::uint64_t, std::uint64_t> next_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Message> early_;
};

}  // namespace pricepipe::graph
