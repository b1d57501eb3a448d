// JSON string unescaping (RFC 8259), for the places that read JSON by hand:
// continuation tokens and the GetProducts envelope.
#pragma once

#include <string>
#include <string_view>

namespace pricepipe::stages {

/// Appends the unescaped form of `escaped` (a string's content without its
/// quotes) to `out`; false on an invalid escape.
bool json_unescape(std::string_view escaped, std::string& out);

}  // namespace pricepipe::stages
