#include "core/crypto/aes_block.h"

#include <cstring>

#include "core/base/bytes.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace mtcore::crypto::internal {
namespace {

// ---- Tables, computed at compile time from GF(2^8) arithmetic ---------------

constexpr uint8_t GfMul(uint8_t a, uint8_t b) {
  uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) r ^= a;
    a = uint8_t((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return r;
}

constexpr uint32_t Rotl32(uint32_t x, int n) { return n == 0 ? x : (x << n) | (x >> (32 - n)); }

struct Tables {
  uint32_t te[4][256];  // SubBytes+MixColumns, one per input row
  uint32_t td[4][256];  // InvSubBytes+InvMixColumns
  uint8_t sbox[256];
  uint8_t inv_sbox[256];
};

constexpr Tables MakeTables() {
  Tables t{};
  uint8_t exp[256] = {}, log[256] = {};
  uint8_t p = 1;
  for (int i = 0; i < 255; ++i) {  // 3 generates GF(2^8)*
    exp[i] = p;
    log[p] = uint8_t(i);
    p = GfMul(p, 3);
  }
  for (int x = 0; x < 256; ++x) {
    uint8_t inv = x == 0 ? 0 : exp[(255 - log[x]) % 255];
    uint8_t s = inv;
    for (int k = 1; k <= 4; ++k) s ^= uint8_t((inv << k) | (inv >> (8 - k)));
    s ^= 0x63;
    t.sbox[x] = s;
    t.inv_sbox[s] = uint8_t(x);
  }
  for (int x = 0; x < 256; ++x) {
    uint8_t s = t.sbox[x];
    uint32_t e = uint32_t(GfMul(s, 2)) | uint32_t(s) << 8 | uint32_t(s) << 16 |
                 uint32_t(GfMul(s, 3)) << 24;
    uint8_t is = t.inv_sbox[x];
    uint32_t d = uint32_t(GfMul(is, 14)) | uint32_t(GfMul(is, 9)) << 8 |
                 uint32_t(GfMul(is, 13)) << 16 | uint32_t(GfMul(is, 11)) << 24;
    for (int r = 0; r < 4; ++r) {
      t.te[r][x] = Rotl32(e, 8 * r);
      t.td[r][x] = Rotl32(d, 8 * r);
    }
  }
  return t;
}

alignas(64) constexpr Tables kTables = MakeTables();

static_assert(kTables.sbox[0x00] == 0x63 && kTables.sbox[0x53] == 0xed, "AES S-box");
static_assert(kTables.inv_sbox[0x63] == 0x00, "AES inverse S-box");

inline uint32_t SubWord(uint32_t w) {
  const uint8_t* s = kTables.sbox;
  return uint32_t(s[w & 0xff]) | uint32_t(s[(w >> 8) & 0xff]) << 8 |
         uint32_t(s[(w >> 16) & 0xff]) << 16 | uint32_t(s[w >> 24]) << 24;
}

inline uint32_t InvMixColumn(uint32_t w) {
  const auto& td = kTables.td;
  const uint8_t* s = kTables.sbox;  // td includes InvSubBytes; undo it first
  return td[0][s[w & 0xff]] ^ td[1][s[(w >> 8) & 0xff]] ^ td[2][s[(w >> 16) & 0xff]] ^
         td[3][s[w >> 24]];
}

// ---- Portable block functions on little-endian column words -----------------

// The round loops are fully unrolled and inlined into the mode loops: under
// wasm this keeps the state in locals instead of a stack buffer. Each column
// XORs its four lookups as a tree, which shortens the serial chain IGE runs.
#define MTCORE_ALWAYS_INLINE __attribute__((always_inline))

MTCORE_ALWAYS_INLINE inline void EncryptWords(const uint32_t* rk, uint32_t s[4]) {
  const auto& te = kTables.te;
  uint32_t s0 = s[0] ^ rk[0], s1 = s[1] ^ rk[1], s2 = s[2] ^ rk[2], s3 = s[3] ^ rk[3];
#pragma GCC unroll 13
  for (int r = 1; r < 14; ++r) {
    rk += 4;
    uint32_t t0 = (te[0][s0 & 0xff] ^ te[1][(s1 >> 8) & 0xff]) ^
                  (te[2][(s2 >> 16) & 0xff] ^ te[3][s3 >> 24] ^ rk[0]);
    uint32_t t1 = (te[0][s1 & 0xff] ^ te[1][(s2 >> 8) & 0xff]) ^
                  (te[2][(s3 >> 16) & 0xff] ^ te[3][s0 >> 24] ^ rk[1]);
    uint32_t t2 = (te[0][s2 & 0xff] ^ te[1][(s3 >> 8) & 0xff]) ^
                  (te[2][(s0 >> 16) & 0xff] ^ te[3][s1 >> 24] ^ rk[2]);
    uint32_t t3 = (te[0][s3 & 0xff] ^ te[1][(s0 >> 8) & 0xff]) ^
                  (te[2][(s1 >> 16) & 0xff] ^ te[3][s2 >> 24] ^ rk[3]);
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  rk += 4;
  const uint8_t* sb = kTables.sbox;
  s[0] = (uint32_t(sb[s0 & 0xff]) | uint32_t(sb[(s1 >> 8) & 0xff]) << 8 |
          uint32_t(sb[(s2 >> 16) & 0xff]) << 16 | uint32_t(sb[s3 >> 24]) << 24) ^ rk[0];
  s[1] = (uint32_t(sb[s1 & 0xff]) | uint32_t(sb[(s2 >> 8) & 0xff]) << 8 |
          uint32_t(sb[(s3 >> 16) & 0xff]) << 16 | uint32_t(sb[s0 >> 24]) << 24) ^ rk[1];
  s[2] = (uint32_t(sb[s2 & 0xff]) | uint32_t(sb[(s3 >> 8) & 0xff]) << 8 |
          uint32_t(sb[(s0 >> 16) & 0xff]) << 16 | uint32_t(sb[s1 >> 24]) << 24) ^ rk[2];
  s[3] = (uint32_t(sb[s3 & 0xff]) | uint32_t(sb[(s0 >> 8) & 0xff]) << 8 |
          uint32_t(sb[(s1 >> 16) & 0xff]) << 16 | uint32_t(sb[s2 >> 24]) << 24) ^ rk[3];
}

MTCORE_ALWAYS_INLINE inline void DecryptWords(const uint32_t* rk, uint32_t s[4]) {
  const auto& td = kTables.td;
  uint32_t s0 = s[0] ^ rk[0], s1 = s[1] ^ rk[1], s2 = s[2] ^ rk[2], s3 = s[3] ^ rk[3];
#pragma GCC unroll 13
  for (int r = 1; r < 14; ++r) {
    rk += 4;
    uint32_t t0 = (td[0][s0 & 0xff] ^ td[1][(s3 >> 8) & 0xff]) ^
                  (td[2][(s2 >> 16) & 0xff] ^ td[3][s1 >> 24] ^ rk[0]);
    uint32_t t1 = (td[0][s1 & 0xff] ^ td[1][(s0 >> 8) & 0xff]) ^
                  (td[2][(s3 >> 16) & 0xff] ^ td[3][s2 >> 24] ^ rk[1]);
    uint32_t t2 = (td[0][s2 & 0xff] ^ td[1][(s1 >> 8) & 0xff]) ^
                  (td[2][(s0 >> 16) & 0xff] ^ td[3][s3 >> 24] ^ rk[2]);
    uint32_t t3 = (td[0][s3 & 0xff] ^ td[1][(s2 >> 8) & 0xff]) ^
                  (td[2][(s1 >> 16) & 0xff] ^ td[3][s0 >> 24] ^ rk[3]);
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  rk += 4;
  const uint8_t* ib = kTables.inv_sbox;
  s[0] = (uint32_t(ib[s0 & 0xff]) | uint32_t(ib[(s3 >> 8) & 0xff]) << 8 |
          uint32_t(ib[(s2 >> 16) & 0xff]) << 16 | uint32_t(ib[s1 >> 24]) << 24) ^ rk[0];
  s[1] = (uint32_t(ib[s1 & 0xff]) | uint32_t(ib[(s0 >> 8) & 0xff]) << 8 |
          uint32_t(ib[(s3 >> 16) & 0xff]) << 16 | uint32_t(ib[s2 >> 24]) << 24) ^ rk[1];
  s[2] = (uint32_t(ib[s2 & 0xff]) | uint32_t(ib[(s1 >> 8) & 0xff]) << 8 |
          uint32_t(ib[(s0 >> 16) & 0xff]) << 16 | uint32_t(ib[s3 >> 24]) << 24) ^ rk[2];
  s[3] = (uint32_t(ib[s3 & 0xff]) | uint32_t(ib[(s2 >> 8) & 0xff]) << 8 |
          uint32_t(ib[(s1 >> 16) & 0xff]) << 16 | uint32_t(ib[s0 >> 24]) << 24) ^ rk[3];
}

// Little-endian hosts (x86, wasm) copy words whole; clang does not merge the
// byte stores of StoreLe32 into one wasm store by itself.
inline void LoadWords(const uint8_t* p, uint32_t w[4]) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(w, p, 16);
#else
  for (int i = 0; i < 4; ++i) w[i] = LoadLe32(p + 4 * i);
#endif
}
inline void StoreWords(uint8_t* p, const uint32_t w[4]) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(p, w, 16);
#else
  for (int i = 0; i < 4; ++i) StoreLe32(p + 4 * i, w[i]);
#endif
}

void IgeEncryptPortable(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                        uint8_t* out, size_t blocks) {
  uint32_t c_prev[4], p_prev[4];
  LoadWords(iv, c_prev);
  LoadWords(iv + 16, p_prev);
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t p[4], x[4];
    LoadWords(in, p);
    for (int i = 0; i < 4; ++i) x[i] = p[i] ^ c_prev[i];
    EncryptWords(ks.enc, x);
    for (int i = 0; i < 4; ++i) {
      c_prev[i] = x[i] ^ p_prev[i];
      p_prev[i] = p[i];
    }
    StoreWords(out, c_prev);
  }
  StoreWords(iv, c_prev);
  StoreWords(iv + 16, p_prev);
}

void IgeDecryptPortable(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                        uint8_t* out, size_t blocks) {
  uint32_t c_prev[4], p_prev[4];
  LoadWords(iv, c_prev);
  LoadWords(iv + 16, p_prev);
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t c[4], x[4];
    LoadWords(in, c);
    for (int i = 0; i < 4; ++i) x[i] = c[i] ^ p_prev[i];
    DecryptWords(ks.dec, x);
    for (int i = 0; i < 4; ++i) {
      p_prev[i] = x[i] ^ c_prev[i];
      c_prev[i] = c[i];
    }
    StoreWords(out, p_prev);
  }
  StoreWords(iv, c_prev);
  StoreWords(iv + 16, p_prev);
}

inline void IncrementBe128(uint8_t counter[16]) {
  for (int i = 15; i >= 0; --i) {
    if (++counter[i] != 0) break;
  }
}

void CtrXorPortable(const Aes256Schedule& ks, uint8_t counter[16], const uint8_t* in,
                    uint8_t* out, size_t blocks) {
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t k[4], x[4];
    LoadWords(counter, k);
    EncryptWords(ks.enc, k);
    LoadWords(in, x);
    for (int i = 0; i < 4; ++i) x[i] ^= k[i];
    StoreWords(out, x);
    IncrementBe128(counter);
  }
}

// ---- AES-NI --------------------------------------------------------------------

#if defined(__x86_64__)
#define MTCORE_AESNI __attribute__((target("aes,sse2")))

MTCORE_AESNI inline void LoadKeys(const uint32_t* words, __m128i k[15]) {
  for (int i = 0; i < 15; ++i) k[i] = _mm_load_si128(reinterpret_cast<const __m128i*>(words + 4 * i));
}

// The chain per block is one XOR, 13 aesenc and one aesenclast: the first
// round key is folded into the plaintext and the output whitening (previous
// plaintext) into the last round key, both off the critical path.
MTCORE_AESNI void IgeEncryptAesNi(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                                  uint8_t* out, size_t blocks) {
  __m128i k[15];
  LoadKeys(ks.enc, k);
  __m128i c_prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iv));
  __m128i p_prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iv + 16));
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    const __m128i p = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    const __m128i last = _mm_xor_si128(k[14], p_prev);
    __m128i x = _mm_xor_si128(_mm_xor_si128(p, k[0]), c_prev);
#pragma GCC unroll 13
    for (int r = 1; r < 14; ++r) x = _mm_aesenc_si128(x, k[r]);
    x = _mm_aesenclast_si128(x, last);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
    c_prev = x;
    p_prev = p;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(iv), c_prev);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(iv + 16), p_prev);
}

MTCORE_AESNI void IgeDecryptAesNi(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                                  uint8_t* out, size_t blocks) {
  __m128i k[15];
  LoadKeys(ks.dec, k);
  __m128i c_prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iv));
  __m128i p_prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(iv + 16));
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    const __m128i last = _mm_xor_si128(k[14], c_prev);
    __m128i x = _mm_xor_si128(_mm_xor_si128(c, k[0]), p_prev);
#pragma GCC unroll 13
    for (int r = 1; r < 14; ++r) x = _mm_aesdec_si128(x, k[r]);
    x = _mm_aesdeclast_si128(x, last);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
    p_prev = x;
    c_prev = c;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(iv), c_prev);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(iv + 16), p_prev);
}

// CTR blocks are independent: eight in flight hide the aesenc latency.
MTCORE_AESNI void CtrXorAesNi(const Aes256Schedule& ks, uint8_t counter[16], const uint8_t* in,
                              uint8_t* out, size_t blocks) {
  __m128i k[15];
  LoadKeys(ks.enc, k);
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) {
    hi = hi << 8 | counter[i];
    lo = lo << 8 | counter[8 + i];
  }
  auto next_counter = [&]() MTCORE_AESNI {
    __m128i b = _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(lo)),
                               static_cast<long long>(__builtin_bswap64(hi)));
    if (++lo == 0) ++hi;
    return b;
  };
  constexpr int kLanes = 8;
  while (blocks >= kLanes) {
    __m128i x[kLanes];
#pragma GCC unroll 8
    for (int j = 0; j < kLanes; ++j) x[j] = _mm_xor_si128(next_counter(), k[0]);
#pragma GCC unroll 13
    for (int r = 1; r < 14; ++r) {
      const __m128i rk = k[r];
#pragma GCC unroll 8
      for (int j = 0; j < kLanes; ++j) x[j] = _mm_aesenc_si128(x[j], rk);
    }
#pragma GCC unroll 8
    for (int j = 0; j < kLanes; ++j) {
      x[j] = _mm_aesenclast_si128(x[j], k[14]);
      __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16 * j));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j), _mm_xor_si128(d, x[j]));
    }
    in += 16 * kLanes;
    out += 16 * kLanes;
    blocks -= kLanes;
  }
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    __m128i x = _mm_xor_si128(next_counter(), k[0]);
    for (int r = 1; r < 14; ++r) x = _mm_aesenc_si128(x, k[r]);
    x = _mm_aesenclast_si128(x, k[14]);
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_xor_si128(d, x));
  }
  for (int i = 7; i >= 0; --i) {
    counter[i] = uint8_t(hi);
    counter[8 + i] = uint8_t(lo);
    hi >>= 8;
    lo >>= 8;
  }
}
#undef MTCORE_AESNI
#endif  // __x86_64__

constexpr AesKernels kPortableKernels = {&IgeEncryptPortable, &IgeDecryptPortable,
                                         &CtrXorPortable};
#if defined(__x86_64__)
constexpr AesKernels kAesNiKernels = {&IgeEncryptAesNi, &IgeDecryptAesNi, &CtrXorAesNi};
#endif

}  // namespace

void Aes256Schedule::Expand(const uint8_t key[32]) {
  for (int i = 0; i < 8; ++i) enc[i] = LoadLe32(key + 4 * i);
  uint32_t rcon = 1;
  for (int i = 8; i < 60; ++i) {
    uint32_t t = enc[i - 1];
    if (i % 8 == 0) {
      t = SubWord((t >> 8) | (t << 24)) ^ rcon;
      rcon = GfMul(uint8_t(rcon), 2);
    } else if (i % 8 == 4) {
      t = SubWord(t);
    }
    enc[i] = enc[i - 8] ^ t;
  }
  for (int c = 0; c < 4; ++c) {
    dec[c] = enc[56 + c];
    dec[56 + c] = enc[c];
  }
  for (int r = 1; r < 14; ++r) {
    for (int c = 0; c < 4; ++c) dec[4 * r + c] = InvMixColumn(enc[4 * (14 - r) + c]);
  }
}

void Aes256Schedule::Wipe() {
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(enc), sizeof(enc)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(dec), sizeof(dec)));
}

const AesKernels& GetAesKernels(CryptoImpl impl) {
#if defined(__x86_64__)
  static const AesKernels* const fastest =
      GetCpuFeatures().aesni ? &kAesNiKernels : &kPortableKernels;
  if (impl == CryptoImpl::kFastest) return *fastest;
#else
  (void)impl;
#endif
  return kPortableKernels;
}

void Aes256EncryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]) {
  uint32_t s[4];
  LoadWords(in, s);
  EncryptWords(ks.enc, s);
  StoreWords(out, s);
}

void Aes256DecryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]) {
  uint32_t s[4];
  LoadWords(in, s);
  DecryptWords(ks.dec, s);
  StoreWords(out, s);
}

}  // namespace mtcore::crypto::internal
