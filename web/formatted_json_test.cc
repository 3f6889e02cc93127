#include "web/formatted_json.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tl/api.h"
#include "tl/dynamic/api_codec_for_tests.h"

namespace mtcore::web {
namespace {

namespace tl = ::mtcore::tl;

const tl::dynamic::DynamicCodec& Codec() { return tl::dynamic::ApiCodecForTests(); }

// ReadFormattedText + FormattedTextJson, or the error as text.
std::string Read(TextFormat format, std::string_view source, std::string_view entities = "") {
  absl::StatusOr<text::FormattedText> t = ReadFormattedText(Codec(), format, source, entities);
  if (!t.ok()) return t.status().ToString();
  absl::StatusOr<std::string> json = FormattedTextJson(Codec(), *t);
  return json.ok() ? *json : json.status().ToString();
}

std::string Write(TextFormat format, std::string_view text, std::string_view entities) {
  absl::StatusOr<std::string> out = WriteFormattedText(Codec(), format, text, entities);
  return out.ok() ? *out : out.status().ToString();
}

TEST(FormattedJsonTest, HtmlAndMarkdownBecomeTextAndApiEntities) {
  EXPECT_EQ(Read(TextFormat::kHtml, "<b>bold</b> &amp; <i>it</i>"),
            R"({"text":"bold & it","entities":[)"
            R"({"_":"messageEntityBold","offset":0,"length":4},)"
            R"({"_":"messageEntityItalic","offset":7,"length":2}]})");
  EXPECT_EQ(Read(TextFormat::kMarkdownV2, "*bold* \\& _it_"), Read(TextFormat::kHtml, "<b>bold</b> &amp; <i>it</i>"));
  // Offsets count UTF-16 units, as JavaScript strings do: the emoji is two.
  EXPECT_EQ(Read(TextFormat::kHtml, "\xf0\x9f\x91\x8d <a href=\"tg://user?id=1001\">Alice</a>"),
            "{\"text\":\"\xf0\x9f\x91\x8d Alice\",\"entities\":["
            R"({"_":"messageEntityMentionName","offset":3,"length":5,"user_id":"1001"}]})")
      << "TL longs are decimal strings";
  EXPECT_EQ(Read(TextFormat::kHtml, "plain"), R"({"text":"plain","entities":[]})");
}

TEST(FormattedJsonTest, PlainTextTakesItsEntitiesAsApiJson) {
  EXPECT_EQ(Read(TextFormat::kText, "hi there",
                 R"([{"_":"messageEntityUnderline","offset":3,"length":5}])"),
            R"({"text":"hi there","entities":[{"_":"messageEntityUnderline","offset":3,"length":5}]})");
  EXPECT_EQ(Read(TextFormat::kText, "hi", ""), R"({"text":"hi","entities":[]})");
  EXPECT_EQ(Read(TextFormat::kText, "hi", "[]"), R"({"text":"hi","entities":[]})");
}

TEST(FormattedJsonTest, ErrorsNameWhereTheInputIsWrong) {
  const std::string html = Read(TextFormat::kHtml, "ok <x>no</x>");
  EXPECT_NE(html.find("INVALID_ARGUMENT: HTML at byte 3"), std::string::npos) << html;
  const std::string md = Read(TextFormat::kMarkdownV2, "a.b");
  EXPECT_NE(md.find("MarkdownV2 at byte 1"), std::string::npos) << md;
  const std::string outside = Read(TextFormat::kText, "hi", R"([{"_":"messageEntityBold","offset":1,"length":5}])");
  EXPECT_NE(outside.find("entities: entity 0 (messageEntityBold) at offset 1 length 5 is outside"),
            std::string::npos)
      << outside;
  const std::string not_json = Read(TextFormat::kText, "hi", R"([{"_":"messageEntityBold","offset":1,)");
  EXPECT_NE(not_json.find("INVALID_ARGUMENT: entities: "), std::string::npos) << not_json;
  const std::string not_entity = Read(TextFormat::kText, "hi", R"([{"_":"inputPeerSelf"}])");
  EXPECT_NE(not_entity.find("INVALID_ARGUMENT: entities: "), std::string::npos) << not_entity;
  const std::string missing = Read(TextFormat::kText, "hi", R"([{"_":"messageEntityBold","offset":0}])");
  EXPECT_NE(missing.find("INVALID_ARGUMENT: entities: "), std::string::npos) << missing;
  EXPECT_NE(Read(TextFormat::kText, "\xff", "").find("text: invalid UTF-8 at byte 0"), std::string::npos);
  EXPECT_NE(Read(TextFormat::kHtml, "<b>x</b>", "[]").find("only plain text takes separate entities"),
            std::string::npos);
  EXPECT_FALSE(TextFormatOf(3).ok());
  EXPECT_EQ(*TextFormatOf(2), TextFormat::kMarkdownV2);
}

TEST(FormattedJsonTest, ReceivedEntitiesAreWrittenBackAsHtmlOrMarkdown) {
  // As a message's `entities` arrive: kinds Telegram detects by itself (an
  // URL) have nothing to write and are left out; the rest are written.
  const std::string received =
      R"([{"_":"messageEntityBold","offset":0,"length":5},)"
      R"({"_":"messageEntityUrl","offset":6,"length":9},)"
      R"({"_":"messageEntityMentionName","offset":19,"length":5,"user_id":"1001"}])";
  const std::string text = "Hello https://x hi Alice";
  EXPECT_EQ(Write(TextFormat::kHtml, text, received),
            R"(<b>Hello</b> https://x hi <a href="tg://user?id=1001">Alice</a>)");
  EXPECT_EQ(Write(TextFormat::kMarkdownV2, text, received),
            R"(*Hello* https://x hi [Alice](tg://user?id=1001))");
  // Untrusted ranges are errors, not crashes.
  const std::string outside = Write(TextFormat::kHtml, "hi", R"([{"_":"messageEntityBold","offset":0,"length":3}])");
  EXPECT_NE(outside.find("is outside the text"), std::string::npos) << outside;
  const std::string split = Write(TextFormat::kHtml, "\xf0\x9f\x91\x8d", R"([{"_":"messageEntityBold","offset":0,"length":1}])");
  EXPECT_NE(split.find("splits a surrogate pair"), std::string::npos) << split;
  EXPECT_NE(Write(TextFormat::kText, "hi", "").find("not a format to write"), std::string::npos);
}

TEST(FormattedJsonTest, EntitiesGoThroughJsonAndBackUnchanged) {
  const std::vector<tl::MessageEntity> entities = {
      tl::messageEntityBlockquote{.collapsed = true, .offset = 0, .length = 9},
      tl::messageEntityPre{.offset = 0, .length = 3, .language = "c++"},
      tl::messageEntityCustomEmoji{.offset = 4, .length = 2, .document_id = 5368324170671202286},
  };
  absl::StatusOr<std::string> json = EntitiesJson(Codec(), entities);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_NE(json->find(R"("document_id":"5368324170671202286")"), std::string::npos) << *json;
  absl::StatusOr<std::vector<tl::MessageEntity>> back = EntitiesFromJson(Codec(), *json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, entities);
}

}  // namespace
}  // namespace mtcore::web
