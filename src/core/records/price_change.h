// Records of the `price-changes` dataset: what changed between two snapshots
// (`pricepipe diff A B`), for every price dataset and the catalog.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"

namespace pricepipe {

/// A price added, removed or changed between two snapshots.
struct PriceChangeRecord {
  std::string region;
  std::string dataset;
  std::optional<std::string> instance_type;
  std::vector<std::string> key;
  std::string change;
  std::string field;
  std::optional<double> old_value;
  std::optional<double> new_value;
  std::optional<double> change_abs;
  std::optional<double> change_pct;
  std::string from_snapshot;
  std::string to_snapshot;

  template <class V>
  static void describe(V&& v) {
    using R = PriceChangeRecord;
    v("region", &R::region, "Region code.");
    v("dataset", &R::dataset, "The dataset the price is of: `on-demand-prices`, `reserved-prices`, "
                              "`savings-plans-rates`, `spot-prices` or `catalog`.");
    v("instance_type", &R::instance_type, "Instance type.");
    v("key", &R::key,
      "The rest of what names the price in its dataset, in order (docs/warehouse.md): `[rate_code]` for on-demand, "
      "`[sku, offer_term_code]` reserved, `[plan_sku, rate_code]` Savings Plans, `[zone, instance_type, "
      "product_description]` spot, `[instance_type]` catalog.");
    v("change", &R::change, "`added` (only in the newer snapshot), `removed` (only in the older) or `changed`.");
    v("field", &R::field,
      "The price: `price_per_hour`, `upfront_fee`, `hourly`, `rate`, `price`, or a catalog price such as "
      "`on_demand_linux`. An added or removed key has a record per price it has.");
    v("old_value", &R::old_value, "Its value in the older snapshot; null when it had none (or was not there).");
    v("new_value", &R::new_value, "Its value in the newer snapshot; null when it has none.");
    v("change_abs", &R::change_abs, "`new_value` - `old_value`; null when either is null.");
    v("change_pct", &R::change_pct, "The change in percent of `old_value`; null when either is null or `old_value` is 0.");
    v("from_snapshot", &R::from_snapshot, "The older snapshot's id.");
    v("to_snapshot", &R::to_snapshot, "The newer snapshot's id.");
  }
};

}  // namespace pricepipe
