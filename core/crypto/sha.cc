#include "core/crypto/sha.h"

#include <algorithm>
#include <cstring>

#include "core/crypto/sha256_blocks.h"
#include "mbedtls/sha1.h"
#include "mbedtls/sha512.h"

namespace mtcore::crypto {
namespace {

constexpr uint32_t kSha256Init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Mbed TLS 2.28's *_ret functions only fail on hardware-accelerator errors,
// which the software build we link cannot produce; results are ignored.
Sha512Digest Sha512Parts(std::initializer_list<ByteView> parts) {
  mbedtls_sha512_context ctx;
  mbedtls_sha512_init(&ctx);
  mbedtls_sha512_starts_ret(&ctx, /*is384=*/0);
  for (ByteView p : parts) mbedtls_sha512_update_ret(&ctx, p.data(), p.size());
  Sha512Digest out;
  mbedtls_sha512_finish_ret(&ctx, out.data());
  mbedtls_sha512_free(&ctx);
  return out;
}

}  // namespace

// ---- SHA-1 -------------------------------------------------------------------

Sha1Hasher::Sha1Hasher() {
  mbedtls_sha1_init(&ctx_);
  mbedtls_sha1_starts_ret(&ctx_);
}

Sha1Hasher::~Sha1Hasher() { mbedtls_sha1_free(&ctx_); }

void Sha1Hasher::Update(ByteView data) { mbedtls_sha1_update_ret(&ctx_, data.data(), data.size()); }

Sha1Digest Sha1Hasher::Finish() {
  Sha1Digest out;
  mbedtls_sha1_finish_ret(&ctx_, out.data());
  mbedtls_sha1_starts_ret(&ctx_);
  return out;
}

Sha1Digest Sha1(ByteView data) { return Sha1({data}); }

Sha1Digest Sha1(std::initializer_list<ByteView> parts) {
  Sha1Hasher h;
  for (ByteView p : parts) h.Update(p);
  return h.Finish();
}

// ---- SHA-256 -----------------------------------------------------------------

Sha256Hasher::Sha256Hasher(CryptoImpl impl) : blocks_fn_(internal::GetSha256Blocks(impl)) {
  Reset();
}

Sha256Hasher::~Sha256Hasher() {
  SecureWipe(MutableByteView(buffer_, sizeof(buffer_)));
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(state_), sizeof(state_)));
}

void Sha256Hasher::Reset() {
  std::memcpy(state_, kSha256Init, sizeof(state_));
  buffered_ = 0;
  total_bytes_ = 0;
}

void Sha256Hasher::Update(ByteView data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  total_bytes_ += n;
  if (buffered_ > 0) {
    size_t take = std::min(n, sizeof(buffer_) - buffered_);
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
    if (buffered_ < sizeof(buffer_)) return;
    blocks_fn_(state_, buffer_, 1);
    buffered_ = 0;
  }
  if (n >= 64) {
    blocks_fn_(state_, p, n / 64);
    p += n & ~size_t{63};
    n &= 63;
  }
  if (n > 0) {
    std::memcpy(buffer_, p, n);
    buffered_ = n;
  }
}

Sha256Digest Sha256Hasher::Finish() {
  const uint64_t bit_len = total_bytes_ * 8;
  uint8_t pad[72] = {0x80};
  size_t pad_len = (buffered_ < 56 ? 56 : 120) - buffered_;
  for (int i = 0; i < 8; ++i) pad[pad_len + i] = uint8_t(bit_len >> (56 - 8 * i));
  Update(ByteView(pad, pad_len + 8));
  Sha256Digest out;
  for (int i = 0; i < 8; ++i) StoreBe32(out.data() + 4 * i, state_[i]);
  Reset();
  return out;
}

Sha256Digest Sha256(ByteView data) {
  Sha256Hasher h;
  h.Update(data);
  return h.Finish();
}

Sha256Digest Sha256(std::initializer_list<ByteView> parts) {
  Sha256Hasher h;
  for (ByteView p : parts) h.Update(p);
  return h.Finish();
}

Sha256Digest Sha256With(CryptoImpl impl, ByteView data) {
  Sha256Hasher h(impl);
  h.Update(data);
  return h.Finish();
}

// ---- SHA-512 -----------------------------------------------------------------

Sha512Digest Sha512(ByteView data) { return Sha512Parts({data}); }
Sha512Digest Sha512(std::initializer_list<ByteView> parts) { return Sha512Parts(parts); }

// ---- HMAC-SHA256 -------------------------------------------------------------

Sha256Digest HmacSha256(ByteView key, ByteView data) { return HmacSha256(key, {data}); }

Sha256Digest HmacSha256(ByteView key, std::initializer_list<ByteView> parts) {
  uint8_t block[64] = {};
  if (key.size() > 64) {
    Sha256Digest k = Sha256(key);
    std::memcpy(block, k.data(), k.size());
    SecureWipe(MutableByteView(k));
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[64];
  for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x36;
  Sha256Hasher inner;
  inner.Update(ByteView(pad, 64));
  for (ByteView p : parts) inner.Update(p);
  Sha256Digest inner_digest = inner.Finish();
  for (int i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x5c;
  Sha256Digest out = Sha256({ByteView(pad, 64), ByteView(inner_digest)});
  SecureWipe(MutableByteView(block, 64));
  SecureWipe(MutableByteView(pad, 64));
  return out;
}

// ---- PBKDF2-HMAC-SHA512 ------------------------------------------------------

Bytes Pbkdf2HmacSha512(ByteView password, ByteView salt, int iterations, size_t out_len) {
  if (iterations < 1) iterations = 1;
  uint8_t block[128] = {};
  if (password.size() > 128) {
    Sha512Digest k = Sha512(password);
    std::memcpy(block, k.data(), k.size());
    SecureWipe(MutableByteView(k));
  } else if (!password.empty()) {
    std::memcpy(block, password.data(), password.size());
  }
  // The keyed inner/outer states are computed once and cloned per HMAC, so
  // each iteration costs two compressions instead of four.
  mbedtls_sha512_context inner_keyed, outer_keyed, ctx;
  mbedtls_sha512_init(&inner_keyed);
  mbedtls_sha512_init(&outer_keyed);
  mbedtls_sha512_init(&ctx);
  uint8_t pad[128];
  for (int i = 0; i < 128; ++i) pad[i] = block[i] ^ 0x36;
  mbedtls_sha512_starts_ret(&inner_keyed, 0);
  mbedtls_sha512_update_ret(&inner_keyed, pad, 128);
  for (int i = 0; i < 128; ++i) pad[i] = block[i] ^ 0x5c;
  mbedtls_sha512_starts_ret(&outer_keyed, 0);
  mbedtls_sha512_update_ret(&outer_keyed, pad, 128);

  auto hmac = [&](std::initializer_list<ByteView> parts, uint8_t out[64]) {
    mbedtls_sha512_clone(&ctx, &inner_keyed);
    for (ByteView p : parts) mbedtls_sha512_update_ret(&ctx, p.data(), p.size());
    uint8_t inner_digest[64];
    mbedtls_sha512_finish_ret(&ctx, inner_digest);
    mbedtls_sha512_clone(&ctx, &outer_keyed);
    mbedtls_sha512_update_ret(&ctx, inner_digest, 64);
    mbedtls_sha512_finish_ret(&ctx, out);
  };

  Bytes out(out_len);
  uint8_t u[64], t[64];
  for (uint32_t block_index = 1; (block_index - 1) * size_t{64} < out_len; ++block_index) {
    uint8_t be_index[4];
    StoreBe32(be_index, block_index);
    hmac({salt, ByteView(be_index, 4)}, u);
    std::memcpy(t, u, 64);
    for (int i = 1; i < iterations; ++i) {
      hmac({ByteView(u, 64)}, u);
      for (int j = 0; j < 64; ++j) t[j] ^= u[j];
    }
    size_t offset = (block_index - 1) * size_t{64};
    std::memcpy(out.data() + offset, t, std::min<size_t>(64, out_len - offset));
  }
  SecureWipe(MutableByteView(block, sizeof(block)));
  SecureWipe(MutableByteView(pad, sizeof(pad)));
  SecureWipe(MutableByteView(u, sizeof(u)));
  SecureWipe(MutableByteView(t, sizeof(t)));
  mbedtls_sha512_free(&inner_keyed);
  mbedtls_sha512_free(&outer_keyed);
  mbedtls_sha512_free(&ctx);
  return out;
}

}  // namespace mtcore::crypto
