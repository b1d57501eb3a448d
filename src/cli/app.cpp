#include "cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "config/settings.h"
#include "core/error.h"

namespace pricepipe::cli {

namespace {

template <class Settings>
void bind_settings(CLI::App& app, Settings& settings) {
  Settings::describe([&](auto member, const char* flag, const char* env, const char* description) {
    CLI::Option* option = nullptr;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(settings.*member)>, bool>) {
      option = app.add_flag(flag, settings.*member, description);
    } else {
      option = app.add_option(flag, settings.*member, description);
    }
    if (env[0] != '\0') option->envname(env);
  });
}

void setup_logging(const std::string& level, bool quiet, int verbose) {
  auto logger = isatty(STDERR_FILENO) ? spdlog::stderr_color_mt("pricepipe") : spdlog::stderr_logger_mt("pricepipe");
  logger->set_pattern("pricepipe: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    throw FatalError(ErrorCode::usage, "--log-level: expected trace, debug, info, warn, error or off, got '" + level + "'");
  }
  if (quiet) lvl = spdlog::level::warn;
  if (verbose == 1) lvl = spdlog::level::debug;
  if (verbose > 1) lvl = spdlog::level::trace;
  spdlog::set_level(lvl);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"pricepipe — AWS EC2 catalog and prices as clean, typed records.\n"
               "Records go to stdout as NDJSON; logs and the run summary go to stderr."};
  app.set_version_flag("--version", "pricepipe 0.1.0");
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `pricepipe stream x --region y`.
  app.fallthrough();

  config::NetworkSettings network;
  bind_settings(app, network);
  config::CacheSettings cache;
  bind_settings(app, cache);
  config::ReportSettings report;
  bind_settings(app, report);
  std::string log_level = "info";
  bool quiet = false;
  int verbose = 0;
  app.add_option("--log-level", log_level, "Log level on stderr: trace, debug, info, warn, error, off.")
      ->envname("PRICEPIPE_LOG_LEVEL");
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors on stderr (the summary line is kept).");
  app.add_flag("-v,--verbose", verbose, "More detail on stderr (-vv for trace).");

  StreamCommand stream(app);
  CacheCommand cache_command(app);
  SchemaCommand schema(app);
  DocsCommand docs(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  setup_logging(log_level, quiet, verbose);
  network.validate();
  cache.validate();
  report.validate();

  if (stream.selected()) return stream.run(RunSettings{network, cache, report});
  if (cache_command.selected()) return cache_command.run(cache);
  if (schema.selected()) return schema.run();
  if (docs.selected()) return docs.run();
  return static_cast<int>(ExitCode::usage);
}

}  // namespace pricepipe::cli
