// Parse stage for Pricing API answers: the GetProducts envelope → the
// PriceList items, each a JSON document carried inside a JSON string, copied
// out unescaped with simdjson's padding so the normalizer parses them
// without another copy.
//
// Contract: const and CPU-only; uses a per-thread simdjson DOM parser. A body
// that is not the expected envelope is a malformed-response Error naming the
// region, action, request id and byte offset.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "net/fetcher.h"

namespace pricepipe::stages {

struct PricingDocument {
  std::vector<std::string> items;  ///< PriceList entries; capacity includes simdjson padding
  std::string request_id;
};

class PricingResponseParser {
 public:
  Result<PricingDocument> process(const net::Page& page) const;
};

}  // namespace pricepipe::stages
