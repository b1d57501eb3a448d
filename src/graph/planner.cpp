#include "graph/planner.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pricepipe::graph {

namespace {

using Scope = stages::RegionScope::Kind;

std::vector<std::string> unique_in_order(const std::vector<std::string>& regions) {
  std::vector<std::string> out;
  for (const auto& r : regions) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

}  // namespace

Planner::Planner(const Plan& plan) : plan_(plan), producers_(plan.producers.size()), decided_(plan.producers.size()) {}

const std::string& Planner::region_key(std::size_t feed, const std::string& region) const {
  return global(feed) ? plan_.default_region : region;
}

std::size_t Planner::instance(std::size_t feed, const std::string& region_in, Actions& out) {
  const std::string& region = region_key(feed, region_in);
  if (auto it = by_feed_region_.find({feed, region}); it != by_feed_region_.end()) return it->second;
  const std::size_t id = instances_.size();
  instances_.emplace_back();
  by_feed_region_.emplace(std::make_pair(feed, region), id);
  Instance& inst = instances_.back();
  inst.feed = feed;
  inst.region = region;
  // It keeps its records when planning reads them: another feed needs it, it lists a scope's regions,
  // it must be in before a catalog opens regions, or it is a catalog's advisor.
  for (const auto& f : plan_.feeds) {
    if (std::find(f.needs.begin(), f.needs.end(), feed) != f.needs.end()) inst.collect = true;
  }
  for (const auto& p : plan_.producers) {
    if (p.scope_feed == feed || std::find(p.before.begin(), p.before.end(), feed) != p.before.end() ||
        (p.kind == ProducerKind::catalog && p.advisor.feed == feed)) {
      inst.collect = true;
    }
  }
  // Regional instances wait until every user has decided whether it reads this region.
  if (!global(feed)) {
    for (std::size_t u : plan_.feeds[feed].users) {
      const ProducerState& ps = producers_[u];
      const bool outside = ps.resolved && std::find(ps.regions.begin(), ps.regions.end(), region) == ps.regions.end();
      if (!outside && !decided_[u].count(region)) instances_[id].waiting.insert(u);
    }
  }
  // What it is planned from.
  const PlanFeed& pf = plan_.feeds[feed];
  for (std::size_t n : pf.needs) {
    const std::size_t need = instance(n, region, out);
    instances_[id].needs.push_back(need);
    instances_[need].dependents.push_back(id);
  }
  return id;
}

void Planner::subscribe(std::size_t inst, Subscriber s) { instances_[inst].subscribers.push_back(s); }

void Planner::decide(std::size_t producer, const std::string& region, Actions& out) {
  decided_[producer].insert(region);
  std::vector<std::size_t> touched;
  for (auto& [key, id] : by_feed_region_) {
    if (key.second != region) continue;
    if (instances_[id].waiting.erase(producer) > 0) touched.push_back(id);
  }
  for (std::size_t id : touched) maybe_plan(id, out);
}

void Planner::maybe_plan(std::size_t id, Actions& out) {
  Instance& inst = instances_[id];
  if (inst.state != Instance::State::pending || !inst.waiting.empty() || stopped_ || starting_) return;
  for (std::size_t n : inst.needs) {
    if (instances_[n].state != Instance::State::done) return;
  }
  if (inst.subscribers.empty() && inst.dependents.empty() && !inst.collect) {
    inst.state = Instance::State::done;  // nobody reads it in the end
    return;
  }
  plan_streams(id, out);
}

void Planner::plan_streams(std::size_t id, Actions& out) {
  Instance& inst = instances_[id];
  const PlanFeed& pf = plan_.feeds[inst.feed];
  std::vector<std::vector<RecordVector>> kept(inst.needs.size());
  std::vector<stages::NeedResult> needs;
  for (std::size_t i = 0; i < inst.needs.size(); ++i) {
    const Instance& n = instances_[inst.needs[i]];
    for (const auto& [at, records] : n.records) kept[i].push_back(records);
    needs.push_back(stages::NeedResult{&kept[i], n.error ? &*n.error : nullptr});
  }
  auto planned = pf.feed->plan(inst.region, needs);
  inst.state = Instance::State::planned;
  // A regional instance's records are needed until its last dependent is planned.
  for (std::size_t n : inst.needs) {
    Instance& need = instances_[n];
    if (global(need.feed)) continue;
    const bool all_planned = std::all_of(need.dependents.begin(), need.dependents.end(), [&](std::size_t d) {
      return instances_[d].state != Instance::State::pending;
    });
    if (all_planned) need.records.clear();
  }
  if (!planned.ok()) {
    Error e = std::move(planned.error());
    if (e.context().region.empty() && !global(inst.feed)) e.context().region = inst.region;
    inst.error = e;
    for (const auto& s : inst.subscribers) {
      if (s.kind == Subscriber::Kind::source) out.push_back(Declare{s.producer, {s.slot}, 0});
    }
    fail(e, out);
    instance_done(id, out);
    return;
  }
  const auto count = static_cast<std::uint32_t>(planned.value().size());
  for (const auto& s : inst.subscribers) {
    if (s.kind == Subscriber::Kind::source) out.push_back(Declare{s.producer, {s.slot}, count});
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    StreamInfo info;
    info.id = static_cast<std::uint32_t>(streams_.size());
    info.instance = id;
    info.feed = inst.feed;
    info.index = i;
    info.region = inst.region;
    info.plan = std::move(planned.value()[i]);
    info.subscribers = inst.subscribers;
    info.collect = inst.collect;
    streams_.push_back(std::move(info));
    inst.streams.push_back(streams_.back().id);
    out.push_back(Start{streams_.back().id});
  }
  if (count == 0) instance_done(id, out);
}

void Planner::instance_done(std::size_t id, Actions& out) {
  Instance& inst = instances_[id];
  inst.state = Instance::State::done;
  const std::size_t feed = inst.feed;
  const std::vector<std::size_t> dependents = inst.dependents;
  const std::vector<Subscriber> subscribers = inst.subscribers;
  for (std::size_t d : dependents) maybe_plan(d, out);
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    const Producer& producer = plan_.producers[p];
    ProducerState& ps = producers_[p];
    if (producer.scope_feed == feed && !ps.resolved) resolve(p, out);
    if (producer.kind != ProducerKind::catalog) continue;
    if (std::find(ps.before.begin(), ps.before.end(), id) != ps.before.end()) admit(p, out);
    if (ps.advisor == id && producer.advisor.feed == feed) {
      for (std::uint32_t slot = 0; slot < ps.slots.size(); ++slot) maybe_finish(p, slot, out);
    }
  }
  for (const auto& s : subscribers) {
    if (s.kind == Subscriber::Kind::catalog) region_input_done(s.producer, s.slot, out);
  }
}

void Planner::resolve(std::size_t p, Actions& out) {
  const Producer& producer = plan_.producers[p];
  ProducerState& ps = producers_[p];
  std::vector<std::string> regions;
  if (producer.scope.kind == Scope::single || producer.scope.kind == Scope::listed) {
    regions = unique_in_order(producer.scope.regions);
  } else {
    const Instance& listing = instances_[by_feed_region_.at({*producer.scope_feed, plan_.default_region})];
    if (listing.error) {
      // Without the list there is nothing to plan: the run stops, keep_going or not.
      if (!fatal_) fatal_ = *listing.error;
      stopped_ = true;
      out.push_back(Stop{});
      return;
    }
    std::vector<std::string> skipped;
    for (const auto& [at, batch] : listing.records) {
      if (const auto* list = std::get_if<std::vector<RegionRecord>>(&batch)) {
        for (const auto& r : *list) {
          if (r.enabled || producer.scope.include_disabled) {
            regions.push_back(r.region);
          } else {
            skipped.push_back(r.region);
          }
        }
      } else if (const auto* files = std::get_if<std::vector<PriceListFile>>(&batch)) {
        for (const auto& f : *files) {
          if (!f.region.empty()) regions.push_back(f.region);
        }
      }
    }
    std::sort(regions.begin(), regions.end());
    regions.erase(std::unique(regions.begin(), regions.end()), regions.end());
    if (producer.scope.kind == Scope::ec2) {
      if (!skipped.empty()) {
        std::sort(skipped.begin(), skipped.end());
        spdlog::info("--regions all: {} enabled regions; skipping {} not enabled for {} ({})", regions.size(),
                     skipped.size(), producer.account.empty() ? "this account" : producer.account,
                     fmt::join(skipped, ", "));
      }
      if (regions.empty()) {
        if (!fatal_) fatal_ = Error(ErrorCode::aws_api, "DescribeRegions returned no enabled region");
        stopped_ = true;
        out.push_back(Stop{});
        return;
      }
    }
  }
  if (plan_.shard.sharded()) {
    // This shard's share: the producer's regions dealt round robin (stages/shard.h).
    std::vector<std::string> mine;
    for (std::size_t j = 0; j < regions.size(); ++j) {
      if (plan_.shard.owns(p, j)) mine.push_back(regions[j]);
    }
    regions = std::move(mine);
  }
  ps.resolved = true;
  ps.regions = regions;
  out.push_back(Declare{p, {}, static_cast<std::uint32_t>(regions.size())});
  // Instances of other regions no longer wait for this producer.
  std::vector<std::size_t> touched;
  for (auto& [key, id] : by_feed_region_) {
    if (global(key.first) || std::find(regions.begin(), regions.end(), key.second) != regions.end()) continue;
    if (instances_[id].waiting.erase(p) > 0) touched.push_back(id);
  }
  for (std::size_t id : touched) maybe_plan(id, out);
  if (producer.kind == ProducerKind::source) {
    open_source_slots(p, out);
  } else {
    ps.slots.resize(regions.size());
    admit(p, out);
  }
}

void Planner::open_source_slots(std::size_t p, Actions& out) {
  const Producer& producer = plan_.producers[p];
  const ProducerState& ps = producers_[p];
  for (std::uint32_t slot = 0; slot < ps.regions.size(); ++slot) {
    const std::size_t inst = instance(producer.input.feed, ps.regions[slot], out);
    subscribe(inst, Subscriber{Subscriber::Kind::source, p, slot, 0});
  }
  for (const auto& region : ps.regions) decide(p, region, out);
  // A global feed's instance was planned at start if every reader was in by then.
  for (std::uint32_t slot = 0; slot < ps.regions.size(); ++slot) {
    maybe_plan(by_feed_region_.at({producer.input.feed, region_key(producer.input.feed, ps.regions[slot])}), out);
  }
}

void Planner::admit(std::size_t c, Actions& out) {
  const Producer& catalog = plan_.producers[c];
  ProducerState& ps = producers_[c];
  if (stopped_ || !ps.resolved) return;
  for (std::size_t b : ps.before) {
    if (instances_[b].state != Instance::State::done) return;
  }
  const std::size_t lanes = std::max<std::size_t>(1, catalog.concurrent_regions);
  while (ps.next < ps.slots.size() && ps.open < lanes && ps.next < ps.finished_prefix + 2 * lanes) {
    const auto slot = static_cast<std::uint32_t>(ps.next++);
    ++ps.open;
    ps.slots[slot].state = Region::State::checking;
    const std::string& region = ps.regions[slot];
    CheckMemo check{c, slot, region, {}, {}};
    // The offer files it will read, from the indexes already in.
    for (std::size_t k : {kEc2Prices, kSavingsPlans}) {
      const PlanFeed& pf = plan_.feeds[catalog.regional[k].feed];
      std::vector<std::vector<RecordVector>> kept(pf.needs.size());
      std::vector<stages::NeedResult> needs;
      for (std::size_t i = 0; i < pf.needs.size(); ++i) {
        const Instance& n = instances_[by_feed_region_.at({pf.needs[i], region_key(pf.needs[i], region)})];
        for (const auto& [at, records] : n.records) kept[i].push_back(records);
        needs.push_back(stages::NeedResult{&kept[i], n.error ? &*n.error : nullptr});
      }
      if (auto files = pf.feed->plan(region, needs); files.ok()) {
        for (const auto& s : files.value()) {
          if (s.file && s.file->request) check.known_inputs.push_back(*s.file->request);
        }
      }
    }
    const Instance& advisor = instances_[ps.advisor];
    if (auto streams = plan_.feeds[advisor.feed].feed->plan(advisor.region, {}); streams.ok() && !streams.value().empty()) {
      check.advisor = streams.value().front().pages->first();
    }
    out.push_back(std::move(check));
  }
}

Planner::Actions Planner::memo_checked(std::size_t c, std::uint32_t slot, bool hit) {
  std::lock_guard lock(mutex_);
  Actions out;
  ProducerState& ps = producers_[c];
  const std::string region = ps.regions[slot];
  if (hit) {
    ps.slots[slot].state = Region::State::finishing;
    decide(c, region, out);
    return out;
  }
  open_region(c, slot, out);
  return out;
}

void Planner::open_region(std::size_t c, std::uint32_t slot, Actions& out) {
  const Producer& catalog = plan_.producers[c];
  ProducerState& ps = producers_[c];
  Region& r = ps.slots[slot];
  r.state = Region::State::open;
  r.inputs_pending = kCatalogInputs;
  const std::string region = ps.regions[slot];
  for (std::size_t k = 0; k < kCatalogInputs; ++k) {
    const std::size_t inst = instance(catalog.regional[k].feed, region, out);
    r.instances[k] = inst;
    subscribe(inst, Subscriber{Subscriber::Kind::catalog, c, slot, k});
  }
  decide(c, region, out);
}

void Planner::region_input_done(std::size_t c, std::uint32_t slot, Actions& out) {
  Region& r = producers_[c].slots[slot];
  if (r.state != Region::State::open) return;
  --r.inputs_pending;
  for (std::size_t k = 0; k < kCatalogInputs; ++k) {
    if (instances_[r.instances[k]].state == Instance::State::done && instances_[r.instances[k]].error) r.failed = true;
  }
  maybe_finish(c, slot, out);
}

void Planner::maybe_finish(std::size_t c, std::uint32_t slot, Actions& out) {
  ProducerState& ps = producers_[c];
  Region& r = ps.slots[slot];
  if (r.state != Region::State::open || r.inputs_pending > 0) return;
  const Instance& advisor = instances_[ps.advisor];
  if (advisor.state != Instance::State::done) return;
  r.state = Region::State::finishing;
  out.push_back(FinishRegion{c, slot, ps.regions[slot], !r.failed && !stopped_, !advisor.error, ps.advisor});
}

Planner::Actions Planner::region_finished(std::size_t c, std::uint32_t slot) {
  std::lock_guard lock(mutex_);
  Actions out;
  ProducerState& ps = producers_[c];
  ps.slots[slot].state = Region::State::done;
  --ps.open;
  while (ps.finished_prefix < ps.slots.size() && ps.slots[ps.finished_prefix].state == Region::State::done) {
    ++ps.finished_prefix;
  }
  admit(c, out);
  return out;
}

void Planner::fail(const Error& error, Actions& out) {
  if (error.code() == ErrorCode::cancelled && stopped_) return;
  if (plan_.keep_going || stopped_) return;
  stopped_ = true;
  out.push_back(Stop{});
}

Planner::Actions Planner::start() {
  std::lock_guard lock(mutex_);
  Actions out;
  // Every feed fetched once per run gets all of its readers before any is planned.
  starting_ = true;
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    const Producer& producer = plan_.producers[p];
    if (producer.kind == ProducerKind::transform) continue;
    std::vector<std::size_t> used = producer.direct_feeds();
    if (producer.scope_feed) used.push_back(*producer.scope_feed);
    used.insert(used.end(), producer.before.begin(), producer.before.end());
    for (std::size_t f : used) {
      for (std::size_t c : plan_.closure(f)) {
        if (global(c)) instance(c, plan_.default_region, out);
      }
    }
    ProducerState& ps = producers_[p];
    for (std::size_t b : producer.before) ps.before.push_back(instance(b, plan_.default_region, out));
    if (producer.kind == ProducerKind::catalog) {
      ps.advisor = instance(producer.advisor.feed, plan_.default_region, out);
    }
  }
  // Static region lists are known now: declare them and subscribe.
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    const Producer& producer = plan_.producers[p];
    if (producer.kind == ProducerKind::transform) continue;
    if (producer.scope.kind == Scope::single || producer.scope.kind == Scope::listed) resolve(p, out);
  }
  starting_ = false;
  for (std::size_t id = 0; id < instances_.size(); ++id) maybe_plan(id, out);
  return out;
}

Planner::Actions Planner::stream_done(std::uint32_t stream, const std::optional<Error>& error) {
  std::lock_guard lock(mutex_);
  Actions out;
  StreamInfo& info = streams_[stream];
  Instance& inst = instances_[info.instance];
  if (error) {
    if (!inst.error) inst.error = *error;
    outcome_errors_.emplace(stream, *error);
    fail(*error, out);
  }
  if (++inst.streams_done == inst.streams.size()) instance_done(info.instance, out);
  return out;
}

Planner::Actions Planner::stop() {
  std::lock_guard lock(mutex_);
  Actions out;
  if (!stopped_) {
    stopped_ = true;
    out.push_back(Stop{});
  }
  return out;
}

void Planner::collect(std::uint32_t stream, std::uint32_t page, const RecordVector& records) {
  std::lock_guard lock(mutex_);
  const StreamInfo& info = streams_[stream];
  instances_[info.instance].records[{info.index, page}] = records;
}

const StreamInfo& Planner::stream(std::uint32_t id) const {
  std::lock_guard lock(mutex_);
  return streams_[id];
}

std::vector<RecordVector> Planner::collected(std::size_t id) const {
  std::lock_guard lock(mutex_);
  std::vector<RecordVector> out;
  for (const auto& [at, records] : instances_[id].records) out.push_back(records);
  return out;
}

void Planner::add_readers(std::size_t instance, std::vector<std::size_t>& producers) const {
  const Instance& inst = instances_[instance];
  for (const auto& s : inst.subscribers) {
    if (std::find(producers.begin(), producers.end(), s.producer) == producers.end()) producers.push_back(s.producer);
  }
  // Catalogs read the advisor from what its instance kept, not as subscribers.
  for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
    const Producer& producer = plan_.producers[p];
    if (producer.kind == ProducerKind::catalog && producer.advisor.feed == inst.feed &&
        std::find(producers.begin(), producers.end(), p) == producers.end()) {
      producers.push_back(p);
    }
  }
  for (std::size_t d : inst.dependents) add_readers(d, producers);
}

std::vector<std::size_t> Planner::readers_of(std::size_t instance) const {
  std::lock_guard lock(mutex_);
  std::vector<std::size_t> producers;
  add_readers(instance, producers);
  return producers;
}

std::vector<Planner::StreamOutcome> Planner::outcomes() const {
  std::lock_guard lock(mutex_);
  std::vector<StreamOutcome> out;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const Instance& inst = instances_[i];
    StreamOutcome o;
    o.feed = plan_.feeds[inst.feed].feed->describe();
    o.region = inst.region;
    o.read = !inst.subscribers.empty();
    o.regional = !global(inst.feed);
    add_readers(i, o.producers);
    if (inst.state == Instance::State::done && inst.streams.empty() && inst.error) {
      o.error = inst.error;  // it could not be planned
      out.push_back(o);
    }
    for (std::uint32_t s : inst.streams) {
      auto it = outcome_errors_.find(s);
      o.error = it == outcome_errors_.end() ? std::nullopt : std::optional<Error>(it->second);
      o.stream = s;
      out.push_back(o);
    }
  }
  return out;
}

std::optional<Error> Planner::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

bool Planner::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

std::size_t Planner::regions_of(std::size_t producer) const {
  std::lock_guard lock(mutex_);
  return producers_[producer].regions.size();
}

RunProgress Planner::progress() const {
  std::lock_guard lock(mutex_);
  RunProgress out;
  std::map<std::string_view, bool> regions;  // region → every input of it done
  for (const auto& inst : instances_) {
    const bool done = inst.state == Instance::State::done;
    ++out.inputs;
    if (done) ++out.inputs_done;
    if (inst.region.empty() || global(inst.feed)) continue;
    auto [at, first] = regions.try_emplace(inst.region, done);
    if (!first) at->second = at->second && done;
  }
  out.regions = regions.size();
  for (const auto& [region, done] : regions) out.regions_done += done ? 1 : 0;
  return out;
}

std::optional<std::string> Planner::unfinished() const {
  std::lock_guard lock(mutex_);
  if (stopped_) return std::nullopt;
  for (const auto& inst : instances_) {
    if (inst.state != Instance::State::done) {
      return fmt::format("{} in {} never finished ({} users undecided)", plan_.feeds[inst.feed].feed->describe(),
                         inst.region, inst.waiting.size());
    }
  }
  for (std::size_t p = 0; p < producers_.size(); ++p) {
    for (const auto& r : producers_[p].slots) {
      if (r.state != Region::State::done) return fmt::format("a region of {} never finished", plan_.producers[p].id);
    }
  }
  return std::nullopt;
}

}  // namespace pricepipe::graph
