// The disk tier: answers by request key, bodies by content, under one
// directory that several processes may share.
//
//   DIR/v1/entries/ab/<key>      what a request got: its blob, size, expiry, status
//   DIR/v1/blobs/cd/<sha256>     the body, zstd frames of 1 MiB with checksums
//   DIR/v1/tmp/                  files being written
//
// Contract: a Backend (cache/backend.h). Every file is written under tmp/
// and renamed into place, so a reader sees a whole file or none; identical
// bodies are stored once. A blob is verified on every read (each frame's
// checksum as it is decompressed, the SHA-256 of the whole body against its
// name). A directory that cannot be written warns once and the tier goes on
// without writing. The disk is bounded by `max_bytes`: `trim` evicts least
// recently used entries (an entry's mtime is its last use). Maintenance
// (`pricepipe cache ...`) takes an exclusive lock on DIR/v1/lock.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/backend.h"

namespace pricepipe::cache {

struct DiskOptions {
  std::filesystem::path dir;
  std::uint64_t max_bytes = 2ull << 30;
  int level = 3;  ///< zstd level
  bool refetch = true;  ///< a dropped entry is fetched again (not so for --offline or maintenance): its warning says which
};

struct Stats {
  std::uint64_t entries = 0, expired = 0, negative = 0, blobs = 0;
  std::uint64_t blob_bytes = 0, body_bytes = 0;
};

class DiskBackend final : public Backend {
 public:
  /// Opens (creating, mode 0700) the directory. Null, after a warning, when it
  /// cannot be created or read: the run goes on without a cache.
  static std::unique_ptr<DiskBackend> open(DiskOptions options);
  ~DiskBackend() override;

  std::string describe() const override { return "disk " + options_.dir.string(); }
  std::optional<Hit> get(const std::string& key, bool allow_expired) override;
  std::optional<Entry> find(const std::string& key, bool allow_expired) override;
  bool has_blob(const std::string& hash) override { return std::filesystem::exists(blob_path(hash)); }
  std::optional<Entry> put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                           std::string_view body) override;
  void adopt(const Hit& hit) override;
  std::unique_ptr<BlobWriter> begin_blob() override;
  std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                     const std::function<Result<void>(std::string_view)>& consume) override;
  /// Evicts least recently used entries until the blobs fit `max_bytes`; returns entries removed.
  std::size_t trim() override;

  bool writable() const override { return writable_; }
  const std::filesystem::path& dir() const { return root_; }

  // Maintenance (`pricepipe cache ...`).
  Stats stats();
  std::vector<Entry> entries();
  /// Removes the entries `drop` selects and the blobs no entry refers to; returns entries removed.
  std::size_t remove_if(const std::function<bool(const Entry&)>& drop);
  /// Reads and checks every blob; returns the keys whose blob is corrupt (their entries are dropped).
  std::vector<std::string> verify();

 private:
  explicit DiskBackend(DiskOptions options);

  std::filesystem::path entry_path(const std::string& key) const;
  std::filesystem::path blob_path(const std::string& hash) const;
  std::optional<Entry> read_entry(const std::string& key);
  bool write_entry(const Entry& entry);
  std::optional<Entry> store(const std::string& key, const EntryMeta& meta, std::int64_t stored_at,
                             std::int64_t expires_at, std::string_view body);
  std::shared_ptr<const std::string> read_blob(const Entry& entry);
  /// Removes the entry, and `damaged` (the blob file as read) unless another has replaced it.
  void drop(const Entry& entry, const std::string& why, const struct stat* damaged = nullptr);
  void warn_unwritable(const std::string& what);
  std::size_t remove_unused_blobs(const std::map<std::string, std::filesystem::file_time_type>& released);
  void remove_entry(const Entry& entry, std::map<std::string, std::filesystem::file_time_type>& released);

  DiskOptions options_;
  std::filesystem::path root_;
  bool writable_ = true;
  bool warned_ = false;

  friend class FileBlobWriter;
};

/// The default cache directory: $XDG_CACHE_HOME/pricepipe, else $HOME/.cache/pricepipe.
std::filesystem::path default_dir();

}  // namespace pricepipe::cache
