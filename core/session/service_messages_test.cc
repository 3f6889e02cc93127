#include "core/session/service_messages.h"

#include "gtest/gtest.h"

namespace mtcore::session {
namespace {

TEST(ServiceMessagesTest, BuildersAndParsersAgree) {
  Bytes ack = BuildMsgIdList(ids::kMsgsAck, {4, 8, 12});
  absl::StatusOr<std::vector<int64_t>> ids_back = ParseMsgIdList(ack, ids::kMsgsAck);
  ASSERT_TRUE(ids_back.ok()) << ids_back.status();
  EXPECT_EQ(*ids_back, (std::vector<int64_t>{4, 8, 12}));
  EXPECT_FALSE(ParseMsgIdList(ack, ids::kMsgResendReq).ok()) << "wrong constructor";

  Bytes err = BuildRpcError(303, "USER_MIGRATE_2");
  absl::StatusOr<RpcError> e = ParseRpcError(err);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, 303);
  EXPECT_EQ(e->message, "USER_MIGRATE_2");

  Bytes result = BuildRpcResult(0x1234, err);
  absl::StatusOr<RpcResultView> r = ParseRpcResult(result);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->req_msg_id, 0x1234);
  EXPECT_EQ(Bytes(r->result.begin(), r->result.end()), err);

  Bytes body1 = BuildPing(1), body2 = BuildGetFutureSalts(32);
  Bytes c = BuildContainer({{100, 1, body1}, {104, 2, body2}});
  absl::StatusOr<std::vector<ContainerItem>> items = ParseContainer(c);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].msg_id, 104);
  EXPECT_EQ((*items)[1].seq_no, 2);
  EXPECT_EQ(Bytes((*items)[0].body.begin(), (*items)[0].body.end()), body1);

  Bytes gz = BuildGzipPacked(Bytes(300, 7));
  absl::StatusOr<ByteView> packed = ParseGzipPacked(gz);
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(packed->size(), 300u);

  Bytes info = BuildMsgsStateInfo(88, Bytes{1, 2, 4});
  absl::StatusOr<MsgsStateInfo> si = ParseMsgsStateInfo(info);
  ASSERT_TRUE(si.ok());
  EXPECT_EQ(si->req_msg_id, 88);
  EXPECT_EQ(si->info.size(), 3u);
}

TEST(ServiceMessagesTest, ContentRelatedClassification) {
  EXPECT_TRUE(IsContentRelated(BuildPing(1)));
  EXPECT_TRUE(IsContentRelated(BuildGetFutureSalts(1)));
  EXPECT_FALSE(IsContentRelated(BuildMsgIdList(ids::kMsgsAck, {})));
  EXPECT_FALSE(IsContentRelated(BuildContainer({})));
  EXPECT_FALSE(IsContentRelated(BuildMsgsStateInfo(1, {})));
}

TEST(ServiceMessagesTest, HostileContainersAreRejected) {
  Bytes body = BuildPing(1);
  Bytes c = BuildContainer({{100, 1, body}});
  // Inner length not a multiple of 4, or past the end.
  Bytes bad = c;
  StoreLe32(bad.data() + 8 + 12, 13);
  EXPECT_FALSE(ParseContainer(bad).ok());
  StoreLe32(bad.data() + 8 + 12, 4000);
  EXPECT_FALSE(ParseContainer(bad).ok());
  // A count the bytes cannot hold.
  Bytes many = c;
  StoreLe32(many.data() + 4, 1'000'000);
  EXPECT_FALSE(ParseContainer(many).ok());
  // More items than allowed.
  EXPECT_FALSE(ParseContainer(BuildContainer({{1, 1, body}, {2, 1, body}}), 1).ok());
  // Every truncation fails cleanly.
  for (size_t n = 0; n < c.size(); ++n) {
    EXPECT_FALSE(ParseContainer(ByteView(c.data(), n)).ok()) << n;
  }
  // Trailing bytes.
  Bytes trailing = c;
  trailing.push_back(0);
  EXPECT_FALSE(ParseContainer(trailing).ok());
}

TEST(ServiceMessagesTest, BadMsgAndSaltNotifications) {
  Bytes b(28);
  StoreLe32(b.data(), ids::kBadServerSalt);
  StoreLe64(b.data() + 4, 444);
  StoreLe32(b.data() + 12, 3);
  StoreLe32(b.data() + 16, 48);
  StoreLe64(b.data() + 20, 0xfeed);
  absl::StatusOr<BadMsgNotification> n = ParseBadMsgNotification(b);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->bad_msg_id, 444);
  EXPECT_EQ(n->error_code, 48);
  EXPECT_EQ(n->new_server_salt, 0xfeedu);
  Bytes plain(b.begin(), b.begin() + 20);
  StoreLe32(plain.data(), ids::kBadMsgNotification);
  n = ParseBadMsgNotification(plain);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->new_server_salt.has_value());
  EXPECT_FALSE(ParseBadMsgNotification(BuildPing(1)).ok());
}

}  // namespace
}  // namespace mtcore::session
