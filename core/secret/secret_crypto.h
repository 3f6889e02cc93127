// Secret chat (end-to-end) cryptography: the key exchange math, the key
// fingerprint and the MTProto 2.0 encryption of one message
// (core.telegram.org/api/end-to-end).
//
// Key exchange. messages.getDhConfig gives (p, g) and optionally `random`
// (server entropy, combined with the client's: never used alone).
// The originator A takes a = client_random XOR server_random, sends
// g_a = g^a mod p (messages.requestEncryption). The accepter B takes b the same
// way, computes key = g_a^b mod p (256 bytes, leading zeros kept) and its
// fingerprint, sends g_b and the fingerprint (messages.acceptEncryption).
// A computes key = g_b^a mod p and must find the same fingerprint, otherwise
// the chat is discarded. (p, g) are checked by crypto::DhGroup::Create (safe
// 2048-bit prime, g in 2..7 generating the (p-1)/2 subgroup); g_a and g_b must
// lie in [2^(2048-64), p - 2^(2048-64)] (crypto::CheckDhPublicValue). The
// same functions serve the re-keying of pfs.html (requestKey / acceptKey /
// commitKey).
//
// Message encryption, with x = 0 for messages from the chat's originator and
// 8 for the other direction:
//   plaintext     = le32(len(layer_bytes)) + layer_bytes + padding (12..1024
//                   random bytes, total a multiple of 16)
//   msg_key       = SHA256(key[88+x : 120+x] + plaintext)[8:24]
//   aes key / iv  = the MTProto 2.0 KDF (crypto::DeriveAesKeyIv) with that x
//   wire          = key_fingerprint (8) + msg_key (16) + AES-256-IGE(plaintext)
// where layer_bytes is a serialized decryptedMessageLayer. MTProto 1.0
// (peers below layer 73) is not supported.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(SecretDhRequest req, SecretDhBegin(group, my_random, server_random));
//   // ... messages.requestEncryption(g_a = req.g_a); the peer accepts:
//   MTCORE_ASSIGN_OR_RETURN(SecretKey key,
//       SecretDhFinish(group, req, chat.g_a_or_b, chat.key_fingerprint));
//   MTCORE_ASSIGN_OR_RETURN(Bytes wire,
//       EncryptSecretMessage(key, SecretRole::kOriginator, layer_bytes, rng));
//   MTCORE_ASSIGN_OR_RETURN(Bytes layer, DecryptSecretMessage(key, SecretRole::kAccepter, wire));
#ifndef MTCORE_CORE_SECRET_SECRET_CRYPTO_H_
#define MTCORE_CORE_SECRET_SECRET_CRYPTO_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/random.h"

namespace mtcore::secret {

// Who started the chat. Messages of the originator are encrypted with x = 0,
// the accepter's with x = 8.
enum class SecretRole { kOriginator, kAccepter };

// The other side's role.
inline SecretRole Peer(SecretRole role) {
  return role == SecretRole::kOriginator ? SecretRole::kAccepter : SecretRole::kOriginator;
}

// Size of a secret chat key and of the a / b exponents' random input.
inline constexpr size_t kSecretKeySize = 256;
// key_fingerprint + msg_key in front of the ciphertext.
inline constexpr size_t kSecretHeaderSize = 24;
// The smallest message on the wire: header + one 4-byte length and 12 bytes
// of padding.
inline constexpr size_t kMinSecretMessageSize = kSecretHeaderSize + 16;

// The last 64 bits of SHA1(key), as the TL `long` key_fingerprint (the bytes
// SHA1(key)[12:20] read little-endian; on the wire they appear as they are).
// InvalidArgument if `key` is not 256 bytes.
absl::StatusOr<int64_t> KeyFingerprint(ByteView key);

// A shared secret chat key and its fingerprint.
struct SecretKey {
  crypto::SecretBytes key;  // 256 bytes
  int64_t fingerprint = 0;

  // The key from its 256 bytes (fingerprint computed).
  static absl::StatusOr<SecretKey> FromBytes(ByteView key);
};

// The originator's (or re-key requester's) half: the secret exponent and g_a.
struct SecretDhRequest {
  crypto::BigInt a;  // wiped on destruction
  Bytes g_a;         // 256 bytes, big-endian
};

// a = client_random XOR server_random as a big-endian number, g_a = g^a mod p.
// `client_random` must be 256 bytes; `server_random` (messages.dhConfig.random)
// is empty or 256 bytes. Fails with "g_a: ..." if g_a is out of range (draw
// another client_random).
absl::StatusOr<SecretDhRequest> SecretDhBegin(const crypto::DhGroup& group,
                                              ByteView client_random, ByteView server_random);

// The accepter's half: g_b to send and the shared key.
struct SecretDhAccepted {
  Bytes g_b;  // 256 bytes, big-endian
  SecretKey key;
};

// Checks the peer's g_a ("g_a: ..."), takes b = client_random XOR
// server_random (as for SecretDhBegin), g_b = g^b mod p ("g_b: ..." if out of
// range: draw again), key = g_a^b mod p.
absl::StatusOr<SecretDhAccepted> SecretDhAccept(const crypto::DhGroup& group, ByteView g_a,
                                                ByteView client_random, ByteView server_random);

// The originator's end: checks g_b ("g_b: ..."), key = g_b^a mod p, and
// requires its fingerprint to be `expected_fingerprint` (the one the peer
// sent), else FailedPrecondition "key_fingerprint mismatch ...": the exchange
// failed and the chat must be discarded (or the re-key aborted).
absl::StatusOr<SecretKey> SecretDhFinish(const crypto::DhGroup& group,
                                         const SecretDhRequest& request, ByteView g_b,
                                         int64_t expected_fingerprint);

// Encrypts `layer_bytes` (a serialized decryptedMessageLayer, non-empty, a
// multiple of 4 bytes) sent by `sender` under `key`. The padding (12..1024
// bytes) and its length come from `rng`.
absl::StatusOr<Bytes> EncryptSecretMessage(const SecretKey& key, SecretRole sender,
                                           ByteView layer_bytes, crypto::RandomSource& rng);

// The key_fingerprint a message on the wire names (its first 8 bytes, as the
// TL long). InvalidArgument if `wire` is shorter than 8 bytes.
absl::StatusOr<int64_t> WireKeyFingerprint(ByteView wire);

// Decrypts a message sent by `sender` under `key` and returns the
// decryptedMessageLayer bytes. Every check fails with InvalidArgument and its
// own message: "secret message: N bytes, shorter than ...", "... ciphertext of
// N bytes is not a multiple of 16", "key_fingerprint F does not match the
// key's G", "msg_key mismatch" (compared in constant time), "length prefix N
// is not a multiple of 4" / "length prefix N leaves M bytes of padding, fewer
// than 12", "... more than 1024 bytes of padding", "length prefix is 0".
absl::StatusOr<Bytes> DecryptSecretMessage(const SecretKey& key, SecretRole sender,
                                           ByteView wire);

}  // namespace mtcore::secret

#endif  // MTCORE_CORE_SECRET_SECRET_CRYPTO_H_
