// Where a JSON text goes wrong. The simdjson DOM parser says that a document
// is malformed but not where; this strict scalar validator is run only on
// that error path, to name the byte offset in the message.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pricepipe::stages {

struct JsonErrorLocation {
  std::size_t offset;
  std::string what;
};

/// The first error in `text` (RFC 8259), or nothing when it is valid JSON.
std::optional<JsonErrorLocation> locate_json_error(std::string_view text);

}  // namespace pricepipe::stages
