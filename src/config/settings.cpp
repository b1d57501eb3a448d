#include "config/settings.h"

#include <charconv>
#include <type_traits>

#include <fmt/format.h>

#include "core/error.h"

namespace pricepipe::config {

namespace {

template <class T>
std::string default_text(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value.empty() ? "" : value;
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "on" : "";
  } else {
    return fmt::format("{}", value);
  }
}

template <class Settings>
void append_docs(std::vector<SettingDoc>& docs) {
  const Settings defaults;
  Settings::describe([&](auto member, const char* flag, const char* env, const char* description) {
    docs.push_back({flag, env, default_text(defaults.*member), description});
  });
}

void require(bool ok, const char* flag, const std::string& why) {
  if (!ok) throw FatalError(ErrorCode::usage, fmt::format("{}: {}", flag, why));
}

}  // namespace

void NetworkSettings::validate() const {
  require(connect_timeout_s > 0, "--connect-timeout", "must be greater than 0 seconds");
  require(read_timeout_s > 0, "--read-timeout", "must be greater than 0 seconds");
  require(max_concurrency >= 1 && max_concurrency <= 256, "--max-concurrency", "must be between 1 and 256");
  require(max_attempts >= 1 && max_attempts <= 50, "--max-attempts", "must be between 1 and 50");
  require(retry_deadline_s >= 0, "--retry-deadline", "must not be negative");
  require(max_pages_in_flight >= 1 && max_pages_in_flight <= 4096, "--max-pages-in-flight",
          "must be between 1 and 4096");
}

void CacheSettings::validate() const {
  require(parse_size(max_size).has_value(), "--cache-max-size", "expected a size such as 2G or 500M, got '" + max_size + "'");
  require(parse_size(memory).has_value(), "--cache-memory", "expected a size such as 256M, got '" + memory + "'");
  require(level >= 1 && level <= 19, "--cache-level", "must be between 1 and 19");
  require(!(offline && (disabled || refresh)), "--offline", "cannot be combined with --no-cache or --refresh");
  CacheSettings::describe([&](auto member, const char* flag, const char*, const char*) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(this->*member)>, std::string>) {
      if (std::string_view(flag).starts_with("--cache-ttl") || std::string_view(flag) == "--cache-negative-ttl") {
        require(parse_duration(this->*member).has_value(), flag,
                "expected a duration such as 90s, 30m, 24h, 7d or 0, got '" + this->*member + "'");
      }
    }
  });
}

void ReportSettings::validate() const {
  require(metrics_format == "json" || metrics_format == "prometheus", "--metrics-format",
          "expected json or prometheus, got '" + metrics_format + "'");
}

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  static constexpr std::pair<char, std::int64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
  if (text == "0") return std::chrono::seconds(0);
  if (text.size() < 2) return std::nullopt;
  std::int64_t amount = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, amount);
  if (ec != std::errc() || ptr != end || amount < 0) return std::nullopt;
  for (const auto& [unit, seconds] : kUnits) {
    if (*end == unit) return std::chrono::seconds(amount * seconds);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t amount = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  if (unit.empty() || unit == "B") return amount;
  static constexpr std::pair<std::string_view, int> kUnits[] = {{"K", 10}, {"M", 20}, {"G", 30}, {"T", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit == name || unit == std::string(name) + "B" || unit == std::string(name) + "iB") return amount << shift;
  }
  return std::nullopt;
}

std::vector<SettingDoc> setting_docs() {
  std::vector<SettingDoc> docs;
  append_docs<NetworkSettings>(docs);
  append_docs<CacheSettings>(docs);
  append_docs<ReportSettings>(docs);
  return docs;
}

}  // namespace pricepipe::config
