#include "graph/run_report.h"

namespace pricepipe::graph {

bool RunReport::complete() const {
  if (sink_error || fatal || cancelled) return false;
  for (const auto& s : streams) {
    if (s.error) return false;
  }
  return true;
}

std::uint64_t RunReport::records() const {
  std::uint64_t n = 0;
  for (const auto& s : sinks) n += s.records;
  return n;
}

std::size_t RunReport::failed_streams() const {
  std::size_t n = 0;
  for (const auto& s : streams) n += s.error ? 1 : 0;
  return n;
}

const Error* RunReport::first_error() const {
  if (sink_error) return &*sink_error;
  if (fatal) return &*fatal;
  for (const auto& s : streams) {
    if (s.error && s.error->code() != ErrorCode::cancelled) return &*s.error;
  }
  for (const auto& s : streams) {
    if (s.error) return &*s.error;
  }
  return nullptr;
}

}  // namespace pricepipe::graph
