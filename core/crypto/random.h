// The random-source interface used throughout core/ (never a global).
//
// core/ code never reads entropy itself: whatever needs randomness (nonces,
// DH exponents, padding, message ids' low bits) takes a `RandomSource&`.
// Production code passes an OS-backed CSPRNG from io/ (io/native/system_random.h,
// io/websocket/browser_random.h); tests and simulations pass a
// DeterministicRandom, which gives the same bytes for the same seed on every
// platform (native and wasm).
//
// Example:
//   DeterministicRandom rng(42);
//   uint8_t nonce[16];
//   rng.Fill(MutableByteView(nonce, 16));
//   uint64_t extra_blocks = RandomInRange(rng, 0, 15);
#ifndef MTCORE_CORE_CRYPTO_RANDOM_H_
#define MTCORE_CORE_CRYPTO_RANDOM_H_

#include <cstdint>

#include "core/base/bytes.h"
#include "core/crypto/aes_ctr.h"

namespace mtcore::crypto {

// A source of random bytes. Implementations used for secrets must be
// cryptographically secure. Fill() cannot fail (a CSPRNG that cannot get
// entropy must not hand out bytes; implementations document what they do).
class RandomSource {
 public:
  virtual ~RandomSource();
  // Overwrites all of `out` with random bytes.
  virtual void Fill(MutableByteView out) = 0;
};

// `n` random bytes.
Bytes RandomBytes(RandomSource& rng, size_t n);

// A uniformly random 64-bit value (little-endian from 8 random bytes).
uint64_t RandomU64(RandomSource& rng);

// Uniform in [0, bound) without modulo bias; 0 when bound is 0.
uint64_t RandomBelow(RandomSource& rng, uint64_t bound);

// Uniform in [lo, hi], both inclusive; `lo` when hi < lo.
uint64_t RandomInRange(RandomSource& rng, uint64_t lo, uint64_t hi);

// A reproducible generator for tests and simulation: the AES-256-CTR
// keystream (identical from AES-NI and portable AES, so from native and wasm)
// under
// key = SHA256("mtcore.DeterministicRandom" || le64(seed)), counter from zero.
// Not a source of secrets: anyone who knows the seed knows the output.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed);
  void Fill(MutableByteView out) override;

 private:
  AesCtr256 stream_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_RANDOM_H_
