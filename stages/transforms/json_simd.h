// Bit tricks for scanning JSON 64 bytes at a time (after simdjson's
// approach): which bytes are backslash-escaped, which are inside strings,
// and equality masks with AVX2. Functions marked with a target attribute
// must only run after `cpu_has_avx2_pclmul()`; callers keep a scalar path.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace pricepipe::stages::simd {

/// Which bytes are escaped by a backslash (the byte after an odd run of
/// backslashes). Runs are split into those starting on even and odd bit
/// positions; adding the run starts to the runs carries through each run
/// and tells its parity. `prev_escaped` carries an escape across blocks.
inline std::uint64_t escaped_bytes(std::uint64_t backslash, std::uint64_t& prev_escaped) {
  backslash &= ~prev_escaped;
  const std::uint64_t follows_escape = backslash << 1 | prev_escaped;
  constexpr std::uint64_t kEven = 0x5555555555555555ULL;
  const std::uint64_t odd_starts = backslash & ~kEven & ~follows_escape;
  std::uint64_t even_sequences = 0;
  prev_escaped = __builtin_add_overflow(odd_starts, backslash, &even_sequences) ? 1 : 0;
  const std::uint64_t invert = even_sequences << 1;
  return (kEven ^ invert) & follows_escape;
}

/// Bit i set when an odd number of bits at or below i are set: with the
/// quote mask, the bytes inside strings.
__attribute__((target("avx2,pclmul"))) inline std::uint64_t prefix_xor(std::uint64_t bits) {
  const __m128i all_ones = _mm_set1_epi8(static_cast<char>(0xFF));
  const __m128i r = _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<long long>(bits)), all_ones, 0);
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(r));
}

/// Which of the 64 bytes in (lo, hi) equal `c`.
__attribute__((target("avx2"))) inline std::uint64_t eq_mask(const __m256i lo, const __m256i hi, char c) {
  const __m256i v = _mm256_set1_epi8(c);
  const auto a = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)));
  const auto b = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)));
  return static_cast<std::uint64_t>(a) | (static_cast<std::uint64_t>(b) << 32);
}

inline bool cpu_has_avx2_pclmul() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
  return has;
}

}  // namespace pricepipe::stages::simd
