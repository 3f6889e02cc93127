// The MTProto 2.0 encrypted message: layout, encryption and every check a
// receiver must make before trusting a byte of it.
//
// Wire layout: auth_key_id (8) | msg_key (16) | AES-256-IGE ciphertext of
//   salt (8) | session_id (8) | msg_id (8) | seq_no (4) | length (4) |
//   message body (length) | padding (12..1024, total a multiple of 16)
// msg_key = SHA256(auth_key[88+x : 120+x] || plaintext)[8:24], x = 0 from
// client to server and 8 back; the AES key and IV derive from msg_key.
//
// Decryption checks, in order, each with its own error (see Decrypt):
// length and alignment, auth_key_id, msg_key recomputed and compared in
// constant time, message length and padding bounds (12..1024), body length a
// multiple of 4. The session_id, msg_id and seq_no checks belong to the
// session, which knows what to expect (see message_id.h).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(AuthKey key, AuthKey::Create(key_bytes));
//   MTCORE_ASSIGN_OR_RETURN(Bytes packet,
//       EncryptMessage(key, Direction::kClientToServer, header, body, rng));
//   MTCORE_ASSIGN_OR_RETURN(DecryptedMessage m,
//       DecryptMessage(key, Direction::kServerToClient, packet));
#ifndef MTCORE_CORE_SESSION_ENCRYPTED_MESSAGE_H_
#define MTCORE_CORE_SESSION_ENCRYPTED_MESSAGE_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/random.h"

namespace mtcore::session {

using Direction = crypto::KdfDirection;

// A 2048-bit authorization key with its id, kept together. Wiped on destruction.
class AuthKey {
 public:
  // InvalidArgument unless `key` is 256 bytes.
  static absl::StatusOr<AuthKey> Create(ByteView key);

  AuthKey(const AuthKey&) = default;
  AuthKey& operator=(const AuthKey&) = default;
  ~AuthKey();

  ByteView bytes() const { return key_; }
  // The id as it appears on the wire (little-endian bytes) and as a number.
  const std::array<uint8_t, 8>& id_bytes() const { return id_bytes_; }
  uint64_t id() const { return id_; }

 private:
  AuthKey() = default;
  std::array<uint8_t, 256> key_{};
  std::array<uint8_t, 8> id_bytes_{};
  uint64_t id_ = 0;
};

// The inner header of an encrypted message.
struct MessageHeader {
  uint64_t salt = 0;
  uint64_t session_id = 0;
  int64_t msg_id = 0;
  int32_t seq_no = 0;
};

struct DecryptedMessage {
  MessageHeader header;
  Bytes body;  // exactly `length` bytes, padding removed
};

// The smallest valid encrypted packet: 24 bytes of envelope, 32 of header,
// 16 of minimal body+padding block.
inline constexpr size_t kMinEncryptedPacket = 24 + 32 + 16;

// Encrypts `body` (a whole TL object; its length must be a multiple of 4,
// InvalidArgument otherwise). The padding length is the smallest valid one
// plus 0..`max_extra_padding_blocks` random 16-byte blocks, its bytes random.
absl::StatusOr<Bytes> EncryptMessage(const AuthKey& key, Direction direction,
                                     const MessageHeader& header, ByteView body,
                                     crypto::RandomSource& rng, int max_extra_padding_blocks = 0);

// The auth_key_id a packet names (its first 8 bytes, little-endian), or
// InvalidArgument for a packet too short to carry one. Servers use it to find
// the key; a zero id marks an unencrypted message.
absl::StatusOr<uint64_t> PacketAuthKeyId(ByteView packet);

// Decrypts and checks `packet`. `transport_padding_allowed` (padded
// intermediate) drops up to 15 trailing bytes past the last whole AES block.
// Errors (every one means: drop the packet and count it):
//   InvalidArgument    shorter than kMinEncryptedPacket, or misaligned;
//   PermissionDenied   auth_key_id is not this key's ("auth_key_id mismatch")
//                      or msg_key does not match ("msg_key mismatch");
//   DataLoss           message length or padding out of bounds, or a length
//                      that is not a multiple of 4.
absl::StatusOr<DecryptedMessage> DecryptMessage(const AuthKey& key, Direction direction,
                                                ByteView packet,
                                                bool transport_padding_allowed = false);

}  // namespace mtcore::session

#endif  // MTCORE_CORE_SESSION_ENCRYPTED_MESSAGE_H_
