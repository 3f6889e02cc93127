#include "core/crypto/aes_ige.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/crypto/aes_block.h"

namespace mtcore::crypto {
namespace {

absl::Status CheckArgs(const char* op, ByteView iv32, ByteView in, MutableByteView out) {
  if (iv32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": iv must be 32 bytes, got ", iv32.size()));
  }
  if (in.size() % 16 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": input length ", in.size(), " is not a multiple of 16"));
  }
  if (out.size() != in.size()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": output length ", out.size(),
                                                   " differs from input length ", in.size()));
  }
  if (in.data() != out.data() && !in.empty()) {
    const uint8_t* a = in.data();
    const uint8_t* b = out.data();
    if (a < b + out.size() && b < a + in.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(op, ": input and output partially overlap"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

AesIge256::AesIge256(ByteView key32, CryptoImpl impl)
    : kernels_(&internal::GetAesKernels(impl)) {
  if (key32.size() == 32) {
    schedule_ = std::make_unique<internal::Aes256Schedule>();
    schedule_->Expand(key32.data());
  } else {
    bad_key_size_ = key32.size();
  }
}

AesIge256::~AesIge256() {
  if (schedule_) schedule_->Wipe();
}

AesIge256::AesIge256(AesIge256&&) noexcept = default;

AesIge256& AesIge256::operator=(AesIge256&& other) noexcept {
  if (this != &other) {
    if (schedule_) schedule_->Wipe();
    schedule_ = std::move(other.schedule_);
    bad_key_size_ = other.bad_key_size_;
    kernels_ = other.kernels_;
  }
  return *this;
}

absl::Status AesIge256::Run(bool encrypt, MutableByteView iv32, ByteView in,
                            MutableByteView out) const {
  const char* op = encrypt ? "AES-IGE encrypt" : "AES-IGE decrypt";
  if (!schedule_) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": key must be 32 bytes, got ", bad_key_size_));
  }
  if (absl::Status s = CheckArgs(op, iv32, in, out); !s.ok()) return s;
  (encrypt ? kernels_->ige_encrypt : kernels_->ige_decrypt)(*schedule_, iv32.data(), in.data(),
                                                            out.data(), in.size() / 16);
  return absl::OkStatus();
}

absl::Status AesIge256::RunCopyingIv(bool encrypt, ByteView iv32, ByteView in,
                                     MutableByteView out) const {
  if (iv32.size() != 32) {
    // Run() reports the bad iv (after the key, so errors come in argument order).
    Bytes copy(iv32.begin(), iv32.end());
    return Run(encrypt, MutableByteView(copy), in, out);
  }
  uint8_t iv[32];
  std::memcpy(iv, iv32.data(), 32);
  absl::Status s = Run(encrypt, MutableByteView(iv, 32), in, out);
  SecureWipe(MutableByteView(iv, 32));
  return s;
}

absl::Status AesIge256::Encrypt(ByteView iv32, ByteView in, MutableByteView out) const {
  return RunCopyingIv(true, iv32, in, out);
}

absl::Status AesIge256::Decrypt(ByteView iv32, ByteView in, MutableByteView out) const {
  return RunCopyingIv(false, iv32, in, out);
}

absl::Status AesIge256::EncryptChained(MutableByteView iv32, ByteView in,
                                       MutableByteView out) const {
  return Run(true, iv32, in, out);
}

absl::Status AesIge256::DecryptChained(MutableByteView iv32, ByteView in,
                                       MutableByteView out) const {
  return Run(false, iv32, in, out);
}

absl::Status AesIgeEncrypt(ByteView key32, ByteView iv32, ByteView in, MutableByteView out) {
  return AesIge256(key32).Encrypt(iv32, in, out);
}

absl::Status AesIgeDecrypt(ByteView key32, ByteView iv32, ByteView in, MutableByteView out) {
  return AesIge256(key32).Decrypt(iv32, in, out);
}

}  // namespace mtcore::crypto
