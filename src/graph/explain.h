// `pricepipe explain`: what a run of a plan would do, without doing it.
//
// Contract: sends nothing. It prints the pipeline's nodes and edges, the
// graph's nodes with their concurrency and buffer bounds, the feeds each
// node reads (each fetched once per region), and the requests the run would
// make, per service and region, with how many the cache already holds
// fresh. It drives the same planner as a run (graph/planner.h): where
// planning needs an answer (the region list, a Price List index, a region's
// offerings for spot batches) it reads the cache; what is not cached is
// shown as resolved at run time.
#pragma once

#include <string>

#include "graph/plan.h"
#include "graph/session.h"

namespace pricepipe::graph {

std::string explain(const Plan& plan, Session& session);

}  // namespace pricepipe::graph
