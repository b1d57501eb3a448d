#include "stages/sinks/snapshot_target.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "net/s3_client.h"
#include "stages/sinks/destination.h"
#include "stages/sinks/snapshot_store.h"

namespace pricepipe::stages {

namespace fs = std::filesystem;

namespace {

// --- a directory -------------------------------------------------------------

class DirectoryPart final : public SnapshotTarget::Part {
 public:
  explicit DirectoryPart(std::string path) : file_(std::move(path)) {}
  Result<void> write(std::string_view bytes) override { return file_.write(bytes); }
  Result<void> finish(bool keep) override { return file_.finish(keep); }

 private:
  FileDestination file_;  // NAME.partial until kept
};

class DirectoryTarget final : public SnapshotTarget {
 public:
  explicit DirectoryTarget(fs::path dir) : dir_(std::move(dir)) {}
  ~DirectoryTarget() override {
    if (progress_fd_ >= 0) ::close(progress_fd_);
  }

  std::string where(const std::string& name) const override { return (dir_ / name).string(); }

  std::unique_ptr<Part> open_part(const std::string& name) override {
    return std::make_unique<DirectoryPart>(where(name));
  }

  Result<void> put(const std::string& name, std::string_view bytes) override {
    return write_file_atomically(where(name), bytes);
  }

  Result<std::optional<std::string>> get(const std::string& name) override {
    std::error_code ec;
    if (!fs::exists(dir_ / name, ec)) return std::optional<std::string>();
    auto text = read_whole_file(where(name));
    if (!text.ok()) return text.error();
    return std::optional<std::string>(std::move(text.value()));
  }

  Result<void> remove(const std::string& name) override {
    std::error_code ec;
    fs::remove(dir_ / name, ec);
    if (ec) return io_error(where(name), "cannot remove", ec);
    return sync_directory((dir_ / name).parent_path().string());
  }

  Result<void> begin_progress(const std::string& name) override {
    std::error_code ec;
    const fs::path snapshot = fs::path(where(name)).parent_path();
    fs::create_directories(snapshot, ec);
    if (ec) return io_error(snapshot.string(), "cannot create the snapshot directory", ec);
    progress_ = where(name);
    progress_fd_ = ::open(progress_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (progress_fd_ < 0) return io_error(progress_, "cannot create the progress file");
    return {};
  }

  Result<void> append_progress(const std::string& line) override {
    if (auto written = write_all(progress_fd_, line, progress_); !written.ok()) return written;
    if (::fsync(progress_fd_) != 0) return io_error(progress_, "cannot write the progress file");
    return {};
  }

  Result<void> end_progress() override {
    if (progress_fd_ >= 0) {
      ::close(progress_fd_);
      progress_fd_ = -1;
    }
    std::error_code ec;
    fs::remove(progress_, ec);
    return {};
  }

  Result<void> point_latest(const std::string& id) override {
    // A new link renamed over the old.
    const fs::path latest = dir_ / "latest";
    const fs::path link = dir_ / fmt::format(".latest-{}", ::getpid());
    std::error_code ec;
    fs::remove(link, ec);
    if (::symlink(id.c_str(), link.c_str()) != 0) return io_error(link.string(), "cannot create the latest link");
    if (::rename(link.c_str(), latest.c_str()) != 0) return io_error(latest.string(), "cannot replace the latest link");
    return sync_directory(dir_.string());
  }

  Result<void> sweep(const std::string& id) override {
    std::error_code ec;
    std::vector<fs::path> staged;
    for (auto it = fs::recursive_directory_iterator(dir_ / id, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && it->path().filename().string().starts_with("part-") &&
          it->path().extension() == ".partial") {
        staged.push_back(it->path());
      }
    }
    for (const auto& p : staged) fs::remove(p, ec);
    return {};
  }

  Result<std::vector<std::string>> resumable() override {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.' || name[0] == '_' || entry.is_symlink() || !entry.is_directory()) continue;
      if (fs::exists(entry.path() / "_snapshot.json", ec)) ids.push_back(name);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Result<std::vector<std::string>> prune(std::size_t keep) override { return prune_snapshots(dir_, keep); }

 private:
  fs::path dir_;
  std::string progress_;
  int progress_fd_ = -1;
};

// --- an S3 prefix ------------------------------------------------------------

// Parts of a multipart upload: S3's smallest (5 MiB) is too small to be
// cheap, and every one is held in memory until sent.
constexpr std::size_t kUploadPartBytes = 8u << 20;

class S3Part final : public SnapshotTarget::Part {
 public:
  S3Part(net::S3Client& client, std::string key) : client_(client), key_(std::move(key)) {}
  ~S3Part() override {
    if (!upload_id_.empty()) static_cast<void>(client_.abort_multipart(key_, upload_id_));  // never left dangling
  }

  Result<void> write(std::string_view bytes) override {
    buffer_.append(bytes);
    if (buffer_.size() < kUploadPartBytes) return {};
    return send_buffer();
  }

  Result<void> finish(bool keep) override {
    if (!keep) {
      if (upload_id_.empty()) return {};
      auto aborted = client_.abort_multipart(key_, upload_id_);
      upload_id_.clear();
      return aborted;
    }
    if (upload_id_.empty()) return client_.put(key_, std::move(buffer_));  // one PUT: small parts
    if (!buffer_.empty() || parts_.empty()) {
      if (auto sent = send_buffer(); !sent.ok()) return sent;
    }
    auto completed = client_.complete_multipart(key_, upload_id_, parts_);
    if (completed.ok()) upload_id_.clear();
    return completed;
  }

 private:
  Result<void> send_buffer() {
    if (upload_id_.empty()) {
      auto id = client_.create_multipart(key_);
      if (!id.ok()) return id.error();
      upload_id_ = id.value();
    }
    auto part = client_.upload_part(key_, upload_id_, static_cast<int>(parts_.size()) + 1, std::move(buffer_));
    buffer_.clear();  // (moved from: empty, or valid but unspecified)
    if (!part.ok()) return part.error();
    parts_.push_back(part.value());
    return {};
  }

  net::S3Client& client_;
  std::string key_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<net::S3Part> parts_;
};

class S3Target final : public SnapshotTarget {
 public:
  S3Target(net::Fetcher& fetcher, net::S3Url url, const std::string& region)
      : client_(fetcher, url.bucket, region), prefix_(std::move(url.prefix)) {}

  std::string where(const std::string& name) const override { return "s3://" + client_.bucket() + "/" + key(name); }

  std::unique_ptr<Part> open_part(const std::string& name) override { return std::make_unique<S3Part>(client_, key(name)); }

  Result<void> put(const std::string& name, std::string_view bytes) override {
    return client_.put(key(name), std::string(bytes));
  }
  Result<std::optional<std::string>> get(const std::string& name) override { return client_.get(key(name)); }
  Result<void> remove(const std::string& name) override { return client_.remove(key(name)); }

  Result<void> begin_progress(const std::string& name) override {
    progress_name_ = name;
    progress_.clear();
    return put(progress_name_, progress_);
  }
  Result<void> append_progress(const std::string& line) override {
    progress_ += line;
    return put(progress_name_, progress_);
  }
  Result<void> end_progress() override { return remove(progress_name_); }

  Result<void> point_latest(const std::string& id) override { return put("latest", id + "\n"); }

  Result<void> sweep(const std::string& id) override {
    auto open = client_.list_multipart_uploads(key(id + "/"));
    if (!open.ok()) return open.error();
    for (const auto& u : open.value()) {
      if (auto aborted = client_.abort_multipart(u.key, u.upload_id); !aborted.ok()) return aborted;
    }
    return {};
  }

  Result<std::vector<std::string>> resumable() override {
    auto all = snapshots();
    if (!all.ok()) return all.error();
    std::vector<std::string> ids;
    for (const auto& [id, files] : all.value()) {
      if (files.count("_snapshot.json")) ids.push_back(id);
    }
    return ids;
  }

  Result<std::vector<std::string>> prune(std::size_t keep) override {
    auto all = snapshots();
    if (!all.ok()) return all.error();
    auto latest = get("latest");
    if (!latest.ok()) return latest.error();
    std::string latest_id = latest.value().value_or("");
    while (!latest_id.empty() && latest_id.back() == '\n') latest_id.pop_back();
    std::vector<std::string> complete;  // by id: ids are their start times
    for (const auto& [id, files] : all.value()) {
      if (files.count("manifest.json") && !files.count("_snapshot.json")) complete.push_back(id);
    }
    std::vector<std::string> removed;
    for (std::size_t i = 0; i + keep < complete.size(); ++i) {
      const std::string& id = complete[i];
      if (id == latest_id) continue;
      // The manifest goes first: a snapshot half removed reads as incomplete.
      if (auto gone = remove(id + "/manifest.json"); !gone.ok()) return gone.error();
      for (const auto& file : all.value().at(id)) {
        if (file == "manifest.json") continue;
        if (auto gone = remove(id + "/" + file); !gone.ok()) return gone.error();
      }
      removed.push_back(id);
    }
    return removed;
  }

 private:
  std::string key(const std::string& name) const { return prefix_.empty() ? name : prefix_ + "/" + name; }

  // id → the names under it.
  Result<std::map<std::string, std::set<std::string>>> snapshots() {
    auto listed = client_.list(key(""));
    if (!listed.ok()) return listed.error();
    std::map<std::string, std::set<std::string>> out;
    const std::size_t skip = prefix_.empty() ? 0 : prefix_.size() + 1;
    for (const auto& o : listed.value()) {
      const std::string name = o.key.substr(skip);
      const auto slash = name.find('/');
      if (slash == std::string::npos || slash == 0 || name[0] == '_' || name[0] == '.') continue;
      out[name.substr(0, slash)].insert(name.substr(slash + 1));
    }
    return out;
  }

  net::S3Client client_;
  std::string prefix_;
  std::string progress_name_;
  std::string progress_;
};

}  // namespace

std::unique_ptr<SnapshotTarget> directory_target(fs::path dir) { return std::make_unique<DirectoryTarget>(std::move(dir)); }

std::unique_ptr<SnapshotTarget> s3_target(net::Fetcher& fetcher, net::S3Url url, const std::string& region) {
  return std::make_unique<S3Target>(fetcher, std::move(url), region);
}

}  // namespace pricepipe::stages
