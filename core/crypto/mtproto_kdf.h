// MTProto 2.0 key derivation: msg_key, the per-message AES key/iv, auth key
// ids, the handshake's temporary AES key/iv and new_nonce hashes, padding.
//
// Formulas (core.telegram.org/mtproto/description, /mtproto/auth_key), with
// x = 0 for client->server messages and 8 for server->client:
//   msg_key       = SHA256(auth_key[88+x : 120+x] + plaintext_with_padding)[8:24]
//   a             = SHA256(msg_key + auth_key[x : x+36])
//   b             = SHA256(auth_key[40+x : 76+x] + msg_key)
//   aes_key       = a[0:8] + b[8:24] + a[24:32]
//   aes_iv        = b[0:8] + a[8:24] + b[24:32]
//   auth_key_id   = SHA1(auth_key)[12:20]; aux_hash = SHA1(auth_key)[0:8]
//   tmp_aes_key   = SHA1(new_nonce + server_nonce) + SHA1(server_nonce + new_nonce)[0:12]
//   tmp_aes_iv    = SHA1(server_nonce + new_nonce)[12:20] + SHA1(new_nonce + new_nonce)
//                   + new_nonce[0:4]
//   new_nonce_hashN = SHA1(new_nonce + byte(N) + aux_hash)[4:20]
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(MsgKeyBytes mk, MsgKey(auth_key, plain, KdfDirection::kClientToServer));
//   MTCORE_ASSIGN_OR_RETURN(AesKeyIv kiv, DeriveAesKeyIv(auth_key, mk, KdfDirection::kClientToServer));
//   MTCORE_RETURN_IF_ERROR(AesIgeEncrypt(kiv.key, kiv.iv, plain, MutableByteView(out)));
#ifndef MTCORE_CORE_CRYPTO_MTPROTO_KDF_H_
#define MTCORE_CORE_CRYPTO_MTPROTO_KDF_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::crypto {

inline constexpr size_t kAuthKeySize = 256;

// Which way a message travels; the value is MTProto's `x`.
enum class KdfDirection : int {
  kClientToServer = 0,
  kServerToClient = 8,
};

using MsgKeyBytes = std::array<uint8_t, 16>;
using AuthKeyIdBytes = std::array<uint8_t, 8>;  // wire order (little-endian id)

// An AES-256-IGE key and iv. Wiped on destruction.
struct AesKeyIv {
  std::array<uint8_t, 32> key{};
  std::array<uint8_t, 32> iv{};
  ~AesKeyIv();
};

// msg_key of `plaintext_with_padding` (header + message + padding) under
// `auth_key` (256 bytes, InvalidArgument otherwise).
absl::StatusOr<MsgKeyBytes> MsgKey(ByteView auth_key, ByteView plaintext_with_padding,
                                   KdfDirection direction);

// The AES key/iv for a message with `msg_key` (16 bytes) under `auth_key`.
absl::StatusOr<AesKeyIv> DeriveAesKeyIv(ByteView auth_key, ByteView msg_key,
                                        KdfDirection direction);

// auth_key_id = SHA1(auth_key)[12:20] and aux_hash = SHA1(auth_key)[0:8].
absl::StatusOr<AuthKeyIdBytes> AuthKeyId(ByteView auth_key);
absl::StatusOr<std::array<uint8_t, 8>> AuthKeyAuxHash(ByteView auth_key);

// The handshake's temporary AES key/iv (for server_DH_params_ok's
// encrypted_answer and set_client_DH_params) from new_nonce (32 bytes) and
// server_nonce (16 bytes).
absl::StatusOr<AesKeyIv> HandshakeTmpAesKeyIv(ByteView new_nonce, ByteView server_nonce);

// new_nonce_hash1/2/3 (n = 1, 2, 3 for dh_gen_ok/retry/fail) from new_nonce
// (32 bytes) and auth_key_aux_hash (8 bytes).
absl::StatusOr<std::array<uint8_t, 16>> NewNonceHash(ByteView new_nonce, int n,
                                                     ByteView auth_key_aux_hash);

// MTProto 2.0 padding: 12..1024 bytes, making the total a multiple of 16.
inline constexpr size_t kMinPadding = 12;
inline constexpr size_t kMaxPadding = 1024;

// The padding length for `plain_len` bytes (header + message): the smallest
// valid one plus `extra_random_blocks` more 16-byte blocks (pass a random
// count to hide the length), capped so the padding stays <= 1024.
size_t PaddingLength(size_t plain_len, size_t extra_random_blocks);

// Checks a decrypted server message: `plaintext_len` (all decrypted bytes)
// must be a multiple of 16 and leave 12..1024 bytes of padding after the
// 32-byte header and `message_data_length` bytes of message. Errors say which
// rule failed.
absl::Status ValidatePadding(size_t plaintext_len, uint32_t message_data_length);

// MTProto 1.0 (core.telegram.org/mtproto/description_v1), still used for the
// encrypted_message of auth.bindTempAuthKey:
//   msg_key = SHA1(plaintext)[4:20]   (the lower 128 bits; no padding hashed)
//   sha1_a  = SHA1(msg_key + auth_key[x : x+32])
//   sha1_b  = SHA1(auth_key[32+x : 48+x] + msg_key + auth_key[48+x : 64+x])
//   sha1_c  = SHA1(auth_key[64+x : 96+x] + msg_key)
//   sha1_d  = SHA1(msg_key + auth_key[96+x : 128+x])
//   aes_key = sha1_a[0:8] + sha1_b[8:20] + sha1_c[4:16]
//   aes_iv  = sha1_a[8:20] + sha1_b[0:8] + sha1_c[16:20] + sha1_d[0:8]
// The plaintext is padded with random bytes to a multiple of 16 only after
// msg_key is computed.
MsgKeyBytes MsgKeyV1(ByteView plaintext_without_padding);
absl::StatusOr<AesKeyIv> DeriveAesKeyIvV1(ByteView auth_key, ByteView msg_key,
                                          KdfDirection direction);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_MTPROTO_KDF_H_
