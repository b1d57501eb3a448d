#include "core/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace pricepipe::interrupt {

namespace {

std::atomic<int> g_requested{0};
std::mutex g_mutex;
std::vector<Subscription*> g_subscriptions;  // newest last

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void watch_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (requested() != 0) {
        // The second: the user does not want to wait for the record being written.
        const char message[] = "pricepipe: stopped at once by a second signal; the output may end mid-record\n";
        [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(128 + signal);
      }
      if (!request(signal)) ::_exit(128 + signal);
      std::fprintf(stderr, "pricepipe: %s: stopping (a second signal stops at once)\n", ::strsignal(signal));
    }
  }).detach();
}

bool request(int signal) {
  std::lock_guard lock(g_mutex);
  int expected = 0;
  g_requested.compare_exchange_strong(expected, signal);
  if (g_subscriptions.empty()) return false;
  g_subscriptions.back()->handler_();
  return true;
}

int requested() { return g_requested.load(); }

Subscription::Subscription(std::function<void()> handler) : handler_(std::move(handler)) {
  std::lock_guard lock(g_mutex);
  g_subscriptions.push_back(this);
  if (requested() != 0) handler_();
}

Subscription::~Subscription() {
  std::lock_guard lock(g_mutex);
  std::erase(g_subscriptions, this);
}

void unblock_stop_signals(posix_spawnattr_t& attr) {
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  short flags = 0;
  posix_spawnattr_getflags(&attr, &flags);
  posix_spawnattr_setflags(&attr, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK));
}

}  // namespace pricepipe::interrupt
