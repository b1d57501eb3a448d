// A minimal, fast JSON writer appending to a std::string.
//
// Contract: not thread-safe; one writer per output buffer. The caller is
// responsible for structure (keys inside objects, commas are handled here).
// Numbers use the shortest representation that round-trips; non-finite
// numbers are written as null because JSON cannot carry them.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pricepipe {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { separate(); out_.push_back('{'); first_ = true; }
  void end_object() { out_.push_back('}'); first_ = false; }
  void begin_array() { separate(); out_.push_back('['); first_ = true; }
  void end_array() { out_.push_back(']'); first_ = false; }

  void key(std::string_view k) {
    separate();
    write_string(k);
    out_.push_back(':');
    first_ = true;  // the value that follows takes no comma
  }

  void null() { separate(); out_.append("null"); }
  void boolean(bool b) { separate(); out_.append(b ? "true" : "false"); }
  void integer(std::int64_t v) {
    separate();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void number(double v) {
    separate();
    if (!std::isfinite(v)) {
      out_.append("null");
      return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void string(std::string_view s) { separate(); write_string(s); }
  /// A value already JSON (a minified array), as it is.
  void raw(std::string_view json) { separate(); out_.append(json); }

 private:
  void separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }

  // True when any byte of `w` is a control character, '"' or '\\'.
  static bool needs_escape(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
    return (below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) != 0;
  }

  void write_string(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.push_back('"');
    std::size_t run = 0;
    std::size_t i = 0;
    // Eight bytes at a time while none needs escaping: names, types, prices.
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (needs_escape(w)) break;
      i += 8;
    }
    for (; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_.append("\\\""); break;
        case '\\': out_.append("\\\\"); break;
        case '\n': out_.append("\\n"); break;
        case '\r': out_.append("\\r"); break;
        case '\t': out_.append("\\t"); break;
        default:
          out_.append("\\u00");
          out_.push_back(kHex[c >> 4]);
          out_.push_back(kHex[c & 0xF]);
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }

  std::string& out_;
  bool first_ = true;
};

}  // namespace pricepipe
