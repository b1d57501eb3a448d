#include "stages/transforms/json_error_locator.h"

#include <cctype>
#include <vector>

namespace pricepipe::stages {

namespace {

class Validator {
 public:
  explicit Validator(std::string_view text) : t_(text) {}

  std::optional<JsonErrorLocation> run() {
    skip_space();
    if (i_ == t_.size()) return fail("empty document");
    if (!value()) return error_;
    skip_space();
    if (i_ != t_.size()) return fail("text after the end of the document");
    return std::nullopt;
  }

 private:
  std::optional<JsonErrorLocation> fail(std::string what) {
    if (!error_) error_ = JsonErrorLocation{i_, std::move(what)};
    return error_;
  }

  bool failed(std::string what) {
    fail(std::move(what));
    return false;
  }

  void skip_space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }

  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return failed("invalid literal");
    i_ += word.size();
    return true;
  }

  bool string() {
    ++i_;  // opening quote
    while (i_ < t_.size()) {
      const auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return failed("control character in a string");
      if (c == '\\') {
        if (++i_ >= t_.size()) break;
        const char e = t_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_]))) return failed("bad \\u escape");
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return failed("bad escape in a string");
        }
      }
      ++i_;
    }
    return failed("unterminated string");
  }

  bool number() {
    const std::size_t start = i_;
    if (t_[i_] == '-') ++i_;
    auto digits = [&] {
      const std::size_t from = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      return i_ > from;
    };
    if (i_ < t_.size() && t_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      i_ = start;
      return failed("invalid number");
    }
    if (i_ < t_.size() && t_[i_] == '.' && (++i_, !digits())) return failed("invalid number");
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) return failed("invalid number");
    }
    return true;
  }

  bool value() {
    // Iterative over containers so a deeply nested document cannot overflow the stack.
    std::vector<char> stack;
    for (;;) {
      skip_space();
      if (i_ >= t_.size()) return failed("the document ends early (truncated?)");
      const char c = t_[i_];
      if (c == '{' || c == '[') {
        stack.push_back(c);
        ++i_;
        skip_space();
        if (i_ < t_.size() && t_[i_] == (c == '{' ? '}' : ']')) {
          ++i_;
          stack.pop_back();
        } else {
          if (c == '{' && !key()) return false;
          continue;  // the first member's value
        }
      } else if (c == '"') {
        if (!string()) return false;
      } else if (c == 't') {
        if (!literal("true")) return false;
      } else if (c == 'f') {
        if (!literal("false")) return false;
      } else if (c == 'n') {
        if (!literal("null")) return false;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!number()) return false;
      } else {
        return failed(std::string("unexpected character '") + c + "'");
      }
      // After a complete value: close containers or move to the next member.
      for (;;) {
        if (stack.empty()) return true;
        skip_space();
        if (i_ >= t_.size()) return failed("the document ends early (truncated?)");
        const char open = stack.back();
        const char close = open == '{' ? '}' : ']';
        if (t_[i_] == ',') {
          ++i_;
          if (open == '{' && !key()) return false;
          break;
        }
        if (t_[i_] == close) {
          ++i_;
          stack.pop_back();
          continue;
        }
        return failed(std::string("expected ',' or '") + close + "'");
      }
    }
  }

  // `"key" :` inside an object.
  bool key() {
    skip_space();
    if (i_ >= t_.size()) return failed("the document ends early (truncated?)");
    if (t_[i_] != '"') return failed("expected a string key");
    if (!string()) return false;
    skip_space();
    if (i_ >= t_.size() || t_[i_] != ':') return failed("expected ':'");
    ++i_;
    return true;
  }

  std::string_view t_;
  std::size_t i_ = 0;
  std::optional<JsonErrorLocation> error_;
};

}  // namespace

std::optional<JsonErrorLocation> locate_json_error(std::string_view text) { return Validator(text).run(); }

}  // namespace pricepipe::stages
