// The content-addressed cache: answers by request key, bodies by content.
//
//   DIR/v1/entries/ab/<key>      what a request got: its blob, size, expiry, status
//   DIR/v1/blobs/cd/<sha256>     the body, zstd frames of 1 MiB with checksums
//   DIR/v1/tmp/                  files being written
//
// Contract: thread-safe, and safe for several processes sharing DIR: every
// file is written under tmp/ and renamed into place, so a reader sees a whole
// file or none; identical bodies are stored once. A blob is verified on every
// read (each frame's checksum as it is decompressed, the SHA-256 of the whole
// body against its name); a corrupt, truncated or missing blob is dropped
// with a warning and reported as a miss. A store that cannot be written
// warns once and goes on without writing; nothing here throws into a run.
// In front of the disk sits an LRU of decompressed bodies bounded in bytes;
// a disk hit is promoted to it. The disk is bounded by `max_bytes`: `trim`
// evicts least recently used entries (an entry's mtime is its last use).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace pricepipe::cache {

/// What an entry says about its request, for `cache ls` and `cache clear`.
struct EntryMeta {
  std::string service;
  std::string region;
  std::string action;
  std::string dataset;   ///< the TTL class: regions, instance-types, spot, price-list-file, ...
  std::string summary;   ///< the request in one line, for people (no secrets: no headers)
  long status = 200;     ///< HTTP status of the stored answer
  std::string request_id;
  bool negative = false; ///< an empty or not-found answer, kept for a short time
};

struct Entry {
  std::string key;
  std::string blob;               ///< SHA-256 of the body, hex
  std::uint64_t size = 0;         ///< body bytes
  std::uint64_t stored_bytes = 0; ///< compressed blob bytes
  std::int64_t stored_at = 0;     ///< unix seconds
  std::int64_t expires_at = 0;    ///< unix seconds; 0: never
  std::int64_t last_used = 0;     ///< unix seconds (the entry file's mtime)
  EntryMeta meta;

  bool expired(std::int64_t now) const { return expires_at != 0 && now >= expires_at; }
};

struct StoreOptions {
  std::filesystem::path dir;
  std::uint64_t max_bytes = 2ull << 30;
  std::uint64_t memory_bytes = 64ull << 20;
  int level = 3;
};

struct Stats {
  std::uint64_t entries = 0, expired = 0, negative = 0, blobs = 0;
  std::uint64_t blob_bytes = 0, body_bytes = 0;
};

class Store {
 public:
  /// Opens (creating, mode 0700) the store. Null, after a warning, when the
  /// directory cannot be created or read: the run goes on without a cache.
  static std::unique_ptr<Store> open(StoreOptions options);
  ~Store();

  struct Hit {
    Entry entry;
    std::shared_ptr<const std::string> body;
  };
  /// The entry for `key` with its verified body; `allow_expired` for --offline.
  std::optional<Hit> get(const std::string& key, bool allow_expired);
  /// The entry alone (no body read), when present and fresh (or `allow_expired`).
  std::optional<Entry> find(const std::string& key, bool allow_expired);

  /// Stores `body` as the answer to `key` for `ttl` (0: no expiry). False when not stored.
  bool put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl, std::string_view body);

  /// A body written in pieces (an offer file as it downloads).
  class BlobWriter {
   public:
    virtual ~BlobWriter() = default;
    virtual void append(std::string_view bytes) = 0;
    /// Makes it the answer to `key`; false when it could not be stored.
    virtual bool commit(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl) = 0;
  };
  /// Null when the store is not writable.
  std::unique_ptr<BlobWriter> begin_blob();

  /// Streams the body of `key` to `consume` in frames, each verified before it
  /// is handed on. Returns the bytes delivered; an error when the blob turned
  /// out corrupt or short (the entry is then dropped) or `consume` failed.
  /// Nullopt when there is no usable entry.
  struct StreamResult {
    std::uint64_t delivered = 0;
    Result<void> status;
    bool corrupt = false;
  };
  std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                     const std::function<Result<void>(std::string_view)>& consume);

  bool writable() const { return writable_; }
  /// True when the blob named `hash` is on disk.
  bool has_blob(const std::string& hash) const { return std::filesystem::exists(blob_path(hash)); }
  const std::filesystem::path& dir() const { return root_; }

  // Maintenance (`pricepipe cache ...`).
  Stats stats();
  std::vector<Entry> entries();
  /// Removes the entries `drop` selects and the blobs no entry refers to; returns entries removed.
  std::size_t remove_if(const std::function<bool(const Entry&)>& drop);
  /// Evicts least recently used entries until the blobs fit `max_bytes`; returns entries removed.
  std::size_t trim();
  /// Reads and checks every blob; returns the keys whose blob is corrupt (their entries are dropped).
  std::vector<std::string> verify();

 private:
  explicit Store(StoreOptions options);

  std::filesystem::path entry_path(const std::string& key) const;
  std::filesystem::path blob_path(const std::string& hash) const;
  std::optional<Entry> read_entry(const std::string& key);
  bool write_entry(const Entry& entry);
  std::shared_ptr<const std::string> read_blob(const Entry& entry);
  void drop(const Entry& entry, const std::string& why);
  void warn_unwritable(const std::string& what);
  void remember(const Entry& entry, std::shared_ptr<const std::string> body);
  std::optional<Hit> recall(const std::string& key, bool allow_expired);
  std::size_t sweep_blobs();

  StoreOptions options_;
  std::filesystem::path root_;
  bool writable_ = true;
  bool warned_ = false;

  // Memory tier.
  std::mutex memory_mutex_;
  struct Remembered {
    Entry entry;
    std::shared_ptr<const std::string> body;
    std::list<std::string>::iterator position;
  };
  std::unordered_map<std::string, Remembered> memory_;
  std::list<std::string> lru_;  // most recent first
  std::uint64_t memory_used_ = 0;

  friend class FileBlobWriter;
};

/// SHA-256 of `data`, lowercase hex.
std::string sha256_hex(std::string_view data);

/// The default cache directory: $XDG_CACHE_HOME/pricepipe, else $HOME/.cache/pricepipe.
std::filesystem::path default_dir();

}  // namespace pricepipe::cache
