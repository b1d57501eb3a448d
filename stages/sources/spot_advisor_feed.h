// The Spot Instance Advisor feed: one public JSON document for every region,
// fetched once per run; every entry becomes a record and each node keeps the
// regions, operating systems and types it wants.
#pragma once

#include <string>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

class SpotAdvisorFeed final : public Feed {
 public:
  explicit SpotAdvisorFeed(std::string url);

  std::string key() const override { return "spot-advisor " + url_; }
  std::string describe() const override { return "spot advisor feed"; }
  bool regional() const override { return false; }
  bool signed_requests() const override { return false; }
  bool versioned_by_content() const override { return true; }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override;

 private:
  std::string url_;
  std::shared_ptr<const PageDecoder> decoder_;
};

}  // namespace pricepipe::stages
