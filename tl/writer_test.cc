#include "tl/writer.h"

#include <string>

#include "gtest/gtest.h"
#include "tl/reader.h"

namespace mtcore::tl {
namespace {

TEST(WriterTest, StringWireSize) {
  EXPECT_EQ(StringWireSize(0), 4u);
  EXPECT_EQ(StringWireSize(3), 4u);
  EXPECT_EQ(StringWireSize(4), 8u);
  EXPECT_EQ(StringWireSize(253), 256u);
  EXPECT_EQ(StringWireSize(254), 260u);
  EXPECT_EQ(StringWireSize(300), 304u);
}

TEST(WriterTest, WritesPrimitivesLittleEndian) {
  Sizer s;
  s.Add(4 + 8 + 8 + 16 + 32 + 4 + 8);
  Bytes out(s.size());
  Writer w(out.data());
  w.WriteInt32(-2);
  w.WriteInt64(0x0102030405060708);
  w.WriteDouble(1.5);
  Int128 a{};
  a[0] = 7;
  w.WriteInt128(a);
  Int256 b{};
  b[31] = 9;
  w.WriteInt256(b);
  w.WriteBool(true);
  w.WriteVectorHeader(3);
  EXPECT_EQ(w.position(), out.data() + out.size());
  EXPECT_EQ(HexEncode(ByteView(out.data(), 12)), "feffffff0807060504030201");
  Reader r(out);
  EXPECT_EQ(r.ReadInt32(), -2);
  EXPECT_EQ(r.ReadInt64(), 0x0102030405060708);
  EXPECT_EQ(r.ReadDouble(), 1.5);
  EXPECT_EQ(r.ReadInt128(), a);
  EXPECT_EQ(r.ReadInt256(), b);
  EXPECT_TRUE(r.ReadBool());
  EXPECT_EQ(r.ReadVectorHeader(0), 0u);  // count 3, but nothing follows
  EXPECT_FALSE(r.ok());
}

TEST(WriterTest, StringsRoundTripAtEveryFormBoundary) {
  for (size_t len : {0, 1, 2, 3, 4, 5, 252, 253, 254, 255, 256, 1000, 70000}) {
    std::string text(len, 'q');
    for (size_t i = 0; i < len; ++i) text[i] = char('a' + i % 26);
    Sizer s;
    s.AddString(len);
    ASSERT_EQ(s.error(), nullptr);
    Bytes out(s.size(), 0xee);
    Writer w(out.data());
    w.WriteString(text);
    ASSERT_EQ(w.position(), out.data() + out.size()) << len;
    EXPECT_EQ(out.size() % 4, 0u);
    EXPECT_EQ(out[0], len < 254 ? len : 254);
    // Padding is zeros.
    size_t header = len < 254 ? 1 : 4;
    for (size_t i = header + len; i < out.size(); ++i) EXPECT_EQ(out[i], 0) << len;
    Reader r(out);
    EXPECT_EQ(r.ReadString(), text);
    EXPECT_TRUE(r.Finish().ok()) << len;
  }
}

TEST(WriterTest, SizerRejectsOverlongStringsAndKeepsFirstError) {
  Sizer s;
  s.AddString(kMaxStringLength);
  EXPECT_EQ(s.error(), nullptr);
  s.AddString(kMaxStringLength + 1);
  EXPECT_STREQ(s.error(), "a string or bytes value is longer than 16777215 bytes");
  s.Fail("second");
  EXPECT_STREQ(s.error(), "a string or bytes value is longer than 16777215 bytes");
}

}  // namespace
}  // namespace mtcore::tl
