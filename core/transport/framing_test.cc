#include "core/transport/framing.h"

#include <vector>

#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

Bytes Packet(size_t size, uint8_t seed) {
  Bytes p(size);
  for (size_t i = 0; i < size; ++i) p[i] = uint8_t(seed + i * 31);
  // Keep the first word away from small non-negative values (a short packet
  // from the server would otherwise read as a transport error).
  return p;
}

// Feeds `wire` to a fresh decoder in pieces given by `split`, collecting frames.
std::vector<Frame> DecodeAll(Framing framing, Sender sender, const Bytes& wire,
                             const std::vector<size_t>& split) {
  FrameDecoder dec(framing, sender);
  std::vector<Frame> frames;
  size_t at = 0, i = 0;
  while (at < wire.size()) {
    size_t n = split.empty() ? wire.size() : std::min(split[i++ % split.size()], wire.size() - at);
    absl::Status s = dec.Feed(ByteView(wire.data() + at, n));
    EXPECT_TRUE(s.ok()) << s;
    at += n;
    while (auto f = dec.Next()) frames.push_back(std::move(*f));
  }
  EXPECT_EQ(dec.buffered(), 0u);
  return frames;
}

class FramingRoundTripTest : public testing::TestWithParam<Framing> {};

TEST_P(FramingRoundTripTest, EveryPacketSurvivesEverySplit) {
  const Framing framing = GetParam();
  crypto::DeterministicRandom rng(1);
  for (Sender sender : {Sender::kClient, Sender::kServer}) {
    FrameEncoder enc(framing);
    Bytes wire;
    std::vector<Bytes> sent;
    std::vector<Bytes> padding;
    // Sizes around the abridged 1-byte/4-byte header boundary (0x7e, 0x7f words).
    for (size_t size : {8u, 12u, 64u, 0x7e * 4u, 0x7f * 4u, 0x80 * 4u, 4096u, 70000u}) {
      Bytes pad;
      if (framing == Framing::kPaddedIntermediate) {
        pad.resize(size % 16);
        rng.Fill(MutableByteView(pad));
      }
      Bytes p = Packet(size, uint8_t(size));
      ASSERT_TRUE(enc.EncodePacket(p, {.padding = pad}, wire).ok());
      sent.push_back(p);
      padding.push_back(pad);
    }
    for (const std::vector<size_t>& split :
         std::vector<std::vector<size_t>>{{}, {1}, {3, 1, 7}, {4096}, {5, 1000, 2}}) {
      std::vector<Frame> frames = DecodeAll(framing, sender, wire, split);
      ASSERT_EQ(frames.size(), sent.size());
      for (size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(frames[i].kind, Frame::Kind::kPacket);
        // Padding stays in the payload; the MTProto layer ignores it.
        EXPECT_EQ(frames[i].payload, Concat({sent[i], padding[i]}));
        EXPECT_FALSE(frames[i].quick_ack_requested);
      }
    }
  }
}

TEST_P(FramingRoundTripTest, TransportErrorsFromTheServer) {
  const Framing framing = GetParam();
  FrameEncoder enc(framing);
  Bytes wire;
  for (int32_t code : {-404, -429, -444}) ASSERT_TRUE(enc.EncodeTransportError(code, wire).ok());
  std::vector<Frame> frames = DecodeAll(framing, Sender::kServer, wire, {1});
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].kind, Frame::Kind::kTransportError);
  EXPECT_EQ(frames[0].transport_error, -404);
  EXPECT_EQ(frames[1].transport_error, -429);
  EXPECT_EQ(frames[2].transport_error, -444);
  EXPECT_EQ(enc.EncodeTransportError(404, wire).message(), "transport error code 404 is not negative");
}

TEST_P(FramingRoundTripTest, QuickAcksFromTheServer) {
  const Framing framing = GetParam();
  FrameEncoder enc(framing);
  Bytes wire;
  ASSERT_TRUE(enc.EncodeQuickAck(0x80a1b2c3u, wire).ok());
  ASSERT_TRUE(enc.EncodePacket(Packet(16, 9), {}, wire).ok());
  std::vector<Frame> frames = DecodeAll(framing, Sender::kServer, wire, {1});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].kind, Frame::Kind::kQuickAck);
  EXPECT_EQ(frames[0].quick_ack_token, 0x80a1b2c3u);
  EXPECT_EQ(frames[1].kind, Frame::Kind::kPacket);
  EXPECT_EQ(enc.EncodeQuickAck(0x1234, wire).message(), "quick ack token must have its top bit set");
}

INSTANTIATE_TEST_SUITE_P(AllFramings, FramingRoundTripTest,
                         testing::Values(Framing::kAbridged, Framing::kIntermediate,
                                         Framing::kPaddedIntermediate, Framing::kFull),
                         [](const auto& info) {
                           switch (info.param) {
                             case Framing::kAbridged: return std::string("Abridged");
                             case Framing::kIntermediate: return std::string("Intermediate");
                             case Framing::kPaddedIntermediate: return std::string("Padded");
                             case Framing::kFull: return std::string("Full");
                           }
                           return std::string("Unknown");
                         });

TEST(FramingTest, AbridgedKnownBytes) {
  FrameEncoder enc(Framing::kAbridged);
  Bytes wire;
  ASSERT_TRUE(enc.EncodePacket(Packet(40, 0), {}, wire).ok());
  EXPECT_EQ(wire[0], 0x0a);  // 40 / 4
  EXPECT_EQ(wire.size(), 41u);
  wire.clear();
  ASSERT_TRUE(enc.EncodePacket(Packet(0x7f * 4, 0), {.request_quick_ack = true}, wire).ok());
  EXPECT_EQ(HexEncode(ByteView(wire.data(), 4)), "ff7f0000");  // 0x7f | quick ack, 3-byte length
}

TEST(FramingTest, IntermediateAndFullKnownBytes) {
  FrameEncoder inter(Framing::kIntermediate);
  Bytes wire;
  ASSERT_TRUE(inter.EncodePacket(Packet(8, 1), {.request_quick_ack = true}, wire).ok());
  EXPECT_EQ(HexEncode(ByteView(wire.data(), 4)), "08000080");
  FrameEncoder full(Framing::kFull);
  Bytes f;
  Bytes payload = *HexDecode("0102030405060708");
  ASSERT_TRUE(full.EncodePacket(payload, {}, f).ok());
  ASSERT_TRUE(full.EncodePacket(payload, {}, f).ok());
  // length 20, seqno 0, payload, CRC32 over the first 16 bytes.
  EXPECT_EQ(HexEncode(ByteView(f.data(), 16)), "14000000000000000102030405060708");
  EXPECT_EQ(HexEncode(ByteView(f.data() + 20, 8)), "1400000001000000");  // seqno 1
}

TEST(FramingTest, ClientQuickAckRequestIsReported) {
  for (Framing framing : {Framing::kAbridged, Framing::kIntermediate, Framing::kPaddedIntermediate}) {
    FrameEncoder enc(framing);
    Bytes wire;
    ASSERT_TRUE(enc.EncodePacket(Packet(24, 3), {.request_quick_ack = true}, wire).ok());
    ASSERT_TRUE(enc.EncodePacket(Packet(600, 3), {.request_quick_ack = true}, wire).ok());
    std::vector<Frame> frames = DecodeAll(framing, Sender::kClient, wire, {});
    ASSERT_EQ(frames.size(), 2u) << FramingName(framing);
    EXPECT_TRUE(frames[0].quick_ack_requested);
    EXPECT_TRUE(frames[1].quick_ack_requested);
    EXPECT_EQ(frames[1].payload, Packet(600, 3));
  }
}

TEST(FramingTest, EncoderRejectsBadPackets) {
  FrameEncoder enc(Framing::kIntermediate);
  Bytes out;
  EXPECT_EQ(enc.EncodePacket({}, {}, out).message(), "intermediate: empty packet");
  EXPECT_EQ(enc.EncodePacket(Packet(6, 0), {}, out).message(),
            "intermediate: packet length 6 is not a multiple of 4");
  Bytes pad(3);
  EXPECT_EQ(enc.EncodePacket(Packet(8, 0), {.padding = pad}, out).message(),
            "intermediate: padding is only for padded intermediate");
  FrameEncoder padded(Framing::kPaddedIntermediate);
  Bytes big_pad(16);
  EXPECT_EQ(padded.EncodePacket(Packet(8, 0), {.padding = big_pad}, out).message(),
            "padded intermediate: 16 bytes of padding (at most 15)");
  EXPECT_TRUE(out.empty());
}

TEST(FramingTest, FullRejectsBadCrcAndSequenceAndStaysFailed) {
  FrameEncoder enc(Framing::kFull);
  Bytes wire;
  ASSERT_TRUE(enc.EncodePacket(Packet(16, 1), {}, wire).ok());
  Bytes corrupt = wire;
  corrupt[10] ^= 1;
  FrameDecoder dec(Framing::kFull, Sender::kClient);
  absl::Status s = dec.Feed(corrupt);
  EXPECT_EQ(s, absl::DataLossError("full: CRC32 mismatch in frame 0"));
  EXPECT_EQ(dec.Feed(wire), s);  // sticky
  EXPECT_FALSE(dec.Next().has_value());

  // A frame with sequence number 1 where 0 was due.
  FrameEncoder skip(Framing::kFull);
  Bytes first, second;
  ASSERT_TRUE(skip.EncodePacket(Packet(16, 1), {}, first).ok());
  ASSERT_TRUE(skip.EncodePacket(Packet(16, 1), {}, second).ok());
  FrameDecoder dec2(Framing::kFull, Sender::kClient);
  EXPECT_EQ(dec2.Feed(second), absl::DataLossError("full: sequence number 1, expected 0"));
}

TEST(FramingTest, OversizedLengthFailsBeforeBuffering) {
  FrameDecoder dec(Framing::kIntermediate, Sender::kServer, /*max_packet_size=*/1024);
  Bytes header = {0x04, 0x04, 0x00, 0x00};  // 1028 bytes announced
  EXPECT_EQ(dec.Feed(header),
            absl::ResourceExhaustedError("intermediate: packet length 1028 exceeds the limit 1024"));
  FrameDecoder abridged(Framing::kAbridged, Sender::kClient, 1024);
  Bytes big = {0x7f, 0xff, 0xff, 0xff};
  EXPECT_EQ(abridged.Feed(big).code(), absl::StatusCode::kResourceExhausted);
}

TEST(FramingTest, MalformedLengthsAreErrors) {
  FrameDecoder zero(Framing::kAbridged, Sender::kClient);
  EXPECT_EQ(zero.Feed(Bytes{0x00}), absl::DataLossError("abridged: zero-length packet"));
  FrameDecoder odd(Framing::kIntermediate, Sender::kClient);
  EXPECT_EQ(odd.Feed(Bytes{0x05, 0, 0, 0}),
            absl::DataLossError("intermediate: packet length 5 is not a multiple of 4"));
  FrameDecoder short_full(Framing::kFull, Sender::kClient);
  EXPECT_EQ(short_full.Feed(Bytes{0x0c, 0, 0, 0}),
            absl::DataLossError("full: frame length 12 is shorter than 16"));
  // From the server, a 4-byte packet must be a (negative) error code.
  FrameDecoder positive(Framing::kIntermediate, Sender::kServer);
  EXPECT_EQ(positive.Feed(Bytes{4, 0, 0, 0, 1, 0, 0, 0}),
            absl::DataLossError("intermediate: 4-byte packet that is not a transport error code"));
}

TEST(FramingTest, SniffRecognisesEveryPlainFramingAndObfuscation) {
  EXPECT_EQ(SniffPreamble({}).kind, SniffResult::Kind::kNeedMoreBytes);
  SniffResult a = SniffPreamble(Bytes{0xef, 0x0a});
  EXPECT_EQ(a.kind, SniffResult::Kind::kPlain);
  EXPECT_EQ(a.framing, Framing::kAbridged);
  EXPECT_EQ(a.preamble_size, 1u);
  EXPECT_EQ(SniffPreamble(Bytes{0xee, 0xee, 0xee, 0xee}).kind, SniffResult::Kind::kNeedMoreBytes);
  SniffResult i = SniffPreamble(Bytes{0xee, 0xee, 0xee, 0xee, 8, 0, 0, 0});
  EXPECT_EQ(i.framing, Framing::kIntermediate);
  EXPECT_EQ(i.preamble_size, 4u);
  EXPECT_EQ(SniffPreamble(Bytes{0xdd, 0xdd, 0xdd, 0xdd, 8, 0, 0, 0}).framing,
            Framing::kPaddedIntermediate);
  FrameEncoder full(Framing::kFull);
  Bytes wire;
  ASSERT_TRUE(full.EncodePacket(Packet(40, 2), {}, wire).ok());
  SniffResult f = SniffPreamble(wire);
  EXPECT_EQ(f.kind, SniffResult::Kind::kPlain);
  EXPECT_EQ(f.framing, Framing::kFull);
  EXPECT_EQ(f.preamble_size, 0u);
  Bytes random = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
  EXPECT_EQ(SniffPreamble(random).kind, SniffResult::Kind::kObfuscated);
}

TEST(FramingTest, TagsMapBothWays) {
  for (Framing f : {Framing::kAbridged, Framing::kIntermediate, Framing::kPaddedIntermediate}) {
    ASSERT_TRUE(ObfuscationTag(f).has_value());
    EXPECT_EQ(FramingFromTag(*ObfuscationTag(f)), f);
  }
  EXPECT_FALSE(ObfuscationTag(Framing::kFull).has_value());
  EXPECT_FALSE(FramingFromTag(0x12345678).has_value());
  EXPECT_EQ(*ObfuscationTag(Framing::kAbridged), 0xefefefefu);
}

}  // namespace
}  // namespace mtcore::transport
