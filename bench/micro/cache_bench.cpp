// A cache hit for a 1 MiB answer: from disk (read, decompress each frame
// with its checksum, SHA-256 of the body against the blob's name) and from
// the memory tier. The body is 1 MiB of AWS's own DescribeInstanceTypes data
// (../shared/data/aws/instance_types.json) when present, else synthetic XML.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "cache/store.h"

namespace {

namespace fs = std::filesystem;

std::string body_of_one_mib() {
  const char* env = std::getenv("PRICEPIPE_AWS_DATA");
  const fs::path data = env != nullptr ? fs::path(env) : fs::path(PRICEPIPE_SOURCE_DIR) / ".." / "shared" / "data" / "aws";
  std::ifstream in(data / "instance_types.json", std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (body.size() >= (1u << 20)) return body.substr(0, 1u << 20);
  std::mt19937 rng(7);
  body.clear();
  while (body.size() < (1u << 20)) {
    body += "<item><instanceType>m" + std::to_string(rng() % 9) + ".large</instanceType><vCpuInfo><defaultVCpus>" +
            std::to_string(rng() % 192) + "</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>" +
            std::to_string(rng() % 2000000) + "</sizeInMiB></memoryInfo></item>\n";
  }
  return body.substr(0, 1u << 20);
}

struct Fixture {
  Fixture() : body(body_of_one_mib()) {
    std::string pattern = (fs::temp_directory_path() / "pricepipe-cache-bench-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::unique_ptr<pricepipe::cache::Store> store(std::uint64_t memory) const {
    pricepipe::cache::StoreOptions o;
    o.dir = dir;
    o.memory_bytes = memory;
    return pricepipe::cache::Store::open(o);
  }

  std::string body;
  fs::path dir;
};

pricepipe::cache::EntryMeta meta() {
  pricepipe::cache::EntryMeta m;
  m.service = "ec2";
  m.action = "DescribeInstanceTypes";
  m.region = "us-east-1";
  m.dataset = "instance-types";
  return m;
}

void BM_CacheHitFromDisk1MiB(benchmark::State& state) {
  static const Fixture f;
  auto store = f.store(0);  // no memory tier: every hit reads and verifies the blob
  store->put("key", meta(), std::chrono::hours(1), f.body);
  for (auto _ : state) {
    auto hit = store->get("key", false);
    if (!hit || hit->body->size() != f.body.size()) state.SkipWithError("miss");
    benchmark::DoNotOptimize(hit);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.body.size()));
}

void BM_CacheHitFromMemory1MiB(benchmark::State& state) {
  static const Fixture f;
  auto store = f.store(64 << 20);
  store->put("key", meta(), std::chrono::hours(1), f.body);
  for (auto _ : state) {
    auto hit = store->get("key", false);
    benchmark::DoNotOptimize(hit);
  }
}

void BM_CacheStore1MiB(benchmark::State& state) {
  static const Fixture f;
  auto store = f.store(0);
  std::uint64_t n = 0;
  for (auto _ : state) {
    std::string body = f.body;
    body[0] = static_cast<char>('a' + n++ % 26);  // a new blob each time, mostly
    store->put("key" + std::to_string(n), meta(), std::chrono::hours(1), body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.body.size()));
}

BENCHMARK(BM_CacheHitFromDisk1MiB)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CacheHitFromMemory1MiB)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CacheStore1MiB)->Unit(benchmark::kMicrosecond);

}  // namespace
