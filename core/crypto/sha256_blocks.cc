#include "core/crypto/sha256_blocks.h"

#include "core/base/bytes.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mtcore::crypto::internal {
namespace {

alignas(16) constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

#if defined(__x86_64__)
// SHA-NI: two rounds per sha256rnds2; the state is kept as ABEF/CDGH halves.
__attribute__((target("sha,sse4.1,ssse3"))) void Sha256BlocksShaNi(uint32_t state[8],
                                                                  const uint8_t* data,
                                                                  size_t blocks) {
  const __m128i kByteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[0]));
  __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&state[4]));
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

  while (blocks-- > 0) {
    const __m128i abef_saved = abef;
    const __m128i cdgh_saved = cdgh;
    __m128i w[4];
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      if (g < 4) {
        w[g] = _mm_shuffle_epi8(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)), kByteSwap);
      }
      __m128i msg = _mm_add_epi32(w[g & 3],
                                  _mm_load_si128(reinterpret_cast<const __m128i*>(&kK[4 * g])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
      if (g >= 3 && g < 15) {
        // w[g+1] = sigma-mix of w[g-3] (already through msg1), w[g-1..g].
        __m128i t = _mm_alignr_epi8(w[g & 3], w[(g + 3) & 3], 4);
        __m128i next = _mm_add_epi32(w[(g + 1) & 3], t);
        w[(g + 1) & 3] = _mm_sha256msg2_epu32(next, w[g & 3]);
      }
      msg = _mm_shuffle_epi32(msg, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, msg);
      if (g >= 1 && g < 13) {
        w[(g + 3) & 3] = _mm_sha256msg1_epu32(w[(g + 3) & 3], w[g & 3]);
      }
    }
    abef = _mm_add_epi32(abef, abef_saved);
    cdgh = _mm_add_epi32(cdgh, cdgh_saved);
    data += 64;
  }

  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  dcba = _mm_blend_epi16(feba, dchg, 0xF0);
  hgfe = _mm_alignr_epi8(dchg, feba, 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[0]), dcba);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&state[4]), hgfe);
}
#endif

}  // namespace

void Sha256BlocksPortable(uint32_t state[8], const uint8_t* data, size_t blocks) {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  while (blocks-- > 0) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = LoadBe32(data + 4 * i);
    const uint32_t a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
    // One round; the eight working variables rotate by renaming, 8 rounds a step.
#define MTCORE_SHA256_ROUND(a, b, c, d, e, f, g, h, i, wi)                         \
  do {                                                                             \
    uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + (g ^ (e & (f ^ g))) + \
                  kK[i] + (wi);                                                    \
    uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) | (c & (a | b))); \
    d += t1;                                                                       \
    h = t1 + t2;                                                                   \
  } while (0)
#define MTCORE_SHA256_SCHED(i)                                                        \
  (w[(i)&15] += (Rotr(w[((i) + 14) & 15], 17) ^ Rotr(w[((i) + 14) & 15], 19) ^         \
                 (w[((i) + 14) & 15] >> 10)) +                                        \
                w[((i) + 9) & 15] +                                                   \
                (Rotr(w[((i) + 1) & 15], 7) ^ Rotr(w[((i) + 1) & 15], 18) ^ (w[((i) + 1) & 15] >> 3)))
    for (int i = 0; i < 16; i += 8) {
      MTCORE_SHA256_ROUND(a, b, c, d, e, f, g, h, i + 0, w[i + 0]);
      MTCORE_SHA256_ROUND(h, a, b, c, d, e, f, g, i + 1, w[i + 1]);
      MTCORE_SHA256_ROUND(g, h, a, b, c, d, e, f, i + 2, w[i + 2]);
      MTCORE_SHA256_ROUND(f, g, h, a, b, c, d, e, i + 3, w[i + 3]);
      MTCORE_SHA256_ROUND(e, f, g, h, a, b, c, d, i + 4, w[i + 4]);
      MTCORE_SHA256_ROUND(d, e, f, g, h, a, b, c, i + 5, w[i + 5]);
      MTCORE_SHA256_ROUND(c, d, e, f, g, h, a, b, i + 6, w[i + 6]);
      MTCORE_SHA256_ROUND(b, c, d, e, f, g, h, a, i + 7, w[i + 7]);
    }
    for (int i = 16; i < 64; i += 8) {
      MTCORE_SHA256_ROUND(a, b, c, d, e, f, g, h, i + 0, MTCORE_SHA256_SCHED(i + 0));
      MTCORE_SHA256_ROUND(h, a, b, c, d, e, f, g, i + 1, MTCORE_SHA256_SCHED(i + 1));
      MTCORE_SHA256_ROUND(g, h, a, b, c, d, e, f, i + 2, MTCORE_SHA256_SCHED(i + 2));
      MTCORE_SHA256_ROUND(f, g, h, a, b, c, d, e, i + 3, MTCORE_SHA256_SCHED(i + 3));
      MTCORE_SHA256_ROUND(e, f, g, h, a, b, c, d, i + 4, MTCORE_SHA256_SCHED(i + 4));
      MTCORE_SHA256_ROUND(d, e, f, g, h, a, b, c, i + 5, MTCORE_SHA256_SCHED(i + 5));
      MTCORE_SHA256_ROUND(c, d, e, f, g, h, a, b, i + 6, MTCORE_SHA256_SCHED(i + 6));
      MTCORE_SHA256_ROUND(b, c, d, e, f, g, h, a, i + 7, MTCORE_SHA256_SCHED(i + 7));
    }
#undef MTCORE_SHA256_ROUND
#undef MTCORE_SHA256_SCHED
    a += a0; b += b0; c += c0; d += d0; e += e0; f += f0; g += g0; h += h0;
    data += 64;
  }
  state[0] = a; state[1] = b; state[2] = c; state[3] = d;
  state[4] = e; state[5] = f; state[6] = g; state[7] = h;
}

Sha256BlocksFn GetSha256Blocks(CryptoImpl impl) {
#if defined(__x86_64__)
  static const Sha256BlocksFn fastest =
      GetCpuFeatures().sha ? &Sha256BlocksShaNi : &Sha256BlocksPortable;
  if (impl == CryptoImpl::kFastest) return fastest;
#else
  (void)impl;
#endif
  return &Sha256BlocksPortable;
}

}  // namespace mtcore::crypto::internal
