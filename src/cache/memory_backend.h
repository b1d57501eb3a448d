// The memory tier: verified bodies of recent answers, least recently used
// first out, bounded in bytes. A body over a quarter of the bound is not
// kept (an offer file would push everything else out); it keeps no large
// bodies written in pieces.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "cache/backend.h"

namespace pricepipe::cache {

class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  std::string describe() const override { return "memory"; }
  std::optional<Hit> get(const std::string& key, bool allow_expired) override;
  std::optional<Entry> find(const std::string& key, bool allow_expired) override;
  bool has_blob(const std::string& hash) override;
  std::optional<Entry> put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                           std::string_view body) override;
  void adopt(const Hit& hit) override;
  std::unique_ptr<BlobWriter> begin_blob() override { return nullptr; }
  std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                     const std::function<Result<void>(std::string_view)>& consume) override;

  std::uint64_t used() const;
  /// Forgets everything.
  void clear();

 private:
  struct Remembered {
    Entry entry;
    std::shared_ptr<const std::string> body;
    std::list<std::string>::iterator position;
  };

  const std::uint64_t max_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Remembered> entries_;
  std::list<std::string> lru_;  // most recent first
  std::uint64_t used_ = 0;
};

}  // namespace pricepipe::cache
