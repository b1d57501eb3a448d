// The stage registry: every source, transform and sink type a pipeline can
// name, with its options declared once and what it lowers to. The graph
// planner picks a type here by name — never by a switch on a dataset — and
// everything that lists types or options reads this table: `pricepipe
// stream`'s flags, pipeline validation, `pricepipe schema --pipeline`, and
// the tables in docs/cli.md and docs/pipelines.md.
//
// Contract: the table is built once and immutable. `lower` reads a node's
// options (usage errors name the file, line and column, or the flag) and
// returns what the node becomes; it does no I/O.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "config/pipeline_spec.h"
#include "core/environment.h"
#include "net/credentials.h"
#include "stages/lowering.h"
#include "stages/shard.h"

namespace pricepipe::stages {

/// What lowering may depend on besides a node's options.
struct LoweringContext {
  Environment env;
  std::string default_region;  ///< the run's region (--region and its fallbacks)
  std::chrono::sys_seconds now{};  ///< relative times (`since: 24h`) count back from here
  Shard shard;                 ///< this process's share of the work (stages/shard.h)
};

struct StageType {
  std::string name;
  config::NodeKind kind = config::NodeKind::source;
  std::string summary;
  std::vector<config::OptionDecl> options;
  std::function<Lowered(const config::NodeSpec& node, const LoweringContext& context)> lower;
};

/// Every type, sources first, in documentation order.
const std::vector<StageType>& stage_types();
/// The type named `name`; null when there is none.
const StageType* find_stage_type(std::string_view name);

/// Options of the pipeline as a whole (top-level keys of a pipeline file;
/// flags of `stream` and `run`).
struct PipelineOptions {
  bool keep_going = false;
  std::string shard;
  int shard_count = 0;
  std::vector<std::string> profiles;
  std::vector<std::string> role_arns;

  template <class V>
  static void describe(V&& v) {
    v(&PipelineOptions::keep_going,
      config::Option{.key = "keep_going",
                     .help = "When a region, file or stream fails, write what the others yield, list the failures "
                             "at the end and exit 7."});
    v(&PipelineOptions::shard,
      config::Option{.key = "shard",
                     .help = "Do this share of the work, I/N (1-based: the first of four is 1/4): each dataset's "
                             "regions are dealt round robin over the shards. A snapshot's shards each write their "
                             "parts and a shard manifest; `pricepipe snapshot merge` joins them.",
                     .env = "PRICEPIPE_SHARD", .placeholder = "I/N"});
    v(&PipelineOptions::shard_count,
      config::Option{.key = "shard_count",
                     .help = "How many shards there are, when the index comes from the job: JOB_COMPLETION_INDEX (a "
                             "Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job), plus one.",
                     .env = "PRICEPIPE_SHARD_COUNT", .min = 0, .max = 10000});
    v(&PipelineOptions::profiles,
      config::Option{.key = "profiles",
                     .help = "Read what differs by account (regions, availability-zones, instance-type-offerings, "
                             "spot-prices) once as each of these profiles, with its account_id; what every account "
                             "shares (prices, instance types, the catalog) once, as --profile or else the first.",
                     .env = "PRICEPIPE_PROFILES", .placeholder = "LIST"});
    v(&PipelineOptions::role_arns,
      config::Option{.key = "role_arns",
                     .help = "As --profiles, for roles assumed (STS AssumeRole) with the run's credentials, which "
                             "read what every account shares: arn:aws:iam::ACCOUNT:role/NAME, comma-separated.",
                     .env = "PRICEPIPE_ROLE_ARNS", .placeholder = "LIST",
                     .check = [](const std::string& arn) -> std::optional<std::string> {
                       if (net::account_of_arn(arn) && arn.find(":role/") != std::string::npos) return std::nullopt;
                       return "expected a role ARN, arn:PARTITION:iam::ACCOUNT:role/NAME, not '" + arn + "'";
                     }});
  }
  std::optional<config::OptionProblem> validate() const {
    if (!profiles.empty() && !role_arns.empty()) {
      return config::OptionProblem{"role_arns", "give profiles or role_arns, not both"};
    }
    return std::nullopt;
  }
};

}  // namespace pricepipe::stages
