#include "config/settings.h"

#include <fmt/format.h>

#include "core/error.h"

namespace pricepipe::config {

namespace {

template <class T>
std::string default_text(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value.empty() ? "" : value;
  } else {
    return fmt::format("{}", value);
  }
}

}  // namespace

void NetworkSettings::validate() const {
  auto require = [](bool ok, const char* flag, const std::string& why) {
    if (!ok) throw FatalError(ErrorCode::usage, fmt::format("{}: {}", flag, why));
  };
  require(connect_timeout_s > 0, "--connect-timeout", "must be greater than 0 seconds");
  require(read_timeout_s > 0, "--read-timeout", "must be greater than 0 seconds");
  require(max_concurrency >= 1 && max_concurrency <= 256, "--max-concurrency", "must be between 1 and 256");
  require(max_attempts >= 1 && max_attempts <= 50, "--max-attempts", "must be between 1 and 50");
  require(retry_deadline_s >= 0, "--retry-deadline", "must not be negative");
  require(max_pages_in_flight >= 1 && max_pages_in_flight <= 4096, "--max-pages-in-flight",
          "must be between 1 and 4096");
}

std::vector<SettingDoc> network_setting_docs() {
  std::vector<SettingDoc> docs;
  const NetworkSettings defaults;
  NetworkSettings::describe([&](auto member, const char* flag, const char* env, const char* description) {
    docs.push_back({flag, env, default_text(defaults.*member), description});
  });
  return docs;
}

}  // namespace pricepipe::config
