#include "stages/transforms/price_attributes.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>

namespace pricepipe::stages::price {

namespace {

struct Label {
  std::string_view label;
  std::string_view slug;
};

constexpr std::array<Label, 9> kOperatingSystems = {{
    {"Linux", "linux"},
    {"Windows", "windows"},
    {"RHEL", "rhel"},
    {"Red Hat Enterprise Linux", "rhel"},
    {"Red Hat Enterprise Linux with HA", "rhel-ha"},
    {"SUSE", "suse"},
    {"SUSE Linux", "suse"},
    {"Ubuntu Pro", "ubuntu-pro"},
    {"Linux/UNIX", "linux"},
}};

template <std::size_t N>
std::optional<std::string> lookup(const std::array<Label, N>& table, std::string_view label) {
  for (const auto& entry : table) {
    if (entry.label == label) return std::string(entry.slug);
  }
  return std::nullopt;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_word(char c) { return is_upper(c) || is_lower_or_digit(c); }

}  // namespace

std::string slug(std::string_view label) {
  std::string out;
  out.reserve(label.size() + 4);
  for (std::size_t i = 0; i < label.size(); ++i) {
    const char c = label[i];
    if (!is_word(c)) {
      if (!out.empty() && out.back() != '-') out.push_back('-');
      continue;
    }
    // camelCase: a capital after a lower-case letter or digit starts a word.
    if (is_upper(c) && i > 0 && is_lower_or_digit(label[i - 1]) && !out.empty() && out.back() != '-') {
      out.push_back('-');
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string operating_system(std::string_view label) {
  if (auto known = lookup(kOperatingSystems, label)) return *known;
  return slug(label);
}

// The labels every product repeats, without slugging them each time.
constexpr std::array<Label, 11> kCommon = {{
    {"Shared", "shared"},
    {"Dedicated", "dedicated"},
    {"Host", "host"},
    {"No License required", "no-license-required"},
    {"Bring your own license", "bring-your-own-license"},
    {"Used", "used"},
    {"UnusedCapacityReservation", "unused-capacity-reservation"},
    {"AllocatedCapacityReservation", "allocated-capacity-reservation"},
    {"No Upfront", "no-upfront"},
    {"Partial Upfront", "partial-upfront"},
    {"All Upfront", "all-upfront"},
}};

std::string tenancy(std::string_view label) { return lookup(kCommon, label).value_or(slug(label)); }
std::string license_model(std::string_view label) { return lookup(kCommon, label).value_or(slug(label)); }
std::string capacity_status(std::string_view label) { return lookup(kCommon, label).value_or(slug(label)); }
std::string purchase_option(std::string_view label) { return lookup(kCommon, label).value_or(slug(label)); }
std::string offering_class(std::string_view label) { return slug(label); }

std::optional<std::string> pre_installed_software(std::string_view label) {
  if (label.empty() || label == "NA") return std::nullopt;
  return slug(label);
}

std::optional<int> lease_years(std::string_view label) {
  int years = 0;
  auto [ptr, ec] = std::from_chars(label.data(), label.data() + label.size(), years);
  if (ec != std::errc() || years <= 0) return std::nullopt;
  std::string_view rest(ptr, static_cast<std::size_t>(label.data() + label.size() - ptr));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty() || rest == "yr" || rest == "year" || rest == "years") return years;
  return std::nullopt;
}

std::optional<double> parse_price(std::string_view text) {
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<OperationInfo> from_operation(std::string_view operation) {
  // AWS's EC2 billing codes (the "Billing information" of AMIs).
  struct Code {
    std::string_view operation;
    std::string_view os;
    std::string_view software;  // empty: none
    std::string_view license;
  };
  static constexpr std::array<Code, 19> kCodes = {{
      {"RunInstances", "linux", "", "no-license-required"},
      {"RunInstances:0002", "windows", "", "no-license-required"},
      {"RunInstances:0800", "windows", "", "bring-your-own-license"},
      {"RunInstances:0006", "windows", "sql-std", "no-license-required"},
      {"RunInstances:0102", "windows", "sql-ent", "no-license-required"},
      {"RunInstances:0202", "windows", "sql-web", "no-license-required"},
      {"RunInstances:0004", "linux", "sql-std", "no-license-required"},
      {"RunInstances:0100", "linux", "sql-ent", "no-license-required"},
      {"RunInstances:0200", "linux", "sql-web", "no-license-required"},
      {"RunInstances:0010", "rhel", "", "no-license-required"},
      {"RunInstances:00g0", "rhel", "", "bring-your-own-license"},
      {"RunInstances:1010", "rhel-ha", "", "no-license-required"},
      {"RunInstances:0014", "rhel", "sql-std", "no-license-required"},
      {"RunInstances:0110", "rhel", "sql-ent", "no-license-required"},
      {"RunInstances:0210", "rhel", "sql-web", "no-license-required"},
      {"RunInstances:1014", "rhel-ha", "sql-std", "no-license-required"},
      {"RunInstances:1110", "rhel-ha", "sql-ent", "no-license-required"},
      {"RunInstances:000g", "suse", "", "no-license-required"},
      {"RunInstances:0g00", "ubuntu-pro", "", "no-license-required"},
  }};
  for (const auto& code : kCodes) {
    if (code.operation == operation) {
      OperationInfo info{std::string(code.os), std::nullopt, std::string(code.license)};
      if (!code.software.empty()) info.pre_installed_software = std::string(code.software);
      return info;
    }
  }
  return std::nullopt;
}

std::optional<std::string> tenancy_from_usage_type(std::string_view usage_type) {
  const auto colon = usage_type.find(':');
  const std::string_view kind = usage_type.substr(0, colon);
  if (kind.ends_with("BoxUsage")) return "shared";
  if (kind.ends_with("DedicatedUsage")) return "dedicated";
  if (kind.ends_with("HostUsage")) return "host";
  return std::nullopt;
}

std::string_view instance_type_from_usage_type(std::string_view usage_type) {
  const auto colon = usage_type.find(':');
  return colon == std::string_view::npos ? std::string_view{} : usage_type.substr(colon + 1);
}

}  // namespace pricepipe::stages::price
