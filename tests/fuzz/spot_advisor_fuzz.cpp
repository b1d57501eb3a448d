// The Spot Instance Advisor feed (one public JSON document) through the
// decoder its feed plans, then kept as a `spot-advisor` node keeps it
// (lowered through the stage registry, as a pipeline file would declare it).
//
// Input: one selector byte, then the document. Bit 0 picks the node: the
// run's region only, or every region with an instance-type pattern and an
// operating system.
#include <array>

#include "config/pipeline_spec.h"
#include "stages/registry.h"
#include "stages/sources/spot_advisor_feed.h"
#include "tests/fuzz/fuzz_records.h"

namespace pricepipe::fuzz {
namespace {

stages::SourceLowering lower(const std::vector<std::pair<std::string, config::Value>>& options) {
  config::NodeSpec node;
  node.id = "advisor";
  node.type = "spot-advisor";
  node.at.origin = "fuzz";
  node.options = options;
  stages::LoweringContext context;
  context.env = [](const std::string&) { return std::nullopt; };
  context.default_region = "eu-west-1";
  return std::get<stages::SourceLowering>(stages::find_stage_type("spot-advisor")->lower(node, context));
}

struct Node {
  stages::SourceLowering lowering;
  stages::StreamPlan stream;
};

Node node(const std::vector<std::pair<std::string, config::Value>>& options) {
  Node n{lower(options), {}};
  auto streams = n.lowering.input.feed->plan("eu-west-1", {});
  if (!streams.ok() || streams.value().size() != 1) fail("planning the advisor feed failed");
  n.stream = streams.value().front();
  return n;
}

const std::array<Node, 2>& nodes() {
  static const config::Location at{};
  static const std::array<Node, 2> all = {
      node({}),
      node({{"regions", config::Value::list({"all"}, at)},
            {"instance_types", config::Value::list({"m7g.*", "c5.xlarge"}, at)},
            {"os", config::Value::list({"linux"}, at)}}),
  };
  return all;
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  pricepipe::fuzz::nodes();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  if (size < 1) return 0;
  const auto& node = fuzz::nodes()[data[0] & 1u];
  net::Page page = fuzz::page_of("spot-advisor", "eu-west-1", "GetSpotAdvisorData", fuzz::bytes(data + 1, size - 1));
  page.request = node.stream.pages->first();
  if (node.stream.pages->next(page.request, page.body)) fuzz::fail("the advisor feed is one document");
  auto records = node.stream.decoder->decode(page);
  if (!records.ok()) return 0;
  fuzz::check_records(records.value());
  if (node.lowering.input.keep) {
    const std::size_t before = size_of(records.value());
    node.lowering.input.keep(records.value());
    if (size_of(records.value()) > before) fuzz::fail("keeping records added some");
    fuzz::check_records(records.value());
  }
  return 0;
}
