#include "stages/sinks/destination.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/atomic_file.h"

namespace pricepipe::stages {

Error io_error(const std::string& file, const std::string& what) {
  ErrorContext c;
  c.file = file;
  return Error(ErrorCode::io, what + ": " + std::strerror(errno), std::move(c));
}

Error io_error(const std::string& file, const std::string& what, const std::error_code& ec) {
  ErrorContext c;
  c.file = file;
  return Error(ErrorCode::io, what + ": " + ec.message(), std::move(c));
}

Result<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open");
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Error error = io_error(path, "cannot read");
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> write_all(int fd, std::string_view bytes, const std::string& file) {
  const char* data = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ErrorContext c;
      c.file = file;
      const std::string why = errno == EPIPE ? "the reader closed the pipe" : std::strerror(errno);
      // A file (a full disk) keeps whole records: the part of these bytes
      // that went in is cut off again. A pipe's reader has what it has.
      if (const auto partial = static_cast<off_t>(bytes.size() - left); partial > 0) {
        if (const off_t end = ::lseek(fd, 0, SEEK_CUR); end >= partial) {
          [[maybe_unused]] const int cut = ::ftruncate(fd, end - partial);
        }
      }
      return Error(ErrorCode::io, "cannot write output: " + why, std::move(c));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> FdDestination::write(std::string_view bytes) { return write_all(fd_, bytes, name_); }

FileDestination::~FileDestination() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> FileDestination::open() {
  const std::string partial = path_ + ".partial";
  std::error_code ec;
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error(partial, "cannot create the output file");
  return {};
}

Result<void> FileDestination::write(std::string_view bytes) {
  if (fd_ < 0) {
    if (auto opened = open(); !opened.ok()) return opened;
  }
  return write_all(fd_, bytes, path_ + ".partial");
}

Result<void> FileDestination::finish(bool complete) {
  // A run that wrote nothing still leaves a (possibly empty) file behind.
  if (fd_ < 0) {
    if (auto opened = open(); !opened.ok()) return opened;
  }
  const std::string partial = path_ + ".partial";
  const bool synced = ::fsync(fd_) == 0;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) return io_error(partial, "cannot write output");
  if (!complete) {
    spdlog::warn("{}: the run is incomplete; what it wrote is in {} and {} was left as it was", path_, partial, path_);
    return {};
  }
  if (std::rename(partial.c_str(), path_.c_str()) != 0) return io_error(path_, "cannot rename the output into place");
  const auto parent = std::filesystem::path(path_).parent_path();
  return sync_directory(parent.empty() ? std::string(".") : parent.string());
}

Result<void> sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) return io_error(dir, "cannot sync the directory");
  return {};
}

Result<void> write_file_atomically(const std::string& path, std::string_view bytes) {
  // Staged under a name of this process's own: the shards of a snapshot put
  // the same small files (its schemas, _snapshot.json) at the same time.
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (auto written = write_atomically(path, bytes, "the output"); !written.ok()) return written;
  return sync_directory(parent.empty() ? std::string(".") : parent.string());
}

}  // namespace pricepipe::stages
