#include "core/text/utf16.h"

#include <string>

#include "gtest/gtest.h"

namespace mtcore::text {
namespace {

TEST(Utf16Test, CountsCodeUnits) {
  EXPECT_EQ(Utf16Length(""), 0);
  EXPECT_EQ(Utf16Length("abc"), 3);
  EXPECT_EQ(Utf16Length("\xc3\xa9"), 1);              // é, one code point
  EXPECT_EQ(Utf16Length("e\xcc\x81"), 2);             // e + combining acute: two
  EXPECT_EQ(Utf16Length("\xe2\x82\xac"), 1);          // €
  EXPECT_EQ(Utf16Length("a\xf0\x9f\x98\x80"), 3);     // a😀: a surrogate pair
  EXPECT_EQ(Utf16Length("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), 4);  // 👍🏽: two astral code points
}

TEST(Utf16Test, RejectsMalformedUtf8WithItsPosition) {
  EXPECT_TRUE(CheckUtf8("plain \xf0\x9f\x98\x80 \xe2\x82\xac").ok());
  const struct {
    std::string bytes;
    const char* where;
  } bad[] = {
      {"ab\x80", "byte 2"},               // lone continuation byte
      {"a\xc0\x80", "byte 1"},            // overlong NUL
      {"\xe0\x80\xaf", "byte 0"},         // overlong '/'
      {"xy\xed\xa0\x80", "byte 2"},       // UTF-16 surrogate
      {"\xf4\x90\x80\x80", "byte 0"},     // past U+10FFFF
      {"abc\xf0\x9f\x98", "byte 3"},      // truncated
      {"\xff", "byte 0"},
  };
  for (const auto& b : bad) {
    absl::Status s = CheckUtf8(b.bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(b.where), std::string::npos) << s;
  }
}

TEST(Utf16Test, IndexMapsUnitsToBytesAndRefusesTheMiddleOfAPair) {
  const std::string s = "a\xf0\x9f\x98\x80\xc3\xa9";  // a 😀 é: units 0, 1-2, 3
  Utf16Index index(s);
  EXPECT_EQ(index.size(), 4);
  EXPECT_EQ(index.ByteAt(0), 0u);
  EXPECT_EQ(index.ByteAt(1), 1u);
  EXPECT_EQ(index.ByteAt(2), std::nullopt);
  EXPECT_EQ(index.ByteAt(3), 5u);
  EXPECT_EQ(index.ByteAt(4), 7u);
  EXPECT_EQ(index.ByteAt(5), std::nullopt);
  EXPECT_EQ(index.ByteAt(-1), std::nullopt);
}

TEST(Utf16Test, AppendsAndDecodesEveryLength) {
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u, 0x10FFFFu}) {
    std::string s;
    AppendUtf8(cp, s);
    std::optional<DecodedChar> d = DecodeUtf8(s, 0);
    ASSERT_TRUE(d.has_value()) << cp;
    EXPECT_EQ(d->code_point, cp);
    EXPECT_EQ(d->size, s.size());
    EXPECT_EQ(Utf16Length(s), Utf16Units(cp));
  }
}

}  // namespace
}  // namespace mtcore::text
