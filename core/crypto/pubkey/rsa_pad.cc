#include "core/crypto/pubkey/rsa_pad.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/constant_time.h"
#include "core/crypto/pubkey/secret_bytes.h"
#include "core/crypto/sha.h"

namespace mtcore::crypto {

namespace {

constexpr size_t kKeyBytes = 256;
constexpr size_t kTempKeyBytes = 32;
constexpr size_t kDataWithHash = kRsaPadPaddedSize + 32;  // 224
constexpr size_t kLegacyPadded = 255;
constexpr uint8_t kZeroIv[32] = {};
// A 2048-bit modulus is at least 2^2047, so a key_aes_encrypted whose top
// bit is clear is always below it; the retry loop therefore ends quickly.
constexpr int kMaxTempKeyAttempts = 64;

absl::Status RequireKeySize(const RsaPublicKey& key, const char* scheme) {
  if (key.n().BitLength() != 2048) {
    return absl::InvalidArgumentError(absl::StrCat(scheme, ": key must be 2048 bits (got ",
                                                   key.n().BitLength(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Bytes> RsaPadEncrypt(const RsaPublicKey& key, ByteView data, RandomSource& rng) {
  if (data.size() > kRsaPadMaxData) {
    return absl::InvalidArgumentError(absl::StrCat("RSA_PAD: data is ", data.size(),
                                                   " bytes, at most ", kRsaPadMaxData,
                                                   " allowed"));
  }
  MTCORE_RETURN_IF_ERROR(RequireKeySize(key, "RSA_PAD"));
  SecretBytes padded(kRsaPadPaddedSize);
  std::copy(data.begin(), data.end(), padded.data());
  rng.Fill(padded.mutable_view().subspan(data.size()));
  SecretBytes with_hash(kDataWithHash);
  std::reverse_copy(padded.data(), padded.data() + kRsaPadPaddedSize, with_hash.data());

  SecretBytes temp_key(kTempKeyBytes);
  SecretBytes block(kKeyBytes);  // temp_key_xor + aes_encrypted
  for (int attempt = 0; attempt < kMaxTempKeyAttempts; ++attempt) {
    rng.Fill(temp_key.mutable_view());
    Sha256Digest h = Sha256({temp_key.view(), padded.view()});
    std::copy(h.begin(), h.end(), with_hash.data() + kRsaPadPaddedSize);
    MutableByteView aes_out = block.mutable_view().subspan(kTempKeyBytes);
    MTCORE_RETURN_IF_ERROR(AesIgeEncrypt(temp_key.view(), kZeroIv, with_hash.view(), aes_out));
    Sha256Digest h2 = Sha256(ByteView(aes_out));
    for (size_t i = 0; i < kTempKeyBytes; ++i) block[i] = temp_key[i] ^ h2[i];
    MTCORE_ASSIGN_OR_RETURN(BigInt m, BigInt::FromBigEndian(block.view()));
    if (m >= key.n()) continue;  // new temp_key, as the spec requires
    return key.RawEncrypt(m);
  }
  return absl::InternalError("RSA_PAD: no temp_key gave a value below the modulus");
}

absl::StatusOr<Bytes> RsaPadDecrypt(const RsaPrivateKey& key, ByteView encrypted,
                                    RandomSource& rng) {
  MTCORE_RETURN_IF_ERROR(RequireKeySize(key.public_key(), "RSA_PAD"));
  if (encrypted.size() != kKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("RSA_PAD: encrypted data is ",
                                                   encrypted.size(), " bytes, need 256"));
  }
  MTCORE_ASSIGN_OR_RETURN(SecretBytes block, key.RawDecrypt(encrypted, rng));
  ByteView aes_encrypted = block.view().subspan(kTempKeyBytes);
  Sha256Digest h2 = Sha256(aes_encrypted);
  SecretBytes temp_key(kTempKeyBytes);
  for (size_t i = 0; i < kTempKeyBytes; ++i) temp_key[i] = block[i] ^ h2[i];
  SecretBytes with_hash(kDataWithHash);
  MTCORE_RETURN_IF_ERROR(
      AesIgeDecrypt(temp_key.view(), kZeroIv, aes_encrypted, with_hash.mutable_view()));
  Bytes padded(kRsaPadPaddedSize);
  std::reverse_copy(with_hash.data(), with_hash.data() + kRsaPadPaddedSize, padded.begin());
  Sha256Digest h = Sha256({temp_key.view(), padded});
  if (!ConstantTimeEqual(h, with_hash.view().subspan(kRsaPadPaddedSize))) {
    return absl::PermissionDeniedError("RSA_PAD: hash mismatch");
  }
  return padded;
}

absl::StatusOr<Bytes> RsaLegacyEncrypt(const RsaPublicKey& key, ByteView data,
                                       RandomSource& rng) {
  if (data.size() > kRsaLegacyMaxData) {
    return absl::InvalidArgumentError(absl::StrCat("RSA legacy: data is ", data.size(),
                                                   " bytes, at most ", kRsaLegacyMaxData,
                                                   " allowed"));
  }
  if (key.n().BitLength() < 2048) {
    return absl::InvalidArgumentError("RSA legacy: key must be at least 2048 bits");
  }
  SecretBytes block(kLegacyPadded);
  Sha1Digest h = Sha1(data);
  std::copy(h.begin(), h.end(), block.data());
  std::copy(data.begin(), data.end(), block.data() + h.size());
  rng.Fill(block.mutable_view().subspan(h.size() + data.size()));
  MTCORE_ASSIGN_OR_RETURN(BigInt m, BigInt::FromBigEndian(block.view()));
  return key.RawEncrypt(m);
}

absl::StatusOr<Bytes> RsaLegacyDecrypt(
    const RsaPrivateKey& key, ByteView encrypted,
    absl::FunctionRef<absl::StatusOr<size_t>(ByteView data_and_padding)> data_length,
    RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(SecretBytes block, key.RawDecrypt(encrypted, rng));
  size_t lead = block.size() - kLegacyPadded;
  for (size_t i = 0; i < lead; ++i) {
    if (block[i] != 0) {
      return absl::InvalidArgumentError("RSA legacy: decrypted value exceeds 255 bytes");
    }
  }
  ByteView inner = block.view().subspan(lead);
  ByteView hash = inner.subspan(0, 20);
  ByteView rest = inner.subspan(20);
  MTCORE_ASSIGN_OR_RETURN(size_t len, data_length(rest));
  if (len > rest.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA legacy: data length ", len, " exceeds ", rest.size()));
  }
  ByteView data = rest.subspan(0, len);
  if (!ConstantTimeEqual(Sha1(data), hash)) {
    return absl::PermissionDeniedError("RSA legacy: SHA1 mismatch");
  }
  return ToBytes(data);
}

}  // namespace mtcore::crypto
