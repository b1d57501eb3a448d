// The cache node ahead of the network: what a request's answer is keyed by,
// how long it stays fresh, and storing answers without holding up the
// fetch thread.
//
// Contract: the key of a request is the SHA-256 of its canonical form:
// service, region, endpoint region, the endpoint's base URL, action,
// method, URL or path, the
// protocol's target header, the account asked as when it is not the run's
// own (`ApiRequest::account`) and the parameters (a form body's pairs
// sorted; a JSON body as sent). Headers, credentials, dates and signatures never enter
// it. Parameters whose value depends on the clock (a spot window ending
// "now") enter it as their relative form (`ApiRequest::key_overrides`), so
// the answer for "now" is reused while it is fresh. Each request belongs to
// a TTL class by service and action; empty and not-found answers get the
// short negative TTL. `lookup` and `save` are thread-safe; saves are
// compressed and written by a background thread, and `flush` (or the
// destructor) waits for them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "cache/backend.h"
#include "config/settings.h"
#include "net/api_request.h"
#include "net/http.h"

namespace pricepipe::net {

struct CachePolicy {
  std::map<std::string, std::chrono::seconds> ttl;  ///< by class; a class without an entry never expires
  std::chrono::seconds negative_ttl{600};
  /// How long a claim to fetch a request (single flight across processes) is held at most.
  std::chrono::milliseconds claim_hold{std::chrono::seconds(60)};
  bool offline = false;  ///< serve only from the cache, expired entries included
  bool refresh = false;  ///< never read, always write

  static CachePolicy from(const config::CacheSettings& settings);
  std::chrono::seconds ttl_of(const std::string& cls) const;
};

/// The canonical form of a request (what its key hashes), and the key.
/// `endpoint`: the base URL an API request goes to (empty for absolute URLs),
/// so answers from a local endpoint never stand in for AWS's.
std::string canonical_request(const ApiRequest& request, std::string_view endpoint = {});
std::string cache_key(const ApiRequest& request, std::string_view endpoint = {});
/// The clock-following parameters as sent (`StartTime=…&EndTime=…`), kept
/// with the answer: a chain continued from a cached page then asks with the
/// window its next-page token belongs to, not the window of this run.
std::string pinned_params(const ApiRequest& request);
/// Sets `request`'s clock-following parameters to `pinned` (pinned_params of
/// the request a stored answer was given to).
void pin_params(ApiRequest& request, std::string_view pinned);
/// The request on one line, for people: URL, or service, action, region and parameters.
std::string describe_request(const ApiRequest& request);
/// The TTL class of a request: regions, zones, instance-types, offerings,
/// spot, prices, advisor, price-list-index, price-list-file.
std::string cache_class(const ApiRequest& request);
/// An empty answer (no items) or a not-found error: kept for the negative TTL only.
bool negative_answer(const ApiRequest& request, long status, std::string_view body);
/// Not-found answers are worth keeping; throttling, 5xx and the like never are.
bool cacheable_status(const ApiRequest& request, long status, std::string_view body);

class RequestCache {
 public:
  RequestCache(std::unique_ptr<cache::Backend> backend, CachePolicy policy);
  ~RequestCache();
  RequestCache(const RequestCache&) = delete;
  RequestCache& operator=(const RequestCache&) = delete;

  const CachePolicy& policy() const { return policy_; }
  /// Where answers are kept: the tiers of cache/store.h, or any other backend.
  cache::Backend& backend() { return *backend_; }

  struct Answer {
    HttpResponse response;  ///< status, body, and the request id as a header
    cache::Entry entry;
  };
  /// The cached answer to `request`; nullopt on a miss (always with --refresh).
  std::optional<Answer> lookup(const std::string& key);

  /// Stores an answer in the background (copied), when its status is worth
  /// keeping; lookup() finds it at once, before it is on disk.
  void save(const ApiRequest& request, const std::string& key, long status, const std::string& request_id,
            std::string_view body);

  /// Single flight across the processes sharing the cache (cache::Backend::claim):
  /// a granted claim is given up when its answer is stored, or by `abandon`.
  cache::Claim claim(const std::string& key);
  /// Gives up the claim on `key`, if this process holds one (no answer will be stored).
  void abandon(const std::string& key);

  /// Waits until every save so far is on disk.
  void flush();
  /// Answers stored by this process so far.
  std::uint64_t saved() const { return saved_.load(); }

  /// Entry metadata for a request's answer.
  cache::EntryMeta meta_of(const ApiRequest& request, long status, const std::string& request_id,
                           std::string_view body) const;
  std::chrono::seconds ttl_of(const cache::EntryMeta& meta) const;

 private:
  struct Save {
    std::string key;
    cache::EntryMeta meta;
    std::chrono::seconds ttl;
    std::string body;
    bool claimed = false;  ///< this process's claim on `key`, released once stored
  };
  void run_writer();

  std::unique_ptr<cache::Backend> backend_;
  CachePolicy policy_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const Save>> queue_;
  /// Answers queued or being written, by key: a lookup meanwhile finds them
  /// here (or a second request for a page just answered would go out).
  std::map<std::string, std::shared_ptr<const Save>> pending_;
  std::set<std::string> claimed_;  ///< keys this process claimed and has not stored yet
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  std::atomic<std::uint64_t> saved_{0};
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace pricepipe::net
