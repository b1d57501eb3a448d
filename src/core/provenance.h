// Where a run's records came from, and what it could not read: what a
// snapshot's manifest records so that a reader knows which prices it holds
// (the offer files' versions, the advisor document, the spot window) and
// which regions are missing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"

namespace pricepipe {

/// One source of a dataset's records: an offer file, the advisor document,
/// a spot window. Fields are name → value, in a fixed order per source.
struct SourceVersion {
  Dataset dataset = Dataset::regions;
  std::string region;  ///< empty: the source covers every region (the advisor, the spot window)
  std::string source;  ///< what was read: "price list offer file", "spot advisor feed", ...
  std::vector<std::pair<std::string, std::string>> fields;

  bool operator==(const SourceVersion&) const = default;
};

/// An input that failed under --keep-going: its records are not in the output.
struct MissingInput {
  Dataset dataset = Dataset::regions;
  std::string region;  ///< empty: every region of the dataset (a feed read once failed)
  std::string source;  ///< the feed that failed: "ec2 DescribeInstanceTypes"
  Error error{ErrorCode::internal, ""};
};

}  // namespace pricepipe
