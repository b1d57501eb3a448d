#include "cache/blob_codec.h"

#include <charconv>
#include <stdexcept>

namespace pricepipe::cache {

namespace {

constexpr const char* kEntryMagic = "pricepipe-cache-entry 1";

std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

}  // namespace

void FrameCompressor::compress(std::string_view data, std::string& out) {
  for (std::size_t at = 0; at < data.size() || (data.empty() && at == 0); at += kFrameBytes) {
    const std::string_view piece = data.substr(at, kFrameBytes);
    const std::size_t bound = ZSTD_compressBound(piece.size());
    const std::size_t start = out.size();
    out.resize(start + bound);
    const std::size_t n = ZSTD_compress2(ctx_, out.data() + start, bound, piece.data(), piece.size());
    if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(start + n);
    if (data.empty()) break;
  }
}

bool BlobFramer::compress(std::string& out) {
  try {
    compressor_.compress(pending_, out);
  } catch (const std::exception&) {
    failed_ = true;
  }
  pending_.clear();
  return !failed_;
}

bool BlobFramer::append(std::string_view bytes, std::string& out) {
  if (failed_) return false;
  hash_.update(bytes);
  size_ += bytes.size();
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), kFrameBytes - pending_.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() == kFrameBytes && !compress(out)) return false;
  }
  return true;
}

bool BlobFramer::finish(std::string& out) {
  if (failed_) return false;
  return pending_.empty() && size_ > 0 ? true : compress(out);
}

Result<std::string> compress_blob(std::string_view body, int level) {
  std::string out;
  try {
    FrameCompressor(level).compress(body, out);
  } catch (const std::exception& e) {
    return Error(ErrorCode::internal, e.what());
  }
  return out;
}

Result<std::shared_ptr<const std::string>> expand_blob(std::string_view compressed, std::uint64_t size,
                                                       const std::string& hash) {
  const Error corrupt(ErrorCode::io, "its blob is corrupt or truncated");
  const char* data = compressed.data();
  const std::size_t done = compressed.size();
  // The frames' declared sizes must add up to the entry's before the body is
  // allocated: a damaged entry must not have gigabytes allocated for it. The
  // store writes frames of at most kFrameBytes, each with its content size.
  bool ok = done > 0;
  std::uint64_t declared = 0;
  for (std::size_t at = 0; ok && at < done;) {
    const std::size_t frame = ZSTD_findFrameCompressedSize(data + at, done - at);
    const unsigned long long content = ZSTD_isError(frame) ? ZSTD_CONTENTSIZE_ERROR
                                                           : ZSTD_getFrameContentSize(data + at, frame);
    ok = !ZSTD_isError(frame) && content <= kFrameBytes;  // unknown and error sizes are larger
    declared += ok ? content : 0;
    at += ok ? frame : 0;
  }
  if (!ok || declared != size) return corrupt;

  // Each frame straight into place; zstd checks each frame's checksum.
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  auto body = std::make_shared<std::string>(size, '\0');
  std::size_t in = 0, out = 0;
  while (ok && in < done) {
    const std::size_t frame = ZSTD_findFrameCompressedSize(data + in, done - in);
    const unsigned long long content = ZSTD_isError(frame) ? ZSTD_CONTENTSIZE_ERROR
                                                           : ZSTD_getFrameContentSize(data + in, frame);
    if (ZSTD_isError(frame) || content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN ||
        out + content > size) {
      ok = false;
      break;
    }
    const std::size_t got =
        ZSTD_decompressDCtx(dctx.get(), body->data() + out, static_cast<std::size_t>(content), data + in, frame);
    ok = !ZSTD_isError(got) && got == content;
    in += frame;
    out += got;
  }
  if (!ok || out != size) return corrupt;
  if (sha256_hex(*body) != hash) return Error(ErrorCode::io, "its blob does not match its hash");
  return std::shared_ptr<const std::string>(std::move(body));
}

Entry make_entry(const std::string& key, const std::string& hash, std::uint64_t size, std::uint64_t stored,
                 const EntryMeta& meta, std::int64_t stored_at, std::int64_t expires_at) {
  Entry e;
  e.key = key;
  e.blob = hash;
  e.size = size;
  e.stored_bytes = stored;
  e.stored_at = stored_at;
  e.expires_at = expires_at;
  e.last_used =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  e.meta = meta;
  return e;
}

std::string encode_entry(const Entry& e) {
  std::string text = std::string(kEntryMagic) + "\n";
  auto field = [&](const char* name, const std::string& value) { text += std::string(name) + " " + one_line(value) + "\n"; };
  field("key", e.key);
  field("blob", e.blob);
  field("size", std::to_string(e.size));
  field("stored_bytes", std::to_string(e.stored_bytes));
  field("stored_at", std::to_string(e.stored_at));
  field("expires_at", std::to_string(e.expires_at));
  field("status", std::to_string(e.meta.status));
  field("negative", e.meta.negative ? "1" : "0");
  field("service", e.meta.service);
  field("region", e.meta.region);
  field("action", e.meta.action);
  field("dataset", e.meta.dataset);
  field("request_id", e.meta.request_id);
  field("summary", e.meta.summary);
  if (!e.meta.pinned.empty()) field("pinned", e.meta.pinned);
  return text;
}

Result<Entry> decode_entry(std::string_view text, const std::string& key) {
  std::string_view rest = text;
  auto next_line = [&rest](std::string_view& line) {
    if (rest.empty()) return false;
    const auto end = rest.find('\n');
    line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    return true;
  };
  std::string_view line;
  if (!next_line(line) || line != kEntryMagic) return Error(ErrorCode::io, "is not an entry");
  Entry e;
  auto number = [](std::string_view v, auto& out) { std::from_chars(v.data(), v.data() + v.size(), out); };
  while (next_line(line)) {
    const auto space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (name == "key") e.key = value;
    else if (name == "blob") e.blob = value;
    else if (name == "size") number(value, e.size);
    else if (name == "stored_bytes") number(value, e.stored_bytes);
    else if (name == "stored_at") number(value, e.stored_at);
    else if (name == "expires_at") number(value, e.expires_at);
    else if (name == "status") number(value, e.meta.status);
    else if (name == "negative") e.meta.negative = value == "1";
    else if (name == "service") e.meta.service = value;
    else if (name == "region") e.meta.region = value;
    else if (name == "action") e.meta.action = value;
    else if (name == "dataset") e.meta.dataset = value;
    else if (name == "request_id") e.meta.request_id = value;
    else if (name == "summary") e.meta.summary = value;
    else if (name == "pinned") e.meta.pinned = value;
  }
  if (e.key != key || e.blob.size() != 64) return Error(ErrorCode::io, "is damaged");
  return e;
}

}  // namespace pricepipe::cache
