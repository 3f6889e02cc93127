// Internal: AES-256 key schedule and bulk IGE/CTR kernels.
//
// Two implementations of each kernel, with identical results:
//   - portable: table-driven AES in plain C++ (the wasm code, and the native
//     fallback), one 4 KiB table per direction over 64-bit "spread" columns.
//     Table lookups are indexed by secret data, so it is not cache-timing
//     hardened; on x86 CPUs with AES-NI it never runs by default.
//   - AES-NI: intrinsics over the same expanded key schedule (x86-64 only).
//   - wasm fast path (CryptoImpl::kFastest under wasm): the portable rounds
//     with the table addresses carried in the state's lanes, used when the
//     tables are linked into the first 64 KiB of linear memory.
// Use aes_ige.h / aes_ctr.h; this header is the shared engine.
#ifndef MTCORE_CORE_CRYPTO_AES_BLOCK_H_
#define MTCORE_CORE_CRYPTO_AES_BLOCK_H_

#include <cstddef>
#include <cstdint>

#include "core/crypto/cpu_features.h"

namespace mtcore::crypto::internal {

// The expanded AES-256 key: 15 round keys each way, as little-endian words
// (so on little-endian hosts, x86 and wasm, the bytes are the standard ones
// and AES-NI loads them directly).
struct Aes256Schedule {
  alignas(16) uint32_t enc[60];  // FIPS-197 round keys
  alignas(16) uint32_t dec[60];  // equivalent inverse cipher, in decryption order
  // The same round keys "spread" for the portable code: byte j of each word
  // moved to bits 16j+4..16j+11 (see aes_block.cc).
  uint64_t enc_spread[60];
  uint64_t dec_spread[60];
#if defined(__wasm__)
  // Spread by 8 with the table addresses in the lanes (wasm fast path).
  uint64_t enc_abs[60];
  uint64_t dec_abs[60];
#endif

  // Expands `key` (32 bytes).
  void Expand(const uint8_t key[32]);
  // Overwrites both schedules with zeros.
  void Wipe();
};

// Bulk kernels. `blocks` 16-byte blocks from `in` to `out`; `in` may equal
// `out` (exact aliasing only). IGE state `iv` (32 bytes: previous ciphertext,
// previous plaintext) and the CTR `counter` (16 bytes, big-endian) are
// advanced so the next call continues the stream.
struct AesKernels {
  void (*ige_encrypt)(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                      uint8_t* out, size_t blocks);
  void (*ige_decrypt)(const Aes256Schedule& ks, uint8_t iv[32], const uint8_t* in,
                      uint8_t* out, size_t blocks);
  // out = in XOR AES(counter), AES(counter+1), ...
  void (*ctr_xor)(const Aes256Schedule& ks, uint8_t counter[16], const uint8_t* in,
                  uint8_t* out, size_t blocks);
};

// The kernels for `impl` on this CPU (detected once).
const AesKernels& GetAesKernels(CryptoImpl impl);

// True when GetAesKernels(kFastest) is the wasm kernel with table addresses
// in the lanes (wasm builds whose tables landed in the first 64 KiB), so a
// test can tell that it exercises it.
bool FastestIsWasmAddressKernel();

// One block with the portable code (tests).
void Aes256EncryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]);
void Aes256DecryptBlockPortable(const Aes256Schedule& ks, const uint8_t in[16], uint8_t out[16]);

}  // namespace mtcore::crypto::internal

#endif  // MTCORE_CORE_CRYPTO_AES_BLOCK_H_
