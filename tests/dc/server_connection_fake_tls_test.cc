// FakeTLS (MTProxy `ee` secrets) on the DC's connections: a client made of
// core/transport's FakeTLS client functions and obfuscated2 under the secret
// gets through the DC (req_pq_multi / resPQ, a whole key exchange, encrypted
// calls, any split of the bytes); the DC keeps serving its other modes unless
// it is FakeTLS-only; every way a hello or the records after it can be wrong
// ends the connection with its own error; the replay cache is bounded.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "core/base/status_macros.h"
#include "core/session/message_id.h"
#include "core/session/unencrypted_message.h"
#include "core/transport/fake_tls.h"
#include "core/transport/framing.h"
#include "core/transport/obfuscated2.h"
#include "gtest/gtest.h"
#include "tests/dc/client_layer.h"
#include "tests/dc/dc_test_util.h"
#include "tests/dc/server_connection.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT
using transport::Framing;

const Bytes kKey = {0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
                    0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf0};
constexpr char kDomain[] = "tls.example.org";
const int32_t kStartUnix = static_cast<int32_t>(absl::ToUnixSeconds(kStart));

DcOptions FakeTlsOptions() {
  DcOptions o;
  o.secret = kKey;
  o.fake_tls_domain = kDomain;
  return o;
}

// A ClientHello from core/transport's client side.
transport::FakeTlsClientHello Hello(crypto::RandomSource& rng, int32_t unix_time = kStartUnix,
                                    ByteView key = kKey, std::string_view domain = kDomain) {
  absl::StatusOr<transport::FakeTlsClientHello> h =
      transport::BuildFakeTlsClientHello(domain, key, unix_time, rng);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *std::move(h) : transport::FakeTlsClientHello{};
}

// The error of the DC's connection after `bytes` (OK if it took them).
absl::Status Feed(ServerConnection& conn, ByteView bytes, absl::Time now = kStart) {
  return conn.OnBytes(bytes, now);
}

// EXPECTs `s` to have `code` and a message containing `words`.
void ExpectError(const absl::Status& s, absl::StatusCode code, std::string_view words) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), words)) << s << "\n(expected: " << words << ")";
}

// The client's FakeTLS layer as a StreamEngine in front of the DC's
// connection, so that InMemoryLink and TestClient (obfuscated2 under the
// secret) run through FakeTLS unchanged: the client's bytes go to the DC
// after a ClientHello, in application-data records behind one
// ChangeCipherSpec (fed `feed_chunk` bytes per OnBytes call, 0: at once);
// the DC's answer must start with a ServerHello keyed to that hello, and its
// records are unwrapped before the client sees them. It does not wait for
// the ServerHello before sending (the DC must take pipelined records).
class FakeTlsClientLayer final : public ClientLayer {
 public:
  FakeTlsClientLayer(StreamEngine& dc, crypto::RandomSource& rng, size_t feed_chunk = 0)
      : ClientLayer(dc), rng_(rng), chunk_(feed_chunk) {}

  absl::Status OnBytes(ByteView in, absl::Time now) override {
    Bytes wire;
    if (!hello_) {
      MTCORE_ASSIGN_OR_RETURN(
          transport::FakeTlsClientHello hello,
          transport::BuildFakeTlsClientHello(
              kDomain, kKey, static_cast<int32_t>(absl::ToUnixSeconds(now)), rng_));
      wire = hello.bytes;
      hello_ = std::move(hello);
    }
    writer_.Wrap(in, wire);
    return FeedDc(wire, chunk_, now);
  }
  void PullOutput(Bytes& out) override {
    Bytes down;
    dc_.PullOutput(down);
    pending_.insert(pending_.end(), down.begin(), down.end());
    if (!error_.ok() || pending_.empty()) return;
    if (!hello_) {
      error_ = absl::InternalError("the DC spoke before the ClientHello");
      return;
    }
    if (!server_hello_seen_) {
      absl::StatusOr<size_t> used =
          transport::CheckFakeTlsServerHello(pending_, hello_->client_random, kKey);
      if (!used.ok()) {
        error_ = used.status();
        return;
      }
      if (*used == 0) return;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(*used));
      server_hello_seen_ = true;
    }
    error_ = reader_.Feed(pending_, out);
    pending_.clear();
  }
  bool server_hello_seen() const { return server_hello_seen_; }

 private:
  crypto::RandomSource& rng_;
  size_t chunk_;
  std::optional<transport::FakeTlsClientHello> hello_;
  transport::TlsRecordWriter writer_{transport::TlsRecordWriter::Role::kClient};
  transport::TlsRecordReader reader_;
  Bytes pending_;
  bool server_hello_seen_ = false;
};

TestClientOptions ObfuscatedClient(DcHarness& h, Framing framing) {
  TestClientOptions co = h.ClientOptions();
  co.framing = framing;
  co.obfuscated = true;
  co.secret = kKey;
  return co;
}

// --- What works. ---

TEST(FakeTlsConnectionTest, ReqPqMultiGetsResPqThroughTls) {
  DcHarness h(FakeTlsOptions());
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  crypto::DeterministicRandom rng(11);

  // The hello; the DC answers with a ServerHello keyed to it, and nothing else.
  transport::FakeTlsClientHello hello = Hello(rng);
  ASSERT_TRUE(Feed(*conn, hello.bytes).ok());
  Bytes down;
  conn->PullOutput(down);
  absl::StatusOr<size_t> used = transport::CheckFakeTlsServerHello(down, hello.client_random, kKey);
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_EQ(*used, down.size());
  EXPECT_TRUE(conn->fake_tls());

  // The obfuscated2 init and req_pq_multi in padded intermediate, inside TLS
  // records behind a ChangeCipherSpec.
  transport::ObfuscationParams params;
  params.framing = Framing::kPaddedIntermediate;
  params.dc_id = 2;
  params.secret = kKey;
  absl::StatusOr<transport::ClientObfuscation> obf = transport::StartClientObfuscation(params, rng);
  ASSERT_TRUE(obf.ok()) << obf.status();
  const Bytes nonce = crypto::RandomBytes(rng, 16);
  Bytes req_pq_multi(4);
  StoreLe32(req_pq_multi.data(), 0xbe7e8ef1);
  req_pq_multi.insert(req_pq_multi.end(), nonce.begin(), nonce.end());
  session::MessageIdGenerator msg_ids;
  Bytes framed;
  transport::FrameEncoder encoder(Framing::kPaddedIntermediate);
  ASSERT_TRUE(encoder
                  .EncodePacket(session::WrapUnencrypted(
                                    msg_ids.Next(int64_t{kStartUnix} * kSecondNs), req_pq_multi),
                                {}, framed)
                  .ok());
  obf->stream.Encrypt(MutableByteView(framed));
  Bytes stream(obf->init.begin(), obf->init.end());
  stream.insert(stream.end(), framed.begin(), framed.end());
  Bytes wire;
  transport::TlsRecordWriter writer(transport::TlsRecordWriter::Role::kClient);
  writer.Wrap(stream, wire);
  ASSERT_EQ(HexEncode(ByteView(wire).subspan(0, 9)), "140303000101170303");
  ASSERT_TRUE(Feed(*conn, wire).ok());
  EXPECT_EQ(conn->framing(), Framing::kPaddedIntermediate);
  EXPECT_TRUE(conn->obfuscated());

  // resPQ, in application-data records, obfuscated, padded intermediate.
  Bytes answer;
  conn->PullOutput(answer);
  ASSERT_GE(answer.size(), 5u);
  EXPECT_EQ(HexEncode(ByteView(answer).subspan(0, 3)), "170303");
  transport::TlsRecordReader reader;
  Bytes inner;
  ASSERT_TRUE(reader.Feed(answer, inner).ok());
  obf->stream.Decrypt(MutableByteView(inner));
  transport::FrameDecoder decoder(Framing::kPaddedIntermediate, transport::Sender::kServer);
  ASSERT_TRUE(decoder.Feed(inner).ok());
  std::optional<transport::Frame> frame = decoder.Next();
  ASSERT_TRUE(frame.has_value());
  absl::StatusOr<session::UnencryptedMessage> res_pq =
      session::ParseUnencrypted(frame->payload, /*transport_padding_allowed=*/true);
  ASSERT_TRUE(res_pq.ok()) << res_pq.status();
  ASSERT_GE(res_pq->body.size(), 36u);
  EXPECT_EQ(LoadLe32(res_pq->body.data()), 0x05162463u);  // resPQ
  EXPECT_EQ(Bytes(res_pq->body.begin() + 4, res_pq->body.begin() + 20), nonce);
  EXPECT_FALSE(conn->WantsClose());
}

struct FakeTlsCase {
  std::string name;
  Framing framing;
  size_t feed_chunk;  // bytes per OnBytes call of the DC (0: all at once)
};

class FakeTlsTransportTest : public ::testing::TestWithParam<FakeTlsCase> {};

TEST_P(FakeTlsTransportTest, KeyExchangeThenCalls) {
  const FakeTlsCase& tc = GetParam();
  DcHarness h(FakeTlsOptions(), 5);
  TestClient client(ObfuscatedClient(h, tc.framing), h.rng());
  auto conn = h.dc().Accept(kStart);
  FakeTlsClientLayer tls(*conn, h.rng(), tc.feed_chunk);
  InMemoryLink link(client, tls, kStart);
  ASSERT_TRUE(link.Handshake().ok()) << tls.error();
  EXPECT_TRUE(tls.server_hello_seen());
  EXPECT_TRUE(conn->fake_tls());
  EXPECT_TRUE(conn->obfuscated());
  EXPECT_EQ(conn->framing(), tc.framing);
  EXPECT_EQ(h.dc().state().key_count(), 1u);

  const int64_t ping = *client.Send(session::BuildPing(42), link.unix_ns());
  ASSERT_TRUE(client.Send(QueryBody(kEchoBigQuery), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok()) << tls.error();
  const ServerMessage* pong = client.Find(ids::kPong);
  ASSERT_NE(pong, nullptr);
  EXPECT_EQ(LoadLe64(pong->body.data() + 4), static_cast<uint64_t>(ping));
  EXPECT_NE(client.Find(ids::kRpcResult), nullptr);
  EXPECT_TRUE(tls.error().ok()) << tls.error();
  EXPECT_FALSE(conn->WantsClose());
}

INSTANTIATE_TEST_SUITE_P(
    Framings, FakeTlsTransportTest,
    ::testing::Values(FakeTlsCase{"padded", Framing::kPaddedIntermediate, 0},
                      FakeTlsCase{"intermediate", Framing::kIntermediate, 0},
                      FakeTlsCase{"abridged", Framing::kAbridged, 0},
                      FakeTlsCase{"padded_byte_at_a_time", Framing::kPaddedIntermediate, 1},
                      FakeTlsCase{"padded_in_7_byte_pieces", Framing::kPaddedIntermediate, 7}),
    [](const ::testing::TestParamInfo<FakeTlsCase>& i) { return i.param.name; });

TEST(FakeTlsConnectionTest, TransportErrorsTravelInRecordsToo) {
  DcHarness h(FakeTlsOptions());
  TestClient client(ObfuscatedClient(h, Framing::kPaddedIntermediate), h.rng());
  ASSERT_TRUE(client.UseKey(Bytes(256, 3), 1).ok());  // a key the DC never saw
  auto conn = h.dc().Accept(kStart);
  FakeTlsClientLayer tls(*conn, h.rng());
  InMemoryLink link(client, tls, kStart);
  ASSERT_TRUE(client.Send(session::BuildPing(1), link.unix_ns()).ok());
  ASSERT_TRUE(link.Pump().ok());
  EXPECT_TRUE(tls.error().ok()) << tls.error();
  EXPECT_EQ(client.transport_errors(), std::vector<int32_t>{-404});
  EXPECT_TRUE(conn->WantsClose());
}

// Like mtprotoproxy with all its modes on: the same DC still serves
// obfuscated2 under the same secret, and plain framings.
TEST(FakeTlsConnectionTest, TheDcStillServesObfuscated2AndPlainFramings) {
  DcHarness h(FakeTlsOptions());
  for (bool obfuscated : {true, false}) {
    TestClientOptions co = ObfuscatedClient(h, Framing::kIntermediate);
    co.obfuscated = obfuscated;
    if (!obfuscated) co.secret.clear();
    TestClient client(co, h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    ASSERT_TRUE(link.Handshake().ok()) << obfuscated;
    EXPECT_FALSE(conn->fake_tls());
    EXPECT_EQ(conn->obfuscated(), obfuscated);
  }
  EXPECT_EQ(h.dc().state().key_count(), 2u);
}

// --- FakeTLS only, as Telegram's MTProxy once it has a TLS domain. ---

TEST(FakeTlsOnlyTest, RefusesObfuscated2AndPlainFramings) {
  DcOptions o = FakeTlsOptions();
  o.fake_tls_only = true;
  DcHarness h(o);
  for (bool obfuscated : {true, false}) {
    TestClientOptions co = ObfuscatedClient(h, Framing::kPaddedIntermediate);
    co.obfuscated = obfuscated;
    if (!obfuscated) co.secret.clear();
    TestClient client(co, h.rng());
    auto conn = h.dc().Accept(kStart);
    InMemoryLink link(client, *conn, kStart);
    ExpectError(link.Handshake(), absl::StatusCode::kPermissionDenied,
                "this DC accepts only FakeTLS connections");
  }
}

TEST(FakeTlsOnlyTest, RequiresPaddedIntermediateInsideTls) {
  DcOptions o = FakeTlsOptions();
  o.fake_tls_only = true;
  DcHarness h(o);
  {
    TestClient client(ObfuscatedClient(h, Framing::kIntermediate), h.rng());
    auto conn = h.dc().Accept(kStart);
    FakeTlsClientLayer tls(*conn, h.rng());
    InMemoryLink link(client, tls, kStart);
    ExpectError(link.Handshake(), absl::StatusCode::kPermissionDenied,
                "requires padded intermediate inside FakeTLS, got intermediate");
  }
  TestClient client(ObfuscatedClient(h, Framing::kPaddedIntermediate), h.rng());
  auto conn = h.dc().Accept(kStart);
  FakeTlsClientLayer tls(*conn, h.rng());
  InMemoryLink link(client, tls, kStart);
  ASSERT_TRUE(link.Handshake().ok()) << tls.error();
  EXPECT_TRUE(conn->fake_tls());
}

// --- Each way to be wrong, with its own error. ---

TEST(FakeTlsRejectTest, WrongKey) {
  DcHarness h(FakeTlsOptions());
  auto conn = h.dc().Accept(kStart);
  Bytes other = kKey;
  other[15] ^= 1;
  ExpectError(Feed(*conn, Hello(h.rng(), kStartUnix, other).bytes),
              absl::StatusCode::kPermissionDenied, "HMAC does not match");
  Bytes out;
  conn->PullOutput(out);
  EXPECT_TRUE(out.empty());  // no ServerHello for a stranger
  EXPECT_FALSE(conn->fake_tls());
}

TEST(FakeTlsRejectTest, ClientTimeTooFarOff) {
  DcHarness h(FakeTlsOptions());
  for (int32_t off : {-kFakeTlsMaxSkewS - 1, kFakeTlsMaxSkewS + 1, -86400}) {
    auto conn = h.dc().Accept(kStart);
    ExpectError(Feed(*conn, Hello(h.rng(), kStartUnix + off).bytes),
                absl::StatusCode::kPermissionDenied, "client time is");
  }
  // The edges of the window are fine.
  for (int32_t off : {-kFakeTlsMaxSkewS, kFakeTlsMaxSkewS}) {
    auto conn = h.dc().Accept(kStart);
    EXPECT_TRUE(Feed(*conn, Hello(h.rng(), kStartUnix + off).bytes).ok()) << off;
  }
}

TEST(FakeTlsRejectTest, ClientTimeIsCheckedAgainstTheDcClock) {
  // The DC's clock (here skewed by the fault knob) decides, not the driver's.
  DcOptions o = FakeTlsOptions();
  o.faults.clock_skew_s = 1000;
  DcHarness h(o);
  auto conn = h.dc().Accept(kStart);
  ExpectError(Feed(*conn, Hello(h.rng(), kStartUnix).bytes), absl::StatusCode::kPermissionDenied,
              "client time is 1000 s away");
  auto ok = h.dc().Accept(kStart);
  EXPECT_TRUE(Feed(*ok, Hello(h.rng(), kStartUnix + 1000).bytes).ok());
}

TEST(FakeTlsRejectTest, ReplayedHello) {
  DcHarness h(FakeTlsOptions());
  const Bytes hello = Hello(h.rng()).bytes;
  auto first = h.dc().Accept(kStart);
  ASSERT_TRUE(Feed(*first, hello).ok());
  EXPECT_TRUE(first->fake_tls());
  first->OnDisconnected(absl::OkStatus(), kStart);
  for (absl::Duration later : {absl::ZeroDuration(), absl::Seconds(kFakeTlsMaxSkewS)}) {
    auto again = h.dc().Accept(kStart + later);
    ExpectError(Feed(*again, hello, kStart + later), absl::StatusCode::kPermissionDenied,
                "replayed ClientHello");
    Bytes out;
    again->PullOutput(out);
    EXPECT_TRUE(out.empty());
  }
  // Past the time window the hello fails the time check instead.
  const absl::Time late = kStart + absl::Seconds(kFakeTlsMaxSkewS + 1);
  auto late_conn = h.dc().Accept(late);
  ExpectError(Feed(*late_conn, hello, late), absl::StatusCode::kPermissionDenied,
              "client time is");
}

TEST(FakeTlsRejectTest, AnotherDomain) {
  DcHarness h(FakeTlsOptions());
  auto conn = h.dc().Accept(kStart);
  ExpectError(Feed(*conn, Hello(h.rng(), kStartUnix, kKey, "other.example.org").bytes),
              absl::StatusCode::kPermissionDenied,
              "the ClientHello is for 'other.example.org', this DC serves 'tls.example.org'");
}

TEST(FakeTlsRejectTest, MalformedHello) {
  DcHarness h(FakeTlsOptions());
  struct Case {
    std::string hex;
    std::string words;
  };
  const Case cases[] = {
      // A record too short to be a ClientHello.
      {"1603010005" "0100000100", "ClientHello record of 5 bytes"},
      // A record longer than TLS allows: refused at once, nothing buffered.
      {"160301ffff", "ClientHello record of 65535 bytes"},
      // A ServerHello where a ClientHello belongs.
      {"1603010050" "02" + std::string(158, '0'), "record is not one ClientHello"},
  };
  for (const Case& c : cases) {
    auto conn = h.dc().Accept(kStart);
    ExpectError(Feed(*conn, *HexDecode(c.hex)), absl::StatusCode::kDataLoss, c.words);
  }
  // A session id of another length (byte 43), with a valid length field.
  Bytes hello = Hello(h.rng()).bytes;
  hello[43] = 16;
  auto conn = h.dc().Accept(kStart);
  ExpectError(Feed(*conn, hello), absl::StatusCode::kDataLoss, "session id of 16 bytes");
}

TEST(FakeTlsRejectTest, GarbageAfterTheHandshake) {
  struct Case {
    std::string name;
    std::string hex;  // what the client sends after its hello
    std::string words;
  };
  const Case cases[] = {
      {"handshake record", "160303000401020304", "unexpected TLS record type 22"},
      {"alert record", "15030300020228", "unexpected TLS record type 21"},
      {"old version", "1703010004deadbeef", "unexpected TLS record type 23"},
      {"empty record", "1703030000", "TLS record of 0 bytes"},
      {"oversized record", "170303ffff", "TLS record of 65535 bytes"},
      {"bad ChangeCipherSpec", "140303000102", "malformed ChangeCipherSpec"},
  };
  for (const Case& c : cases) {
    DcHarness h(FakeTlsOptions());
    auto conn = h.dc().Accept(kStart);
    ASSERT_TRUE(Feed(*conn, Hello(h.rng()).bytes).ok()) << c.name;
    Bytes out;
    conn->PullOutput(out);
    ASSERT_FALSE(out.empty()) << c.name;
    ExpectError(Feed(*conn, *HexDecode(c.hex)), absl::StatusCode::kDataLoss, c.words);
  }
  // The same after the obfuscated2 stream has started.
  DcHarness h(FakeTlsOptions());
  TestClient client(ObfuscatedClient(h, Framing::kPaddedIntermediate), h.rng());
  auto conn = h.dc().Accept(kStart);
  FakeTlsClientLayer tls(*conn, h.rng());
  InMemoryLink link(client, tls, kStart);
  ASSERT_TRUE(link.Handshake().ok());
  ExpectError(Feed(*conn, *HexDecode("160303000401020304")), absl::StatusCode::kDataLoss,
              "unexpected TLS record type 22");
}

TEST(FakeTlsRejectTest, HelloToADcWithoutFakeTls) {
  for (bool with_secret : {false, true}) {
    DcOptions o;
    if (with_secret) o.secret = kKey;
    DcHarness h(o);
    auto conn = h.dc().Accept(kStart);
    ExpectError(Feed(*conn, Hello(h.rng()).bytes), absl::StatusCode::kFailedPrecondition,
                "this DC has no FakeTLS");
  }
}

// --- The replay cache. ---

TEST(FakeTlsReplayCacheTest, IsBoundedOldestFirst) {
  DcOptions o = FakeTlsOptions();
  o.fake_tls_replay_cache = 2;
  DcHarness h(o);
  const Bytes a = Hello(h.rng()).bytes, b = Hello(h.rng()).bytes, c = Hello(h.rng()).bytes;
  auto accept = [&](const Bytes& hello) { return Feed(*h.dc().Accept(kStart), hello); };
  ASSERT_TRUE(accept(a).ok());
  ASSERT_TRUE(accept(b).ok());
  ASSERT_TRUE(accept(c).ok());  // a goes
  EXPECT_EQ(h.dc().state().fake_tls_randoms_kept(), 2u);
  EXPECT_EQ(accept(b).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(accept(c).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(accept(a).ok());  // forgotten, so taken again (the cost of the cap)
  EXPECT_EQ(h.dc().state().fake_tls_randoms_kept(), 2u);
  EXPECT_EQ(DcOptions().fake_tls_replay_cache, 16384u);
}

TEST(FakeTlsReplayCacheTest, ForgetsRandomsWhoseHellosWouldBeTooOldAnyway) {
  DcHarness h(FakeTlsOptions());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Feed(*h.dc().Accept(kStart), Hello(h.rng()).bytes).ok());
  EXPECT_EQ(h.dc().state().fake_tls_randoms_kept(), 3u);
  const absl::Time later = kStart + absl::Seconds(2 * kFakeTlsMaxSkewS + 1);
  ASSERT_TRUE(
      Feed(*h.dc().Accept(later), Hello(h.rng(), kStartUnix + 2 * kFakeTlsMaxSkewS + 1).bytes, later)
          .ok());
  EXPECT_EQ(h.dc().state().fake_tls_randoms_kept(), 1u);
}

TEST(FakeTlsOptionsTest, RejectsBadOptions) {
  crypto::DeterministicRandom rng(3);
  EchoWorld world;
  auto create = [&](DcOptions o) { return DataCentre::Create(o, TestRsaKey(), world, rng).status(); };
  DcOptions no_secret = FakeTlsOptions();
  no_secret.secret.clear();
  ExpectError(create(no_secret), absl::StatusCode::kInvalidArgument, "needs the 16-byte secret");
  DcOptions long_domain = FakeTlsOptions();
  long_domain.fake_tls_domain = std::string(254, 'a');
  ExpectError(create(long_domain), absl::StatusCode::kInvalidArgument, "254 characters");
  long_domain.fake_tls_domain = std::string(253, 'a');
  EXPECT_TRUE(create(long_domain).ok());
  DcOptions bad_char = FakeTlsOptions();
  bad_char.fake_tls_domain = "a b.org";
  ExpectError(create(bad_char), absl::StatusCode::kInvalidArgument, "character");
  DcOptions no_cache = FakeTlsOptions();
  no_cache.fake_tls_replay_cache = 0;
  ExpectError(create(no_cache), absl::StatusCode::kInvalidArgument, "replay cache");
  DcOptions only_without_domain;
  only_without_domain.secret = kKey;
  only_without_domain.fake_tls_only = true;
  ExpectError(create(only_without_domain), absl::StatusCode::kInvalidArgument,
              "fake_tls_only without a fake_tls_domain");
}

}  // namespace
}  // namespace mtcore::dc
