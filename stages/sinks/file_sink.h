// NDJSON to a file, never presented as complete when it is not: records go
// to `PATH.partial` as they come (created with the parent directory), and
// only a complete run renames it over PATH. An incomplete run leaves PATH as
// it was and the partial file beside it, and says so.
#pragma once

#include <string>

#include "stages/sinks/sink.h"

namespace pricepipe::stages {

class FileSink final : public Sink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) {}
  ~FileSink() override;

  std::string prepare(const RecordBatch& batch) const override;
  bool needs_records() const override { return false; }
  Result<void> write(const RecordBatch& batch, std::string prepared) override;
  Result<void> finish(bool complete) override;

 private:
  Result<void> open();

  std::string path_;
  int fd_ = -1;
};

}  // namespace pricepipe::stages
