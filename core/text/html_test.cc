#include "core/text/html.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "tl/printer.h"

namespace mtcore::tl {
// Readable entities in test failures.
inline void PrintTo(const MessageEntity& e, std::ostream* os) { *os << to_string(e); }
}  // namespace mtcore::tl

namespace mtcore::text {
namespace {

using Entities = std::vector<tl::MessageEntity>;

FormattedText Parse(std::string_view html) {
  absl::StatusOr<FormattedText> t = ParseHtml(html);
  EXPECT_TRUE(t.ok()) << html << ": " << t.status();
  return t.ok() ? *t : FormattedText{};
}

// The error's message, which must name `where`.
void ExpectError(std::string_view html, std::string_view where) {
  absl::StatusOr<FormattedText> t = ParseHtml(html);
  ASSERT_FALSE(t.ok()) << html;
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(where), std::string::npos) << html << ": " << t.status();
}

TEST(HtmlTest, BotApiTagList) {
  const struct {
    std::string html;
    tl::MessageEntity entity;
  } cases[] = {
      {"<b>bold</b>", tl::messageEntityBold{.offset = 0, .length = 4}},
      {"<strong>bold</strong>", tl::messageEntityBold{.offset = 0, .length = 4}},
      {"<i>ital</i>", tl::messageEntityItalic{.offset = 0, .length = 4}},
      {"<em>ital</em>", tl::messageEntityItalic{.offset = 0, .length = 4}},
      {"<u>unde</u>", tl::messageEntityUnderline{.offset = 0, .length = 4}},
      {"<ins>unde</ins>", tl::messageEntityUnderline{.offset = 0, .length = 4}},
      {"<s>stri</s>", tl::messageEntityStrike{.offset = 0, .length = 4}},
      {"<strike>stri</strike>", tl::messageEntityStrike{.offset = 0, .length = 4}},
      {"<del>stri</del>", tl::messageEntityStrike{.offset = 0, .length = 4}},
      {"<span class=\"tg-spoiler\">spoi</span>", tl::messageEntitySpoiler{.offset = 0, .length = 4}},
      {"<tg-spoiler>spoi</tg-spoiler>", tl::messageEntitySpoiler{.offset = 0, .length = 4}},
      {"<a href=\"http://www.example.com/\">link</a>",
       tl::messageEntityTextUrl{.offset = 0, .length = 4, .url = "http://www.example.com/"}},
      {"<a href=\"tg://user?id=123456789\">user</a>",
       tl::messageEntityMentionName{.offset = 0, .length = 4, .user_id = 123456789}},
      {"<tg-emoji emoji-id=\"5368324170671202286\">\xf0\x9f\x91\x8d</tg-emoji>",
       tl::messageEntityCustomEmoji{.offset = 0, .length = 2, .document_id = 5368324170671202286}},
      {"<code>code</code>", tl::messageEntityCode{.offset = 0, .length = 4}},
      {"<pre>pre!</pre>", tl::messageEntityPre{.offset = 0, .length = 4}},
      {"<pre><code class=\"language-python\">pre!</code></pre>",
       tl::messageEntityPre{.offset = 0, .length = 4, .language = "python"}},
      {"<blockquote>quot</blockquote>", tl::messageEntityBlockquote{.offset = 0, .length = 4}},
      {"<blockquote expandable>quot</blockquote>",
       tl::messageEntityBlockquote{.collapsed = true, .offset = 0, .length = 4}},
      {"<B CLASS=x>bold</B >", tl::messageEntityBold{.offset = 0, .length = 4}},
      {"<code class='language-c'>code</code>", tl::messageEntityCode{.offset = 0, .length = 4}},
  };
  for (const auto& c : cases) {
    FormattedText t = Parse(c.html);
    EXPECT_EQ(t.entities, Entities{c.entity}) << c.html;
  }
}

TEST(HtmlTest, BotApiNestingExample) {
  FormattedText t = Parse(
      "<b>bold <i>italic bold <s>italic bold strikethrough <span class=\"tg-spoiler\">italic bold "
      "strikethrough spoiler</span></s> <u>underline italic bold</u></i> bold</b>");
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

TEST(HtmlTest, DecodesCharacterReferences) {
  FormattedText t = Parse("&lt;a&gt; &amp; &quot;q&quot; &#65;&#x42;&#X1F600; &nbsp; & &#0; &#xD800; AT&T");
  EXPECT_EQ(t.text, "<a> & \"q\" AB\xf0\x9f\x98\x80 &nbsp; & &#0; &#xD800; AT&T");
  EXPECT_TRUE(t.entities.empty());
  t = Parse("<a href=\"http://x/?a=1&amp;b=2\">x</a>");
  EXPECT_EQ(t.entities,
            (Entities{tl::messageEntityTextUrl{.offset = 0, .length = 1, .url = "http://x/?a=1&b=2"}}));
}

TEST(HtmlTest, OffsetsCountUtf16Units) {
  // 😀 is two units, é (e + combining acute) two code points, 👍🏽 four units.
  FormattedText t = Parse("\xf0\x9f\x98\x80<b>e\xcc\x81</b> <i>\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd</i>&#x1F600;<u>x</u>");
  EXPECT_EQ(t.entities, (Entities{
                            tl::messageEntityBold{.offset = 2, .length = 2},
                            tl::messageEntityItalic{.offset = 5, .length = 4},
                            tl::messageEntityUnderline{.offset = 11, .length = 1},
                        }));
}

TEST(HtmlTest, DropsWhatTheNestingRulesForbidAndEmptyEntities) {
  FormattedText t = Parse("<code><b>x</b></code><b></b><a href=\"\">y</a><a>z</a><b><b>w</b></b>");
  EXPECT_EQ(t.text, "xyzw");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityBold{.offset = 0, .length = 1},
                                  tl::messageEntityCode{.offset = 0, .length = 1},
                                  tl::messageEntityBold{.offset = 3, .length = 1}}));
  t = Parse("<pre>x<b>y</b></pre><blockquote>a<blockquote>b</blockquote></blockquote>");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityPre{.offset = 0, .length = 2},
                                  tl::messageEntityBlockquote{.offset = 2, .length = 2}}));
}

TEST(HtmlTest, Errors) {
  ExpectError("<b>bold", "byte 0: <b> is never closed");
  ExpectError("a<i>x</b></i>", "byte 5: </b> does not close <i> opened at byte 1");
  ExpectError("x</b>", "byte 1: </b> closes no open tag");
  ExpectError("<br>", "byte 0: unsupported tag <br>");
  ExpectError("<img src=x>", "unsupported tag <img>");
  ExpectError("1 < 2", "byte 2: '<' starts no tag");
  ExpectError("<b", "unterminated start tag <b>");
  ExpectError("<a href=\"x>y</a>", "unterminated attribute value");
  ExpectError("<b>x</b", "byte 4: unterminated end tag");
  ExpectError("<b/>", "unexpected character in start tag <b>");
  ExpectError("<span>x</span>", "<span> needs class=\"tg-spoiler\"");
  ExpectError("<tg-emoji>x</tg-emoji>", "<tg-emoji> needs a decimal emoji-id");
  ExpectError("<tg-emoji emoji-id=\"12x\">x</tg-emoji>", "<tg-emoji> needs a decimal emoji-id");
  ExpectError("ok \xc3", "invalid UTF-8 at byte 3");
}

TEST(HtmlTest, DeepNestingIsLinear) {
  std::string html;
  for (int i = 0; i < 50000; ++i) html += "<b><i>";
  html += "x";
  for (int i = 0; i < 50000; ++i) html += "</i></b>";
  FormattedText t = Parse(html);
  EXPECT_EQ(t.text, "x");
  EXPECT_EQ(t.entities, (Entities{tl::messageEntityBold{.offset = 0, .length = 1},
                                  tl::messageEntityItalic{.offset = 0, .length = 1}}));
}

TEST(HtmlTest, WritesEscapedHtmlThatParsesBack) {
  FormattedText t{"<b> & \"q\" \xf0\x9f\x98\x80 x",
                  {tl::messageEntityBold{.offset = 0, .length = 3},
                   tl::messageEntityTextUrl{.offset = 4, .length = 1, .url = "http://x/?a=\"1\"&b=<2>"},
                   tl::messageEntityPre{.offset = 6, .length = 3, .language = "c++"},
                   tl::messageEntityCustomEmoji{.offset = 10, .length = 2, .document_id = -3},
                   tl::messageEntityMentionName{.offset = 10, .length = 3, .user_id = 5},
                   tl::messageEntityMentionName{.offset = 10, .length = 2, .user_id = 6}}};
  // Out of canonical order on purpose; a mention cannot hold a custom emoji
  // or another mention, so the second and third go.
  std::vector<tl::MessageEntity> written;
  absl::StatusOr<std::string> html = ToHtml(t, &written);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_EQ(*html,
            "<b>&lt;b&gt;</b> <a href=\"http://x/?a=&quot;1&quot;&amp;b=&lt;2&gt;\">&amp;</a> "
            "<pre><code class=\"language-c++\">&quot;q&quot;</code></pre> "
            "<a href=\"tg://user?id=5\">\xf0\x9f\x98\x80 </a>x");
  EXPECT_EQ(written.size(), 4u);
  FormattedText back = Parse(*html);
  EXPECT_EQ(back.text, t.text);
  EXPECT_EQ(back.entities, written);
}

TEST(HtmlTest, RoundTripsEveryKind) {
  const std::string html =
      "<b>b <i>i <u>u <s>s <tg-spoiler>p</tg-spoiler></s></u></i></b> <code>c</code> "
      "<pre>p</pre> <pre><code class=\"language-go\">g</code></pre> <a href=\"https://t.me/\">l</a> "
      "<a href=\"tg://user?id=1\">m</a> <tg-emoji emoji-id=\"2\">e</tg-emoji> "
      "<blockquote>q <b>b</b></blockquote><blockquote expandable>x\ny</blockquote>";
  FormattedText t = Parse(html);
  EXPECT_EQ(t.entities.size(), 14u);
  absl::StatusOr<std::string> again = ToHtml(t);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, html);
}

TEST(HtmlTest, WriterErrorsAndDrops) {
  // Out of range, negative, split surrogate pair, bad UTF-8: errors.
  EXPECT_FALSE(ToHtml({"abc", {tl::messageEntityBold{.offset = 2, .length = 2}}}).ok());
  EXPECT_FALSE(ToHtml({"abc", {tl::messageEntityHashtag{.offset = -1, .length = 2}}}).ok());
  EXPECT_FALSE(ToHtml({"\xf0\x9f\x98\x80", {tl::messageEntityBold{.offset = 1, .length = 1}}}).ok());
  EXPECT_FALSE(ToHtml({"\xc3", {}}).ok());
  // Crossing entities: the later one is dropped; kinds HTML cannot write are
  // plain text.
  std::vector<tl::MessageEntity> written;
  absl::StatusOr<std::string> html = ToHtml({"abcdef #tag",
                                             {tl::messageEntityItalic{.offset = 2, .length = 3},
                                              tl::messageEntityBold{.offset = 0, .length = 3},
                                              tl::messageEntityHashtag{.offset = 7, .length = 4}}},
                                            &written);
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_EQ(*html, "<b>abc</b>def #tag");
  EXPECT_EQ(written, (Entities{tl::messageEntityBold{.offset = 0, .length = 3}}));
}

}  // namespace
}  // namespace mtcore::text
