// The server's builders read back by the client's parsers (core/session).
#include "tests/dc/server_messages.h"

#include "gtest/gtest.h"

namespace mtcore::dc {
namespace {

TEST(ServerMessagesTest, BadMsgNotificationAndBadServerSaltRoundTrip) {
  absl::StatusOr<session::BadMsgNotification> bad = session::ParseBadMsgNotification(
      BuildBadMsgNotification({.bad_msg_id = 0x1234567800000004, .bad_msg_seqno = 7,
                               .error_code = kSeqNoTooLow}));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->bad_msg_id, 0x1234567800000004);
  EXPECT_EQ(bad->bad_msg_seqno, 7);
  EXPECT_EQ(bad->error_code, 32);
  EXPECT_FALSE(bad->new_server_salt.has_value());

  const Bytes salt_body = BuildBadMsgNotification(
      {.bad_msg_id = 8, .bad_msg_seqno = 1, .error_code = kBadServerSaltCode,
       .new_server_salt = 0xfedcba9876543210});
  EXPECT_EQ(session::FirstId(salt_body), ids::kBadServerSalt);
  absl::StatusOr<session::BadMsgNotification> salt = session::ParseBadMsgNotification(salt_body);
  ASSERT_TRUE(salt.ok()) << salt.status();
  EXPECT_EQ(salt->error_code, 48);
  EXPECT_EQ(salt->new_server_salt, 0xfedcba9876543210u);
}

TEST(ServerMessagesTest, NewSessionCreatedPongAndDestroySessionRoundTrip) {
  absl::StatusOr<session::NewSessionCreated> created = session::ParseNewSessionCreated(
      BuildNewSessionCreated({.first_msg_id = 40, .unique_id = -5, .server_salt = 0x5a17}));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->first_msg_id, 40);
  EXPECT_EQ(created->unique_id, -5);
  EXPECT_EQ(created->server_salt, 0x5a17u);

  absl::StatusOr<session::Pong> pong = session::ParsePong(BuildPong({.msg_id = 44, .ping_id = -9}));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->msg_id, 44);
  EXPECT_EQ(pong->ping_id, -9);

  for (bool ok : {true, false}) {
    absl::StatusOr<session::DestroySessionResult> d = session::ParseDestroySessionResult(
        BuildDestroySessionResult({.ok = ok, .session_id = 77}));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->ok, ok);
    EXPECT_EQ(d->session_id, 77);
  }
}

TEST(ServerMessagesTest, FutureSaltsRoundTrip) {
  for (size_t n : {0u, 1u, 3u}) {
    session::FutureSalts in{.req_msg_id = 12, .now = 1767225600};
    for (size_t i = 0; i < n; ++i) {
      in.salts.push_back({.valid_since = int32_t(1767225600 + 3600 * i),
                          .valid_until = int32_t(1767229200 + 3600 * i), .salt = 100 + i});
    }
    absl::StatusOr<session::FutureSalts> out = session::ParseFutureSalts(BuildFutureSalts(in));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->req_msg_id, 12);
    EXPECT_EQ(out->now, 1767225600);
    ASSERT_EQ(out->salts.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(out->salts[i].valid_since, in.salts[i].valid_since);
      EXPECT_EQ(out->salts[i].valid_until, in.salts[i].valid_until);
      EXPECT_EQ(out->salts[i].salt, in.salts[i].salt);
    }
  }
}

TEST(ServerMessagesTest, RpcDropAnswerAnswers) {
  EXPECT_EQ(BuildRpcAnswerUnknown(), (Bytes{0x6e, 0xd3, 0x2a, 0x5e}));
  EXPECT_EQ(BuildRpcAnswerDroppedRunning(), (Bytes{0x86, 0xe5, 0x78, 0xcd}));
  const Bytes dropped = BuildRpcAnswerDropped(0x0102030405060708, 9, 100);
  ASSERT_EQ(dropped.size(), 20u);
  EXPECT_EQ(session::FirstId(dropped), ids::kRpcAnswerDropped);
  EXPECT_EQ(LoadLe64(dropped.data() + 4), 0x0102030405060708u);
  EXPECT_EQ(LoadLe32(dropped.data() + 12), 9u);
  EXPECT_EQ(LoadLe32(dropped.data() + 16), 100u);
}

}  // namespace
}  // namespace mtcore::dc
