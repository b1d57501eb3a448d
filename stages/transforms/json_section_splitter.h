// Splits a huge JSON document, as it streams in, into segments of whole
// entries of chosen sections, so the entries can be parsed in parallel and
// the document is never held whole.
//
// The AWS Price List offer files are one JSON object of hundreds of MB to
// several GB: a few header fields, then `products` (an object keyed by SKU,
// or an array in Savings Plans files), then `terms` whose sub-objects hold
// the prices. Given section paths such as {"products"} or {"terms",
// "OnDemand"}, the splitter finds each section's container and cuts its
// content at entry boundaries into segments of about `segment_bytes`. A
// segment is itself a valid JSON document: the container's brackets around
// whole entries (`{"SKU1":{...},"SKU2":{...}}` or `[{...},{...}]`), with
// simdjson's padding already allocated.
//
// Contract: not thread-safe; one splitter per document, fed from one thread
// in order. `feed` scans at several GB/s (AVX2 with PCLMUL when the CPU has
// them, else a portable scalar path with the same results) and copies only
// the bytes of wanted sections. `emit` runs on the feeding thread and may
// block, which is how a slow consumer pauses the download. A document that
// is not well formed — unbalanced brackets, an unterminated string, bytes
// after the end, or ending early — is an Error with the byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pricepipe::stages {

/// A run of whole entries of one section, as a JSON document.
struct JsonSegment {
  std::size_t section = 0;      ///< index into the splitter's section list
  std::uint64_t offset = 0;     ///< byte offset of the first entry in the document
  std::uint64_t sequence = 0;   ///< 0, 1, 2… across all sections, in document order
  std::string json;             ///< `{…}` or `[…]`, capacity includes simdjson padding
  std::size_t entries = 0;      ///< entries in this segment
};

class JsonSectionSplitter {
 public:
  using Emit = std::function<void(JsonSegment&&)>;

  /// `sections`: key paths from the root, e.g. {{"products"}, {"terms", "OnDemand"}}.
  JsonSectionSplitter(std::vector<std::vector<std::string>> sections, std::size_t segment_bytes, Emit emit);
  ~JsonSectionSplitter();
  JsonSectionSplitter(const JsonSectionSplitter&) = delete;
  JsonSectionSplitter& operator=(const JsonSectionSplitter&) = delete;

  /// Scans the next bytes of the document.
  Result<void> feed(std::string_view chunk);
  /// The document ended: checks that it was complete and flushes the last segment.
  Result<void> finish();

  /// String fields of the root object seen before the first wanted section
  /// (e.g. `version`, `publicationDate`).
  const std::map<std::string, std::string>& header() const;
  std::uint64_t bytes_scanned() const;
  /// Sections whose container was found (by index), for "section missing" checks.
  const std::vector<bool>& sections_seen() const;

  /// Forces the portable scanner (tests compare both paths).
  void use_scalar_scanner_for_testing();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pricepipe::stages
