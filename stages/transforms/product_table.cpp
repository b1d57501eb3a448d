#include "stages/transforms/product_table.h"

#include <cstring>
#include <functional>

namespace pricepipe::stages {

namespace {

constexpr std::size_t kShards = 64;
constexpr std::size_t kPoolShards = 16;
constexpr std::uint32_t kNone = 0xFFFFFFFF;

// SKUs are 16 characters; anything up to 24 fits the inline key.
using SkuKey = std::array<char, 24>;

struct SkuHash {
  std::size_t operator()(const SkuKey& k) const { return std::hash<std::string_view>{}(std::string_view(k.data(), k.size())); }
};

bool to_key(std::string_view sku, SkuKey& key) {
  if (sku.size() > key.size()) return false;
  key.fill('\0');
  std::memcpy(key.data(), sku.data(), sku.size());
  return true;
}

std::size_t shard_of(std::string_view sku) { return std::hash<std::string_view>{}(sku) % kShards; }

// Ids of a product's strings in the pool.
struct Entry {
  std::uint32_t region, instance_type, operating_system, tenancy, license_model, pre_installed_software,
      capacity_status, usage_type, operation;
};

}  // namespace

class ProductTable::StringPool {
 public:
  std::uint32_t intern(std::string_view s) {
    const std::size_t h = std::hash<std::string_view>{}(s);
    Part& part = parts_[h % kPoolShards];
    std::lock_guard lock(part.mutex);
    if (auto it = part.ids.find(s); it != part.ids.end()) return it->second;
    const auto index = static_cast<std::uint32_t>(part.strings.size());
    part.strings.emplace_back(s);
    const std::uint32_t id = static_cast<std::uint32_t>(h % kPoolShards) << 28 | index;
    part.ids.emplace(part.strings.back(), id);
    return id;
  }

  const std::string& get(std::uint32_t id) const { return parts_[id >> 28].strings[id & 0x0FFFFFFF]; }

 private:
  struct Part {
    std::mutex mutex;
    std::unordered_map<std::string_view, std::uint32_t> ids;  // views into `strings`, which never move
    std::deque<std::string> strings;
  };
  std::array<Part, kPoolShards> parts_;
};

struct ProductTable::Shard {
  mutable std::mutex mutex;
  std::unordered_map<SkuKey, Entry, SkuHash> entries;
  std::unordered_map<std::string, Entry> long_keys;  // SKUs longer than SkuKey, if AWS ever makes them
};

ProductTable::ProductTable() : strings_(std::make_unique<StringPool>()), shards_(std::make_unique<Shard[]>(kShards)) {}
ProductTable::~ProductTable() = default;

void ProductTable::insert(const PricedProduct& p) {
  Entry e{strings_->intern(p.region),
          strings_->intern(p.instance_type),
          strings_->intern(p.operating_system),
          strings_->intern(p.tenancy),
          strings_->intern(p.license_model),
          p.pre_installed_software ? strings_->intern(*p.pre_installed_software) : kNone,
          strings_->intern(p.capacity_status),
          strings_->intern(p.usage_type),
          strings_->intern(p.operation)};
  Shard& shard = shards_[shard_of(p.sku)];
  std::lock_guard lock(shard.mutex);
  SkuKey key;
  if (to_key(p.sku, key)) {
    shard.entries.insert_or_assign(key, e);
  } else {
    shard.long_keys.insert_or_assign(p.sku, e);
  }
}

std::optional<PricedProduct> ProductTable::find(std::string_view sku) const {
  const Shard& shard = shards_[shard_of(sku)];
  std::lock_guard lock(shard.mutex);
  const Entry* e = nullptr;
  SkuKey key;
  if (to_key(sku, key)) {
    if (auto it = shard.entries.find(key); it != shard.entries.end()) e = &it->second;
  } else if (auto it = shard.long_keys.find(std::string(sku)); it != shard.long_keys.end()) {
    e = &it->second;
  }
  if (e == nullptr) return std::nullopt;
  PricedProduct p;
  p.sku = sku;
  p.region = strings_->get(e->region);
  p.instance_type = strings_->get(e->instance_type);
  p.operating_system = strings_->get(e->operating_system);
  p.tenancy = strings_->get(e->tenancy);
  p.license_model = strings_->get(e->license_model);
  if (e->pre_installed_software != kNone) p.pre_installed_software = strings_->get(e->pre_installed_software);
  p.capacity_status = strings_->get(e->capacity_status);
  p.usage_type = strings_->get(e->usage_type);
  p.operation = strings_->get(e->operation);
  return p;
}

std::size_t ProductTable::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].entries.size() + shards_[i].long_keys.size();
  }
  return n;
}

}  // namespace pricepipe::stages
