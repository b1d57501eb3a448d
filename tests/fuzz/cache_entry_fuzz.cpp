// The disk cache's reader (src/cache/disk_backend.h): an entry file and the
// blob it names, as another process (or a crash, or a damaged disk) may
// have left them, read back through every path a run and `pricepipe cache`
// take: find, get (whole body, verified), stream (frame by frame, verified)
// and the directory walk of maintenance.
//
// Input: the entry file's bytes, a NUL byte, then the blob's bytes (no NUL:
// no blob file). The files are placed where the entry's own `key` and
// `blob` lines say, as the writer would have put them (DIR/v1/entries/ab/KEY,
// DIR/v1/blobs/cd/HASH); a name that is not a plain file name gets a fixed
// one. A damaged entry or blob must read as a miss (or a corrupt stream),
// never as a body that differs from what the entry promises.
#include <memory>

#include "cache/disk_backend.h"
#include "tests/fuzz/fuzz_files.h"

namespace pricepipe::fuzz {
namespace {

struct Cache {
  ScratchDir scratch{"cache"};
  std::unique_ptr<cache::DiskBackend> disk;
  Cache() {
    disk = cache::DiskBackend::open(cache::DiskOptions{scratch.path(), 1ull << 30, 1});
    if (!disk) fail("cannot open the cache under " + scratch.path().string());
  }
};

Cache& the_cache() {
  static Cache c;
  return c;
}

// The value of the first `name VALUE` line after the magic line.
std::string field(std::string_view entry, std::string_view name) {
  std::size_t at = entry.find('\n');
  while (at != std::string_view::npos) {
    const std::size_t start = at + 1;
    const std::size_t end = entry.find('\n', start);
    const std::string_view line = entry.substr(start, end == std::string_view::npos ? entry.npos : end - start);
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ' ') {
      return std::string(line.substr(name.size() + 1));
    }
    at = end;
  }
  return {};
}

bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 200 && name != "." && name.rfind("..", 0) != 0 &&
         name.find_first_of(std::string_view("/\0", 2)) == std::string::npos;
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  pricepipe::fuzz::the_cache();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  namespace fs = std::filesystem;
  auto& c = fuzz::the_cache();
  const std::string_view input = fuzz::bytes(data, size);
  const auto nul = input.find('\0');
  const std::string_view entry_text = input.substr(0, nul);

  std::string key = fuzz::field(entry_text, "key");
  if (!fuzz::plain_name(key)) key = "0000000000000000000000000000000000000000000000000000000000000000";
  std::string blob = fuzz::field(entry_text, "blob");
  if (!fuzz::plain_name(blob)) blob = "1111111111111111111111111111111111111111111111111111111111111111";
  const fs::path root = c.scratch.path() / "v1";
  const fs::path entry_path = root / "entries" / key.substr(0, 2) / key;
  const fs::path blob_path = root / "blobs" / blob.substr(0, 2) / blob;
  std::error_code ec;
  // Puts back what a read dropped (a reader only ever unlinks, never
  // rewrites), so each read below starts from the input's files.
  auto place = [&] {
    if (!fs::exists(entry_path, ec)) {
      fs::create_directories(entry_path.parent_path(), ec);
      fuzz::write_file(entry_path, entry_text);
    }
    if (nul != std::string_view::npos && !fs::exists(blob_path, ec)) {
      fs::create_directories(blob_path.parent_path(), ec);
      fuzz::write_file(blob_path, input.substr(nul + 1));
    }
  };

  place();
  static_cast<void>(c.disk->find(key, false));
  if (auto hit = c.disk->get(key, true)) {
    if (hit->body->size() != hit->entry.size) fuzz::fail("get: the body's size is not the entry's");
    if (cache::sha256_hex(*hit->body) != hit->entry.blob) fuzz::fail("get: the body does not match its hash");
  }

  place();  // a damaged entry or blob was dropped: read it again as a stream
  std::string streamed;
  auto streamed_result = c.disk->stream(key, true, [&](std::string_view piece) -> Result<void> {
    streamed.append(piece);
    return {};
  });
  if (streamed_result && !streamed_result->corrupt) {
    if (!streamed_result->status.ok()) fuzz::fail("stream: the consumer never failed, yet the stream did");
    const auto entry = c.disk->find(key, true);
    if (!entry) fuzz::fail("stream: a clean stream of an entry that is gone");
    if (streamed.size() != entry->size || cache::sha256_hex(streamed) != entry->blob) {
      fuzz::fail("stream: a clean stream that is not the body the entry names");
    }
  }

  place();  // and as maintenance walks the directory
  for (const auto& e : c.disk->entries()) {
    if (e.blob.size() != 64) fuzz::fail("entries: an entry whose blob name is not a SHA-256");
  }

  // Leave the cache as empty as it began (a directory only goes when empty):
  // maintenance's walk must not grow with every key prefix ever tried.
  for (const fs::path& p : {entry_path, entry_path.parent_path(), blob_path, blob_path.parent_path()}) fs::remove(p, ec);
  return 0;
}
