#include "cache/store.h"

namespace pricepipe::cache {

std::unique_ptr<Store> Store::open(StoreOptions options) {
  auto disk = DiskBackend::open(DiskOptions{options.dir, options.max_bytes, options.level, options.refetch});
  if (!disk) return nullptr;
  auto memory = options.memory_bytes > 0 ? std::make_unique<MemoryBackend>(options.memory_bytes) : nullptr;
  auto shared = options.redis ? std::make_unique<RedisBackend>(std::move(*options.redis)) : nullptr;
  return std::unique_ptr<Store>(new Store(std::move(memory), std::move(disk), std::move(shared)));
}

Store::Store(std::unique_ptr<MemoryBackend> memory, std::unique_ptr<DiskBackend> disk,
             std::unique_ptr<RedisBackend> shared)
    : memory_(std::move(memory)), disk_(std::move(disk)), shared_(std::move(shared)) {
  if (memory_) tiers_.push_back(memory_.get());
  tiers_.push_back(disk_.get());
  if (shared_) tiers_.push_back(shared_.get());
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
  // The durable tier first: its entry is the answer's; the others keep it as stored.
  auto entry = disk_->put(key, meta, ttl, body);
  if (!memory_ && !shared_) return entry;
  if (entry) {
    const Hit hit{*entry, std::make_shared<const std::string>(body)};
    if (memory_) memory_->adopt(hit);
    if (shared_) shared_->adopt(hit);
    return entry;
  }
  if (memory_) entry = memory_->put(key, meta, ttl, body);
  if (shared_) {
    auto shared = shared_->put(key, meta, ttl, body);
    if (!entry) entry = shared;
  }
  return entry;
}

void Store::adopt(const Hit& hit) {
  for (Backend* t : tiers_) t->adopt(hit);
}

namespace {

// One body written to the disk and the shared tier at once.
class TeeBlobWriter final : public BlobWriter {
 public:
  TeeBlobWriter(std::unique_ptr<BlobWriter> first, std::unique_ptr<BlobWriter> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  void append(std::string_view bytes) override {
    if (first_) first_->append(bytes);
    if (second_) second_->append(bytes);
  }
  bool commit(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl) override {
    const bool kept = first_ && first_->commit(key, meta, ttl);
    return (second_ && second_->commit(key, meta, ttl)) || kept;
  }

 private:
  std::unique_ptr<BlobWriter> first_, second_;
};

}  // namespace

std::unique_ptr<BlobWriter> Store::begin_blob() {
  auto disk = disk_->begin_blob();
  auto shared = shared_ ? shared_->begin_blob() : nullptr;
  if (!shared) return disk;
  if (!disk) return shared;
  return std::make_unique<TeeBlobWriter>(std::move(disk), std::move(shared));
}

std::optional<StreamResult> Store::stream(const std::string& key, bool allow_expired,
                                          const std::function<Result<void>(std::string_view)>& consume) {
  if (memory_) {
    if (auto result = memory_->stream(key, allow_expired, consume)) return result;
  }
  if (auto result = disk_->stream(key, allow_expired, consume)) return result;
  if (!shared_) return std::nullopt;
  // From the shared tier, kept on the disk as it streams by.
  auto entry = shared_->find(key, allow_expired);
  if (!entry) return std::nullopt;
  auto local = disk_->begin_blob();
  auto result = shared_->stream(key, allow_expired, [&](std::string_view piece) {
    if (local) local->append(piece);
    return consume(piece);
  });
  if (local && result && result->status.ok() && !result->corrupt) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
    const std::int64_t left = entry->expires_at == 0 ? 0 : std::max<std::int64_t>(1, entry->expires_at - now);
    local->commit(key, entry->meta, std::chrono::seconds(left));
  }
  return result;
}

std::size_t Store::trim() { return disk_->trim(); }

Claim Store::claim(const std::string& key, std::chrono::milliseconds hold) {
  return shared_ ? shared_->claim(key, hold) : Claim::unshared;
}

void Store::release(const std::string& key) {
  if (shared_) shared_->release(key);
}

std::size_t Store::remove_if(const std::function<bool(const Entry&)>& drop) {
  if (memory_) memory_->clear();  // what it remembered may be gone from the disk now
  return disk_->remove_if(drop);
}

std::vector<std::string> Store::verify() { return disk_->verify(); }

}  // namespace pricepipe::cache
