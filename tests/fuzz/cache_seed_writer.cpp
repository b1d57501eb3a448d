// Writes cache entries with the production writer (cache::DiskBackend) into
// the directory given, for cache_entry_fuzz's seed corpus: bodies the
// network rarely gives a short run — empty, negative, several 1 MiB frames,
// and a body written in pieces as an offer file is.
//
//   cache_seed_writer DIR
#include <cstdio>
#include <string>

#include "cache/disk_backend.h"

int main(int argc, char** argv) {
  using namespace pricepipe;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  auto disk = cache::DiskBackend::open(cache::DiskOptions{argv[1], 1ull << 30, 3});
  if (!disk) return 1;
  auto meta = [](const char* action, const char* dataset) {
    cache::EntryMeta m;
    m.service = "ec2";
    m.region = "eu-west-1";
    m.action = action;
    m.dataset = dataset;
    m.summary = std::string("ec2 ") + action + " eu-west-1";
    m.request_id = "seed-request";
    return m;
  };
  int failures = 0;
  auto put = [&](const std::string& body, cache::EntryMeta m, std::chrono::seconds ttl) {
    const std::string key = cache::sha256_hex("seed " + m.action + " " + std::to_string(body.size()));
    if (!disk->put(key, m, ttl, body)) ++failures;
  };

  put("", meta("DescribeRegions", "regions"), std::chrono::seconds(0));
  cache::EntryMeta negative = meta("DescribeInstanceTypes", "instance-types");
  negative.negative = true;
  negative.status = 400;
  put("<Response><Errors><Error><Code>InvalidInstanceType</Code><Message>x</Message></Error></Errors>"
      "<RequestID>r</RequestID></Response>",
      negative, std::chrono::seconds(600));
  // Two frames (1 MiB and a part), repetitive so the blob stays small.
  std::string big;
  while (big.size() < (1u << 20) + 1000) big += "<item><instanceType>m7g.large</instanceType></item>\n";
  put(big, meta("DescribeInstanceTypeOfferings", "offerings"), std::chrono::seconds(86400));

  auto writer = disk->begin_blob();
  if (!writer) return 1;
  for (int i = 0; i < 17; ++i) writer->append(big.substr(0, 65536 + static_cast<std::size_t>(i)));
  cache::EntryMeta file = meta("GetOfferFile", "price-list-file");
  file.service = "pricing-bulk";
  if (!writer->commit(cache::sha256_hex("seed offer file"), file, std::chrono::seconds(86400))) ++failures;
  return failures == 0 ? 0 : 1;
}
