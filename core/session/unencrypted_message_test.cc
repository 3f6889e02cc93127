#include "core/session/unencrypted_message.h"

#include "gtest/gtest.h"

namespace mtcore::session {
namespace {

TEST(UnencryptedMessageTest, MatchesTheWorkedExampleEnvelope) {
  // req_pq_multi of core.telegram.org/mtproto/samples-auth_key.
  Bytes body = *HexDecode("f18e7ebe406709f612fadfbec3f0289d0aa67eef");
  Bytes packet = WrapUnencrypted(0x65c53d50000672d4LL, body);
  EXPECT_EQ(HexEncode(packet),
            "0000000000000000d4720600503dc56514000000f18e7ebe406709f612fadfbec3f0289d0aa67eef");
  auto m = ParseUnencrypted(packet);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->msg_id, 0x65c53d50000672d4LL);
  EXPECT_EQ(m->body, body);
}

TEST(UnencryptedMessageTest, RejectsMalformedEnvelopes) {
  Bytes packet = WrapUnencrypted(4, Bytes(8, 1));
  EXPECT_EQ(ParseUnencrypted(ByteView(packet.data(), 19)).status(),
            absl::DataLossError("unencrypted message of 19 bytes is too short"));
  Bytes keyed = packet;
  keyed[0] = 1;
  EXPECT_EQ(ParseUnencrypted(keyed).status(),
            absl::DataLossError("unencrypted message with a non-zero auth_key_id"));
  Bytes longer = Concat({packet, Bytes(4, 0)});
  EXPECT_EQ(ParseUnencrypted(longer).status(),
            absl::DataLossError("unencrypted message length 8 but 12 bytes follow"));
  EXPECT_TRUE(ParseUnencrypted(longer, /*transport_padding_allowed=*/true).ok());
  Bytes odd = WrapUnencrypted(4, Bytes(6, 1));
  EXPECT_EQ(ParseUnencrypted(odd).status(),
            absl::DataLossError("unencrypted message length 6 is not a multiple of 4"));
}

}  // namespace
}  // namespace mtcore::session
