// A client playing mtcore's own transports, key exchange and encryption
// against the DC's connection engine, in memory; and every fault knob.
#include "tests/dc/server_connection.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/dc/dc_test_util.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT
using transport::Framing;

struct TransportCase {
  std::string name;
  Framing framing;
  bool obfuscated;
  bool secret;
};

class TransportTest : public ::testing::TestWithParam<TransportCase> {};

const Bytes kSecret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST_P(TransportTest, KeyExchangeThenPing) {
  const TransportCase& tc = GetParam();
  DcOptions options;
  if (tc.secret) options.secret = kSecret;
  DcHarness h(options);
  TestClientOptions co = h.ClientOptions();
  co.framing = tc.framing;
  co.obfuscated = tc.obfuscated;
  if (tc.secret) co.secret = kSecret;
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  EXPECT_EQ(h.dc().state().key_count(), 1u);
  EXPECT_EQ(conn->stats().handshakes_completed, 1u);
  ASSERT_EQ(conn->framing(), tc.framing);
  EXPECT_EQ(conn->obfuscated(), tc.obfuscated);

  const int64_t ping = *client.Send(session::BuildPing(42), link.unix_ns());
  ASSERT_TRUE(link.Pump().ok());
  const ServerMessage* pong = client.Find(ids::kPong);
  ASSERT_NE(pong, nullptr);
  EXPECT_EQ(LoadLe64(pong->body.data() + 4), static_cast<uint64_t>(ping));
  EXPECT_NE(client.Find(ids::kNewSessionCreated), nullptr);
}

TEST_P(TransportTest, ByteAtATime) {
  const TransportCase& tc = GetParam();
  DcOptions options;
  if (tc.secret) options.secret = kSecret;
  DcHarness h(options, 7);
  TestClientOptions co = h.ClientOptions();
  co.framing = tc.framing;
  co.obfuscated = tc.obfuscated;
  if (tc.secret) co.secret = kSecret;
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(client.StartHandshake(link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump(1).ok());
  ASSERT_TRUE(client.has_key());
  ASSERT_TRUE(client.Send(QueryBody(0x12345678), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump(1).ok());
  EXPECT_NE(client.Find(ids::kRpcResult), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    AllTransports, TransportTest,
    ::testing::Values(TransportCase{"abridged", Framing::kAbridged, false, false},
                      TransportCase{"intermediate", Framing::kIntermediate, false, false},
                      TransportCase{"padded", Framing::kPaddedIntermediate, false, false},
                      TransportCase{"full", Framing::kFull, false, false},
                      TransportCase{"obf_abridged", Framing::kAbridged, true, false},
                      TransportCase{"obf_intermediate", Framing::kIntermediate, true, false},
                      TransportCase{"obf_padded", Framing::kPaddedIntermediate, true, false},
                      TransportCase{"obf_secret_intermediate", Framing::kIntermediate, true, true},
                      TransportCase{"obf_secret_padded", Framing::kPaddedIntermediate, true, true}),
    [](const ::testing::TestParamInfo<TransportCase>& i) { return i.param.name; });

TEST(ServerConnectionTest, WrongSecretEndsTheConnection) {
  DcOptions options;
  options.secret = kSecret;
  DcHarness h(options);
  TestClientOptions co = h.ClientOptions();
  co.obfuscated = true;
  co.secret = Bytes(16, 0xaa);
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  // A wrong key decrypts the init to an unknown protocol tag (with a 1 in
  // 2^32 chance of a valid one, which the fixed seed rules out).
  absl::Status s = link.Pump();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

TEST(ServerConnectionTest, DdSecretRequiresPaddedIntermediate) {
  DcOptions options;
  options.secret = kSecret;
  options.padded_only = true;
  DcHarness h(options);
  TestClientOptions co = h.ClientOptions();
  co.obfuscated = true;
  co.secret = kSecret;
  co.framing = Framing::kIntermediate;
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  absl::Status s = link.Pump();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
}

TEST(ServerConnectionTest, UnknownKeyGets404ThenClose) {
  DcHarness h;
  TestClient client(h.ClientOptions(), h.rng());
  ASSERT_TRUE(client.UseKey(Bytes(256, 3), 1).ok());  // the DC never saw it
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_EQ(client.transport_errors(), std::vector<int32_t>{-404});
  EXPECT_TRUE(conn->WantsClose());
  EXPECT_TRUE(client.received().empty());
}

TEST(ServerConnectionTest, TamperedPacketOfAKnownKeyEndsTheConnection) {
  DcHarness h;
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  h.ShareKey(client, kStart);
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  Bytes wire = client.TakeOutput();
  wire.back() ^= 1;
  absl::Status s = conn->OnBytes(wire, kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
}

TEST(ServerConnectionTest, FloodGets429) {
  DcOptions options;
  options.max_packets_per_second = 10;
  DcHarness h(options);
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  h.ShareKey(client, kStart);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.Send(session::BuildPing(i), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_TRUE(client.transport_errors().empty());
  // Ten more a second later are fine; an eleventh within that second is not.
  link.Advance(absl::Seconds(1));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(client.Send(session::BuildPing(i), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_TRUE(client.transport_errors().empty());
  ASSERT_TRUE(client.Send(session::BuildPing(99), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_EQ(client.transport_errors(), std::vector<int32_t>{-429});
  EXPECT_TRUE(conn->WantsClose());
}

TEST(ServerConnectionTest, QuickAckIsAnswered) {
  // (Full framing has no quick-ack request bit.)
  for (Framing f : {Framing::kAbridged, Framing::kIntermediate, Framing::kPaddedIntermediate}) {
    DcHarness h;
    TestClientOptions co = h.ClientOptions();
    co.framing = f;
    TestClient client(co, h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    h.ShareKey(client, kStart);
    ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns(), {.quick_ack = true}).ok());
    ASSERT_TRUE(link.Pump().ok());
    EXPECT_EQ(client.quick_acks(), std::vector<uint32_t>{client.expected_quick_ack()})
        << transport::FramingName(f);
    EXPECT_NE(client.Find(ids::kPong), nullptr);
  }
}

TEST(ServerConnectionTest, SecondKeyOnTheSameConnection) {
  DcHarness h;
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  ASSERT_TRUE(link.Handshake().ok());
  EXPECT_EQ(h.dc().state().key_count(), 2u);
}

TEST(ServerConnectionTest, TemporaryKeyExpires) {
  DcHarness h;
  TestClientOptions co = h.ClientOptions();
  co.temp_key_expires_in = 100;
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_NE(client.Find(ids::kPong), nullptr);
  link.Advance(absl::Seconds(101));
  ASSERT_TRUE(client.Send(session::BuildPing(2), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_EQ(client.transport_errors(), std::vector<int32_t>{-404});
}

// ---- Fault knobs ----

TEST(DcFaultTest, CloseAfterBytes) {
  DcOptions options;
  options.faults.close_after_bytes = 100;
  DcHarness h(options);
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(client.StartHandshake(link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_TRUE(conn->WantsClose());
  EXPECT_EQ(conn->stats().bytes_out, 100u);  // resPQ is longer: cut inside it
  EXPECT_FALSE(client.has_key());
}

TEST(DcFaultTest, RandomCloseWithProbability) {
  for (double p : {0.0, 1.0}) {
    DcOptions options;
    options.faults.close_probability = p;
    DcHarness h(options);
    TestClient client(h.ClientOptions(), h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    h.ShareKey(client, kStart);
    ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
    ASSERT_TRUE(link.Pump().ok());
    EXPECT_EQ(conn->WantsClose(), p == 1.0);
    EXPECT_EQ(client.Find(ids::kPong) != nullptr, p == 0.0);
  }
  // In between, about that share of connections die at their first packet.
  DcOptions options;
  options.faults.close_probability = 0.25;
  DcHarness h(options);
  int closed = 0;
  for (int i = 0; i < 400; ++i) {
    TestClient client(h.ClientOptions(), h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    ASSERT_TRUE(client.SendPacket(Bytes(24, 0)).ok());  // an id-0 packet
    (void)link.Pump();
    closed += conn->WantsClose() ? 1 : 0;
  }
  EXPECT_GT(closed, 60);
  EXPECT_LT(closed, 140);
}

TEST(DcFaultTest, ShortSaltPeriodAndEarlyRotation) {
  DcOptions options;
  options.faults.salt_period_s = 60;  // grace: 30 s
  DcHarness h(options);
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  h.ShareKey(client, kStart);
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_NE(client.Find(ids::kPong), nullptr);
  // kStart is a window boundary: 100 s later (40 s into the next window) the
  // first salt's grace is over.
  link.Advance(absl::Seconds(100));
  client.received().clear();
  ASSERT_TRUE(client.Send(session::BuildPing(2), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  const ServerMessage* bad = client.Find(ids::kBadServerSalt);
  ASSERT_NE(bad, nullptr);
  const uint64_t next_salt = ReadBadMsg(*bad).new_server_salt.value_or(0);
  EXPECT_NE(next_salt, client.salt());
  client.set_salt(next_salt);
  client.received().clear();
  ASSERT_TRUE(client.Send(session::BuildPing(3), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_NE(client.Find(ids::kPong), nullptr);

  // RotateSalts: the salt just learned stops working at once.
  h.dc().RotateSalts(link.now());
  client.received().clear();
  ASSERT_TRUE(client.Send(session::BuildPing(4), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  ASSERT_NE(client.Find(ids::kBadServerSalt), nullptr);
  EXPECT_NE(ReadBadMsg(*client.Find(ids::kBadServerSalt)).new_server_salt, next_salt);
}

TEST(DcFaultTest, ClockSkew) {
  for (int64_t skew : {400, -400}) {
    DcOptions options;
    options.faults.clock_skew_s = skew;
    DcHarness h(options);
    {
      // A client that never learnt the DC's time: its ids are 400 s behind
      // (16: too low) or ahead (17: too high) of the DC clock.
      TestClient client(h.ClientOptions(), h.rng());
      auto conn = h.dc().Accept(kStart);
      InMemoryLink link(client, *conn, kStart);
      h.ShareKey(client, kStart);
      ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
      ASSERT_TRUE(link.Pump().ok());
      const ServerMessage* bad = client.Find(ids::kBadMsgNotification);
      ASSERT_NE(bad, nullptr) << skew;
      EXPECT_EQ(ReadBadMsg(*bad).error_code, skew > 0 ? 16 : 17);
    }
    {
      // The key exchange tells the client the DC's time; it corrects its ids.
      TestClient client(h.ClientOptions(), h.rng());
      auto conn = h.dc().Accept(kStart);
      InMemoryLink link(client, *conn, kStart);
      ASSERT_TRUE(link.Handshake().ok()) << skew;
      EXPECT_EQ(client.time_offset_ns(), skew * kSecondNs);
      ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
      ASSERT_TRUE(link.Pump().ok());
      EXPECT_NE(client.Find(ids::kPong), nullptr) << skew;
      EXPECT_EQ(client.Find(ids::kBadMsgNotification), nullptr) << skew;
      EXPECT_EQ(client.rejected_packets(), 0);
    }
  }
}

TEST(DcFaultTest, ReplaysAndDuplicatesAreSent) {
  for (bool replay : {false, true}) {
    DcOptions options;
    if (replay) {
      options.faults.replay_every_n_packets = 2;
    } else {
      options.faults.duplicate_every_n_packets = 2;
    }
    DcHarness h(options);
    TestClient client(h.ClientOptions(), h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    h.ShareKey(client, kStart);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(client.Send(session::BuildPing(i), link.unix_ns()).ok());
      ASSERT_TRUE(link.Pump().ok());
    }
    EXPECT_EQ(All(client, ids::kPong).size(), 6u);
    // The client's duplicate check caught every repeated packet.
    EXPECT_EQ(client.rejected_packets(), 3) << (replay ? "replay" : "duplicate");
    EXPECT_EQ(conn->stats().packets_out, 9u);
  }
}

TEST(DcFaultTest, ForgetSessionsForcesNewSessionCreated) {
  DcHarness h;
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  h.ShareKey(client, kStart);
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  ASSERT_NE(client.Find(ids::kNewSessionCreated), nullptr);
  h.dc().ForgetSessions();
  EXPECT_EQ(h.world().closed_sessions, std::vector<uint64_t>{client.session_id()});
  client.received().clear();
  ASSERT_TRUE(client.Send(session::BuildPing(2), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_NE(client.Find(ids::kNewSessionCreated), nullptr);
  EXPECT_NE(client.Find(ids::kPong), nullptr);
}

TEST(DcFaultTest, ForgetAuthKeysGives404) {
  DcHarness h;
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  h.dc().ForgetAuthKeys();
  EXPECT_EQ(h.world().forgotten_dcs, std::vector<int>{1});
  EXPECT_EQ(h.world().closed_sessions.size(), 1u);
  ASSERT_TRUE(client.Send(session::BuildPing(2), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_EQ(client.transport_errors(), std::vector<int32_t>{-404});
}

TEST(DcFaultTest, ForcedDhGenRetries) {
  DcOptions options;
  options.faults.dh_gen_retries = 2;
  DcHarness h(options);
  TestClient client(h.ClientOptions(), h.rng());
  auto conn = h.dc().Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  EXPECT_EQ(h.dc().state().key_count(), 1u);
  // req_pq_multi, req_DH_params and three set_client_DH_params.
  EXPECT_EQ(conn->stats().packets_in, 5u);
}

TEST(ClusterTest, FiveDcsShareTheWorldAndTheKey) {
  crypto::DeterministicRandom rng(3);
  EchoWorld world;
  auto cluster = Cluster::Create({}, TestRsaKey(), world, rng);
  ASSERT_TRUE(cluster.ok());
  for (int id = 1; id <= 5; ++id) {
    DataCentre& dc = (*cluster)->dc(id);
    EXPECT_EQ(dc.id(), id);
    EXPECT_EQ(dc.public_key().Fingerprint(), TestRsaKey().public_key().Fingerprint());
  }
  TestClientOptions co;
  co.server_keys.push_back(TestRsaKey().public_key());
  co.dc_id = 4;
  TestClient client(co, rng);
  auto conn = (*cluster)->dc(4).Accept(kStart);
  InMemoryLink link(client, *conn, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  ASSERT_TRUE(client.Send(QueryBody(0x22223333), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  ASSERT_EQ(world.requests.size(), 1u);
  EXPECT_EQ(world.requests[0].session->dc_id(), 4);
  EXPECT_EQ((*cluster)->dc(4).state().key_count(), 1u);
  EXPECT_EQ((*cluster)->dc(2).state().key_count(), 0u);
}

TEST(DataCentreTest, RejectsBadOptions) {
  crypto::DeterministicRandom rng(3);
  EchoWorld world;
  DcOptions bad_id;
  bad_id.dc_id = 0;
  EXPECT_EQ(DataCentre::Create(bad_id, TestRsaKey(), world, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  DcOptions bad_secret;
  bad_secret.secret = Bytes(15, 1);
  EXPECT_EQ(DataCentre::Create(bad_secret, TestRsaKey(), world, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::dc
