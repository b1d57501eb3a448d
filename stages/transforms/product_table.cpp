#include "stages/transforms/product_table.h"

#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "stages/transforms/price_attributes.h"

namespace pricepipe::stages {

namespace {

constexpr std::size_t kShards = 64;
constexpr std::uint16_t kNone = 0xFFFF;

// A 16-character SKU of [0-9A-Z] packed at 6 bits a character into 12
// bytes; 0 means "empty slot". Other SKUs go to a plain map.
struct __attribute__((packed, aligned(4))) PackedSku {
  std::uint64_t high = 0;
  std::uint32_t low = 0;
  bool operator==(const PackedSku&) const = default;
  bool empty() const { return high == 0 && low == 0; }
};

// In base 37 (0 reserved): 37^11 fits 64 bits and 37^5 fits 32.
std::optional<PackedSku> pack(std::string_view sku) {
  if (sku.size() != 16) return std::nullopt;
  PackedSku out;
  for (std::size_t i = 0; i < sku.size(); ++i) {
    const char c = sku[i];
    unsigned v;
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0') + 1;
    } else if (c >= 'A' && c <= 'Z') {
      v = static_cast<unsigned>(c - 'A') + 11;
    } else {
      return std::nullopt;
    }
    if (i < 11) {
      out.high = out.high * 37 + v;
    } else {
      out.low = out.low * 37 + v;
    }
  }
  return out;
}

std::size_t hash_of(const PackedSku& k) {
  std::uint64_t h = k.high * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(k.low) + 0x632BE59BD9B4E019ULL);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

// A product as ids: 2 bytes per low-cardinality field. The usage type is
// split at ':' into an interned head (`EUW1-BoxUsage`, a handful per
// region) when its tail is the instance type, as it nearly always is;
// otherwise the whole string is interned. 20 bytes; a slot with its key, 32.
constexpr std::uint32_t kUsageHead = 0x80000000;

struct Entry {
  std::uint32_t usage = 0;  // kUsageHead | head id, or the whole usage type's id
  std::uint16_t region = 0, instance_type = 0, operating_system = 0, tenancy = 0, license_model = 0,
                pre_installed_software = kNone, capacity_status = 0, operation = 0;
};

struct Slot {
  PackedSku key;
  Entry entry;
};
static_assert(sizeof(Slot) == 32);

// Open addressing with linear probing; grows by half so a large table
// wastes little memory.
class FlatMap {
 public:
  void insert(const PackedSku& key, const Entry& e) {
    if ((size_ + 1) * 5 > slots_.size() * 4) grow();
    Slot& s = slots_[index_of(key)];
    if (s.key.empty()) ++size_;
    s = Slot{key, e};
  }

  const Entry* find(const PackedSku& key) const {
    if (slots_.empty()) return nullptr;
    const Slot& s = slots_[index_of(key)];
    return s.key.empty() ? nullptr : &s.entry;
  }

  std::size_t size() const { return size_; }

 private:
  std::size_t index_of(const PackedSku& key) const {
    const std::size_t n = slots_.size();
    // Lemire's multiply-shift maps the hash onto [0, n) without a division.
    __extension__ using u128 = unsigned __int128;
    std::size_t i = static_cast<std::size_t>((static_cast<u128>(hash_of(key)) * n) >> 64);
    while (!slots_[i].key.empty() && !(slots_[i].key == key)) i = i + 1 == n ? 0 : i + 1;
    return i;
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() + old.size() / 2, Slot{});
    for (const Slot& s : old) {
      if (!s.key.empty()) slots_[index_of(s.key)] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace

class ProductTable::StringPool {
 public:
  std::uint32_t intern(std::string_view s) {
    std::lock_guard lock(mutex_);
    if (auto it = ids_.find(s); it != ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(strings_.size());
    strings_.emplace_back(s);
    ids_.emplace(strings_.back(), id);
    return id;
  }

  /// Reads happen only after every insert (the table's two phases).
  const std::string& get(std::uint32_t id) const { return strings_[id]; }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;  // views into `strings_`, which never move
  std::deque<std::string> strings_;
};

struct ProductTable::Shard {
  std::mutex mutex;
  FlatMap entries;
  std::unordered_map<std::string, Entry> other_keys;  // SKUs that do not pack
};

ProductTable::ProductTable() : strings_(std::make_unique<StringPool>()), shards_(std::make_unique<Shard[]>(kShards)) {}
ProductTable::~ProductTable() = default;

std::uint32_t ProductTable::Inserter::intern(const std::string& s) {
  // Most values repeat within a segment ("Shared", "Linux", the region):
  // answer those without touching the shared pool's lock.
  if (auto it = local_.find(s); it != local_.end()) return it->second;
  const std::uint32_t id = table_.strings_->intern(s);
  local_.emplace(s, id);
  return id;
}

std::uint16_t ProductTable::Inserter::small(const std::string& s) {
  const std::uint32_t id = intern(s);
  if (id >= kNone) {
    throw FatalError(ErrorCode::malformed_response,
                     fmt::format("the offer file has more than {} distinct attribute values (at '{}')", kNone, s));
  }
  return static_cast<std::uint16_t>(id);
}

void ProductTable::Inserter::store(std::string_view sku, std::uint16_t region, std::uint16_t type, std::uint16_t os,
                                   std::uint16_t tenancy, std::uint16_t license, std::uint16_t software,
                                   std::uint16_t capacity, std::uint16_t operation, std::uint32_t usage) {
  Entry e;
  e.region = region;
  e.instance_type = type;
  e.operating_system = os;
  e.tenancy = tenancy;
  e.license_model = license;
  e.pre_installed_software = software;
  e.capacity_status = capacity;
  e.operation = operation;
  e.usage = usage;
  const auto packed = pack(sku);
  Shard& shard = table_.shards_[packed ? hash_of(*packed) % kShards : std::hash<std::string_view>{}(sku) % kShards];
  std::lock_guard lock(shard.mutex);
  if (packed) {
    shard.entries.insert(*packed, e);
  } else {
    shard.other_keys.insert_or_assign(std::string(sku), e);
  }
}

void ProductTable::Inserter::insert(const PricedProduct& p) {
  const auto colon = p.usage_type.find(':');
  const bool split = colon != std::string::npos && std::string_view(p.usage_type).substr(colon + 1) == p.instance_type;
  store(p.sku, small(p.region), small(p.instance_type), small(p.operating_system), small(p.tenancy),
        small(p.license_model), p.pre_installed_software ? small(*p.pre_installed_software) : kNone,
        small(p.capacity_status), small(p.operation),
        split ? kUsageHead | intern(p.usage_type.substr(0, colon)) : intern(p.usage_type));
}

const ProductTable::Inserter::Value& ProductTable::Inserter::value(Kind kind, std::string_view raw) {
  auto& cache = raw_[kind];
  if (auto it = cache.find(std::string(raw)); it != cache.end()) return it->second;
  std::string text;
  switch (kind) {
    case kOs: text = price::operating_system(raw); break;
    case kTenancy: text = price::tenancy(raw); break;
    case kLicense: text = price::license_model(raw); break;
    case kCapacity: text = raw.empty() ? "used" : price::capacity_status(raw); break;
    case kSoftware: text = price::pre_installed_software(raw).value_or(""); break;
    default: text = raw; break;
  }
  std::uint32_t id = 0;
  if (kind == kUsage) {
    id = intern(text);
  } else if (!(kind == kSoftware && text.empty())) {
    id = small(text);
  } else {
    id = kNone;
  }
  return cache.emplace(std::string(raw), Value{id, std::move(text)}).first->second;
}

bool ProductTable::Inserter::insert(const ProductFields& f, const PriceFilter& filter) {
  const Value& region = value(kRegion, f.region);
  const Value& type = value(kType, f.instance_type);
  const Value& os = value(kOs, f.operating_system);
  const Value& tenancy = value(kTenancy, f.tenancy);
  if (!filter.keeps_product(region.text, type.text, os.text, tenancy.text)) return false;
  const Value& license = value(kLicense, f.license_model);
  const Value& software = value(kSoftware, f.pre_installed_software);
  const Value& capacity = value(kCapacity, f.capacity_status);
  const Value& operation = value(kOperation, f.operation);
  std::uint32_t usage = 0;
  const auto colon = f.usage_type.find(':');
  if (colon != std::string_view::npos && f.usage_type.substr(colon + 1) == f.instance_type) {
    usage = kUsageHead | value(kUsage, f.usage_type.substr(0, colon)).id;
  } else {
    usage = value(kUsage, f.usage_type).id;
  }
  store(f.sku, static_cast<std::uint16_t>(region.id), static_cast<std::uint16_t>(type.id),
        static_cast<std::uint16_t>(os.id), static_cast<std::uint16_t>(tenancy.id),
        static_cast<std::uint16_t>(license.id), static_cast<std::uint16_t>(software.id),
        static_cast<std::uint16_t>(capacity.id), static_cast<std::uint16_t>(operation.id), usage);
  return true;
}

void ProductTable::insert(const PricedProduct& product) { Inserter(*this).insert(product); }

std::optional<PricedProduct> ProductTable::find(std::string_view sku) const {
  // No lock: lookups only start once inserting is over (see the header).
  const auto packed = pack(sku);
  const Shard& shard = shards_[packed ? hash_of(*packed) % kShards : std::hash<std::string_view>{}(sku) % kShards];
  const Entry* e = nullptr;
  if (packed) {
    e = shard.entries.find(*packed);
  } else if (auto it = shard.other_keys.find(std::string(sku)); it != shard.other_keys.end()) {
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
  p.operation = strings_->get(e->operation);
  if (e->usage & kUsageHead) {
    p.usage_type = strings_->get(e->usage & ~kUsageHead) + ":" + p.instance_type;
  } else {
    p.usage_type = strings_->get(e->usage);
  }
  return p;
}

std::size_t ProductTable::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].entries.size() + shards_[i].other_keys.size();
  }
  return n;
}

}  // namespace pricepipe::stages
