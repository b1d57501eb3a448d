#include "tests/support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace pricepipe::testing {

namespace {

std::vector<std::string> build_env(const ProcessOptions& options) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    if (options.clear_aws_env && (name.rfind("AWS_", 0) == 0 || name.rfind("PRICEPIPE_", 0) == 0)) {
      if (name != "PRICEPIPE_AWS_DATA") continue;
    }
    vars[name] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : options.env) {
    if (value.empty()) {
      vars.erase(name);
    } else {
      vars[name] = value;
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

long vm_hwm_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

pid_t spawn(const ProcessOptions& options, int in_fd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&actions, in_fd, STDIN_FILENO);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Children start in their own process group so stop() can reach grandchildren.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = build_env(options);
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start " + options.argv[0] + ": " + std::strerror(rc));
  return pid;
}

}  // namespace

ProcessResult run_process(const ProcessOptions& options) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = spawn(options, in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);

  ProcessResult result;
  std::size_t written = 0;
  int in_fd = in[1];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (options.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    result.peak_rss_kib = std::max(result.peak_rss_kib, vm_hwm_kib(pid));
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out[0], POLLIN, 0});
    if (err_open) fds.push_back({err[0], POLLIN, 0});
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(-pid, SIGKILL);
      break;
    }
    const long tick = options.watch ? 20 : 1000;
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left.count(), tick))) < 0 && errno != EINTR) break;
    if (options.watch) options.watch(pid, result.out);
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_fd) {
        const ssize_t n = write(in_fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 || written == options.stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      // Slow while the child runs (its stderr is open); what it left behind is read at once.
      const bool slow = p.fd == out[0] && options.read_pause.count() > 0 && err_open;
      const ssize_t n = read(p.fd, buf, std::min(sizeof buf, slow ? options.read_chunk : sizeof buf));
      if (slow) usleep(static_cast<useconds_t>(options.read_pause.count()));
      std::string& target = p.fd == out[0] ? result.out : result.err;
      if (n > 0) {
        target.append(buf, static_cast<std::size_t>(n));
      } else {
        (p.fd == out[0] ? out_open : err_open) = false;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

BackgroundProcess::BackgroundProcess(const ProcessOptions& options, const std::string& stderr_path) {
  int err_fd = -1;
  if (!stderr_path.empty()) err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_ = spawn(options, null_fd, null_fd, err_fd >= 0 ? err_fd : null_fd);
  close(null_fd);
  if (err_fd >= 0) close(err_fd);
}

BackgroundProcess::~BackgroundProcess() { stop(); }

bool BackgroundProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void BackgroundProcess::stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    usleep(100'000);
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void BackgroundProcess::kill_now() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string source_dir() { return PRICEPIPE_SOURCE_DIR; }

std::string pricepipe_binary() {
  const char* other = std::getenv("PRICEPIPE_BIN");
  return other != nullptr && *other != '\0' ? other : PRICEPIPE_BINARY;
}

std::string aws_data_dir() {
  if (const char* dir = std::getenv("PRICEPIPE_AWS_DATA"); dir != nullptr && *dir != '\0') {
    return std::filesystem::exists(std::filesystem::path(dir) / "instance_types.json") ? std::string(dir) : std::string();
  }
  const auto dir = std::filesystem::path(source_dir()) / ".." / "shared" / "data" / "aws";
  return std::filesystem::exists(dir) ? std::filesystem::canonical(dir).string() : std::string();
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string temp_dir(const std::string& prefix) {
  // Removed when the test binary exits.
  static struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ignored;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ignored);
    }
  } cleanup;
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  cleanup.dirs.push_back(pattern);
  return pattern;
}

}  // namespace pricepipe::testing
