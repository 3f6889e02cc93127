#include "core/crypto/pubkey/rsa_key.h"

#include <string>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/test_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;
using testing::kTelegramProdKeyN;
using testing::kTelegramProdKeyPem;
using testing::kTestPublicKeyPkcs1Pem;
using testing::kTestPublicKeySpkiPem;

TEST(RsaKeyTest, TelegramProductionKey) {
  absl::StatusOr<RsaPublicKey> key = ParseRsaPublicKeyPem(kTelegramProdKeyPem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->n(), *BigInt::FromDecimal(kTelegramProdKeyN));
  EXPECT_EQ(key->e(), BigInt(65537));
  EXPECT_EQ(key->ModulusBytes(), 256u);
  // VECTORS.md sections 3 and 6; on the wire (LE): 85FD64DE851D9DD0.
  EXPECT_EQ(key->Fingerprint(), 0xd09d1d85de64fd85u);
}

TEST(RsaKeyTest, SpkiAndPkcs1OfTheSameKeyAgree) {
  absl::StatusOr<RsaPublicKey> a = ParseRsaPublicKeyPem(kTestPublicKeySpkiPem);
  absl::StatusOr<RsaPublicKey> b = ParseRsaPublicKeyPem(kTestPublicKeyPkcs1Pem);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->n(), b->n());
  EXPECT_EQ(a->e(), b->e());
  EXPECT_EQ(a->Fingerprint(), b->Fingerprint());
}

TEST(RsaKeyTest, PemExportRoundTripsByteForByte) {
  // Our encoder must reproduce OpenSSL's PEM exactly (same DER, same lines).
  absl::StatusOr<RsaPublicKey> k = ParseRsaPublicKeyPem(kTestPublicKeySpkiPem);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->ToSpkiPem(), std::string(kTestPublicKeySpkiPem));
  EXPECT_EQ(k->ToPkcs1Pem(), std::string(kTestPublicKeyPkcs1Pem));
  absl::StatusOr<RsaPublicKey> prod = ParseRsaPublicKeyPem(kTelegramProdKeyPem);
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(prod->ToPkcs1Pem(), std::string(kTelegramProdKeyPem));
  absl::StatusOr<RsaPublicKey> again = ParseRsaPublicKeyDer(prod->ToSpkiDer());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->Fingerprint(), 0xd09d1d85de64fd85u);
}

TEST(RsaKeyTest, TextAroundThePemIsIgnored) {
  std::string pem = std::string("Production key:\n") + kTelegramProdKeyPem + "trailer";
  absl::StatusOr<RsaPublicKey> key = ParseRsaPublicKeyPem(pem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->Fingerprint(), 0xd09d1d85de64fd85u);
}

TEST(RsaKeyTest, TlSerializeBytes) {
  EXPECT_EQ(HexEncode(TlSerializeBytes(*HexDecode("010001"))), "03010001");
  EXPECT_EQ(HexEncode(TlSerializeBytes(*HexDecode("0102"))), "02010200");
  Bytes long_value(256, 0xab);
  Bytes tl = TlSerializeBytes(long_value);
  ASSERT_EQ(tl.size(), 260u);
  EXPECT_EQ(HexEncode(ByteView(tl).subspan(0, 4)), "fe000100");
}

absl::Status ParseError(std::string_view pem) { return ParseRsaPublicKeyPem(pem).status(); }

TEST(RsaKeyTest, BadPemRejectedWithSpecificErrors) {
  EXPECT_THAT(ParseError("nothing here").message(),
              HasSubstr("no -----BEGIN RSA PUBLIC KEY----- or -----BEGIN PUBLIC KEY-----"));
  EXPECT_THAT(ParseError("-----BEGIN RSA PUBLIC KEY-----\nMIIB\n").message(),
              HasSubstr("missing -----END RSA PUBLIC KEY-----"));
  EXPECT_THAT(
      ParseError("-----BEGIN RSA PUBLIC KEY-----\nMII*\n-----END RSA PUBLIC KEY-----").message(),
      HasSubstr("bad base64 character at offset 4"));
  EXPECT_THAT(
      ParseError("-----BEGIN RSA PUBLIC KEY-----\nMIIBC\n-----END RSA PUBLIC KEY-----").message(),
      HasSubstr("base64 length"));
  // Truncated DER (valid base64 of the first 6 bytes of the production key).
  EXPECT_THAT(
      ParseError("-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKC\n-----END RSA PUBLIC KEY-----")
          .message(),
      HasSubstr("RSA DER: RSAPublicKey runs past the end"));
  EXPECT_EQ(ParseError("x").code(), absl::StatusCode::kInvalidArgument);
}

Bytes Der(std::string_view hex) { return *HexDecode(hex); }

TEST(RsaKeyTest, BadDerRejectedWithSpecificErrors) {
  // A valid 512-bit-ish modulus body: 0x00 + 0xc0 + 63 bytes of 0x01 ending odd.
  std::string n_hex = "0241" "00c0" + std::string(124, '1') + "01";  // INTEGER, 65 bytes
  std::string e_hex = "0203010001";
  auto seq = [](std::string body) {
    size_t len = body.size() / 2;
    char buf[32];
    if (len < 128) {
      snprintf(buf, sizeof buf, "%02zx", len);
      return "30" + std::string(buf) + body;
    }
    snprintf(buf, sizeof buf, "81%02zx", len);
    return "30" + std::string(buf) + body;
  };
  ASSERT_TRUE(ParseRsaPublicKeyDer(Der(seq(n_hex + e_hex))).ok());
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + e_hex) + "00")).status().message(),
              HasSubstr("trailing bytes after RSAPublicKey"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + e_hex + "020103"))).status().message(),
              HasSubstr("extra fields in RSAPublicKey"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + "0203810001"))).status().message(),
              HasSubstr("negative INTEGER publicExponent"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + "020400010001"))).status().message(),
              HasSubstr("non-minimal INTEGER publicExponent"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + "0200"))).status().message(),
              HasSubstr("empty INTEGER publicExponent"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + "0403010001"))).status().message(),
              HasSubstr("expected tag 0x2 for publicExponent, got 0x4"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der("3080" + n_hex + e_hex + "0000")).status().message(),
              HasSubstr("indefinite length"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der("308105" "0203010001")).status().message(),
              HasSubstr("non-minimal length encoding"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq("020103" + e_hex))).status().message(),
              HasSubstr("modulus has 2 bits"));
  std::string even_n = "0241" "00c0" + std::string(124, '1') + "02";
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(even_n + e_hex))).status().message(),
              HasSubstr("modulus is even"));
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(n_hex + "020102"))).status().message(),
              HasSubstr("public exponent must be odd"));
  // SubjectPublicKeyInfo with a non-RSA algorithm (id-ecPublicKey).
  std::string ec_alg = "3009" "06072a8648ce3d0201";
  EXPECT_THAT(ParseRsaPublicKeyDer(Der(seq(ec_alg + "03020000"))).status().message(),
              HasSubstr("algorithm is not rsaEncryption"));
}

TEST(RsaKeyTest, FindKeyByFingerprint) {
  std::vector<RsaPublicKey> keys = {*ParseRsaPublicKeyPem(kTestPublicKeySpkiPem),
                                    *ParseRsaPublicKeyPem(kTelegramProdKeyPem)};
  std::vector<uint64_t> server = {0x1234, 0xd09d1d85de64fd85u};
  absl::StatusOr<const RsaPublicKey*> k = FindKeyByFingerprint(keys, server);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ((*k)->Fingerprint(), 0xd09d1d85de64fd85u);

  std::vector<uint64_t> unknown = {0x1234, 0xabcdef};
  k = FindKeyByFingerprint(keys, unknown);
  EXPECT_EQ(k.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(k.status().message(),
              HasSubstr("no known key matches server fingerprints [0x1234, 0xabcdef]"));
}

TEST(RsaKeyTest, RawEncryptRejectsMessageNotBelowModulus) {
  RsaPublicKey key = *ParseRsaPublicKeyPem(kTelegramProdKeyPem);
  EXPECT_THAT(key.RawEncrypt(key.n()).status().message(),
              HasSubstr("message is not less than the modulus"));
  absl::StatusOr<Bytes> c = key.RawEncrypt(BigInt(2));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), 256u);
}

}  // namespace
}  // namespace mtcore::crypto
