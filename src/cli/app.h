// The command line: parses arguments and runs the chosen command.
#pragma once

namespace pricepipe::cli {

/// Runs pricepipe; returns the process exit code. Throws FatalError for what
/// ends the run early.
int run(int argc, char** argv);

}  // namespace pricepipe::cli
