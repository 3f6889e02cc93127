// Cross-checks against OpenSSL libcrypto (native only): random inputs and
// lengths, both SHA-256 implementations, SHA-1/512, HMAC, PBKDF2.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>

#include "core/base/bytes.h"
#include "core/crypto/sha.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes OpenSslDigest(const EVP_MD* md, ByteView data) {
  Bytes out(EVP_MD_get_size(md));
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr), 1);
  out.resize(len);
  return out;
}

template <size_t N>
Bytes B(const std::array<uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}

Bytes RandomBytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

TEST(ShaOracleTest, DigestsMatchOpenSslOnRandomInputs) {
  std::mt19937_64 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    size_t n = (i < 1100) ? size_t(i) : size_t(rng() % 20000);
    Bytes data = RandomBytes(rng, n);
    Bytes want256 = OpenSslDigest(EVP_sha256(), data);
    ASSERT_EQ(B(Sha256With(CryptoImpl::kFastest, data)), want256) << "length " << n;
    ASSERT_EQ(B(Sha256With(CryptoImpl::kPortable, data)), want256) << "length " << n;
    if (i % 3 == 0) {
      ASSERT_EQ(B(Sha1(data)), OpenSslDigest(EVP_sha1(), data)) << "length " << n;
      ASSERT_EQ(B(Sha512(data)), OpenSslDigest(EVP_sha512(), data)) << "length " << n;
    }
  }
}

TEST(ShaOracleTest, IncrementalSha256WithRandomSplitsMatchesOpenSsl) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 500; ++i) {
    Bytes data = RandomBytes(rng, rng() % 5000);
    for (CryptoImpl impl : {CryptoImpl::kFastest, CryptoImpl::kPortable}) {
      Sha256Hasher h(impl);
      size_t off = 0;
      while (off < data.size()) {
        size_t take = std::min<size_t>(data.size() - off, rng() % 300);
        h.Update(ByteView(data).subspan(off, take));
        off += take;
      }
      ASSERT_EQ(B(h.Finish()), OpenSslDigest(EVP_sha256(), data));
    }
  }
}

TEST(ShaOracleTest, HmacSha256MatchesOpenSsl) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    Bytes key = RandomBytes(rng, rng() % 200);
    Bytes data = RandomBytes(rng, rng() % 3000);
    Bytes want(32);
    unsigned int len = 0;
    ASSERT_NE(HMAC(EVP_sha256(), key.data(), int(key.size()), data.data(), data.size(),
                   want.data(), &len),
              nullptr);
    ASSERT_EQ(B(HmacSha256(key, data)), want) << "key " << key.size() << " data " << data.size();
  }
}

TEST(ShaOracleTest, Pbkdf2HmacSha512MatchesOpenSsl) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 60; ++i) {
    Bytes password = RandomBytes(rng, rng() % 200);
    Bytes salt = RandomBytes(rng, rng() % 80);
    int iterations = 1 + int(rng() % 300);
    size_t out_len = rng() % 200;
    Bytes want(out_len);
    ASSERT_EQ(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()),
                                int(password.size()), salt.data(), int(salt.size()), iterations,
                                EVP_sha512(), int(out_len), want.data()),
              1);
    ASSERT_EQ(Pbkdf2HmacSha512(password, salt, iterations, out_len), want);
  }
}

}  // namespace
}  // namespace mtcore::crypto
