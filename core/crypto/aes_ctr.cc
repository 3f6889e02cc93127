#include "core/crypto/aes_ctr.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/crypto/aes_block.h"

namespace mtcore::crypto {

AesCtr256::AesCtr256(const internal::AesKernels* kernels) : kernels_(kernels) {}

absl::StatusOr<AesCtr256> AesCtr256::Create(ByteView key32, ByteView iv16, CryptoImpl impl) {
  if (key32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-CTR: key must be 32 bytes, got ", key32.size()));
  }
  if (iv16.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-CTR: iv must be 16 bytes, got ", iv16.size()));
  }
  AesCtr256 ctr(&internal::GetAesKernels(impl));
  ctr.schedule_ = std::make_unique<internal::Aes256Schedule>();
  ctr.schedule_->Expand(key32.data());
  std::memcpy(ctr.counter_, iv16.data(), 16);
  return ctr;
}

AesCtr256::~AesCtr256() {
  if (schedule_) schedule_->Wipe();
  SecureWipe(MutableByteView(counter_, 16));
  SecureWipe(MutableByteView(keystream_, 16));
}

AesCtr256::AesCtr256(AesCtr256&& other) noexcept
    : schedule_(std::move(other.schedule_)),
      kernels_(other.kernels_),
      keystream_pos_(other.keystream_pos_) {
  std::memcpy(counter_, other.counter_, 16);
  std::memcpy(keystream_, other.keystream_, 16);
}

AesCtr256& AesCtr256::operator=(AesCtr256&& other) noexcept {
  if (this != &other) {
    if (schedule_) schedule_->Wipe();
    schedule_ = std::move(other.schedule_);
    kernels_ = other.kernels_;
    keystream_pos_ = other.keystream_pos_;
    std::memcpy(counter_, other.counter_, 16);
    std::memcpy(keystream_, other.keystream_, 16);
  }
  return *this;
}

void AesCtr256::Run(const uint8_t* in, uint8_t* out, size_t n) {
  if (!schedule_) return;  // moved-from
  while (n > 0 && keystream_pos_ < 16) {
    *out++ = *in++ ^ keystream_[keystream_pos_++];
    --n;
  }
  if (n >= 16) {
    size_t blocks = n / 16;
    kernels_->ctr_xor(*schedule_, counter_, in, out, blocks);
    in += 16 * blocks;
    out += 16 * blocks;
    n -= 16 * blocks;
  }
  if (n > 0) {
    std::memset(keystream_, 0, 16);
    kernels_->ctr_xor(*schedule_, counter_, keystream_, keystream_, 1);
    for (keystream_pos_ = 0; keystream_pos_ < n; ++keystream_pos_) {
      out[keystream_pos_] = in[keystream_pos_] ^ keystream_[keystream_pos_];
    }
  }
}

void AesCtr256::Apply(MutableByteView data) { Run(data.data(), data.data(), data.size()); }

absl::Status AesCtr256::Apply(ByteView in, MutableByteView out) {
  if (out.size() != in.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES-CTR: output length ", out.size(), " differs from input length ", in.size()));
  }
  Run(in.data(), out.data(), in.size());
  return absl::OkStatus();
}

}  // namespace mtcore::crypto
