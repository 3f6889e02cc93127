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
  s.auth_key.created_at = 1'749'999'990;
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
  EXPECT_EQ(back->auth_key.created_at, 1'749'999'990);
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
  s.auth_key.created_at = 0;  // unknown stays unknown
  back = ParseSnapshot(SerializeSnapshot(s));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->updates.has_value());
  EXPECT_EQ(back->auth_key.created_at, 0);
}

// Little-endian fields, written by hand: the layout is the format, not
// whatever SerializeSnapshot does today.
void Put32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A version 1 snapshot, as builds before the key's creation time was kept
// wrote it: magic, version, dc, key size, key, salt, user, update state,
// channels.
Bytes Version1Snapshot() {
  Bytes b = {'M', 'T', 'C', 'S'};
  Put32(b, 1);
  Put32(b, 2);  // dc
  Put32(b, 256);
  for (size_t i = 0; i < 256; ++i) b.push_back(static_cast<uint8_t>(i * 3));
  Put64(b, 0x1122334455667788);  // salt
  Put64(b, 1003);                // user
  Put32(b, 1);                   // update state follows
  Put32(b, 40);                  // pts
  Put32(b, 2);                   // qts
  Put32(b, 1'700'000'000);       // date
  Put32(b, 6);                   // seq
  Put32(b, 1);                   // one channel
  Put64(b, 5005);
  Put32(b, 12);
  Put64(b, 0x55);
  return b;
}

TEST(SnapshotTest, AVersion1SnapshotStillReadsWithAnUnknownKeyAge) {
  absl::StatusOr<ClientSnapshot> old = ParseSnapshot(Version1Snapshot());
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->dc, 2);
  ASSERT_EQ(old->auth_key.key.size(), 256u);
  EXPECT_EQ(old->auth_key.key[255], static_cast<uint8_t>(255 * 3));
  EXPECT_EQ(old->auth_key.salt, 0x1122334455667788u);
  EXPECT_EQ(old->auth_key.created_at, 0) << "unknown: the engine counts it as old";
  EXPECT_EQ(old->self_user_id, 1003);
  ASSERT_TRUE(old->updates.has_value());
  EXPECT_EQ(old->updates->pts, 40);
  EXPECT_EQ(old->updates->seq, 6);
  ASSERT_EQ(old->channels.size(), 1u);
  EXPECT_EQ(old->channels[0].channel_id, 5005);
  EXPECT_EQ(old->channels[0].access_hash, 0x55);

  // Written again it is a current-version snapshot with the same contents.
  const Bytes again = SerializeSnapshot(*old);
  EXPECT_EQ(again[4], 2);
  EXPECT_EQ(again.size(), Version1Snapshot().size() + 8);
  absl::StatusOr<ClientSnapshot> back = ParseSnapshot(again);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->auth_key.key, old->auth_key.key);
  EXPECT_EQ(back->auth_key.created_at, 0);
  EXPECT_EQ(back->updates->date, 1'700'000'000);

  // Version 1 has no creation time: one more field than it has is trailing.
  Bytes with_extra = Version1Snapshot();
  Put64(with_extra, 0);
  EXPECT_THAT(ParseSnapshot(with_extra).status().message(), testing::HasSubstr("after the end"));
}

TEST(SnapshotTest, TheKeyCreationTimeSitsAfterTheSaltAndIsNeverNegative) {
  ClientSnapshot s = Sample();
  s.auth_key.created_at = 0x0a0b0c0d;
  Bytes b = SerializeSnapshot(s);
  const size_t at = 4 + 4 + 4 + 4 + 256 + 8;
  EXPECT_EQ(b[at], 0x0d);
  EXPECT_EQ(b[at + 3], 0x0a);
  b[at + 7] = 0x80;  // negative
  absl::Status st = ParseSnapshot(b).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), testing::HasSubstr("creation time"));
}

TEST(SnapshotTest, RejectsWhatIsNotASnapshotWithItsReason) {
  Bytes good = SerializeSnapshot(Sample());
  EXPECT_EQ(ParseSnapshot({}).status().code(), absl::StatusCode::kDataLoss);
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_THAT(ParseSnapshot(bad_magic).status().message(), testing::HasSubstr("magic"));
  Bytes newer = good;
  newer[4] = 3;
  EXPECT_EQ(ParseSnapshot(newer).status().code(), absl::StatusCode::kUnimplemented);
  Bytes zero = good;
  zero[4] = 0;
  EXPECT_EQ(ParseSnapshot(zero).status().code(), absl::StatusCode::kUnimplemented);
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
