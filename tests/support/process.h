// Child processes for tests: spawn with arguments and environment, feed
// stdin, collect stdout/stderr, wait with a timeout, read peak memory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Peak RSS says nothing under AddressSanitizer: its quarantine keeps freed
// memory (256 MB by default), so the peak follows how much was allocated.
// Memory tests call this first; in other builds it does nothing.
#if defined(__SANITIZE_ADDRESS__)
#define PRICEPIPE_SKIP_MEMORY_TEST_UNDER_ASAN() \
  GTEST_SKIP() << "peak RSS is not comparable under AddressSanitizer (its quarantine keeps freed memory)"
#else
#define PRICEPIPE_SKIP_MEMORY_TEST_UNDER_ASAN() static_cast<void>(0)
#endif

namespace pricepipe::testing {

struct ProcessResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  /// The child's peak resident set (VmHWM of its own address space, sampled
  /// while it runs: ru_maxrss would also count the test process's memory,
  /// which a posix_spawn child shares until exec).
  long peak_rss_kib = 0;
};

struct ProcessOptions {
  std::vector<std::string> argv;
  /// Variables set on top of the inherited environment; an empty value unsets.
  std::map<std::string, std::string> env;
  bool clear_aws_env = true;  ///< drop AWS_* and PRICEPIPE_* from the inherited environment
  std::string stdin_data;
  std::chrono::seconds timeout{120};
  /// A slow reader: read stdout at most `read_chunk` bytes at a time, pausing
  /// between reads, until the child closes its stderr (it has exited).
  std::size_t read_chunk = 65536;
  std::chrono::microseconds read_pause{0};
  /// Called about every 20 ms while the child runs, with its pid and the
  /// stdout read so far: for tests that signal it or break its server mid-run.
  std::function<void(pid_t pid, const std::string& out)> watch;
};

/// Runs a process to completion.
ProcessResult run_process(const ProcessOptions& options);

/// A process running in the background; killed (SIGTERM, then SIGKILL) when destroyed.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const ProcessOptions& options, const std::string& stderr_path = "");
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  /// SIGTERM, then SIGKILL after 5 s.
  void stop();
  /// SIGKILL at once: the process has no chance to clean up.
  void kill_now();

 private:
  pid_t pid_ = -1;
};

/// A port on 127.0.0.1 nothing listens on now, for a server a test starts.
int free_loopback_port();

/// The project's source directory (tests read fixtures and scripts from it).
std::string source_dir();
/// The built pricepipe binary, or $PRICEPIPE_BIN (to run a suite against another build).
std::string pricepipe_binary();
/// ../shared/data/aws, or $PRICEPIPE_AWS_DATA; empty when absent.
std::string aws_data_dir();
/// A fresh temporary directory, removed at exit.
std::string temp_dir(const std::string& prefix);

}  // namespace pricepipe::testing
