// Parse and normalize stages for the Spot Instance Advisor feed:
// `spot_advisor[region][Linux|Windows][type] = {s: savings %, r: band}` with
// the bands in `ranges` → SpotAdvisorRecord, kept for the asked regions and
// instance types.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "core/records/spot.h"
#include "net/fetcher.h"
#include "stages/transforms/price_list_product.h"

namespace pricepipe::stages {

struct SpotAdvisorDocument {
  std::shared_ptr<simdjson::dom::parser> parser;  ///< owns the memory `root` points into
  simdjson::dom::element root;
};

class SpotAdvisorNormalizer {
 public:
  Result<SpotAdvisorDocument> parse(const net::Page& page) const;
  /// `filter`: regions and instance types to keep (operating systems as `linux` / `windows`).
  Result<std::vector<SpotAdvisorRecord>> process(const SpotAdvisorDocument& doc, const net::Page& page,
                                                 const PriceFilter& filter) const;
};

}  // namespace pricepipe::stages
