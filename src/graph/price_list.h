// The bulk Price List, as a plan step: from AWS's offers index to the URL
// of each region's offer file, and a reader that streams one of them.
//
// offers/v1.0/aws/index.json → offers.AmazonEC2.currentRegionIndexUrl (EC2)
// or .currentSavingsPlanIndexUrl (Savings Plans) → the region index →
// one file per region. The indexes are small JSON documents fetched whole;
// the files are streamed (graph/offer_graph.h).
#pragma once

#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "graph/offer_graph.h"
#include "net/curl_loop.h"
#include "net/request_cache.h"

namespace pricepipe::graph {

/// AWS's public Price List host.
inline constexpr const char* kDefaultPriceListUrl = "https://pricing.us-east-1.amazonaws.com";

struct OfferFile {
  std::string region;
  std::string url;
};

/// The offer files of `dataset` for `regions` (empty: every region the index
/// lists), in region order. Throws FatalError naming the URL for an index
/// that cannot be fetched or read, and for a region the index does not list.
std::vector<OfferFile> resolve_offer_files(net::CurlLoop& loop, net::RequestCache* cache, Metrics* metrics,
                                           const std::string& base_url, Dataset dataset,
                                           const std::vector<std::string>& regions);

/// The cache key an offer file is stored under.
std::string offer_file_key(const std::string& url);

/// Streams `url` through a bounded queue with resumable downloads, counted in
/// `metrics`; from `cache` when it holds the file, into it when not.
ByteReader download_reader(net::CurlLoop& loop, std::string url, Metrics& metrics, net::RequestCache* cache);

}  // namespace pricepipe::graph
