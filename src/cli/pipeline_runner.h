// Runs a pipeline spec, whichever command built it: plans it (usage errors
// name where, before anything is sent), opens a session with credentials
// only when some feed signs its requests, runs the graph, prints the
// summary line and the failures on stderr, writes the metrics file, and
// returns the documented exit code.
#pragma once

#include <string>

#include "cli/commands.h"
#include "core/metrics.h"
#include "core/metrics_report.h"
#include "config/pipeline_spec.h"
#include "graph/plan.h"
#include "graph/session.h"
#include "stages/registry.h"

namespace pricepipe::cli {

/// What lowering reads besides the spec: the environment, the run's region, now.
stages::LoweringContext lowering_context(const RunSettings& settings);

/// A session for calls that are not AWS's (a ClickHouse warehouse): the
/// run's network settings, nothing signed, nothing cached (calls never are).
graph::SessionOptions unsigned_session(const RunSettings& settings);

/// Writes the metrics file (--metrics-out), when asked for, and returns the
/// exit code: `run.exit_code`, or 8 when the metrics cannot be written (a
/// monitor reading the previous file would believe a run that is not there).
int write_metrics(const RunSettings& settings, const Metrics& metrics, const RunSummary& run);

/// `what`: how the summary and the metrics name the run (the dataset, or the pipeline file).
int run_pipeline(const config::PipelineSpec& spec, const RunSettings& settings, const std::string& what);

}  // namespace pricepipe::cli
