// A feed read as one account of `--profiles` or `--role-arns`: the same
// requests, asked as that account (ApiRequest::account, so the session signs
// them with its credentials and the cache keeps its answers apart), and
// planned from what that account's feeds yield.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "stages/sources/feed.h"

namespace pricepipe::stages {

/// Every request of `inner`'s stream, asked as `account`.
class AccountPaginator final : public net::Paginator {
 public:
  AccountPaginator(std::string account, std::shared_ptr<const net::Paginator> inner)
      : account_(std::move(account)), inner_(std::move(inner)) {}

  net::ApiRequest first() const override { return as_account(inner_->first()); }
  std::optional<net::ApiRequest> next(const net::ApiRequest& answered, std::string_view body) const override {
    auto next = inner_->next(answered, body);
    if (!next) return std::nullopt;
    return as_account(std::move(*next));
  }

 private:
  net::ApiRequest as_account(net::ApiRequest r) const {
    r.account = account_;
    return r;
  }

  std::string account_;
  std::shared_ptr<const net::Paginator> inner_;
};

class AccountFeed final : public Feed {
 public:
  AccountFeed(std::string account, FeedPtr inner) : account_(std::move(account)), inner_(std::move(inner)) {}

  const std::string& account() const { return account_; }

  std::string key() const override { return "as " + account_ + ": " + inner_->key(); }
  std::string describe() const override { return inner_->describe() + " as " + account_; }
  bool regional() const override { return inner_->regional(); }
  bool signed_requests() const override { return inner_->signed_requests(); }
  /// Its needs, as the same account (spot batches from that account's offerings).
  std::vector<FeedNeed> needs() const override {
    std::vector<FeedNeed> out = inner_->needs();
    for (auto& need : out) need.feed = std::make_shared<const AccountFeed>(account_, need.feed);
    return out;
  }
  Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const override {
    auto planned = inner_->plan(region, needs);
    if (!planned.ok()) return planned;
    for (auto& stream : planned.value()) {
      if (stream.pages) stream.pages = std::make_shared<const AccountPaginator>(account_, stream.pages);
    }
    return planned;
  }
  std::vector<std::pair<std::string, std::string>> version() const override { return inner_->version(); }
  bool versioned_by_content() const override { return inner_->versioned_by_content(); }
  std::shared_ptr<const Feed> merged(const std::shared_ptr<const Feed>& self, const Feed& other) const override {
    const auto* same = dynamic_cast<const AccountFeed*>(&other);
    if (same == nullptr) return self;
    auto inner = inner_->merged(inner_, *same->inner_);
    if (inner == inner_) return self;
    return std::make_shared<const AccountFeed>(account_, std::move(inner));
  }

 private:
  std::string account_;
  FeedPtr inner_;
};

}  // namespace pricepipe::stages
