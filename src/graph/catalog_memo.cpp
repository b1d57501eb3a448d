#include "graph/catalog_memo.h"

#include "stages/transforms/record_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

namespace pricepipe::graph {

namespace {

constexpr const char* kMagic = "pricepipe-catalog-memo 1";

// The program's identity: a rebuilt binary (new size, time or inode) never
// reuses an older build's rows.
std::string program_identity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "unknown-build";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::unique_ptr<CatalogMemo> CatalogMemo::open(net::RequestCache* cache, const std::string& fingerprint,
                                               const std::string& ec2_endpoint) {
  if (cache == nullptr || cache->policy().refresh) return nullptr;
  const std::string identity = cache::sha256_hex(std::string(kMagic) + "\n" + program_identity() + "\n" +
                                                 fingerprint + "\nec2=" + ec2_endpoint);
  return std::unique_ptr<CatalogMemo>(new CatalogMemo(*cache, identity));
}

std::string CatalogMemo::key(const std::string& region, const std::vector<std::string>& known_inputs) const {
  std::string text = identity_ + "\n" + region;
  for (const auto& k : known_inputs) text += "\n" + k;
  return cache::sha256_hex(text);
}

std::optional<CatalogMemo::Rows> CatalogMemo::lookup(const std::string& key) {
  const bool offline = cache_.policy().offline;
  auto hit = cache_.backend().get(key, true);
  if (!hit) return std::nullopt;
  const std::string_view body = *hit->body;
  const auto split = body.find("\n\n");
  if (!body.starts_with(kMagic) || split == std::string_view::npos) return std::nullopt;
  Rows rows;
  std::size_t at = body.find('\n') + 1;
  while (at < split) {
    const auto end = body.find('\n', at);
    const std::string_view line = body.substr(at, end - at);
    at = end + 1;
    if (line.starts_with("rows ")) {
      std::from_chars(line.data() + 5, line.data() + line.size(), rows.count);
      continue;
    }
    if (!line.starts_with("input ")) return std::nullopt;
    const auto space = line.find(' ', 6);
    const std::string input(line.substr(6, space - 6));
    const std::string_view blob = line.substr(space + 1);
    // Still what a full run would read: present, fresh, the same content.
    auto entry = cache_.backend().find(input, offline);
    if (!entry || entry->blob != blob || entry->meta.status != 200 || !cache_.backend().has_blob(entry->blob)) {
      return std::nullopt;
    }
  }
  // With simdjson's padding after the rows, so a transform reading them parses them in place.
  const std::string_view text = body.substr(split + 2);
  auto ndjson = std::make_shared<std::string>();
  ndjson->reserve(text.size() + stages::kNdjsonPadding);
  ndjson->assign(text);
  rows.ndjson = std::move(ndjson);
  return rows;
}

void CatalogMemo::store(const std::string& key, const std::string& region, const std::vector<std::string>& inputs,
                        const Rows& rows) {
  cache_.flush();  // the inputs' entries must be on disk to be named
  std::string body = std::string(kMagic) + "\nrows " + std::to_string(rows.count) + "\n";
  std::vector<std::string> sorted = inputs;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const auto& input : sorted) {
    auto entry = cache_.backend().find(input, false);
    if (!entry || entry->meta.status != 200) return;  // an input the cache does not keep: no memo
    body += "input " + input + " " + entry->blob + "\n";
  }
  body += "\n";
  body += *rows.ndjson;
  cache::EntryMeta meta;
  meta.service = "pricepipe";
  meta.action = "CatalogRegion";
  meta.dataset = "catalog-memo";
  meta.region = region;
  meta.summary = std::to_string(sorted.size()) + " inputs, " + std::to_string(rows.count) + " rows";
  cache_.backend().put(key, meta, std::chrono::seconds(0), body);
}

}  // namespace pricepipe::graph
