// `pricepipe snapshot merge`: the manifest of a snapshot written in shards.
//
// Contract: a sharded snapshot's `_snapshot.json` says how many shards it
// has; each shard, once its run is done, wrote `_shards/shard-000I-of-000N.json`
// (snapshot_sink.h). `merge_shards` reads them all (by name: no listing, so a
// bucket works as a directory does) and, only when every one is in, writes
// the one `manifest.json` with the same renderer as a single process: parts
// dataset by dataset in the snapshot's order, a dataset read by one shard in
// that shard's order, one split over shards region by region (the order of
// `--regions all`) and part by part; sources merged and sorted as a run sorts
// them; complete only if every shard was. Then, like a run's end, the staged
// files stopped runs left are swept, `_snapshot.json` removed and `latest`
// moved (complete snapshots only). Before every shard is in it writes
// nothing and its error names the shards missing. Shards that disagree (on
// compression, part size, the datasets, the count) are an error naming them.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "stages/sinks/snapshot_target.h"

namespace pricepipe::stages {

struct MergeReport {
  std::string id;
  int shards = 0;
  std::size_t parts = 0;
  std::uint64_t rows = 0;
  bool complete = true;
  /// Shards not in yet ("2/4"); when set, nothing was written.
  std::vector<std::string> missing_shards;
};

/// Merges snapshot `id` of `target`. A snapshot that is not sharded, or is
/// merged (complete) already, is a usage error.
Result<MergeReport> merge_shards(SnapshotTarget& target, const std::string& id);

}  // namespace pricepipe::stages
