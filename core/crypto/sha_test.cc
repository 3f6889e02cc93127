#include "core/crypto/sha.h"

#include <string>

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& d) {
  return HexEncode(ByteView(d));
}

constexpr char kTwoBlock[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

TEST(ShaTest, Sha1KnownAnswers) {
  EXPECT_EQ(Hex(Sha1(AsBytes(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Hex(Sha1(AsBytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(Sha1(AsBytes(kTwoBlock))), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(ShaTest, Sha256KnownAnswersBothImplementations) {
  for (CryptoImpl impl : {CryptoImpl::kFastest, CryptoImpl::kPortable}) {
    EXPECT_EQ(Hex(Sha256With(impl, AsBytes(""))),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(Sha256With(impl, AsBytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Hex(Sha256With(impl, AsBytes(kTwoBlock))),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    std::string million(1000000, 'a');
    EXPECT_EQ(Hex(Sha256With(impl, AsBytes(million))),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(ShaTest, Sha512KnownAnswers) {
  EXPECT_EQ(Hex(Sha512(AsBytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(Hex(Sha512(AsBytes(kTwoBlock))),
            "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
            "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
}

TEST(ShaTest, PartsEqualConcatenation) {
  Bytes data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  ByteView v(data);
  for (size_t cut = 0; cut <= data.size(); cut += 13) {
    ByteView a = v.subspan(0, cut), b = v.subspan(cut);
    EXPECT_EQ(Sha1({a, b}), Sha1(v));
    EXPECT_EQ(Sha256({a, b}), Sha256(v));
    EXPECT_EQ(Sha512({a, b}), Sha512(v));
  }
}

TEST(ShaTest, IncrementalHashersMatchOneShotAndRestartAfterFinish) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i ^ (i >> 3));
  for (size_t step : {1u, 3u, 63u, 64u, 65u, 200u}) {
    Sha256Hasher h256;
    Sha1Hasher h1;
    for (size_t off = 0; off < data.size(); off += step) {
      ByteView chunk = ByteView(data).subspan(off, step);
      h256.Update(chunk);
      h1.Update(chunk);
    }
    EXPECT_EQ(h256.Finish(), Sha256(data)) << "step " << step;
    EXPECT_EQ(h1.Finish(), Sha1(data)) << "step " << step;
    // Finish() restarted them: an empty message now.
    EXPECT_EQ(Hex(h256.Finish()),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Hex(h1.Finish()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  }
}

TEST(ShaTest, Sha256HasherCopyCarriesState) {
  Sha256Hasher prefix;
  prefix.Update(AsBytes("ab"));
  Sha256Hasher copy = prefix;
  copy.Update(AsBytes("c"));
  EXPECT_EQ(Hex(copy.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ShaTest, PortableAndFastestAgreeOnEveryLengthUpTo600) {
  Bytes data(600);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 131 + 17);
  for (size_t n = 0; n <= data.size(); ++n) {
    ByteView v = ByteView(data).subspan(0, n);
    ASSERT_EQ(Sha256With(CryptoImpl::kPortable, v), Sha256With(CryptoImpl::kFastest, v))
        << "length " << n;
  }
}

TEST(ShaTest, HmacSha256Rfc4231) {
  Bytes key1(20, 0x0b);
  EXPECT_EQ(Hex(HmacSha256(key1, AsBytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Bytes key6(131, 0xaa);  // longer than a block: hashed first
  EXPECT_EQ(Hex(HmacSha256(key6, AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hex(HmacSha256(ByteView(), ByteView())),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(HmacSha256(AsBytes("Jefe"), {AsBytes("what do ya "), AsBytes("want for nothing?")}),
            HmacSha256(AsBytes("Jefe"), AsBytes("what do ya want for nothing?")));
}

TEST(ShaTest, Pbkdf2HmacSha512KnownAnswers) {
  // Values from Python's hashlib.pbkdf2_hmac('sha512', ...).
  EXPECT_EQ(HexEncode(Pbkdf2HmacSha512(AsBytes("password"), AsBytes("salt"), 1, 64)),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
            "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
  EXPECT_EQ(HexEncode(Pbkdf2HmacSha512(AsBytes("password"), AsBytes("salt"), 4096, 100)),
            "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5"
            "143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5"
            "d6883f0be4c24d363b638f4c2f8d917533cd4158937d0b490697a64adadb07f1"
            "80c32308");
  std::string long_password(200, 'x');  // longer than a SHA-512 block
  EXPECT_EQ(HexEncode(Pbkdf2HmacSha512(AsBytes(long_password), AsBytes("NaCl"), 3, 16)),
            "4f9c576ef3d595bb7d1babf913fc7ef1");
  EXPECT_EQ(Pbkdf2HmacSha512(AsBytes("p"), AsBytes("s"), 0, 32),
            Pbkdf2HmacSha512(AsBytes("p"), AsBytes("s"), 1, 32));
  EXPECT_TRUE(Pbkdf2HmacSha512(AsBytes("p"), AsBytes("s"), 1, 0).empty());
}

}  // namespace
}  // namespace mtcore::crypto
