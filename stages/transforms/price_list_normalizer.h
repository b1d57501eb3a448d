// Normalize stage for Pricing API items: each PriceList entry (a product
// with all of its terms) → on-demand or reserved price records.
//
// Contract: const and CPU-only; per-thread simdjson DOM parser. An entry that is
// not an EC2 instance product, or that the filter drops, yields nothing.
#pragma once

#include "core/dataset.h"
#include "stages/transforms/price_list_product.h"
#include "stages/transforms/pricing_response_parser.h"

namespace pricepipe::stages {

class PriceListNormalizer {
 public:
  explicit PriceListNormalizer(PriceFilter filter = {}) : filter_(std::move(filter)) {}
  Result<RecordVector> process(Dataset dataset, const PricingDocument& doc, const net::Page& page) const;

 private:
  PriceFilter filter_;
};

}  // namespace pricepipe::stages
