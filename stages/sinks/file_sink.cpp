#include "stages/sinks/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "stages/sinks/ndjson_sink.h"

namespace pricepipe::stages {

namespace {

Error io_error(const std::string& file, const std::string& what) {
  ErrorContext c;
  c.file = file;
  return Error(ErrorCode::io, what + ": " + std::strerror(errno), std::move(c));
}

}  // namespace

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string FileSink::prepare(const RecordBatch& batch) const { return ndjson_of(batch); }

Result<void> FileSink::open() {
  const std::string partial = path_ + ".partial";
  std::error_code ec;
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  fd_ = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error(partial, "cannot create the output file");
  return {};
}

Result<void> FileSink::write(const RecordBatch&, std::string prepared) {
  if (fd_ < 0) {
    if (auto opened = open(); !opened.ok()) return opened;
  }
  const char* data = prepared.data();
  std::size_t left = prepared.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path_ + ".partial", "cannot write output");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> FileSink::finish(bool complete) {
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
  return {};
}

}  // namespace pricepipe::stages
