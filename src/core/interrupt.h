// A request to stop the run, from SIGINT or SIGTERM. The run subscribed to
// it stops sending requests, lets the record being written finish (the
// output ends on a whole line), reports itself incomplete, writes its
// metrics and exits 128 + the signal. A second signal exits at once.
//
// Contract: the signals are taken by one thread (watch_stop_signals, called
// by main before any other thread starts, so every thread inherits them
// blocked); handlers run on that thread and must only ask the run to stop.
#pragma once

#include <spawn.h>

#include <functional>

namespace pricepipe::interrupt {

/// Blocks SIGINT and SIGTERM in the calling thread (and the threads it will
/// start) and starts the thread that takes them.
void watch_stop_signals();

/// Records that `signal` asked the run to stop and calls the newest
/// subscription's handler. False when nothing is subscribed: nothing would
/// stop, so the watcher exits at once, as the signal's default would.
bool request(int signal);

/// The signal that asked the run to stop, or 0.
int requested();

/// While alive, `handler` runs when a stop is requested (at once if one was
/// already), unless a newer subscription is alive: the innermost piece of
/// work that can stop is the one asked to.
class Subscription {
 public:
  explicit Subscription(std::function<void()> handler);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  std::function<void()> handler_;
  friend bool request(int signal);
};

/// Makes a child spawned with `attr` start with the stop signals unblocked,
/// as a shell would start it (the mask is inherited across exec).
void unblock_stop_signals(posix_spawnattr_t& attr);

}  // namespace pricepipe::interrupt
