#include "core/client/peer_cache.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

namespace tl = ::mtcore::tl;

tl::User User(int64_t id, std::optional<int64_t> hash, bool min = false, bool self = false) {
  tl::user u;
  u.id = id;
  u.access_hash = hash;
  u.min = min;
  u.self = self;
  return u;
}

tl::Chat Channel(int64_t id, std::optional<int64_t> hash, bool min = false) {
  tl::channel c;
  c.id = id;
  c.access_hash = hash;
  c.min = min;
  return c;
}

TEST(PeerCacheTest, NamesAUserWithTheHashItCameWith) {
  PeerCache peers;
  peers.Remember(User(5, 555));
  ASSERT_TRUE(peers.Knows(PeerKind::kUser, 5));
  absl::StatusOr<tl::InputPeer> p = peers.InputPeerOf(tl::Peer(tl::peerUser{.user_id = 5}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, tl::InputPeer(tl::inputPeerUser{.user_id = 5, .access_hash = 555}));
  absl::StatusOr<tl::InputUser> u = peers.InputUserOf(5);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, tl::InputUser(tl::inputUser{.user_id = 5, .access_hash = 555}));
}

TEST(PeerCacheTest, AnUnseenPeerIsNotFoundWithItsIdInTheMessage) {
  PeerCache peers;
  absl::StatusOr<tl::InputPeer> p = peers.InputPeerOf(PeerKind::kUser, 77);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), testing::HasSubstr("user 77"));
  EXPECT_EQ(peers.InputChannelOf(9).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(peers.InputPeerOf(tl::Peer()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PeerCacheTest, ALaterFullObjectReplacesTheHash) {
  PeerCache peers;
  peers.Remember(User(5, 1));
  peers.Remember(User(5, 2));
  EXPECT_EQ(peers.AccessHash(PeerKind::kUser, 5), 2);
  EXPECT_EQ(peers.size(), 1u);
}

TEST(PeerCacheTest, AMinObjectNeverReplacesAFullHashAndIsNotEnoughToNameAPeer) {
  PeerCache peers;
  peers.Remember(User(5, 1));
  peers.Remember(User(5, 99, /*min=*/true));
  EXPECT_EQ(peers.AccessHash(PeerKind::kUser, 5), 1);

  peers.Remember(User(6, 66, /*min=*/true));
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 6));
  EXPECT_EQ(peers.InputUserOf(6).status().code(), absl::StatusCode::kNotFound);
  peers.Remember(User(6, 67));
  EXPECT_EQ(peers.AccessHash(PeerKind::kUser, 6), 67);

  peers.Remember(Channel(10, 100, /*min=*/true));
  EXPECT_FALSE(peers.Knows(PeerKind::kChannel, 10));
}

TEST(PeerCacheTest, AMinSenderIsNamedThroughTheMessageItSent) {
  PeerCache peers;
  peers.Remember(Channel(10, 1000));          // a supergroup we are in
  peers.Remember(User(6, 66, /*min=*/true));  // a member seen only as min
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 6));
  const tl::Peer group = tl::peerChannel{.channel_id = 10};
  peers.RememberMessage(tl::peerUser{.user_id = 6}, group, 321);
  ASSERT_TRUE(peers.Knows(PeerKind::kUser, 6));
  const tl::InputPeer in_group = tl::inputPeerChannel{.channel_id = 10, .access_hash = 1000};
  EXPECT_EQ(*peers.InputPeerOf(PeerKind::kUser, 6),
            tl::InputPeer(tl::inputPeerUserFromMessage{.peer = in_group, .msg_id = 321, .user_id = 6}));
  EXPECT_EQ(*peers.InputUserOf(6),
            tl::InputUser(tl::inputUserFromMessage{.peer = in_group, .msg_id = 321, .user_id = 6}));
  // A later full object wins.
  peers.Remember(User(6, 67));
  EXPECT_EQ(*peers.InputUserOf(6), tl::InputUser(tl::inputUser{.user_id = 6, .access_hash = 67}));
  // RememberMessage does nothing for full peers, unknown ones, or bad ids.
  peers.RememberMessage(tl::peerUser{.user_id = 6}, group, 400);
  EXPECT_EQ(*peers.InputUserOf(6), tl::InputUser(tl::inputUser{.user_id = 6, .access_hash = 67}));
  peers.RememberMessage(tl::peerUser{.user_id = 99}, group, 1);
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 99));
}

TEST(PeerCacheTest, APrivateMessageFromAMinUserKeepsTheChatItCanBeNamedThrough) {
  PeerCache peers;
  peers.Remember(Channel(10, 1000));
  peers.Remember(User(6, 66, /*min=*/true));
  peers.RememberMessage(tl::peerUser{.user_id = 6}, tl::peerChannel{.channel_id = 10}, 321);
  // It writes privately: that chat is the user itself, which cannot name it.
  peers.RememberMessage(tl::peerUser{.user_id = 6}, tl::peerUser{.user_id = 6}, 5);
  // Nor does a chat we cannot name.
  peers.RememberMessage(tl::peerUser{.user_id = 6}, tl::peerChannel{.channel_id = 77}, 6);
  ASSERT_TRUE(peers.Knows(PeerKind::kUser, 6));
  EXPECT_NE(peers.InputPeerOf(PeerKind::kUser, 6)->As<tl::inputPeerUserFromMessage>(), nullptr);
  EXPECT_EQ(peers.InputPeerOf(PeerKind::kUser, 6)->As<tl::inputPeerUserFromMessage>()->msg_id, 321);
}

TEST(PeerCacheTest, ClearForgetsEverythingAndTheSelf) {
  PeerCache peers;
  peers.Remember(User(42, 4242, false, /*self=*/true));
  peers.Remember(User(5, 55));
  peers.Clear();
  EXPECT_EQ(peers.size(), 0u);
  EXPECT_EQ(peers.self(), 0);
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 5));
}

TEST(PeerCacheTest, AMinChannelThroughAMessageAndNoEndlessChains) {
  PeerCache peers;
  peers.Remember(Channel(10, 1000));
  peers.Remember(Channel(20, 2, /*min=*/true));  // e.g. a channel posting as itself
  peers.RememberMessage(tl::peerChannel{.channel_id = 20}, tl::peerChannel{.channel_id = 10}, 5);
  const tl::InputPeer in_group = tl::inputPeerChannel{.channel_id = 10, .access_hash = 1000};
  EXPECT_EQ(*peers.InputChannelOf(20), tl::InputChannel(tl::inputChannelFromMessage{
                                           .peer = in_group, .msg_id = 5, .channel_id = 20}));
  // Seen only in a chat that cannot be named itself: not nameable.
  peers.Remember(User(7, 77, /*min=*/true));
  peers.RememberMessage(tl::peerUser{.user_id = 7}, tl::peerChannel{.channel_id = 30}, 9);
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 7));
  // Two min channels seen in each other: no endless recursion.
  peers.Remember(Channel(40, 4, true));
  peers.Remember(Channel(41, 4, true));
  peers.RememberMessage(tl::peerChannel{.channel_id = 40}, tl::peerChannel{.channel_id = 41}, 1);
  peers.RememberMessage(tl::peerChannel{.channel_id = 41}, tl::peerChannel{.channel_id = 40}, 1);
  EXPECT_FALSE(peers.Knows(PeerKind::kChannel, 40));
  EXPECT_EQ(peers.InputChannelOf(41).status().code(), absl::StatusCode::kNotFound);
}

TEST(PeerCacheTest, ChannelsBasicGroupsAndForbiddenOnes) {
  PeerCache peers;
  tl::chat group;
  group.id = 3;
  tl::channelForbidden gone;
  gone.id = 4;
  gone.access_hash = 44;
  peers.Remember({}, {tl::Chat(group), Channel(10, 1000), tl::Chat(gone), tl::Chat(tl::chatEmpty{.id = 8})});
  EXPECT_EQ(*peers.InputPeerOf(tl::Peer(tl::peerChat{.chat_id = 3})),
            tl::InputPeer(tl::inputPeerChat{.chat_id = 3}));
  EXPECT_EQ(*peers.InputPeerOf(tl::Peer(tl::peerChannel{.channel_id = 10})),
            tl::InputPeer(tl::inputPeerChannel{.channel_id = 10, .access_hash = 1000}));
  EXPECT_EQ(*peers.InputChannelOf(4),
            tl::InputChannel(tl::inputChannel{.channel_id = 4, .access_hash = 44}));
  EXPECT_FALSE(peers.Knows(PeerKind::kChat, 8));  // chatEmpty is not remembered
  EXPECT_EQ(peers.AccessHash(PeerKind::kChat, 3), std::nullopt);
}

TEST(PeerCacheTest, TheLoggedInUserIsNamedAsSelf) {
  PeerCache peers;
  peers.Remember(User(42, 4242, false, /*self=*/true));
  EXPECT_EQ(peers.self(), 42);
  EXPECT_EQ(*peers.InputPeerOf(PeerKind::kUser, 42), tl::InputPeer(tl::inputPeerSelf{}));
  EXPECT_EQ(*peers.InputUserOf(42), tl::InputUser(tl::inputUserSelf{}));
}

TEST(PeerCacheTest, ObjectsWithoutAHashAreIgnored) {
  PeerCache peers;
  peers.Remember(User(5, std::nullopt));
  peers.Remember(tl::User(tl::userEmpty{.id = 6}));
  peers.Remember(tl::User());
  EXPECT_EQ(peers.size(), 0u);
}

TEST(PeerCacheTest, PastTheCapTheOldestIsForgotten) {
  PeerCache peers(/*max_peers=*/3);
  for (int64_t id = 1; id <= 5; ++id) peers.Remember(User(id, id * 10));
  EXPECT_EQ(peers.size(), 3u);
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 1));
  EXPECT_FALSE(peers.Knows(PeerKind::kUser, 2));
  EXPECT_EQ(peers.AccessHash(PeerKind::kUser, 5), 50);
  EXPECT_EQ(peers.stats().evicted, 2u);
}

}  // namespace
}  // namespace mtcore::client
