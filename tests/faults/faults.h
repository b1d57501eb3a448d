// What the fault suite's cases share: runs against fakeaws, the request log,
// and the two outcomes a fault may have — the clean run's output exactly, or
// a whole-line prefix of it marked incomplete.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fakeaws.h"
#include "tests/support/process.h"

namespace pricepipe::testing::faults {

struct LoggedRequest {
  std::string action;
  std::string region;
  std::string path;  ///< bulk files
  long status = 0;   ///< 0: the connection was reset
  std::string fault;
};

inline std::vector<LoggedRequest> request_log(FakeAws& fake) {
  std::vector<LoggedRequest> out;
  simdjson::dom::parser parser;
  const std::string log = fake.requests();
  for (simdjson::dom::element r : parser.parse(log).get_array()) {
    LoggedRequest q;
    auto text = [&](const char* key) {
      std::string_view v;
      return r[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
    };
    q.action = text("action");
    q.region = text("region");
    q.path = text("path");
    q.fault = text("fault");
    std::int64_t status = 0;
    if (r["status"].get(status) == simdjson::SUCCESS) q.status = static_cast<long>(status);
    out.push_back(std::move(q));
  }
  return out;
}

inline std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

/// 1234567 → "1,234,567", as the summary line writes counts.
inline std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n);
  for (std::size_t i = digits.size(); i > 3; i -= 3) digits.insert(i - 3, ",");
  return digits;
}

/// The output a fault may leave: whole lines, each the clean run's, in order.
inline void expect_whole_line_prefix(const std::string& out, const std::string& clean) {
  ASSERT_TRUE(out.empty() || out.back() == '\n') << "the output ends mid-record: ..."
                                                 << out.substr(out.size() > 200 ? out.size() - 200 : 0);
  ASSERT_LE(out.size(), clean.size());
  EXPECT_TRUE(clean.compare(0, out.size(), out) == 0) << "the output is not a prefix of the clean run's";
}

}  // namespace pricepipe::testing::faults
