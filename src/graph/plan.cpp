#include "graph/plan.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "config/options.h"
#include "core/error.h"
#include "stages/sources/account_feed.h"
#include "stages/sources/ec2_describe_feed.h"

namespace pricepipe::graph {

namespace {

using config::NodeKind;
using config::NodeSpec;

// Feeds by key; a second feed with a known key is merged into the first.
class FeedTable {
 public:
  explicit FeedTable(std::vector<PlanFeed>& feeds) : feeds_(feeds) {}

  std::size_t add(const stages::FeedPtr& feed) {
    const std::string key = feed->key();
    if (auto it = ids_.find(key); it != ids_.end()) {
      PlanFeed& known = feeds_[it->second];
      known.feed = known.feed->merged(known.feed, *feed);
      return it->second;
    }
    const std::size_t id = feeds_.size();
    ids_.emplace(key, id);
    feeds_.push_back(PlanFeed{feed, {}, {}, {}, 0});
    // Its needs, named once too; indexes stay valid as feeds_ grows.
    for (const auto& need : feed->needs()) {
      const std::size_t n = add(need.feed);
      feeds_[id].needs.push_back(n);
      feeds_[id].need_required.push_back(need.required);
    }
    return id;
  }

  PlanInput read(const stages::FeedUse& use, std::vector<std::pair<PlanInput*, stages::Keep>>& shared_keeps,
                 PlanInput& into) {
    into.feed = add(use.feed);
    into.keep = use.keep;
    ++feeds_[into.feed].reads;
    if (use.keep_if_shared) shared_keeps.emplace_back(&into, use.keep_if_shared);
    return into;
  }

 private:
  std::vector<PlanFeed>& feeds_;
  std::map<std::string, std::size_t> ids_;
};

// Both keeps, one after the other.
stages::Keep both(stages::Keep a, stages::Keep b) {
  if (!a) return b;
  if (!b) return a;
  return [a = std::move(a), b = std::move(b)](RecordVector& records) {
    a(records);
    b(records);
  };
}

const stages::StageType& type_of(const NodeSpec& node) {
  const stages::StageType* type = stages::find_stage_type(node.type);
  if (type == nullptr) {
    std::vector<std::string> names;
    for (const auto& t : stages::stage_types()) {
      if (t.kind == node.kind) names.push_back(t.name);
    }
    std::string message = fmt::format("{} has an unknown type '{}'", node.describe(), node.type);
    if (auto close = config::nearest(node.type, names)) {
      message += fmt::format("; did you mean '{}'?", *close);
    } else {
      message += fmt::format(" ({} types: {})", to_string(node.kind), fmt::join(names, ", "));
    }
    config::fail_at(node.type_at, message);
  }
  if (type->kind != node.kind) {
    config::fail_at(node.type_at, fmt::format("'{}' is a {} type, not a {} type: it goes under {}s", node.type,
                                              to_string(type->kind), to_string(node.kind), to_string(type->kind)));
  }
  return *type;
}

}  // namespace

std::vector<std::size_t> Producer::direct_feeds() const {
  if (kind == ProducerKind::source) return {input.feed};
  if (kind == ProducerKind::catalog) {
    std::vector<std::size_t> out;
    for (const auto& r : regional) out.push_back(r.feed);
    out.push_back(advisor.feed);
    return out;
  }
  return {};
}

bool Plan::needs_credentials() const {
  return std::any_of(feeds.begin(), feeds.end(), [](const PlanFeed& f) { return f.feed->signed_requests(); }) ||
         std::any_of(sinks.begin(), sinks.end(), [](const PlanSink& s) { return s.lowering.signed_requests; });
}

bool Plan::needs_account_ids() const {
  return std::any_of(producers.begin(), producers.end(), [](const Producer& p) {
    return p.kind == ProducerKind::source && info(p.dataset).per_account;
  });
}

std::vector<std::size_t> Plan::closure(std::size_t feed) const {
  std::vector<std::size_t> out = {feed};
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (std::size_t n : feeds[out[i]].needs) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

Plan plan_pipeline(const config::PipelineSpec& spec, const stages::LoweringContext& given) {
  config::check_graph(spec);
  Plan plan;
  plan.name = spec.name;
  plan.default_region = given.default_region;
  const auto options = config::read_options<stages::PipelineOptions>(spec.settings, given.env, "the pipeline", spec.at);
  plan.keep_going = options.keep_going;
  plan.shard = stages::resolve_shard(options.shard, options.shard_count, given.env);
  stages::LoweringContext context = given;
  context.shard = plan.shard;  // a snapshot sink writes a shard's manifest
  for (const auto& profile : options.profiles) plan.accounts.push_back(net::AccountSpec{profile, {}});
  for (const auto& role : options.role_arns) plan.accounts.push_back(net::AccountSpec{{}, role});

  // Producers and sinks keep the spec's order; their ids index these maps.
  std::map<std::string, std::vector<std::size_t>> producer_of;  // a node's producers: one per account, or one
  std::map<std::string, const NodeSpec*> node_of;
  // Inputs point into producers (shared keeps): room for one per node and account, never reallocated.
  plan.producers.reserve(spec.nodes.size() * std::max<std::size_t>(1, plan.accounts.size()));
  FeedTable feeds(plan.feeds);
  std::vector<std::pair<PlanInput*, stages::Keep>> shared_keeps;
  std::vector<std::pair<std::size_t, stages::TransformLowering>> transforms;

  for (const NodeSpec& node : spec.nodes) {
    node_of[node.id] = &node;
    stages::Lowered lowered = type_of(node).lower(node, context);
    if (auto* sink = std::get_if<stages::SinkLowering>(&lowered)) {
      PlanSink s;
      s.id = node.id;
      s.type = node.type;
      s.lowering = std::move(*sink);
      plan.sinks.push_back(std::move(s));
      continue;
    }
    Producer p;
    p.id = node.id;
    if (auto* source = std::get_if<stages::SourceLowering>(&lowered)) {
      p.kind = ProducerKind::source;
      p.dataset = source->dataset;
      p.scope = source->scope;
      p.endpoint_service = source->endpoint_service;
      p.origin = source->origin;
      p.files = source->files;
      p.regions_counted = source->regions_counted;
    } else if (auto* catalog = std::get_if<stages::CatalogLowering>(&lowered)) {
      p.kind = ProducerKind::catalog;
      p.dataset = Dataset::catalog;
      p.scope = catalog->scope;
      p.join = catalog->join;
      p.concurrent_regions = catalog->concurrent_regions;
      p.fingerprint = catalog->fingerprint;
      p.endpoint_service = "ec2";
      p.origin = catalog->origin;
    } else {
      p.kind = ProducerKind::transform;
    }
    auto* source = std::get_if<stages::SourceLowering>(&lowered);
    if (source != nullptr && info(source->dataset).per_account && !plan.accounts.empty()) {
      // What differs by account is read as each of them.
      for (const auto& account : plan.accounts) {
        Producer as = p;
        as.account = account.label();
        producer_of[node.id].push_back(plan.producers.size());
        plan.producers.push_back(std::move(as));
        stages::FeedUse use = source->input;
        use.feed = std::make_shared<const stages::AccountFeed>(account.label(), use.feed);
        feeds.read(use, shared_keeps, plan.producers.back().input);
      }
      continue;
    }
    producer_of[node.id].push_back(plan.producers.size());
    plan.producers.push_back(std::move(p));
    Producer& added = plan.producers.back();
    // Feeds are added once the producer has its place, so inputs can point into it.
    if (source != nullptr) {
      feeds.read(source->input, shared_keeps, added.input);
    } else if (auto* catalog = std::get_if<stages::CatalogLowering>(&lowered)) {
      const stages::FeedUse* uses[kCatalogInputs] = {&catalog->instance_types, &catalog->offerings, &catalog->spot,
                                                     &catalog->ec2_prices, &catalog->savings_plans};
      for (std::size_t i = 0; i < kCatalogInputs; ++i) feeds.read(*uses[i], shared_keeps, added.regional[i]);
      feeds.read(catalog->advisor, shared_keeps, added.advisor);
    } else {
      transforms.emplace_back(plan.producers.size() - 1, std::get<stages::TransformLowering>(std::move(lowered)));
    }
  }

  // Scopes that are resolved by a feed read it too.
  for (auto& p : plan.producers) {
    if (p.kind == ProducerKind::transform) continue;
    if (p.scope.kind == stages::RegionScope::Kind::ec2) {
      // The regions its account has enabled.
      stages::FeedPtr regions = std::make_shared<const stages::DescribeRegionsFeed>();
      if (!p.account.empty()) regions = std::make_shared<const stages::AccountFeed>(p.account, regions);
      p.scope_feed = feeds.add(regions);
    } else if (p.scope.kind == stages::RegionScope::Kind::price_list) {
      p.scope_feed = feeds.add(p.scope.index);
    }
  }
  // A catalog opens a region once the offer files' indexes are in: its memo is keyed by them.
  for (auto& p : plan.producers) {
    if (p.kind != ProducerKind::catalog) continue;
    for (std::size_t i : {kEc2Prices, kSavingsPlans}) {
      for (std::size_t n : plan.feeds[p.regional[i].feed].needs) {
        if (!plan.feeds[n].feed->regional()) p.before.push_back(n);
      }
    }
  }
  for (auto& [input, keep] : shared_keeps) {
    if (plan.feeds[input->feed].reads > 1) input->keep = both(input->keep, keep);
  }

  // Who uses each feed: its readers, whoever needs it, the scopes it resolves.
  for (std::size_t p = 0; p < plan.producers.size(); ++p) {
    const Producer& producer = plan.producers[p];
    std::vector<std::size_t> used = producer.direct_feeds();
    if (producer.scope_feed) used.push_back(*producer.scope_feed);
    used.insert(used.end(), producer.before.begin(), producer.before.end());
    for (std::size_t f : used) {
      for (std::size_t c : plan.closure(f)) plan.feeds[c].users.insert(p);
    }
  }

  // Edges: each sink and transform input names a producer.
  for (const NodeSpec& node : spec.nodes) {
    if (node.kind == NodeKind::source) continue;
    const bool sink = node.kind == NodeKind::sink;
    std::size_t index = 0;
    if (sink) {
      index = static_cast<std::size_t>(std::find_if(plan.sinks.begin(), plan.sinks.end(),
                                                    [&](const PlanSink& s) { return s.id == node.id; }) -
                                       plan.sinks.begin());
    } else {
      index = producer_of.at(node.id).front();  // transforms are one producer
    }
    // A node read as several accounts is that many inputs, in account order.
    std::uint32_t at = 0;
    for (const auto& input : node.inputs) {
      for (const std::size_t from : producer_of.at(input.first)) {
        plan.producers[from].consumers.push_back(Consumer{sink, index, at++});
        if (sink) {
          plan.sinks[index].inputs.push_back(from);
        } else {
          plan.producers[index].inputs.push_back(from);
        }
      }
    }
  }

  // Transforms, in spec order (inputs come first: a transform reads only what
  // is declared before it or another transform, and cycles were refused).
  bool bound_any = true;
  while (bound_any) {
    bound_any = false;
    for (auto& [index, lowering] : transforms) {
      Producer& t = plan.producers[index];
      if (t.transform) continue;
      std::optional<Dataset> input;
      bool ready = true;
      for (std::size_t from : t.inputs) {
        const Producer& p = plan.producers[from];
        if (p.kind == ProducerKind::transform && !p.transform) {
          ready = false;
          break;
        }
        if (input && *input != p.dataset) {
          const NodeSpec& node = *node_of.at(t.id);
          config::fail_at(node.at, fmt::format("{} reads {} and {} records; a transform's inputs yield one dataset",
                                               node.describe(), info(*input).name, info(p.dataset).name));
        }
        input = p.dataset;
      }
      if (!ready) continue;
      auto bound = lowering.bind(*input);
      if (!bound.ok()) config::fail_at(node_of.at(t.id)->at, bound.error().message());
      t.transform = std::move(bound.value());
      t.dataset = lowering.output(*input);
      bound_any = true;
    }
  }
  return plan;
}

}  // namespace pricepipe::graph
