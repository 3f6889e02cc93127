#include "core/handshake/temp_key_binding.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/mtproto_kdf.h"
#include "tl/api.h"

namespace mtcore::handshake {

namespace mt = ::mtcore::tl::mtproto;

namespace {

constexpr size_t kExternalHeader = 24;  // auth_key_id + msg_key
constexpr size_t kInnerHeader = 32;     // random:int128, msg_id, seq_no, msg_len
// Far more than one bind_auth_key_inner needs; bounds the work on junk.
constexpr size_t kMaxEncrypted = 1024;

void PutLe(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetLe(ByteView in, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | in[at + static_cast<size_t>(i)];
  return v;
}

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bind message: ", why));
}

}  // namespace

absl::StatusOr<Bytes> EncryptBindMessage(ByteView perm_auth_key, const BindAuthKeyInner& inner,
                                         int64_t msg_id, crypto::RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(crypto::AuthKeyIdBytes key_id, crypto::AuthKeyId(perm_auth_key));
  MTCORE_ASSIGN_OR_RETURN(
      Bytes body, tl::Serialize(mt::bind_auth_key_inner{
                      .nonce = inner.nonce,
                      .temp_auth_key_id = static_cast<int64_t>(inner.temp_auth_key_id),
                      .perm_auth_key_id = static_cast<int64_t>(inner.perm_auth_key_id),
                      .temp_session_id = static_cast<int64_t>(inner.temp_session_id),
                      .expires_at = inner.expires_at}));
  Bytes plain(16);
  rng.Fill(MutableByteView(plain));
  PutLe(plain, static_cast<uint64_t>(msg_id), 8);
  PutLe(plain, 0, 4);  // seq_no
  PutLe(plain, body.size(), 4);
  plain.insert(plain.end(), body.begin(), body.end());
  const crypto::MsgKeyBytes msg_key = crypto::MsgKeyV1(plain);
  const size_t unpadded = plain.size();
  plain.resize((unpadded + 15) / 16 * 16);
  rng.Fill(MutableByteView(plain).subspan(unpadded));
  MTCORE_ASSIGN_OR_RETURN(
      crypto::AesKeyIv kiv,
      crypto::DeriveAesKeyIvV1(perm_auth_key, msg_key, crypto::KdfDirection::kClientToServer));
  Bytes out(kExternalHeader + plain.size());
  std::memcpy(out.data(), key_id.data(), 8);
  std::memcpy(out.data() + 8, msg_key.data(), 16);
  absl::Status s = crypto::AesIgeEncrypt(kiv.key, kiv.iv, plain,
                                         MutableByteView(out).subspan(kExternalHeader));
  SecureWipe(MutableByteView(plain));
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Bytes> BuildBindTempAuthKey(ByteView perm_auth_key, const BindAuthKeyInner& inner,
                                           int64_t msg_id, crypto::RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(Bytes encrypted, EncryptBindMessage(perm_auth_key, inner, msg_id, rng));
  tl::auth_bindTempAuthKey q;
  q.perm_auth_key_id = static_cast<int64_t>(inner.perm_auth_key_id);
  q.nonce = inner.nonce;
  q.expires_at = inner.expires_at;
  q.encrypted_message.assign(encrypted.begin(), encrypted.end());
  return tl::Serialize(q);
}

absl::StatusOr<uint64_t> BindMessageAuthKeyId(ByteView encrypted_message) {
  if (encrypted_message.size() < kExternalHeader) return Invalid("shorter than its header");
  return GetLe(encrypted_message, 0, 8);
}

absl::StatusOr<BindMessage> DecryptBindMessage(ByteView perm_auth_key, ByteView encrypted_message) {
  MTCORE_ASSIGN_OR_RETURN(crypto::AuthKeyIdBytes key_id, crypto::AuthKeyId(perm_auth_key));
  if (encrypted_message.size() < kExternalHeader) return Invalid("shorter than its header");
  if (std::memcmp(encrypted_message.data(), key_id.data(), 8) != 0) {
    return Invalid("not encrypted with the permanent key it names");
  }
  ByteView cipher = encrypted_message.subspan(kExternalHeader);
  if (cipher.empty() || cipher.size() % 16 != 0) {
    return Invalid("the encrypted part is not a non-empty multiple of 16 bytes");
  }
  if (cipher.size() > kMaxEncrypted) return Invalid("too long");
  if (cipher.size() < kInnerHeader) return Invalid("shorter than the inner header");
  ByteView msg_key = encrypted_message.subspan(8, 16);
  MTCORE_ASSIGN_OR_RETURN(
      crypto::AesKeyIv kiv,
      crypto::DeriveAesKeyIvV1(perm_auth_key, msg_key, crypto::KdfDirection::kClientToServer));
  Bytes plain(cipher.size());
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeDecrypt(kiv.key, kiv.iv, cipher, MutableByteView(plain)));
  const uint32_t msg_len = static_cast<uint32_t>(GetLe(plain, 28, 4));
  // Every length check before msg_key is computed over it.
  if (msg_len % 4 != 0 || msg_len > plain.size() - kInnerHeader ||
      plain.size() - kInnerHeader - msg_len > 15) {
    SecureWipe(MutableByteView(plain));
    return Invalid("msg_len does not fit the decrypted length with 0..15 bytes of padding");
  }
  const crypto::MsgKeyBytes want =
      crypto::MsgKeyV1(ByteView(plain).subspan(0, kInnerHeader + msg_len));
  if (!crypto::ConstantTimeEqual(want, msg_key)) {
    SecureWipe(MutableByteView(plain));
    return Invalid("msg_key does not match the decrypted message");
  }
  BindMessage m;
  m.auth_key_id = GetLe(encrypted_message, 0, 8);
  m.msg_id = static_cast<int64_t>(GetLe(plain, 16, 8));
  m.seq_no = static_cast<int32_t>(GetLe(plain, 24, 4));
  absl::StatusOr<mt::bind_auth_key_inner> inner =
      tl::Parse<mt::bind_auth_key_inner>(ByteView(plain).subspan(kInnerHeader, msg_len));
  SecureWipe(MutableByteView(plain));
  if (!inner.ok()) return Invalid(absl::StrCat("not one bind_auth_key_inner: ", inner.status().message()));
  if (m.seq_no != 0) return Invalid("seq_no is not 0");
  m.inner.nonce = inner->nonce;
  m.inner.temp_auth_key_id = static_cast<uint64_t>(inner->temp_auth_key_id);
  m.inner.perm_auth_key_id = static_cast<uint64_t>(inner->perm_auth_key_id);
  m.inner.temp_session_id = static_cast<uint64_t>(inner->temp_session_id);
  m.inner.expires_at = inner->expires_at;
  return m;
}

}  // namespace mtcore::handshake
