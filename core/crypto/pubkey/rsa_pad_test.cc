#include "core/crypto/pubkey/rsa_pad.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/pubkey/bigint.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "core/crypto/sha.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

// p_q_inner_data_dc of the auth key worked example (VECTORS.md section 3).
constexpr char kInnerData[] =
    "955FF5A908256595EDB7766797000000045A300D4B000000046A26DB65000000406709F612FADFBEC3F0289D0AA6"
    "7EEFE11DBC3BC97D91A26154F932AF019943A8BBC849512DAC6C67B6EFD9157D6CA7377A1776307D84265C6BE9BD"
    "CF802AC102000000";

const RsaPrivateKey& TestKey() {
  static const RsaPrivateKey* key =
      new RsaPrivateKey(*RsaPrivateKey::FromPem(testing::kTestPrivateKeyPem));
  return *key;
}

TEST(RsaPrivateKeyTest, PemImportMatchesPublicHalf) {
  RsaPublicKey pub = *ParseRsaPublicKeyPem(testing::kTestPublicKeySpkiPem);
  EXPECT_EQ(TestKey().public_key().n(), pub.n());
  EXPECT_EQ(TestKey().public_key().e(), pub.e());
  absl::StatusOr<std::string> pem = TestKey().ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, std::string(testing::kTestPrivateKeyPem));
}

TEST(RsaPrivateKeyTest, BadPemRejected) {
  absl::StatusOr<RsaPrivateKey> k = RsaPrivateKey::FromPem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n");
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(k.status().message(), HasSubstr("RSA private PEM: cannot parse"));
}

TEST(RsaPrivateKeyTest, GenerateIsDeterministicAndExportsPem) {
  DeterministicRandom r1(99), r2(99);
  absl::StatusOr<RsaPrivateKey> a = RsaPrivateKey::Generate(r1, 2048);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->public_key().n().BitLength(), 2048u);
  EXPECT_EQ(a->public_key().e(), BigInt(65537));
  absl::StatusOr<RsaPrivateKey> b = RsaPrivateKey::Generate(r2, 2048);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->public_key().n(), b->public_key().n());

  // Private PEM round trip, public PEM parses back to the same key.
  absl::StatusOr<RsaPrivateKey> again = RsaPrivateKey::FromPem(*a->ToPem());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->public_key().n(), a->public_key().n());
  absl::StatusOr<RsaPublicKey> pub = ParseRsaPublicKeyPem(a->public_key().ToPkcs1Pem());
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->Fingerprint(), a->public_key().Fingerprint());

  // The generated key works with RSA_PAD.
  DeterministicRandom rng(1);
  Bytes data = *HexDecode(kInnerData);
  Bytes enc = *RsaPadEncrypt(a->public_key(), data, rng);
  Bytes dec = *RsaPadDecrypt(*a, enc, rng);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), dec.begin()));

  EXPECT_THAT(RsaPrivateKey::Generate(r1, 512).status().message(),
              HasSubstr("RSA key generation: 512 bits"));
}

TEST(RsaPrivateKeyTest, RawDecryptChecksInput) {
  DeterministicRandom rng(1);
  EXPECT_THAT(TestKey().RawDecrypt(Bytes(255, 1), rng).status().message(),
              HasSubstr("ciphertext is 255 bytes, need 256"));
  Bytes n = *TestKey().public_key().n().ToBigEndian(256);
  EXPECT_THAT(TestKey().RawDecrypt(n, rng).status().message(),
              HasSubstr("ciphertext is not less than the modulus"));
}

TEST(RsaPadTest, RoundTripWorkedExampleData) {
  DeterministicRandom rng(42);
  Bytes data = *HexDecode(kInnerData);
  absl::StatusOr<Bytes> enc = RsaPadEncrypt(TestKey().public_key(), data, rng);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->size(), 256u);
  absl::StatusOr<Bytes> dec = RsaPadDecrypt(TestKey(), *enc, rng);
  ASSERT_TRUE(dec.ok()) << dec.status();
  ASSERT_EQ(dec->size(), 192u);
  EXPECT_EQ(HexEncode(ByteView(*dec).subspan(0, data.size())), HexEncode(data));
}

TEST(RsaPadTest, StructureMatchesTheSpec) {
  // Decrypt with the raw private operation and undo each step by hand.
  DeterministicRandom rng(7);
  Bytes data = *HexDecode(kInnerData);
  Bytes enc = *RsaPadEncrypt(TestKey().public_key(), data, rng);
  SecretBytes block = *TestKey().RawDecrypt(enc, rng);
  ByteView aes_encrypted = block.view().subspan(32);
  Sha256Digest h = Sha256(aes_encrypted);
  Bytes temp_key(32);
  for (int i = 0; i < 32; ++i) temp_key[i] = block[i] ^ h[i];
  Bytes with_hash(224);
  Bytes zero_iv(32, 0);
  ASSERT_TRUE(AesIgeDecrypt(temp_key, zero_iv, aes_encrypted, MutableByteView(with_hash)).ok());
  Bytes padded(with_hash.rbegin() + 32, with_hash.rend());  // reverse of the first 192
  ASSERT_EQ(padded.size(), 192u);
  EXPECT_EQ(HexEncode(ByteView(padded).subspan(0, data.size())), HexEncode(data));
  Sha256Digest inner = Sha256({temp_key, padded});
  EXPECT_EQ(HexEncode(inner), HexEncode(ByteView(with_hash).subspan(192)));
}

TEST(RsaPadTest, EveryDataLengthUpTo144) {
  DeterministicRandom rng(3);
  for (size_t len : {size_t{0}, size_t{1}, size_t{96}, size_t{143}, size_t{144}}) {
    Bytes data(len);
    for (size_t i = 0; i < len; ++i) data[i] = uint8_t(i * 7 + 1);
    Bytes enc = *RsaPadEncrypt(TestKey().public_key(), data, rng);
    Bytes dec = *RsaPadDecrypt(TestKey(), enc, rng);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), dec.begin())) << len;
  }
}

TEST(RsaPadTest, DataTooLongRejected) {
  DeterministicRandom rng(3);
  absl::StatusOr<Bytes> enc = RsaPadEncrypt(TestKey().public_key(), Bytes(145), rng);
  EXPECT_EQ(enc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(enc.status().message(), HasSubstr("RSA_PAD: data is 145 bytes, at most 144 allowed"));
}

TEST(RsaPadTest, KeyOfWrongSizeRejected) {
  DeterministicRandom rng(3);
  // A 2040-bit modulus: n >> 8 of the test key, made odd.
  BigInt n = *BigInt::ShiftRight(TestKey().public_key().n(), 8);
  if (!n.IsOdd()) n = *BigInt::Add(n, BigInt(1));
  RsaPublicKey small = *RsaPublicKey::FromComponents(n, BigInt(65537));
  EXPECT_THAT(RsaPadEncrypt(small, Bytes(10), rng).status().message(),
              HasSubstr("RSA_PAD: key must be 2048 bits (got 2040)"));
}

TEST(RsaPadTest, TamperedCiphertextFailsTheHashCheck) {
  DeterministicRandom rng(5);
  Bytes enc = *RsaPadEncrypt(TestKey().public_key(), Bytes(20, 0x55), rng);
  enc[100] ^= 0x01;
  absl::StatusOr<Bytes> dec = RsaPadDecrypt(TestKey(), enc, rng);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(dec.status().message(), HasSubstr("RSA_PAD: hash mismatch"));
  EXPECT_THAT(RsaPadDecrypt(TestKey(), Bytes(200), rng).status().message(),
              HasSubstr("RSA_PAD: encrypted data is 200 bytes, need 256"));
}

TEST(RsaLegacyTest, RoundTrip) {
  DeterministicRandom rng(11);
  Bytes data = *HexDecode(kInnerData);
  absl::StatusOr<Bytes> enc = RsaLegacyEncrypt(TestKey().public_key(), data, rng);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->size(), 256u);
  size_t seen = 0;
  absl::StatusOr<Bytes> dec = RsaLegacyDecrypt(
      TestKey(), *enc,
      [&](ByteView rest) -> absl::StatusOr<size_t> {
        seen = rest.size();
        return data.size();
      },
      rng);
  ASSERT_TRUE(dec.ok()) << dec.status();
  EXPECT_EQ(seen, 235u);
  EXPECT_EQ(HexEncode(*dec), HexEncode(data));
}

TEST(RsaLegacyTest, StructureIsSha1DataPadding) {
  DeterministicRandom rng(12);
  Bytes data = {1, 2, 3, 4, 5};
  Bytes enc = *RsaLegacyEncrypt(TestKey().public_key(), data, rng);
  SecretBytes m = *TestKey().RawDecrypt(enc, rng);
  EXPECT_EQ(m[0], 0);  // 255 bytes in a 256-byte block
  Sha1Digest h = Sha1(data);
  EXPECT_EQ(HexEncode(m.view().subspan(1, 20)), HexEncode(h));
  EXPECT_EQ(HexEncode(m.view().subspan(21, 5)), "0102030405");
}

TEST(RsaLegacyTest, Errors) {
  DeterministicRandom rng(13);
  EXPECT_THAT(RsaLegacyEncrypt(TestKey().public_key(), Bytes(236), rng).status().message(),
              HasSubstr("RSA legacy: data is 236 bytes, at most 235 allowed"));
  Bytes data(40, 9);
  Bytes enc = *RsaLegacyEncrypt(TestKey().public_key(), data, rng);
  // A wrong length makes the SHA1 check fail.
  absl::StatusOr<Bytes> dec = RsaLegacyDecrypt(
      TestKey(), enc, [](ByteView) -> absl::StatusOr<size_t> { return 41; }, rng);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(dec.status().message(), HasSubstr("RSA legacy: SHA1 mismatch"));
  dec = RsaLegacyDecrypt(
      TestKey(), enc, [](ByteView) -> absl::StatusOr<size_t> { return 236; }, rng);
  EXPECT_THAT(dec.status().message(), HasSubstr("RSA legacy: data length 236 exceeds 235"));
  dec = RsaLegacyDecrypt(
      TestKey(), enc,
      [](ByteView) -> absl::StatusOr<size_t> { return absl::DataLossError("bad TL"); }, rng);
  EXPECT_EQ(dec.status().code(), absl::StatusCode::kDataLoss);
  // A full 256-byte value (top byte set) cannot be a legacy block.
  BigInt big = *BigInt::Sub(TestKey().public_key().n(), BigInt(1));
  Bytes c = *TestKey().public_key().RawEncrypt(big);
  dec = RsaLegacyDecrypt(
      TestKey(), c, [](ByteView) -> absl::StatusOr<size_t> { return 0; }, rng);
  EXPECT_THAT(dec.status().message(), HasSubstr("RSA legacy: decrypted value exceeds 255 bytes"));
}

}  // namespace
}  // namespace mtcore::crypto
