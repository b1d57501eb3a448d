#include "cache/disk_backend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>
#include <zstd.h>

#include "cache/blob_codec.h"

namespace pricepipe::cache {

namespace fs = std::filesystem;

namespace {

// Far above what write_entry writes (its summary is one short line).
constexpr off_t kMaxEntryBytes = 64 << 10;
// A blob no entry refers to is swept only when older than this: another
// process may have written it and not yet its entry. (One an entry being
// removed last used goes at once, unless a writer has renewed it since: see
// remove_unused_blobs.)
constexpr auto kOrphanGrace = std::chrono::minutes(10);

fs::file_time_type modified(const fs::path& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  return ec ? fs::file_time_type::min() : t;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string temp_name(const fs::path& tmp_dir) {
  static std::atomic<std::uint64_t> counter{0};
  return (tmp_dir / (std::to_string(::getpid()) + "-" + std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id())) +
                     "-" + std::to_string(counter++)))
      .string();
}

// Writes `data` to a new file under tmp/ and renames it to `target`.
bool write_atomically(const fs::path& tmp_dir, const fs::path& target, std::string_view data, std::string& why) {
  const std::string tmp = temp_name(tmp_dir);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    why = std::string("cannot create ") + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      why = std::string("cannot write ") + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    why = std::string("cannot rename into ") + target.string() + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return false;
  return ::chmod(dir.c_str(), 0700) == 0 || errno == EPERM;
}

}  // namespace

fs::path default_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') return fs::path(xdg) / "pricepipe";
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') return fs::path(home) / ".cache" / "pricepipe";
  return fs::temp_directory_path() / ("pricepipe-cache-" + std::to_string(::getuid()));
}

// ---------------------------------------------------------------------------

DiskBackend::DiskBackend(DiskOptions options) : options_(std::move(options)), root_(options_.dir / "v1") {}

DiskBackend::~DiskBackend() = default;

std::unique_ptr<DiskBackend> DiskBackend::open(DiskOptions options) {
  std::unique_ptr<DiskBackend> store(new DiskBackend(std::move(options)));
  const fs::path& root = store->root_;
  if (!make_private_dir(store->options_.dir) || !make_private_dir(root)) {
    spdlog::warn("cache: cannot create {}; running without a cache", store->options_.dir.string());
    return nullptr;
  }
  for (const char* sub : {"entries", "blobs"}) {
    if (!make_private_dir(root / sub)) {
      spdlog::warn("cache: cannot create {}; running without a cache", (root / sub).string());
      return nullptr;
    }
  }
  if (!make_private_dir(root / "tmp")) {
    store->warn_unwritable("cannot create " + (root / "tmp").string());
    return store;
  }
  if (::access(root.c_str(), R_OK | X_OK) != 0) {
    spdlog::warn("cache: cannot read {}; running without a cache", root.string());
    return nullptr;
  }
  if (::access((root / "tmp").c_str(), W_OK) != 0 || ::access((root / "entries").c_str(), W_OK) != 0 ||
      ::access((root / "blobs").c_str(), W_OK) != 0) {
    store->warn_unwritable(root.string() + " is not writable");
  }
  return store;
}

fs::path DiskBackend::entry_path(const std::string& key) const { return root_ / "entries" / key.substr(0, 2) / key; }
fs::path DiskBackend::blob_path(const std::string& hash) const { return root_ / "blobs" / hash.substr(0, 2) / hash; }

void DiskBackend::warn_unwritable(const std::string& what) {
  writable_ = false;
  if (warned_) return;
  warned_ = true;
  spdlog::warn("cache: {}; going on without writing the cache", what);
}

std::optional<Entry> DiskBackend::read_entry(const std::string& key) {
  const fs::path path = entry_path(key);
  // An entry is a few hundred bytes: one open, fstat and read (the fstat
  // also gives the last use), where a stream and a stat cost twice the calls.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string text;
  bool read_ok = ::fstat(fd, &st) == 0 && st.st_size <= kMaxEntryBytes;
  if (read_ok) {
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
  }
  ::close(fd);
  auto decoded = read_ok ? decode_entry(text, key) : Result<Entry>(Error(ErrorCode::io, "is not an entry"));
  if (!decoded.ok()) {
    spdlog::warn("cache: entry {} {}; dropped", path.string(), decoded.error().message());
    ::unlink(path.c_str());
    return std::nullopt;
  }
  Entry e = std::move(decoded).value();
  e.last_used = st.st_mtime;
  return e;
}

bool DiskBackend::write_entry(const Entry& e) {
  const std::string text = encode_entry(e);
  std::string why;
  if (!write_atomically(root_ / "tmp", entry_path(e.key), text, why)) {
    warn_unwritable(why);
    return false;
  }
  return true;
}

void DiskBackend::drop(const Entry& entry, const std::string& why, const struct stat* damaged) {
  spdlog::warn("cache: {} ({} {} {}): {}; dropped{}", entry.blob.substr(0, 12), entry.meta.service,
               entry.meta.action, entry.meta.region, why, options_.refetch ? ", fetching it again" : "");
  ::unlink(entry_path(entry.key).c_str());
  // Only the file that was read: a writer that stored the same body since renamed a whole one in.
  struct stat now {};
  const fs::path blob = blob_path(entry.blob);
  if (damaged && ::stat(blob.c_str(), &now) == 0 && now.st_dev == damaged->st_dev && now.st_ino == damaged->st_ino) {
    ::unlink(blob.c_str());
  }
}

std::shared_ptr<const std::string> DiskBackend::read_blob(const Entry& entry) {
  const fs::path path = blob_path(entry.blob);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    drop(entry, "its blob is missing");
    return nullptr;
  }
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::size_t>(st.st_size);
  std::unique_ptr<char[]> compressed(new char[size]);  // not zeroed: read over at once
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, compressed.get() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);

  auto body = expand_blob(std::string_view(compressed.get(), done == size ? done : 0), entry.size, entry.blob);
  if (!body.ok()) {
    drop(entry, body.error().message(), &st);
    return nullptr;
  }
  return std::move(body).value();
}

std::optional<Entry> DiskBackend::find(const std::string& key, bool allow_expired) {
  auto entry = read_entry(key);
  if (!entry || (!allow_expired && entry->expired(unix_now()))) return std::nullopt;
  return entry;
}

std::optional<Hit> DiskBackend::get(const std::string& key, bool allow_expired) {
  auto entry = find(key, allow_expired);
  if (!entry) return std::nullopt;
  auto body = read_blob(*entry);
  if (!body) return std::nullopt;
  ::utimensat(AT_FDCWD, entry_path(key).c_str(), nullptr, 0);  // last used: now
  return Hit{std::move(*entry), std::move(body)};
}

std::optional<Entry> DiskBackend::put(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl,
                                      std::string_view body) {
  const std::int64_t now = unix_now();
  return store(key, meta, now, expiry_after(ttl, now), body);
}

void DiskBackend::adopt(const Hit& hit) {
  store(hit.entry.key, hit.entry.meta, hit.entry.stored_at, hit.entry.expires_at, *hit.body);
}

std::optional<Entry> DiskBackend::store(const std::string& key, const EntryMeta& meta, std::int64_t stored_at,
                                        std::int64_t expires_at, std::string_view body) {
  if (!writable_) return std::nullopt;
  const std::string hash = sha256_hex(body);
  const fs::path blob = blob_path(hash);
  struct stat st {};
  std::uint64_t stored = 0;
  // Renewed before the entry is written, so maintenance keeps it (remove_unused_blobs);
  // a blob removed before it could be renewed is written again.
  if (::stat(blob.c_str(), &st) == 0 && ::utimensat(AT_FDCWD, blob.c_str(), nullptr, 0) == 0) {
    stored = static_cast<std::uint64_t>(st.st_size);
  } else {
    auto packed = compress_blob(body, options_.level);
    if (!packed.ok()) {
      spdlog::warn("cache: {}", packed.error().message());
      return std::nullopt;
    }
    const std::string& compressed = packed.value();
    std::string why;
    if (!write_atomically(root_ / "tmp", blob, compressed, why)) {
      warn_unwritable(why);
      return std::nullopt;
    }
    stored = compressed.size();
  }
  Entry entry = make_entry(key, hash, body.size(), stored, meta, stored_at, expires_at);
  if (!write_entry(entry)) return std::nullopt;
  return entry;
}

// ---------------------------------------------------------------------------

class FileBlobWriter final : public BlobWriter {
 public:
  FileBlobWriter(DiskBackend& store, int fd, std::string tmp)
      : store_(store), fd_(fd), tmp_(std::move(tmp)), framer_(store.options_.level) {}
  ~FileBlobWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }

  void append(std::string_view bytes) override {
    if (failed_) return;
    failed_ = !framer_.append(bytes, frames_) || !write_frames();
  }

  bool commit(const std::string& key, const EntryMeta& meta, std::chrono::seconds ttl) override {
    if (failed_ || !framer_.finish(frames_) || !write_frames()) return false;
    ::close(fd_);
    fd_ = -1;
    const std::string hash = framer_.hash();
    const fs::path blob = store_.blob_path(hash);
    std::error_code ec;
    fs::create_directories(blob.parent_path(), ec);
    if (::rename(tmp_.c_str(), blob.c_str()) != 0) {
      store_.warn_unwritable(std::string("cannot rename into ") + blob.string() + ": " + std::strerror(errno));
      return false;
    }
    tmp_.clear();
    const std::int64_t now = unix_now();
    return store_.write_entry(make_entry(key, hash, framer_.size(), stored_, meta, now, expiry_after(ttl, now)));
  }

 private:
  bool write_frames() {
    std::size_t done = 0;
    while (done < frames_.size()) {
      const ssize_t n = ::write(fd_, frames_.data() + done, frames_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        store_.warn_unwritable(std::string("cannot write ") + tmp_ + ": " + std::strerror(errno));
        return false;
      }
      done += static_cast<std::size_t>(n);
    }
    stored_ += frames_.size();
    frames_.clear();
    return true;
  }

  DiskBackend& store_;
  int fd_;
  std::string tmp_;
  BlobFramer framer_;
  std::string frames_;  ///< compressed, not yet written
  std::uint64_t stored_ = 0;
  bool failed_ = false;
};

std::unique_ptr<BlobWriter> DiskBackend::begin_blob() {
  if (!writable_) return nullptr;
  std::string tmp = temp_name(root_ / "tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    warn_unwritable(std::string("cannot create ") + tmp + ": " + std::strerror(errno));
    return nullptr;
  }
  return std::make_unique<FileBlobWriter>(*this, fd, std::move(tmp));
}

std::optional<StreamResult> DiskBackend::stream(const std::string& key, bool allow_expired,
                                               const std::function<Result<void>(std::string_view)>& consume) {
  auto entry = find(key, allow_expired);
  if (!entry) return std::nullopt;
  const fs::path path = blob_path(entry->blob);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    drop(*entry, "its blob is missing");
    return std::nullopt;
  }
  ::utimensat(AT_FDCWD, entry_path(key).c_str(), nullptr, 0);
  StreamResult result;
  FrameReader reader;
  Sha256 hash;
  // zstd's recommended input size: a page's blob is read in one or two
  // calls, and no hit allocates (and zeroes) a frame's megabyte up front.
  const std::size_t buffer_size = ZSTD_DStreamInSize();
  const auto buffer = std::make_unique_for_overwrite<char[]>(buffer_size);
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.get(), buffer_size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ok = false;
      break;
    }
    if (n == 0) break;
    ok = reader.feed(std::string_view(buffer.get(), static_cast<std::size_t>(n)), [&](std::string_view frame) {
      if (result.delivered + frame.size() > entry->size) return false;
      hash.update(frame);
      result.status = consume(frame);
      if (!result.status.ok()) return false;
      result.delivered += frame.size();
      return true;
    });
    if (!ok) break;
  }
  struct stat st {};
  ::fstat(fd, &st);
  ::close(fd);
  if (!result.status.ok()) return result;  // the consumer stopped; the blob is fine
  if (!ok || !reader.clean_end() || result.delivered != entry->size || hash.hex() != entry->blob) {
    result.corrupt = true;
    drop(*entry, "its blob is corrupt or truncated at byte " + std::to_string(result.delivered), &st);
  }
  return result;
}

// ---------------------------------------------------------------------------

std::vector<Entry> DiskBackend::entries() {
  std::vector<Entry> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_ / "entries", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    if (auto e = read_entry(it->path().filename().string())) out.push_back(std::move(*e));
  }
  return out;
}

Stats DiskBackend::stats() {
  Stats s;
  const auto now = unix_now();
  for (const auto& e : entries()) {
    ++s.entries;
    s.expired += e.expired(now) ? 1 : 0;
    s.negative += e.meta.negative ? 1 : 0;
    s.body_bytes += e.size;
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_ / "blobs", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const auto bytes = it->file_size(type_ec);  // another process may sweep it meanwhile
    if (type_ec) continue;
    ++s.blobs;
    s.blob_bytes += bytes;
  }
  return s;
}

namespace {

// An exclusive lock on DIR/v1/lock for maintenance, so two processes do not
// sweep at once. Readers and writers never take it.
class MaintenanceLock {
 public:
  explicit MaintenanceLock(const fs::path& root) : fd_(::open((root / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~MaintenanceLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  MaintenanceLock(const MaintenanceLock&) = delete;
  MaintenanceLock& operator=(const MaintenanceLock&) = delete;

 private:
  int fd_;
};

}  // namespace

// Every writer renames its blob into place, or renews its mtime, before it
// writes the entry. So a blob no entry refers to may go when it is older than
// the grace (nobody is writing it), or when it has not been modified since
// the removed entry that used it was last written or read (no writer has
// come for it since). Any other unreferenced blob may be a writer's whose
// entry is on its way.
std::size_t DiskBackend::remove_unused_blobs(const std::map<std::string, fs::file_time_type>& released) {
  std::set<std::string> referenced;
  for (const auto& e : entries()) referenced.insert(e.blob);
  const auto cutoff = fs::file_time_type::clock::now() - kOrphanGrace;
  std::error_code ec;
  std::vector<fs::path> unused;
  for (auto it = fs::recursive_directory_iterator(root_ / "blobs", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || referenced.count(name)) continue;
    const auto mtime = modified(it->path());
    const auto last_use = released.find(name);
    if (mtime < cutoff || (last_use != released.end() && mtime <= last_use->second)) unused.push_back(it->path());
  }
  std::size_t removed = 0;
  for (const auto& p : unused) removed += fs::remove(p, ec) ? 1 : 0;
  // Files a crashed writer left under tmp/ (a live writer's may vanish as we look).
  for (auto it = fs::directory_iterator(root_ / "tmp", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto mtime = modified(it->path());
    if (mtime != fs::file_time_type::min() && mtime < cutoff) fs::remove(it->path(), ec);
  }
  return removed;
}

void DiskBackend::remove_entry(const Entry& entry, std::map<std::string, fs::file_time_type>& released) {
  const fs::path path = entry_path(entry.key);
  auto& last_use = released.try_emplace(entry.blob, fs::file_time_type::min()).first->second;
  last_use = std::max(last_use, modified(path));
  ::unlink(path.c_str());
}

std::size_t DiskBackend::remove_if(const std::function<bool(const Entry&)>& drop_it) {
  MaintenanceLock lock(root_);
  std::size_t removed = 0;
  std::map<std::string, fs::file_time_type> released;
  for (const auto& e : entries()) {
    if (!drop_it(e)) continue;
    remove_entry(e, released);
    ++removed;
  }
  remove_unused_blobs(released);
  return removed;
}

std::size_t DiskBackend::trim() {
  MaintenanceLock lock(root_);
  std::vector<Entry> all = entries();
  std::map<std::string, std::uint64_t> blob_bytes;
  std::map<std::string, int> users;
  std::uint64_t total = 0;
  for (const auto& e : all) {
    if (users[e.blob]++ == 0) {
      blob_bytes[e.blob] = e.stored_bytes;
      total += e.stored_bytes;
    }
  }
  std::size_t removed = 0;
  std::map<std::string, fs::file_time_type> released;
  if (total > options_.max_bytes) {
    std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return a.last_used < b.last_used; });
    for (const auto& e : all) {
      if (total <= options_.max_bytes) break;
      remove_entry(e, released);
      ++removed;
      if (--users[e.blob] == 0) total -= blob_bytes[e.blob];
    }
  }
  remove_unused_blobs(released);
  return removed;
}

std::vector<std::string> DiskBackend::verify() {
  MaintenanceLock lock(root_);
  std::vector<std::string> bad;
  for (const auto& e : entries()) {
    auto result = stream(e.key, true, [](std::string_view) -> Result<void> { return {}; });
    if (!result || result->corrupt) bad.push_back(e.key);
  }
  return bad;
}

}  // namespace pricepipe::cache
