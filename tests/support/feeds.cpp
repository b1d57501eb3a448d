#include "tests/support/feeds.h"

#include "config/pipeline_spec.h"
#include "stages/registry.h"

namespace pricepipe::testing {

Result<std::vector<stages::StreamPlan>> plan_feed(const stages::Feed& feed, const std::string& region,
                                                  std::vector<std::vector<RecordVector>> needs) {
  needs.resize(feed.needs().size());
  std::vector<stages::NeedResult> results;
  for (const auto& n : needs) results.push_back(stages::NeedResult{&n, nullptr});
  return feed.plan(region, results);
}

Result<RecordVector> decode_with(const stages::Feed& feed, const net::Page& page) {
  auto streams = plan_feed(feed, page.request.region);
  if (!streams.ok()) return streams.error();
  return streams.value().front().decoder->decode(page);
}

stages::SourceLowering lower_source(const std::string& type, const std::vector<std::pair<std::string, std::string>>& options) {
  config::NodeSpec node;
  node.id = type;
  node.type = type;
  node.at.origin = "test";
  for (const auto& [key, value] : options) node.options.emplace_back(key, config::Value::of(value, node.at));
  stages::LoweringContext context;
  context.env = [](const std::string&) { return std::nullopt; };
  context.default_region = "us-east-1";
  return std::get<stages::SourceLowering>(stages::find_stage_type(type)->lower(node, context));
}

Result<RecordVector> read_as(const stages::SourceLowering& node, const net::Page& page) {
  auto records = decode_with(*node.input.feed, page);
  if (records.ok() && node.input.keep) node.input.keep(records.value());
  return records;
}

}  // namespace pricepipe::testing
