// Internal: the SHA-256 compression function, portable and SHA-NI.
// Use sha.h instead; this header exists so both can be tested and timed.
#ifndef MTCORE_CORE_CRYPTO_SHA256_BLOCKS_H_
#define MTCORE_CORE_CRYPTO_SHA256_BLOCKS_H_

#include <cstddef>
#include <cstdint>

#include "core/crypto/cpu_features.h"

namespace mtcore::crypto::internal {

// Compresses `blocks` 64-byte blocks of `data` into `state` (FIPS 180-4).
using Sha256BlocksFn = void (*)(uint32_t state[8], const uint8_t* data, size_t blocks);

// Plain C++ (what wasm runs).
void Sha256BlocksPortable(uint32_t state[8], const uint8_t* data, size_t blocks);

// The compression function for `impl` on this CPU (SHA-NI when asked for the
// fastest and the CPU has it). Detection happens once.
Sha256BlocksFn GetSha256Blocks(CryptoImpl impl);

}  // namespace mtcore::crypto::internal

#endif  // MTCORE_CORE_CRYPTO_SHA256_BLOCKS_H_
