// Paginator for EC2's query API (Describe* actions).
//
// The request is `POST /` with a form body `Action=...&Version=2016-11-15`
// plus the action's parameters; pages are chained with `NextToken`, found by
// scanning the raw body for `<nextToken>` before it is parsed. The concrete
// sources (DescribeInstanceTypesSource, ...) only choose the action and its
// parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/paginator.h"

namespace pricepipe::stages {

/// An EC2 filter: `Filter.N.Name` with its `Filter.N.Value.M` values.
struct Ec2Filter {
  std::string name;
  std::vector<std::string> values;
};

class Ec2QuerySource : public net::Paginator {
 public:
  static constexpr std::string_view kApiVersion = "2016-11-15";

  /// `max_results` nullopt: the action is not paginated.
  Ec2QuerySource(std::string action, std::string region, std::vector<std::pair<std::string, std::string>> params,
                 std::vector<Ec2Filter> filters, std::optional<int> max_results);

  net::ApiRequest first() const override;
  std::optional<net::ApiRequest> next(const net::ApiRequest& answered, std::string_view body) const override;

  const std::string& action() const { return action_; }

  /// Parameters the cache key names differently (see net::ApiRequest::key_overrides).
  void set_key_overrides(std::vector<std::pair<std::string, std::string>> overrides) {
    key_overrides_ = std::move(overrides);
  }

  /// The continuation token of an EC2 answer, or nothing when absent or empty.
  static std::optional<std::string> scan_next_token(std::string_view body);

 private:

  std::string action_;
  std::string region_;
  std::string form_;  ///< the encoded parameters common to every page
  bool paginated_;
  std::vector<std::pair<std::string, std::string>> key_overrides_;
};

/// The `instance-type` filter for a list of types or patterns (`m7g.*`); none for an empty list.
std::vector<Ec2Filter> instance_type_filters(const std::vector<std::string>& instance_types);

/// `application/x-www-form-urlencoded` encoding of key=value pairs, in order.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace pricepipe::stages
