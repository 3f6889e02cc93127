#include "core/crypto/mtproto_kdf.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/crypto/sha.h"

namespace mtcore::crypto {
namespace {

constexpr size_t kHeaderSize = 32;  // salt, session_id, msg_id, seq_no, length

absl::Status CheckSize(const char* what, ByteView v, size_t want) {
  if (v.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", want, " bytes, got ", v.size()));
  }
  return absl::OkStatus();
}

}  // namespace

AesKeyIv::~AesKeyIv() {
  SecureWipe(MutableByteView(key));
  SecureWipe(MutableByteView(iv));
}

absl::StatusOr<MsgKeyBytes> MsgKey(ByteView auth_key, ByteView plaintext_with_padding,
                                   KdfDirection direction) {
  if (absl::Status s = CheckSize("auth_key", auth_key, kAuthKeySize); !s.ok()) return s;
  const size_t x = static_cast<size_t>(direction);
  Sha256Digest d = Sha256({auth_key.subspan(88 + x, 32), plaintext_with_padding});
  MsgKeyBytes out;
  std::memcpy(out.data(), d.data() + 8, 16);
  return out;
}

absl::StatusOr<AesKeyIv> DeriveAesKeyIv(ByteView auth_key, ByteView msg_key,
                                        KdfDirection direction) {
  if (absl::Status s = CheckSize("auth_key", auth_key, kAuthKeySize); !s.ok()) return s;
  if (absl::Status s = CheckSize("msg_key", msg_key, 16); !s.ok()) return s;
  const size_t x = static_cast<size_t>(direction);
  Sha256Digest a = Sha256({msg_key, auth_key.subspan(x, 36)});
  Sha256Digest b = Sha256({auth_key.subspan(40 + x, 36), msg_key});
  AesKeyIv out;
  std::memcpy(out.key.data(), a.data(), 8);
  std::memcpy(out.key.data() + 8, b.data() + 8, 16);
  std::memcpy(out.key.data() + 24, a.data() + 24, 8);
  std::memcpy(out.iv.data(), b.data(), 8);
  std::memcpy(out.iv.data() + 8, a.data() + 8, 16);
  std::memcpy(out.iv.data() + 24, b.data() + 24, 8);
  SecureWipe(MutableByteView(a));
  SecureWipe(MutableByteView(b));
  return out;
}

MsgKeyBytes MsgKeyV1(ByteView plaintext_without_padding) {
  Sha1Digest d = Sha1(plaintext_without_padding);
  MsgKeyBytes out;
  std::memcpy(out.data(), d.data() + 4, 16);
  SecureWipe(MutableByteView(d));
  return out;
}

absl::StatusOr<AesKeyIv> DeriveAesKeyIvV1(ByteView auth_key, ByteView msg_key,
                                          KdfDirection direction) {
  if (absl::Status s = CheckSize("auth_key", auth_key, kAuthKeySize); !s.ok()) return s;
  if (absl::Status s = CheckSize("msg_key", msg_key, 16); !s.ok()) return s;
  const size_t x = static_cast<size_t>(direction);
  Sha1Digest a = Sha1({msg_key, auth_key.subspan(x, 32)});
  Sha1Digest b = Sha1({auth_key.subspan(32 + x, 16), msg_key, auth_key.subspan(48 + x, 16)});
  Sha1Digest c = Sha1({auth_key.subspan(64 + x, 32), msg_key});
  Sha1Digest d = Sha1({msg_key, auth_key.subspan(96 + x, 32)});
  AesKeyIv out;
  std::memcpy(out.key.data(), a.data(), 8);
  std::memcpy(out.key.data() + 8, b.data() + 8, 12);
  std::memcpy(out.key.data() + 20, c.data() + 4, 12);
  std::memcpy(out.iv.data(), a.data() + 8, 12);
  std::memcpy(out.iv.data() + 12, b.data(), 8);
  std::memcpy(out.iv.data() + 20, c.data() + 16, 4);
  std::memcpy(out.iv.data() + 24, d.data(), 8);
  for (Sha1Digest* h : {&a, &b, &c, &d}) SecureWipe(MutableByteView(*h));
  return out;
}

absl::StatusOr<AuthKeyIdBytes> AuthKeyId(ByteView auth_key) {
  if (absl::Status s = CheckSize("auth_key", auth_key, kAuthKeySize); !s.ok()) return s;
  Sha1Digest d = Sha1(auth_key);
  AuthKeyIdBytes out;
  std::memcpy(out.data(), d.data() + 12, 8);
  return out;
}

absl::StatusOr<std::array<uint8_t, 8>> AuthKeyAuxHash(ByteView auth_key) {
  if (absl::Status s = CheckSize("auth_key", auth_key, kAuthKeySize); !s.ok()) return s;
  Sha1Digest d = Sha1(auth_key);
  std::array<uint8_t, 8> out;
  std::memcpy(out.data(), d.data(), 8);
  return out;
}

absl::StatusOr<AesKeyIv> HandshakeTmpAesKeyIv(ByteView new_nonce, ByteView server_nonce) {
  if (absl::Status s = CheckSize("new_nonce", new_nonce, 32); !s.ok()) return s;
  if (absl::Status s = CheckSize("server_nonce", server_nonce, 16); !s.ok()) return s;
  Sha1Digest ns = Sha1({new_nonce, server_nonce});
  Sha1Digest sn = Sha1({server_nonce, new_nonce});
  Sha1Digest nn = Sha1({new_nonce, new_nonce});
  AesKeyIv out;
  std::memcpy(out.key.data(), ns.data(), 20);
  std::memcpy(out.key.data() + 20, sn.data(), 12);
  std::memcpy(out.iv.data(), sn.data() + 12, 8);
  std::memcpy(out.iv.data() + 8, nn.data(), 20);
  std::memcpy(out.iv.data() + 28, new_nonce.data(), 4);
  SecureWipe(MutableByteView(ns));
  SecureWipe(MutableByteView(sn));
  SecureWipe(MutableByteView(nn));
  return out;
}

absl::StatusOr<std::array<uint8_t, 16>> NewNonceHash(ByteView new_nonce, int n,
                                                     ByteView auth_key_aux_hash) {
  if (absl::Status s = CheckSize("new_nonce", new_nonce, 32); !s.ok()) return s;
  if (n < 1 || n > 3) {
    return absl::InvalidArgumentError(absl::StrCat("new_nonce_hash number must be 1, 2 or 3, got ", n));
  }
  if (absl::Status s = CheckSize("auth_key_aux_hash", auth_key_aux_hash, 8); !s.ok()) return s;
  const uint8_t number = static_cast<uint8_t>(n);
  Sha1Digest d = Sha1({new_nonce, ByteView(&number, 1), auth_key_aux_hash});
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), d.data() + 4, 16);
  return out;
}

size_t PaddingLength(size_t plain_len, size_t extra_random_blocks) {
  size_t padding = kMinPadding + (16 - (plain_len + kMinPadding) % 16) % 16;  // 12..27
  const size_t max_extra = (kMaxPadding - padding) / 16;
  return padding + 16 * std::min(extra_random_blocks, max_extra);
}

absl::Status ValidatePadding(size_t plaintext_len, uint32_t message_data_length) {
  if (plaintext_len % 16 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("decrypted length ", plaintext_len, " is not a multiple of 16"));
  }
  // 64-bit: on wasm size_t is 32 bits and 32 + 0xffffffff would wrap.
  const uint64_t len = plaintext_len;
  const uint64_t used = kHeaderSize + uint64_t{message_data_length};
  if (len < used) {
    return absl::InvalidArgumentError(absl::StrCat("message_data_length ", message_data_length,
                                                   " exceeds the ", plaintext_len,
                                                   " decrypted bytes after the header"));
  }
  if (len - used < kMinPadding) {
    return absl::InvalidArgumentError(absl::StrCat("padding of ", len - used,
                                                   " bytes is shorter than 12"));
  }
  if (len - used > kMaxPadding) {
    return absl::InvalidArgumentError(absl::StrCat("padding of ", len - used,
                                                   " bytes exceeds 1024"));
  }
  return absl::OkStatus();
}

}  // namespace mtcore::crypto
