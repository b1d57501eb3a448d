// The interface every physical input implements: a feed.
//
// A feed is what the network is asked for — DescribeInstanceTypes in a
// region, a region's EC2 offer file, the advisor feed — and how the answers
// become typed records. Stage types (stages/registry.h) are built from
// feeds; the graph builder fetches each feed once per region however many
// nodes of a pipeline read it: feeds with the same `key()` are one input.
//
// Contract: a feed is immutable and does no I/O. `plan` runs on the graph's
// planning step: given the records of the feeds it `needs` (DescribeInstance-
// TypeOfferings for spot batches, a Price List index for an offer file's
// URL), it returns the feed's streams in a region — paginated API streams,
// each with the decoder of its pages, or offer files to stream. Decoders are
// const and CPU-only and run concurrently on graph workers. Errors are
// values naming the region, action or file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/error.h"
#include "net/fetcher.h"
#include "net/paginator.h"
#include "stages/transforms/offer_file_normalizer.h"
#include "stages/transforms/price_list_product.h"

namespace pricepipe::stages {

/// How the pages of one API stream become records.
class PageDecoder {
 public:
  virtual ~PageDecoder() = default;
  /// Const and CPU-only; called concurrently for pages of many streams.
  virtual Result<RecordVector> decode(const net::Page& page) const = 0;
};

/// An offer file to stream, cut into segments and parsed on every core.
struct OfferFilePlan {
  std::string name;    ///< the URL or path, for messages
  /// Downloaded through the fetcher (cache, retries, metrics) when set; else `path` is read from disk.
  std::optional<net::ApiRequest> request;
  std::string path;
  std::string region;  ///< the file's region; empty for a file covering many
  /// The sections read, products first, in the order the file has them.
  std::vector<OfferSection> sections;
  PriceFilter filter;  ///< the products kept (a product no term needs is never stored)
};

/// One stream of a feed in one region.
struct StreamPlan {
  std::shared_ptr<const net::Paginator> pages;   ///< an API stream...
  std::shared_ptr<const PageDecoder> decoder;    ///< ...and how its pages become records
  std::shared_ptr<const OfferFilePlan> file;     ///< or an offer file
};

class Feed;

/// A feed whose records plan another one.
struct FeedNeed {
  std::shared_ptr<const Feed> feed;
  /// False: when the needed feed fails, this one is planned without it (a warning says what is missing).
  bool required = true;
};

/// What planning receives from one need: every record batch, in stream and
/// page order, or the error that ended it.
struct NeedResult {
  const std::vector<RecordVector>* records = nullptr;
  const Error* error = nullptr;
};

class Feed {
 public:
  virtual ~Feed() = default;

  /// Identity: two feeds with the same key are one input of a run.
  virtual std::string key() const = 0;
  /// The service and action or file it reads, for explain and messages: "ec2 DescribeInstanceTypes".
  virtual std::string describe() const = 0;
  /// Fetched once per region (false: once per run, from the run's region).
  virtual bool regional() const = 0;
  /// Whether its requests are signed, so the run needs credentials.
  virtual bool signed_requests() const = 0;
  /// Feeds whose records its planning reads: regional ones in the same region.
  virtual std::vector<FeedNeed> needs() const { return {}; }
  /// Its streams in `region`, given what each of `needs()` yielded (same order).
  virtual Result<std::vector<StreamPlan>> plan(const std::string& region, const std::vector<NeedResult>& needs) const = 0;
  /// What a snapshot's manifest records of the answers it serves, fixed by
  /// its options (the spot window); name → value. Empty: nothing.
  virtual std::vector<std::pair<std::string, std::string>> version() const { return {}; }
  /// Its answer is one document whose content is its version (the advisor):
  /// the graph records the document's SHA-256 and when AWS gave it.
  virtual bool versioned_by_content() const { return false; }
  /// One feed serving what this one and `other` (the same key) serve: offer
  /// files read the union of sections and products. Others are identical.
  virtual std::shared_ptr<const Feed> merged(const std::shared_ptr<const Feed>& self, const Feed& other) const {
    static_cast<void>(other);
    return self;
  }
};

using FeedPtr = std::shared_ptr<const Feed>;

}  // namespace pricepipe::stages
