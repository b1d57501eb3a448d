// Which source, parser and normalizer serve each dataset: the one table the
// graph builder reads, so adding a dataset touches this file and its stages,
// not the graph.
//
// Contract: every function here is const and CPU-only (no I/O); parse and
// normalize are called concurrently from graph workers.
#pragma once

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

namespace pricepipe::stages {

/// What narrows a source's requests.
struct SourceOptions {
  std::vector<std::string> instance_types;  ///< names or patterns (`m7g.*`); empty: all
  PriceFilter prices;                       ///< what price datasets keep
  std::string pricing_region = "us-east-1"; ///< the Pricing API endpoint asked
};

/// The paginated source of `dataset` for `region`.
std::shared_ptr<const net::Paginator> make_source(Dataset dataset, const std::string& region,
                                                  const SourceOptions& options);

/// A page after parsing, in the document model of its wire format.
struct ParsedPage {
  std::variant<Ec2Document, PricingDocument> document;
};

Result<ParsedPage> parse_page(Dataset dataset, const net::Page& page);
Result<RecordVector> normalize_page(Dataset dataset, const ParsedPage& parsed, const net::Page& page,
                                    const SourceOptions& options);

/// The GetProducts TERM_MATCH filters that narrow a price stream server-side
/// (exact names only; patterns are applied client-side by the filter).
std::vector<std::pair<std::string, std::string>> pricing_filters(const std::string& region, const PriceFilter& filter);

}  // namespace pricepipe::stages
