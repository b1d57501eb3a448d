// The ordered writer: streams come out one after another whatever order
// their pages arrive in, and waiting pages give their credit back past the cap.
// (Streams here are the leaves [0], [1], [2] of a root declared with three parts.)
#include "graph/ordered_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace pricepipe::graph {
namespace {

class Collect final : public stages::Sink {
 public:
  std::string prepare(const stages::RecordBatch&) const override { return {}; }
  bool needs_records() const override { return false; }
  Result<void> write(const stages::RecordBatch&, std::string prepared) override {
    out += prepared;
    writes.push_back(std::move(prepared));
    return {};
  }
  Result<void> finish(const stages::RunEnd&) override { return {}; }
  std::string out;
  std::vector<std::string> writes;
};

// Stands for a page's credit: counts how many are alive.
struct Credit {
  explicit Credit(int* alive) : alive_(alive) { ++*alive_; }
  ~Credit() { --*alive_; }
  int* alive_;
};
using Hold = std::unique_ptr<Credit>;

stages::RecordBatch batch() {
  stages::RecordBatch b;
  b.region = "r";
  return b;
}

using Path = OrderedWriter<Hold>::Path;

TEST(OrderedWriter, StreamsComeOutInOrderWhateverOrderPagesArriveIn) {
  Collect sink;
  int alive = 0;
  OrderedWriter<Hold> w(sink, 100);
  ASSERT_TRUE(w.declare({}, 3).ok());
  ASSERT_TRUE(w.write(Path{2}, 0, false, batch(), "c0 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.write(Path{1}, 0, false, batch(), "b0 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.write(Path{0}, 0, false, batch(), "a0 ", std::make_unique<Credit>(&alive)).ok());
  EXPECT_EQ(sink.out, "a0 ") << "the head stream goes straight out";
  EXPECT_EQ(alive, 2) << "waiting pages keep their credits";
  ASSERT_TRUE(w.write(Path{2}, 1, true, batch(), "c1 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.write(Path{0}, 1, true, batch(), "a1 ", std::make_unique<Credit>(&alive)).ok());
  EXPECT_EQ(sink.out, "a0 a1 b0 ");
  ASSERT_TRUE(w.write(Path{1}, 1, true, batch(), "b1 ", std::make_unique<Credit>(&alive)).ok());
  EXPECT_EQ(sink.out, "a0 a1 b0 b1 c0 c1 ");
  EXPECT_TRUE(w.finished());
  EXPECT_EQ(alive, 0);
}

TEST(OrderedWriter, PastTheCapWaitingPagesMoveToAFileAndFreeTheirCredits) {
  Collect sink;
  int alive = 0;
  OrderedWriter<Hold> w(sink, 2);
  ASSERT_TRUE(w.declare({}, 3).ok());
  std::string expected_b, expected_c;
  for (std::uint64_t i = 0; i < 50; ++i) {
    const std::string b = "b" + std::to_string(i) + " ";
    const std::string c = "c" + std::to_string(i) + " ";
    ASSERT_TRUE(w.write(Path{1}, i, i == 49, batch(), b, std::make_unique<Credit>(&alive)).ok());
    ASSERT_TRUE(w.write(Path{2}, i, i == 49, batch(), c, std::make_unique<Credit>(&alive)).ok());
    expected_b += b;
    expected_c += c;
    EXPECT_LE(alive, 2) << "never more than the cap keep a credit";
  }
  EXPECT_EQ(sink.out, "") << "stream 0 has not finished";
  ASSERT_TRUE(w.write(Path{0}, 0, true, batch(), "a ", std::make_unique<Credit>(&alive)).ok());
  EXPECT_EQ(sink.out, "a " + expected_b + expected_c);
  EXPECT_TRUE(w.finished());
  EXPECT_EQ(alive, 0);
}

TEST(OrderedWriter, APageThatWaitedInTheFileComesBackWholeAndCounted) {
  // A sink whose writes are framed (a snapshot's groups) must get each page
  // as one write, however large, and the records count as it does.
  Collect sink;
  int alive = 0;
  OrderedWriter<Hold> w(sink, 1);
  ASSERT_TRUE(w.declare({}, 2).ok());
  const std::string big(3 << 20, 'x'), small = "y";
  for (std::uint64_t i = 0; i < 3; ++i) {
    stages::RecordBatch b = batch();
    b.rows = 10;
    ASSERT_TRUE(w.write(Path{1}, i, i == 2, b, i == 1 ? small : big + std::to_string(i), std::make_unique<Credit>(&alive))
                    .ok());
  }
  EXPECT_TRUE(sink.writes.empty());
  ASSERT_TRUE(w.write(Path{0}, 0, true, batch(), "a", std::make_unique<Credit>(&alive)).ok());
  // (Compared by size and last byte: a failure must not print megabytes.)
  std::vector<std::pair<std::size_t, char>> got;
  for (const auto& w_ : sink.writes) got.emplace_back(w_.size(), w_.back());
  EXPECT_EQ(got, (std::vector<std::pair<std::size_t, char>>{{1, 'a'}, {big.size() + 1, '0'}, {1, 'y'}, {big.size() + 1, '2'}}));
  EXPECT_EQ(w.written(), 30u);
  EXPECT_TRUE(w.finished());
  EXPECT_EQ(alive, 0);
}

}  // namespace
}  // namespace pricepipe::graph
