#include "core/session/message_id.h"

#include "gtest/gtest.h"

namespace mtcore::session {
namespace {

constexpr int64_t kSecond = 1000000000;
constexpr int64_t kNow = 1767225600 * kSecond;  // never start the clock at zero

TEST(MessageIdTest, IdsFollowTheClockTimesTwoToThe32) {
  EXPECT_EQ(MessageIdFromUnixNs(kNow), int64_t{1767225600} << 32);
  EXPECT_EQ(MessageIdFromUnixNs(kNow + kSecond / 2), (int64_t{1767225600} << 32) + (int64_t{1} << 31));
  EXPECT_EQ(UnixSecondsOfMessageId(MessageIdFromUnixNs(kNow + 3 * kSecond)), 1767225603);
}

TEST(MessageIdTest, GeneratorIsStrictlyIncreasingWithTheRightParity) {
  MessageIdGenerator gen;
  int64_t last = 0;
  for (int i = 0; i < 1000; ++i) {
    int64_t t = kNow - (i % 3) * 1000;  // the clock stalls and steps back
    int64_t id = gen.Next(t);
    EXPECT_EQ(id % 4, 0);
    EXPECT_GT(id, last);
    last = id;
  }
  MessageIdGenerator server;
  int64_t r = server.Next(kNow, MessageIdGenerator::Kind::kServerResponse);
  int64_t o = server.Next(kNow, MessageIdGenerator::Kind::kServerOther);
  EXPECT_EQ(r % 4, 1);
  EXPECT_EQ(o % 4, 3);
  EXPECT_GT(o, r);
}

TEST(InboundMessageIdsTest, ParityIsChecked) {
  InboundMessageIds from_server(Sender::kServer);
  int64_t base = MessageIdFromUnixNs(kNow);
  EXPECT_EQ(from_server.Check(base, kNow).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(from_server.Check(base | 2, kNow).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(from_server.Check(base | 1, kNow).ok());
  EXPECT_TRUE(from_server.Check(base | 3, kNow).ok());
  InboundMessageIds from_client(Sender::kClient);
  EXPECT_EQ(from_client.Check(base | 1, kNow).message(),
            absl::StrCat("msg_id ", base | 1, " has the wrong parity for a client message"));
  EXPECT_TRUE(from_client.Check(base, kNow).ok());
}

TEST(InboundMessageIdsTest, TimeWindowIs300SecondsBackAnd30Ahead) {
  InboundMessageIds ids(Sender::kServer);
  EXPECT_TRUE(ids.Check(MessageIdFromUnixNs(kNow - 300 * kSecond) | 1, kNow).ok());
  EXPECT_TRUE(ids.Check(MessageIdFromUnixNs(kNow + 30 * kSecond) | 1, kNow).ok());
  int64_t old_id = MessageIdFromUnixNs(kNow - 301 * kSecond) | 1;
  EXPECT_EQ(ids.Check(old_id, kNow), absl::OutOfRangeError(absl::StrCat("msg_id ", old_id, " is 301 s old (limit 300)")));
  int64_t future = MessageIdFromUnixNs(kNow + 31 * kSecond) | 1;
  EXPECT_EQ(ids.Check(future, kNow),
            absl::OutOfRangeError(absl::StrCat("msg_id ", future, " is 31 s in the future (limit 30)")));
}

TEST(InboundMessageIdsTest, DuplicatesWithinTheLast500AreRejected) {
  InboundMessageIds ids(Sender::kServer);
  int64_t base = MessageIdFromUnixNs(kNow) | 1;
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(ids.Check(base + 4 * i, kNow).ok());
  EXPECT_EQ(ids.Check(base + 4 * 499, kNow).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ids.Check(base, kNow).code(), absl::StatusCode::kAlreadyExists);
  // Out-of-order ids inside the window are fine.
  InboundMessageIds out_of_order(Sender::kServer);
  ASSERT_TRUE(out_of_order.Check(base + 40, kNow).ok());
  EXPECT_TRUE(out_of_order.Check(base + 20, kNow).ok());
}

TEST(InboundMessageIdsTest, IdsOlderThanAFullWindowAreTreatedAsReplays) {
  InboundMessageIds ids(Sender::kServer);
  int64_t base = MessageIdFromUnixNs(kNow) | 1;
  for (int i = 1; i <= 501; ++i) ASSERT_TRUE(ids.Check(base + 4 * i, kNow).ok());
  // base + 4 was evicted; it, and anything below the window, is refused.
  absl::Status s = ids.Check(base + 4, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("older than the last 500"), std::string::npos) << s;
  EXPECT_EQ(ids.Check(base, kNow).code(), absl::StatusCode::kAlreadyExists);
  ids.Reset();
  EXPECT_TRUE(ids.Check(base, kNow).ok());
}

}  // namespace
}  // namespace mtcore::session
