// SHA-1, SHA-256, SHA-512, HMAC-SHA256 and PBKDF2-HMAC-SHA512.
//
// MTProto hashes everything: SHA-1 for auth_key_id and the handshake's nonce
// hashes, SHA-256 for msg_key and the MTProto 2.0 AES key/iv derivation
// (twice per message, so it is the hot one), SHA-512 inside PBKDF2 for the
// SRP 2FA password check.
//
// SHA-1 and SHA-512 come from Mbed TLS. SHA-256 is our own: on x86-64 CPUs
// with the SHA extensions it runs `sha256rnds2` intrinsics, elsewhere (and
// under wasm) a portable implementation; both give identical digests. The
// choice is made once, from CPUID; `CryptoImpl::kPortable` forces the
// portable code (for tests and benchmarks).
//
// All functions take `ByteView`s; the initializer_list forms hash the
// concatenation of the parts without building it.
//
// Example:
//   Sha256Digest d = Sha256({msg_key, ByteView(auth_key).subspan(0, 36)});
//   Sha256Hasher h;
//   h.Update(part1);
//   h.Update(part2);
//   Sha256Digest same = h.Finish();
#ifndef MTCORE_CORE_CRYPTO_SHA_H_
#define MTCORE_CORE_CRYPTO_SHA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "core/base/bytes.h"
#include "core/crypto/cpu_features.h"
#include "mbedtls/sha1.h"

namespace mtcore::crypto {

using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;
using Sha512Digest = std::array<uint8_t, 64>;

// One-shot digests of `data`, or of the concatenation of `parts`.
Sha1Digest Sha1(ByteView data);
Sha1Digest Sha1(std::initializer_list<ByteView> parts);
Sha256Digest Sha256(ByteView data);
Sha256Digest Sha256(std::initializer_list<ByteView> parts);
Sha512Digest Sha512(ByteView data);
Sha512Digest Sha512(std::initializer_list<ByteView> parts);

// Incremental SHA-1. Update() any number of times, then Finish() once; after
// Finish() the hasher starts over (as if newly constructed).
class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;

  void Update(ByteView data);
  Sha1Digest Finish();

 private:
  mbedtls_sha1_context ctx_;
};

// Incremental SHA-256, same contract as Sha1Hasher. Copyable (a copy carries
// the hash state: useful to hash a common prefix once).
class Sha256Hasher {
 public:
  explicit Sha256Hasher(CryptoImpl impl = CryptoImpl::kFastest);
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = default;
  Sha256Hasher& operator=(const Sha256Hasher&) = default;

  void Update(ByteView data);
  Sha256Digest Finish();

 private:
  void Reset();

  using BlocksFn = void (*)(uint32_t state[8], const uint8_t* data, size_t blocks);
  BlocksFn blocks_fn_;
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// SHA-256 of `data` with an explicit implementation (tests, benchmarks).
Sha256Digest Sha256With(CryptoImpl impl, ByteView data);

// HMAC-SHA256 (RFC 2104) of `data`, or of the concatenation of `parts`.
Sha256Digest HmacSha256(ByteView key, ByteView data);
Sha256Digest HmacSha256(ByteView key, std::initializer_list<ByteView> parts);

// PBKDF2 (RFC 8018) with HMAC-SHA512: `out_len` bytes derived from
// `password` and `salt` in `iterations` rounds (Telegram's 2FA uses 100000).
// `iterations` < 1 is treated as 1.
Bytes Pbkdf2HmacSha512(ByteView password, ByteView salt, int iterations, size_t out_len);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_SHA_H_
