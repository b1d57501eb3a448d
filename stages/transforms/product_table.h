// The products of an offer file, kept compact until their terms arrive.
//
// An offer file lists every product before any term, so the products a run
// keeps must be held while the terms stream by. Each product is a 32-byte
// slot: the SKU packed into 12 bytes and ids into a pool of interned strings
// (instance types, operating systems, usage types repeat across thousands of
// SKUs) — about 45 bytes per SKU with the table's slack, instead of several
// hundred, so a multi-GB all-regions file fits in a small, flat budget.
//
// Contract: two phases. `insert` is thread-safe and runs while products are
// parsed; `find` is thread-safe for readers once inserting is over (the
// graph orders the phases: no term is looked up before the last product
// segment is absorbed).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/records/price.h"
#include "stages/transforms/price_list_product.h"

namespace pricepipe::stages {

class ProductTable {
 public:
  ProductTable();
  ~ProductTable();
  ProductTable(const ProductTable&) = delete;
  ProductTable& operator=(const ProductTable&) = delete;

  /// Inserts many products from one thread, remembering the ids of the
  /// strings it has interned so repeated values skip the shared pool.
  class Inserter {
   public:
    explicit Inserter(ProductTable& table) : table_(table) {}
    void insert(const PricedProduct& product);
    /// Normalizes, filters and inserts raw fields, caching each label's
    /// normalized form: the hot path of offer files. False when filtered out.
    bool insert(const ProductFields& fields, const PriceFilter& filter);

   private:
    struct Value {
      std::uint32_t id;
      std::string text;  ///< normalized
    };
    enum Kind { kRegion, kType, kOs, kTenancy, kLicense, kSoftware, kCapacity, kOperation, kUsage, kKinds };

    std::uint32_t intern(const std::string& s);
    std::uint16_t small(const std::string& s);  ///< an id that fits 16 bits, or FatalError
    const Value& value(Kind kind, std::string_view raw);
    void store(std::string_view sku, std::uint16_t region, std::uint16_t type, std::uint16_t os, std::uint16_t tenancy,
               std::uint16_t license, std::uint16_t software, std::uint16_t capacity, std::uint16_t operation,
               std::uint32_t usage);

    ProductTable& table_;
    std::unordered_map<std::string, std::uint32_t> local_;
    std::array<std::unordered_map<std::string, Value>, kKinds> raw_;
  };

  void insert(const PricedProduct& product);
  std::optional<PricedProduct> find(std::string_view sku) const;
  std::size_t size() const;

 private:
  struct Shard;
  class StringPool;
  std::unique_ptr<StringPool> strings_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace pricepipe::stages
