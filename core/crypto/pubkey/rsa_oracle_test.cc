// Cross-checks our RSA and big-integer results against OpenSSL's libcrypto.
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "core/base/bytes.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/rsa_pad.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes BnToBytes(const BIGNUM* bn) {
  Bytes out(BN_num_bytes(bn));
  BN_bn2bin(bn, out.data());
  return out;
}

TEST(RsaOracleTest, ModExpMatchesOpenSsl) {
  DeterministicRandom rng(77);
  BN_CTX* ctx = BN_CTX_new();
  for (int i = 0; i < 5; ++i) {
    Bytes m = RandomBytes(rng, 256), e = RandomBytes(rng, 256), b = RandomBytes(rng, 255);
    m.back() |= 1;
    BigInt ours = *BigInt::ModExp(*BigInt::FromBigEndian(b), *BigInt::FromBigEndian(e),
                                  *BigInt::FromBigEndian(m));
    BIGNUM *bm = BN_bin2bn(m.data(), m.size(), nullptr), *be = BN_bin2bn(e.data(), e.size(), nullptr),
           *bb = BN_bin2bn(b.data(), b.size(), nullptr), *r = BN_new();
    ASSERT_EQ(BN_mod_exp(r, bb, be, bm, ctx), 1);
    EXPECT_EQ(HexEncode(ours.ToBigEndian()), HexEncode(BnToBytes(r)));
    BN_free(bm);
    BN_free(be);
    BN_free(bb);
    BN_free(r);
  }
  BN_CTX_free(ctx);
}

TEST(RsaOracleTest, OpenSslReadsOurPublicPem) {
  DeterministicRandom rng(78);
  RsaPrivateKey key = *RsaPrivateKey::Generate(rng, 2048);
  for (const std::string& pem : {key.public_key().ToSpkiPem()}) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    ASSERT_NE(pkey, nullptr);
    BIGNUM* n = nullptr;
    ASSERT_EQ(EVP_PKEY_get_bn_param(pkey, "n", &n), 1);
    EXPECT_EQ(HexEncode(BnToBytes(n)), HexEncode(key.public_key().n().ToBigEndian()));
    BN_free(n);
    EVP_PKEY_free(pkey);
    BIO_free(bio);
  }
}

TEST(RsaOracleTest, RawRsaMatchesOpenSslNoPadding) {
  // OpenSSL decrypts our RSA_PAD output with RSA_NO_PADDING to the same block
  // our private key yields.
  const std::string pem = testing::kTestPrivateKeyPem;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(pkey, nullptr);
  RsaPrivateKey ours = *RsaPrivateKey::FromPem(pem);
  DeterministicRandom rng(79);
  Bytes enc = *RsaPadEncrypt(ours.public_key(), Bytes(100, 0x42), rng);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(pkey, nullptr);
  ASSERT_EQ(EVP_PKEY_decrypt_init(ctx), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
  Bytes out(256);
  size_t out_len = out.size();
  ASSERT_EQ(EVP_PKEY_decrypt(ctx, out.data(), &out_len, enc.data(), enc.size()), 1);
  ASSERT_EQ(out_len, 256u);
  SecretBytes mine = *ours.RawDecrypt(enc, rng);
  EXPECT_EQ(HexEncode(out), HexEncode(mine.view()));
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  BIO_free(bio);
}

}  // namespace
}  // namespace mtcore::crypto
