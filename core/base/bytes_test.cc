#include "core/base/bytes.h"

#include "gtest/gtest.h"

namespace mtcore {
namespace {

TEST(BytesTest, HexRoundTrip) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "0001abff");
  auto back = HexDecode("0001ABff");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(BytesTest, HexDecodeErrorsNameTheProblem) {
  EXPECT_EQ(HexDecode("abc").status().message(), "hex string has odd length 3");
  EXPECT_EQ(HexDecode("0g").status().message(), "bad hex character at offset 1");
  EXPECT_EQ(HexDecode("x0").status().message(), "bad hex character at offset 0");
}

TEST(BytesTest, LittleAndBigEndian) {
  uint8_t buf[8];
  StoreLe64(buf, 0x0807060504030201ULL);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[7], 8);
  EXPECT_EQ(LoadLe64(buf), 0x0807060504030201ULL);
  EXPECT_EQ(LoadLe32(buf + 4), 0x08070605u);
  StoreBe32(buf, 0x11223344);
  EXPECT_EQ(buf[0], 0x11);
  EXPECT_EQ(LoadBe32(buf), 0x11223344u);
}

TEST(BytesTest, ConcatAndWipe) {
  Bytes a = {1, 2}, b = {3};
  Bytes c = Concat({a, b, AsBytes("xy")});
  EXPECT_EQ(c, (Bytes{1, 2, 3, 'x', 'y'}));
  SecureWipe(absl::MakeSpan(c));
  EXPECT_EQ(c, Bytes(5, 0));
}

TEST(BytesTest, SubspanClampsOverlongLength) {
  Bytes a = {1, 2, 3};
  ByteView v(a);
  EXPECT_EQ(v.subspan(1, 100).size(), 2u);
}

}  // namespace
}  // namespace mtcore
