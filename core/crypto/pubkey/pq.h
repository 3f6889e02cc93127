// Factorization of the handshake's `pq` (req_pq_multi -> resPQ).
//
// The server sends pq, a product of two distinct primes p < q that fits in 64
// bits (in practice about 63 bits), as a big-endian byte string. The client
// must split it to prove work. We use Pollard-Brent's rho with Montgomery
// multiplication on unsigned __int128 (native and wasm). It is deterministic:
// the polynomial constants come from a fixed sequence, so equal inputs give
// equal work. A 63-bit pq takes well under a millisecond.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(PqFactors f, FactorizePq(res_pq.pq));
//   Bytes p = PqFactorToBytes(f.p);   // for p_q_inner_data
//   Bytes q = PqFactorToBytes(f.q);
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_PQ_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_PQ_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::crypto {

struct PqFactors {
  uint64_t p = 0;  // the smaller prime
  uint64_t q = 0;  // the larger prime
};

// Factorizes the big-endian `pq` (1..8 bytes, leading zeros allowed) into
// two primes p < q. Errors (InvalidArgument, each naming the problem):
//   "pq: empty", "pq: longer than 8 bytes", "pq: less than 6" (no product of
//   two distinct primes is smaller), "pq: is prime", "pq: is the square of a
//   prime", "pq: has more than two prime factors".
absl::StatusOr<PqFactors> FactorizePq(ByteView pq);
absl::StatusOr<PqFactors> FactorizePq(uint64_t pq);

// The minimal big-endian encoding of a factor (how p and q go on the wire).
Bytes PqFactorToBytes(uint64_t v);

// Deterministic Miller-Rabin for 64-bit integers (exact for every n < 2^64).
bool IsPrime64(uint64_t n);

// One non-trivial divisor of the composite `n` > 3 (trial division by d < 256,
// then Pollard-Brent); returns n itself if none was found (only possible
// for primes). Exposed for tests and the benchmark.
uint64_t FindDivisor64(uint64_t n);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_PQ_H_
