#include "tl/dynamic/json_text.h"

#include "gtest/gtest.h"

namespace mtcore::tl::dynamic {
namespace {

TEST(JsonQuoteTest, EscapesWhatJsonNeedsAndKeepsUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t"), R"("a\"b\\c\n\t")");
  EXPECT_EQ(JsonQuote("\x01"), R"("\u0001")");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9 \xf0\x9f\x99\x82"), "\"caf\xc3\xa9 \xf0\x9f\x99\x82\"");
  EXPECT_EQ(JsonQuote("bad \xff\xc3"), R"("bad \ufffd\ufffd")");
  EXPECT_EQ(JsonQuote("\xc0\xaf"), R"("\ufffd\ufffd")") << "overlong";
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")") << "a surrogate";
  EXPECT_EQ(JsonQuote("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")") << "above U+10FFFF";
  EXPECT_EQ(JsonQuote("\xe2\x82"), R"("\ufffd\ufffd")") << "truncated";
}

TEST(IsValidUtf8Test, AcceptsRfc3629AndNothingElse) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x99\x82 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_EQ(Utf8SequenceLength("a\xe2\x9c\x93", 1), 3u);
  EXPECT_EQ(Utf8SequenceLength("a\xe2\x9c\x93", 0), 1u);
}

}  // namespace
}  // namespace mtcore::tl::dynamic
