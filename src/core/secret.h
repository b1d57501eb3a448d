// A string that must never be printed: secret keys, session tokens,
// authorization headers. It has no stream or fmt output of its own; code that
// needs the bytes (the signer) calls `reveal()`, which is easy to grep for.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace pricepipe {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  bool empty() const { return value_.empty(); }
  /// The raw bytes, for signing only.
  const std::string& reveal() const { return value_; }

  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

}  // namespace pricepipe

/// Formatting a Secret prints a fixed mask, so an accidental log line leaks nothing.
template <>
struct fmt::formatter<pricepipe::Secret> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const pricepipe::Secret& s, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(s.empty() ? "<empty>" : "<redacted>", ctx);
  }
};
