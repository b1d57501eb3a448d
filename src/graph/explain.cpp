#include "graph/explain.h"

#include <deque>
#include <map>

#include <fmt/format.h>

#include "graph/catalog_memo.h"
#include "graph/planner.h"
#include "net/aws_error.h"

namespace pricepipe::graph {

namespace {

struct Tally {
  std::size_t streams = 0;
  std::size_t cached_streams = 0;  // every page (or the file) fresh in the cache
  std::size_t fresh_pages = 0;
  std::size_t files = 0;
};

std::string kind_name(ProducerKind kind) {
  switch (kind) {
    case ProducerKind::source: return "source";
    case ProducerKind::catalog: return "source";
    case ProducerKind::transform: return "transform";
  }
  return "node";
}

std::string scope_text(const stages::RegionScope& scope) {
  switch (scope.kind) {
    case stages::RegionScope::Kind::single: return "once";
    case stages::RegionScope::Kind::listed: return fmt::format("regions {}", fmt::join(scope.regions, ","));
    case stages::RegionScope::Kind::ec2:
      return scope.include_disabled ? "every region (DescribeRegions, disabled ones too)"
                                    : "every enabled region (DescribeRegions)";
    case stages::RegionScope::Kind::price_list: return "every region of the Price List index";
  }
  return "";
}

class Explainer {
 public:
  Explainer(const Plan& plan, Session& session) : plan_(with_keep_going(plan)), session_(session), planner_(plan_) {
    for (std::size_t p = 0; p < plan_.producers.size(); ++p) {
      if (plan_.producers[p].kind == ProducerKind::catalog) {
        memos_.emplace(p, CatalogMemo::open(session_.cache(), plan_.producers[p].fingerprint,
                                            session_.endpoint_description("ec2")));
      }
    }
  }

  std::string run() {
    std::deque<Planner::Action> queue;
    auto push = [&](Planner::Actions actions) {
      for (auto& a : actions) queue.push_back(std::move(a));
    };
    push(planner_.start());
    while (!queue.empty()) {
      Planner::Action action = std::move(queue.front());
      queue.pop_front();
      if (auto* start = std::get_if<Planner::Start>(&action)) {
        push(planner_.stream_done(start->stream, replay(start->stream)));
      } else if (auto* check = std::get_if<Planner::CheckMemo>(&action)) {
        const bool hit = memo_hit(*check);
        ++regions_[check->catalog];
        if (hit) ++memo_hits_[check->catalog];
        push(planner_.memo_checked(check->catalog, check->slot, hit));
        if (hit) push(planner_.region_finished(check->catalog, check->slot));
      } else if (auto* finish = std::get_if<Planner::FinishRegion>(&action)) {
        push(planner_.region_finished(finish->catalog, finish->slot));
      }
    }
    return render();
  }

 private:
  static Plan with_keep_going(Plan plan) {
    // What is not cached must not stop the walk: it is shown as such.
    plan.keep_going = true;
    return plan;
  }

  // Walks a stream through the cache, feeding planning what it holds; an
  // error when planning needed an answer the cache does not have.
  std::optional<Error> replay(std::uint32_t id) {
    const StreamInfo& s = planner_.stream(id);
    net::RequestCache* cache = session_.cache();
    const std::string region = plan_.feeds[s.feed].feed->regional() ? s.region : "(once)";
    if (s.plan.file) {
      Tally& t = tally_[{"price-list", region}];
      ++t.streams;
      ++t.files;
      if (s.plan.file->request && cache != nullptr &&
          cache->backend().find(session_.cache_key(*s.plan.file->request), cache->policy().offline)) {
        ++t.cached_streams;
      }
      return std::nullopt;
    }
    net::ApiRequest request = s.plan.pages->first();
    Tally& t = tally_[{request.service, region}];
    ++t.streams;
    for (std::uint32_t page = 0;; ++page) {
      std::optional<net::RequestCache::Answer> answer;
      if (cache != nullptr) answer = cache->lookup(session_.cache_key(request));
      if (!answer) {
        unresolved_.push_back(net::describe_request(request));
        if (!s.collect) return std::nullopt;
        ErrorContext c;
        c.region = s.region;
        return Error(ErrorCode::not_cached, "not in the cache: " + net::describe_request(request), c);
      }
      ++t.fresh_pages;
      if (auto error = net::error_from_response(request, answer->response)) {
        ++t.cached_streams;
        return s.collect ? std::optional<Error>(*error) : std::nullopt;
      }
      if (s.collect) {
        net::Page p;
        p.stream = id;
        p.index = page;
        p.request = request;
        p.body = answer->response.body;
        p.http_status = answer->response.status;
        auto records = s.plan.decoder->decode(p);
        if (!records.ok()) return records.error();
        planner_.collect(id, page, records.value());
      }
      auto next = s.plan.pages->next(request, answer->response.body);
      if (!next) {
        ++t.cached_streams;
        return std::nullopt;
      }
      request = std::move(*next);
    }
  }

  bool memo_hit(const Planner::CheckMemo& check) {
    auto it = memos_.find(check.catalog);
    if (it == memos_.end() || !it->second || check.known_inputs.size() != 2) return false;
    std::vector<std::string> known;
    for (const auto& r : check.known_inputs) known.push_back(session_.cache_key(r));
    return it->second->lookup(it->second->key(check.region, known)).has_value();
  }

  std::string render() {
    std::string out = fmt::format("pipeline {}\n", plan_.name);
    for (const auto& p : plan_.producers) {
      std::vector<std::string> inputs;
      for (std::size_t i : p.inputs) inputs.push_back(plan_.producers[i].name());
      out += fmt::format("  {:<10} {:<24} {}{}\n", kind_name(p.kind), p.name(), info(p.dataset).name,
                         inputs.empty() ? fmt::format(", {}", scope_text(p.scope))
                                        : fmt::format(" ← {}", fmt::join(inputs, ", ")));
    }
    for (const auto& s : plan_.sinks) {
      std::vector<std::string> inputs;
      for (std::size_t i : s.inputs) inputs.push_back(plan_.producers[i].name());
      out += fmt::format("  {:<10} {:<24} {} ← {}\n", "sink", s.id, s.lowering.describe, fmt::join(inputs, ", "));
    }

    const net::FetcherOptions& f = session_.fetch_options();
    std::size_t files = 2;
    for (const auto& p : plan_.producers) {
      if (p.kind == ProducerKind::catalog) files = std::max(files, 2 * p.concurrent_regions);
    }
    out += "\ngraph (one flow graph)\n";
    out += fmt::format("  {:<8} async     the curl loop: {} page credits (--max-pages-in-flight); pacing per service and "
                       "region (ec2 100 burst, 20/s; pricing 10 burst, 5/s; adaptive); retries up to {} attempts within {:.0f} s\n",
                       "fetch", f.max_pages_in_flight, f.retry.max_attempts,
                       std::chrono::duration<double>(f.retry.deadline).count());
    out += fmt::format("  {:<8} async     offer files: {} at once, {} segment credits of 1 MiB, 16 MiB download buffer each\n",
                       "read", files, 6 * files);
    out += fmt::format("  {:<8} parallel  pages and segments → records\n", "decode");
    out += fmt::format("  {:<8} parallel  records → the nodes that read them\n", "route");
    for (const auto& p : plan_.producers) {
      if (p.kind == ProducerKind::catalog) {
        out += fmt::format("  {:<8} per region {}: {} regions at once, at most {} ahead of the oldest unwritten\n", "join",
                           p.name(), p.concurrent_regions, 2 * p.concurrent_regions);
      } else if (p.kind == ProducerKind::transform) {
        out += fmt::format("  {:<8} parallel  {}{}\n", "apply", p.name(),
                           p.transform->gathers() ? ": gathers every record, yields once its inputs have ended" : "");
      }
    }
    for (const auto& s : plan_.sinks) {
      out += fmt::format("  {:<8} parallel  {}: records → the sink's format\n", "format", s.id);
      out += fmt::format("  {:<8} serial    {}: in order (inputs, regions, streams, pages); waiting pages past the "
                         "credits go to a temporary file\n",
                         "write", s.id);
    }
    out += "  edges    fetch → decode, read → decode, decode → route";
    for (const auto& p : plan_.producers) {
      for (const auto& c : p.consumers) {
        const std::string to = c.sink ? "format(" + plan_.sinks[c.index].id + ")" : plan_.producers[c.index].name();
        out += fmt::format(", {} → {}", p.kind == ProducerKind::catalog ? "join(" + p.name() + ")" : "route(" + p.name() + ")", to);
      }
    }
    for (const auto& s : plan_.sinks) out += fmt::format(", format({0}) → write({0})", s.id);
    out += "\n";

    out += "\nfeeds (each fetched once where it is needed, whoever reads it)\n";
    for (const auto& feed : plan_.feeds) {
      std::vector<std::string> users;
      for (std::size_t u : feed.users) users.push_back(plan_.producers[u].name());
      std::vector<std::string> needs;
      for (std::size_t n : feed.needs) needs.push_back(plan_.feeds[n].feed->describe());
      out += fmt::format("  {:<40} {:<11} for {}{}\n", feed.feed->describe(),
                         feed.feed->regional() ? "per region" : "once", fmt::join(users, ", "),
                         needs.empty() ? "" : fmt::format("; planned from {}", fmt::join(needs, ", ")));
    }

    out += "\nrequests (explain sends none; `fresh` is what the cache would answer)\n";
    out += fmt::format("  {:<14} {:<16} {:>8} {:>14} {:>12}\n", "service", "region", "streams", "fresh streams",
                       "fresh pages");
    Tally total;
    for (const auto& [key, t] : tally_) {
      out += fmt::format("  {:<14} {:<16} {:>8} {:>14} {:>12}\n", key.first, key.second, t.streams, t.cached_streams,
                         t.files > 0 && t.files == t.streams ? std::string("-") : std::to_string(t.fresh_pages));
      total.streams += t.streams;
      total.cached_streams += t.cached_streams;
      total.fresh_pages += t.fresh_pages;
    }
    out += fmt::format("  {:<14} {:<16} {:>8} {:>14} {:>12}\n", "total", "", total.streams, total.cached_streams,
                       total.fresh_pages);
    for (const auto& [catalog, count] : regions_) {
      out += fmt::format("  {}: {} regions, {} from memos (no request)\n", plan_.producers[catalog].name(), count,
                         memo_hits_[catalog]);
    }
    if (auto fatal = planner_.fatal()) {
      out += fmt::format("  not planned yet: {} — the run resolves it first, then plans what depends on it\n",
                         fatal->describe());
    }
    std::size_t unplanned = 0;
    for (const auto& o : planner_.outcomes()) {
      if (o.error && o.error->code() == ErrorCode::not_cached) ++unplanned;
    }
    if (!unresolved_.empty()) {
      out += fmt::format("  {} streams continue past what the cache holds (their first unanswered request is sent by "
                         "the run); {} planning steps wait for such answers\n",
                         unresolved_.size(), unplanned);
    }
    return out;
  }

  const Plan plan_;
  Session& session_;
  Planner planner_;
  std::map<std::size_t, std::unique_ptr<CatalogMemo>> memos_;
  std::map<std::pair<std::string, std::string>, Tally> tally_;
  std::map<std::size_t, std::size_t> regions_, memo_hits_;
  std::vector<std::string> unresolved_;
};

}  // namespace

std::string explain(const Plan& plan, Session& session) { return Explainer(plan, session).run(); }

}  // namespace pricepipe::graph
