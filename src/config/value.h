// A configuration value with where it was written: a YAML node of a pipeline
// file, a command-line flag or an environment variable. Options are read
// from values of either origin the same way, so a mistake is reported the
// same way too: naming the file, line and column, or the flag.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pricepipe::config {

/// Where a value was written.
struct Location {
  std::string origin;  ///< a file path, "command line" or "environment"
  int line = 0;        ///< 1-based; 0 when the origin has no lines
  int column = 0;      ///< 1-based
  std::string name;    ///< the flag or variable (`--regions`, `PRICEPIPE_PRICE_LIST_URL`) when there is no line

  /// "pipelines/x.yaml:3:5", "--regions", "environment variable X".
  std::string describe() const;
};

/// A YAML-shaped value: a scalar, a sequence, a mapping (in written order) or null.
struct Value {
  enum class Kind { null, scalar, sequence, mapping };

  // Declared here and defaulted below, once Value is complete: clang checks
  // a defaulted-in-class constructor while `entries`' pair is incomplete.
  Value();

  Kind kind = Kind::null;
  std::string scalar;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> entries;
  Location at;      ///< where the value is
  Location key_at;  ///< where its key is, for a mapping's entry

  static Value of(std::string text, Location at);
  static Value list(std::vector<std::string> items, Location at);

  /// The entry named `key` of a mapping, or null.
  const Value* find(std::string_view key) const;
  /// "a string", "a list", "a mapping", "null": for messages.
  std::string_view kind_name() const;
};

inline Value::Value() = default;

/// Throws FatalError(usage) with "WHERE: message".
[[noreturn]] void fail_at(const Location& at, const std::string& message);
/// The same about option `key`, named unless `at` is its flag or variable.
[[noreturn]] void fail_option(const Location& at, std::string_view key, const std::string& message);

}  // namespace pricepipe::config
