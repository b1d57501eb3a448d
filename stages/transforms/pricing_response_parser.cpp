#include "stages/transforms/pricing_response_parser.h"

#include <cstring>

#include <simdjson.h>

#include "stages/transforms/ec2_xml_parser.h"
#include "stages/transforms/json_error_locator.h"
#include "stages/transforms/json_simd.h"
#include "stages/transforms/json_string.h"

namespace pricepipe::stages {

namespace {

// The GetProducts envelope is `{"FormatVersion":"aws_v1","NextToken":…,
// "PriceList":["<item>", …]}` where each item is a JSON document inside a
// string, its quotes escaped as \". Building a DOM of the envelope only to
// copy those strings out took most of a page's time, so the envelope is read
// by hand: the end of each item is found 64 bytes at a time, and an item
// whose only escapes are \" (nearly all) is unescaped by dropping its
// backslashes, with AVX-512 compress where the CPU has it. An item with any
// other escape (\\, \u, \n in a description) goes through a full unescape.
class Envelope {
 public:
  explicit Envelope(std::string_view text) : t_(text) {}

  // Fills `doc`; false at the first deviation from the expected shape.
  bool read(PricingDocument& doc, std::string& why) {
    bool saw_version = false;
    bool saw_list = false;
    space();
    if (!take('{')) return false;
    space();
    if (take('}')) return done(why, saw_version, saw_list);
    for (;;) {
      space();
      std::string_view key;
      if (!plain_string(key)) return false;
      space();
      if (!take(':')) return false;
      space();
      if (key == "FormatVersion") {
        std::string_view version;
        if (!plain_string(version)) return false;
        if (version != "aws_v1") {
          why = "FormatVersion is '" + std::string(version) + "', not aws_v1";
          return false;
        }
        saw_version = true;
      } else if (key == "PriceList") {
        if (!price_list(doc, why)) return false;
        saw_list = true;
      } else if (!skip_value()) {
        return false;
      }
      space();
      if (take('}')) break;
      if (!take(',')) return false;
    }
    space();
    return i_ == t_.size() && done(why, saw_version, saw_list);
  }

 private:
  bool done(std::string& why, bool version, bool list) {
    if (!version) why = "no FormatVersion in the answer";
    if (!list) why = "no PriceList in the answer";
    return version && list;
  }

  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  bool take(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  void space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }

  // A short string without escapes (keys, the version).
  bool plain_string(std::string_view& out) {
    if (!take('"')) return false;
    const std::size_t start = i_;
    while (i_ < t_.size() && t_[i_] != '"') {
      if (t_[i_] == '\\' || static_cast<unsigned char>(t_[i_]) < 0x20) return false;
      ++i_;
    }
    if (i_ >= t_.size()) return false;
    out = t_.substr(start, i_ - start);
    ++i_;
    return true;
  }

  bool price_list(PricingDocument& doc, std::string& why) {
    if (!take('[')) {
      why = "PriceList is not an array";
      return false;
    }
    space();
    if (take(']')) return true;
    for (;;) {
      space();
      if (!take('"')) {
        why = "a PriceList entry is not a string";
        return false;
      }
      std::string item;
      if (!item_string(item)) return false;
      doc.items.push_back(std::move(item));
      space();
      if (take(']')) return true;
      if (!take(',')) return false;
    }
  }

  // The rest of a string whose opening quote was read, into `out` as JSON
  // that parses like the unescaped text (see above), padded for simdjson.
  bool item_string(std::string& out) {
    const std::size_t start = i_;
    std::size_t end = 0;
    bool only_quotes = true;
    if (!find_end(start, end, only_quotes)) return false;
    const std::size_t n = end - start;
    if (only_quotes) {
      out.resize(n + 64 + simdjson::SIMDJSON_PADDING);  // room for whole-block stores
      out.resize(remove_backslashes(t_.data() + start, out.data(), n));
    } else {
      out.reserve(n + simdjson::SIMDJSON_PADDING);
      if (!json_unescape(t_.substr(start, n), out)) return false;
    }
    i_ = end + 1;
    return true;
  }

  // The closing quote of the string starting at `start`; `only_quotes`
  // stays true while every escape is \".
  bool find_end(std::size_t start, std::size_t& end, bool& only_quotes) const {
    std::size_t i = start;
    std::uint64_t carry = 0;
    if (simd::cpu_has_avx2_pclmul() && find_end_avx2(i, carry, end, only_quotes)) return true;
    bool escape = carry != 0;
    for (; i < t_.size(); ++i) {
      const char c = t_[i];
      if (escape) {
        if (c != '"') only_quotes = false;
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        end = i;
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return false;
      }
    }
    return false;
  }

  // Whole 64-byte blocks with AVX2; when the end is not in them, leaves `i`
  // and `carry` (a backslash pending at the block edge) for the scalar loop.
  __attribute__((target("avx2,pclmul"))) bool find_end_avx2(std::size_t& i, std::uint64_t& carry, std::size_t& end,
                                                             bool& only_quotes) const {
    while (i + 64 <= t_.size()) {
      const char* p = t_.data() + i;
      const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      const std::uint64_t backslash = simd::eq_mask(lo, hi, '\\');
      const std::uint64_t quote = simd::eq_mask(lo, hi, '"');
      const std::uint64_t escaped = simd::escaped_bytes(backslash, carry);
      const std::uint64_t closing = quote & ~escaped;
      const std::uint64_t upto = closing ? (closing & (~closing + 1)) - 1 : ~0ULL;  // bytes before the end
      if ((escaped & ~quote & upto) != 0) only_quotes = false;
      if (closing) {
        end = i + static_cast<std::size_t>(__builtin_ctzll(closing));
        return true;
      }
      i += 64;
    }
    return false;
  }

  // Copies n bytes without their backslashes (each escapes a quote here);
  // returns the length written. `out` has room for n + 64 bytes.
  static std::size_t remove_backslashes(const char* in, char* out, std::size_t n) {
    static const bool vbmi2 = __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512bw");
    if (vbmi2) return remove_avx512(in, out, n);
    std::size_t w = 0;
    for (std::size_t i = 0; i < n; ++i) {
      out[w] = in[i];
      w += in[i] != '\\';
    }
    return w;
  }

  __attribute__((target("avx512f,avx512bw,avx512vbmi2"))) static std::size_t remove_avx512(const char* in, char* out,
                                                                                           std::size_t n) {
    const __m512i backslash = _mm512_set1_epi8('\\');
    std::size_t w = 0;
    for (std::size_t i = 0; i < n; i += 64) {
      const std::size_t left = n - i;
      const __mmask64 valid = left >= 64 ? ~__mmask64{0} : (__mmask64{1} << left) - 1;
      const __m512i v = _mm512_maskz_loadu_epi8(valid, in + i);
      const __mmask64 keep = _mm512_mask_cmpneq_epi8_mask(valid, v, backslash);
      _mm512_storeu_si512(out + w, _mm512_maskz_compress_epi8(keep, v));
      w += static_cast<std::size_t>(__builtin_popcountll(keep));
    }
    return w;
  }

  // Any JSON value the envelope does not use (NextToken, future fields).
  bool skip_value() {
    std::size_t depth = 0;
    do {
      space();
      const char c = peek();
      if (c == '"') {
        ++i_;
        std::size_t end = 0;
        bool only_quotes = true;
        if (!find_end(i_, end, only_quotes)) return false;
        i_ = end + 1;
      } else if (c == '{' || c == '[') {
        ++depth;
        ++i_;
        continue;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return false;
        --depth;
        ++i_;
      } else if (c == ',' || c == ':') {
        if (depth == 0) return false;
        ++i_;
        continue;
      } else {
        const std::size_t start = i_;
        while (i_ < t_.size() && std::strchr(",}] \n\r\t", t_[i_]) == nullptr) ++i_;
        if (i_ == start) return false;
      }
    } while (depth > 0);
    return true;
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

}  // namespace

Result<PricingDocument> PricingResponseParser::process(const net::Page& page) const {
  ErrorContext context = page_context(page);
  auto fail = [&](const std::string& what) {
    return Error(ErrorCode::malformed_response, "malformed response: " + what, context);
  };
  if (page.body.empty()) return fail("empty body");

  PricingDocument out;
  out.request_id = page.request_id;
  std::string why;
  if (!Envelope(page.body).read(out, why)) {
    // The fast reader stops at the first surprise; the validator says where.
    if (auto where = locate_json_error(page.body)) {
      context.offset = static_cast<std::int64_t>(where->offset);
      return fail("not well-formed JSON (" + where->what + ")");
    }
    return fail(why.empty() ? "unexpected JSON shape" : why);
  }
  return out;
}

}  // namespace pricepipe::stages
