#include "core/crypto/aes_ctr.h"

#include <string>

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

class AesCtrImplTest : public ::testing::TestWithParam<CryptoImpl> {};

// NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt).
TEST_P(AesCtrImplTest, NistSp80038aVector) {
  auto ctr = AesCtr256::Create(
      Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"),
      Hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), GetParam());
  ASSERT_TRUE(ctr.ok());
  Bytes data = Hex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  ctr->Apply(MutableByteView(data));
  EXPECT_EQ(HexEncode(data),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
}

// The counter is one 128-bit big-endian number: ff..ff wraps to 00..00.
// Expected bytes from `openssl enc -aes-256-ctr`.
TEST_P(AesCtrImplTest, CounterCarriesAcrossAll128Bits) {
  auto ctr = AesCtr256::Create(
      Hex("00000000000000000000000000000000000000000000000000000000000000ff"),
      Hex("ffffffffffffffffffffffffffffffff"), GetParam());
  ASSERT_TRUE(ctr.ok());
  Bytes data(49, 0);
  ctr->Apply(MutableByteView(data));
  EXPECT_EQ(HexEncode(data),
            "90e525f58dfc92f3179f3ee89e3f86a8bc2546f4768081ceb295a72b31e6ab05"
            "27d320ba3e875e84f84192006fd0a54831");
}

// VECTORS.md 5, obf2_plain_abridged: the 64-byte init header, then the first
// packet continuing the same stream at keystream offset 64.
TEST_P(AesCtrImplTest, Obfuscated2HeaderAndFirstPacket) {
  Bytes init(64);
  for (int i = 0; i < 64; ++i) init[i] = uint8_t(0x10 + i);
  for (int i = 56; i < 60; ++i) init[i] = 0xef;
  auto c2s = AesCtr256::Create(ByteView(init).subspan(8, 32), ByteView(init).subspan(40, 16),
                               GetParam());
  ASSERT_TRUE(c2s.ok());
  EXPECT_EQ(HexEncode(ByteView(init).subspan(8, 32)),
            "18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637");
  Bytes encrypted(64);
  ASSERT_TRUE(c2s->Apply(init, MutableByteView(encrypted)).ok());
  Bytes header = init;
  std::copy(encrypted.begin() + 56, encrypted.end(), header.begin() + 56);
  EXPECT_EQ(HexEncode(header),
            "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
            "303132333435363738393a3b3c3d3e3f40414243444546473d4c99763b7b4b98");
  Bytes packet = Hex("0a0000000000000000d4720600503dc56514000000f18e7ebe406709f612fadfbec3f0289d0aa67eef");
  c2s->Apply(MutableByteView(packet));
  EXPECT_EQ(HexEncode(packet),
            "1f949fe2b8cb06c0aaa33005e07138e57f79dc111016c88848cfe240d8cd1284ac3d4c1ab1d7419569");
}

TEST_P(AesCtrImplTest, PiecesOfAnySizeEqualOneCall) {
  Bytes key(32, 0x42), iv(16, 0x07);
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13);
  auto whole = AesCtr256::Create(key, iv, GetParam());
  Bytes expected = data;
  whole->Apply(MutableByteView(expected));
  for (size_t step : {1u, 5u, 15u, 16u, 17u, 100u, 129u, 999u}) {
    auto ctr = AesCtr256::Create(key, iv, GetParam());
    Bytes got = data;
    for (size_t off = 0; off < got.size(); off += step) {
      ctr->Apply(MutableByteView(got).subspan(off, step));
    }
    EXPECT_EQ(got, expected) << "step " << step;
  }
}

INSTANTIATE_TEST_SUITE_P(BothImpls, AesCtrImplTest,
                         ::testing::Values(CryptoImpl::kFastest, CryptoImpl::kPortable),
                         [](const auto& info) {
                           return info.param == CryptoImpl::kFastest ? "Fastest" : "Portable";
                         });

TEST(AesCtrTest, ErrorsNameTheBadArgument) {
  auto bad_key = AesCtr256::Create(Bytes(16), Bytes(16));
  EXPECT_EQ(bad_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_key.status().message(), "AES-CTR: key must be 32 bytes, got 16");
  auto bad_iv = AesCtr256::Create(Bytes(32), Bytes(32));
  EXPECT_EQ(bad_iv.status().message(), "AES-CTR: iv must be 16 bytes, got 32");

  auto ctr = AesCtr256::Create(Bytes(32), Bytes(16));
  ASSERT_TRUE(ctr.ok());
  Bytes in(10), out(9);
  absl::Status s = ctr->Apply(in, MutableByteView(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "AES-CTR: output length 9 differs from input length 10");
  // The failed call did not advance the stream.
  auto fresh = AesCtr256::Create(Bytes(32), Bytes(16));
  Bytes a(10), b(10);
  ctr->Apply(MutableByteView(a));
  fresh->Apply(MutableByteView(b));
  EXPECT_EQ(a, b);
}

TEST(AesCtrTest, MoveKeepsThePosition) {
  auto ctr = AesCtr256::Create(Bytes(32, 1), Bytes(16, 2));
  auto ref = AesCtr256::Create(Bytes(32, 1), Bytes(16, 2));
  Bytes a(7), b(7);
  ctr->Apply(MutableByteView(a));
  ref->Apply(MutableByteView(b));
  AesCtr256 moved = std::move(*ctr);
  Bytes c(30), d(30);
  moved.Apply(MutableByteView(c));
  ref->Apply(MutableByteView(d));
  EXPECT_EQ(c, d);
}

}  // namespace
}  // namespace mtcore::crypto
