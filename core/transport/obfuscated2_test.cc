#include "core/transport/obfuscated2.h"

#include "core/crypto/random.h"
#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

constexpr std::string_view kRandom =
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f";
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
// Abridged-framed req_pq_multi of the auth-key worked example.
constexpr std::string_view kFirstPacket =
    "0a0000000000000000d4720600503dc56514000000f18e7ebe406709f612fadfbec3f0289d0aa67eef";

struct Vector {
  const char* name;
  Framing framing;
  bool with_secret;
  std::optional<int16_t> dc;
  const char* header;
  const char* first_packet_on_wire;  // "" when not published
};

const Vector kVectors[] = {
    {"plain_abridged", Framing::kAbridged, false, std::nullopt,
     "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b"
     "3c3d3e3f40414243444546473d4c99763b7b4b98",
     "1f949fe2b8cb06c0aaa33005e07138e57f79dc111016c88848cfe240d8cd1284ac3d4c1ab1d7419569"},
    {"mtproxy_secret_abridged_dc2", Framing::kAbridged, true, 2,
     "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b"
     "3c3d3e3f4041424344454647e22574f84ad56238",
     "32f06a51f48a025800c01248cf10a580abe827201a2a8685e6eb3b79b2206a6ff88af9f2c84c6422a5"},
    {"mtproxy_secret_padded_dc2", Framing::kPaddedIntermediate, true, 2,
     "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b"
     "3c3d3e3f4041424344454647d01746ca4ad56238",
     ""},
};

class Obfuscated2VectorTest : public testing::TestWithParam<Vector> {};

TEST_P(Obfuscated2VectorTest, ClientInitAndFirstPacketMatchIndependentImplementations) {
  const Vector& v = GetParam();
  Bytes secret = v.with_secret ? Hex(kSecret) : Bytes();
  Bytes random = Hex(kRandom);
  absl::StatusOr<ClientObfuscation> obf =
      StartClientObfuscationFrom(random, {.framing = v.framing, .dc_id = v.dc, .secret = secret});
  ASSERT_TRUE(obf.ok()) << obf.status();
  EXPECT_EQ(HexEncode(obf->init), v.header);
  if (*v.first_packet_on_wire) {
    Bytes packet = Hex(kFirstPacket);
    obf->stream.Encrypt(MutableByteView(packet));
    EXPECT_EQ(HexEncode(packet), v.first_packet_on_wire);
  }
}

TEST_P(Obfuscated2VectorTest, ServerAcceptsTheInitAndReadsTheStream) {
  const Vector& v = GetParam();
  Bytes secret = v.with_secret ? Hex(kSecret) : Bytes();
  absl::StatusOr<ServerObfuscation> server = AcceptObfuscation(Hex(v.header), secret);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->framing, v.framing);
  if (v.dc) {
    EXPECT_EQ(server->dc_id, *v.dc);
  }
  if (*v.first_packet_on_wire) {
    Bytes wire = Hex(v.first_packet_on_wire);
    server->stream.Decrypt(MutableByteView(wire));
    EXPECT_EQ(HexEncode(wire), kFirstPacket);
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, Obfuscated2VectorTest, testing::ValuesIn(kVectors),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Obfuscated2Test, BothDirectionsRoundTripInAnySplit) {
  crypto::DeterministicRandom rng(42);
  Bytes secret = Hex(kSecret);
  auto client = StartClientObfuscation(
      {.framing = Framing::kPaddedIntermediate, .dc_id = -4, .secret = secret}, rng);
  ASSERT_TRUE(client.ok()) << client.status();
  auto server = AcceptObfuscation(client->init, secret);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->framing, Framing::kPaddedIntermediate);
  EXPECT_EQ(server->dc_id, -4);  // a media DC

  Bytes message(1000);
  for (size_t i = 0; i < message.size(); ++i) message[i] = uint8_t(i * 7);
  Bytes wire = message;
  client->stream.Encrypt(MutableByteView(wire));
  EXPECT_NE(wire, message);
  // The server decrypts in uneven pieces.
  size_t at = 0;
  for (size_t piece = 1; at < wire.size(); ++piece) {
    size_t n = std::min(piece, wire.size() - at);
    server->stream.Decrypt(MutableByteView(wire.data() + at, n));
    at += n;
  }
  EXPECT_EQ(wire, message);

  Bytes reply = message;
  server->stream.Encrypt(MutableByteView(reply));
  client->stream.Decrypt(MutableByteView(reply));
  EXPECT_EQ(reply, message);
}

TEST(Obfuscated2Test, RandomInitsAreNeverForbidden) {
  crypto::DeterministicRandom rng(7);
  for (int i = 0; i < 2000; ++i) {
    auto obf = StartClientObfuscation({.framing = Framing::kAbridged}, rng);
    ASSERT_TRUE(obf.ok()) << obf.status();
    // What a server sees before decryption must not look like another protocol.
    ASSERT_TRUE(IsAllowedObfuscatedInit(obf->init)) << HexEncode(obf->init);
  }
}

TEST(Obfuscated2Test, ForbiddenInitsAreRejected) {
  auto with_prefix = [](std::initializer_list<uint8_t> prefix) {
    Bytes init = Hex(kRandom);
    std::copy(prefix.begin(), prefix.end(), init.begin());
    return init;
  };
  const std::initializer_list<uint8_t> kForbidden[] = {
      {0xef},                                          // abridged
      {'H', 'E', 'A', 'D'},         {'P', 'O', 'S', 'T'}, {'G', 'E', 'T', ' '},
      {'O', 'P', 'T', 'I'},         {0x16, 0x03, 0x01, 0x02},  // TLS
      {0xdd, 0xdd, 0xdd, 0xdd},     {0xee, 0xee, 0xee, 0xee},
      {0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0},  // full framing, seqno 0
  };
  for (const auto& prefix : kForbidden) {
    Bytes init = with_prefix(prefix);
    EXPECT_FALSE(IsAllowedObfuscatedInit(init)) << HexEncode(init);
    EXPECT_EQ(StartClientObfuscationFrom(init, {.framing = Framing::kAbridged}).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

// A random source that only ever yields forbidden inits.
class StuckRandom : public crypto::RandomSource {
 public:
  void Fill(MutableByteView out) override {
    for (uint8_t& b : out) b = 0xef;
  }
};

TEST(Obfuscated2Test, BrokenRandomSourceIsReportedNotLooped) {
  StuckRandom rng;
  EXPECT_EQ(StartClientObfuscation({.framing = Framing::kAbridged}, rng).status().code(),
            absl::StatusCode::kInternal);
}

TEST(Obfuscated2Test, BadArgumentsAreRejected) {
  Bytes random = Hex(kRandom);
  EXPECT_EQ(StartClientObfuscationFrom(random, {.framing = Framing::kFull}).status().message(),
            "obfuscated2: full framing cannot be obfuscated");
  Bytes short_secret(15, 1);
  EXPECT_EQ(StartClientObfuscationFrom(random, {.framing = Framing::kAbridged, .secret = short_secret})
                .status()
                .message(),
            "obfuscated2: MTProxy secret is 15 bytes, expected 16");
  EXPECT_EQ(AcceptObfuscation(ByteView(random.data(), 63), {}).status().message(),
            "obfuscated2: init is 63 bytes, expected 64");
}

TEST(Obfuscated2Test, WrongSecretIsAnUnknownTag) {
  Bytes secret = Hex(kSecret);
  Bytes other(16, 0x55);
  auto client = StartClientObfuscationFrom(Hex(kRandom), {.framing = Framing::kIntermediate, .secret = secret});
  ASSERT_TRUE(client.ok());
  absl::Status s = AcceptObfuscation(client->init, other).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("wrong MTProxy secret?"), std::string::npos) << s;
}

}  // namespace
}  // namespace mtcore::transport
