// Writes a sink's input in a fixed order, whatever order it arrives in, so
// the same answers always give the same bytes (a rerun from the cache
// prints exactly what the first run printed).
//
// A sink's input is a tree: its inputs, then each input's regions, then a
// region's streams (spot batches, offer files), then a stream's pages. The
// planner declares how many children a position has once it knows
// (`declare`); pages arrive with their position and number (`write`), the
// last one marked. The writer walks the tree depth first: the leaf at the
// head goes straight to the sink, page by page; others wait.
//
// Contract: not thread-safe; used from a sink's serial write step. Pages of
// a leaf may come out of order (they were parsed in parallel): they are put
// back in order first. Waiting pages keep `hold` (their credit): while the
// sink is slow, credits stay out and fetching slows down. Holds come from
// pools (API pages, offer-file segments); at most a pool's budget of
// waiting pages keep their hold; past that a leaf's oldest waiting page
// moves to a temporary file and its hold goes back, so the head leaf can
// always get a credit. A slow first region costs disk, not memory or a
// deadlock. A page read back from the file is written whole, as it was
// prepared: a sink never sees its bytes cut at another place than a page's.
// `written()` counts the records (RecordBatch::rows) the sink has taken, not
// those waiting: what a run reports it wrote.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "stages/sinks/sink.h"

namespace pricepipe::graph {

template <class Hold>
class OrderedWriter {
 public:
  using Path = std::vector<std::uint32_t>;
  /// The pool a hold comes from, and how many of its holds may wait.
  struct Budget {
    const void* pool = nullptr;
    std::size_t limit = 0;
  };
  using BudgetOf = std::function<Budget(const Hold&)>;

  OrderedWriter(stages::Sink& sink, BudgetOf budget_of) : sink_(sink), budget_of_(std::move(budget_of)) {
    cursor_.push_back({&root_, 0});
  }
  /// One pool of `max_held`.
  OrderedWriter(stages::Sink& sink, std::size_t max_held)
      : OrderedWriter(sink, [max_held](const Hold&) { return Budget{nullptr, max_held}; }) {}
  ~OrderedWriter() { close_spills(root_); }
  OrderedWriter(const OrderedWriter&) = delete;
  OrderedWriter& operator=(const OrderedWriter&) = delete;

  /// The position `at` has `parts` children, numbered 0 to parts - 1.
  Result<void> declare(const Path& at, std::uint32_t parts) {
    Node& n = node(at);
    n.kind = Kind::inner;
    n.parts = parts;
    return advance();
  }

  /// Page `page` of the leaf at `at`; `last` marks its final page.
  Result<void> write(const Path& at, std::uint64_t page, bool last, const stages::RecordBatch& batch,
                     std::string bytes, Hold hold) {
    Node& leaf = node(at);
    leaf.kind = Kind::leaf;
    if (page != leaf.next_page) {
      leaf.early.emplace(page, Pending{Bytes{std::move(bytes), batch.rows}, std::move(hold), last, batch.dataset, batch.region});
      return {};
    }
    if (auto r = consume(leaf, Bytes{std::move(bytes), batch.rows}, std::move(hold), last, batch.dataset, batch.region);
        !r.ok()) {
      return r;
    }
    for (auto it = leaf.early.find(leaf.next_page); it != leaf.early.end(); it = leaf.early.find(leaf.next_page)) {
      Pending p = std::move(it->second);
      leaf.early.erase(it);
      if (auto r = consume(leaf, std::move(p.bytes), std::move(p.hold), p.last, p.dataset, p.region); !r.ok()) return r;
    }
    return advance();
  }

  /// Every declared position was written out.
  bool finished() const { return cursor_.empty(); }
  /// Records the sink has taken.
  std::uint64_t written() const { return written_; }

 private:
  enum class Kind { unknown, inner, leaf };
  struct Bytes {
    std::string text;
    std::uint64_t rows = 0;
  };
  struct Pending {
    Bytes bytes;
    Hold hold;
    bool last = false;
    Dataset dataset = Dataset::regions;
    std::string region;
  };
  struct Node {
    Kind kind = Kind::unknown;
    std::uint32_t parts = 0;
    std::map<std::uint32_t, std::unique_ptr<Node>> children;
    // A leaf:
    std::uint64_t next_page = 0;
    bool ended = false;
    std::map<std::uint64_t, Pending> early;          // out of order, waiting for earlier pages
    std::deque<std::pair<Bytes, Hold>> held;         // in order, waiting for the head
    std::FILE* spill = nullptr;                      // in order, older than `held`
    const void* pool = nullptr;                      // where its holds come from
    Dataset dataset = Dataset::regions;              // what its pages are
    std::string region;
  };

  Node& node(const Path& at) {
    Node* n = &root_;
    for (std::uint32_t i : at) {
      auto& child = n->children[i];
      if (!child) child = std::make_unique<Node>();
      n = child.get();
    }
    return *n;
  }

  bool at_head(const Node& leaf) const { return !cursor_.empty() && cursor_.back().node == &leaf; }

  Result<void> consume(Node& leaf, Bytes bytes, Hold hold, bool last, Dataset dataset, const std::string& region) {
    ++leaf.next_page;
    leaf.ended = last;
    leaf.dataset = dataset;
    leaf.region = region;
    if (at_head(leaf)) return emit(leaf, std::move(bytes));
    if (bytes.text.empty()) return {};
    const Budget budget = budget_of_(hold);
    if (leaf.held.empty()) waiting_.push_back(&leaf);
    leaf.pool = budget.pool;
    leaf.held.emplace_back(std::move(bytes), std::move(hold));
    std::size_t& held = held_[budget.pool];
    ++held;
    while (held > budget.limit) {
      if (auto r = spill_oldest(budget.pool); !r.ok()) return r;
      if (held > budget.limit && std::none_of(waiting_.begin(), waiting_.end(), [&](Node* n) {
            return n->pool == budget.pool && !n->held.empty();
          })) {
        break;
      }
    }
    return {};
  }

  Result<void> emit(const Node& leaf, Bytes bytes) {
    if (bytes.text.empty()) return {};
    stages::RecordBatch batch;
    batch.dataset = leaf.dataset;
    batch.region = leaf.region;
    batch.rows = bytes.rows;
    auto r = sink_.write(batch, std::move(bytes.text));
    if (r.ok()) written_ += bytes.rows;
    return r;
  }

  // The leaf of `pool` holding the most waiting pages gives its oldest to its file.
  Result<void> spill_oldest(const void* pool) {
    Node* victim = nullptr;
    for (Node* n : waiting_) {
      if (n->pool == pool && !n->held.empty() && (victim == nullptr || n->held.size() > victim->held.size())) victim = n;
    }
    std::erase_if(waiting_, [](Node* n) { return n->held.empty(); });
    if (victim == nullptr) return {};
    if (victim->spill == nullptr && (victim->spill = std::tmpfile()) == nullptr) {
      return Error(ErrorCode::io, "cannot create a temporary file to hold output waiting for an earlier region");
    }
    // Each page as it was prepared, length and rows first: a sink gets back
    // exactly the writes it would have had (a snapshot's are framed groups).
    const Bytes& bytes = victim->held.front().first;
    const std::uint64_t head[2] = {bytes.text.size(), bytes.rows};
    if (std::fwrite(head, sizeof head, 1, victim->spill) != 1 ||
        std::fwrite(bytes.text.data(), 1, bytes.text.size(), victim->spill) != bytes.text.size()) {
      return Error(ErrorCode::io, "cannot write output waiting for an earlier region to a temporary file");
    }
    victim->held.pop_front();  // its hold goes back
    --held_[pool];
    return {};
  }

  // A leaf reaching the head: what waited for it goes out, oldest first.
  Result<void> flush(Node& leaf) {
    if (leaf.spill != nullptr) {
      std::rewind(leaf.spill);
      for (std::uint64_t head[2]; std::fread(head, sizeof head, 1, leaf.spill) == 1;) {
        Bytes page{std::string(head[0], '\0'), head[1]};
        if (std::fread(page.text.data(), 1, page.text.size(), leaf.spill) != page.text.size()) {
          return Error(ErrorCode::io, "cannot read back output that waited for an earlier region");
        }
        if (auto r = emit(leaf, std::move(page)); !r.ok()) return r;
      }
      std::fclose(leaf.spill);
      leaf.spill = nullptr;
    }
    while (!leaf.held.empty()) {
      auto r = emit(leaf, std::move(leaf.held.front().first));
      leaf.held.pop_front();
      --held_[leaf.pool];
      if (!r.ok()) return r;
    }
    return {};
  }

  // Moves the head through the tree as far as what is declared and written allows.
  Result<void> advance() {
    while (!cursor_.empty()) {
      Step& top = cursor_.back();
      Node& n = *top.node;
      if (n.kind == Kind::unknown) return {};
      if (n.kind == Kind::leaf) {
        if (!top.flushed) {
          top.flushed = true;
          if (auto r = flush(n); !r.ok()) return r;
        }
        if (!n.ended) return {};
      } else if (top.next < n.parts) {
        cursor_.push_back({&node_child(n, top.next++), 0});
        continue;
      }
      cursor_.pop_back();
    }
    return {};
  }

  Node& node_child(Node& n, std::uint32_t i) {
    auto& child = n.children[i];
    if (!child) child = std::make_unique<Node>();
    return *child;
  }

  static void close_spills(Node& n) {
    if (n.spill != nullptr) std::fclose(n.spill);
    for (auto& [i, child] : n.children) close_spills(*child);
  }

  struct Step {
    Node* node;
    std::uint32_t next;
    bool flushed = false;
  };

  stages::Sink& sink_;
  BudgetOf budget_of_;
  std::map<const void*, std::size_t> held_;
  Node root_;
  std::vector<Step> cursor_;
  std::vector<Node*> waiting_;
  std::uint64_t written_ = 0;
};

}  // namespace pricepipe::graph
