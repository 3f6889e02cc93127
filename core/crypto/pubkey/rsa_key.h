// RSA public keys: PEM/DER parsing, PEM export and Telegram fingerprints.
//
// Telegram publishes its server keys as PEM. Two encodings occur:
//   -----BEGIN RSA PUBLIC KEY-----   PKCS#1 RSAPublicKey  SEQUENCE { n, e }
//   -----BEGIN PUBLIC KEY-----       SubjectPublicKeyInfo with rsaEncryption
// Both are parsed here by our own strict base64 and DER reader (definite
// lengths, minimal positive INTEGERs, no trailing bytes), so malformed input
// is rejected with a Status that says what was wrong and where.
//
// A key's Telegram fingerprint is the lower 64 bits (the last 8 bytes read as
// little-endian) of SHA1(TL bytes(n) + TL bytes(e)); resPQ lists the
// fingerprints of the keys the server holds and the client picks one it knows.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(RsaPublicKey key, ParseRsaPublicKeyPem(pem));
//   uint64_t fp = key.Fingerprint();    // 0xd09d1d85de64fd85 for prod
//   MTCORE_ASSIGN_OR_RETURN(const RsaPublicKey* chosen,
//                           FindKeyByFingerprint(known_keys, res_pq.fingerprints));
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_RSA_KEY_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_RSA_KEY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"

namespace mtcore::crypto {

class RsaPublicKey {
 public:
  // A key from its modulus and public exponent. Fails unless n is odd, at
  // least 512 and at most 4096 bits, and 3 <= e < n with e odd.
  static absl::StatusOr<RsaPublicKey> FromComponents(const BigInt& n, const BigInt& e);

  const BigInt& n() const { return n_; }
  const BigInt& e() const { return e_; }
  // Size of n in bytes (256 for the 2048-bit keys MTProto uses).
  size_t ModulusBytes() const { return (n_.BitLength() + 7) / 8; }

  // Telegram's fingerprint: lower 64 bits of SHA1(TL bytes(n) + TL bytes(e)).
  uint64_t Fingerprint() const;

  // PKCS#1 DER (SEQUENCE { INTEGER n, INTEGER e }) and its PEM
  // ("-----BEGIN RSA PUBLIC KEY-----", 64-character lines).
  Bytes ToPkcs1Der() const;
  std::string ToPkcs1Pem() const;
  // SubjectPublicKeyInfo DER and PEM ("-----BEGIN PUBLIC KEY-----").
  Bytes ToSpkiDer() const;
  std::string ToSpkiPem() const;

  // c = m^e mod n for m < n, as exactly ModulusBytes() big-endian bytes.
  absl::StatusOr<Bytes> RawEncrypt(const BigInt& m) const;

 private:
  RsaPublicKey(BigInt n, BigInt e) : n_(std::move(n)), e_(std::move(e)) {}
  BigInt n_;
  BigInt e_;
};

// Parses one PEM block of either kind (text before and after the block is
// ignored). Errors are InvalidArgument and name the failing part, e.g.
// "RSA PEM: no -----BEGIN RSA PUBLIC KEY----- or -----BEGIN PUBLIC KEY-----",
// "RSA PEM: bad base64 character at offset 17", "RSA DER: ...".
absl::StatusOr<RsaPublicKey> ParseRsaPublicKeyPem(std::string_view pem);

// Parses DER: PKCS#1 RSAPublicKey or SubjectPublicKeyInfo (rsaEncryption).
absl::StatusOr<RsaPublicKey> ParseRsaPublicKeyDer(ByteView der);

// The first key in `keys` whose fingerprint appears in `server_fingerprints`
// (the server's order of preference is not meaningful; ours is). NotFound
// "RSA: no known key matches server fingerprints [...]" otherwise.
absl::StatusOr<const RsaPublicKey*> FindKeyByFingerprint(
    absl::Span<const RsaPublicKey> keys, absl::Span<const uint64_t> server_fingerprints);

// TL `bytes` serialization of `b` (length prefix, then data, padded with
// zeros to a multiple of 4), as hashed by Fingerprint().
Bytes TlSerializeBytes(ByteView b);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_RSA_KEY_H_
