#include "cache/memory_backend.h"

#include <chrono>

namespace pricepipe::cache {

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<Hit> MemoryBackend::get(const std::string& key, bool allow_expired) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (!allow_expired && it->second.entry.expired(unix_now())) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.position);
  return Hit{it->second.entry, it->second.body};
}

std::optional<Entry> MemoryBackend::find(const std::string& key, bool allow_expired) {
  auto hit = get(key, allow_expired);
  if (!hit) return std::nullopt;
  return hit->entry;
}

bool MemoryBackend::has_blob(const std::string& hash) {
  std::lock_guard lock(mutex_);
  for (const auto& [key, r] : entries_) {
    if (r.entry.blob == hash) return true;
  }
  return false;
}

std::optional<Entry> MemoryBackend::put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                                        std::string_view body) {
  Hit hit;
  hit.entry.key = key;
  hit.entry.blob = sha256_hex(body);
  hit.entry.size = body.size();
  hit.entry.stored_at = unix_now();
  hit.entry.expires_at = ttl.count() > 0 ? hit.entry.stored_at + ttl.count() : 0;
  hit.entry.last_used = hit.entry.stored_at;
  hit.entry.meta = meta;
  hit.body = std::make_shared<const std::string>(body);
  adopt(hit);
  return hit.entry;
}

void MemoryBackend::adopt(const Hit& hit) {
  if (max_bytes_ == 0 || hit.body->size() > max_bytes_ / 4) return;
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(hit.entry.key); it != entries_.end()) {
    used_ -= it->second.body->size();
    lru_.erase(it->second.position);
    entries_.erase(it);
  }
  lru_.push_front(hit.entry.key);
  used_ += hit.body->size();
  entries_.emplace(hit.entry.key, Remembered{hit.entry, hit.body, lru_.begin()});
  while (used_ > max_bytes_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    used_ -= victim->second.body->size();
    entries_.erase(victim);
    lru_.pop_back();
  }
}

std::optional<StreamResult> MemoryBackend::stream(const std::string& key, bool allow_expired,
                                                  const std::function<Result<void>(std::string_view)>& consume) {
  auto hit = get(key, allow_expired);
  if (!hit) return std::nullopt;
  StreamResult result;
  result.status = consume(*hit->body);
  if (result.status.ok()) result.delivered = hit->body->size();
  return result;
}

void MemoryBackend::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  lru_.clear();
  used_ = 0;
}

std::uint64_t MemoryBackend::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

}  // namespace pricepipe::cache
