// The process environment, injectable so tests never read the real one.
#pragma once

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

namespace pricepipe {

using Environment = std::function<std::optional<std::string>(const std::string& name)>;

/// Reads the real environment.
inline Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

/// The variable's value when set and not empty.
inline std::optional<std::string> non_empty(const Environment& env, const std::string& name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

}  // namespace pricepipe
