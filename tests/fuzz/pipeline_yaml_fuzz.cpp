// Pipeline files (src/config/pipeline_spec.h): YAML parsed into a spec with
// ${VARIABLE} substitution, checked, lowered through the stage registry into
// a plan (src/graph/plan.h, pure: no network, no files), and printed back.
//
// Input: the pipeline file. Whatever is wrong with it must be a usage
// FatalError naming file, line and column; anything else is a finding.
#include "config/pipeline_spec.h"
#include "core/error.h"
#include "graph/plan.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  const Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "REGION") return "eu-west-1";
    if (name == "TYPES") return "m7g.*,c7i.large";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
  config::PipelineSpec spec;
  try {
    spec = config::parse_pipeline_yaml(fuzz::bytes(data, size), "fuzz.yaml", env);
  } catch (const FatalError& e) {
    if (e.error().code() != ErrorCode::usage) fuzz::fail("a parse error that is not a usage error");
    return 0;
  }
  static_cast<void>(config::to_yaml(spec));
  stages::LoweringContext context;
  context.env = env;
  context.default_region = "eu-west-1";
  context.now = std::chrono::sys_seconds(std::chrono::seconds(1'790'000'000));
  try {
    const graph::Plan plan = graph::plan_pipeline(spec, context);
    if (plan.sinks.empty() || plan.producers.empty()) fuzz::fail("a plan without sinks or producers");
    static_cast<void>(plan.needs_credentials());
  } catch (const FatalError& e) {
    if (e.error().code() != ErrorCode::usage) fuzz::fail("a plan error that is not a usage error: " + e.error().describe());
  }
  return 0;
}
