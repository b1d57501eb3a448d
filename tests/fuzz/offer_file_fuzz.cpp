// Bulk Price List offer files through the section splitter and the offer-file
// normalizer, driven as the graph's file reader drives them
// (src/graph/graph_builder.cpp, Run::read_file and Run::decode): the file fed
// in chunks, each segment normalized in document order, products before the
// terms that join against them.
//
// Input: two control bytes, then the file.
//   byte 0, bit 0: an EC2 file (products, OnDemand, Reserved) or a Savings
//                  Plans file (products, savingsPlan); bits 1-2: the segment
//                  size (1, 2, 4 or 16 KiB); bit 3: a product filter.
//   byte 1: the chunk size the bytes arrive in: 67 bytes times the byte (so
//           chunks end anywhere in a 64-byte block), or the whole file when 0.
//           (Much smaller chunks than a download's only slow the target down.)
// The splitter must cut the same segments whichever scanner (AVX2 or
// scalar) runs and however the bytes are chunked.
#include <vector>

#include "core/schema.h"
#include "stages/transforms/offer_file_normalizer.h"
#include "tests/fuzz/fuzz_records.h"

namespace pricepipe::fuzz {
namespace {

struct Split {
  std::vector<stages::JsonSegment> segments;
  std::map<std::string, std::string> header;
  std::vector<bool> seen;
  Result<void> result;
};

Split split(const std::vector<stages::OfferSection>& sections, std::size_t segment_bytes, std::string_view doc,
            std::size_t chunk, bool scalar) {
  std::vector<std::vector<std::string>> paths;
  for (auto s : sections) paths.push_back(stages::section_path(s));
  Split out;
  stages::JsonSectionSplitter splitter(paths, segment_bytes,
                                       [&](stages::JsonSegment&& segment) { out.segments.push_back(std::move(segment)); });
  if (scalar) splitter.use_scalar_scanner_for_testing();
  for (std::size_t at = 0; at < doc.size() && out.result.ok(); at += chunk) out.result = splitter.feed(doc.substr(at, chunk));
  if (out.result.ok()) out.result = splitter.finish();
  out.header = splitter.header();
  out.seen = splitter.sections_seen();
  if (splitter.bytes_scanned() > doc.size()) fail("the splitter scanned more bytes than it was given");
  return out;
}

void same(const Split& a, const Split& b, const char* what) {
  if (a.result.ok() != b.result.ok()) fail(std::string(what) + ": one split failed, the other did not");
  if (!a.result.ok() && a.result.error().context().offset != b.result.error().context().offset) {
    fail(std::string(what) + ": the errors are at different offsets");
  }
  // A failed split stops where its chunk ended, so only whole runs compare.
  if (!a.result.ok()) return;
  if (a.segments.size() != b.segments.size()) fail(std::string(what) + ": different numbers of segments");
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const auto &x = a.segments[i], &y = b.segments[i];
    if (x.section != y.section || x.offset != y.offset || x.sequence != y.sequence || x.entries != y.entries ||
        x.json != y.json) {
      fail(std::string(what) + ": segment " + std::to_string(i) + " differs");
    }
  }
  if (a.header != b.header || a.seen != b.seen) fail(std::string(what) + ": header or sections seen differ");
}

}  // namespace
}  // namespace pricepipe::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pricepipe::fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pricepipe;
  using stages::OfferSection;
  if (size < 2) return 0;
  const bool savings_plans = (data[0] & 1u) != 0;
  static constexpr std::size_t kSegmentBytes[] = {1024, 2048, 4096, 16384};
  const std::size_t segment_bytes = kSegmentBytes[(data[0] >> 1) & 3u];
  const bool filtered = (data[0] & 8u) != 0;
  const std::size_t chunk = data[1] == 0 ? size : std::size_t{67} * data[1];
  const std::string_view doc = fuzz::bytes(data + 2, size - 2);

  const std::vector<OfferSection> sections =
      savings_plans ? std::vector<OfferSection>{OfferSection::products, OfferSection::savings_plans}
                    : std::vector<OfferSection>{OfferSection::products, OfferSection::on_demand, OfferSection::reserved};

  fuzz::Split run = fuzz::split(sections, segment_bytes, doc, chunk, false);
  fuzz::same(run, fuzz::split(sections, segment_bytes, doc, chunk, true), "scalar and default scanners");
  if (chunk < doc.size()) fuzz::same(run, fuzz::split(sections, segment_bytes, doc, doc.size() + 1, false), "chunked and whole");

  stages::OfferFileState state;
  state.sections = sections;
  state.kind = stages::offer_kind(sections);
  state.name = "fuzz-offer-file.json";
  state.region = "eu-west-1";
  if (filtered) {
    state.filter.instance_types = {"m7g.*", "c5.xlarge"};
    state.filter.operating_systems = {"linux"};
  }
  if (auto it = run.header.find("publicationDate"); it != run.header.end()) state.published_at = parse_rfc3339(it->second);

  const stages::OfferFileNormalizer normalizer;
  simdjson::dom::parser parser;
  for (const auto& segment : run.segments) {
    auto records = normalizer.process(segment, state, parser);
    if (!records.ok()) break;
    fuzz::check_records(records.value());
  }
  return 0;
}
