// The interface every cache tier implements: a backend.
//
// A backend keeps answers by request key and bodies by content: an entry
// names the SHA-256 of its body (its blob), so identical bodies are kept
// once. The cache is a chain of backends, fastest first (cache/store.h):
// memory, then the local disk, then a shared Redis (cache/redis_backend.h);
// a hit in a tier behind is adopted by the tiers in front.
//
// Contract: thread-safe, and nothing here throws into a run: a backend that
// cannot be read or written warns once and answers misses. A body handed out
// has been verified (frame checksums and the SHA-256 against its name); a
// damaged one is dropped with a warning and reported as a miss. Entries
// expire at `expires_at` unless the caller allows expired ones (--offline).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/sha256.h"

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
  std::string pinned;    ///< clock-following parameters as sent (net::pinned_params); empty for most
};

struct Entry {
  std::string key;
  std::string blob;               ///< SHA-256 of the body, hex
  std::uint64_t size = 0;         ///< body bytes
  std::uint64_t stored_bytes = 0; ///< compressed blob bytes
  std::int64_t stored_at = 0;     ///< unix seconds
  std::int64_t expires_at = 0;    ///< unix seconds; 0: never
  std::int64_t last_used = 0;     ///< unix seconds
  EntryMeta meta;

  bool expired(std::int64_t now) const { return expires_at != 0 && now >= expires_at; }
};

/// An entry with its verified body.
struct Hit {
  Entry entry;
  std::shared_ptr<const std::string> body;
};

/// What streaming a body delivered: the bytes handed on before it ended, and
/// why it ended early — the consumer's error, or a damaged blob (`corrupt`:
/// the rest must come from elsewhere).
struct StreamResult {
  std::uint64_t delivered = 0;
  Result<void> status;
  bool corrupt = false;
};

/// A body written in pieces (an offer file as it downloads).
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual void append(std::string_view bytes) = 0;
  /// Makes it the answer to `key`; false when it could not be stored.
  virtual bool commit(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl) = 0;
};

enum class Claim { unshared, granted, held };

class Backend {
 public:
  virtual ~Backend() = default;

  /// "memory", "disk /path": for messages.
  virtual std::string describe() const = 0;
  /// The entry for `key` with its verified body; `allow_expired` for --offline.
  virtual std::optional<Hit> get(const std::string& key, bool allow_expired) = 0;
  /// The entry alone (no body read), when present and fresh (or `allow_expired`).
  virtual std::optional<Entry> find(const std::string& key, bool allow_expired) = 0;
  /// True when the body named `hash` is kept.
  virtual bool has_blob(const std::string& hash) = 0;
  /// Keeps `body` as the answer to `key` for `ttl` (0: no expiry); the entry, or nothing when not kept.
  virtual std::optional<Entry> put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                                   std::string_view body) = 0;
  /// Keeps an answer a tier behind this one served, as it is (same times and expiry).
  virtual void adopt(const Hit& hit) = 0;
  /// A body written in pieces; null when this backend keeps no large bodies or cannot write.
  virtual std::unique_ptr<BlobWriter> begin_blob() = 0;
  /// Streams the body of `key` to `consume`, each piece verified before it is
  /// handed on. Nullopt when there is no usable entry.
  virtual std::optional<StreamResult> stream(const std::string& key, bool allow_expired,
                                             const std::function<Result<void>(std::string_view)>& consume) = 0;
  /// Brings the backend within its size bound; entries removed.
  virtual std::size_t trim() { return 0; }
  /// False once it found it cannot write (it then only serves what it has).
  virtual bool writable() const { return true; }
  /// Single flight across processes: `granted` when this process should
  /// fetch `key` itself, holding the claim until `release` or for `hold` at
  /// most; `held` while another process holds it; `unshared` when no other
  /// process fills this tier (or it cannot be reached): nothing to wait for,
  /// nothing to release.
  virtual Claim claim(const std::string& key, std::chrono::milliseconds hold) {
    (void)key;
    (void)hold;
    return Claim::unshared;
  }
  /// Gives up a claim `claim` granted (the answer is stored, or there is none to store).
  virtual void release(const std::string& key) { (void)key; }
};

/// SHA-256 of `data`, lowercase hex (core/sha256.h): the blobs' names.
using pricepipe::sha256_hex;

}  // namespace pricepipe::cache
