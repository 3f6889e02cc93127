#include "core/session/encrypted_message.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"

namespace mtcore::session {

namespace {
constexpr size_t kEnvelope = 24;  // auth_key_id + msg_key
constexpr size_t kHeader = 32;    // salt, session_id, msg_id, seq_no, length
}  // namespace

absl::StatusOr<AuthKey> AuthKey::Create(ByteView key) {
  if (key.size() != 256) {
    return absl::InvalidArgumentError(absl::StrCat("auth key is ", key.size(), " bytes, expected 256"));
  }
  AuthKey k;
  std::copy(key.begin(), key.end(), k.key_.begin());
  MTCORE_ASSIGN_OR_RETURN(k.id_bytes_, crypto::AuthKeyId(key));
  k.id_ = LoadLe64(k.id_bytes_.data());
  return k;
}

AuthKey::~AuthKey() { SecureWipe(MutableByteView(key_)); }

absl::StatusOr<Bytes> EncryptMessage(const AuthKey& key, Direction direction,
                                     const MessageHeader& header, ByteView body,
                                     crypto::RandomSource& rng, int max_extra_padding_blocks) {
  if (body.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("message body of ", body.size(), " bytes is not a multiple of 4"));
  }
  if (body.size() > 0x7fffffff - kHeader - crypto::kMaxPadding) {
    return absl::InvalidArgumentError("message body too long");
  }
  size_t extra = 0;
  if (max_extra_padding_blocks > 0) {
    extra = crypto::RandomBelow(rng, uint64_t(max_extra_padding_blocks) + 1);
  }
  const size_t plain_len = kHeader + body.size();
  const size_t padding = crypto::PaddingLength(plain_len, extra);
  Bytes out(kEnvelope + plain_len + padding);
  uint8_t* plain = out.data() + kEnvelope;
  StoreLe64(plain, header.salt);
  StoreLe64(plain + 8, header.session_id);
  StoreLe64(plain + 16, static_cast<uint64_t>(header.msg_id));
  StoreLe32(plain + 24, static_cast<uint32_t>(header.seq_no));
  StoreLe32(plain + 28, static_cast<uint32_t>(body.size()));
  std::copy(body.begin(), body.end(), plain + kHeader);
  rng.Fill(MutableByteView(plain + plain_len, padding));

  ByteView plaintext(plain, plain_len + padding);
  MTCORE_ASSIGN_OR_RETURN(crypto::MsgKeyBytes msg_key, crypto::MsgKey(key.bytes(), plaintext, direction));
  MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv aes, crypto::DeriveAesKeyIv(key.bytes(), msg_key, direction));
  std::copy(key.id_bytes().begin(), key.id_bytes().end(), out.begin());
  std::copy(msg_key.begin(), msg_key.end(), out.begin() + 8);
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeEncrypt(aes.key, aes.iv, plaintext,
                                               MutableByteView(plain, plaintext.size())));
  return out;
}

absl::StatusOr<uint64_t> PacketAuthKeyId(ByteView packet) {
  if (packet.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat("packet of ", packet.size(), " bytes has no auth_key_id"));
  }
  return LoadLe64(packet.data());
}

absl::StatusOr<DecryptedMessage> DecryptMessage(const AuthKey& key, Direction direction,
                                                ByteView packet, bool transport_padding_allowed) {
  if (packet.size() < kMinEncryptedPacket) {
    return absl::InvalidArgumentError(absl::StrCat("encrypted packet of ", packet.size(),
                                                   " bytes is shorter than ", kMinEncryptedPacket));
  }
  size_t cipher_len = packet.size() - kEnvelope;
  if (cipher_len % 16 != 0) {
    if (!transport_padding_allowed) {
      return absl::InvalidArgumentError(
          absl::StrCat("encrypted part of ", cipher_len, " bytes is not a multiple of 16"));
    }
    cipher_len -= cipher_len % 16;
  }
  if (!crypto::ConstantTimeEqual(packet.subspan(0, 8), key.id_bytes())) {
    return absl::PermissionDeniedError(absl::StrCat("auth_key_id mismatch: packet names ",
                                                    LoadLe64(packet.data()), ", ours is ", key.id()));
  }
  ByteView msg_key = packet.subspan(8, 16);
  MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv aes, crypto::DeriveAesKeyIv(key.bytes(), msg_key, direction));
  Bytes plain(cipher_len);
  MTCORE_RETURN_IF_ERROR(
      crypto::AesIgeDecrypt(aes.key, aes.iv, packet.subspan(kEnvelope, cipher_len), MutableByteView(plain)));
  MTCORE_ASSIGN_OR_RETURN(crypto::MsgKeyBytes computed, crypto::MsgKey(key.bytes(), plain, direction));
  if (!crypto::ConstantTimeEqual(computed, msg_key)) {
    SecureWipe(MutableByteView(plain));
    return absl::PermissionDeniedError("msg_key mismatch");
  }
  const uint32_t length = LoadLe32(plain.data() + 28);
  if (absl::Status s = crypto::ValidatePadding(plain.size(), length); !s.ok()) {
    return absl::DataLossError(s.message());
  }
  if (length % 4 != 0) {
    return absl::DataLossError(absl::StrCat("message length ", length, " is not a multiple of 4"));
  }
  DecryptedMessage m;
  m.header.salt = LoadLe64(plain.data());
  m.header.session_id = LoadLe64(plain.data() + 8);
  m.header.msg_id = static_cast<int64_t>(LoadLe64(plain.data() + 16));
  m.header.seq_no = static_cast<int32_t>(LoadLe32(plain.data() + 24));
  m.body.assign(plain.begin() + kHeader, plain.begin() + kHeader + length);
  return m;
}

}  // namespace mtcore::session
