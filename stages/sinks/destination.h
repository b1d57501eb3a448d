// Where a sink's bytes go, apart from how records become bytes
// (stages/sinks/format.h).
//
// Contract: `write` is called from one thread at a time, in the sink's
// order; it may block (a slow pipe or disk), which is how backpressure
// reaches the fetching. `finish` is called once, after the last write, saying
// whether the run is complete; a destination never presents partial output
// as complete.
#pragma once

#include <string>
#include <system_error>
#include <string_view>

#include "core/error.h"

namespace pricepipe::stages {

class Destination {
 public:
  virtual ~Destination() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
  virtual Result<void> finish(bool complete) = 0;
};

/// An open file descriptor (stdout): bytes as they come. A reader that goes
/// away (EPIPE) is an io Error, not a crash (main ignores SIGPIPE).
class FdDestination final : public Destination {
 public:
  explicit FdDestination(int fd, std::string name = "stdout") : fd_(fd), name_(std::move(name)) {}
  Result<void> write(std::string_view bytes) override;
  Result<void> finish(bool) override { return {}; }

 private:
  int fd_;
  std::string name_;
};

/// A file: bytes go to `PATH.partial` (created with its directory), renamed
/// to PATH only by a complete run, durably (the file and then its directory
/// fsynced). An incomplete run leaves PATH as it was and the partial file
/// beside it, and says so.
class FileDestination final : public Destination {
 public:
  explicit FileDestination(std::string path) : path_(std::move(path)) {}
  ~FileDestination() override;
  Result<void> write(std::string_view bytes) override;
  Result<void> finish(bool complete) override;

 private:
  Result<void> open();

  std::string path_;
  int fd_ = -1;
};

/// Makes a rename or a new file in `dir` durable (fsync of the directory).
Result<void> sync_directory(const std::string& dir);

/// Writes `path` whole and durably (core/atomic_file.h: staged under a name of this process, fsynced, renamed).
Result<void> write_file_atomically(const std::string& path, std::string_view bytes);

/// An io Error naming `file`: `what`, then strerror(errno).
Error io_error(const std::string& file, const std::string& what);
/// The same for a std::filesystem error.
Error io_error(const std::string& file, const std::string& what, const std::error_code& ec);

/// The whole of `path`; an io Error when it cannot be opened or read.
Result<std::string> read_whole_file(const std::string& path);

/// Writes all of `bytes` to `fd`, naming `file` in errors.
Result<void> write_all(int fd, std::string_view bytes, const std::string& file);

}  // namespace pricepipe::stages
