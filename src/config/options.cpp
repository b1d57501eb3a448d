#include "config/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/error.h"

namespace pricepipe::config {

std::string Location::describe() const {
  if (line > 0) return fmt::format("{}:{}:{}", origin, line, column);
  if (origin == "environment") return "environment variable " + name;
  if (!name.empty()) return name;
  return origin;
}

Value Value::of(std::string text, Location at) {
  Value v;
  v.kind = Kind::scalar;
  v.scalar = std::move(text);
  v.at = std::move(at);
  return v;
}

Value Value::list(std::vector<std::string> items, Location at) {
  Value v;
  v.kind = Kind::sequence;
  v.at = at;
  for (auto& item : items) v.items.push_back(Value::of(std::move(item), at));
  return v;
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view Value::kind_name() const {
  switch (kind) {
    case Kind::null: return "null";
    case Kind::scalar: return "a single value";
    case Kind::sequence: return "a list";
    case Kind::mapping: return "a mapping";
  }
  return "a value";
}

void fail_at(const Location& at, const std::string& message) {
  throw FatalError(ErrorCode::usage, at.describe() + ": " + message);
}

void fail_option(const Location& at, std::string_view key, const std::string& message) {
  // A flag or a variable already names the option; a file position does not.
  fail_at(at, at.line > 0 ? fmt::format("{}: {}", key, message) : message);
}

std::string_view to_string(OptionType type) {
  switch (type) {
    case OptionType::string: return "string";
    case OptionType::boolean: return "boolean";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::string_list: return "list";
    case OptionType::count: return "count";
  }
  return "string";
}

std::string OptionDecl::long_flag() const {
  const auto at = flag.rfind("--");
  return at == std::string::npos ? flag : flag.substr(at);
}

std::string flag_for(std::string_view key) {
  std::string out = "--";
  for (char c : key) out.push_back(c == '_' ? '-' : c);
  return out;
}

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  // Levenshtein distance; a suggestion must be closer than half the word.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  };
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 2) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace detail {

std::string default_text(const std::string& v) { return v; }
std::string default_text(bool v) { return v ? "true" : "false"; }
std::string default_text(double v) { return fmt::format("{}", v); }
std::string default_text(std::int64_t v) { return std::to_string(v); }
std::string default_text(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); }

OptionDecl make_decl(const Option& option, OptionType type, std::string default_value) {
  OptionDecl d;
  d.key = option.key;
  d.flag = option.flag.empty() ? flag_for(option.key) : std::string(option.flag);
  d.help = option.help;
  d.env = option.env;
  d.placeholder = option.placeholder;
  d.type = type;
  // A false flag or a zero count is the absence of the flag, not a default worth printing.
  if (!((type == OptionType::boolean && default_value == "false") || (type == OptionType::count && default_value == "0"))) {
    d.default_text = std::move(default_value);
  }
  for (auto c : option.choices) d.choices.emplace_back(c);
  d.min = option.min;
  d.max = option.max;
  d.check = option.check;
  return d;
}

namespace {

[[noreturn]] void wrong(const Value& v, const OptionDecl& d, const std::string& why) { fail_option(v.at, d.key, why); }

const std::string& scalar_of(const Value& v, const OptionDecl& d, std::string_view expected) {
  if (v.kind != Value::Kind::scalar) wrong(v, d, fmt::format("expected {}, got {}", expected, v.kind_name()));
  return v.scalar;
}

void check_choice(const Value& v, const OptionDecl& d, const std::string& text) {
  if (!d.choices.empty() && std::find(d.choices.begin(), d.choices.end(), text) == d.choices.end()) {
    std::string message = fmt::format("'{}' is not one of {}", text, fmt::join(d.choices, ", "));
    if (auto close = nearest(text, d.choices)) message += fmt::format(" (did you mean '{}'?)", *close);
    wrong(v, d, message);
  }
  if (d.check != nullptr) {
    if (auto why = d.check(text)) wrong(v, d, *why);
  }
}

void check_range(const Value& v, const OptionDecl& d, double x) {
  if ((d.min && x < *d.min) || (d.max && x > *d.max)) {
    if (d.min && d.max) wrong(v, d, fmt::format("must be between {} and {}, got {}", *d.min, *d.max, v.scalar));
    if (d.min) wrong(v, d, fmt::format("must be at least {}, got {}", *d.min, v.scalar));
    wrong(v, d, fmt::format("must be at most {}, got {}", *d.max, v.scalar));
  }
}

}  // namespace

std::string to_string_value(const Value& v, const OptionDecl& d) {
  const std::string& text = scalar_of(v, d, "a string");
  check_choice(v, d, text);
  return text;
}

bool to_bool(const Value& v, const OptionDecl& d) {
  const std::string& text = scalar_of(v, d, "true or false");
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "on", "1"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "off", "0"};
  if (std::find(std::begin(kTrue), std::end(kTrue), text) != std::end(kTrue)) return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), text) != std::end(kFalse)) return false;
  wrong(v, d, fmt::format("expected true or false, got '{}'", text));
}

std::int64_t to_integer(const Value& v, const OptionDecl& d) {
  const std::string& text = scalar_of(v, d, "an integer");
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || ptr != text.data() + text.size()) wrong(v, d, fmt::format("expected an integer, got '{}'", text));
  check_range(v, d, static_cast<double>(out));
  return out;
}

double to_number(const Value& v, const OptionDecl& d) {
  const std::string& text = scalar_of(v, d, "a number");
  char* end = nullptr;
  const double out = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(out)) {
    wrong(v, d, fmt::format("expected a number, got '{}'", text));
  }
  check_range(v, d, out);
  return out;
}

std::vector<std::string> to_list(const Value& v, const OptionDecl& d) {
  std::vector<std::string> out;
  auto add = [&](const Value& item, const std::string& text) {
    std::string trimmed = text;
    trimmed.erase(0, trimmed.find_first_not_of(" \t"));
    trimmed.erase(trimmed.find_last_not_of(" \t") + 1);
    if (trimmed.empty()) return;
    check_choice(item, d, trimmed);
    out.push_back(std::move(trimmed));
  };
  // A list, or one value with commas (as on the command line).
  auto split = [&](const Value& item) {
    const std::string& text = scalar_of(item, d, "a string or a list of strings");
    std::size_t start = 0;
    for (;;) {
      const auto comma = text.find(',', start);
      add(item, text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  };
  if (v.kind == Value::Kind::sequence) {
    for (const Value& item : v.items) split(item);
  } else {
    split(v);
  }
  return out;
}

Location blame(const std::vector<std::pair<std::string, Value>>& given, const std::string& key, const Location& node) {
  for (const auto& [k, v] : given) {
    if (k == key) return v.at;
  }
  return node;
}

void check_keys(const std::vector<std::pair<std::string, Value>>& given, const std::vector<OptionDecl>& decls,
                const std::vector<std::string>& allowed, std::string_view what) {
  std::vector<std::string> known = allowed;
  for (const auto& d : decls) known.push_back(d.key);
  for (const auto& [key, v] : given) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const Location& at = v.key_at.origin.empty() ? v.at : v.key_at;
    if (at.line == 0 && !at.name.empty()) fail_at(at, fmt::format("does not apply to {}", what));
    std::string message = fmt::format("{} has no option '{}'", what, key);
    if (auto close = nearest(key, known)) message += fmt::format("; did you mean '{}'?", *close);
    fail_at(at, message);
  }
}

const Value* given_or_env(const std::vector<std::pair<std::string, Value>>& given, const OptionDecl& d,
                          const Environment& env, Value& env_slot) {
  for (const auto& [k, v] : given) {
    if (k == d.key) return &v;
  }
  if (d.env.empty() || !env) return nullptr;
  auto text = non_empty(env, d.env);
  if (!text) return nullptr;
  Location at;
  at.origin = "environment";
  at.name = d.env;
  env_slot = Value::of(*text, at);
  return &env_slot;
}

}  // namespace detail

}  // namespace pricepipe::config
