#include "core/crypto/aes_ige.h"

#include <string>

#include "core/base/bytes.h"
#include "core/crypto/aes_block.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

Bytes Seq(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i);
  return b;
}

class AesIgeImplTest : public ::testing::TestWithParam<CryptoImpl> {};

// VECTORS.md 1b (grammers): key = iv = data = 00..1f.
TEST_P(AesIgeImplTest, GrammersVectors) {
  Bytes key = Seq(32), iv = Seq(32), data = Seq(32);
  AesIge256 ige(key, GetParam());
  Bytes out(32);
  ASSERT_TRUE(ige.Encrypt(iv, data, MutableByteView(out)).ok());
  EXPECT_EQ(HexEncode(out), "e28112a53e5c89c7b1ea8071c133699fd4e86b26c4bac9fc5af1ab8ce27a44a4");
  ASSERT_TRUE(ige.Decrypt(iv, data, MutableByteView(out)).ok());
  EXPECT_EQ(HexEncode(out), "e5777afacd7b2c16f7ac40cae61ef603fee6098fb8a8860ab9ee672cd7e5bacc");
}

TEST_P(AesIgeImplTest, InPlaceEqualsOutOfPlaceAndRoundTrips) {
  Bytes key = Seq(32), iv = Hex("0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000");
  AesIge256 ige(key, GetParam());
  for (size_t n : {0u, 16u, 48u, 1024u}) {
    Bytes plain(n);
    for (size_t i = 0; i < n; ++i) plain[i] = uint8_t(i * 37 + 11);
    Bytes out(n);
    ASSERT_TRUE(ige.Encrypt(iv, plain, MutableByteView(out)).ok());
    Bytes in_place = plain;
    ASSERT_TRUE(ige.Encrypt(iv, in_place, MutableByteView(in_place)).ok());
    EXPECT_EQ(in_place, out);
    ASSERT_TRUE(ige.Decrypt(iv, in_place, MutableByteView(in_place)).ok());
    EXPECT_EQ(in_place, plain);
  }
}

TEST_P(AesIgeImplTest, ChainedCallsContinueTheStream) {
  Bytes key = Seq(32), iv = Seq(32);
  Bytes plain(160);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = uint8_t(255 - i);
  AesIge256 ige(key, GetParam());
  Bytes whole(plain.size());
  ASSERT_TRUE(ige.Encrypt(iv, plain, MutableByteView(whole)).ok());
  Bytes chain_iv = iv, pieces(plain.size());
  ASSERT_TRUE(ige.EncryptChained(MutableByteView(chain_iv), ByteView(plain).subspan(0, 48),
                                 MutableByteView(pieces).subspan(0, 48))
                  .ok());
  ASSERT_TRUE(ige.EncryptChained(MutableByteView(chain_iv), ByteView(plain).subspan(48),
                                 MutableByteView(pieces).subspan(48))
                  .ok());
  EXPECT_EQ(pieces, whole);
  Bytes dec_iv = iv, back(plain.size());
  ASSERT_TRUE(ige.DecryptChained(MutableByteView(dec_iv), ByteView(whole).subspan(0, 96),
                                 MutableByteView(back).subspan(0, 96))
                  .ok());
  ASSERT_TRUE(ige.DecryptChained(MutableByteView(dec_iv), ByteView(whole).subspan(96),
                                 MutableByteView(back).subspan(96))
                  .ok());
  EXPECT_EQ(back, plain);
  EXPECT_EQ(dec_iv, chain_iv);  // both end on (last ciphertext, last plaintext)
}

INSTANTIATE_TEST_SUITE_P(BothImpls, AesIgeImplTest,
                         ::testing::Values(CryptoImpl::kFastest, CryptoImpl::kPortable),
                         [](const auto& info) {
                           return info.param == CryptoImpl::kFastest ? "Fastest" : "Portable";
                         });

TEST(AesIgeTest, OneShotFunctionsMatchVectors) {
  Bytes key = Seq(32), iv = Seq(32), data = Seq(32), out(32);
  ASSERT_TRUE(AesIgeEncrypt(key, iv, data, MutableByteView(out)).ok());
  EXPECT_EQ(HexEncode(out), "e28112a53e5c89c7b1ea8071c133699fd4e86b26c4bac9fc5af1ab8ce27a44a4");
  ASSERT_TRUE(AesIgeDecrypt(key, iv, out, MutableByteView(out)).ok());
  EXPECT_EQ(out, data);
}

TEST(AesIgeTest, ErrorsNameTheBadArgument) {
  Bytes key = Seq(32), iv = Seq(32), data = Seq(32), out(32);
  absl::Status s = AesIgeEncrypt(Seq(16), iv, data, MutableByteView(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "AES-IGE encrypt: key must be 32 bytes, got 16");

  s = AesIgeDecrypt(key, Seq(31), data, MutableByteView(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "AES-IGE decrypt: iv must be 32 bytes, got 31");

  Bytes odd(17), odd_out(17);
  s = AesIgeEncrypt(key, iv, odd, MutableByteView(odd_out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "AES-IGE encrypt: input length 17 is not a multiple of 16");

  Bytes short_out(16);
  s = AesIgeEncrypt(key, iv, data, MutableByteView(short_out));
  EXPECT_EQ(s.message(), "AES-IGE encrypt: output length 16 differs from input length 32");

  Bytes buf(48);
  s = AesIgeEncrypt(key, iv, ByteView(buf).subspan(0, 32), MutableByteView(buf).subspan(16, 32));
  EXPECT_EQ(s.message(), "AES-IGE encrypt: input and output partially overlap");

  AesIge256 bad(Seq(24));
  EXPECT_EQ(bad.Decrypt(iv, data, MutableByteView(out)).message(),
            "AES-IGE decrypt: key must be 32 bytes, got 24");
  Bytes chain_iv(8);
  EXPECT_EQ(AesIge256(key).EncryptChained(MutableByteView(chain_iv), data, MutableByteView(out))
                .message(),
            "AES-IGE encrypt: iv must be 32 bytes, got 8");
}

TEST(AesIgeTest, MovedFromKeepsWorkingInTarget) {
  Bytes key = Seq(32), iv = Seq(32), data = Seq(32), out(32);
  AesIge256 a(key);
  AesIge256 b = std::move(a);
  ASSERT_TRUE(b.Encrypt(iv, data, MutableByteView(out)).ok());
  EXPECT_EQ(HexEncode(out), "e28112a53e5c89c7b1ea8071c133699fd4e86b26c4bac9fc5af1ab8ce27a44a4");
}

// The fast path (AES-NI natively; under wasm the kernel that carries table
// addresses in its lanes) and the portable code agree on random keys, ivs
// and lengths, both ways. Natively the OpenSSL oracle test covers more; this
// one also runs as wasm, where the two kernels differ.
#if defined(__wasm__)
// The wasm build must actually run the address-lane kernel, or the test
// below compares the portable code with itself.
TEST(AesIgeTest, WasmFastestIsTheAddressLaneKernel) {
  EXPECT_TRUE(internal::FastestIsWasmAddressKernel());
}
#endif

TEST(AesIgeTest, FastestEqualsPortableOnRandomInputs) {
  uint32_t seed = 12345;
  auto fill = [&seed](size_t n) {
    Bytes b(n);
    for (auto& x : b) {
      seed = seed * 1664525u + 1013904223u;
      x = uint8_t(seed >> 24);
    }
    return b;
  };
  for (int round = 0; round < 300; ++round) {
    Bytes key = fill(32), iv = fill(32), data = fill(16 * (1 + round % 40));
    AesIge256 fast(key, CryptoImpl::kFastest), portable(key, CryptoImpl::kPortable);
    Bytes a(data.size()), b(data.size()), back(data.size());
    ASSERT_TRUE(fast.Encrypt(iv, data, MutableByteView(a)).ok());
    ASSERT_TRUE(portable.Encrypt(iv, data, MutableByteView(b)).ok());
    ASSERT_EQ(HexEncode(a), HexEncode(b)) << "round " << round;
    ASSERT_TRUE(fast.Decrypt(iv, data, MutableByteView(a)).ok());
    ASSERT_TRUE(portable.Decrypt(iv, data, MutableByteView(b)).ok());
    ASSERT_EQ(HexEncode(a), HexEncode(b)) << "round " << round;
    ASSERT_TRUE(fast.Decrypt(iv, a, MutableByteView(back)).ok());
    ASSERT_TRUE(portable.Encrypt(iv, back, MutableByteView(b)).ok());
    ASSERT_EQ(HexEncode(b), HexEncode(a)) << "round " << round;
  }
}

}  // namespace
}  // namespace mtcore::crypto
