// One progress line on stderr while a long run lasts (stream, select, run,
// snapshot, load): what `render` says, redrawn in place at most 10 times a
// second, cut to the terminal's width. Only when stderr is a terminal
// (TERM not `dumb`) and the caller wants it (not --quiet, no records
// streamed to that terminal); `stop` (or destruction)
// clears it, so the summary line that follows replaces it.
//
// Contract: `render` runs on the line's own thread; it reads counters that
// other threads update (atomics, the run's ProgressProbe).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace pricepipe::cli {

class ProgressLine {
 public:
  /// Starts drawing when `wanted` and stderr is a terminal.
  ProgressLine(bool wanted, std::function<std::string()> render);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void stop();
  /// True when stderr is a terminal that takes a redrawn line.
  static bool terminal();

 private:
  void loop();

  std::function<std::string()> render_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

/// "regions 12/25 · BETWEEN · 4.1 s · ETA 3 s": how many of `total` are `done`, the time so far and what is
/// left at that pace (ETA … while none is done).
std::string progress_text(std::string_view unit, std::uint64_t done, std::uint64_t total, double elapsed_s,
                          std::string_view between = {});

}  // namespace pricepipe::cli
