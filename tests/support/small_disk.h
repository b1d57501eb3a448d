// A small disk for tests of what a full one does: a tmpfs of a given size at
// a fresh directory, for as long as the object lives.
#pragma once

#include <sys/mount.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace pricepipe::testing {

class SmallDisk {
 public:
  explicit SmallDisk(std::size_t bytes) : dir_(temp_dir("pricepipe-small-disk")) {
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0) mounted_ = true;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  /// False when this process may not mount (not root, or no CAP_SYS_ADMIN).
  bool mounted() const { return mounted_; }
  /// Room made: the same disk, `bytes` large now, its files kept.
  bool grow(std::size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }
  const std::string& path() const { return dir_; }
  std::string operator/(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

#define REQUIRE_SMALL_DISK(disk) \
  if (!(disk).mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno)

}  // namespace pricepipe::testing
