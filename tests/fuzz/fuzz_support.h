// What every fuzz target shares: failing a check, quiet logging, the input
// as text.
//
// Contract: a target returns normally for every input its parser rejects
// with an Error or a FatalError; anything else (a sanitizer report, an
// uncaught exception, an abort from `fail`) is a finding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace pricepipe::fuzz {

/// Stops the run with `what`: libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

/// Silences the warnings parsers log for bad input (millions of them).
inline void quiet() { spdlog::set_level(spdlog::level::off); }

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace pricepipe::fuzz
