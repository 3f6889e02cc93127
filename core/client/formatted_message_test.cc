#include "core/client/formatted_message.h"

#include <string>
#include <vector>

#include "core/text/html.h"
#include "core/text/markdown.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

namespace tl = ::mtcore::tl;

PeerCache PeersKnowingUser(int64_t id, int64_t hash) {
  PeerCache peers;
  tl::user u;
  u.id = id;
  u.access_hash = hash;
  peers.Remember(tl::User(u));
  return peers;
}

TEST(FormattedMessageTest, SendTextCarriesEntitiesAndNamesMentionedUsers) {
  PeerCache peers = PeersKnowingUser(1001, 0xabc);
  absl::StatusOr<text::FormattedText> t =
      text::ParseHtml("<b>Hi</b> <a href=\"tg://user?id=1001\">Alice</a> \xf0\x9f\x98\x80 <i>!</i>");
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<tl::messages_sendMessage> m = SendText(tl::inputPeerSelf{}, *t, peers, 99);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->peer, tl::InputPeer(tl::inputPeerSelf{}));
  EXPECT_EQ(m->message, "Hi Alice \xf0\x9f\x98\x80 !");
  EXPECT_EQ(m->random_id, 99);
  ASSERT_TRUE(m->entities.has_value());
  EXPECT_EQ(*m->entities, (std::vector<tl::MessageEntity>{
                              tl::messageEntityBold{.offset = 0, .length = 2},
                              tl::inputMessageEntityMentionName{
                                  .offset = 3, .length = 5, .user_id = tl::inputUser{.user_id = 1001, .access_hash = 0xabc}},
                              tl::messageEntityItalic{.offset = 12, .length = 1},
                          }));
  // Plain text: no entities field at all.
  absl::StatusOr<tl::messages_sendMessage> plain = SendText(tl::inputPeerSelf{}, {"plain", {}}, peers, 1);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->entities.has_value());
}

TEST(FormattedMessageTest, SendTextErrors) {
  PeerCache peers;
  absl::StatusOr<text::FormattedText> t = text::ParseMarkdownV2("[Bob](tg://user?id=1002)");
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<tl::messages_sendMessage> m = SendText(tl::inputPeerSelf{}, *t, peers, 1);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("cannot mention user 1002"), std::string::npos) << m.status();
  EXPECT_EQ(SendText(tl::inputPeerSelf{}, {"", {}}, peers, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SendText(tl::inputPeerSelf{}, {"\xff", {}}, peers, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SendText(tl::inputPeerSelf{}, {"ab", {tl::messageEntityBold{.offset = 1, .length = 2}}}, peers, 1)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FormattedMessageTest, ReceivedTextRendersBack) {
  tl::message m;
  m.message = "bold and link";
  m.entities = std::vector<tl::MessageEntity>{tl::messageEntityBold{.offset = 0, .length = 4},
                                              tl::messageEntityTextUrl{.offset = 9, .length = 4, .url = "https://x/"}};
  text::FormattedText t = ReceivedText(m);
  EXPECT_EQ(*text::ToHtml(t), "<b>bold</b> and <a href=\"https://x/\">link</a>");
  EXPECT_EQ(*text::ToMarkdownV2(t), "*bold* and [link](https://x/)");
  m.entities.reset();
  EXPECT_TRUE(ReceivedText(m).entities.empty());
}

}  // namespace
}  // namespace mtcore::client
