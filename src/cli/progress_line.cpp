#include "cli/progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/metrics.h"

namespace pricepipe::cli {

namespace {

std::size_t width() {
  winsize w{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

void put(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + at, text.size() - at);
    if (n <= 0) return;  // a terminal that is gone: nothing to draw on
    at += static_cast<std::size_t>(n);
  }
}

}  // namespace

bool ProgressLine::terminal() {
  const char* term = std::getenv("TERM");
  return isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

ProgressLine::ProgressLine(bool wanted, std::function<std::string()> render) : render_(std::move(render)) {
  if (wanted && terminal()) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() { stop(); }

void ProgressLine::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressLine::loop() {
  // The first line after a moment (a quick run draws none), then ten a second at most.
  std::unique_lock lock(mutex_);
  if (wake_.wait_for(lock, std::chrono::milliseconds(300), [this] { return stopping_; })) return;
  bool drawn = false;
  while (true) {
    std::string line = render_();
    const std::size_t cols = width();
    if (line.size() >= cols) {  // cut to the width, at a character's start (the dots are two bytes)
      std::size_t cut = cols > 1 ? cols - 1 : 0;
      while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
      line.resize(cut);
    }
    put("\r" + line + "\x1b[K");
    drawn = true;
    if (wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) break;
  }
  if (drawn) put("\r\x1b[K");
}

std::string progress_text(std::string_view unit, std::uint64_t done, std::uint64_t total, double elapsed_s,
                          std::string_view between) {
  std::string eta = "ETA …";
  if (done > 0 && total >= done) {
    eta = fmt::format("ETA {:.0f} s", elapsed_s * static_cast<double>(total - done) / static_cast<double>(done));
  }
  return fmt::format("{} {}/{} · {}{}{:.1f} s · {}", unit, with_thousands(done), with_thousands(total), between,
                     between.empty() ? "" : " · ", elapsed_s, eta);
}

}  // namespace pricepipe::cli
