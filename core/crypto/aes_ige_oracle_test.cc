// Cross-checks AES-256-IGE against OpenSSL's AES_ige_encrypt (native only):
// thousands of random keys/ivs/lengths, fast path and portable path.
#include <openssl/aes.h>

#include <random>

#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes RandomBytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

Bytes OpenSslIge(ByteView key, ByteView iv, ByteView in, bool encrypt) {
  AES_KEY k;
  if (encrypt) {
    AES_set_encrypt_key(key.data(), 256, &k);
  } else {
    AES_set_decrypt_key(key.data(), 256, &k);
  }
  Bytes iv_copy(iv.begin(), iv.end());
  Bytes out(in.size());
  if (!in.empty()) {
    AES_ige_encrypt(in.data(), out.data(), in.size(), &k, iv_copy.data(),
                    encrypt ? AES_ENCRYPT : AES_DECRYPT);
  }
  return out;
}

TEST(AesIgeOracleTest, MatchesOpenSslOnRandomInputs) {
  std::mt19937_64 rng(2024);
  for (int i = 0; i < 3000; ++i) {
    Bytes key = RandomBytes(rng, 32), iv = RandomBytes(rng, 32);
    size_t n = 16 * (i < 200 ? size_t(i) : size_t(rng() % 600));
    Bytes data = RandomBytes(rng, n);
    Bytes want_enc = OpenSslIge(key, iv, data, true);
    Bytes want_dec = OpenSslIge(key, iv, data, false);
    for (CryptoImpl impl : {CryptoImpl::kFastest, CryptoImpl::kPortable}) {
      AesIge256 ige(key, impl);
      Bytes out(n);
      ASSERT_TRUE(ige.Encrypt(iv, data, MutableByteView(out)).ok());
      ASSERT_EQ(out, want_enc) << "encrypt, length " << n;
      ASSERT_TRUE(ige.Decrypt(iv, data, MutableByteView(out)).ok());
      ASSERT_EQ(out, want_dec) << "decrypt, length " << n;
    }
  }
}

// The one-shot function used in place (in == out) agrees with OpenSSL too.
TEST(AesIgeOracleTest, InPlaceMatchesOpenSsl) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    Bytes key = RandomBytes(rng, 32), iv = RandomBytes(rng, 32);
    Bytes data = RandomBytes(rng, 16 * (1 + rng() % 100));
    Bytes want = OpenSslIge(key, iv, data, true);
    ASSERT_TRUE(AesIgeEncrypt(key, iv, data, MutableByteView(data)).ok());
    ASSERT_EQ(data, want);
  }
}

}  // namespace
}  // namespace mtcore::crypto
