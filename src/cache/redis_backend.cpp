#include "cache/redis_backend.h"

#include <unistd.h>

#include <atomic>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cache/blob_codec.h"

namespace pricepipe::cache {

namespace {

constexpr const char* kPrefix = "pricepipe:v1:";
// A blob outlives the entries naming it by this much: one read between an
// entry and its blob never finds the blob gone.
constexpr std::int64_t kBlobGrace = 24 * 3600;

// Takes the lock, or extends it when it is ours already (a long download renews it).
constexpr const char* kClaimScript =
    "local v = redis.call('get', KEYS[1]) "
    "if v == false then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "if v == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end "
    "return 0";
// Deletes the lock only while it is still ours (another process may hold it after ours lapsed).
constexpr const char* kReleaseScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string entry_key(const std::string& key) { return std::string(kPrefix) + "entry:" + key; }
std::string blob_key(const std::string& hash) { return std::string(kPrefix) + "blob:" + hash; }
std::string lock_key(const std::string& key) { return std::string(kPrefix) + "lock:" + key; }

}  // namespace

RedisBackend::RedisBackend(RedisOptions options) : options_(std::move(options)) {
  std::random_device rd;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  token_ = fmt::format("{}:{}:{:08x}{:08x}", host, ::getpid(), rd(), rd());
  run({"PING"});
}

RedisBackend::~RedisBackend() = default;

bool RedisBackend::up() {
  std::lock_guard lock(mutex_);
  return connection_ != nullptr;
}

std::optional<RedisReply> RedisBackend::run(const std::vector<std::string_view>& args) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  auto down = [&](const std::string& why) {
    if (!warned_down_) {
      spdlog::warn("cache: {}; going on with the local cache (trying again every {} ms)", why,
                   options_.retry_after.count());
      warned_down_ = true;
    }
    next_try_ = now + options_.retry_after;
  };
  if (connection_ == nullptr) {
    if (now < next_try_) return std::nullopt;
    auto connected = RedisConnection::connect(options_.url, options_.timeouts, options_.ca_file);
    if (!connected.ok()) {
      down(connected.error().message());
      return std::nullopt;
    }
    connection_ = std::move(connected).value();
    if (warned_down_) spdlog::warn("cache: {} answers again", at());
    warned_down_ = false;
  }
  auto reply = connection_->command(args);
  if (reply.ok()) return std::move(reply).value();
  const Error& e = reply.error();
  if (e.code() == ErrorCode::io && e.message().rfind("OOM", 0) == 0) {
    if (!warned_full_) {
      spdlog::warn("cache: {} is full ({}); new answers are kept locally only", at(), e.message());
      warned_full_ = true;
    }
    return std::nullopt;
  }
  if (e.code() != ErrorCode::io) connection_.reset();  // the transport broke: connect again later
  down(e.code() == ErrorCode::io ? fmt::format("{} refused {}: {}", at(), args.front(), e.message())
                                 : e.message());
  return std::nullopt;
}

std::optional<Entry> RedisBackend::find(const std::string& key, bool allow_expired) {
  auto reply = run({"GET", entry_key(key)});
  if (!reply || !reply->is_string()) return std::nullopt;
  auto entry = decode_entry(reply->str(), key);
  if (!entry.ok()) {
    spdlog::warn("cache: {} entry {} {}; dropped", at(), key.substr(0, 12), entry.error().message());
    run({"DEL", entry_key(key)});
    return std::nullopt;
  }
  if (!allow_expired && entry.value().expired(unix_now())) return std::nullopt;
  entry.value().last_used = unix_now();
  return std::move(entry).value();
}

std::optional<Hit> RedisBackend::get(const std::string& key, bool allow_expired) {
  auto entry = find(key, allow_expired);
  if (!entry) return std::nullopt;
  auto reply = run({"GET", blob_key(entry->blob)});
  if (!reply) return std::nullopt;
  if (!reply->is_string()) {
    run({"DEL", entry_key(key)});  // its blob lapsed first: the entry is of no use
    return std::nullopt;
  }
  auto body = expand_blob(reply->str(), entry->size, entry->blob);
  if (!body.ok()) {
    spdlog::warn("cache: {} ({} {} {}) in {}: {}; dropped, fetching it again", entry->blob.substr(0, 12),
                 entry->meta.service, entry->meta.action, entry->meta.region, at(), body.error().message());
    run({"DEL", entry_key(key), blob_key(entry->blob)});
    return std::nullopt;
  }
  return Hit{std::move(*entry), std::move(body).value()};
}

bool RedisBackend::has_blob(const std::string& hash) {
  auto reply = run({"EXISTS", blob_key(hash)});
  return reply && reply->integer().value_or(0) > 0;
}

std::optional<Entry> RedisBackend::put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                                       std::string_view body) {
  const std::int64_t now = unix_now();
  return store(key, meta, now, expiry_after(ttl, now), body);
}

void RedisBackend::adopt(const Hit& hit) {
  store(hit.entry.key, hit.entry.meta, hit.entry.stored_at, hit.entry.expires_at, *hit.body);
}

bool RedisBackend::keep_entry(const Entry& e) {
  const std::string text = encode_entry(e);
  const std::string expiry = std::to_string(e.expires_at);
  auto reply = e.expires_at == 0 ? run({"SET", entry_key(e.key), text})
                                 : run({"SET", entry_key(e.key), text, "EXAT", expiry});
  return reply.has_value();
}

bool RedisBackend::outlive(const std::string& blob, std::int64_t expires_at) {
  const std::string expiry = std::to_string(expires_at + kBlobGrace);
  auto reply = expires_at == 0 ? run({"PERSIST", blob}) : run({"EXPIREAT", blob, expiry, "GT"});
  return reply.has_value();
}

std::optional<Entry> RedisBackend::store(const std::string& key, const EntryMeta& meta, std::int64_t stored_at,
                                         std::int64_t expires_at, std::string_view body) {
  const std::int64_t now = unix_now();
  if (expires_at != 0 && expires_at <= now) return std::nullopt;  // Redis would drop it at once
  const std::string hash = sha256_hex(body);
  const std::string blob = blob_key(hash);
  const std::string blob_expiry = std::to_string(expires_at + kBlobGrace);
  auto exists = run({"EXISTS", blob});
  if (!exists) return std::nullopt;
  std::uint64_t stored = 0;
  bool created = false;
  if (exists->integer().value_or(0) == 0) {
    auto packed = compress_blob(body, options_.level);
    if (!packed.ok()) return std::nullopt;
    stored = packed.value().size();
    std::vector<std::string_view> set = {"SET", blob, packed.value(), "NX"};
    if (expires_at != 0) {
      set.push_back("EXAT");
      set.push_back(blob_expiry);
    }
    auto reply = run(set);
    if (!reply) return std::nullopt;
    created = !reply->nil();
  }
  // Kept already: it must live as long as this entry too.
  if (!created && !outlive(blob, expires_at)) return std::nullopt;
  Entry e = make_entry(key, hash, body.size(), stored, meta, stored_at, expires_at);
  if (!keep_entry(e)) return std::nullopt;
  return e;
}

// ---------------------------------------------------------------------------

// A body in pieces: its frames are APPENDed to a temporary key (which lapses
// in an hour if this process dies), in 4 MiB batches, and the key is renamed
// to the blob's name once the hash is known.
class RedisBlobWriter final : public BlobWriter {
 public:
  RedisBlobWriter(RedisBackend& redis, std::string tmp)
      : redis_(redis), tmp_(std::move(tmp)), framer_(redis.options_.level) {}
  ~RedisBlobWriter() override {
    if (!tmp_.empty() && appended_) redis_.run({"DEL", tmp_});
  }

  void append(std::string_view bytes) override {
    if (failed_) return;
    failed_ = !framer_.append(bytes, frames_);
    if (frames_.size() >= (4u << 20)) send();
  }

  bool commit(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl) override {
    if (!failed_ && !framer_.finish(frames_)) failed_ = true;
    send();
    if (failed_) return false;
    const std::string hash = framer_.hash();
    const std::string blob = blob_key(hash);
    const std::int64_t now = unix_now();
    const std::int64_t expires_at = expiry_after(ttl, now);
    auto exists = redis_.run({"EXISTS", blob});
    if (!exists) return false;
    if (exists->integer().value_or(0) == 0) {
      if (!redis_.run({"RENAME", tmp_, blob})) return false;
      tmp_.clear();
      if (expires_at == 0 ? !redis_.run({"PERSIST", blob})
                          : !redis_.run({"EXPIREAT", blob, std::to_string(expires_at + kBlobGrace)})) {
        return false;
      }
    } else if (!redis_.outlive(blob, expires_at)) {
      return false;
    }
    return redis_.keep_entry(make_entry(key, hash, framer_.size(), stored_, meta, now, expires_at));
  }

 private:
  void send() {
    if (failed_ || frames_.empty()) return;
    if (!redis_.run({"APPEND", tmp_, frames_}) || (!appended_ && !redis_.run({"EXPIRE", tmp_, "3600"}))) {
      failed_ = true;  // the local tiers keep it; the warning (down, full, too large) is the backend's
    }
    appended_ = true;
    stored_ += frames_.size();
    frames_.clear();
  }

  RedisBackend& redis_;
  std::string tmp_;
  BlobFramer framer_;
  std::string frames_;  ///< compressed, not yet sent
  std::uint64_t stored_ = 0;
  bool appended_ = false;
  bool failed_ = false;
};

std::unique_ptr<BlobWriter> RedisBackend::begin_blob() {
  if (!up()) return nullptr;
  static std::atomic<std::uint64_t> counter{0};
  return std::make_unique<RedisBlobWriter>(*this, std::string(kPrefix) + "tmp:" + token_ + ":" + std::to_string(counter++));
}

std::optional<StreamResult> RedisBackend::stream(const std::string& key, bool allow_expired,
                                                 const std::function<Result<void>(std::string_view)>& consume) {
  auto entry = find(key, allow_expired);
  if (!entry) return std::nullopt;
  const std::string blob = blob_key(entry->blob);
  StreamResult result;
  FrameReader reader;
  Sha256 hash;
  bool ok = true;
  bool any = false;
  constexpr std::size_t kRange = 4 << 20;
  for (std::size_t at = 0;; at += kRange) {
    auto reply = run({"GETRANGE", blob, std::to_string(at), std::to_string(at + kRange - 1)});
    if (!reply || !reply->is_string()) {
      ok = false;
      break;
    }
    const std::string_view piece = reply->str();
    if (piece.empty()) break;
    any = true;
    ok = reader.feed(piece, [&](std::string_view frame) {
      if (result.delivered + frame.size() > entry->size) return false;
      hash.update(frame);
      result.status = consume(frame);
      if (!result.status.ok()) return false;
      result.delivered += frame.size();
      return true;
    });
    if (!ok || piece.size() < kRange) break;
  }
  if (!result.status.ok()) return result;  // the consumer stopped; the blob is fine
  if (!any && result.delivered == 0 && ok) {
    run({"DEL", entry_key(key)});  // its blob lapsed first
    return std::nullopt;
  }
  if (!ok || !reader.clean_end() || result.delivered != entry->size || hash.hex() != entry->blob) {
    if (result.delivered == 0 && !up()) return std::nullopt;  // Redis went away: a miss, not damage
    result.corrupt = true;
    spdlog::warn("cache: {} ({} {} {}) in {}: its blob is corrupt or truncated at byte {}; dropped",
                 entry->blob.substr(0, 12), entry->meta.service, entry->meta.action, entry->meta.region, at(),
                 result.delivered);
    run({"DEL", entry_key(key), blob});
  }
  return result;
}

Claim RedisBackend::claim(const std::string& key, std::chrono::milliseconds hold) {
  const std::string ms = std::to_string(hold.count());
  auto reply = run({"EVAL", kClaimScript, "1", lock_key(key), token_, ms});
  if (!reply) return Claim::unshared;  // nothing to coordinate through: fetch it
  return reply->integer().value_or(1) == 1 ? Claim::granted : Claim::held;
}

void RedisBackend::release(const std::string& key) {
  run({"EVAL", kReleaseScript, "1", lock_key(key), token_});
}

}  // namespace pricepipe::cache
