// The catalog join on hand-made records: which prices it picks, how it folds
// spot history, and the reason it gives for each missing price.
#include <gtest/gtest.h>

#include "stages/transforms/catalog_join.h"

namespace pricepipe::stages {
namespace {

Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

InstanceTypeRecord specs(const std::string& type, std::int64_t vcpus, double gib, std::vector<std::string> usage) {
  InstanceTypeRecord r;
  r.region = "eu-west-1";
  r.instance_type = type;
  r.family = type.substr(0, type.find('.'));
  r.size = type.substr(type.find('.') + 1);
  r.vcpus = vcpus;
  r.memory_gib = gib;
  r.usage_classes = std::move(usage);
  return r;
}

OnDemandPriceRecord on_demand(const std::string& type, const std::string& os, double price) {
  OnDemandPriceRecord r;
  r.region = "eu-west-1";
  r.instance_type = type;
  r.operating_system = os;
  r.tenancy = "shared";
  r.license_model = os == "windows" ? "license-included" : "no-license-required";
  r.capacity_status = "used";
  r.price_per_hour = price;
  r.currency = "USD";
  r.published_at = at("2026-11-01T00:00:00Z");
  return r;
}

ReservedPriceRecord reserved(const std::string& type, std::int64_t years, double effective) {
  ReservedPriceRecord r;
  r.region = "eu-west-1";
  r.instance_type = type;
  r.operating_system = "linux";
  r.tenancy = "shared";
  r.license_model = "no-license-required";
  r.capacity_status = "used";
  r.lease_years = years;
  r.effective_hourly = effective;
  r.published_at = at("2026-11-01T00:00:00Z");
  return r;
}

SavingsPlansRateRecord plan(const std::string& type, std::int64_t years, double rate, const std::string& os = "linux") {
  SavingsPlansRateRecord r;
  r.region = "eu-west-1";
  r.instance_type = type;
  r.operating_system = os;
  r.tenancy = "shared";
  r.term_years = years;
  r.rate = rate;
  r.published_at = at("2026-11-02T00:00:00Z");
  return r;
}

SpotPriceRecord spot(const std::string& type, const std::string& zone, double price, const char* when,
                     const std::string& product = "Linux/UNIX (Amazon VPC)") {
  SpotPriceRecord r;
  r.region = "eu-west-1";
  r.zone = zone;
  r.instance_type = type;
  r.product_description = product;
  r.price = price;
  r.timestamp = at(when);
  return r;
}

InstanceTypeOfferingRecord offering(const std::string& type, const std::string& zone) {
  return InstanceTypeOfferingRecord{.region = "eu-west-1", .account_id = {}, .instance_type = type, .zone = zone};
}

const CatalogRecord& row(const std::vector<CatalogRecord>& rows, const std::string& type) {
  for (const auto& r : rows) {
    if (r.instance_type == type) return r;
  }
  throw std::runtime_error("no row for " + type);
}

TEST(CatalogJoin, PicksPlainPricesAndTheCheapestCommitments) {
  CatalogJoin join("eu-west-1", {});
  join.add(specs("m5.large", 2, 8, {"on-demand", "spot"}));
  join.add(on_demand("m5.large", "linux", 0.107));
  join.add(on_demand("m5.large", "windows", 0.199));
  // Not the plain instance: dedicated, with SQL Server, a reservation's capacity, BYOL.
  auto dedicated = on_demand("m5.large", "linux", 0.05);
  dedicated.tenancy = "dedicated";
  auto sql = on_demand("m5.large", "windows", 0.01);
  sql.pre_installed_software = "sql-std";
  auto unused = on_demand("m5.large", "linux", 0.01);
  unused.capacity_status = "unused-capacity-reservation";
  auto byol = on_demand("m5.large", "windows", 0.02);
  byol.license_model = "bring-your-own-license";
  for (const auto& r : {dedicated, sql, unused, byol}) join.add(r);
  join.add(reserved("m5.large", 1, 0.070));
  join.add(reserved("m5.large", 1, 0.064));
  join.add(reserved("m5.large", 3, 0.045));
  join.add(plan("m5.large", 1, 0.072));
  join.add(plan("m5.large", 3, 0.049));
  join.add(plan("m5.large", 3, 0.040, "windows"));  // another OS

  const auto rows = join.rows({});
  ASSERT_EQ(rows.size(), 1u);
  const CatalogRecord& r = rows[0];
  EXPECT_EQ(r.on_demand_linux.value, 0.107);
  EXPECT_EQ(r.on_demand_linux.source, "bulk");
  EXPECT_EQ(r.on_demand_linux.as_of, at("2026-11-01T00:00:00Z"));
  EXPECT_FALSE(r.on_demand_linux.reason);
  EXPECT_EQ(r.on_demand_windows.value, 0.199);
  EXPECT_EQ(r.reserved_1yr_effective_hourly.value, 0.064);
  EXPECT_EQ(r.reserved_3yr_effective_hourly.value, 0.045);
  EXPECT_EQ(r.savings_plan_1yr_rate.value, 0.072);
  EXPECT_EQ(r.savings_plan_3yr_rate.value, 0.049);
  EXPECT_EQ(r.savings_plan_3yr_rate.as_of, at("2026-11-02T00:00:00Z"));
  EXPECT_DOUBLE_EQ(*r.on_demand_per_vcpu_hour.value, 0.107 / 2);
  EXPECT_DOUBLE_EQ(*r.on_demand_per_gib_hour.value, 0.107 / 8);
  EXPECT_EQ(r.on_demand_per_vcpu_hour.source, "derived");
  EXPECT_EQ(r.currency, "USD");
}

TEST(CatalogJoin, MissingPricesAreNullWithAReasonNeverZero) {
  CatalogJoin join("eu-west-1", {});
  join.add(specs("m7g.large", 2, 8, {"on-demand", "spot"}));  // Arm: no Windows
  join.add(on_demand("m7g.large", "linux", 0.0816));
  join.add(specs("u-3tb1.56xlarge", 224, 3072, {"on-demand"}));  // no spot market
  join.add(specs("x9.large", 2, 16, {"on-demand", "spot"}));      // not in the price list
  const auto rows = join.rows({});
  ASSERT_EQ(rows.size(), 3u);

  const auto& arm = row(rows, "m7g.large");
  EXPECT_FALSE(arm.on_demand_windows.value);
  EXPECT_EQ(arm.on_demand_windows.reason,
            "no on-demand Windows price (shared tenancy, license included) in the region's price list");
  EXPECT_EQ(arm.spot_min.reason, "no Linux/UNIX (Amazon VPC) spot price in the window");
  EXPECT_TRUE(arm.spot_price_by_zone.empty());
  EXPECT_FALSE(arm.spot_savings_pct);
  EXPECT_EQ(arm.spot_per_vcpu_hour.reason, "spot_min is null");
  EXPECT_EQ(arm.reserved_1yr_effective_hourly.reason,
            "no 1-year Reserved Instance offering (Linux, shared tenancy) in the region's price list");
  EXPECT_EQ(arm.savings_plan_3yr_rate.reason,
            "no 3-year Savings Plans rate (Linux, shared tenancy) in the region's Savings Plans file");
  EXPECT_FALSE(arm.interruption_band);
  EXPECT_EQ(arm.advisor_reason, "the Spot Instance Advisor has no Linux entry for the type in this region");

  const auto& high_memory = row(rows, "u-3tb1.56xlarge");
  EXPECT_EQ(high_memory.spot_min.reason, "the type is not offered as spot (supported usage classes)");
  EXPECT_EQ(high_memory.spot_history_mean.reason, high_memory.spot_min.reason);

  const auto& unpriced = row(rows, "x9.large");
  EXPECT_EQ(unpriced.on_demand_linux.reason, "the region's price list has no product for the type");
  EXPECT_EQ(unpriced.on_demand_per_gib_hour.reason, "on_demand_linux is null");
}

CatalogJoinOptions window(const char* start, const char* end) {
  CatalogJoinOptions options;
  options.window_start = at(start);
  options.window_end = at(end);
  return options;
}

TEST(CatalogJoin, FoldsSpotHistoryIntoCurrentPricesAndWindowAggregates) {
  CatalogJoin join("eu-west-1", window("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"));
  join.add(specs("c5.xlarge", 4, 8, {"on-demand", "spot"}));
  join.add(on_demand("c5.xlarge", "linux", 0.2));
  join.add(offering("c5.xlarge", "eu-west-1b"));
  join.add(offering("c5.xlarge", "eu-west-1a"));
  join.add(offering("c5.xlarge", "eu-west-1c"));
  // Newest first, as EC2 answers, or oldest first: each zone in its own order.
  join.add(spot("c5.xlarge", "eu-west-1a", 0.080, "2026-11-24T12:00:00Z"));
  join.add(spot("c5.xlarge", "eu-west-1b", 0.060, "2026-11-24T06:00:00Z"));
  join.add(spot("c5.xlarge", "eu-west-1a", 0.050, "2026-11-24T00:00:00Z"));
  join.add(spot("c5.xlarge", "eu-west-1c", 0.100, "2026-11-23T18:00:00Z"));
  join.add(spot("c5.xlarge", "eu-west-1b", 0.090, "2026-11-24T18:00:00Z"));  // late, but the newest of 1b
  join.add(spot("c5.xlarge", "eu-west-1a", 0.010, "2026-11-24T18:00:00Z", "Windows (Amazon VPC)"));  // other product

  stages::AdvisorIndex advisor;
  advisor[{"eu-west-1", "c5.xlarge"}] = SpotAdvisorRecord{"eu-west-1", "linux", "c5.xlarge", "5-10%", 1, 5, 10, 62};
  const auto rows = join.rows(advisor);
  ASSERT_EQ(rows.size(), 1u);
  const CatalogRecord& r = rows[0];
  EXPECT_EQ(r.zones, (std::vector<std::string>{"eu-west-1a", "eu-west-1b", "eu-west-1c"}));
  EXPECT_EQ(r.spot_price_by_zone, (NumberMap{{"eu-west-1a", 0.080}, {"eu-west-1b", 0.090}, {"eu-west-1c", 0.100}}));
  EXPECT_EQ(r.spot_min.value, 0.080);
  EXPECT_EQ(r.spot_min.as_of, at("2026-11-24T12:00:00Z"));
  EXPECT_EQ(r.spot_median.value, 0.090);
  EXPECT_EQ(r.spot_median.as_of, at("2026-11-24T18:00:00Z"));
  EXPECT_EQ(r.spot_max.value, 0.100);
  EXPECT_EQ(r.spot_history_min.value, 0.050);
  EXPECT_EQ(r.spot_history_max.value, 0.100);
  // Each price for as long as it held within the window: 1a 0.05 for 12 h then
  // 0.08 for 12 h; 1b 0.06 for 12 h then 0.09 for 6 h (nothing known before
  // 06:00); 1c 0.10, in effect since the day before, for 24 h.
  EXPECT_DOUBLE_EQ(*r.spot_history_mean.value, (0.050 * 12 + 0.080 * 12 + 0.060 * 12 + 0.090 * 6 + 0.100 * 24) / 66);
  EXPECT_EQ(r.spot_history_mean.source, "spot-history");
  EXPECT_EQ(r.spot_savings_pct, 60.0);
  EXPECT_DOUBLE_EQ(*r.spot_per_vcpu_hour.value, 0.080 / 4);
  EXPECT_EQ(r.interruption_band, "5-10%");
  EXPECT_EQ(r.interruption_min_pct, 5);
  EXPECT_EQ(r.interruption_max_pct, 10);
  EXPECT_EQ(r.advisor_savings_pct, 62);
  EXPECT_FALSE(r.advisor_reason);
}

TEST(CatalogJoin, HistoryMeanWeighsEachPriceByHowLongItHeld) {
  CatalogJoin join("eu-west-1", window("2026-11-24T00:00:00Z", "2026-11-24T10:00:00Z"));
  join.add(specs("c5.xlarge", 4, 8, {"spot"}));
  // A brief spike is one of three observations but one hour of ten.
  join.add(spot("c5.xlarge", "a", 0.10, "2026-11-24T09:00:00Z"));
  join.add(spot("c5.xlarge", "a", 0.40, "2026-11-24T08:00:00Z"));
  join.add(spot("c5.xlarge", "a", 0.10, "2026-11-23T20:00:00Z"));  // in effect at the window's start
  const auto r = join.rows({})[0];
  EXPECT_DOUBLE_EQ(*r.spot_history_mean.value, (0.10 * 8 + 0.40 * 1 + 0.10 * 1) / 10);
  EXPECT_EQ(r.spot_history_mean.as_of, at("2026-11-24T09:00:00Z"));
  EXPECT_EQ(r.spot_history_max.value, 0.40);
}

TEST(CatalogJoin, HistoryMeanOfAnInstantIsTheMeanOfTheZonesCurrentPrices) {
  CatalogJoin join("eu-west-1", window("2026-11-24T12:00:00Z", "2026-11-24T12:00:00Z"));
  join.add(specs("c5.xlarge", 4, 8, {"spot"}));
  join.add(spot("c5.xlarge", "a", 0.10, "2026-11-24T09:00:00Z"));
  join.add(spot("c5.xlarge", "b", 0.20, "2026-11-20T09:00:00Z"));
  EXPECT_DOUBLE_EQ(*join.rows({})[0].spot_history_mean.value, 0.15);
}

TEST(CatalogJoin, HistoryMeanIsNullWhenAZonesObservationsComeOutOfOrder) {
  CatalogJoin join("eu-west-1", window("2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"));
  join.add(specs("c5.xlarge", 4, 8, {"spot"}));
  join.add(spot("c5.xlarge", "a", 0.10, "2026-11-24T12:00:00Z"));
  join.add(spot("c5.xlarge", "a", 0.20, "2026-11-24T06:00:00Z"));
  join.add(spot("c5.xlarge", "a", 0.30, "2026-11-24T18:00:00Z"));
  const auto r = join.rows({})[0];
  EXPECT_FALSE(r.spot_history_mean.value);
  EXPECT_EQ(r.spot_history_mean.reason,
            "spot observations of a zone came out of time order; the time-weighted mean needs them in order");
  // The rest does not depend on the order.
  EXPECT_EQ(r.spot_min.value, 0.30);
  EXPECT_EQ(r.spot_history_min.value, 0.10);
  EXPECT_EQ(r.spot_history_max.value, 0.30);
}

TEST(CatalogJoin, MedianOfAnEvenNumberOfZonesIsTheMeanOfTheMiddleTwo) {
  CatalogJoin join("eu-west-1", {});
  join.add(specs("c5.xlarge", 4, 8, {"spot"}));
  for (auto [zone, price] : {std::pair{"a", 0.1}, {"b", 0.4}, {"c", 0.2}, {"d", 0.3}}) {
    join.add(spot("c5.xlarge", zone, price, "2026-11-24T12:00:00Z"));
  }
  EXPECT_DOUBLE_EQ(*join.rows({})[0].spot_median.value, 0.25);
}

TEST(CatalogJoin, RowsOnlyForTypesTheRegionOffersInTypeOrder) {
  CatalogJoin join("eu-west-1", {});
  join.add(on_demand("p9.large", "linux", 1.0));  // priced, but not in DescribeInstanceTypes
  join.add(spot("p9.large", "eu-west-1a", 0.3, "2026-11-24T12:00:00Z"));
  join.add(specs("t3.micro", 2, 1, {"on-demand", "spot"}));
  join.add(specs("c5.large", 2, 4, {"on-demand", "spot"}));
  const auto rows = join.rows({});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].instance_type, "c5.large");
  EXPECT_EQ(rows[1].instance_type, "t3.micro");
}

TEST(CatalogJoin, NinetyDaysOfHistoryFoldIntoOneStatePerZone) {
  CatalogJoin join("eu-west-1", {});
  join.add(specs("c5.xlarge", 4, 8, {"spot"}));
  // 90 days of six-hourly changes in three zones fold into one state per zone.
  auto t = at("2026-08-26T00:00:00Z");
  for (int i = 0; i < 360; ++i) {
    for (const char* zone : {"a", "b", "c"}) {
      SpotPriceRecord r = spot("c5.xlarge", zone, 0.05 + (i % 7) * 0.01, "2026-08-26T00:00:00Z");
      r.timestamp = Timestamp{t.time + std::chrono::hours(6 * i)};
      join.add(r);
    }
  }
  EXPECT_EQ(join.types(), 1u);
  const auto r = join.rows({})[0];
  EXPECT_EQ(r.spot_price_by_zone.size(), 3u);
  EXPECT_EQ(r.spot_history_min.value, 0.05);
  EXPECT_DOUBLE_EQ(*r.spot_history_max.value, 0.11);
  EXPECT_EQ(r.spot_min.as_of, Timestamp{t.time + std::chrono::hours(6 * 359)});
}

}  // namespace
}  // namespace pricepipe::stages
