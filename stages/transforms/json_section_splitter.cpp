#include "stages/transforms/json_section_splitter.h"

#include "stages/transforms/json_error_locator.h"
#include "stages/transforms/json_simd.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

namespace pricepipe::stages {

namespace {

using simd::eq_mask;
using simd::escaped_bytes;
using simd::prefix_xor;

constexpr std::size_t kLookbehind = 4096;
// No entry of a Price List file comes near this; a segment that grows past it
// means the document is broken (typically a lost quote inverting everything
// after it), and buffering on would hold the rest of a multi-GB file.
constexpr std::size_t kMaxEntryBytes = 64 << 20;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The bit masks of one 64-byte block: which bytes are brackets outside strings.
struct BlockState {
  std::uint64_t prev_in_string = 0;  // all ones when the previous block ended inside a string
  std::uint64_t prev_escaped = 0;    // 1 when the previous block ended with an unfinished escape
};

// Brackets outside strings in one 64-byte block.
__attribute__((target("avx2,pclmul"))) std::uint64_t bracket_mask(const char* p, BlockState& s) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  const std::uint64_t backslash = eq_mask(lo, hi, '\\');
  const std::uint64_t quotes = eq_mask(lo, hi, '"') & ~escaped_bytes(backslash, s.prev_escaped);
  const std::uint64_t in_string = prefix_xor(quotes) ^ s.prev_in_string;
  s.prev_in_string = static_cast<std::uint64_t>(static_cast<std::int64_t>(in_string) >> 63);
  const std::uint64_t brackets = eq_mask(lo, hi, '{') | eq_mask(lo, hi, '}') | eq_mask(lo, hi, '[') | eq_mask(lo, hi, ']');
  return brackets & ~in_string;
}

}  // namespace

struct JsonSectionSplitter::Impl {
  std::vector<std::vector<std::string>> sections;
  std::size_t segment_bytes;
  Emit emit;
  bool scalar = !simd::cpu_has_avx2_pclmul();

  // Scanner state, carried across chunks.
  BlockState block;
  bool in_string = false;  // scalar scanner
  bool escape = false;     // scalar scanner
  std::uint64_t offset = 0;  // bytes of the document before the current chunk
  std::vector<char> stack;   // open brackets
  std::vector<std::string> keys;  // keys[d]: key of the container at depth d (d ≤ max path + 1)
  bool started = false;
  bool root_closed = false;
  std::size_t root_end = std::string_view::npos;  // in the current chunk, just after the root's '}'
  std::optional<Error> error;

  // The section being copied.
  int active = -1;
  std::size_t container_depth = 0;
  char container_open = 0;
  std::string segment;
  std::size_t segment_entries = 0;
  std::uint64_t segment_begin = 0;   // document offset where the segment's bytes begin (for sizing)
  std::uint64_t segment_offset = 0;  // document offset of its first entry
  bool segment_started = false;  // a first entry byte has been copied
  std::size_t copy_from = 0;     // position in the current chunk from which bytes are still to be copied
  std::uint64_t sequence = 0;

  std::string lookbehind;  // the last bytes of earlier chunks, for reading keys
  std::string prefix;      // the document up to the first section, for header()
  std::map<std::string, std::string> header_fields;
  std::vector<bool> seen;
  std::size_t max_path = 0;

  Impl(std::vector<std::vector<std::string>> s, std::size_t bytes, Emit e)
      : sections(std::move(s)), segment_bytes(std::max<std::size_t>(bytes, 1024)), emit(std::move(e)) {
    for (const auto& path : sections) max_path = std::max(max_path, path.size());
    keys.resize(max_path + 2);
    seen.assign(sections.size(), false);
  }

  Error malformed(std::uint64_t at, const std::string& what) const {
    ErrorContext c;
    c.offset = static_cast<std::int64_t>(at);
    return Error(ErrorCode::malformed_response, "malformed JSON: " + what, std::move(c));
  }

  // The key before an opening bracket at `pos` of `chunk`: `"key" : {`.
  std::string key_before(std::string_view chunk, std::size_t pos) const {
    std::string window;
    std::string_view view;
    if (pos >= 256 || lookbehind.empty()) {
      view = chunk.substr(pos >= kLookbehind ? pos - kLookbehind : 0, pos >= kLookbehind ? kLookbehind : pos);
    } else {
      window = lookbehind + std::string(chunk.substr(0, pos));
      view = window;
    }
    std::size_t i = view.size();
    while (i > 0 && is_space(view[i - 1])) --i;
    if (i == 0 || view[i - 1] != ':') return {};
    --i;
    while (i > 0 && is_space(view[i - 1])) --i;
    if (i == 0 || view[i - 1] != '"') return {};
    const std::size_t end = --i;
    while (i > 0 && view[i - 1] != '"') --i;
    return std::string(view.substr(i, end - i));
  }

  bool keys_prefix_of_a_section(std::size_t depth) const {
    // keys[2..depth] name the containers from the root's child down.
    for (const auto& path : sections) {
      if (path.size() < depth - 1) continue;
      bool match = true;
      for (std::size_t d = 2; d <= depth && match; ++d) match = path[d - 2] == keys[d];
      if (match) return true;
    }
    return false;
  }

  // Copies bytes of the current chunk that belong to the segment; `at` is
  // the document offset of bytes[0]. Separators before the first entry are
  // dropped so the segment is valid JSON.
  void append(std::string_view bytes, std::uint64_t at) {
    if (!segment_started) {
      std::size_t i = 0;
      while (i < bytes.size() && (is_space(bytes[i]) || bytes[i] == ',')) ++i;
      if (i == bytes.size()) return;
      bytes.remove_prefix(i);
      segment_offset = at + i;
      segment_started = true;
    }
    segment.append(bytes);
    if (segment.size() > segment_bytes + kMaxEntryBytes && !error) {
      error = located(malformed(segment_offset, "an entry larger than 64 MB; the document is probably malformed"));
    }
  }

  // Where inside the pending segment the document goes wrong, when the
  // bytes buffered so far show it (the splitter itself only sees brackets
  // and quotes); otherwise `fallback`.
  Error located(Error fallback) const {
    if (active < 0 || !segment_started) return fallback;
    auto where = locate_json_error(segment);
    if (!where || where->offset + 1 >= segment.size()) return fallback;  // only "ends early": a clean prefix
    return malformed(segment_offset + where->offset - 1, where->what);
  }

  void append_chunk_range(std::string_view chunk, std::size_t end) {
    append(chunk.substr(copy_from, end - copy_from), offset + copy_from);
    copy_from = end;
  }

  void start_segment(std::uint64_t at) {
    segment.clear();
    segment.reserve(segment_bytes + segment_bytes / 4 + simdjson::SIMDJSON_PADDING);
    segment.push_back(container_open);
    segment_entries = 0;
    segment_begin = at;
    segment_started = false;
  }

  void emit_segment() {
    if (segment_entries == 0) return;
    segment.push_back(container_open == '{' ? '}' : ']');
    segment.reserve(segment.size() + simdjson::SIMDJSON_PADDING);
    JsonSegment out;
    out.section = static_cast<std::size_t>(active);
    out.offset = segment_offset;
    out.sequence = sequence++;
    out.entries = segment_entries;
    out.json = std::move(segment);
    segment = std::string();
    emit(std::move(out));
  }

  void on_open(std::string_view chunk, std::size_t pos, char c) {
    stack.push_back(c);
    const std::size_t depth = stack.size();
    if (depth == 1) return;
    if (active >= 0) return;
    if (depth > max_path + 1) return;
    {
      keys[depth] = key_before(chunk, pos);
      if (!keys_prefix_of_a_section(depth)) return;
      for (std::size_t i = 0; i < sections.size(); ++i) {
        if (sections[i].size() != depth - 1 || seen[i]) continue;
        bool match = true;
        for (std::size_t d = 2; d <= depth && match; ++d) match = sections[i][d - 2] == keys[d];
        if (!match) continue;
        if (header_fields.empty()) parse_header();
        active = static_cast<int>(i);
        seen[i] = true;
        container_depth = depth;
        container_open = c;
        copy_from = pos + 1;
        start_segment(offset + pos + 1);
        return;
      }
    }
  }

  void on_close(std::string_view chunk, std::size_t pos, char c) {
    const std::uint64_t at = offset + pos;
    if (stack.empty()) {
      if (!error) error = malformed(at, fmt::format("unexpected '{}'", c));
      return;
    }
    const char open = stack.back();
    if ((open == '{') != (c == '}')) {
      if (!error) error = malformed(at, fmt::format("'{}' closes '{}'", c, open));
      return;
    }
    const std::size_t depth = stack.size();
    stack.pop_back();
    if (stack.empty()) {
      root_closed = true;
      root_end = pos + 1;
    }
    if (active < 0) return;
    if (depth == container_depth + 1) {
      ++segment_entries;
      // Sized by document offsets, so cuts do not depend on the chunking.
      if (offset + pos + 1 - segment_begin >= segment_bytes) {
        append_chunk_range(chunk, pos + 1);
        emit_segment();
        start_segment(offset + pos + 1);
      }
    } else if (depth == container_depth) {
      append_chunk_range(chunk, pos);
      emit_segment();
      active = -1;
    }
  }

  void on_bracket(std::string_view chunk, std::size_t pos) {
    const char c = chunk[pos];
    if (root_closed) return;  // reported by check_only_space
    if (c == '{' || c == '[') {
      on_open(chunk, pos, c);
    } else {
      on_close(chunk, pos, c);
    }
  }

  void scan_scalar(std::string_view chunk, std::size_t from = 0) {
    for (std::size_t i = from; i < chunk.size() && !error; ++i) {
      const char c = chunk[i];
      if (in_string) {
        if (escape) {
          escape = false;
        } else if (c == '\\') {
          escape = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (escape) {
        // As in the AVX2 scanner, a backslash escapes the next quote even
        // outside a string (only broken JSON has one there), so both
        // scanners cut the same segments and fail at the same byte.
        escape = false;
        if (c == '{' || c == '[' || c == '}' || c == ']') on_bracket(chunk, i);
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[' || c == '}' || c == ']') {
        on_bracket(chunk, i);
      }
    }
  }

  __attribute__((target("avx2,pclmul"))) void scan_simd(std::string_view chunk) {
    const std::size_t whole = chunk.size() / 64 * 64;
    for (std::size_t block_start = 0; block_start < whole && !error; block_start += 64) {
      std::uint64_t brackets = bracket_mask(chunk.data() + block_start, block);
      while (brackets != 0 && !error) {
        on_bracket(chunk, block_start + static_cast<std::size_t>(__builtin_ctzll(brackets)));
        brackets &= brackets - 1;
      }
    }
    // The last partial block goes through the scalar scanner, handing the
    // string and escape state over in both directions.
    in_string = block.prev_in_string != 0;
    escape = block.prev_escaped != 0;
    scan_scalar(chunk, whole);
    block.prev_in_string = in_string ? ~0ULL : 0;
    block.prev_escaped = escape ? 1 : 0;
  }

  void check_only_space(std::string_view chunk, std::size_t from) {
    for (std::size_t i = from; i < chunk.size(); ++i) {
      if (!is_space(chunk[i])) {
        error = malformed(offset + i, "text after the end of the document");
        return;
      }
    }
  }

  Result<void> feed(std::string_view chunk) {
    if (error) return *error;
    if (!started) {
      std::size_t i = 0;
      while (i < chunk.size() && is_space(chunk[i])) ++i;
      if (i < chunk.size()) {
        if (chunk[i] != '{') return *(error = malformed(offset + i, "the document does not start with '{'"));
        started = true;
      }
    }
    if (root_closed) {
      check_only_space(chunk, 0);
    } else {
      copy_from = 0;
      if (!seen_any() && prefix.size() < 65536) {
        prefix.append(chunk.substr(0, std::min<std::size_t>(chunk.size(), 65536 - prefix.size())));
      }
      root_end = std::string_view::npos;
      if (scalar) {
        scan_scalar(chunk);
      } else {
        scan_simd(chunk);
      }
      if (active >= 0 && copy_from < chunk.size()) append_chunk_range(chunk, chunk.size());
      if (!error && root_end != std::string_view::npos) check_only_space(chunk, root_end);
    }
    if (chunk.size() >= kLookbehind) {
      lookbehind.assign(chunk.substr(chunk.size() - kLookbehind));
    } else {
      lookbehind.append(chunk);
      if (lookbehind.size() > kLookbehind) lookbehind.erase(0, lookbehind.size() - kLookbehind);
    }
    offset += chunk.size();
    if (error) return *error;
    return {};
  }

  bool seen_any() const {
    return std::any_of(seen.begin(), seen.end(), [](bool b) { return b; });
  }

  bool string_open() const { return scalar ? in_string : block.prev_in_string != 0; }


  Result<void> finish() {
    if (error) return *error;
    if (!started) return *(error = malformed(offset, offset == 0 ? "empty document" : "no JSON value"));
    if (string_open()) return *(error = located(malformed(offset, "the document ends inside a string (truncated?)")));
    if (!stack.empty()) {
      return *(error = located(malformed(offset, fmt::format("the document ends at depth {} (truncated?)", stack.size()))));
    }
    if (header_fields.empty()) parse_header();
    return {};
  }

  // Top-level "key" : "string" pairs in the bytes before the first section.
  void parse_header() {
    std::string_view p = prefix;
    std::size_t i = p.find('{');
    if (i == std::string_view::npos) return;
    ++i;
    for (;;) {
      while (i < p.size() && (is_space(p[i]) || p[i] == ',')) ++i;
      if (i >= p.size() || p[i] != '"') return;
      const std::size_t key_end = p.find('"', i + 1);
      if (key_end == std::string_view::npos) return;
      std::string key(p.substr(i + 1, key_end - i - 1));
      i = key_end + 1;
      while (i < p.size() && (is_space(p[i]) || p[i] == ':')) ++i;
      if (i >= p.size() || p[i] != '"') return;  // the first non-string value ends the header
      std::size_t j = i + 1;
      while (j < p.size() && p[j] != '"') j += p[j] == '\\' ? 2 : 1;
      if (j >= p.size()) return;
      header_fields[std::move(key)] = std::string(p.substr(i + 1, j - i - 1));
      i = j + 1;
    }
  }
};

JsonSectionSplitter::JsonSectionSplitter(std::vector<std::vector<std::string>> sections, std::size_t segment_bytes,
                                         Emit emit)
    : impl_(std::make_unique<Impl>(std::move(sections), segment_bytes, std::move(emit))) {}

JsonSectionSplitter::~JsonSectionSplitter() = default;

Result<void> JsonSectionSplitter::feed(std::string_view chunk) { return impl_->feed(chunk); }
Result<void> JsonSectionSplitter::finish() { return impl_->finish(); }
const std::map<std::string, std::string>& JsonSectionSplitter::header() const { return impl_->header_fields; }
std::uint64_t JsonSectionSplitter::bytes_scanned() const { return impl_->offset; }
const std::vector<bool>& JsonSectionSplitter::sections_seen() const { return impl_->seen; }
void JsonSectionSplitter::use_scalar_scanner_for_testing() { impl_->scalar = true; }

}  // namespace pricepipe::stages
