#include "core/text/entities.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mtcore::text {
namespace {

Entity E(EntityKind kind, int64_t offset, int64_t length) {
  Entity e;
  e.kind = kind;
  e.offset = offset;
  e.length = length;
  return e;
}

TEST(EntitiesTest, NormalizeSortsOuterFirst) {
  std::vector<Entity> in = {E(EntityKind::kItalic, 2, 2), E(EntityKind::kBold, 0, 5),
                            E(EntityKind::kCode, 2, 2)};
  std::vector<Entity> out = Normalize(in);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], E(EntityKind::kBold, 0, 5));
  EXPECT_EQ(out[1], E(EntityKind::kItalic, 2, 2));  // same range: styles before code
  EXPECT_EQ(out[2], E(EntityKind::kCode, 2, 2));
}

TEST(EntitiesTest, NormalizeDropsWhatTheBotApiForbids) {
  // Partial overlap: the later one goes.
  EXPECT_EQ(Normalize({E(EntityKind::kBold, 0, 4), E(EntityKind::kItalic, 2, 4)}),
            std::vector<Entity>{E(EntityKind::kBold, 0, 4)});
  // Nothing inside code or pre.
  EXPECT_EQ(Normalize({E(EntityKind::kCode, 0, 4), E(EntityKind::kBold, 1, 2)}),
            std::vector<Entity>{E(EntityKind::kCode, 0, 4)});
  EXPECT_EQ(Normalize({E(EntityKind::kPre, 0, 4), E(EntityKind::kCode, 1, 2)}),
            std::vector<Entity>{E(EntityKind::kPre, 0, 4)});
  // No blockquote in a blockquote, even through a style.
  EXPECT_EQ(Normalize({E(EntityKind::kBlockquote, 0, 9), E(EntityKind::kBold, 1, 5),
                       E(EntityKind::kBlockquote, 2, 2)}),
            (std::vector<Entity>{E(EntityKind::kBlockquote, 0, 9), E(EntityKind::kBold, 1, 5)}));
  // Links contain no code; a kind never nests in itself; empty entities go.
  Entity url = E(EntityKind::kTextUrl, 0, 4);
  url.str = "https://x";
  EXPECT_EQ(Normalize({url, E(EntityKind::kCode, 0, 4), E(EntityKind::kBold, 1, 1)}),
            (std::vector<Entity>{url, E(EntityKind::kBold, 1, 1)}));
  EXPECT_EQ(Normalize({E(EntityKind::kBold, 0, 4), E(EntityKind::kBold, 1, 2), E(EntityKind::kItalic, 3, 0)}),
            std::vector<Entity>{E(EntityKind::kBold, 0, 4)});
  // Styles may hold a blockquote and pre; a blockquote may hold a link and pre.
  EXPECT_EQ(Normalize({E(EntityKind::kBold, 0, 9), E(EntityKind::kBlockquote, 0, 9), E(EntityKind::kPre, 1, 2)}).size(),
            3u);
}

TEST(EntitiesTest, NormalizeReadsUserLinksAsMentionsAndDropsEmptyOnes) {
  Entity link = E(EntityKind::kTextUrl, 0, 3);
  link.str = "tg://user?id=42";
  Entity mention = E(EntityKind::kMentionName, 0, 3);
  mention.id = 42;
  EXPECT_EQ(Normalize({link}), std::vector<Entity>{mention});
  Entity empty = E(EntityKind::kTextUrl, 0, 3);
  Entity nobody = E(EntityKind::kMentionName, 4, 3);
  Entity not_utf8 = E(EntityKind::kTextUrl, 8, 1);
  not_utf8.str = "http://\xff";
  EXPECT_TRUE(Normalize({empty, nobody, not_utf8}).empty());
}

TEST(EntitiesTest, LinkIds) {
  EXPECT_EQ(MentionLinkUserId("tg://user?id=123456789"), 123456789);
  EXPECT_EQ(MentionLinkUserId("tg://user?id=0"), std::nullopt);
  EXPECT_EQ(MentionLinkUserId("tg://user?id=-5"), std::nullopt);
  EXPECT_EQ(MentionLinkUserId("tg://user?id=12a"), std::nullopt);
  EXPECT_EQ(MentionLinkUserId("tg://user?id=99999999999999999999"), std::nullopt);
  EXPECT_EQ(CustomEmojiLinkId("tg://emoji?id=5368324170671202286"), 5368324170671202286);
  EXPECT_EQ(CustomEmojiLinkId("tg://emoji?id="), std::nullopt);
}

TEST(EntitiesTest, TlFormsConvertBothWays) {
  const std::vector<tl::MessageEntity> all = {
      tl::messageEntityBold{.offset = 1, .length = 2},
      tl::messageEntityItalic{.offset = 1, .length = 2},
      tl::messageEntityUnderline{.offset = 1, .length = 2},
      tl::messageEntityStrike{.offset = 1, .length = 2},
      tl::messageEntitySpoiler{.offset = 1, .length = 2},
      tl::messageEntityCode{.offset = 1, .length = 2},
      tl::messageEntityPre{.offset = 1, .length = 2, .language = "go"},
      tl::messageEntityTextUrl{.offset = 1, .length = 2, .url = "https://x"},
      tl::messageEntityMentionName{.offset = 1, .length = 2, .user_id = 7},
      tl::messageEntityCustomEmoji{.offset = 1, .length = 2, .document_id = 9},
      tl::messageEntityBlockquote{.collapsed = true, .offset = 1, .length = 2},
  };
  for (const tl::MessageEntity& e : all) {
    std::optional<Entity> plain = FromTl(e);
    ASSERT_TRUE(plain.has_value()) << e.name();
    EXPECT_EQ(ToTl(*plain), e);
  }
  tl::MessageEntity input = tl::inputMessageEntityMentionName{
      .offset = 0, .length = 3, .user_id = tl::inputUser{.user_id = 7, .access_hash = 1}};
  EXPECT_EQ(ToTl(*FromTl(input)), tl::MessageEntity(tl::messageEntityMentionName{.offset = 0, .length = 3, .user_id = 7}));
  EXPECT_FALSE(FromTl(tl::messageEntityHashtag{.offset = 0, .length = 3}).has_value());
}

TEST(EntitiesTest, CheckRangesNamesTheBadEntity) {
  EXPECT_TRUE(CheckRanges({tl::messageEntityHashtag{.offset = 0, .length = 3}}, 3).ok());
  absl::Status s = CheckRanges({tl::messageEntityBold{.offset = 0, .length = 1},
                                tl::messageEntityHashtag{.offset = 2, .length = 3}},
                               4);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("entity 1 (messageEntityHashtag)"), std::string::npos) << s;
  EXPECT_FALSE(CheckRanges({tl::messageEntityBold{.offset = -1, .length = 1}}, 4).ok());
  EXPECT_FALSE(CheckRanges({tl::messageEntityBold{.offset = 1, .length = -1}}, 4).ok());
  EXPECT_FALSE(CheckRanges({tl::MessageEntity()}, 4).ok());
}

TEST(EntitiesTest, EntitiesToWriteRefusesBadTextAndSplitPairs) {
  FormattedText t{"a\xf0\x9f\x98\x80", {tl::messageEntityBold{.offset = 0, .length = 2}}};
  absl::StatusOr<std::vector<Entity>> r = EntitiesToWrite(t);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("surrogate pair"), std::string::npos) << r.status();
  t.entities = {tl::messageEntityBold{.offset = 0, .length = 3}};
  ASSERT_TRUE(EntitiesToWrite(t).ok());
  t.text = "a\xff";
  EXPECT_FALSE(EntitiesToWrite(t).ok());
}

}  // namespace
}  // namespace mtcore::text
