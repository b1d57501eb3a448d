// Options declared once, as data.
//
// A settings struct (a stage's options, the run's network settings, ...)
// lists its options in `template <class V> static void describe(V&& v)`,
// one `v(&S::member, Option{...})` per option in the order they are
// documented. Everything that needs the options reads that one list: the
// command line (the flag is `--` and the key with `-` for `_`), pipeline
// files (the key), `pricepipe schema --pipeline` (a JSON Schema), the tables
// in docs/ and validation. The member's C++ type is the option's type:
// std::string, bool, an integer, double, or std::vector<std::string>.
//
// `read_options<S>` builds an S from values written in a pipeline file or on
// the command line (config/value.h), falling back to the option's
// environment variable and then to S's default; every value is converted
// and checked here, so a mistake is reported the same way wherever it was
// written: naming the file, line and column (or the flag), what was expected
// and, for an unknown key, the nearest valid one. A struct may also define
// `std::optional<OptionProblem> validate() const` for checks across options.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/value.h"
#include "core/environment.h"

namespace pricepipe::config {

enum class OptionType { string, boolean, integer, number, string_list, count };

std::string_view to_string(OptionType type);

/// How an option is written in a `describe` list.
struct Option {
  std::string_view key;   ///< snake_case; the YAML key
  std::string_view help;  ///< one or two sentences, for --help and docs
  std::string_view env = {};  ///< read when the option is not given
  std::initializer_list<std::string_view> choices = {};  ///< the accepted values, when there are few
  std::optional<double> min = {};
  std::optional<double> max = {};
  std::string_view placeholder = {};  ///< the value in usage lines: LIST, URL, TIME
  /// The flag(s) when not derived from the key: "--no-cache", "-q,--quiet".
  std::string_view flag = {};
  /// Further checks of a string value (or each list item): why it is wrong, or nothing.
  std::optional<std::string> (*check)(const std::string& value) = nullptr;
};

/// An option as every consumer sees it.
struct OptionDecl {
  std::string key;
  std::string flag;  ///< as CLI11 takes it: "--regions", "-q,--quiet"
  std::string help;
  std::string env;
  std::string placeholder;
  std::string default_text;  ///< empty when there is none worth showing
  OptionType type = OptionType::string;
  std::vector<std::string> choices;
  std::optional<double> min, max;
  std::optional<std::string> (*check)(const std::string& value) = nullptr;

  /// The long flag alone: "--quiet".
  std::string long_flag() const;
};

/// A problem found by a struct's `validate()`: the option it concerns and why.
struct OptionProblem {
  std::string key;
  std::string message;
};

/// "instance_types" → "--instance-types".
std::string flag_for(std::string_view key);
/// The candidate closest to `word` by edit distance, when close enough to suggest.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

namespace detail {

template <class T>
constexpr OptionType option_type() {
  if constexpr (std::is_same_v<T, std::string>) {
    return OptionType::string;
  } else if constexpr (std::is_same_v<T, bool>) {
    return OptionType::boolean;
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return OptionType::string_list;
  } else if constexpr (std::is_floating_point_v<T>) {
    return OptionType::number;
  } else {
    static_assert(std::is_integral_v<T>, "options are strings, booleans, numbers or lists of strings");
    return OptionType::integer;
  }
}

std::string default_text(const std::string& v);
std::string default_text(bool v);
std::string default_text(double v);
std::string default_text(std::int64_t v);
std::string default_text(const std::vector<std::string>& v);

OptionDecl make_decl(const Option& option, OptionType type, std::string default_value);

// Conversions of a given value; each throws a usage error naming the value's location.
std::string to_string_value(const Value& v, const OptionDecl& d);
bool to_bool(const Value& v, const OptionDecl& d);
std::int64_t to_integer(const Value& v, const OptionDecl& d);
double to_number(const Value& v, const OptionDecl& d);
std::vector<std::string> to_list(const Value& v, const OptionDecl& d);

template <class T>
void assign(T& member, const Value& v, const OptionDecl& d) {
  if constexpr (std::is_same_v<T, std::string>) {
    member = to_string_value(v, d);
  } else if constexpr (std::is_same_v<T, bool>) {
    member = to_bool(v, d);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    member = to_list(v, d);
  } else if constexpr (std::is_floating_point_v<T>) {
    member = static_cast<T>(to_number(v, d));
  } else {
    member = static_cast<T>(to_integer(v, d));
  }
}

template <class T>
std::string text_of(const T& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                std::is_same_v<T, std::vector<std::string>>) {
    return default_text(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return default_text(static_cast<double>(value));
  } else {
    return default_text(static_cast<std::int64_t>(value));
  }
}

template <class S>
concept HasValidate = requires(const S& s) {
  { s.validate() } -> std::same_as<std::optional<OptionProblem>>;
};

/// The location to blame for `key`: where it was given, else the node.
Location blame(const std::vector<std::pair<std::string, Value>>& given, const std::string& key, const Location& node);

/// Rejects keys no option declares (naming the nearest one); `allowed` are
/// further keys the caller handles itself (a node's `type` and `inputs`).
void check_keys(const std::vector<std::pair<std::string, Value>>& given, const std::vector<OptionDecl>& decls,
                const std::vector<std::string>& allowed, std::string_view what);

/// The value for `d`: the given one, else its environment variable; null when neither.
const Value* given_or_env(const std::vector<std::pair<std::string, Value>>& given, const OptionDecl& d,
                          const Environment& env, Value& env_slot);

}  // namespace detail

/// Every option of S, in declaration order, with S's defaults.
template <class S>
std::vector<OptionDecl> declarations_of() {
  std::vector<OptionDecl> out;
  const S defaults{};
  S::describe([&](auto member, const Option& option) {
    using T = std::remove_cvref_t<decltype(defaults.*member)>;
    OptionType type = detail::option_type<T>();
    // A counted flag (-vv) is an integer written as a flag.
    if (type == OptionType::integer && !option.flag.empty() && option.flag.starts_with("-") &&
        !option.flag.starts_with("--")) {
      type = OptionType::count;
    }
    out.push_back(detail::make_decl(option, type, detail::text_of(defaults.*member)));
  });
  return out;
}

/// Builds an S from `given` (a node's entries, or values from the command
/// line): converts and checks each, falls back to environment variables and
/// defaults, then runs S's own `validate()`. `allowed`: keys that are not
/// options but are valid where `given` came from. `what` names the node in
/// messages ("source 'catalog'"); `node` is where it was written.
template <class S>
S read_options(const std::vector<std::pair<std::string, Value>>& given, const Environment& env, std::string_view what,
               const Location& node, const std::vector<std::string>& allowed = {}) {
  const std::vector<OptionDecl> decls = declarations_of<S>();
  detail::check_keys(given, decls, allowed, what);
  S out{};
  std::size_t i = 0;
  S::describe([&](auto member, const Option&) {
    const OptionDecl& d = decls[i++];
    Value env_slot;
    if (const Value* v = detail::given_or_env(given, d, env, env_slot)) detail::assign(out.*member, *v, d);
  });
  if constexpr (detail::HasValidate<S>) {
    if (auto problem = out.validate()) fail_option(detail::blame(given, problem->key, node), problem->key, problem->message);
  }
  return out;
}

}  // namespace pricepipe::config
