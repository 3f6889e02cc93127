#include "core/text/markdown.h"

#include <string>
#include <vector>

#include "core/text/utf16.h"
#include "gtest/gtest.h"
#include "tl/printer.h"

namespace mtcore::tl {
// Readable entities in test failures.
inline void PrintTo(const MessageEntity& e, std::ostream* os) { *os << to_string(e); }
}  // namespace mtcore::tl

namespace mtcore::text {
namespace {

using Entities = std::vector<tl::MessageEntity>;

FormattedText Parse(std::string_view md) {
  absl::StatusOr<FormattedText> t = ParseMarkdownV2(md);
  EXPECT_TRUE(t.ok()) << md << ": " << t.status();
  return t.ok() ? *t : FormattedText{};
}

void ExpectError(std::string_view md, std::string_view where) {
  absl::StatusOr<FormattedText> t = ParseMarkdownV2(md);
  ASSERT_FALSE(t.ok()) << md;
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(where), std::string::npos) << md << ": " << t.status();
}

// ToMarkdownV2, checking that it parses back to the text and what was written.
std::string Write(const FormattedText& t, Entities* written_out = nullptr) {
  Entities written;
  absl::StatusOr<std::string> md = ToMarkdownV2(t, &written);
  EXPECT_TRUE(md.ok()) << md.status();
  if (!md.ok()) return "";
  FormattedText back = Parse(*md);
  EXPECT_EQ(back.text, t.text) << *md;
  EXPECT_EQ(back.entities, written) << *md;
  if (written_out != nullptr) *written_out = written;
  return *md;
}

TEST(MarkdownTest, BotApiSyntaxList) {
  const struct {
    std::string md;
    std::string text;
    Entities entities;
  } cases[] = {
      {"*bold \\*text*", "bold *text", {tl::messageEntityBold{.offset = 0, .length = 10}}},
      {"_italic \\*text_", "italic *text", {tl::messageEntityItalic{.offset = 0, .length = 12}}},
      {"__underline__", "underline", {tl::messageEntityUnderline{.offset = 0, .length = 9}}},
      {"~strikethrough~", "strikethrough", {tl::messageEntityStrike{.offset = 0, .length = 13}}},
      {"||spoiler||", "spoiler", {tl::messageEntitySpoiler{.offset = 0, .length = 7}}},
      {"[inline URL](http://www.example.com/)",
       "inline URL",
       {tl::messageEntityTextUrl{.offset = 0, .length = 10, .url = "http://www.example.com/"}}},
      {"[inline mention of a user](tg://user?id=123456789)",
       "inline mention of a user",
       {tl::messageEntityMentionName{.offset = 0, .length = 24, .user_id = 123456789}}},
      {"![\xf0\x9f\x91\x8d](tg://emoji?id=5368324170671202286)",
       "\xf0\x9f\x91\x8d",
       {tl::messageEntityCustomEmoji{.offset = 0, .length = 2, .document_id = 5368324170671202286}}},
      {"`inline fixed-width code`", "inline fixed-width code", {tl::messageEntityCode{.offset = 0, .length = 23}}},
      {"```\npre-formatted fixed-width code block\n```",
       "pre-formatted fixed-width code block",
       {tl::messageEntityPre{.offset = 0, .length = 36}}},
      {"```python\npre-formatted fixed-width code block written in the Python programming language\n```",
       "pre-formatted fixed-width code block written in the Python programming language",
       {tl::messageEntityPre{.offset = 0, .length = 79, .language = "python"}}},
      {"```inline```", "inline", {tl::messageEntityPre{.offset = 0, .length = 6}}},
  };
  for (const auto& c : cases) {
    FormattedText t = Parse(c.md);
    EXPECT_EQ(t.text, c.text) << c.md;
    EXPECT_EQ(t.entities, c.entities) << c.md;
  }
}

TEST(MarkdownTest, BotApiNestingExample) {
  FormattedText t = Parse(
      "*bold _italic bold ~italic bold strikethrough ||italic bold strikethrough spoiler||~ __underline "
      "italic bold___ bold*");
  EXPECT_EQ(t.text,
            "bold italic bold italic bold strikethrough italic bold strikethrough spoiler underline "
            "italic bold bold");
  EXPECT_EQ(t.entities, (Entities{
                            tl::messageEntityBold{.offset = 0, .length = 103},
                            tl::messageEntityItalic{.offset = 5, .length = 93},
                            tl::messageEntityStrike{.offset = 17, .length = 59},
                            tl::messageEntitySpoiler{.offset = 43, .length = 33},
                            tl::messageEntityUnderline{.offset = 77, .length = 21},
                        }));
}

TEST(MarkdownTest, BotApiBlockQuotationExample) {
  FormattedText t = Parse(
      ">Block quotation started\n"
      ">Block quotation continued\n"
      ">The last line of the block quotation\n"
      "**>The expandable block quotation started right after the previous block quotation\n"
      ">It is separated from the previous block quotation by an empty bold entity\n"
      ">The last line of the expandable block quotation with the expandability mark||");
  const std::string first = "Block quotation started\nBlock quotation continued\nThe last line of the block quotation";
  EXPECT_EQ(t.text.substr(0, first.size() + 1), first + "\n");
  const int64_t second_start = Utf16Length(first) + 1;
  const Entities expected = {
      tl::messageEntityBlockquote{.offset = 0, .length = static_cast<int32_t>(Utf16Length(first))},
      tl::messageEntityBlockquote{.collapsed = true,
                                  .offset = static_cast<int32_t>(second_start),
                                  .length = static_cast<int32_t>(Utf16Length(t.text) - second_start)},
  };
  EXPECT_EQ(t.entities, expected);
  // A quotation ends before the line break of the first line without '>'.
  t = Parse("a\n>b *c*\n>d\ne");
  EXPECT_EQ(t.text, "a\nb c\nd\ne");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityBlockquote{.offset = 2, .length = 5},
                                  tl::messageEntityBold{.offset = 4, .length = 1}}));
  t = Parse(">a\n");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityBlockquote{.offset = 0, .length = 1}}));
}

TEST(MarkdownTest, EscapesAndTheUnderlineAmbiguity) {
  FormattedText t = Parse("\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\ \\a");
  EXPECT_EQ(t.text, "_*[]()~`>#+-=|{}.!\\ a");
  EXPECT_TRUE(t.entities.empty());
  t = Parse("___italic underline_**__");
  EXPECT_EQ(t.text, "italic underline");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityItalic{.offset = 0, .length = 16},
                                  tl::messageEntityUnderline{.offset = 0, .length = 16}}));
  // Inside code only ` and \ are special; inside a URL only ) and \.
  t = Parse("`a_*\\`\\\\` [x](http://e.com/a_(b\\)\\\\)");
  EXPECT_EQ(t.text, "a_*`\\ x");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityCode{.offset = 0, .length = 5},
                                  tl::messageEntityTextUrl{.offset = 6, .length = 1, .url = "http://e.com/a_(b)\\"}}));
}

TEST(MarkdownTest, OffsetsCountUtf16Units) {
  FormattedText t = Parse("\xf0\x9f\x98\x80*e\xcc\x81* _\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd_");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityBold{.offset = 2, .length = 2},
                                  tl::messageEntityItalic{.offset = 5, .length = 4}}));
}

TEST(MarkdownTest, Errors) {
  ExpectError("Hello.", "byte 5: reserved character '.' must be escaped");
  ExpectError("a - b", "byte 2: reserved character '-'");
  ExpectError("1 | 2", "reserved character '|'");
  ExpectError("wow!", "reserved character '!'");
  ExpectError("*bold", "byte 0: bold is never closed");
  ExpectError("`code", "byte 0: code is never closed");
  ExpectError("```\ncode", "byte 0: pre is never closed");
  ExpectError("```a`b```", "a '`' inside pre must be escaped");
  ExpectError("*a _b* c_", "byte 5: this marker closes the bold opened at byte 0, but the italic opened at byte 3");
  ExpectError("[link](http://x", "byte 5: the link's URL has no ')'");
  ExpectError("[link] x", "']' of a link must be followed by '('");
  ExpectError("a]", "byte 1: unescaped ']' closes no link");
  ExpectError("![x](https://e.com)", "a custom emoji needs the URL tg://emoji?id=N");
  ExpectError("end\\", "byte 3: '\\' must be followed by a character with code 1..126");
  ExpectError("\\\xc3\xa9", "'\\' must be followed");
  ExpectError(">*a\nb*", "bold is not closed at the end of the block quotation");
  ExpectError(">*a||", "bold is not closed at the end of the block quotation");
  ExpectError("*a\n>b*", "reserved character '>'");
  ExpectError("ok \xe2\x82", "invalid UTF-8 at byte 3");
}

TEST(MarkdownTest, DeepAndLongInputStaysLinear) {
  // 100k open links, then 100k bold markers: each marker is O(1).
  const std::string md = std::string(100000, '[') + std::string(100001, '*');
  ExpectError(md, "bold is never closed");
  const std::string deep = std::string(100000, '[') + "x" + std::string(100000, ']');
  ExpectError(deep, "']' of a link must be followed by '('");
}

TEST(MarkdownTest, WritesEveryKindAndReadsItBack) {
  FormattedText t = Parse(
      "*b _i __u ~s ||p||~__ x_* `c\\`` ```go\nfmt\\`\n``` [l](https://t.me/\\)) [m](tg://user?id=1) "
      "![e](tg://emoji?id=2)\n>q *b*\n>r\n**>x\n>y||");
  EXPECT_EQ(t.entities.size(), 13u);
  Entities written;
  const std::string md = Write(t, &written);
  EXPECT_EQ(written, t.entities);
  EXPECT_EQ(md,
            "*b _i __u ~s ||p||~__ x_* `c\\`` ```go\nfmt\\`\n``` [l](https://t.me/\\)) [m](tg://user?id=1) "
            "![e](tg://emoji?id=2)\n>q *b*\n>r\n**>x\n>y||");
}

TEST(MarkdownTest, SeparatesUnderscoreMarkers) {
  // Italic around underline, ending together; adjacent italics.
  const FormattedText t{"abcd",
                        {tl::messageEntityItalic{.offset = 0, .length = 4},
                         tl::messageEntityUnderline{.offset = 2, .length = 2},
                         }};
  EXPECT_EQ(Write(t), "_ab__cd__**_");
  EXPECT_EQ(Write({"ab", {tl::messageEntityItalic{.offset = 0, .length = 1},
                          tl::messageEntityItalic{.offset = 1, .length = 1}}}),
            "_a_**_b_");
  // Inside bold an empty bold would close it: an empty code separates instead.
  EXPECT_EQ(Write({"ab", {tl::messageEntityBold{.offset = 0, .length = 2},
                          tl::messageEntityItalic{.offset = 0, .length = 1},
                          tl::messageEntityUnderline{.offset = 1, .length = 1}}}),
            "*_a_``__b__*");
}

TEST(MarkdownTest, QuotationsAndPreAcrossLines) {
  const FormattedText t{"a\nb\nc\n\nd",
                        {tl::messageEntityBlockquote{.offset = 0, .length = 3},
                         tl::messageEntityPre{.offset = 0, .length = 3, .language = "x y"},
                         tl::messageEntityBlockquote{.collapsed = true, .offset = 4, .length = 2},
                         tl::messageEntityItalic{.offset = 4, .length = 2}}};
  Entities written;
  EXPECT_EQ(Write(t, &written), ">```\n>a\n>b\n>```\n**>_c\n>_||\nd");
  // The language that is not one word is left out.
  EXPECT_EQ(written[1], tl::MessageEntity(tl::messageEntityPre{.offset = 0, .length = 3}));
}

TEST(MarkdownTest, WriterDropsWhatItCannotPlace) {
  Entities written;
  // A quotation not on whole lines, one inside bold; bold ending where a
  // quotation starts; a spoiler starting at a quotation's line break.
  Write({"ab\ncd", {tl::messageEntityBlockquote{.offset = 1, .length = 1}}}, &written);
  EXPECT_TRUE(written.empty());
  Write({"ab\ncd", {tl::messageEntityBold{.offset = 0, .length = 5},
                    tl::messageEntityBlockquote{.offset = 3, .length = 2}}},
        &written);
  EXPECT_EQ(written, (Entities{tl::messageEntityBold{.offset = 0, .length = 5}}));
  Write({"ab\ncd", {tl::messageEntityBold{.offset = 0, .length = 3},
                    tl::messageEntityBlockquote{.offset = 3, .length = 2}}},
        &written);
  EXPECT_EQ(written, (Entities{tl::messageEntityBlockquote{.offset = 3, .length = 2}}));
  Write({"ab\ncd", {tl::messageEntityBlockquote{.offset = 0, .length = 2},
                    tl::messageEntitySpoiler{.offset = 2, .length = 2}}},
        &written);
  EXPECT_EQ(written, (Entities{tl::messageEntityBlockquote{.offset = 0, .length = 2}}));
  // Errors as for HTML.
  EXPECT_FALSE(ToMarkdownV2({"abc", {tl::messageEntityBold{.offset = 2, .length = 2}}}).ok());
  EXPECT_FALSE(ToMarkdownV2({"\xf0\x9f\x98\x80", {tl::messageEntityCode{.offset = 0, .length = 1}}}).ok());
}

}  // namespace
}  // namespace mtcore::text
