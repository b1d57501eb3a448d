// The products of an offer file, kept compact until their terms arrive.
//
// An offer file lists every product before any term, so the products a run
// keeps must be held while the terms stream by. Each product is stored as a
// fixed-size key and nine ids into a pool of interned strings (instance
// types, operating systems, usage types repeat across thousands of SKUs), a
// few dozen bytes per SKU instead of a few hundred.
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

namespace pricepipe::stages {

class ProductTable {
 public:
  ProductTable();
  ~ProductTable();
  ProductTable(const ProductTable&) = delete;
  ProductTable& operator=(const ProductTable&) = delete;

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
