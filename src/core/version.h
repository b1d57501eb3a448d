// pricepipe's version: `--version`, the metrics, a snapshot's manifest.
#pragma once

#include <string_view>

namespace pricepipe {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace pricepipe
