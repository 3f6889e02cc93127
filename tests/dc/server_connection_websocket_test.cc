// WebSocket (Telegram's /apiws) on the DC's connections: TestClient's
// obfuscated2 stream inside WebSocket frames gets a whole key exchange and
// an RPC through, with messages cut into frames and the wire into any
// pieces; the DC answers pings and closes; inside WebSocket only obfuscated2
// is accepted; a refused upgrade leaves an HTTP 400 (404 for a path other
// than /apiws and /apiws_test) for the driver; when the stream inside fails,
// what was answered and then a close frame (1002) are left for the driver;
// the DC's own closes (a transport error, the client's ping_delay_disconnect)
// end with a close frame too; a FakeTLS-only DC refuses WebSocket.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/dc/dc_test_util.h"
#include "tests/dc/server_connection.h"
#include "core/session/service_messages.h"
#include "tests/dc/websocket_test_client.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT
using transport::Framing;

const Bytes kSecret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

struct WsCase {
  const char* name;
  Framing framing;
  size_t frame_size;  // client bytes per frame (0: one frame per message)
  size_t feed_chunk;  // wire bytes per OnBytes (0: all)
  bool secret = false;
};

class WebSocketTransportTest : public ::testing::TestWithParam<WsCase> {};

TEST_P(WebSocketTransportTest, KeyExchangeAndRpc) {
  const WsCase& tc = GetParam();
  DcOptions options;
  if (tc.secret) options.secret = kSecret;
  DcHarness h(options, 3);
  TestClientOptions co = h.ClientOptions();
  co.framing = tc.framing;
  co.obfuscated = true;
  if (tc.secret) co.secret = kSecret;
  TestClient client(co, h.rng());
  auto conn = h.dc().Accept(kStart);
  WsLayerOptions lo;
  lo.frame_size = tc.frame_size;
  lo.feed_chunk = tc.feed_chunk;
  lo.ping_first = true;
  WebSocketClientLayer ws(*conn, lo);
  InMemoryLink link(client, ws, kStart);
  absl::Status s = link.Handshake();
  ASSERT_TRUE(s.ok()) << s << " " << ws.error();
  ASSERT_TRUE(ws.error().ok()) << ws.error();
  EXPECT_TRUE(ws.reader().upgraded());
  EXPECT_TRUE(absl::StrContains(ws.reader().head(), "Sec-WebSocket-Protocol: binary\r\n"));
  EXPECT_TRUE(conn->websocket());
  EXPECT_TRUE(conn->obfuscated());
  EXPECT_EQ(conn->framing(), tc.framing);
  EXPECT_EQ(h.dc().state().key_count(), 1u);
  // The ping sent right behind the request was answered.
  ASSERT_FALSE(ws.reader().control().empty());
  EXPECT_EQ(ws.reader().control()[0].first, kWsPong);
  EXPECT_EQ(AsChars(ws.reader().control()[0].second), "are you there");

  const int64_t req = *client.Send(QueryBody(0x12345678, AsBytes("ws!!")), link.unix_ns());
  ASSERT_TRUE(link.Pump().ok());
  ASSERT_TRUE(ws.error().ok()) << ws.error();
  const ServerMessage* result = client.Find(ids::kRpcResult);
  ASSERT_NE(result, nullptr);
  const RpcResultView r = ReadRpcResult(*result);
  EXPECT_EQ(r.req_msg_id, req);
  EXPECT_EQ(r.inner, QueryBody(0x12345678, AsBytes("ws!!")));
  if (tc.frame_size != 0) {
    EXPECT_GT(ws.frames_sent(), 10);
  }
  EXPECT_GT(ws.reader().binary_frames(), 3);
  EXPECT_FALSE(conn->WantsClose());
}

INSTANTIATE_TEST_SUITE_P(
    Splits, WebSocketTransportTest,
    ::testing::Values(WsCase{"whole", Framing::kPaddedIntermediate, 0, 0},
                      WsCase{"abridged_whole", Framing::kAbridged, 0, 0},
                      WsCase{"intermediate_frames_of_7", Framing::kIntermediate, 7, 0},
                      WsCase{"byte_frames_byte_feed", Framing::kPaddedIntermediate, 1, 1},
                      WsCase{"frames_of_5_feed_3", Framing::kAbridged, 5, 3},
                      WsCase{"one_frame_byte_feed", Framing::kIntermediate, 0, 1},
                      WsCase{"frames_of_100_feed_13", Framing::kPaddedIntermediate, 100, 13},
                      WsCase{"secret_frames_of_64", Framing::kPaddedIntermediate, 64, 0, true}),
    [](const ::testing::TestParamInfo<WsCase>& i) { return i.param.name; });

TEST(ServerConnectionWebSocketTest, UnobfuscatedTransportInsideIsRefused) {
  for (Framing framing : {Framing::kAbridged, Framing::kIntermediate,
                          Framing::kPaddedIntermediate}) {
    DcHarness h;
    TestClientOptions co = h.ClientOptions();
    co.framing = framing;
    co.obfuscated = false;
    TestClient client(co, h.rng());
    auto conn = h.dc().Accept(kStart);
    WebSocketClientLayer ws(*conn);
    InMemoryLink link(client, ws, kStart);
    const absl::Status s = link.Handshake();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "only obfuscated2 is accepted inside WebSocket; the client "
                                  "sent unobfuscated"))
        << s;
    EXPECT_EQ(h.dc().state().key_count(), 0u);
  }
}

// A WebSocket connection past the upgrade and a key exchange (obfuscated2
// inside), for the tests of what follows.
class WebSocketAfterKeyExchangeTest : public ::testing::Test {
 protected:
  static TestClientOptions Obfuscated(DcHarness& h) {
    TestClientOptions co = h.ClientOptions();
    co.obfuscated = true;
    return co;
  }
  void SetUp() override {
    ASSERT_TRUE(link.Handshake().ok());
    ASSERT_TRUE(ws.error().ok()) << ws.error();
  }

  DcHarness h;
  TestClient client{Obfuscated(h), h.rng()};
  std::unique_ptr<ServerConnection> conn = h.dc().Accept(kStart);
  WebSocketClientLayer ws{*conn};
  InMemoryLink link{client, ws, kStart};
};

TEST_F(WebSocketAfterKeyExchangeTest, CloseIsAnsweredAndEndsTheConnection) {
  ASSERT_FALSE(conn->WantsClose());
  // A query and the client's close in one read: the close is answered, and
  // nothing is sent after it.
  ASSERT_TRUE(client.Send(QueryBody(0x1111), link.unix_ns()).ok());
  Bytes up = client.TakeOutput();
  WsFrameOptions fo;
  Bytes wire = WsClientFrame(kWsBinary, up, fo);
  const Bytes close = WsClientFrame(kWsClose, Bytes{0x03, 0xe8});
  wire.insert(wire.end(), close.begin(), close.end());
  ASSERT_TRUE(conn->OnBytes(wire, kStart).ok());
  EXPECT_TRUE(conn->WantsClose());
  Bytes down;
  conn->PullOutput(down);
  EXPECT_EQ(HexEncode(down), "880203e8");
  // Bytes after the close are ignored.
  EXPECT_TRUE(conn->OnBytes(WsClientFrame(kWsBinary, up), kStart).ok());
}

TEST(ServerConnectionWebSocketTest, RefusedUpgradeLeavesA400) {
  DcHarness h;
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  const std::string request =
      WsUpgradeRequest(kWsExampleKey, "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n");
  // Byte at a time: "G", "GE", "GET" wait; "GET " opens the WebSocket path.
  absl::Status s;
  for (size_t i = 0; i < request.size() && s.ok(); ++i) {
    s = conn->OnBytes(AsBytes(request).subspan(i, 1), kStart);
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "Sec-WebSocket-Key 'bad'")) << s;
  EXPECT_TRUE(conn->websocket());
  Bytes down;
  conn->PullOutput(down);
  EXPECT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 400 Bad Request\r\n")) << AsChars(down);
}

TEST(ServerConnectionWebSocketTest, OtherPathLeavesA404) {
  DcHarness h;
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  std::string request = WsUpgradeRequest();
  request.replace(request.find("/apiws"), 6, "/api");
  const absl::Status s = conn->OnBytes(AsBytes(request), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "path '/api' is not served")) << s;
  Bytes down;
  conn->PullOutput(down);
  EXPECT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 404 Not Found\r\n")) << AsChars(down);
}

TEST(ServerConnectionWebSocketTest, MissingHostLeavesA400) {
  DcHarness h;
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  std::string request = WsUpgradeRequest();
  request.erase(request.find("Host: 127.0.0.1\r\n"), 17);
  const absl::Status s = conn->OnBytes(AsBytes(request), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "no 'Host' header field")) << s;
  Bytes down;
  conn->PullOutput(down);
  EXPECT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 400 Bad Request\r\n")) << AsChars(down);
}

// A connection past the upgrade (its 101 pulled and checked).
std::unique_ptr<ServerConnection> UpgradedConnection(DcHarness& h) {
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  EXPECT_TRUE(conn->OnBytes(AsBytes(WsUpgradeRequest()), kStart).ok());
  Bytes down;
  conn->PullOutput(down);
  EXPECT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 101 Switching Protocols\r\n"));
  return conn;
}

TEST(ServerConnectionWebSocketTest, ABadObfuscatedInitEndsWithClose1002) {
  DcHarness h;
  auto conn = UpgradedConnection(h);
  // 64 bytes that are no obfuscated2 init: their protocol tag decrypts to junk.
  Bytes init(64);
  for (size_t i = 0; i < init.size(); ++i) init[i] = static_cast<uint8_t>(i * 31 + 7);
  const absl::Status s = conn->OnBytes(WsClientFrame(kWsBinary, init), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "obfuscated2: unknown protocol tag")) << s;
  Bytes down;
  conn->PullOutput(down);
  EXPECT_EQ(HexEncode(down), "880203ea");  // 1002: protocol error
}

TEST(ServerConnectionWebSocketTest, APlainTransportInsideEndsWithClose1002) {
  DcHarness h;
  auto conn = UpgradedConnection(h);
  const Bytes abridged = {0xef, 0x01, 0x00, 0x00, 0x00, 0x00};
  const absl::Status s = conn->OnBytes(WsClientFrame(kWsBinary, abridged), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  Bytes down;
  conn->PullOutput(down);
  EXPECT_EQ(HexEncode(down), "880203ea");
  EXPECT_FALSE(conn->obfuscated());
}

TEST_F(WebSocketAfterKeyExchangeTest, APacketThatDoesNotDecryptEndsWithClose1002AfterTheAnswers) {
  ASSERT_NE(client.key(), nullptr);
  Bytes down;
  conn->PullOutput(down);
  ASSERT_TRUE(down.empty());
  // A query, then (in the same frame) a packet under the client's key whose
  // msg_key is wrong: the query is answered, then the close.
  ASSERT_TRUE(client.Send(QueryBody(0x2222), link.unix_ns()).ok());
  Bytes forged(client.key()->id_bytes().begin(), client.key()->id_bytes().end());
  forged.resize(8 + 16 + 48, 0x5a);  // msg_key and three AES blocks of junk
  ASSERT_TRUE(client.SendPacket(forged).ok());
  const absl::Status s = conn->OnBytes(WsClientFrame(kWsBinary, client.TakeOutput()), kStart);
  EXPECT_FALSE(s.ok());
  conn->PullOutput(down);
  ASSERT_GE(down.size(), 4u);
  EXPECT_EQ(down[0], 0x82) << "the answer to the query, in a binary frame, comes first";
  EXPECT_EQ(HexEncode(ByteView(down).subspan(down.size() - 4)), "880203ea") << HexEncode(down);
}

TEST_F(WebSocketAfterKeyExchangeTest, AnUnknownAuthKeyGetsMinus404ThenClose1008) {
  Bytes down;
  conn->PullOutput(down);
  // A packet under an auth key the DC never made.
  Bytes unknown(8 + 16 + 48, 0x77);
  ASSERT_TRUE(client.SendPacket(unknown).ok());
  ASSERT_TRUE(conn->OnBytes(WsClientFrame(kWsBinary, client.TakeOutput()), kStart).ok());
  EXPECT_TRUE(conn->WantsClose());
  EXPECT_EQ(conn->stats().transport_error_sent, -404);
  conn->PullOutput(down);
  ASSERT_GE(down.size(), 2u);
  EXPECT_EQ(down[0], 0x82) << "-404 in one binary frame (its framing's length, then the code)";
  ASSERT_EQ(down.size(), 2u + down[1] + 4u) << "then only the close";
  EXPECT_EQ(HexEncode(ByteView(down).subspan(down.size() - 4)), "880203f0")  // 1008
      << HexEncode(down);
}

TEST_F(WebSocketAfterKeyExchangeTest, PingDelayDisconnectEndsWithClose1000) {
  Bytes down;
  conn->PullOutput(down);
  ASSERT_TRUE(client.Send(session::BuildPingDelayDisconnect(7, 5), link.unix_ns()).ok());
  ASSERT_TRUE(conn->OnBytes(WsClientFrame(kWsBinary, client.TakeOutput()), kStart).ok());
  conn->PullOutput(down);
  EXPECT_FALSE(down.empty()) << "the pong";
  EXPECT_FALSE(conn->WantsClose());
  conn->OnTimeout(kStart + absl::Seconds(4));
  EXPECT_FALSE(conn->WantsClose());
  conn->OnTimeout(kStart + absl::Seconds(5));
  EXPECT_TRUE(conn->WantsClose()) << "the client stopped pinging";
  down.clear();
  conn->PullOutput(down);
  ASSERT_GE(down.size(), 4u);
  EXPECT_EQ(HexEncode(ByteView(down).subspan(down.size() - 4)), "880203e8")  // 1000
      << HexEncode(down);
}

TEST(ServerConnectionWebSocketTest, BadFrameEndsTheConnectionWithAClose) {
  DcHarness h;
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  ASSERT_TRUE(conn->OnBytes(AsBytes(WsUpgradeRequest()), kStart).ok());
  Bytes down;
  conn->PullOutput(down);
  ASSERT_TRUE(absl::StartsWith(AsChars(down), "HTTP/1.1 101 Switching Protocols\r\n"));
  const absl::Status s = conn->OnBytes(WsClientFrame(kWsText, AsBytes("{}")), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "text frame")) << s;
  EXPECT_TRUE(conn->WantsClose());
  down.clear();
  conn->PullOutput(down);
  EXPECT_EQ(HexEncode(down), "880203eb");  // 1003: unsupported data
}

TEST(ServerConnectionWebSocketTest, FakeTlsOnlyDcRefusesWebSocket) {
  DcOptions o;
  o.secret = kSecret;
  o.fake_tls_domain = "tls.example.org";
  o.fake_tls_only = true;
  DcHarness h(o);
  auto conn = h.dc().Accept(kStart);
  conn->OnConnected(kStart);
  const absl::Status s = conn->OnBytes(AsBytes(WsUpgradeRequest()), kStart);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_FALSE(conn->websocket());
}

}  // namespace
}  // namespace mtcore::dc
