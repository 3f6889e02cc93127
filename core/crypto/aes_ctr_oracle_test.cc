// Cross-checks AES-256-CTR against OpenSSL EVP_aes_256_ctr (native only):
// random keys, counters (including near-wrap ones) and split points.
#include <openssl/evp.h>

#include <random>

#include "core/base/bytes.h"
#include "core/crypto/aes_ctr.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes OpenSslCtr(ByteView key, ByteView iv, ByteView in) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key.data(), iv.data());
  Bytes out(in.size());
  int len = 0;
  if (!in.empty()) EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), int(in.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

TEST(AesCtrOracleTest, MatchesOpenSslWithRandomSplits) {
  std::mt19937_64 rng(77);
  for (int i = 0; i < 2000; ++i) {
    Bytes key(32), iv(16), data(rng() % 3000);
    for (auto& b : key) b = uint8_t(rng());
    for (auto& b : iv) b = uint8_t(rng());
    if (i % 4 == 0) std::fill(iv.begin() + 8 + (rng() % 8), iv.end(), 0xff);  // carries
    for (auto& b : data) b = uint8_t(rng());
    Bytes want = OpenSslCtr(key, iv, data);
    for (CryptoImpl impl : {CryptoImpl::kFastest, CryptoImpl::kPortable}) {
      auto ctr = AesCtr256::Create(key, iv, impl);
      ASSERT_TRUE(ctr.ok());
      Bytes got = data;
      size_t off = 0;
      while (off < got.size()) {
        size_t take = std::min<size_t>(got.size() - off, rng() % 400);
        ctr->Apply(MutableByteView(got).subspan(off, take));
        off += take;
      }
      ASSERT_EQ(got, want) << "case " << i << " length " << data.size();
    }
  }
}

}  // namespace
}  // namespace mtcore::crypto
