#include "core/region_info.h"

#include <array>

namespace pricepipe {

namespace {

// Location names as the Price List spells them (they differ from the console
// names for some regions: "EU (Ireland)", not "Europe (Ireland)").
constexpr std::array<RegionInfo, 38> kRegions = {{
    {"af-south-1", "Africa (Cape Town)", "Africa", true},
    {"ap-east-1", "Asia Pacific (Hong Kong)", "Asia Pacific", true},
    {"ap-east-2", "Asia Pacific (Taipei)", "Asia Pacific", true},
    {"ap-northeast-1", "Asia Pacific (Tokyo)", "Asia Pacific", false},
    {"ap-northeast-2", "Asia Pacific (Seoul)", "Asia Pacific", false},
    {"ap-northeast-3", "Asia Pacific (Osaka)", "Asia Pacific", false},
    {"ap-south-1", "Asia Pacific (Mumbai)", "Asia Pacific", false},
    {"ap-south-2", "Asia Pacific (Hyderabad)", "Asia Pacific", true},
    {"ap-southeast-1", "Asia Pacific (Singapore)", "Asia Pacific", false},
    {"ap-southeast-2", "Asia Pacific (Sydney)", "Asia Pacific", false},
    {"ap-southeast-3", "Asia Pacific (Jakarta)", "Asia Pacific", true},
    {"ap-southeast-4", "Asia Pacific (Melbourne)", "Asia Pacific", true},
    {"ap-southeast-5", "Asia Pacific (Malaysia)", "Asia Pacific", true},
    {"ap-southeast-7", "Asia Pacific (Thailand)", "Asia Pacific", true},
    {"ca-central-1", "Canada (Central)", "North America", false},
    {"ca-west-1", "Canada West (Calgary)", "North America", true},
    {"cn-north-1", "China (Beijing)", "China", false},
    {"cn-northwest-1", "China (Ningxia)", "China", false},
    {"eu-central-1", "EU (Frankfurt)", "Europe", false},
    {"eu-central-2", "EU (Zurich)", "Europe", true},
    {"eu-north-1", "EU (Stockholm)", "Europe", false},
    {"eu-south-1", "EU (Milan)", "Europe", true},
    {"eu-south-2", "EU (Spain)", "Europe", true},
    {"eu-west-1", "EU (Ireland)", "Europe", false},
    {"eu-west-2", "EU (London)", "Europe", false},
    {"eu-west-3", "EU (Paris)", "Europe", false},
    {"il-central-1", "Israel (Tel Aviv)", "Middle East", true},
    {"me-central-1", "Middle East (UAE)", "Middle East", true},
    {"me-south-1", "Middle East (Bahrain)", "Middle East", true},
    {"mx-central-1", "Mexico (Central)", "North America", true},
    {"sa-east-1", "South America (Sao Paulo)", "South America", false},
    {"us-east-1", "US East (N. Virginia)", "North America", false},
    {"us-east-2", "US East (Ohio)", "North America", false},
    {"us-gov-east-1", "AWS GovCloud (US-East)", "North America", false},
    {"us-gov-west-1", "AWS GovCloud (US-West)", "North America", false},
    {"us-west-1", "US West (N. California)", "North America", false},
    {"us-west-2", "US West (Oregon)", "North America", false},
    {"eusc-de-east-1", "EU (Germany) Sovereign Cloud", "Europe", false},
}};

}  // namespace

std::optional<RegionInfo> find_region_info(std::string_view code) {
  for (const auto& r : kRegions) {
    if (r.code == code) return r;
  }
  return std::nullopt;
}

std::string partition_of(std::string_view region) {
  if (region.rfind("cn-", 0) == 0) return "aws-cn";
  if (region.rfind("us-gov-", 0) == 0) return "aws-us-gov";
  return "aws";
}

std::string currency_of(std::string_view region) { return partition_of(region) == "aws-cn" ? "CNY" : "USD"; }

}  // namespace pricepipe
