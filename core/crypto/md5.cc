#include "core/crypto/md5.h"

namespace mtcore::crypto {

Md5Hasher::Md5Hasher() {
  mbedtls_md5_init(&ctx_);
  mbedtls_md5_starts_ret(&ctx_);
}

Md5Hasher::~Md5Hasher() { mbedtls_md5_free(&ctx_); }

void Md5Hasher::Update(ByteView data) {
  if (!data.empty()) mbedtls_md5_update_ret(&ctx_, data.data(), data.size());
}

Md5Digest Md5Hasher::Finish() {
  Md5Digest d;
  mbedtls_md5_finish_ret(&ctx_, d.data());
  mbedtls_md5_starts_ret(&ctx_);
  return d;
}

Md5Digest Md5(ByteView data) {
  Md5Hasher h;
  h.Update(data);
  return h.Finish();
}

std::string Md5Hex(const Md5Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (uint8_t b : digest) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 15]);
  }
  return hex;
}

}  // namespace mtcore::crypto
