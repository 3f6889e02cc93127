// RSA private keys for the simulated data center: generation from a
// RandomSource, PEM import/export and the raw private operation.
//
// The simulated DC makes its own 2048-bit key (Mbed TLS mbedtls_rsa_gen_key
// drawing from the injected RandomSource, so a seeded source gives the same
// key every time), publishes the public half as PEM, and decrypts what
// clients send with RSA_PAD or the legacy padding (see rsa_pad.h). Key
// material lives in an Mbed TLS context that is zeroized on destruction.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(RsaPrivateKey key, RsaPrivateKey::Generate(rng, 2048));
//   std::string pub_pem = key.public_key().ToPkcs1Pem();
//   MTCORE_ASSIGN_OR_RETURN(std::string priv_pem, key.ToPem());
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_RSA_PRIVATE_KEY_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_RSA_PRIVATE_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {

class RsaPrivateKey {
 public:
  // A fresh key with public exponent 65537; `bits` in 1024..4096.
  static absl::StatusOr<RsaPrivateKey> Generate(RandomSource& rng, int bits);
  // Parses "-----BEGIN RSA PRIVATE KEY-----" (PKCS#1) or
  // "-----BEGIN PRIVATE KEY-----" (PKCS#8, unencrypted) PEM.
  static absl::StatusOr<RsaPrivateKey> FromPem(std::string_view pem);

  RsaPrivateKey(RsaPrivateKey&&) noexcept;
  RsaPrivateKey& operator=(RsaPrivateKey&&) noexcept;
  ~RsaPrivateKey();

  const RsaPublicKey& public_key() const { return public_; }

  // PKCS#1 PEM of the whole key ("-----BEGIN RSA PRIVATE KEY-----").
  absl::StatusOr<std::string> ToPem() const;

  // m = c^d mod n (CRT, with blinding drawn from `rng`). `c` must be exactly
  // the modulus size and less than n; the result has the modulus size.
  absl::StatusOr<SecretBytes> RawDecrypt(ByteView c, RandomSource& rng) const;

 private:
  struct Impl;
  RsaPrivateKey(std::unique_ptr<Impl> impl, RsaPublicKey pub);
  static absl::StatusOr<RsaPrivateKey> FromImpl(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  RsaPublicKey public_;
};

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_RSA_PRIVATE_KEY_H_
