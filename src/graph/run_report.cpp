#include "graph/run_report.h"

namespace pricepipe::graph {

bool RunReport::complete() const {
  if (sink_error || cancelled) return false;
  for (const auto& s : streams) {
    if (s.error) return false;
  }
  return true;
}

std::uint64_t RunReport::records() const {
  std::uint64_t n = 0;
  for (const auto& s : streams) n += s.records;
  return n;
}

const Error* RunReport::first_error() const {
  if (sink_error) return &*sink_error;
  for (const auto& s : streams) {
    if (s.error && s.error->code() != ErrorCode::cancelled) return &*s.error;
  }
  for (const auto& s : streams) {
    if (s.error) return &*s.error;
  }
  return nullptr;
}

}  // namespace pricepipe::graph
