// Typed reads of EC2 XML elements for the normalizers.
//
// Contract: a missing element reads as nullopt / empty / false; an element
// that is present but does not hold what its type promises (a number that is
// not a number, text that is not UTF-8) is an Error naming the element, so
// bad data is never silently turned into 0 or written out as invalid JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "core/error.h"

namespace pricepipe::stages::xml {

/// Collects the first conversion failure while a record is read.
class Reader {
 public:
  std::optional<std::string> text(pugi::xml_node parent, const char* name);
  std::optional<std::int64_t> integer(pugi::xml_node parent, const char* name);
  std::optional<double> number(pugi::xml_node parent, const char* name);
  std::optional<bool> boolean(pugi::xml_node parent, const char* name);
  /// `<name><item>a</item><item>b</item></name>` → {"a", "b"}.
  std::vector<std::string> text_list(pugi::xml_node parent, const char* name);
  std::vector<std::int64_t> integer_list(pugi::xml_node parent, const char* name);

  /// The first failure, as "<path>: expected a number, got 'x'".
  const std::optional<std::string>& failure() const { return failure_; }

 private:
  template <class T>
  std::optional<T> parse(pugi::xml_node node, const char* expected);
  void fail(pugi::xml_node node, const char* expected);
  std::optional<std::string> failure_;
};

/// The members of a list element: `<item>` almost everywhere, `<member>` in
/// a few shapes (InferenceAcceleratorInfo's accelerators), so any element child.
/// (The parser keeps neither whitespace-only text nor comments, so every
/// child is an element.)
inline auto items(pugi::xml_node list) { return list.children(); }

}  // namespace pricepipe::stages::xml
