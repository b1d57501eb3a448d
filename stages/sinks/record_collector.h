// A sink that keeps the records in memory, for small datasets the run itself
// needs (the region list behind `--regions all`) and for tests.
#pragma once

#include <mutex>
#include <vector>

#include "stages/sinks/sink.h"

namespace pricepipe::stages {

template <class Record>
class RecordCollector final : public Sink {
 public:
  std::string prepare(const RecordBatch&) const override { return {}; }

  Result<void> write(const RecordBatch& batch, std::string) override {
    if (!batch.records) return {};
    const auto& rows = std::get<std::vector<Record>>(*batch.records);
    records_.insert(records_.end(), rows.begin(), rows.end());
    return {};
  }

  Result<void> finish(const RunEnd&) override { return {}; }

  const std::vector<Record>& records() const { return records_; }

 private:
  std::vector<Record> records_;
};

}  // namespace pricepipe::stages
