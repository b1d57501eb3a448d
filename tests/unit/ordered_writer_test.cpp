// The ordered writer: streams come out one after another whatever order
// their pages arrive in, and waiting pages give their credit back past the cap.
#include "graph/ordered_writer.h"

#include <gtest/gtest.h>

#include <memory>

namespace pricepipe::graph {
namespace {

class Collect final : public stages::Sink {
 public:
  std::string prepare(const stages::RecordBatch&) const override { return {}; }
  bool needs_records() const override { return false; }
  Result<void> write(const stages::RecordBatch&, std::string prepared) override {
    out += prepared;
    return {};
  }
  Result<void> finish(bool) override { return {}; }
  std::string out;
};

// Stands for a page's credit: counts how many are alive.
struct Credit {
  explicit Credit(int* alive) : alive_(alive) { ++*alive_; }
  ~Credit() { --*alive_; }
  int* alive_;
};
using Hold = std::unique_ptr<Credit>;

stages::RecordBatch batch() { return stages::RecordBatch{Dataset::instance_types, "r", 0, 0, {}}; }

TEST(OrderedWriter, StreamsComeOutInOrderWhateverOrderPagesArriveIn) {
  Collect sink;
  int alive = 0;
  OrderedWriter<Hold> w(sink, 3, 100);
  ASSERT_TRUE(w.write(2, batch(), "c0 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.write(1, batch(), "b0 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.write(0, batch(), "a0 ", std::make_unique<Credit>(&alive)).ok());
  EXPECT_EQ(sink.out, "a0 ") << "the head stream goes straight out";
  EXPECT_EQ(alive, 2) << "waiting pages keep their credits";
  ASSERT_TRUE(w.write(2, batch(), "c1 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.end(2).ok());
  ASSERT_TRUE(w.write(0, batch(), "a1 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.end(0).ok());
  EXPECT_EQ(sink.out, "a0 a1 b0 ");
  ASSERT_TRUE(w.write(1, batch(), "b1 ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.end(1).ok());
  EXPECT_EQ(sink.out, "a0 a1 b0 b1 c0 c1 ");
  EXPECT_EQ(alive, 0);
}

TEST(OrderedWriter, PastTheCapWaitingPagesMoveToAFileAndFreeTheirCredits) {
  Collect sink;
  int alive = 0;
  OrderedWriter<Hold> w(sink, 3, 2);
  std::string expected_b, expected_c;
  for (int i = 0; i < 50; ++i) {
    const std::string b = "b" + std::to_string(i) + " ";
    const std::string c = "c" + std::to_string(i) + " ";
    ASSERT_TRUE(w.write(1, batch(), b, std::make_unique<Credit>(&alive)).ok());
    ASSERT_TRUE(w.write(2, batch(), c, std::make_unique<Credit>(&alive)).ok());
    expected_b += b;
    expected_c += c;
    EXPECT_LE(alive, 2) << "never more than the cap keep a credit";
  }
  ASSERT_TRUE(w.end(1).ok());
  ASSERT_TRUE(w.end(2).ok());
  EXPECT_EQ(sink.out, "") << "stream 0 has not finished";
  ASSERT_TRUE(w.write(0, batch(), "a ", std::make_unique<Credit>(&alive)).ok());
  ASSERT_TRUE(w.end(0).ok());
  EXPECT_EQ(sink.out, "a " + expected_b + expected_c);
  EXPECT_EQ(alive, 0);
}

}  // namespace
}  // namespace pricepipe::graph
