// How the cache keeps an answer, whatever the tier: the body as zstd frames
// with checksums (a blob, named by the body's SHA-256), and the entry that
// names it as a few `name value` lines. The disk and Redis tiers store the
// same bytes, so a blob read from either is verified the same way.
//
// Contract: frames hold at most kFrameBytes each and carry their content
// size and zstd's content checksum. `expand_blob` hands out a body only
// when every frame is whole, the sizes add up to the entry's (checked
// before anything is allocated) and the SHA-256 matches the name; else its
// error says what was wrong ("its blob is corrupt or truncated", "its blob
// does not match its hash"). `decode_entry` refuses text that is not an
// entry or names another key. Plain functions and single-thread objects.
#pragma once

#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cache/backend.h"
#include "core/error.h"

namespace pricepipe::cache {

inline constexpr std::size_t kFrameBytes = 1 << 20;

/// `body` as frames, at zstd `level`.
Result<std::string> compress_blob(std::string_view body, int level);

/// The verified body of `compressed`, which must hold `size` bytes hashing to `hash`.
Result<std::shared_ptr<const std::string>> expand_blob(std::string_view compressed, std::uint64_t size,
                                                       const std::string& hash);

/// An entry for `key` naming blob `hash` (`size` body bytes, `stored` as kept), last used now.
Entry make_entry(const std::string& key, const std::string& hash, std::uint64_t size, std::uint64_t stored,
                 const EntryMeta& meta, std::int64_t stored_at, std::int64_t expires_at);
/// When an entry stored at `from` (unix seconds) with `ttl` expires: 0 (never) for a TTL of 0.
inline std::int64_t expiry_after(std::chrono::seconds ttl, std::int64_t from) {
  return ttl.count() > 0 ? from + ttl.count() : 0;
}

/// The entry as text, and back; decode_entry fails unless the text is an entry for `key`.
std::string encode_entry(const Entry& entry);
Result<Entry> decode_entry(std::string_view text, const std::string& key);

// Compresses frames of up to 1 MiB, each with zstd's content checksum.
class FrameCompressor {
 public:
  explicit FrameCompressor(int level) : ctx_(ZSTD_createCCtx()) {
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1);
  }
  ~FrameCompressor() { ZSTD_freeCCtx(ctx_); }
  FrameCompressor(const FrameCompressor&) = delete;
  FrameCompressor& operator=(const FrameCompressor&) = delete;

  /// Appends the frames of `data` to `out`.
  /// Throws std::runtime_error when zstd fails.
  void compress(std::string_view data, std::string& out);

 private:
  ZSTD_CCtx* ctx_;
};

// Decompresses frames, handing on each one only once its checksum matched.
class FrameReader {
 public:
  FrameReader() : ctx_(ZSTD_createDStream()) { ZSTD_initDStream(ctx_); }
  ~FrameReader() { ZSTD_freeDStream(ctx_); }
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  /// Feeds compressed bytes; `frame` gets each whole verified frame. False on corruption.
  template <class OnFrame>
  bool feed(std::string_view input, OnFrame&& frame) {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    while (in.pos < in.size) {
      if (out_.size() - used_ < ZSTD_DStreamOutSize()) out_.resize(std::max(out_.size() * 2, used_ + ZSTD_DStreamOutSize()));
      ZSTD_outBuffer out{out_.data() + used_, out_.size() - used_, 0};
      const std::size_t ret = ZSTD_decompressStream(ctx_, &out, &in);
      if (ZSTD_isError(ret)) return false;
      used_ += out.pos;
      if (used_ > 4 * kFrameBytes) return false;  // not a frame this store wrote
      if (ret == 0) {  // a frame ended and its checksum matched
        if (!frame(std::string_view(out_.data(), used_))) return false;
        used_ = 0;
        in_frame_ = false;
      } else {
        in_frame_ = true;
      }
    }
    return true;
  }
  /// True when the input ended between frames.
  bool clean_end() const { return !in_frame_; }

 private:
  ZSTD_DStream* ctx_;
  std::string out_;
  std::size_t used_ = 0;
  bool in_frame_ = false;
};

// A body given in pieces (an offer file as it downloads), cut into frames
// and compressed as it comes, with its size and SHA-256: what every tier's
// BlobWriter stores. Single thread.
class BlobFramer {
 public:
  explicit BlobFramer(int level) : compressor_(level) {}

  /// Takes `bytes`; each frame it completes is compressed onto `out`. False once zstd failed.
  bool append(std::string_view bytes, std::string& out);
  /// The last frame (the empty body's one, for an empty body) onto `out`.
  bool finish(std::string& out);
  std::uint64_t size() const { return size_; }
  /// The body's SHA-256; once, after finish.
  std::string hash() { return hash_.hex(); }

 private:
  bool compress(std::string& out);

  FrameCompressor compressor_;
  Sha256 hash_;
  std::string pending_;
  std::uint64_t size_ = 0;
  bool failed_ = false;
};

}  // namespace pricepipe::cache
