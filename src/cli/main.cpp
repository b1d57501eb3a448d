// pricepipe's entry point: runs the command line and turns what ends a run
// into one line on stderr and a documented exit code (docs/cli.md).
#include <csignal>
#include <cstdio>
#include <exception>

#include "cli/app.h"
#include "core/error.h"
#include "core/interrupt.h"

int main(int argc, char** argv) {
  // A reader that closes stdout must give us EPIPE, not kill us mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  pricepipe::interrupt::watch_stop_signals();
  try {
    return pricepipe::cli::run(argc, argv);
  } catch (const pricepipe::FatalError& e) {
    std::fprintf(stderr, "pricepipe: error: %s\n", e.what());
    return static_cast<int>(pricepipe::exit_code_for(e.error().code()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pricepipe: internal error: %s\n", e.what());
    return static_cast<int>(pricepipe::ExitCode::failure);
  }
}
