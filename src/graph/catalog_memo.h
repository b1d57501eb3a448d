// Memoized catalog regions: a region's joined rows kept in the cache under
// the identity of everything they were computed from.
//
// Contract: a region's rows depend only on the answers its inputs got (EC2
// pages, offer files, the advisor feed, all content-addressed in the cache),
// the options that shape them and the program itself. `store` records the
// rows (their NDJSON, as the join's records encode) with the cache key and
// blob of every input; `lookup` returns them only while every recorded
// input is still in the cache, fresh (or --offline), and names the same blob
// — exactly the answers a full run would replay — so a warm run skips
// parsing and joining and writes the same bytes. The memo's key covers the
// program (its executable's identity), the options, the EC2 endpoint, the
// region, and the inputs known before the region runs (its offer files'
// URLs); a new binary, other options or a newer Price List version never
// meet an old memo. --refresh and --no-cache bypass it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/request_cache.h"

namespace pricepipe::graph {

class CatalogMemo {
 public:
  /// Null without a cache, or with --refresh. `fingerprint`: the options that
  /// shape the rows; `ec2_endpoint`: where EC2 calls go ("AWS" or a URL).
  static std::unique_ptr<CatalogMemo> open(net::RequestCache* cache, const std::string& fingerprint,
                                           const std::string& ec2_endpoint);

  std::string key(const std::string& region, const std::vector<std::string>& known_inputs) const;

  struct Rows {
    std::shared_ptr<const std::string> ndjson;
    std::size_t count = 0;
  };
  std::optional<Rows> lookup(const std::string& key);
  /// Records the rows; `inputs` are the cache keys of every answer they were joined from.
  void store(const std::string& key, const std::string& region, const std::vector<std::string>& inputs, const Rows& rows);

 private:
  CatalogMemo(net::RequestCache& cache, std::string identity) : cache_(cache), identity_(std::move(identity)) {}

  net::RequestCache& cache_;
  std::string identity_;
};

}  // namespace pricepipe::graph
