// Where a snapshot's files go: a directory, or an S3 prefix. The snapshot
// sink (snapshot_sink.h) writes the one layout through this interface, so a
// part, the progress journal, the manifest and `latest` mean the same on a
// disk and in a bucket.
//
//   directory   a part is written to NAME.partial, fsynced and renamed; small
//               files are written whole and renamed; `latest` is a symlink
//               renamed over the old one; the journal is appended and fsynced
//   S3          a part is one PUT, or a multipart upload of 8 MiB parts
//               (completed when kept, aborted when dropped), each with its
//               x-amz-checksum-sha256; small files are PUTs (atomic in S3);
//               `latest` is an object holding the id; the journal is PUT whole
//               after each line; uploads a killed run left are aborted
//
// Names are relative to DIR (or s3://BUCKET/PREFIX): `ID/manifest.json`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pricepipe::net {
class Fetcher;
struct S3Url;
}

namespace pricepipe::stages {

class SnapshotTarget {
 public:
  virtual ~SnapshotTarget() = default;

  /// Where `name` is, for messages: a path, or s3://bucket/key.
  virtual std::string where(const std::string& name) const = 0;

  /// A part being written.
  class Part {
   public:
    virtual ~Part() = default;
    virtual Result<void> write(std::string_view bytes) = 0;
    /// Kept under its name, durably (`keep`), or dropped: what a stopped
    /// run was writing never appears under a part's name.
    virtual Result<void> finish(bool keep) = 0;
  };
  virtual std::unique_ptr<Part> open_part(const std::string& name) = 0;

  /// A small file written whole, replacing any before it atomically.
  virtual Result<void> put(const std::string& name, std::string_view bytes) = 0;
  /// Nullopt when there is none.
  virtual Result<std::optional<std::string>> get(const std::string& name) = 0;
  virtual Result<void> remove(const std::string& name) = 0;

  /// A snapshot's progress journal (`ID/_progress.ndjson`, or a shard's
  /// own): begun empty, each line durable once appended, removed once the
  /// manifest holds it all.
  virtual Result<void> begin_progress(const std::string& name) = 0;
  virtual Result<void> append_progress(const std::string& line) = 0;
  virtual Result<void> end_progress() = 0;

  /// `latest` names snapshot `id`, replaced atomically.
  virtual Result<void> point_latest(const std::string& id) = 0;
  /// Removes what stopped runs left half written under snapshot `id`
  /// (staged parts, unfinished uploads).
  virtual Result<void> sweep(const std::string& id) = 0;
  /// The snapshots begun and not complete (they hold `_snapshot.json`), by id.
  virtual Result<std::vector<std::string>> resumable() = 0;
  /// Removes the complete snapshots older than the `keep` newest, never
  /// the latest nor one that is not complete; the ids removed.
  virtual Result<std::vector<std::string>> prune(std::size_t keep) = 0;
};

std::unique_ptr<SnapshotTarget> directory_target(std::filesystem::path dir);
/// The bucket and prefix of `url`; requests go through `fetcher`, signed for `region`.
std::unique_ptr<SnapshotTarget> s3_target(net::Fetcher& fetcher, net::S3Url url, const std::string& region);

}  // namespace pricepipe::stages
