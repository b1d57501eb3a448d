// The compact product table: every field comes back exactly as inserted,
// whatever the SKU's shape, and concurrent inserts lose nothing.
#include "stages/transforms/product_table.h"

#include <gtest/gtest.h>

#include <thread>

namespace pricepipe::stages {
namespace {

PricedProduct product(std::string sku, std::string type, std::string usage) {
  PricedProduct p;
  p.sku = std::move(sku);
  p.region = "eu-west-1";
  p.instance_type = std::move(type);
  p.operating_system = "windows";
  p.tenancy = "dedicated";
  p.license_model = "bring-your-own-license";
  p.pre_installed_software = "sql-web";
  p.capacity_status = "used";
  p.usage_type = std::move(usage);
  p.operation = "RunInstances:0202";
  return p;
}

void expect_same(const PricedProduct& a, const PricedProduct& b) {
  EXPECT_EQ(a.sku, b.sku);
  EXPECT_EQ(a.region, b.region);
  EXPECT_EQ(a.instance_type, b.instance_type);
  EXPECT_EQ(a.operating_system, b.operating_system);
  EXPECT_EQ(a.tenancy, b.tenancy);
  EXPECT_EQ(a.license_model, b.license_model);
  EXPECT_EQ(a.pre_installed_software, b.pre_installed_software);
  EXPECT_EQ(a.capacity_status, b.capacity_status);
  EXPECT_EQ(a.usage_type, b.usage_type);
  EXPECT_EQ(a.operation, b.operation);
}

TEST(ProductTable, GivesBackExactlyWhatWasInserted) {
  ProductTable table;
  const std::vector<PricedProduct> products = {
      product("ZZZZZZZZZZZZZZZZ", "m7g.large", "EUW1-DedicatedUsage:m7g.large"),
      product("0000000000000000", "c7i.xlarge", "EUW1-BoxUsage:c7i.xlarge"),
      product("abcdEFGH12345678", "r6i.large", "EUW1-HostBoxUsage:r6i.large"),    // lower case: not packable
      product("SKU-WITH-DASHES-17", "t3.micro", "EUW1-UnusedBox:t3.micro-odd"),   // long, and a usage tail that differs
  };
  ProductTable::Inserter inserter(table);
  for (const auto& p : products) inserter.insert(p);
  PricedProduct no_software = product("NOSOFTWARE000000", "m5.large", "EUW1-BoxUsage:m5.large");
  no_software.pre_installed_software.reset();
  table.insert(no_software);

  EXPECT_EQ(table.size(), products.size() + 1);
  for (const auto& p : products) {
    auto found = table.find(p.sku);
    ASSERT_TRUE(found.has_value()) << p.sku;
    expect_same(*found, p);
  }
  auto found = table.find("NOSOFTWARE000000");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->pre_installed_software.has_value());
  EXPECT_FALSE(table.find("ZZZZZZZZZZZZZZZY").has_value());
  EXPECT_FALSE(table.find("").has_value());
}

TEST(ProductTable, ConcurrentInsertsLoseNothing) {
  ProductTable table;
  auto sku = [](int i) {
    std::string s = "S";
    for (int k = 0, v = i; k < 15; ++k, v /= 36) s.push_back("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[v % 36]);
    return s;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ProductTable::Inserter inserter(table);
      for (int i = t; i < 200000; i += 4) {
        inserter.insert(product(sku(i), "m" + std::to_string(i % 50) + ".large",
                                "EUW1-BoxUsage:m" + std::to_string(i % 50) + ".large"));
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(table.size(), 200000u);
  for (int i = 0; i < 200000; i += 997) {
    auto found = table.find(sku(i));
    ASSERT_TRUE(found.has_value()) << sku(i);
    EXPECT_EQ(found->instance_type, "m" + std::to_string(i % 50) + ".large");
    EXPECT_EQ(found->usage_type, "EUW1-BoxUsage:" + found->instance_type);
  }
}

}  // namespace
}  // namespace pricepipe::stages
