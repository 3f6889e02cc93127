#include "tl/reader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::tl {
namespace {

using ::testing::HasSubstr;

Bytes B(std::initializer_list<uint8_t> v) { return Bytes(v); }

TEST(ReaderTest, ReadsEveryPrimitiveLittleEndian) {
  Bytes in = B({0x01, 0x02, 0x03, 0x04,                           // int
                0xff, 0xff, 0xff, 0xff,                           // int -1
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,   // long
                0, 0, 0, 0, 0, 0, 0xf8, 0x3f});                   // double 1.5
  for (int i = 0; i < 16; ++i) in.push_back(uint8_t(i));          // int128
  for (int i = 0; i < 32; ++i) in.push_back(uint8_t(100 + i));    // int256
  Reader r(in);
  EXPECT_EQ(r.ReadUint32(), 0x04030201u);
  EXPECT_EQ(r.ReadInt32(), -1);
  EXPECT_EQ(r.ReadInt64(), 0x0102030405060708);
  EXPECT_EQ(r.ReadDouble(), 1.5);
  Int128 a = r.ReadInt128();
  EXPECT_EQ(a[0], 0);
  EXPECT_EQ(a[15], 15);
  Int256 b = r.ReadInt256();
  EXPECT_EQ(b[0], 100);
  EXPECT_EQ(b[31], 131);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.Finish().ok());
  EXPECT_EQ(r.offset(), in.size());
}

TEST(ReaderTest, ReadsShortBytesWithPadding) {
  Bytes in = B({3, 'a', 'b', 'c', 0, 0xaa, 0xbb, 0xcc, 0x01, 0x00, 0x00, 0x00});
  Reader r(in);
  EXPECT_EQ(r.ReadString(), "abc");
  std::string s;
  r.ReadString(s);  // empty: 1 length byte + 3 padding
  EXPECT_EQ(s, "");
  EXPECT_EQ(r.offset(), 8u);
  EXPECT_EQ(r.ReadUint32(), 1u);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(ReaderTest, ReadsLongBytesForm) {
  Bytes in = {254, 0x2c, 0x01, 0x00};  // 300 bytes
  for (int i = 0; i < 300; ++i) in.push_back(uint8_t(i));
  in.push_back(0);  // 4 + 300 = 304, already a multiple of 4 -> no padding
  in.pop_back();
  Reader r(in);
  ByteView v = r.ReadBytesView();
  ASSERT_EQ(v.size(), 300u);
  EXPECT_EQ(v[299], uint8_t(299));
  EXPECT_TRUE(r.Finish().ok());
}

TEST(ReaderTest, Length253UsesShortFormAnd254UsesLongForm) {
  Bytes in = {253};
  in.resize(256, 'x');  // 1 + 253 + 2 padding
  Reader r(in);
  EXPECT_EQ(r.ReadString().size(), 253u);
  EXPECT_TRUE(r.Finish().ok());

  Bytes in2 = {254, 254, 0, 0};
  in2.resize(4 + 256, 'y');  // 4 + 254 + 2 padding
  Reader r2(in2);
  EXPECT_EQ(r2.ReadString().size(), 254u);
  EXPECT_TRUE(r2.Finish().ok());
}

TEST(ReaderTest, RejectsLengthPrefix255) {
  Bytes in = {255, 0, 0, 0};
  Reader r(in);
  EXPECT_EQ(r.ReadString(), "");
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("invalid bytes length prefix 0xff at offset 0"));
}

TEST(ReaderTest, TruncatedBytesNamesOffsetAndNeed) {
  Bytes in = {0, 0, 0, 0, 10, 'a', 'b'};
  Reader r(in);
  r.ReadUint32();
  EXPECT_EQ(r.ReadString(), "");
  EXPECT_EQ(std::string(r.status().message()),
            "TL: truncated input at offset 4: expected bytes (12 bytes), 3 bytes left");
}

TEST(ReaderTest, TruncatedLongLengthHeader) {
  Bytes in = {254, 1};
  Reader r(in);
  r.ReadBytesView();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected bytes (4 bytes), 2 bytes"));
}

TEST(ReaderTest, TruncationOfEveryPrimitive) {
  Bytes three = {1, 2, 3};
  Bytes seven = {1, 2, 3, 4, 5, 6, 7};
  {
    Reader r(three);
    EXPECT_EQ(r.ReadInt32(), 0);
    EXPECT_EQ(std::string(r.status().message()),
              "TL: truncated input at offset 0: expected int (4 bytes), 3 bytes left");
  }
  {
    Reader r(seven);
    EXPECT_EQ(r.ReadInt64(), 0);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected long (8 bytes), 7"));
  }
  {
    Reader r(seven);
    EXPECT_EQ(r.ReadDouble(), 0.0);
    EXPECT_FALSE(r.ok());
  }
  {
    Reader r(seven);
    EXPECT_EQ(r.ReadInt128(), Int128{});
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected int128 (16 bytes)"));
  }
  {
    Bytes b(31, 9);
    Reader r(b);
    EXPECT_EQ(r.ReadInt256(), Int256{});
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected int256 (32 bytes)"));
  }
  {
    Reader r(three);
    EXPECT_TRUE(r.ReadRaw(4).empty());
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("expected raw bytes (4 bytes)"));
  }
}

TEST(ReaderTest, ErrorIsStickyAndLaterReadsReturnZero) {
  Bytes in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Reader r(in);
  EXPECT_EQ(r.ReadUint32(), 0x04030201u);
  EXPECT_EQ(r.ReadInt128(), Int128{});  // needs 16, has 8: fails at offset 4
  // Everything afterwards returns zero/empty even though bytes were left.
  EXPECT_EQ(r.ReadUint32(), 0u);
  EXPECT_EQ(r.ReadInt64(), 0);
  EXPECT_EQ(r.ReadString(), "");
  EXPECT_FALSE(r.ReadBool());
  EXPECT_EQ(r.ReadVectorHeader(4), 0u);
  EXPECT_EQ(r.remaining(), 0u);
  // The first error is the one reported.
  EXPECT_EQ(std::string(r.status().message()),
            "TL: truncated input at offset 4: expected int128 (16 bytes), 8 bytes left");
  EXPECT_EQ(r.Finish(), r.status());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReaderTest, ReadsBool) {
  Bytes in = {0xb5, 0x75, 0x72, 0x99, 0x37, 0x97, 0x79, 0xbc, 1, 2, 3, 4};
  Reader r(in);
  EXPECT_TRUE(r.ReadBool());
  EXPECT_FALSE(r.ReadBool());
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.ReadBool());
  EXPECT_EQ(std::string(r.status().message()),
            "TL: unknown constructor 0x04030201 at offset 8: expected type Bool");
}

TEST(ReaderTest, VectorHeader) {
  Bytes in = {0x15, 0xc4, 0xb5, 0x1c, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
  Reader r(in);
  EXPECT_EQ(r.ReadVectorHeader(4), 2u);
  EXPECT_EQ(r.ReadInt32(), 1);
  EXPECT_EQ(r.ReadInt32(), 2);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(ReaderTest, VectorCountIsBoundedByRemainingBytes) {
  // Claims 3 ints but only 8 bytes follow.
  Bytes in = {0x15, 0xc4, 0xb5, 0x1c, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
  {
    Reader r(in);
    EXPECT_EQ(r.ReadVectorHeader(4), 0u);
    EXPECT_EQ(std::string(r.status().message()),
              "TL: vector count 3 at offset 4 does not fit in the input (at least 4 bytes per "
              "element)");
  }
  {
    // Two longs don't fit in 8 bytes... one does.
    Reader r(in);
    in[4] = 1;
    Reader r2(in);
    EXPECT_EQ(r2.ReadVectorHeader(8), 1u);
    EXPECT_TRUE(r2.ok());
  }
  {
    // A hostile 2^32-1 count is rejected before any allocation.
    Bytes huge = {0x15, 0xc4, 0xb5, 0x1c, 0xff, 0xff, 0xff, 0xff};
    Reader r(huge);
    EXPECT_EQ(r.ReadVectorHeader(0), 0u);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("vector count 4294967295"));
  }
}

TEST(ReaderTest, VectorWithWrongIdAndBareCount) {
  Bytes in = {1, 2, 3, 4, 0, 0, 0, 0};
  Reader r(in);
  EXPECT_EQ(r.ReadVectorHeader(4), 0u);
  EXPECT_EQ(std::string(r.status().message()),
            "TL: expected vector id 0x1cb5c415 at offset 0, got 0x04030201");

  Bytes bare = {1, 0, 0, 0, 7, 0, 0, 0};
  Reader r2(bare);
  EXPECT_EQ(r2.ReadVectorCount(4), 1u);
  EXPECT_EQ(r2.ReadInt32(), 7);
  EXPECT_TRUE(r2.Finish().ok());

  Bytes truncated = {0x15, 0xc4, 0xb5, 0x1c, 0};
  Reader r3(truncated);
  EXPECT_EQ(r3.ReadVectorHeader(4), 0u);
  EXPECT_THAT(std::string(r3.status().message()), HasSubstr("expected vector (8 bytes), 5"));
}

TEST(ReaderTest, DepthLimit) {
  Bytes in(4, 0);
  Reader r(in, /*max_depth=*/3);
  EXPECT_TRUE(r.EnterObject());
  EXPECT_TRUE(r.EnterObject());
  EXPECT_TRUE(r.EnterObject());
  EXPECT_EQ(r.depth(), 3);
  EXPECT_FALSE(r.EnterObject());
  EXPECT_EQ(r.depth(), 3);
  EXPECT_EQ(std::string(r.status().message()),
            "TL: objects nested deeper than 3 levels at offset 0");
  r.LeaveObject();
  r.LeaveObject();
  r.LeaveObject();
  EXPECT_EQ(r.depth(), 0);
}

TEST(ReaderTest, DepthGuardBalances) {
  Bytes in;
  Reader r(in, 1);
  {
    DepthGuard g(r);
    EXPECT_TRUE(g.entered());
    {
      DepthGuard g2(r);
      EXPECT_FALSE(g2.entered());
    }
    EXPECT_EQ(r.depth(), 1);
  }
  EXPECT_EQ(r.depth(), 0);
}

TEST(ReaderTest, UnknownConstructorNamesIdTypeAndOffset) {
  Bytes in = {0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12};
  Reader r(in);
  r.ReadUint32();
  uint32_t id = r.ReadUint32();
  r.FailUnknownConstructor(id, "messages.Messages");
  EXPECT_EQ(std::string(r.status().message()),
            "TL: unknown constructor 0x12345678 at offset 4: expected type messages.Messages");

  Reader r2(in);
  r2.ReadUint32();
  r2.FailUnknownConstructor(r2.ReadUint32(), "Message", "user");
  EXPECT_EQ(std::string(r2.status().message()),
            "TL: unexpected constructor 0x12345678 (user) at offset 4: expected type Message");
}

TEST(ReaderTest, FailAndTrailingBytes) {
  Bytes in = {1, 0, 0, 0, 2, 0, 0, 0};
  Reader r(in);
  r.ReadUint32();
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(std::string(r.Finish().message()),
            "TL: 4 trailing bytes after the object at offset 4");
  r.Fail("flags inconsistent");
  EXPECT_EQ(std::string(r.status().message()), "TL: flags inconsistent at offset 4");
}

}  // namespace
}  // namespace mtcore::tl
