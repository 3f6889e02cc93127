// Diffie-Hellman for the MTProto auth key exchange, with every check of the
// MTProto security guidelines (core.telegram.org/mtproto/security_guidelines).
//
// The server sends (dh_prime, g, g_a) in server_DH_inner_data. Before using
// them the client checks:
//   1. dh_prime is exactly 2048 bits (2^2047 < p < 2^2048);
//   2. dh_prime is prime and 3. (dh_prime - 1) / 2 is prime (a safe prime).
//      Telegram's well-known prime is accepted by comparison; any other is
//      tested with Miller-Rabin and the verdict kept in a SafePrimeCache that
//      the caller owns (no hidden global state);
//   4. g is in 2..7 and 5. g generates the subgroup of order (p-1)/2, i.e. g
//      is a quadratic residue mod p, which for these g reduces to a condition
//      on p mod 4g (g=2: p mod 8 = 7; g=3: p mod 3 = 2; g=4: none;
//      g=5: p mod 5 in {1,4}; g=6: p mod 24 in {19,23}; g=7: p mod 7 in {3,5,6});
//   6. 1 < g_a < p - 1 and 7. 2^(2048-64) <= g_a <= p - 2^(2048-64)
//      (the same for the client's own g_b).
// Each failed check returns InvalidArgument with its own message, starting
// with the name of the value checked ("dh_prime: ...", "g: ...", "g_a: ...").
//
// Example (client):
//   SafePrimeCache cache;                       // lives as long as the client
//   MTCORE_ASSIGN_OR_RETURN(DhGroup group,
//       DhGroup::Create(inner.dh_prime, inner.g, cache, rng));
//   MTCORE_ASSIGN_OR_RETURN(DhClientResult r, DhClientFinish(group, inner.g_a, rng));
//   // send r.g_b in client_DH_inner_data; r.auth_key is the 256-byte key.
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_DH_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_DH_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {

// Size of dh_prime and of every DH value on the wire.
inline constexpr size_t kDhPrimeBytes = 256;
// Miller-Rabin rounds used for p and (p-1)/2 (error below 2^-64 each).
inline constexpr int kDhMillerRabinRounds = 32;

// Telegram's 2048-bit safe prime (the dh_prime of the auth key worked example,
// also the SRP p): 256 big-endian bytes.
ByteView TelegramDhPrime();

// Remembers primes that passed the safe-prime test, so a client that sees the
// same dh_prime again does not repeat Miller-Rabin. Holds at most `capacity`
// primes (oldest replaced first). Not thread-safe: one per client.
class SafePrimeCache {
 public:
  explicit SafePrimeCache(size_t capacity = 4) : capacity_(capacity == 0 ? 1 : capacity) {}
  bool Contains(ByteView p) const;
  void Insert(ByteView p);
  size_t size() const { return entries_.size(); }

 private:
  size_t capacity_;
  size_t next_ = 0;
  std::vector<Bytes> entries_;
};

// Checks 1-3 on the big-endian `dh_prime`: "dh_prime: must be 2048 bits ...",
// "dh_prime: not prime", "dh_prime: (p-1)/2 not prime (not a safe prime)".
absl::Status CheckDhPrime(ByteView dh_prime, SafePrimeCache& cache, RandomSource& rng);

// Checks 4-5 for any p (also tiny ones): "g: must be in 2..7 (got N)" and
// "g: quadratic residue condition fails: g=G needs ...".
absl::Status CheckDhGenerator(const BigInt& p, uint32_t g);

// Checks 2-5 without the size check and without a cache: p and (p-1)/2 prime,
// then CheckDhGenerator. Works on small numbers (the SRP spec's examples).
absl::Status CheckSafePrimeAndGenerator(const BigInt& p, uint32_t g, RandomSource& rng);

// Checks 6-7 on a public value `g_x` named `name` ("g_a", "g_b"):
// "<name>: must be > 1", "<name>: must be < dh_prime - 1",
// "<name>: below 2^1984", "<name>: above dh_prime - 2^1984".
// `p` must be a 2048-bit prime.
absl::Status CheckDhPublicValue(const BigInt& p, const BigInt& g_x, std::string_view name);

// A validated (dh_prime, g) pair.
class DhGroup {
 public:
  // Runs checks 1-5.
  static absl::StatusOr<DhGroup> Create(ByteView dh_prime, uint32_t g, SafePrimeCache& cache,
                                        RandomSource& rng);
  const BigInt& p() const { return p_; }
  uint32_t g() const { return g_; }

 private:
  DhGroup(BigInt p, uint32_t g) : p_(std::move(p)), g_(g) {}
  BigInt p_;
  uint32_t g_;
};

// The client's half: g_b to send and the resulting auth_key (256 bytes).
struct DhClientResult {
  Bytes g_b;
  SecretBytes auth_key;
};

// Checks the server's g_a (6-7), draws a 2048-bit b from `rng` (again if g_b
// would fail 6-7), and computes g_b = g^b and auth_key = g_a^b mod p.
absl::StatusOr<DhClientResult> DhClientFinish(const DhGroup& group, ByteView g_a,
                                              RandomSource& rng);
// The same with a given secret exponent b (known-answer tests); fails with
// "g_b: ..." if g^b violates checks 6-7.
absl::StatusOr<DhClientResult> DhClientFinishWithSecret(const DhGroup& group, ByteView g_a,
                                                        const BigInt& b);

// The server's half (the simulated DC): a secret exponent a and g_a = g^a.
struct DhServerKey {
  BigInt a;  // wiped on destruction
  Bytes g_a;
};
absl::StatusOr<DhServerKey> DhServerStart(const DhGroup& group, RandomSource& rng);
// Checks the client's g_b (6-7) and returns auth_key = g_b^a mod p.
absl::StatusOr<SecretBytes> DhServerFinish(const DhGroup& group, const DhServerKey& key,
                                           ByteView g_b);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_DH_H_
