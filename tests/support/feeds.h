// Feeds and stage types driven by hand, as the graph drives them, for stage
// tests: plan a feed's streams, decode a page with its decoder, and read a
// page as a pipeline node of some type keeps it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "stages/lowering.h"
#include "stages/sources/feed.h"

namespace pricepipe::testing {

/// `feed`'s streams in `region`; `needs[i]` are the records the feed's i-th need yielded (none when not given).
Result<std::vector<stages::StreamPlan>> plan_feed(const stages::Feed& feed, const std::string& region,
                                                  std::vector<std::vector<RecordVector>> needs = {});

/// `page` decoded as `feed`'s streams decode their pages.
Result<RecordVector> decode_with(const stages::Feed& feed, const net::Page& page);

/// A source node of `type` with `options` (as a pipeline file writes them) through the stage registry.
stages::SourceLowering lower_source(const std::string& type, const std::vector<std::pair<std::string, std::string>>& options);

/// `page` decoded by the node's feed and kept as the node keeps it.
Result<RecordVector> read_as(const stages::SourceLowering& node, const net::Page& page);

}  // namespace pricepipe::testing
