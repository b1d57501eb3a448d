// The shared tier: a Redis that many pricepipe processes (CI runners,
// notebooks, the shards of a snapshot) read and fill, behind their memory
// and disk tiers (cache/store.h).
//
//   pricepipe:v1:entry:<key>    the entry, as the disk keeps it (cache/blob_codec.h)
//   pricepipe:v1:blob:<sha256>  the body's zstd frames, stored once however many entries name it
//   pricepipe:v1:lock:<key>     who is fetching `key` now (single flight across processes)
//
// Contract: a Backend (cache/backend.h). An entry's expiry is its key's
// Redis expiration (EXAT); a blob lives as long as the longest-lived entry
// naming it, plus a day (EXPIREAT … GT, PERSIST for entries that never
// expire). A blob is verified on every read as on disk; a damaged one is
// deleted with a warning and read as a miss.
//
// Claims: `claim` sets the lock (PX hold) with a token of this process
// unless another holds it; claiming again extends it (a long download
// renews its claim); `release` deletes the lock only while it still holds
// that token. A holder that crashed blocks the others for `hold` at most.
//
// Bodies in pieces (offer files) are APPENDed to a temporary key in 4 MiB
// batches of frames and renamed to their blob once whole, and streamed back
// in 4 MiB ranges, each frame verified before it is handed on (Redis's
// 512 MB value limit bounds what it can keep).
//
// Redis down, refusing the password, or full never fails a run: the tier
// warns once per outage and answers misses (and grants every claim) until a
// reconnect, tried again after `retry_after`, succeeds; a full Redis (OOM)
// keeps serving reads. Thread-safe: one connection, locked per command.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "cache/backend.h"
#include "cache/redis_client.h"

namespace pricepipe::cache {

struct RedisOptions {
  RedisUrl url;
  RedisTimeouts timeouts;
  std::string ca_file;  ///< --ca-bundle, for rediss://
  int level = 3;        ///< zstd level of the blobs it writes
  std::chrono::milliseconds retry_after{std::chrono::seconds(5)};
};

class RedisBackend final : public Backend {
 public:
  /// Connects at once (a failure is warned about, and retried later).
  explicit RedisBackend(RedisOptions options);
  ~RedisBackend() override;

  std::string describe() const override { return "redis " + options_.url.describe(); }
  std::optional<Hit> get(const std::string& key, bool allow_expired) override;
  std::optional<Entry> find(const std::string& key, bool allow_expired) override;
  bool has_blob(const std::string& hash) override;
  std::optional<Entry> put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                           std::string_view body) override;
  void adopt(const Hit& hit) override;
  std::unique_ptr<BlobWriter> begin_blob() override;
  std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                     const std::function<Result<void>(std::string_view)>& consume) override;
  Claim claim(const std::string& key, std::chrono::milliseconds hold) override;
  void release(const std::string& key) override;

  /// True while connected.
  bool up();
  /// "Redis at redis://host:port/db", for messages.
  std::string at() const { return "Redis at " + options_.url.describe(); }

 private:
  /// One command; nullopt (after the outage's one warning) when Redis cannot answer it.
  std::optional<RedisReply> run(const std::vector<std::string_view>& args);
  std::optional<Entry> store(const std::string& key, const EntryMeta& meta, std::int64_t stored_at,
                             std::int64_t expires_at, std::string_view body);
  /// SETs the entry, expiring with it.
  bool keep_entry(const Entry& e);
  /// Makes `blob` (a Redis key) live at least as long as an entry expiring at `expires_at`.
  bool outlive(const std::string& blob, std::int64_t expires_at);

  friend class RedisBlobWriter;

  RedisOptions options_;
  std::string token_;  ///< this process's lock value
  std::mutex mutex_;
  std::unique_ptr<RedisConnection> connection_;
  std::chrono::steady_clock::time_point next_try_{};
  bool warned_down_ = false;
  bool warned_full_ = false;
};

}  // namespace pricepipe::cache
