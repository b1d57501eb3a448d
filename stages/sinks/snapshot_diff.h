// What changed between two snapshots: the `price-changes` dataset
// (core/records/price_change.h), for `pricepipe diff A B` — two snapshots
// on disk, or two loaded into a warehouse — and `snapshot --changes`.
//
// For every price dataset and the catalog, partition by partition (dataset,
// then region, in order), the rows of both snapshots are read (a DiffSide:
// a snapshot's parts through read_part, sizes and hashes checked, or what a
// warehouse loaded: Warehouse::loaded_snapshot), each named by its price identity
// (core/table_schema.h: history_of, or the catalog's key); for spot, the
// latest observation of each counts. A key in one snapshot only is added or
// removed, with a record per price it has; a key in both yields a record per
// price whose value differs. Records come sorted by key within a partition,
// so the same snapshots give the same bytes. Memory holds two partitions.
//
// A partition that only one snapshot has is all added (or removed) unless
// the snapshot without it is partial and lists that input as missing: then
// nothing is said of it (it is unknown, not gone), and `skipped` names it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::stages {

struct DiffReport {
  std::uint64_t changes = 0;
  std::uint64_t partitions = 0;
  std::vector<std::string> skipped;  ///< "dataset region": missing from a partial snapshot
};

/// The datasets a diff compares: those with prices (history_of) and the catalog.
bool diffed(Dataset dataset);

using EmitChanges = std::function<Result<void>(std::vector<PriceChangeRecord>&)>;
/// Rows as JSON objects, a chunk of whole lines at a time (read_part's `take`).
using TakeRows = std::function<bool(std::string_view lines, std::string& why)>;

/// One snapshot as a diff reads it.
struct DiffSide {
  std::string id;
  /// The regions `dataset` has rows of.
  std::function<Result<std::vector<std::string>>(Dataset)> regions;
  /// The rows of (dataset, region) to `take`.
  std::function<Result<void>(Dataset, const std::string& region, const TakeRows& take)> rows;
  /// True when the snapshot lists (dataset, region) as missing: unknown, not gone.
  std::function<bool(Dataset, const std::string& region)> missing;
};

/// Streams the changes from `older` to `newer` of `datasets` (those diffed) to
/// `emit`, one partition's records at a time.
Result<DiffReport> diff_sides(const DiffSide& older, const DiffSide& newer, const std::vector<Dataset>& datasets,
                              const EmitChanges& emit);
/// diff_sides of two snapshots' parts (read through read_part).
Result<DiffReport> diff_snapshots(const Manifest& older, const Manifest& newer, const std::vector<Dataset>& datasets,
                                  const EmitChanges& emit);

}  // namespace pricepipe::stages
