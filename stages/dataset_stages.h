// Which source, parser and normalizer serve each dataset: the one table the
// graph builder reads, so adding a dataset touches this file and its stages,
// not the graph.
//
// Contract: every function here is const and CPU-only (no I/O); parse and
// normalize are called concurrently from graph workers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "net/fetcher.h"
#include "net/paginator.h"
#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/price_list_product.h"
#include "stages/transforms/pricing_response_parser.h"
#include "stages/transforms/spot_advisor_normalizer.h"

namespace pricepipe::stages {

/// What narrows a source's requests.
struct SourceOptions {
  std::vector<std::string> instance_types;  ///< names or patterns (`m7g.*`); empty: all
  PriceFilter prices;                       ///< what price and advisor datasets keep
  std::string pricing_region = "us-east-1"; ///< the Pricing API endpoint asked

  /// Spot history: product descriptions, window, types per request.
  std::vector<std::string> product_descriptions = {"Linux/UNIX (Amazon VPC)"};
  Timestamp spot_start;
  Timestamp spot_end;
  /// How the window's ends follow the clock (`now`, `now-86400s`), empty when fixed: the cache key uses these.
  std::string spot_start_label;
  std::string spot_end_label;
  std::size_t spot_batch_size = 50;
  /// Zone name → zone id, for spot records (filled from DescribeAvailabilityZones).
  std::shared_ptr<const std::map<std::string, std::string>> zone_ids;
  /// Region → the instance types it offers, so spot requests can be batched
  /// when no exact types were asked for (patterns are matched against it).
  std::shared_ptr<const std::map<std::string, std::vector<std::string>>> offered_types;
  std::string spot_advisor_url;
};

/// The paginated source of `dataset` for `region`.
std::shared_ptr<const net::Paginator> make_source(Dataset dataset, const std::string& region,
                                                  const SourceOptions& options);

/// Spot history sources of a region, one per batch of `spot_batch_size`
/// instance types: the exact types asked for, else the region's offered
/// types that match (`offered_types`); one unbatched source for every type
/// when neither is known.
std::vector<std::shared_ptr<const net::Paginator>> spot_sources(const std::string& region, const SourceOptions& options);

/// A page after parsing, in the document model of its wire format.
struct ParsedPage {
  std::variant<Ec2Document, PricingDocument, SpotAdvisorDocument> document;
};

Result<ParsedPage> parse_page(Dataset dataset, const net::Page& page);
Result<RecordVector> normalize_page(Dataset dataset, const ParsedPage& parsed, const net::Page& page,
                                    const SourceOptions& options);

/// The GetProducts TERM_MATCH filters that narrow a price stream server-side
/// (exact names only; patterns are applied client-side by the filter).
std::vector<std::pair<std::string, std::string>> pricing_filters(const std::string& region, const PriceFilter& filter);

}  // namespace pricepipe::stages
