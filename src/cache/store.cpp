#include "cache/store.h"

namespace pricepipe::cache {

std::unique_ptr<Store> Store::open(StoreOptions options) {
  auto disk = DiskBackend::open(DiskOptions{options.dir, options.max_bytes, options.level, options.refetch});
  if (!disk) return nullptr;
  auto memory = options.memory_bytes > 0 ? std::make_unique<MemoryBackend>(options.memory_bytes) : nullptr;
  return std::unique_ptr<Store>(new Store(std::move(memory), std::move(disk)));
}

Store::Store(std::unique_ptr<MemoryBackend> memory, std::unique_ptr<DiskBackend> disk)
    : memory_(std::move(memory)), disk_(std::move(disk)) {
  if (memory_) tiers_.push_back(memory_.get());
  tiers_.push_back(disk_.get());
}

std::string Store::describe() const {
  std::string out;
  for (const Backend* t : tiers_) out += (out.empty() ? "" : " → ") + t->describe();
  return out;
}

std::optional<Hit> Store::get(const std::string& key, bool allow_expired) {
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    auto hit = tiers_[i]->get(key, allow_expired);
    if (!hit) continue;
    for (std::size_t front = 0; front < i; ++front) tiers_[front]->adopt(*hit);
    return hit;
  }
  return std::nullopt;
}

std::optional<Entry> Store::find(const std::string& key, bool allow_expired) {
  for (Backend* t : tiers_) {
    if (auto entry = t->find(key, allow_expired)) return entry;
  }
  return std::nullopt;
}

bool Store::has_blob(const std::string& hash) {
  for (Backend* t : tiers_) {
    if (t->has_blob(hash)) return true;
  }
  return false;
}

std::optional<Entry> Store::put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                                std::string_view body) {
  // The durable tier first: its entry is the answer's; the tiers in front keep it as stored.
  auto entry = disk_->put(key, meta, ttl, body);
  if (memory_) {
    if (entry) {
      memory_->adopt(Hit{*entry, std::make_shared<const std::string>(body)});
    } else {
      entry = memory_->put(key, meta, ttl, body);
    }
  }
  return entry;
}

void Store::adopt(const Hit& hit) {
  for (Backend* t : tiers_) t->adopt(hit);
}

std::unique_ptr<BlobWriter> Store::begin_blob() { return disk_->begin_blob(); }

std::optional<StreamResult> Store::stream(const std::string& key, bool allow_expired,
                                          const std::function<Result<void>(std::string_view)>& consume) {
  for (Backend* t : tiers_) {
    if (auto result = t->stream(key, allow_expired, consume)) return result;
  }
  return std::nullopt;
}

std::size_t Store::trim() { return disk_->trim(); }

std::size_t Store::remove_if(const std::function<bool(const Entry&)>& drop) {
  if (memory_) memory_->clear();  // what it remembered may be gone from the disk now
  return disk_->remove_if(drop);
}

std::vector<std::string> Store::verify() { return disk_->verify(); }

}  // namespace pricepipe::cache
