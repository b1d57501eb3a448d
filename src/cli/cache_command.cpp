// `pricepipe cache stats|ls|clear|gc|verify`: look after the cache directory.
#include <cstdio>

#include <fmt/format.h>

#include "cache/store.h"
#include "cli/commands.h"
#include "core/json_writer.h"
#include "core/metrics.h"
#include "core/schema.h"

namespace pricepipe::cli {

namespace {

std::string when(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return "never";
  std::string out;
  append_rfc3339(out, Timestamp{std::chrono::sys_seconds(std::chrono::seconds(unix_seconds))});
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

CacheCommand::CacheCommand(CLI::App& parent) {
  cmd_ = parent.add_subcommand("cache", "Inspect and maintain the cache (--cache-dir).");
  cmd_->require_subcommand(1);
  auto* stats = cmd_->add_subcommand("stats", "Entries, blobs and bytes in the cache.");
  auto* ls = cmd_->add_subcommand("ls", "One line per entry: key, class, request, size, age, expiry.");
  auto* clear = cmd_->add_subcommand("clear", "Remove entries (all of them unless narrowed).");
  auto* gc = cmd_->add_subcommand("gc", "Drop expired entries, evict to --cache-max-size, remove unused blobs.");
  auto* verify = cmd_->add_subcommand("verify", "Read every blob and check it against its hash; drop the bad ones.");
  for (auto* sub : {ls, clear}) {
    sub->add_option("--region", region_, "Only entries about this region.");
    sub->add_option("--dataset", class_,
                    "Only this class: regions, zones, instance-types, offerings, prices, price-list-index, "
                    "price-list-file, spot, advisor, catalog-memo.");
  }
  ls->add_option("--format", format_, "text or json.")->check(CLI::IsMember({"text", "json"}));
  clear->add_option("--older-than", older_than_, "Only entries stored longer ago than this (e.g. 7d, 12h).");
  (void)stats;
  (void)gc;
  (void)verify;
}

int CacheCommand::run(const config::CacheSettings& settings) {
  cache::StoreOptions options;
  options.dir = settings.dir.empty() ? cache::default_dir() : std::filesystem::path(settings.dir);
  options.max_bytes = config::parse_size(settings.max_size).value_or(options.max_bytes);
  options.memory_bytes = 0;
  options.refetch = false;  // maintenance only drops
  auto store = cache::Store::open(options);
  if (!store) throw FatalError(ErrorCode::io, "cannot open the cache at " + options.dir.string());

  std::optional<std::chrono::seconds> older_than;
  if (!older_than_.empty()) {
    older_than = config::parse_duration(older_than_);
    if (!older_than) throw FatalError(ErrorCode::usage, "--older-than: expected a duration such as 7d, got '" + older_than_ + "'");
  }
  const std::int64_t now = unix_now();
  auto selected = [&](const cache::Entry& e) {
    if (!region_.empty() && e.meta.region != region_) return false;
    if (!class_.empty() && e.meta.dataset != class_) return false;
    if (older_than && now - e.stored_at < older_than->count()) return false;
    return true;
  };

  const std::string sub = cmd_->get_subcommands().front()->get_name();
  if (sub == "stats") {
    const cache::Stats s = store->stats();
    std::printf("directory      %s\n", options.dir.string().c_str());
    std::printf("entries        %s (%s expired, %s negative)\n", with_thousands(s.entries).c_str(),
                with_thousands(s.expired).c_str(), with_thousands(s.negative).c_str());
    std::printf("blobs          %s, %s on disk (cap %s)\n", with_thousands(s.blobs).c_str(), human_bytes(s.blob_bytes).c_str(),
                human_bytes(options.max_bytes).c_str());
    std::printf("answers        %s uncompressed (%.1fx)\n", human_bytes(s.body_bytes).c_str(),
                s.blob_bytes == 0 ? 0.0 : static_cast<double>(s.body_bytes) / static_cast<double>(s.blob_bytes));
    return 0;
  }
  if (sub == "ls") {
    auto entries = store->entries();
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return std::tie(a.meta.dataset, a.meta.region, a.stored_at) < std::tie(b.meta.dataset, b.meta.region, b.stored_at);
    });
    std::string out;
    for (const auto& e : entries) {
      if (!selected(e)) continue;
      if (format_ == "json") {
        JsonWriter w(out);
        w.begin_object();
        w.key("key"); w.string(e.key);
        w.key("dataset"); w.string(e.meta.dataset);
        w.key("service"); w.string(e.meta.service);
        w.key("action"); w.string(e.meta.action);
        w.key("region"); w.string(e.meta.region);
        w.key("status"); w.integer(e.meta.status);
        w.key("negative"); w.boolean(e.meta.negative);
        w.key("size"); w.integer(static_cast<std::int64_t>(e.size));
        w.key("stored_bytes"); w.integer(static_cast<std::int64_t>(e.stored_bytes));
        w.key("stored_at"); w.string(when(e.stored_at));
        w.key("expires_at"); if (e.expires_at == 0) w.null(); else w.string(when(e.expires_at));
        w.key("last_used"); w.string(when(e.last_used));
        w.key("blob"); w.string(e.blob);
        w.key("request"); w.string(e.meta.summary);
        w.end_object();
        out += '\n';
      } else {
        out += fmt::format("{}  {:<16} {:<30} {:<15} {:>10}  stored {}  expires {}{}\n", e.key.substr(0, 12), e.meta.dataset,
                           e.meta.action, e.meta.region.empty() ? "-" : e.meta.region, human_bytes(e.size),
                           when(e.stored_at), when(e.expires_at),
                           e.expired(now) ? " (expired)" : e.meta.negative ? " (negative)" : "");
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (sub == "clear") {
    const std::size_t removed = store->remove_if(selected);
    std::fprintf(stderr, "pricepipe: cache: removed %s entries\n", with_thousands(removed).c_str());
    return 0;
  }
  if (sub == "gc") {
    const std::size_t expired = store->remove_if([&](const cache::Entry& e) { return e.expired(now); });
    const std::size_t evicted = store->trim();
    const cache::Stats s = store->stats();
    std::fprintf(stderr, "pricepipe: cache: removed %s expired and %s least recently used entries; %s in %s blobs\n",
                 with_thousands(expired).c_str(), with_thousands(evicted).c_str(), human_bytes(s.blob_bytes).c_str(),
                 with_thousands(s.blobs).c_str());
    return 0;
  }
  // verify
  const std::size_t total = store->stats().entries;
  const auto bad = store->verify();
  for (const auto& key : bad) std::printf("corrupt %s (dropped)\n", key.c_str());
  std::fprintf(stderr, "pricepipe: cache: %s of %s entries verified, %s corrupt and dropped\n",
               with_thousands(total - bad.size()).c_str(), with_thousands(total).c_str(), with_thousands(bad.size()).c_str());
  return bad.empty() ? 0 : static_cast<int>(ExitCode::malformed);
}

}  // namespace pricepipe::cli
