// NDJSON to a file descriptor (stdout by default): one record per line.
//
// Writes block when the reader is slow; that is the backpressure. A reader
// that goes away (EPIPE) is an io Error, not a crash: SIGPIPE is ignored by
// main.
#pragma once

#include "stages/sinks/sink.h"

namespace pricepipe::stages {

class NdjsonSink final : public Sink {
 public:
  explicit NdjsonSink(int fd, std::string name = "stdout") : fd_(fd), name_(std::move(name)) {}

  std::string prepare(const RecordBatch& batch) const override;
  bool needs_records() const override { return false; }
  Result<void> write(const RecordBatch& batch, std::string prepared) override;
  Result<void> finish(bool complete) override;

 private:
  int fd_;
  std::string name_;
};

/// Appends every record of `records` as NDJSON lines.
void append_ndjson(std::string& out, const RecordVector& records);
/// The batch as NDJSON lines (its `ndjson` when it has it).
std::string ndjson_of(const RecordBatch& batch);

}  // namespace pricepipe::stages
