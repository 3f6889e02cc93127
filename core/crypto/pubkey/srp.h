// SRP-2048 for Telegram's 2FA password check
// (passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow,
// core.telegram.org/api/srp).
//
// With H = SHA256 and SH(data, salt) = H(salt | data | salt):
//   x   = PH2 = SH(PBKDF2-HMAC-SHA512(SH(SH(password, salt1), salt2), salt1,
//                                     100000 iterations), salt2)
//   v   = g^x mod p                    (the server's stored verifier)
//   k   = H(p | g),  u = H(g_a | g_b)  (all group values padded to 256 bytes)
//   g_b = (k*v + g^b) mod p            (server, sent as srp_B)
//   g_a = g^a mod p                    (client)
//   s_a = (g_b - k*v)^(a + u*x) mod p, K = H(s_a)
//   M1  = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | K)
// The client checks p and g exactly as for the auth key DH (safe 2048-bit
// prime, g residue condition; see dh.h) and g_b's range, then sends
// inputCheckPasswordSRP{srp_id, A = g_a, M1}. The simulated DC holds v and
// checks M1 in constant time.
//
// Example (client):
//   MTCORE_ASSIGN_OR_RETURN(SrpClientProof proof,
//       SrpClientProve({salt1, salt2, g, p, srp_B}, password, cache, rng));
//   // send inputCheckPasswordSRP{srp_id, proof.g_a, proof.m1}
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_SRP_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_SRP_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {

inline constexpr int kSrpPbkdf2Iterations = 100000;

// What account.getPassword returns for the current algorithm.
struct SrpParams {
  ByteView salt1;
  ByteView salt2;
  uint32_t g = 0;
  ByteView p;      // 256 bytes
  ByteView srp_b;  // g_b, up to 256 bytes
};

struct SrpClientProof {
  Bytes g_a;                     // A, 256 bytes
  std::array<uint8_t, 32> m1{};  // M1
};

// x = PH2(password, salt1, salt2): 32 bytes.
SecretBytes SrpPasswordHash(ByteView password, ByteView salt1, ByteView salt2);

// The client math with a given secret `a` and no checks on p, g or g_b
// (p only has to be odd and > 1): for known answers, including the spec
// examples with a tiny p.
absl::StatusOr<SrpClientProof> SrpComputeProof(const BigInt& p, uint32_t g, ByteView salt1,
                                               ByteView salt2, ByteView g_b, const BigInt& a,
                                               ByteView password);

// The client: checks p and g (DH checks 1-5, errors "dh_prime: ..." / "g: ..."),
// g_b (errors "srp_B: ..."), draws a 2048-bit a from `rng`, and computes
// g_a and M1.
absl::StatusOr<SrpClientProof> SrpClientProve(const SrpParams& params, ByteView password,
                                              SafePrimeCache& cache, RandomSource& rng);

// The verifier v = g^x mod p (256 bytes) the server stores for a password.
absl::StatusOr<Bytes> SrpMakeVerifier(const DhGroup& group, ByteView password, ByteView salt1,
                                      ByteView salt2);

// The server side of one password check (the simulated DC).
class SrpServer {
 public:
  // Draws b from `rng` and computes g_b = (k*v + g^b) mod p.
  static absl::StatusOr<SrpServer> Start(const DhGroup& group, ByteView salt1, ByteView salt2,
                                         ByteView verifier, RandomSource& rng);

  // srp_B to send in account.password.
  const Bytes& g_b() const { return g_b_; }

  // Checks the client's A (errors "srp_A: ...") and M1:
  // PermissionDenied "SRP: M1 mismatch (wrong password)" if it is wrong.
  absl::Status Verify(ByteView g_a, ByteView m1) const;

 private:
  SrpServer(const DhGroup& group) : group_(group) {}
  DhGroup group_;
  Bytes salt1_, salt2_;
  BigInt v_;
  BigInt b_;  // secret, wiped on destruction
  Bytes g_b_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_SRP_H_
