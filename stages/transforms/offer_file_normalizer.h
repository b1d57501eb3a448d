// Parse and normalize stages for Price List offer-file segments (cut by
// JsonSectionSplitter): EC2 offer files (`products` keyed by SKU, `terms.
// OnDemand` / `terms.Reserved`) and Savings Plans files (`products` and
// `terms.savingsPlan` as arrays).
//
// Contract: const and CPU-only; many threads call it at once, each with its
// own simdjson parser. Product segments go into a table (EC2: ProductTable;
// Savings Plans: PlanTable) and yield no records; term segments are looked up
// in it and yield records. A term whose product was filtered out yields
// nothing; a term whose product never appeared is counted, not guessed.
// Errors name the file and the byte offset of the segment.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <simdjson.h>

#include "core/dataset.h"
#include "core/error.h"
#include "stages/transforms/json_section_splitter.h"
#include "stages/transforms/price_list_product.h"
#include "stages/transforms/product_table.h"

namespace pricepipe::stages {

/// What an offer file is: EC2 (products by SKU, terms by SKU) or Savings Plans (arrays).
enum class OfferKind { ec2, savings_plans };

/// What a section of an offer file holds.
enum class OfferSection {
  products,       ///< EC2 `products` (by SKU) or Savings Plans `products` (an array)
  on_demand,      ///< `terms.OnDemand` → on-demand-prices
  reserved,       ///< `terms.Reserved` → reserved-prices
  savings_plans,  ///< `terms.savingsPlan` → savings-plans-rates
};

/// The key path of a section from the document's root, for the splitter.
std::vector<std::string> section_path(OfferSection section);
/// The file a set of sections belongs to.
OfferKind offer_kind(const std::vector<OfferSection>& sections);

/// The Savings Plans offerings of one file, by plan SKU.
struct SavingsPlan {
  std::string plan_type;  ///< compute, ec2-instance
  std::optional<std::string> instance_family;
  std::int64_t term_years = 0;
  std::string purchase_option;
};

class PlanTable {
 public:
  void insert(std::string sku, SavingsPlan plan);
  std::optional<SavingsPlan> find(std::string_view sku) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SavingsPlan, std::less<>> plans_;
};

/// Per-file state shared by the workers of one offer file.
struct OfferFileState {
  std::vector<OfferSection> sections;  ///< by splitter section index; products first
  OfferKind kind = OfferKind::ec2;
  std::string name;      ///< URL or path, for messages
  std::string region;    ///< the file's region; empty for an all-regions file
  PriceFilter filter;
  std::optional<Timestamp> published_at;
  ProductTable products;
  PlanTable plans;
  std::atomic<std::uint64_t> orphan_terms{0};  ///< terms whose product was never listed
};

class OfferFileNormalizer {
 public:
  /// Product segments fill the state's table and return an empty batch;
  /// term segments return the records their section holds.
  Result<RecordVector> process(const JsonSegment& segment, OfferFileState& state,
                               simdjson::dom::parser& parser) const;
};

}  // namespace pricepipe::stages
