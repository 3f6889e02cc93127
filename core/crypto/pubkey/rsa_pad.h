// MTProto's RSA encryption of p_q_inner_data: RSA_PAD and the legacy scheme.
//
// RSA_PAD (current; core.telegram.org/mtproto/auth_key, step 4), for data of
// at most 144 bytes and a 2048-bit key:
//   data_with_padding = data + random bytes, 192 bytes in total
//   data_pad_reversed = reverse(data_with_padding)
//   temp_key          = 32 random bytes
//   data_with_hash    = data_pad_reversed + SHA256(temp_key + data_with_padding)
//   aes_encrypted     = AES256-IGE(data_with_hash, temp_key, iv = 0)  (224 bytes)
//   temp_key_xor      = temp_key XOR SHA256(aes_encrypted)
//   key_aes_encrypted = temp_key_xor + aes_encrypted                  (256 bytes)
//   if key_aes_encrypted >= n: start again from a new temp_key
//   encrypted_data    = key_aes_encrypted^e mod n                     (256 bytes)
//
// Legacy (still needed by a server that serves old clients), data of at most
// 235 bytes: encrypted_data = (SHA1(data) + data + random padding to 255
// bytes)^e mod n.
//
// The decryption halves (for the simulated DC) undo each scheme and check
// the hash in constant time.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(Bytes enc, RsaPadEncrypt(server_key, inner_data, rng));
//   // server:
//   MTCORE_ASSIGN_OR_RETURN(Bytes padded, RsaPadDecrypt(private_key, enc, rng));
//   // padded = data + random padding (192 bytes); the TL parser finds the end.
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_RSA_PAD_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_RSA_PAD_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"

namespace mtcore::crypto {

inline constexpr size_t kRsaPadMaxData = 144;
inline constexpr size_t kRsaPadPaddedSize = 192;
inline constexpr size_t kRsaLegacyMaxData = 235;

// RSA_PAD encryption of `data` (<= 144 bytes) under a 2048-bit `key`.
// Errors: "RSA_PAD: data is N bytes, at most 144 allowed",
// "RSA_PAD: key must be 2048 bits".
absl::StatusOr<Bytes> RsaPadEncrypt(const RsaPublicKey& key, ByteView data, RandomSource& rng);

// Undoes RSA_PAD and returns data_with_padding (192 bytes: the data followed
// by the sender's random padding). Errors: wrong size, "RSA_PAD: hash
// mismatch" (PermissionDenied) when the SHA256 inside does not match.
absl::StatusOr<Bytes> RsaPadDecrypt(const RsaPrivateKey& key, ByteView encrypted,
                                    RandomSource& rng);

// Legacy encryption of `data` (<= 235 bytes) under a key of >= 2048 bits.
// Error: "RSA legacy: data is N bytes, at most 235 allowed".
absl::StatusOr<Bytes> RsaLegacyEncrypt(const RsaPublicKey& key, ByteView data,
                                       RandomSource& rng);

// Undoes the legacy scheme. The data's length is not encoded, so
// `data_length` is given the 235 bytes that follow the SHA1 (data + padding)
// and returns how many of them are data (a TL parser does this); the SHA1
// is then checked over exactly that many bytes. Errors: "RSA legacy: ..."
// (InvalidArgument), hash mismatch (PermissionDenied).
absl::StatusOr<Bytes> RsaLegacyDecrypt(
    const RsaPrivateKey& key, ByteView encrypted,
    absl::FunctionRef<absl::StatusOr<size_t>(ByteView data_and_padding)> data_length,
    RandomSource& rng);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_RSA_PAD_H_
