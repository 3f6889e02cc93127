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
  uint32_t te[256];  // SubBytes+MixColumns of row 0 (row j: rotated left by 8j)
  uint32_t td[256];  // InvSubBytes+InvMixColumns of row 0
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
    t.te[x] = e;
    t.td[x] = d;
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
  return td[s[w & 0xff]] ^ Rotl32(td[s[(w >> 8) & 0xff]], 8) ^
         Rotl32(td[s[(w >> 16) & 0xff]], 16) ^ Rotl32(td[s[w >> 24]], 24);
}

// ---- Portable block functions ------------------------------------------------
//
// The state is four little-endian column words (byte j of word c is row j).
// Rounds 2..14 keep each column "spread" in a uint64_t: row j's byte b sits
// in bits 16j+4..16j+11 (16-bit lane j holds b * 16). XOR commutes with the
// spreading, so a round is still four table lookups XORed per column, but
// each lookup index comes out of the word already scaled to a 16-byte table
// row, in one or two instructions (w & 0xff0, low32 >> 16, ...) instead of
// shift + mask + scale. The one 4 KiB table per direction holds each
// SubBytes+MixColumns column twice in a row (16 bytes); reading 8 bytes at
// row offset 0, 6, 4 or 2 yields the column rotated for rows 0..3, so the
// four classic T-tables share one row. Under wasm the table address goes into
// the load's offset immediate (see TableLoad64), so a lookup is
// shift/mask + one load, with no address add on the serial chain IGE runs.

constexpr uint64_t Spread(uint32_t x) {
  uint64_t r = 0;
  for (int k = 0; k < 4; ++k) r |= uint64_t((x >> (8 * k)) & 0xff) << (16 * k + 4);
  return r;
}

struct LaneTables {
  uint64_t enc[256][2];   // Spread(te[b]), twice
  uint64_t dec[256][2];   // Spread(td[b]), twice
  uint64_t last[256][2];  // [0]: sbox[b] << 24, [1]: inv_sbox[b] << 24 (final round)
};

constexpr LaneTables MakeLaneTables() {
  LaneTables t{};
  for (int b = 0; b < 256; ++b) {
    t.enc[b][0] = t.enc[b][1] = Spread(kTables.te[b]);
    t.dec[b][0] = t.dec[b][1] = Spread(kTables.td[b]);
    t.last[b][0] = uint64_t(kTables.sbox[b]) << 24;
    t.last[b][1] = uint64_t(kTables.inv_sbox[b]) << 24;
  }
  return t;
}

alignas(64) constexpr LaneTables kLane = MakeLaneTables();

#define MTCORE_ALWAYS_INLINE __attribute__((always_inline))

// Row j of the table row at byte offset `idx` (row index * 16).
template <int j, bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint64_t TableLoad64(uint32_t idx) {
  const uint8_t* row0 =
      reinterpret_cast<const uint8_t*>(kDecrypt ? kLane.dec : kLane.enc) + ((8 - 2 * j) & 7);
#if defined(__wasm__)
  // clang 14 emits `i32.add idx, table` + load (the add is not known not to
  // wrap); spelling the load lets the table address be its offset immediate.
  uint64_t v;
  __asm__("local.get %1\n\ti64.load %2\n\tlocal.set %0" : "=r"(v) : "r"(idx), "i"(row0));
  return v;
#else
  uint64_t v;
  std::memcpy(&v, row0 + idx, 8);
  return v;
#endif
}

// The final-round S-box byte of row index `idx` (* 16), placed in byte j.
template <int j, bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint32_t LastLoad32(uint32_t idx) {
  const uint8_t* row0 = reinterpret_cast<const uint8_t*>(kLane.last) + (kDecrypt ? 8 : 0) + 3 - j;
#if defined(__wasm__)
  uint32_t v;
  __asm__("local.get %1\n\ti32.load %2\n\tlocal.set %0" : "=r"(v) : "r"(idx), "i"(row0));
  return v;
#else
  uint32_t v;
  std::memcpy(&v, row0 + idx, 4);
  return v;
#endif
}

// Lane j of a spread column: its byte * 16.
template <int j>
MTCORE_ALWAYS_INLINE inline uint32_t Lane(uint64_t w) {
  if (j == 0) return uint32_t(w) & 0xff0;
  if (j == 1) return uint32_t(w) >> 16;
  if (j == 2) return uint32_t(w >> 32) & 0xff0;
  return uint32_t(w >> 48);
}

// Byte j of a plain column word, * 16.
template <int j>
MTCORE_ALWAYS_INLINE inline uint32_t Byte16(uint32_t s) {
  if constexpr (j == 0) {
    return (s << 4) & 0xff0;
  } else {
    return (s >> (8 * j - 4)) & 0xff0;
  }
}

// Keeps clang from re-associating an XOR chain (it would otherwise put the
// round key last, a step after the slowest lookup).
#if defined(__wasm__)
#define MTCORE_PIN(x) __asm__("" : "+r"(x))
#else
#define MTCORE_PIN(x) (void)0
#endif

// t0..t3 are lookups for rows 0..3: rows 0 and 1 come one instruction earlier.
MTCORE_ALWAYS_INLINE inline uint64_t Xor5(uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                                          uint64_t k) {
  uint64_t a = t0 ^ k;
  MTCORE_PIN(a);
  a ^= t1;
  MTCORE_PIN(a);
  uint64_t b = t2 ^ t3;
  MTCORE_PIN(b);
  return a ^ b;
}

// One AES-256 block on plain column words. Column c of a round reads row j
// from column (c + j) for encryption (ShiftRows) and (c - j) for decryption.
template <bool kDecrypt>
MTCORE_ALWAYS_INLINE inline void CryptWords(const Aes256Schedule& ks, uint32_t s[4]) {
  constexpr int kStep = kDecrypt ? 3 : 1;
  const uint32_t* rk = kDecrypt ? ks.dec : ks.enc;
  const uint64_t* rk64 = kDecrypt ? ks.dec_spread : ks.enc_spread;
  const uint32_t a[4] = {s[0] ^ rk[0], s[1] ^ rk[1], s[2] ^ rk[2], s[3] ^ rk[3]};
  uint64_t w[4];
  for (int c = 0; c < 4; ++c) {  // round 1, from plain words
    w[c] = Xor5(TableLoad64<0, kDecrypt>(Byte16<0>(a[c])),
                TableLoad64<1, kDecrypt>(Byte16<1>(a[(c + kStep) & 3])),
                TableLoad64<2, kDecrypt>(Byte16<2>(a[(c + 2 * kStep) & 3])),
                TableLoad64<3, kDecrypt>(Byte16<3>(a[(c + 3 * kStep) & 3])), rk64[4 + c]);
  }
#pragma GCC unroll 12
  for (int r = 2; r < 14; ++r) {
    uint64_t v[4];
    for (int c = 0; c < 4; ++c) {
      v[c] = Xor5(TableLoad64<0, kDecrypt>(Lane<0>(w[c])),
                  TableLoad64<1, kDecrypt>(Lane<1>(w[(c + kStep) & 3])),
                  TableLoad64<2, kDecrypt>(Lane<2>(w[(c + 2 * kStep) & 3])),
                  TableLoad64<3, kDecrypt>(Lane<3>(w[(c + 3 * kStep) & 3])), rk64[4 * r + c]);
    }
    for (int c = 0; c < 4; ++c) w[c] = v[c];
  }
  for (int c = 0; c < 4; ++c) {  // round 14: SubBytes, ShiftRows, AddRoundKey
    s[c] = ((LastLoad32<0, kDecrypt>(Lane<0>(w[c])) |
             LastLoad32<1, kDecrypt>(Lane<1>(w[(c + kStep) & 3]))) |
            (LastLoad32<2, kDecrypt>(Lane<2>(w[(c + 2 * kStep) & 3])) |
             LastLoad32<3, kDecrypt>(Lane<3>(w[(c + 3 * kStep) & 3])))) ^
           rk[56 + c];
  }
}

// The block function the mode loops run, as a type (Cipher::Crypt<kDecrypt>).
struct RelativeCipher {
  template <bool kDecrypt>
  MTCORE_ALWAYS_INLINE static void Crypt(const Aes256Schedule& ks, uint32_t s[4]) {
    CryptWords<kDecrypt>(ks, s);
  }
};

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

template <class Cipher>
void IgeEncryptT(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in, uint8_t* out,
                 size_t blocks) {
  uint32_t c_prev[4], p_prev[4];
  LoadWords(iv, c_prev);
  LoadWords(iv + 16, p_prev);
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t p[4], x[4];
    LoadWords(in, p);
    for (int i = 0; i < 4; ++i) x[i] = p[i] ^ c_prev[i];
    Cipher::template Crypt<false>(ks, x);
    for (int i = 0; i < 4; ++i) {
      c_prev[i] = x[i] ^ p_prev[i];
      p_prev[i] = p[i];
    }
    StoreWords(out, c_prev);
  }
  StoreWords(iv, c_prev);
  StoreWords(iv + 16, p_prev);
}

template <class Cipher>
void IgeDecryptT(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in, uint8_t* out,
                 size_t blocks) {
  uint32_t c_prev[4], p_prev[4];
  LoadWords(iv, c_prev);
  LoadWords(iv + 16, p_prev);
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t c[4], x[4];
    LoadWords(in, c);
    for (int i = 0; i < 4; ++i) x[i] = c[i] ^ p_prev[i];
    Cipher::template Crypt<true>(ks, x);
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

template <class Cipher>
void CtrXorT(const Aes256Schedule& ks, uint8_t counter[16], const uint8_t* in, uint8_t* out,
             size_t blocks) {
  for (; blocks > 0; --blocks, in += 16, out += 16) {
    uint32_t k[4], x[4];
    LoadWords(counter, k);
    Cipher::template Crypt<false>(ks, k);
    LoadWords(in, x);
    for (int i = 0; i < 4; ++i) x[i] ^= k[i];
    StoreWords(out, x);
    IncrementBe128(counter);
  }
}

#if defined(__wasm__)
// ---- wasm: table addresses carried in the lanes -------------------------------
//
// A load whose address is [memory base + index + offset] costs a cycle more
// than [memory base + index] on x86 (V8 keeps the memory base in a register),
// and IGE pays it 13 times per block on its serial chain. When the tables sit
// in the first 64 KiB of linear memory (static data starts at 1 KiB, so they
// do unless a program has ~60 KiB of constants linked before them), each
// 16-bit lane can hold a whole address: lane j = (address of row table j) +
// byte * 8. The tables are 2 KiB-aligned, so the address bits and the byte
// bits never overlap and XOR adds them; the round keys of rounds 1..13 carry
// the addresses (see Aes256Schedule::Expand) and the table rows do not, so
// every round's XOR of four rows and a round key yields addresses again:
// the next round's row tables after rounds 1..12, and after round 13 the
// final round's S-box table. Same results as CryptWords;
// GetAesKernels(kFastest) picks it when usable.

constexpr uint64_t Spread8(uint32_t x) {
  uint64_t r = 0;
  for (int k = 0; k < 4; ++k) r |= uint64_t((x >> (8 * k)) & 0xff) << (16 * k + 3);
  return r;
}

struct alignas(2048) AbsTables {
  uint64_t enc[4][256];  // Spread8 of row j's SubBytes+MixColumns column
  uint64_t dec[4][256];
  uint64_t last[257];  // sbox[b] << 24 | inv_sbox[b] << 56, then a zero row
};

constexpr AbsTables MakeAbsTables() {
  AbsTables t{};
  for (int j = 0; j < 4; ++j) {
    for (int b = 0; b < 256; ++b) {
      t.enc[j][b] = Spread8(Rotl32(kTables.te[b], 8 * j));
      t.dec[j][b] = Spread8(Rotl32(kTables.td[b], 8 * j));
    }
  }
  for (int b = 0; b < 256; ++b) {
    t.last[b] = uint64_t(kTables.sbox[b]) << 24 | uint64_t(kTables.inv_sbox[b]) << 56;
  }
  return t;
}

constexpr AbsTables kAbs = MakeAbsTables();

bool AbsTablesUsable() {
  return reinterpret_cast<uintptr_t>(&kAbs) + sizeof(kAbs) <= 65536;
}

// The lane addresses of the row tables of one direction, as a spread word.
uint64_t AbsLaneBases(bool decrypt) {
  uint64_t a = 0;
  for (int j = 0; j < 4; ++j) {
    a |= uint64_t(reinterpret_cast<uintptr_t>(decrypt ? kAbs.dec[j] : kAbs.enc[j])) << (16 * j);
  }
  return a;
}

// The final round's table address in every lane.
uint64_t AbsLastBases() {
  return uint64_t(reinterpret_cast<uintptr_t>(kAbs.last)) * 0x0001000100010001ull;
}

// A row at an absolute address.
MTCORE_ALWAYS_INLINE inline uint64_t AbsLoad64(uint32_t address) {
  uint64_t v;
  __asm__("local.get %1\n\ti64.load 0\n\tlocal.set %0" : "=r"(v) : "r"(address));
  return v;
}

// Row table j at byte offset `idx` (byte * 8), for round 1.
template <int j, bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint64_t AbsTableLoad64(uint32_t idx) {
  uint64_t v;
  __asm__("local.get %1\n\ti64.load %2\n\tlocal.set %0"
          : "=r"(v)
          : "r"(idx), "i"(kDecrypt ? kAbs.dec[j] : kAbs.enc[j]));
  return v;
}

// The final-round S-box byte at `address` (a row of kAbs.last), placed in
// byte j: the row's S-box byte sits in byte 3 and the inverse's in byte 7.
template <int j, bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint32_t AbsLastLoad32(uint32_t address) {
  uint32_t v;
  __asm__("local.get %1\n\ti32.load %2\n\tlocal.set %0"
          : "=r"(v)
          : "r"(address), "i"((kDecrypt ? 7 : 3) - j));
  return v;
}

template <int j>
MTCORE_ALWAYS_INLINE inline uint32_t Byte8(uint32_t s) {
  if constexpr (j == 0) {
    return (s << 3) & 0x7f8;
  } else {
    return (s >> (8 * j - 3)) & 0x7f8;
  }
}

// The wasm kernels run on a copy of the schedule at a fixed address (see
// RunOnFixedSchedule): a round-key load is then [memory base + constant], and
// no register holds the schedule's address while the rounds run. The rounds
// need every register V8 has; freeing that one measured ~7% faster IGE.
// Wasm modules here are single-threaded; the copy is wiped after each call.
Aes256Schedule g_fixed_schedule;

// Round key i (spread, with table addresses) of g_fixed_schedule. Volatile:
// clang must neither hoist the loads out of the block loop into variables
// (V8 would spill them) nor move them across the copy and the wipe.
template <bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint64_t FixedKey64(int i) {
  uint64_t v;
  // The address is a constant once inlined; V8 makes it the displacement.
  __asm__ volatile("local.get %1\n\ti64.load 0\n\tlocal.set %0"
                   : "=r"(v)
                   : "r"(kDecrypt ? &g_fixed_schedule.dec_abs[i] : &g_fixed_schedule.enc_abs[i]));
  return v;
}

// Plain round key word i of g_fixed_schedule (the final round's), loaded
// where it is used for the same reason as FixedKey64.
template <bool kDecrypt>
MTCORE_ALWAYS_INLINE inline uint32_t FixedKey32(int i) {
  uint32_t v;
  __asm__ volatile("local.get %1\n\ti32.load 0\n\tlocal.set %0"
                   : "=r"(v)
                   : "r"(kDecrypt ? &g_fixed_schedule.dec[i] : &g_fixed_schedule.enc[i]));
  return v;
}

// One block. `ks` must be g_fixed_schedule (its first plain round key is
// read through it, the other keys through FixedKey64 / FixedKey32).
//
// Each round is written input column by input column: the four output
// columns start from the round key, and each input column's four lanes are
// looked up and XORed into the output columns they feed (row j of input
// column i goes to output column i - j for encryption, i + j for
// decryption). The dataflow is the classic one; what changes is the order V8
// sees, and with it how long values live: an input column dies after its
// four lookups, so the round fits V8's x64 registers with few spills
// (measured under node 20: ~100 -> ~87 stack accesses per block, and ~10%
// faster IGE than the column-by-column order over 32-bit halves). Lanes are
// read straight from the 64-bit column (the halves version needed eight
// live values per round and spilled more).
template <bool kDecrypt>
MTCORE_ALWAYS_INLINE inline void CryptWordsAbs(const Aes256Schedule& ks, uint32_t s[4]) {
  constexpr int kStep = kDecrypt ? 3 : 1;
  const uint32_t* rk = kDecrypt ? ks.dec : ks.enc;
  const uint32_t a[4] = {s[0] ^ rk[0], s[1] ^ rk[1], s[2] ^ rk[2], s[3] ^ rk[3]};
  uint64_t w[4];
  for (int c = 0; c < 4; ++c) w[c] = FixedKey64<kDecrypt>(4 + c);
  for (int i = 0; i < 4; ++i) {  // round 1, from plain words
    w[i] ^= AbsTableLoad64<0, kDecrypt>(Byte8<0>(a[i]));
    w[(i - kStep) & 3] ^= AbsTableLoad64<1, kDecrypt>(Byte8<1>(a[i]));
    w[(i - 2 * kStep) & 3] ^= AbsTableLoad64<2, kDecrypt>(Byte8<2>(a[i]));
    w[(i - 3 * kStep) & 3] ^= AbsTableLoad64<3, kDecrypt>(Byte8<3>(a[i]));
  }
#pragma GCC unroll 12
  for (int r = 2; r < 14; ++r) {
    uint64_t v[4];
    for (int c = 0; c < 4; ++c) v[c] = FixedKey64<kDecrypt>(4 * r + c);
    for (int i = 0; i < 4; ++i) {
      v[i] ^= AbsLoad64(uint32_t(w[i]) & 0xffff);
      v[(i - kStep) & 3] ^= AbsLoad64(uint32_t(w[i]) >> 16);
      v[(i - 2 * kStep) & 3] ^= AbsLoad64(uint32_t(w[i] >> 32) & 0xffff);
      v[(i - 3 * kStep) & 3] ^= AbsLoad64(uint32_t(w[i] >> 48));
    }
    for (int c = 0; c < 4; ++c) w[c] = v[c];
  }
  // Round 14. Round 13's key put the final-round table's address in every
  // lane; each lookup yields one S-box byte already in its row's place.
  uint32_t o[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    o[i] |= AbsLastLoad32<0, kDecrypt>(uint32_t(w[i]) & 0xffff);
    o[(i - kStep) & 3] |= AbsLastLoad32<1, kDecrypt>(uint32_t(w[i]) >> 16);
    o[(i - 2 * kStep) & 3] |= AbsLastLoad32<2, kDecrypt>(uint32_t(w[i] >> 32) & 0xffff);
    o[(i - 3 * kStep) & 3] |= AbsLastLoad32<3, kDecrypt>(uint32_t(w[i] >> 48));
  }
  for (int c = 0; c < 4; ++c) s[c] = o[c] ^ FixedKey32<kDecrypt>(56 + c);
}

// Only valid inside RunOnFixedSchedule (see CryptWordsAbs).
struct AbsoluteCipher {
  template <bool kDecrypt>
  MTCORE_ALWAYS_INLINE static void Crypt(const Aes256Schedule& ks, uint32_t s[4]) {
    CryptWordsAbs<kDecrypt>(ks, s);
  }
};
#endif  // __wasm__

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

constexpr AesKernels kPortableKernels = {&IgeEncryptT<RelativeCipher>,
                                         &IgeDecryptT<RelativeCipher>, &CtrXorT<RelativeCipher>};
#if defined(__wasm__)
// Runs a mode loop over AbsoluteCipher on a copy of the round keys of one
// direction of `ks` at the fixed address (the rest of g_fixed_schedule stays
// zero), wiping the copy afterwards.
template <void (*kKernel)(const Aes256Schedule&, uint8_t*, const uint8_t*, uint8_t*, size_t),
          bool kDecrypt>
void RunOnFixedSchedule(const Aes256Schedule& ks, uint8_t* state, const uint8_t* in,
                        uint8_t* out, size_t blocks) {
  uint32_t* words = kDecrypt ? g_fixed_schedule.dec : g_fixed_schedule.enc;
  uint64_t* spread = kDecrypt ? g_fixed_schedule.dec_abs : g_fixed_schedule.enc_abs;
  std::memcpy(words, kDecrypt ? ks.dec : ks.enc, sizeof(ks.enc));
  std::memcpy(spread, kDecrypt ? ks.dec_abs : ks.enc_abs, sizeof(ks.enc_abs));
  kKernel(g_fixed_schedule, state, in, out, blocks);
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(words), sizeof(ks.enc)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(spread), sizeof(ks.enc_abs)));
}

constexpr AesKernels kWasmAbsKernels = {
    &RunOnFixedSchedule<&IgeEncryptT<AbsoluteCipher>, false>,
    &RunOnFixedSchedule<&IgeDecryptT<AbsoluteCipher>, true>,
    &RunOnFixedSchedule<&CtrXorT<AbsoluteCipher>, false>};
#endif
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
  for (int i = 0; i < 60; ++i) {
    enc_spread[i] = Spread(enc[i]);
    dec_spread[i] = Spread(dec[i]);
  }
#if defined(__wasm__)
  // Rounds 1..12 lead to the next round's row tables; round 13 to the
  // final round's S-box table (see CryptWordsAbs).
  const bool usable = AbsTablesUsable();
  const uint64_t enc_bases = usable ? AbsLaneBases(false) : 0;
  const uint64_t dec_bases = usable ? AbsLaneBases(true) : 0;
  const uint64_t last_bases = usable ? AbsLastBases() : 0;
  for (int i = 0; i < 60; ++i) {
    const bool to_last = i >= 52 && i < 56;
    enc_abs[i] = Spread8(enc[i]) ^ (to_last ? last_bases : enc_bases);
    dec_abs[i] = Spread8(dec[i]) ^ (to_last ? last_bases : dec_bases);
  }
#endif
}

void Aes256Schedule::Wipe() {
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(enc), sizeof(enc)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(dec), sizeof(dec)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(enc_spread), sizeof(enc_spread)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(dec_spread), sizeof(dec_spread)));
#if defined(__wasm__)
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(enc_abs), sizeof(enc_abs)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(dec_abs), sizeof(dec_abs)));
#endif
}

const AesKernels& GetAesKernels(CryptoImpl impl) {
#if defined(__x86_64__)
  static const AesKernels* const fastest =
      GetCpuFeatures().aesni ? &kAesNiKernels : &kPortableKernels;
  if (impl == CryptoImpl::kFastest) return *fastest;
#elif defined(__wasm__)
  static const AesKernels* const fastest =
      AbsTablesUsable() ? &kWasmAbsKernels : &kPortableKernels;
  if (impl == CryptoImpl::kFastest) return *fastest;
#else
  (void)impl;
#endif
  return kPortableKernels;
}

bool FastestIsWasmAddressKernel() {
#if defined(__wasm__)
  return &GetAesKernels(CryptoImpl::kFastest) == &kWasmAbsKernels;
#else
  return false;
#endif
}

void Aes256EncryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]) {
  uint32_t s[4];
  LoadWords(in, s);
  CryptWords<false>(ks, s);
  StoreWords(out, s);
}

void Aes256DecryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]) {
  uint32_t s[4];
  LoadWords(in, s);
  CryptWords<true>(ks, s);
  StoreWords(out, s);
}

}  // namespace mtcore::crypto::internal
