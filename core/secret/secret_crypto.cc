#include "core/secret/secret_crypto.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/sha.h"

namespace mtcore::secret {
namespace {

crypto::KdfDirection Direction(SecretRole sender) {
  // x = 0 for the originator's messages, 8 for the accepter's: the values of
  // the client-to-server and server-to-client directions of the cloud KDF.
  return sender == SecretRole::kOriginator ? crypto::KdfDirection::kClientToServer
                                           : crypto::KdfDirection::kServerToClient;
}

// client_random XOR server_random as a 2048-bit exponent.
absl::StatusOr<crypto::BigInt> Exponent(ByteView client_random, ByteView server_random,
                                        const char* name) {
  if (client_random.size() != kSecretKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": client random must be ",
                                                   kSecretKeySize, " bytes, got ",
                                                   client_random.size()));
  }
  if (!server_random.empty() && server_random.size() != kSecretKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": server random must be empty or ",
                                                   kSecretKeySize, " bytes, got ",
                                                   server_random.size()));
  }
  crypto::SecretBytes mixed(client_random);
  for (size_t i = 0; i < server_random.size(); ++i) mixed[i] ^= server_random[i];
  return crypto::BigInt::FromBigEndian(mixed.view());
}

}  // namespace

absl::StatusOr<int64_t> KeyFingerprint(ByteView key) {
  if (key.size() != kSecretKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret chat key must be ", kSecretKeySize, " bytes, got ", key.size()));
  }
  const crypto::Sha1Digest h = crypto::Sha1(key);
  return static_cast<int64_t>(LoadLe64(h.data() + 12));
}

absl::StatusOr<SecretKey> SecretKey::FromBytes(ByteView key) {
  SecretKey out;
  MTCORE_ASSIGN_OR_RETURN(out.fingerprint, KeyFingerprint(key));
  out.key = crypto::SecretBytes(key);
  return out;
}

absl::StatusOr<SecretDhRequest> SecretDhBegin(const crypto::DhGroup& group,
                                              ByteView client_random, ByteView server_random) {
  SecretDhRequest out;
  MTCORE_ASSIGN_OR_RETURN(out.a, Exponent(client_random, server_random, "a"));
  MTCORE_ASSIGN_OR_RETURN(crypto::BigInt g_a,
                          crypto::BigInt::ModExp(crypto::BigInt(group.g()), out.a, group.p()));
  MTCORE_RETURN_IF_ERROR(crypto::CheckDhPublicValue(group.p(), g_a, "g_a"));
  MTCORE_ASSIGN_OR_RETURN(out.g_a, g_a.ToBigEndian(kSecretKeySize));
  return out;
}

absl::StatusOr<SecretDhAccepted> SecretDhAccept(const crypto::DhGroup& group, ByteView g_a,
                                                ByteView client_random, ByteView server_random) {
  MTCORE_ASSIGN_OR_RETURN(crypto::BigInt b, Exponent(client_random, server_random, "b"));
  MTCORE_ASSIGN_OR_RETURN(crypto::DhClientResult r,
                          crypto::DhClientFinishWithSecret(group, g_a, b));
  SecretDhAccepted out;
  out.g_b = std::move(r.g_b);
  MTCORE_ASSIGN_OR_RETURN(out.key, SecretKey::FromBytes(r.auth_key.view()));
  return out;
}

absl::StatusOr<SecretKey> SecretDhFinish(const crypto::DhGroup& group,
                                         const SecretDhRequest& request, ByteView g_b,
                                         int64_t expected_fingerprint) {
  crypto::DhServerKey own;
  own.a = request.a;
  own.g_a = request.g_a;
  MTCORE_ASSIGN_OR_RETURN(crypto::SecretBytes key, crypto::DhServerFinish(group, own, g_b));
  MTCORE_ASSIGN_OR_RETURN(SecretKey out, SecretKey::FromBytes(key.view()));
  if (out.fingerprint != expected_fingerprint) {
    return absl::FailedPreconditionError(
        absl::StrCat("key_fingerprint mismatch: the peer's is ", expected_fingerprint,
                     ", the computed key's ", out.fingerprint, " (the key exchange failed)"));
  }
  return out;
}

absl::StatusOr<Bytes> EncryptSecretMessage(const SecretKey& key, SecretRole sender,
                                           ByteView layer_bytes, crypto::RandomSource& rng) {
  if (key.key.size() != kSecretKeySize) {
    return absl::InvalidArgumentError("secret chat key must be 256 bytes");
  }
  if (layer_bytes.empty() || layer_bytes.size() % 4 != 0 || layer_bytes.size() > (1u << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret message of ", layer_bytes.size(), " bytes (must be a non-empty multiple of 4)"));
  }
  const size_t body = 4 + layer_bytes.size();
  // A random number (0..63) of extra 16-byte blocks hides the exact length;
  // PaddingLength caps the padding at 1024 bytes.
  const size_t padding = crypto::PaddingLength(body, crypto::RandomBelow(rng, 64));
  Bytes plain(body + padding);
  StoreLe32(plain.data(), static_cast<uint32_t>(layer_bytes.size()));
  std::copy(layer_bytes.begin(), layer_bytes.end(), plain.begin() + 4);
  rng.Fill(MutableByteView(plain.data() + body, padding));

  const crypto::KdfDirection dir = Direction(sender);
  MTCORE_ASSIGN_OR_RETURN(crypto::MsgKeyBytes msg_key, crypto::MsgKey(key.key.view(), plain, dir));
  MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv kiv,
                          crypto::DeriveAesKeyIv(key.key.view(), msg_key, dir));
  Bytes wire(kSecretHeaderSize + plain.size());
  StoreLe64(wire.data(), static_cast<uint64_t>(key.fingerprint));
  std::copy(msg_key.begin(), msg_key.end(), wire.begin() + 8);
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeEncrypt(
      kiv.key, kiv.iv, plain, MutableByteView(wire.data() + kSecretHeaderSize, plain.size())));
  std::fill(plain.begin(), plain.end(), 0);
  return wire;
}

absl::StatusOr<int64_t> WireKeyFingerprint(ByteView wire) {
  if (wire.size() < 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret message: ", wire.size(), " bytes, no key_fingerprint"));
  }
  return static_cast<int64_t>(LoadLe64(wire.data()));
}

absl::StatusOr<Bytes> DecryptSecretMessage(const SecretKey& key, SecretRole sender,
                                           ByteView wire) {
  if (key.key.size() != kSecretKeySize) {
    return absl::InvalidArgumentError("secret chat key must be 256 bytes");
  }
  if (wire.size() < kMinSecretMessageSize) {
    return absl::InvalidArgumentError(absl::StrCat("secret message: ", wire.size(),
                                                   " bytes, shorter than the minimum ",
                                                   kMinSecretMessageSize));
  }
  const size_t cipher_len = wire.size() - kSecretHeaderSize;
  if (cipher_len % 16 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("secret message: ciphertext of ", cipher_len,
                                                   " bytes is not a multiple of 16"));
  }
  const int64_t fingerprint = static_cast<int64_t>(LoadLe64(wire.data()));
  if (fingerprint != key.fingerprint) {
    return absl::InvalidArgumentError(absl::StrCat("secret message: key_fingerprint ",
                                                   fingerprint, " does not match the key's ",
                                                   key.fingerprint));
  }
  const ByteView msg_key = wire.subspan(8, 16);
  const crypto::KdfDirection dir = Direction(sender);
  MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv kiv, crypto::DeriveAesKeyIv(key.key.view(), msg_key, dir));
  crypto::SecretBytes plain(cipher_len);
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeDecrypt(kiv.key, kiv.iv, wire.subspan(kSecretHeaderSize),
                                               plain.mutable_view()));
  MTCORE_ASSIGN_OR_RETURN(crypto::MsgKeyBytes computed,
                          crypto::MsgKey(key.key.view(), plain.view(), dir));
  if (!crypto::ConstantTimeEqual(computed, msg_key)) {
    return absl::InvalidArgumentError("secret message: msg_key mismatch");
  }
  // Only an authentic message gets here: its length prefix is the peer's.
  const uint32_t len = LoadLe32(plain.data());
  if (len == 0) return absl::InvalidArgumentError("secret message: length prefix is 0");
  if (len % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret message: length prefix ", len, " is not a multiple of 4"));
  }
  const uint64_t used = uint64_t{4} + len;
  if (used + crypto::kMinPadding > cipher_len) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secret message: length prefix ", len, " leaves ",
        used > cipher_len ? 0 : cipher_len - used, " bytes of padding, fewer than 12"));
  }
  if (cipher_len - used > crypto::kMaxPadding) {
    return absl::InvalidArgumentError(absl::StrCat("secret message: length prefix ", len,
                                                   " leaves ", cipher_len - used,
                                                   " bytes of padding, more than 1024"));
  }
  return Bytes(plain.data() + 4, plain.data() + used);
}

}  // namespace mtcore::secret
