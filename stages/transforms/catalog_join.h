// The catalog join: one region's instance types, offerings, prices and spot
// history folded into one CatalogRecord per instance type.
//
// Contract: `add` takes records of any input dataset in any order and folds
// them into per-type state at once; nothing of an input record is kept but
// what the row needs (the latest spot price per zone, running min/max and
// time-weighted sums of the history), so memory grows with the region's types
// and zones, never with the history window. The time-weighted mean needs each
// zone's observations in time order, newest first (as EC2 answers) or oldest
// first; a zone whose observations come mixed makes the mean null. `rows` is
// called once, after every input stream of the region has finished, and
// yields the rows in instance-type order.
// Not thread-safe: the graph folds one region's inputs one batch at a time.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dataset.h"

namespace pricepipe::stages {

/// The advisor's Linux entries, by (region, instance type).
using AdvisorIndex = std::map<std::pair<std::string, std::string>, SpotAdvisorRecord>;

struct CatalogJoinOptions {
  /// The spot product description the spot fields are about.
  std::string spot_product = "Linux/UNIX (Amazon VPC)";
  /// The spot history window. Each observation holds from its time (or the
  /// window's start, for the price in effect then) until the zone's next one
  /// (or the window's end). An empty window is one instant.
  Timestamp window_start, window_end;
};

class CatalogJoin {
 public:
  CatalogJoin(std::string region, CatalogJoinOptions options);

  void add(const InstanceTypeRecord& r);
  void add(const InstanceTypeOfferingRecord& r);
  void add(const OnDemandPriceRecord& r);
  void add(const ReservedPriceRecord& r);
  void add(const SavingsPlansRateRecord& r);
  void add(const SpotPriceRecord& r);
  template <class Other>
  void add(const Other&) {}  // datasets the catalog does not use

  /// Folds a whole batch.
  void add(const RecordVector& records);

  /// One row per instance type the region offers (from instance-types), with
  /// the advisor's Linux entry from `advisor` when it has one.
  std::vector<CatalogRecord> rows(const AdvisorIndex& advisor) const;

  /// Types seen so far, for tests of the memory contract.
  std::size_t types() const { return types_.size(); }

  /// The instance types some zone offers (from the offerings added), sorted.
  std::vector<std::string> offered_types() const;

 private:
  /// Prices held over spans of the window: Σ price × seconds and Σ seconds.
  struct TimeWeighted {
    double price_seconds = 0, seconds = 0;
  };
  struct SpotZone {
    double price = 0;  // the newest observation: the zone's current price
    Timestamp at;
    double last_price = 0;  // the observation that came last
    Timestamp last_at;
    int order = 0;  // -1 newest first, +1 oldest first, 0 not known yet
    TimeWeighted held;  // every observation but the newest, held until the next
  };
  struct Cheapest {
    std::optional<double> value;
    std::optional<Timestamp> as_of;
    void offer(double v, std::optional<Timestamp> when);
  };
  struct TypeState {
    std::optional<InstanceTypeRecord> specs;
    std::vector<std::string> zones;
    Cheapest on_demand[4];  // linux, windows, rhel, suse
    bool priced = false;    // any price-list product for the type
    std::string currency;
    Cheapest reserved[2];   // 1 and 3 years
    Cheapest plan[2];
    std::map<std::string, SpotZone> spot;  // zone → latest observation
    double history_min = 0, history_max = 0;  // meaningful once `spot` has a zone
    Timestamp history_last;
    bool history_unordered = false;  // some zone's observations came out of time order
  };

  TypeState& state(const std::string& instance_type);
  /// Adds `price` held over [from, to] clipped to the window.
  void hold(TimeWeighted& sum, double price, Timestamp from, Timestamp to) const;
  /// The time-weighted mean over the window of every zone's prices.
  Price history_mean(const TypeState& s) const;

  std::string region_;
  CatalogJoinOptions options_;
  std::unordered_map<std::string, TypeState> types_;
};

/// The advisor's Linux entries of `batch`, added to `index`.
void index_advisor(AdvisorIndex& index, const RecordVector& batch);

}  // namespace pricepipe::stages
