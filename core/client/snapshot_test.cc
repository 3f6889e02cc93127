#include "core/client/snapshot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

ClientSnapshot Sample() {
  ClientSnapshot s;
  s.dc = 4;
  s.auth_key.key = Bytes(256);
  for (size_t i = 0; i < 256; ++i) s.auth_key.key[i] = static_cast<uint8_t>(i * 7);
  s.auth_key.salt = 0x0102030405060708;
  s.self_user_id = 1003;
  s.updates = ClientSnapshot::UpdateState{.pts = 77, .qts = 5, .date = 1'750'000'000, .seq = 9};
  s.channels = {{5005, 12, 0x55}, {6006, 99, -3}};
  return s;
}

TEST(SnapshotTest, RoundTrips) {
  ClientSnapshot s = Sample();
  absl::StatusOr<ClientSnapshot> back = ParseSnapshot(SerializeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dc, 4);
  EXPECT_EQ(back->auth_key.key, s.auth_key.key);
  EXPECT_EQ(back->auth_key.salt, s.auth_key.salt);
  EXPECT_EQ(back->self_user_id, 1003);
  ASSERT_TRUE(back->updates.has_value());
  EXPECT_EQ(back->updates->pts, 77);
  EXPECT_EQ(back->updates->qts, 5);
  EXPECT_EQ(back->updates->date, 1'750'000'000);
  EXPECT_EQ(back->updates->seq, 9);
  ASSERT_EQ(back->channels.size(), 2u);
  EXPECT_EQ(back->channels[1].channel_id, 6006);
  EXPECT_EQ(back->channels[1].pts, 99);
  EXPECT_EQ(back->channels[1].access_hash, -3);

  s.updates.reset();
  s.channels.clear();
  back = ParseSnapshot(SerializeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->updates.has_value());
}

TEST(SnapshotTest, RejectsWhatIsNotASnapshotWithItsReason) {
  Bytes good = SerializeSnapshot(Sample());
  EXPECT_EQ(ParseSnapshot({}).status().code(), absl::StatusCode::kDataLoss);
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_THAT(ParseSnapshot(bad_magic).status().message(), testing::HasSubstr("magic"));
  Bytes newer = good;
  newer[4] = 2;
  EXPECT_EQ(ParseSnapshot(newer).status().code(), absl::StatusCode::kUnimplemented);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseSnapshot(ByteView(good).subspan(0, n)).ok()) << "truncated to " << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(ParseSnapshot(trailing).status().message(), testing::HasSubstr("after the end"));
  Bytes bad_dc = good;
  bad_dc[8] = 0;  // dc 0
  EXPECT_EQ(ParseSnapshot(bad_dc).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes short_key = good;
  short_key[12] = 128;  // a 128-byte key
  EXPECT_THAT(ParseSnapshot(short_key).status().message(), testing::HasSubstr("256 bytes"));
}

TEST(SnapshotTest, AHugeChannelCountIsRefusedBeforeAnyAllocation) {
  ClientSnapshot s = Sample();
  s.channels.clear();
  Bytes b = SerializeSnapshot(s);
  // The count is the last 4 bytes: claim 4 billion channels.
  for (size_t i = b.size() - 4; i < b.size(); ++i) b[i] = 0xff;
  EXPECT_EQ(ParseSnapshot(b).status().code(), absl::StatusCode::kInvalidArgument);
  b[b.size() - 4] = 10;  // 10 + 0xffffff00... still too many
  b[b.size() - 1] = 0;
  b[b.size() - 2] = 0;
  b[b.size() - 3] = 0;
  EXPECT_EQ(ParseSnapshot(b).status().code(), absl::StatusCode::kDataLoss);  // 10 claimed, 0 there
}

}  // namespace
}  // namespace mtcore::client
