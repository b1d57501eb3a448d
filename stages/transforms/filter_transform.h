// The `filter` transform: keeps the records whose fields satisfy every
// condition of `where`, each written `FIELD OP VALUE`:
//
//   where: ["gpu_count >= 1", "architectures == arm64", "on_demand_linux < 0.5", "instance_type ~ m7*"]
//
// Ops: == != < <= > >= on numbers, times (RFC 3339), strings and booleans;
// `~` matches a string against a pattern (`*` any run, `?` one character).
// On a list, == and != test membership and ~ matches any item. A price
// field compares its value. `null` names a missing value: `== null` keeps
// records without one; a null field satisfies no comparison but `!=`.
//
// Contract: the conditions are checked against the input dataset's field
// declaration when the pipeline is planned (an unknown field names the
// nearest; a value of the wrong type is refused); `apply` is const and
// CPU-only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/options.h"
#include "stages/lowering.h"

namespace pricepipe::stages {

/// One `FIELD OP VALUE`, as written.
struct Condition {
  std::string field;
  std::string op;
  std::string value;
  bool quoted = false;  ///< the value was a quoted string
};

/// Parses a condition; nullopt with `why` set when it is not one.
std::optional<Condition> parse_condition(const std::string& text, std::string& why);

struct FilterOptions {
  std::vector<std::string> where;

  template <class V>
  static void describe(V&& v) {
    v(&FilterOptions::where,
      config::Option{.key = "where",
                     .help = "Conditions a record must all satisfy, each `FIELD OP VALUE` with OP one of == != < <= > "
                             ">= ~ (pattern); fields are the input dataset's (docs/datasets.md), `null` a missing value.",
                     .placeholder = "CONDITION",
                     .check = check_condition});
  }
  std::optional<config::OptionProblem> validate() const;
  static std::optional<std::string> check_condition(const std::string& text);
};

/// The filter for records of `input`, or why the conditions do not fit its fields.
Result<std::shared_ptr<const Transform>> bind_filter(const std::vector<std::string>& where, Dataset input);

}  // namespace pricepipe::stages
