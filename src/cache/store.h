// The cache: tiers of backends (cache/backend.h), fastest first — memory in
// front of the local disk, and a shared Redis behind them when
// `--cache-url` names one. One interface for the fetcher, the catalog memos
// and maintenance.
//
// Contract: a Backend itself. A lookup asks each tier in turn; a hit in a
// tier behind is adopted by the tiers in front of it. An answer is kept in
// every tier; a body written in pieces (an offer file) goes to the disk.
// Claims (single flight across processes) are the shared tier's. The
// disk tier's maintenance (`pricepipe cache ...`) is reached through
// `disk()`. Thread-safe; nothing here throws into a run.
#pragma once

#include <memory>
#include <vector>

#include "cache/disk_backend.h"
#include "cache/memory_backend.h"
#include "cache/redis_backend.h"

namespace pricepipe::cache {

struct StoreOptions {
  std::filesystem::path dir;
  std::uint64_t max_bytes = 2ull << 30;     ///< the disk tier's bound
  std::uint64_t memory_bytes = 64ull << 20; ///< the memory tier's bound; 0: no memory tier
  int level = 3;
  bool refetch = true;  ///< a dropped entry is fetched again (not so for --offline or maintenance): its warning says which
  std::optional<RedisOptions> redis;  ///< the shared tier, behind the disk
};

class Store final : public Backend {
 public:
  /// Memory in front of the disk at `options.dir`, Redis behind. Null, after
  /// a warning, when the directory cannot be used: the run goes on without a cache.
  static std::unique_ptr<Store> open(StoreOptions options);

  std::string describe() const override;
  std::optional<Hit> get(const std::string& key, bool allow_expired) override;
  std::optional<Entry> find(const std::string& key, bool allow_expired) override;
  bool has_blob(const std::string& hash) override;
  std::optional<Entry> put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                           std::string_view body) override;
  void adopt(const Hit& hit) override;
  std::unique_ptr<BlobWriter> begin_blob() override;
  std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                     const std::function<Result<void>(std::string_view)>& consume) override;
  std::size_t trim() override;
  Claim claim(const std::string& key, std::chrono::milliseconds hold) override;
  void release(const std::string& key) override;

  /// The disk tier, for maintenance.
  DiskBackend& disk() { return *disk_; }
  // Maintenance, on the disk tier (the memory tier is forgotten where it could disagree).
  bool writable() const override { return disk_->writable(); }
  const std::filesystem::path& dir() const { return disk_->dir(); }
  Stats stats() { return disk_->stats(); }
  std::vector<Entry> entries() { return disk_->entries(); }
  std::size_t remove_if(const std::function<bool(const Entry&)>& drop);
  std::vector<std::string> verify();

 private:
  Store(std::unique_ptr<MemoryBackend> memory, std::unique_ptr<DiskBackend> disk, std::unique_ptr<RedisBackend> shared);

  std::unique_ptr<MemoryBackend> memory_;
  std::unique_ptr<DiskBackend> disk_;
  std::unique_ptr<RedisBackend> shared_;
  std::vector<Backend*> tiers_;  ///< fastest first
};

}  // namespace pricepipe::cache
