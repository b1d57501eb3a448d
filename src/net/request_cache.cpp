#include "net/request_cache.h"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/error.h"

namespace pricepipe::net {

namespace {

// Saves waiting for the writer; past this the fetch thread waits for it.
constexpr std::size_t kMaxQueuedBytes = 256 << 20;

std::chrono::seconds duration_or(const std::string& text, std::chrono::seconds fallback) {
  return config::parse_duration(text).value_or(fallback);
}

bool form_body(const ApiRequest& r) {
  auto type = find_header(r.headers, "Content-Type");
  return type && type->find("x-www-form-urlencoded") != std::string_view::npos;
}

// Calls `fn(name, pair)` for each non-empty `name=value` pair of a form body.
template <class Fn>
void for_each_pair(std::string_view body, Fn&& fn) {
  std::size_t start = 0;
  while (start <= body.size()) {
    auto amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view pair = body.substr(start, amp - start);
    if (!pair.empty()) fn(pair.substr(0, pair.find('=')), pair);
    start = amp + 1;
  }
}

bool overridden(const ApiRequest& r, std::string_view name) {
  return std::any_of(r.key_overrides.begin(), r.key_overrides.end(), [&](const auto& o) { return o.first == name; });
}

}  // namespace

CachePolicy CachePolicy::from(const config::CacheSettings& s) {
  CachePolicy p;
  p.ttl = {{"regions", duration_or(s.ttl_regions, std::chrono::hours(24 * 7))},
           {"zones", duration_or(s.ttl_zones, std::chrono::hours(24 * 7))},
           {"instance-types", duration_or(s.ttl_instance_types, std::chrono::hours(24))},
           {"offerings", duration_or(s.ttl_offerings, std::chrono::hours(24))},
           {"prices", duration_or(s.ttl_prices, std::chrono::hours(24))},
           {"price-list-index", duration_or(s.ttl_price_list_index, std::chrono::hours(6))},
           {"spot", duration_or(s.ttl_spot, std::chrono::hours(1))},
           {"advisor", duration_or(s.ttl_advisor, std::chrono::hours(1))}};
  p.negative_ttl = duration_or(s.negative_ttl, std::chrono::minutes(10));
  p.claim_hold = duration_or(s.lock_timeout, std::chrono::seconds(60));
  p.offline = s.offline;
  p.refresh = s.refresh;
  return p;
}

std::chrono::seconds CachePolicy::ttl_of(const std::string& cls) const {
  auto it = ttl.find(cls);
  return it == ttl.end() ? std::chrono::seconds(0) : it->second;
}

std::string canonical_request(const ApiRequest& r, std::string_view endpoint) {
  std::string out = "pricepipe-request 1\n";
  out += endpoint;
  out += '\n';
  for (const std::string* part : {&r.service, &r.region, &r.endpoint_region, &r.action, &r.method, &r.url, &r.path}) {
    out += *part;
    out += '\n';
  }
  if (auto target = find_header(r.headers, "X-Amz-Target")) out += *target;
  out += '\n';
  // The account asked as, when not the run's own: its answers are its own.
  if (!r.account.empty()) out += "account " + r.account + '\n';
  if (!form_body(r)) {
    out += r.body;
    return out;
  }
  std::vector<std::string> pairs;
  for_each_pair(r.body, [&](std::string_view name, std::string_view pair) {
    std::string kept(pair);
    for (const auto& [param, value] : r.key_overrides) {
      if (param == name) kept = param + "=" + value;
    }
    pairs.push_back(std::move(kept));
  });
  std::sort(pairs.begin(), pairs.end());
  for (const auto& p : pairs) {
    out += p;
    out += '&';
  }
  return out;
}

std::string cache_key(const ApiRequest& request, std::string_view endpoint) {
  return cache::sha256_hex(canonical_request(request, endpoint));
}

std::string pinned_params(const ApiRequest& r) {
  std::string out;
  if (r.key_overrides.empty() || !form_body(r)) return out;
  for_each_pair(r.body, [&](std::string_view name, std::string_view pair) {
    if (!overridden(r, name)) return;
    if (!out.empty()) out += '&';
    out += pair;
  });
  return out;
}

void pin_params(ApiRequest& r, std::string_view pinned) {
  if (pinned.empty() || !form_body(r)) return;
  std::map<std::string_view, std::string_view> sent;
  for_each_pair(pinned, [&](std::string_view name, std::string_view pair) { sent[name] = pair; });
  std::string body;
  for_each_pair(r.body, [&](std::string_view name, std::string_view pair) {
    auto it = overridden(r, name) ? sent.find(name) : sent.end();
    if (!body.empty()) body += '&';
    body += it == sent.end() ? pair : it->second;
  });
  r.body = std::move(body);
}

std::string describe_request(const ApiRequest& r) {
  if (!r.url.empty()) return r.url;
  const std::string canonical = canonical_request(r);
  std::string params = canonical.substr(canonical.rfind('\n') + 1);
  if (params.size() > 300) params = params.substr(0, 300) + "…";
  return r.service + " " + r.action + " " + r.region + (r.account.empty() ? "" : " as " + r.account) + " " + params;
}

std::string cache_class(const ApiRequest& r) {
  if (r.service == "ec2") {
    if (r.action == "DescribeRegions") return "regions";
    if (r.action == "DescribeAvailabilityZones") return "zones";
    if (r.action == "DescribeInstanceTypes") return "instance-types";
    if (r.action == "DescribeInstanceTypeOfferings") return "offerings";
    if (r.action == "DescribeSpotPriceHistory") return "spot";
  }
  if (r.service == "pricing") return "prices";
  if (r.service == "spot-advisor") return "advisor";
  if (r.service == "price-list") return r.action == "GetOfferFile" ? "price-list-file" : "price-list-index";
  return r.service;
}

bool negative_answer(const ApiRequest& r, long status, std::string_view body) {
  if (status == 404) return true;
  if (status != 200) return true;  // a not-found error (cacheable_status admitted it)
  if (r.service == "ec2") return body.find("<item>") == std::string_view::npos;
  if (r.service == "pricing") return body.find("\"PriceList\":[]") != std::string_view::npos;
  return false;
}

bool cacheable_status(const ApiRequest& r, long status, std::string_view body) {
  if (status == 200) return true;
  if (status == 404) return true;
  if (status == 400 && r.service == "ec2") {
    // EC2's "does not exist" answers: InvalidInstanceType, Invalid*.NotFound.
    return body.find("<Code>InvalidInstanceType</Code>") != std::string_view::npos ||
           body.find(".NotFound</Code>") != std::string_view::npos;
  }
  return false;
}

RequestCache::RequestCache(std::unique_ptr<cache::Backend> backend, CachePolicy policy)
    : backend_(std::move(backend)), policy_(std::move(policy)) {
  writer_ = std::thread([this] { run_writer(); });
}

RequestCache::~RequestCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

cache::EntryMeta RequestCache::meta_of(const ApiRequest& r, long status, const std::string& request_id,
                                       std::string_view body) const {
  cache::EntryMeta m;
  m.service = r.service;
  m.region = r.region;
  m.action = r.action;
  m.dataset = cache_class(r);
  m.status = status;
  m.request_id = request_id;
  m.negative = negative_answer(r, status, body);
  m.summary = describe_request(r);
  m.pinned = pinned_params(r);
  return m;
}

std::chrono::seconds RequestCache::ttl_of(const cache::EntryMeta& meta) const {
  const auto ttl = policy_.ttl_of(meta.dataset);
  if (!meta.negative) return ttl;
  return ttl.count() == 0 ? policy_.negative_ttl : std::min(ttl, policy_.negative_ttl);
}

std::optional<RequestCache::Answer> RequestCache::lookup(const std::string& key) {
  if (policy_.refresh) return std::nullopt;
  {
    std::lock_guard lock(mutex_);
    if (auto it = pending_.find(key); it != pending_.end()) {
      const Save& s = *it->second;
      Answer a;
      a.response.status = s.meta.status;
      a.response.body = s.body;
      if (!s.meta.request_id.empty()) a.response.headers.emplace_back("x-amzn-RequestId", s.meta.request_id);
      a.entry.key = s.key;
      a.entry.meta = s.meta;
      a.entry.size = s.body.size();
      return a;
    }
  }
  auto hit = backend_->get(key, policy_.offline);
  if (!hit) return std::nullopt;
  Answer a;
  a.response.status = hit->entry.meta.status;
  a.response.body = *hit->body;
  if (!hit->entry.meta.request_id.empty()) a.response.headers.emplace_back("x-amzn-RequestId", hit->entry.meta.request_id);
  a.entry = std::move(hit->entry);
  return a;
}

cache::Claim RequestCache::claim(const std::string& key) {
  const cache::Claim claim = backend_->claim(key, policy_.claim_hold);
  if (claim == cache::Claim::granted) {
    std::lock_guard lock(mutex_);
    claimed_.insert(key);
  }
  return claim;
}

void RequestCache::abandon(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    if (claimed_.erase(key) == 0) return;
  }
  backend_->release(key);
}

void RequestCache::save(const ApiRequest& request, const std::string& key, long status, const std::string& request_id,
                        std::string_view body) {
  Save s;
  if (backend_->writable() && cacheable_status(request, status, body)) {
    s.meta = meta_of(request, status, request_id, body);
    s.ttl = ttl_of(s.meta);
  }
  const auto ttl = policy_.ttl.find(s.meta.dataset);
  if (s.meta.dataset.empty() || (ttl != policy_.ttl.end() && ttl->second.count() == 0)) {  // TTL 0: keep none
    abandon(key);
    return;
  }
  s.key = key;
  s.body.assign(body);
  std::unique_lock lock(mutex_);
  s.claimed = claimed_.erase(key) > 0;  // released once the answer is stored, for the processes waiting on it
  auto saved = std::make_shared<const Save>(std::move(s));
  cv_.wait(lock, [&] { return queued_bytes_ < kMaxQueuedBytes || stopping_; });
  queued_bytes_ += saved->body.size();
  pending_[saved->key] = saved;
  queue_.push_back(std::move(saved));
  cv_.notify_all();
}

void RequestCache::flush() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

void RequestCache::run_writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything written
    std::shared_ptr<const Save> s = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    if (backend_->put(s->key, s->meta, s->ttl, s->body)) saved_.fetch_add(1);
    if (s->claimed) backend_->release(s->key);
    lock.lock();
    writing_ = false;
    queued_bytes_ -= s->body.size();
    if (auto it = pending_.find(s->key); it != pending_.end() && it->second == s) pending_.erase(it);
    cv_.notify_all();
  }
}

}  // namespace pricepipe::net
