// DescribeSpotPriceHistory for one region: 1000 observations per page (AWS's
// maximum), for a window, some product descriptions and, optionally, exact
// instance types or type patterns (the `instance-type` filter, whose values
// take EC2's `*` and `?` wildcards). With StartTime equal to EndTime EC2
// returns the price in effect at that instant for each (type, zone, product).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/schema.h"
#include "stages/sources/ec2_query_source.h"

namespace pricepipe::stages {

class DescribeSpotPriceHistorySource final : public Ec2QuerySource {
 public:
  static constexpr int kMaxResults = 1000;

  /// `start_label` / `end_label`: how the window's ends follow the clock
  /// (`now`, `now-86400s`), for the cache key; empty for a fixed time.
  DescribeSpotPriceHistorySource(std::string region, const std::vector<std::string>& instance_types,
                                 const std::vector<std::string>& product_descriptions, Timestamp start, Timestamp end,
                                 const std::string& start_label = "", const std::string& end_label = "",
                                 const std::vector<std::string>& type_patterns = {})
      : Ec2QuerySource("DescribeSpotPriceHistory", std::move(region), params(instance_types, product_descriptions, start, end),
                       type_patterns.empty() ? std::vector<Ec2Filter>{} : std::vector<Ec2Filter>{{"instance-type", type_patterns}},
                       kMaxResults) {
    std::vector<std::pair<std::string, std::string>> overrides;
    if (!start_label.empty()) overrides.emplace_back("StartTime", start_label);
    if (!end_label.empty()) overrides.emplace_back("EndTime", end_label);
    set_key_overrides(std::move(overrides));
  }

 private:
  static std::vector<std::pair<std::string, std::string>> params(const std::vector<std::string>& types,
                                                                 const std::vector<std::string>& products,
                                                                 Timestamp start, Timestamp end) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < types.size(); ++i) out.emplace_back("InstanceType." + std::to_string(i + 1), types[i]);
    for (std::size_t i = 0; i < products.size(); ++i) {
      out.emplace_back("ProductDescription." + std::to_string(i + 1), products[i]);
    }
    std::string s, e;
    append_rfc3339(s, start);
    append_rfc3339(e, end);
    out.emplace_back("StartTime", s);
    out.emplace_back("EndTime", e);
    return out;
  }
};

}  // namespace pricepipe::stages
