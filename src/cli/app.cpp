#include "cli/app.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_runner.h"
#include "config/settings.h"
#include "core/error.h"
#include "core/version.h"

namespace pricepipe::cli {

namespace {

void setup_logging(const config::LogSettings& log) {
  auto logger = isatty(STDERR_FILENO) ? spdlog::stderr_color_mt("pricepipe") : spdlog::stderr_logger_mt("pricepipe");
  logger->set_pattern("pricepipe: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum level = spdlog::level::from_str(log.level);
  if (log.quiet) level = spdlog::level::warn;
  if (log.verbose == 1) level = spdlog::level::debug;
  if (log.verbose > 1) level = spdlog::level::trace;
  spdlog::set_level(level);
}

template <class Settings>
Settings read_settings(const FlagValues& flags) {
  config::Location at;
  at.origin = "command line";
  return config::read_options<Settings>(flags.given(), process_environment(), "the command line", at);
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"pricepipe — AWS EC2 catalog and prices as clean, typed records.\n"
               "Records go to stdout as NDJSON; logs and the run summary go to stderr."};
  app.set_version_flag("--version", "pricepipe " + std::string(kVersion));
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `pricepipe stream x --region y`.
  app.fallthrough();

  FlagValues network, cache, report, log;
  network.bind(app, config::declarations_of<config::NetworkSettings>());
  cache.bind(app, config::declarations_of<config::CacheSettings>());
  report.bind(app, config::declarations_of<config::ReportSettings>());
  log.bind(app, config::declarations_of<config::LogSettings>());

  StreamCommand stream(app, "stream", "Stream one dataset as NDJSON on stdout.");
  SelectCommand select(app);
  RunCommand run_command(app);
  SnapshotCommand snapshot(app);
  LoadCommand load(app);
  DiffCommand diff(app);
  ExplainCommand explain(app);
  CacheCommand cache_command(app);
  SchemaCommand schema(app);
  DocsCommand docs(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  const auto log_settings = read_settings<config::LogSettings>(log);
  setup_logging(log_settings);
  const RunSettings settings{read_settings<config::NetworkSettings>(network), read_settings<config::CacheSettings>(cache),
                             read_settings<config::ReportSettings>(report), !log_settings.quiet};

  if (stream.selected()) return run_pipeline(stream.spec(), settings, stream.spec().nodes.front().type);
  if (select.selected()) return run_pipeline(select.spec(), settings, "select");
  if (run_command.selected()) {
    const config::PipelineSpec spec = run_command.spec();
    return run_pipeline(spec, settings, spec.name);
  }
  if (snapshot.selected()) {
    if (snapshot.merges()) return snapshot.run_merge(settings);
    return snapshot.reads_snapshots() ? snapshot.run_reader() : run_pipeline(snapshot.spec(), settings, "snapshot");
  }
  if (load.selected()) return load.run(settings);
  if (diff.selected()) return diff.run(settings);
  if (explain.selected()) return explain.run(settings);
  if (cache_command.selected()) return cache_command.run(settings.cache);
  if (schema.selected()) return schema.run();
  if (docs.selected()) return docs.run();
  return static_cast<int>(ExitCode::usage);
}

}  // namespace pricepipe::cli
