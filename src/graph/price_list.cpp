#include "graph/price_list.h"

#include <algorithm>
#include <map>

#include <simdjson.h>

#include "net/chunk_queue.h"
#include "net/download.h"

namespace pricepipe::graph {

namespace {

[[noreturn]] void index_error(const std::string& url, const std::string& what) {
  ErrorContext c;
  c.file = url;
  throw FatalError(Error(ErrorCode::malformed_response, "price list index: " + what, c));
}

std::string absolute(const std::string& base_url, std::string_view path) {
  if (path.starts_with("http://") || path.starts_with("https://")) return std::string(path);
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + (path.starts_with("/") ? "" : "/") + std::string(path);
}

net::ApiRequest price_list_request(const std::string& url, const char* action) {
  net::ApiRequest r;
  r.service = "price-list";
  r.action = action;
  r.method = "GET";
  r.url = url;
  return r;
}

// Fetches a small JSON document whole, through the cache.
std::string fetch(net::CurlLoop& loop, net::RequestCache* cache, Metrics* metrics, const std::string& url) {
  const net::ApiRequest api = price_list_request(url, "GetPriceListIndex");
  const std::string key = cache != nullptr ? net::cache_key(api) : std::string();
  auto not_found = [&] {
    ErrorContext c;
    c.file = url;
    c.http_status = 404;
    return FatalError(Error(ErrorCode::aws_api, "price list index: HTTP 404", c));
  };
  if (cache != nullptr) {
    if (auto answer = cache->lookup(key)) {
      if (metrics != nullptr) metrics->action(api.service, api.action).cache_hits.fetch_add(1);
      if (answer->response.status == 404) throw not_found();  // kept for the negative TTL
      return std::move(answer->response.body);
    }
    if (cache->policy().offline) {
      ErrorContext c;
      c.file = url;
      throw FatalError(Error(ErrorCode::not_cached, "not in the cache (--offline): price list index", c));
    }
  }
  net::HttpRequest request;
  request.url = url;
  if (metrics != nullptr) metrics->action(api.service, api.action).requests.fetch_add(1);
  auto r = loop.send(request);
  if (!r.ok()) {
    Error e = r.error();
    e.context().file = url;
    throw FatalError(std::move(e));
  }
  if (metrics != nullptr) metrics->action(api.service, api.action).bytes.fetch_add(r.value().body.size());
  if (r.value().status == 404) {
    if (cache != nullptr) cache->save(api, key, 404, "", r.value().body);
    throw not_found();
  }
  if (r.value().status != 200) {
    ErrorContext c;
    c.file = url;
    c.http_status = static_cast<int>(r.value().status);
    throw FatalError(Error(ErrorCode::server, "price list index: HTTP " + std::to_string(r.value().status), c));
  }
  if (cache != nullptr) cache->save(api, key, 200, "", r.value().body);
  return std::move(r.value().body);
}

}  // namespace

std::vector<OfferFile> resolve_offer_files(net::CurlLoop& loop, net::RequestCache* cache, Metrics* metrics,
                                           const std::string& base_url, Dataset dataset,
                                           const std::vector<std::string>& regions) {
  simdjson::dom::parser parser;
  const bool savings_plans = dataset == Dataset::savings_plans_rates;

  const std::string offers_url = absolute(base_url, "/offers/v1.0/aws/index.json");
  const std::string offers = fetch(loop, cache, metrics, offers_url);
  std::string_view region_index_path;
  simdjson::dom::element doc;
  if (parser.parse(offers).get(doc) != simdjson::SUCCESS ||
      doc["offers"]["AmazonEC2"][savings_plans ? "currentSavingsPlanIndexUrl" : "currentRegionIndexUrl"]
              .get_string()
              .get(region_index_path) != simdjson::SUCCESS) {
    index_error(offers_url, std::string("no offers.AmazonEC2.") +
                                (savings_plans ? "currentSavingsPlanIndexUrl" : "currentRegionIndexUrl"));
  }
  const std::string index_url = absolute(base_url, region_index_path);
  const std::string index = fetch(loop, cache, metrics, index_url);
  if (parser.parse(index).get(doc) != simdjson::SUCCESS) index_error(index_url, "not JSON");

  // EC2: regions{code: {currentVersionUrl}}; Savings Plans: regions[{regionCode, versionUrl}].
  std::map<std::string, std::string> by_region;
  if (savings_plans) {
    simdjson::dom::array list;
    if (doc["regions"].get_array().get(list) != simdjson::SUCCESS) index_error(index_url, "no regions array");
    for (simdjson::dom::element r : list) {
      std::string_view code, url;
      if (r["regionCode"].get_string().get(code) != simdjson::SUCCESS ||
          r["versionUrl"].get_string().get(url) != simdjson::SUCCESS) {
        index_error(index_url, "a region lacks regionCode or versionUrl");
      }
      by_region[std::string(code)] = absolute(base_url, url);
    }
  } else {
    simdjson::dom::object map;
    if (doc["regions"].get_object().get(map) != simdjson::SUCCESS) index_error(index_url, "no regions object");
    for (auto [code, r] : map) {
      std::string_view url;
      if (r["currentVersionUrl"].get_string().get(url) != simdjson::SUCCESS) {
        index_error(index_url, "region " + std::string(code) + " lacks currentVersionUrl");
      }
      by_region[std::string(code)] = absolute(base_url, url);
    }
  }
  std::vector<OfferFile> out;
  if (regions.empty()) {
    for (auto& [code, url] : by_region) out.push_back({code, url});
    return out;
  }
  for (const auto& code : regions) {
    auto it = by_region.find(code);
    if (it == by_region.end()) index_error(index_url, "the price list has no file for region " + code);
    out.push_back({code, it->second});
  }
  return out;
}

std::string offer_file_key(const std::string& url) { return net::cache_key(price_list_request(url, "GetOfferFile")); }

ByteReader download_reader(net::CurlLoop& loop, std::string url, Metrics& metrics, net::RequestCache* cache) {
  return [&loop, &metrics, cache, url = std::move(url)](
             const std::function<Result<void>(std::string_view)>& consume) -> Result<void> {
    const net::ApiRequest api = price_list_request(url, "GetOfferFile");
    const std::string key = cache != nullptr ? net::cache_key(api) : std::string();
    // The cached copy first: each frame is verified before it is handed on,
    // so a damaged blob can only cut the copy short, and the rest then comes
    // from the network from that byte (offer file URLs are versioned).
    std::uint64_t offset = 0;
    if (cache != nullptr && !cache->policy().refresh) {
      if (auto streamed = cache->store().stream(key, cache->policy().offline, consume)) {
        metrics.action(api.service, api.action).cache_hits.fetch_add(1);
        if (!streamed->status.ok()) return streamed->status;
        if (!streamed->corrupt) return {};
        offset = streamed->delivered;
      }
      if (cache->policy().offline) {
        ErrorContext c;
        c.file = url;
        c.offset = static_cast<std::int64_t>(offset);
        return Error(ErrorCode::not_cached, "not in the cache (--offline): offer file", c);
      }
    }
    auto writer = cache != nullptr && offset == 0 ? cache->store().begin_blob() : nullptr;
    // 16 MB in flight at most: the download pauses while the splitter waits.
    net::ChunkQueue queue(16 << 20, 4 << 20);
    net::DownloadOptions options;
    options.metrics = &metrics;
    options.start_offset = offset;
    auto download = net::Download::start(loop, url, queue, options);
    Result<void> result;
    while (auto chunk = queue.pop()) {
      if (!result.ok()) continue;  // drain what is left after a failure
      if (writer) writer->append(*chunk);
      result = consume(*chunk);
      if (!result.ok()) download->cancel();
    }
    if (!result.ok()) return result;
    if (auto error = queue.error()) return *error;
    if (writer) {
      const cache::EntryMeta meta = cache->meta_of(api, 200, "", "");
      writer->commit(key, meta, cache->ttl_of(meta));
    }
    return {};
  };
}

}  // namespace pricepipe::graph
