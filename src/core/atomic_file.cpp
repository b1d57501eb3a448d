#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pricepipe {

Result<void> write_atomically(const std::string& path, std::string_view content, std::string_view what,
                              unsigned mode) {
  // Written beside the target and renamed over it: a reader sees the old
  // file or the new one, never a part; a failed write leaves the old one.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ErrorContext c;
  c.file = path;
  auto failed = [&](std::string why) {
    ::unlink(tmp.c_str());
    return Error(ErrorCode::io, std::move(why), c);
  };
  auto cannot = [&](const char* verb, int err) { return fmt::format("cannot {} {}: {}", verb, what, std::strerror(err)); };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return Error(ErrorCode::io, cannot("write", errno), c);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      return failed(cannot("write", err));
    }
    done += static_cast<std::size_t>(n);
  }
  // Space a filesystem only claims at flush time fails here, not later.
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return failed(cannot("write", err));
  }
  if (::close(fd) != 0) return failed(cannot("write", errno));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return failed(fmt::format("{} is no longer a regular file; it is left as it is", what));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed(cannot("replace", errno));
  return {};
}

}  // namespace pricepipe
