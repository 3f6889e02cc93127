// Binding a temporary auth key to the permanent one (Perfect Forward
// Secrecy, core.telegram.org/api/pfs and /method/auth.bindTempAuthKey).
//
// The client proves it holds the permanent key by sending, over the
// temporary key, auth.bindTempAuthKey with an `encrypted_message`: the
// binding message bind_auth_key_inner encrypted with MTProto 1.0 under the
// permanent key:
//
//   plaintext = random:int128 + msg_id:long + seq_no:int (0) + msg_len:int (40)
//               + bind_auth_key_inner
//   msg_key   = SHA1(plaintext)[4:20]                  (before padding)
//   encrypted_message = perm_auth_key_id + msg_key
//                       + AES-IGE(plaintext + 0..15 random bytes, v1 key/iv, x = 0)
//
// `msg_id` must be the msg_id of the message that carries the request (the
// session assigns it; see SendOptions::build_for_msg_id), and
// temp_session_id the session's id.
//
// Example (client):
//   MTCORE_ASSIGN_OR_RETURN(Bytes query, BuildBindTempAuthKey(perm_key, inner, msg_id, rng));
// Example (server):
//   MTCORE_ASSIGN_OR_RETURN(uint64_t perm_id, BindMessageAuthKeyId(encrypted));
//   MTCORE_ASSIGN_OR_RETURN(BindMessage m, DecryptBindMessage(perm_key_bytes, encrypted));
#ifndef MTCORE_CORE_HANDSHAKE_TEMP_KEY_BINDING_H_
#define MTCORE_CORE_HANDSHAKE_TEMP_KEY_BINDING_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"

namespace mtcore::handshake {

// bind_auth_key_inner's fields.
struct BindAuthKeyInner {
  int64_t nonce = 0;
  uint64_t temp_auth_key_id = 0;
  uint64_t perm_auth_key_id = 0;
  uint64_t temp_session_id = 0;
  int32_t expires_at = 0;
  friend bool operator==(const BindAuthKeyInner&, const BindAuthKeyInner&) = default;
};

// The encrypted_message for `inner` under `perm_auth_key` (256 bytes,
// InvalidArgument otherwise), for a request sent with `msg_id`. 16 random
// bytes and the padding come from `rng`.
absl::StatusOr<Bytes> EncryptBindMessage(ByteView perm_auth_key, const BindAuthKeyInner& inner,
                                         int64_t msg_id, crypto::RandomSource& rng);

// The boxed auth.bindTempAuthKey query (perm_auth_key_id, nonce and
// expires_at taken from `inner`, as the server checks they match).
absl::StatusOr<Bytes> BuildBindTempAuthKey(ByteView perm_auth_key, const BindAuthKeyInner& inner,
                                           int64_t msg_id, crypto::RandomSource& rng);

// The key id an encrypted_message names (its first 8 bytes, little-endian);
// InvalidArgument if it is shorter than the external header.
absl::StatusOr<uint64_t> BindMessageAuthKeyId(ByteView encrypted_message);

// What a valid encrypted_message carries.
struct BindMessage {
  uint64_t auth_key_id = 0;  // from the external header
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  BindAuthKeyInner inner;
};

// Decrypts and checks an encrypted_message from untrusted bytes under
// `perm_auth_key`, as the DC does. Every failure is InvalidArgument naming
// the check (the DC answers ENCRYPTED_MESSAGE_INVALID): the key id must be
// the key's, the encrypted part a non-empty multiple of 16 bytes, msg_len a
// multiple of 4 leaving 0..15 bytes of padding, msg_key equal to
// SHA1(unpadded plaintext)[4:20] (compared in constant time), seq_no 0, and
// the message exactly one bind_auth_key_inner. Matching the fields against
// the request is the caller's job.
absl::StatusOr<BindMessage> DecryptBindMessage(ByteView perm_auth_key, ByteView encrypted_message);

}  // namespace mtcore::handshake

#endif  // MTCORE_CORE_HANDSHAKE_TEMP_KEY_BINDING_H_
