// A sink made of a format and a destination: records are encoded by the
// format on graph workers (`prepare`), and the bytes written, in order, to
// the destination.
#pragma once

#include <memory>

#include "stages/sinks/destination.h"
#include "stages/sinks/format.h"
#include "stages/sinks/sink.h"

namespace pricepipe::stages {

class FormattedSink final : public Sink {
 public:
  FormattedSink(std::unique_ptr<const Format> format, std::unique_ptr<Destination> destination)
      : format_(std::move(format)), destination_(std::move(destination)) {}

  std::string prepare(const RecordBatch& batch) const override { return format_->encode(batch); }
  bool needs_records() const override { return false; }
  Result<void> write(const RecordBatch&, std::string prepared) override {
    if (format_->whole()) {
      held_ += prepared;
      return {};
    }
    if (auto begun = begin(); !begun.ok()) return begun;
    return destination_->write(prepared);
  }
  Result<void> finish(const RunEnd& end) override {
    if (auto begun = begin(); !begun.ok()) return begun;  // a header without records is still one
    if (format_->whole()) {
      if (auto written = destination_->write(format_->render(std::move(held_))); !written.ok()) return written;
    }
    return destination_->finish(end.complete);
  }

 private:
  Result<void> begin() {
    if (begun_) return {};
    begun_ = true;
    const std::string header = format_->header();
    return header.empty() ? Result<void>{} : destination_->write(header);
  }

  std::unique_ptr<const Format> format_;
  std::unique_ptr<Destination> destination_;
  bool begun_ = false;
  std::string held_;  ///< a whole format's records until the end
};

}  // namespace pricepipe::stages
