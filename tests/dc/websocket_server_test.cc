// WebSocketServer on its own: the RFC 6455 accept value, the 101 answer
// (/apiws and /apiws_test only, a Host required, any Origin), frames of every
// length form unmasked into the stream in any split, ping / pong / close
// (1007 for a reason that is not UTF-8), the server's own close, the server's
// binary frames, and one error per rejection (with the 400, 404 or close
// frame it leaves for the client).
#include "tests/dc/websocket_server.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/dc/websocket_test_client.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT

void ExpectError(const absl::Status& s, absl::StatusCode code, std::string_view words) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), words)) << s << "\n(expected: " << words << ")";
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

// A codec past the handshake (its 101 dropped).
WebSocketServer OpenCodec(WebSocketLimits limits = {}) {
  WebSocketServer ws(limits);
  Bytes stream, reply;
  EXPECT_TRUE(ws.Feed(AsBytes(WsUpgradeRequest()), stream, reply).ok());
  EXPECT_TRUE(ws.open());
  return ws;
}

// The close status code in a server close frame (`reply` holds just it).
int CloseCode(const Bytes& reply) {
  if (reply.size() != 4 || reply[0] != 0x88 || reply[1] != 2) return -1;
  return reply[2] << 8 | reply[3];
}

TEST(WebSocketServerTest, AcceptValueOfTheRfcExample) {
  EXPECT_EQ(WebSocketAcceptValue(kWsExampleKey), kWsExampleAccept);
}

TEST(WebSocketServerTest, HandshakeAnswers101WithTheBinarySubprotocol) {
  WebSocketServer ws;
  Bytes stream, reply;
  ASSERT_TRUE(ws.Feed(AsBytes(WsUpgradeRequest()), stream, reply).ok());
  EXPECT_EQ(AsChars(reply),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: binary\r\n"
            "\r\n");
  EXPECT_TRUE(ws.open());
  EXPECT_TRUE(ws.binary_subprotocol());
  EXPECT_EQ(ws.path(), "/apiws");
  EXPECT_TRUE(stream.empty());
}

TEST(WebSocketServerTest, NoSubprotocolOfferedNoneSelected) {
  WebSocketServer ws;
  Bytes stream, reply;
  const std::string request = WsUpgradeRequest(
      kWsExampleKey, absl::StrCat("upgrade: WebSocket\r\nconnection: UPGRADE\r\n"
                                  "sec-websocket-version: 13\r\nsec-websocket-key: ",
                                  kWsExampleKey, "\r\nSec-WebSocket-Protocol: chat, json\r\n"));
  ASSERT_TRUE(ws.Feed(AsBytes(request), stream, reply).ok());
  EXPECT_FALSE(absl::StrContains(AsChars(reply), "Sec-WebSocket-Protocol"));
  EXPECT_FALSE(ws.binary_subprotocol());
  EXPECT_TRUE(ws.open());
}

// The request, then binary messages of every length form and fragmented
// ones, with pings and a pong between fragments: the same stream and the
// same answers in every split.
TEST(WebSocketServerTest, FramesInAnySplit) {
  const Bytes a = Pattern(5), b = Pattern(126), c = Pattern(70000), d = Pattern(300);
  WsFrameOptions part;
  part.fin = false;
  const Bytes wire = Concat({
      ToBytes(AsBytes(WsUpgradeRequest())),
      WsClientFrame(kWsBinary, a),
      WsClientFrame(kWsBinary, b),
      WsClientFrame(kWsBinary, {}),
      WsClientFrame(kWsBinary, c),
      WsClientFrame(kWsBinary, ByteView(d).subspan(0, 100), part),
      WsClientFrame(kWsPing, AsBytes("hi")),
      WsClientFrame(kWsContinuation, ByteView(d).subspan(100, 150), part),
      WsClientFrame(kWsPong, AsBytes("x")),
      WsClientFrame(kWsContinuation, ByteView(d).subspan(250)),
      WsClientFrame(kWsPing, {}),
  });
  const Bytes want_stream = Concat({a, b, c, d});
  Bytes want_reply;
  for (const size_t chunk : {wire.size(), size_t{1}, size_t{2}, size_t{3}, size_t{13}, size_t{4096}}) {
    WebSocketServer ws;
    Bytes stream, reply;
    for (size_t i = 0; i < wire.size(); i += chunk) {
      ASSERT_TRUE(ws.Feed(ByteView(wire).subspan(i, chunk), stream, reply).ok()) << chunk;
    }
    ASSERT_EQ(stream, want_stream) << chunk;
    const std::string_view text = AsChars(reply);
    const size_t head = text.find("\r\n\r\n");
    ASSERT_NE(head, std::string_view::npos);
    // Two pongs with the pings' payloads.
    EXPECT_EQ(HexEncode(ByteView(reply).subspan(head + 4)), "8a026869" "8a00") << chunk;
    EXPECT_TRUE(ws.open());
  }
}

TEST(WebSocketServerTest, ServerFramesAreUnmaskedBinaryWithFin) {
  WebSocketServer ws = OpenCodec();
  Bytes out;
  ws.WrapBinary(Pattern(5), out);
  EXPECT_EQ(HexEncode(ByteView(out).subspan(0, 2)), "8205");
  EXPECT_EQ(Bytes(out.begin() + 2, out.end()), Pattern(5));
  out.clear();
  ws.WrapBinary(Pattern(200), out);
  EXPECT_EQ(HexEncode(ByteView(out).subspan(0, 4)), "827e00c8");
  EXPECT_EQ(out.size(), 204u);
  out.clear();
  ws.WrapBinary(Pattern(70000), out);
  EXPECT_EQ(HexEncode(ByteView(out).subspan(0, 10)), "827f0000000000011170");
  EXPECT_EQ(out.size(), 70010u);
  // Nothing before the handshake.
  WebSocketServer fresh;
  out.clear();
  fresh.WrapBinary(Pattern(5), out);
  EXPECT_TRUE(out.empty());
}

TEST(WebSocketServerTest, CloseIsAnsweredAndEndsTheCodec) {
  WebSocketServer ws = OpenCodec();
  Bytes stream, reply;
  const Bytes close_1000 = {0x03, 0xe8, 'b', 'y', 'e'};
  ASSERT_TRUE(ws.Feed(Concat({WsClientFrame(kWsClose, close_1000),
                              WsClientFrame(kWsBinary, Pattern(4))}),
                      stream, reply)
                  .ok());
  EXPECT_EQ(HexEncode(reply), "880203e8");  // the code echoed, not the reason
  EXPECT_TRUE(ws.closed());
  EXPECT_TRUE(stream.empty());  // data after the close is ignored
  reply.clear();
  ASSERT_TRUE(ws.Feed(WsClientFrame(kWsBinary, Pattern(4)), stream, reply).ok());
  EXPECT_TRUE(stream.empty());
  EXPECT_TRUE(reply.empty());
  Bytes out;
  ws.WrapBinary(Pattern(5), out);
  EXPECT_TRUE(out.empty());

  WebSocketServer empty_close = OpenCodec();
  reply.clear();
  ASSERT_TRUE(empty_close.Feed(WsClientFrame(kWsClose, {}), stream, reply).ok());
  EXPECT_EQ(HexEncode(reply), "8800");
  EXPECT_TRUE(empty_close.closed());

  // A reason in UTF-8 beyond ASCII ("fin ✓") is fine.
  WebSocketServer utf8_close = OpenCodec();
  reply.clear();
  const Bytes close_utf8 = {0x03, 0xe9, 'f', 'i', 'n', ' ', 0xe2, 0x9c, 0x93};
  ASSERT_TRUE(utf8_close.Feed(WsClientFrame(kWsClose, close_utf8), stream, reply).ok());
  EXPECT_EQ(HexEncode(reply), "880203e9");
}

TEST(WebSocketServerTest, ACloseReasonThatIsNotUtf8GetsClose1007) {
  const Bytes bad_reasons[] = {
      {0xff},              // never in UTF-8
      {'o', 'k', 0xe2, 0x9c},  // a sequence cut short
      {0xc0, 0xaf},        // an overlong '/'
      {0xed, 0xa0, 0x80},  // a surrogate (U+D800)
      {0xf4, 0x90, 0x80, 0x80},  // past U+10FFFF
  };
  for (const Bytes& reason : bad_reasons) {
    WebSocketServer ws = OpenCodec();
    Bytes payload = {0x03, 0xe8};
    payload.insert(payload.end(), reason.begin(), reason.end());
    Bytes stream, reply;
    ExpectError(ws.Feed(WsClientFrame(kWsClose, payload), stream, reply),
                absl::StatusCode::kInvalidArgument, "reason is not valid UTF-8");
    EXPECT_EQ(CloseCode(reply), 1007) << HexEncode(reason);
    EXPECT_TRUE(ws.closed());
    EXPECT_EQ(ws.Feed(WsClientFrame(kWsBinary, Pattern(3)), stream, reply).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(WebSocketServerTest, TheServerCanCloseWithACode) {
  WebSocketServer ws = OpenCodec();
  Bytes out;
  ws.Close(1002, out);
  EXPECT_EQ(HexEncode(out), "880203ea");
  EXPECT_TRUE(ws.closed());
  // Once closed: no second close, no data, client bytes ignored.
  out.clear();
  ws.Close(1011, out);
  ws.WrapBinary(Pattern(5), out);
  EXPECT_TRUE(out.empty());
  Bytes stream, reply;
  EXPECT_TRUE(ws.Feed(WsClientFrame(kWsBinary, Pattern(3)), stream, reply).ok());
  EXPECT_TRUE(stream.empty());
  // Before the handshake there is nothing to close.
  WebSocketServer fresh;
  fresh.Close(1002, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(fresh.state(), WebSocketServer::State::kHandshake);
}

TEST(WebSocketServerTest, CloseCodeForAFailedInnerStream) {
  // The client broke the protocol inside: 1002.
  EXPECT_EQ(WebSocketCloseCodeFor(absl::InvalidArgumentError("bad init")), 1002);
  EXPECT_EQ(WebSocketCloseCodeFor(absl::FailedPreconditionError("plain transport")), 1002);
  EXPECT_EQ(WebSocketCloseCodeFor(absl::DataLossError("bad msg_key")), 1002);
  EXPECT_EQ(WebSocketCloseCodeFor(absl::PermissionDeniedError("wrong secret")), 1002);
  EXPECT_EQ(WebSocketCloseCodeFor(absl::ResourceExhaustedError("packet too big")), 1002);
  // The DC's own failure: 1011.
  EXPECT_EQ(WebSocketCloseCodeFor(absl::InternalError("bug")), 1011);
  EXPECT_EQ(WebSocketCloseCodeFor(absl::UnknownError("?")), 1011);
}

// --- Rejections: the handshake (each leaves a 400, or a 404 for a path). ---

absl::Status FeedRequest(const std::string& request, Bytes* reply_out = nullptr,
                         WebSocketLimits limits = {}) {
  WebSocketServer ws(limits);
  Bytes stream, reply;
  absl::Status s = ws.Feed(AsBytes(request), stream, reply);
  if (!s.ok()) {
    const char* status_line = s.code() == absl::StatusCode::kNotFound
                                  ? "HTTP/1.1 404 Not Found\r\n"
                                  : "HTTP/1.1 400 Bad Request\r\n";
    EXPECT_TRUE(absl::StartsWith(AsChars(reply), status_line)) << AsChars(reply);
    EXPECT_TRUE(absl::StrContains(AsChars(reply), s.message()));
    // Nothing more is taken.
    EXPECT_EQ(ws.Feed(AsBytes("x"), stream, reply).code(), absl::StatusCode::kFailedPrecondition);
  }
  if (reply_out) *reply_out = reply;
  return s;
}

std::string RequestWith(std::string_view headers) {
  return WsUpgradeRequest(kWsExampleKey, headers);
}

TEST(WebSocketServerTest, RejectsBadKeys) {
  for (const char* key : {"", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=",
                          "dGhlIHNhbXBsZSBub25j", "dGhlIHNhbXBsZSBub25jZX==",
                          "dGhlIHNhbXBsZSBub25j*Q==", "c2hvcnQ=", "dGhlIHNhbXBsZSBub25jZQ==,x"}) {
    const std::string request = RequestWith(absl::StrCat(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: ",
        key, "\r\n"));
    ExpectError(FeedRequest(request), absl::StatusCode::kInvalidArgument,
                "is not the base64 of 16 bytes");
  }
  // No key at all.
  ExpectError(FeedRequest(RequestWith("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                      "Sec-WebSocket-Version: 13\r\n")),
              absl::StatusCode::kInvalidArgument, "Sec-WebSocket-Key ''");
}

TEST(WebSocketServerTest, RejectsAMissingUpgrade) {
  const std::string key = absl::StrCat("Sec-WebSocket-Key: ", kWsExampleKey, "\r\n");
  ExpectError(FeedRequest(RequestWith(
                  absl::StrCat("Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", key))),
              absl::StatusCode::kInvalidArgument, "no 'Upgrade: websocket'");
  ExpectError(FeedRequest(RequestWith(absl::StrCat(
                  "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", key))),
              absl::StatusCode::kInvalidArgument, "no 'Upgrade: websocket' (Upgrade: 'h2c')");
  ExpectError(FeedRequest(RequestWith(absl::StrCat(
                  "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Version: 13\r\n",
                  key))),
              absl::StatusCode::kInvalidArgument, "'Connection' does not list 'upgrade'");
}

TEST(WebSocketServerTest, RejectsOtherVersionsMethodsAndMalformedRequests) {
  const std::string fields = absl::StrCat("Upgrade: websocket\r\nConnection: Upgrade\r\n",
                                          "Sec-WebSocket-Key: ", kWsExampleKey, "\r\n");
  ExpectError(FeedRequest(RequestWith(absl::StrCat(fields, "Sec-WebSocket-Version: 8\r\n"))),
              absl::StatusCode::kInvalidArgument, "Sec-WebSocket-Version is '8'");
  std::string post = WsUpgradeRequest();
  post.replace(0, 3, "PUT");
  ExpectError(FeedRequest(post), absl::StatusCode::kInvalidArgument, "method is not GET");
  std::string http10 = WsUpgradeRequest();
  http10.replace(http10.find("HTTP/1.1"), 8, "HTTP/1.0");
  ExpectError(FeedRequest(http10), absl::StatusCode::kInvalidArgument, "not HTTP/1.1");
  ExpectError(FeedRequest(RequestWith(absl::StrCat(fields, " folded\r\n"))),
              absl::StatusCode::kInvalidArgument, "malformed header line");
  ExpectError(FeedRequest("GET  HTTP/1.1\r\n\r\n"), absl::StatusCode::kInvalidArgument,
              "malformed request line");
}

// The usual request with its request-target replaced by `target`.
std::string RequestFor(std::string_view target) {
  std::string request = WsUpgradeRequest();
  request.replace(request.find("/apiws"), 6, target);
  return request;
}

// The usual request without its Host line, with `host_lines` in its place.
std::string RequestWithHostLines(std::string_view host_lines) {
  std::string request = WsUpgradeRequest();
  request.replace(request.find("Host: 127.0.0.1\r\n"), 17, host_lines);
  return request;
}

TEST(WebSocketServerTest, ServesApiwsAndApiwsTestWithAnyQuery) {
  for (const auto& [target, path] : {std::pair{"/apiws", "/apiws"},
                                     std::pair{"/apiws_test", "/apiws_test"},
                                     std::pair{"/apiws?dc=2", "/apiws"},
                                     std::pair{"/apiws_test?", "/apiws_test"},
                                     // Absolute form (RFC 9112 3.2.2).
                                     std::pair{"http://127.0.0.1:8443/apiws", "/apiws"},
                                     std::pair{"WSS://venus.web.telegram.org/apiws_test?dc=2",
                                               "/apiws_test"}}) {
    WebSocketServer ws;
    Bytes stream, reply;
    ASSERT_TRUE(ws.Feed(AsBytes(RequestFor(target)), stream, reply).ok()) << target;
    EXPECT_TRUE(absl::StartsWith(AsChars(reply), "HTTP/1.1 101 Switching Protocols\r\n"));
    EXPECT_EQ(ws.path(), path);
  }
}

TEST(WebSocketServerTest, OtherPathsGetA404) {
  for (const char* target : {"/", "/api", "/apiw", "/apiws/", "/apiwss", "/APIWS", "/apiws_test2",
                             "//apiws", "/apiws#x", "*"}) {
    Bytes reply;
    ExpectError(FeedRequest(RequestFor(target), &reply), absl::StatusCode::kNotFound,
                absl::StrCat("path '", target, "' is not served (only /apiws and /apiws_test)"));
    EXPECT_TRUE(absl::StartsWith(AsChars(reply), "HTTP/1.1 404 Not Found\r\n")) << target;
  }
  // Absolute form: the path after the authority, or "/" without one; other
  // schemes are taken as paths.
  for (const auto& [target, path] : {std::pair{"http://127.0.0.1:8443", "/"},
                                     std::pair{"http://host?dc=2", "/"},
                                     std::pair{"ws://host/api", "/api"},
                                     std::pair{"ftp://host/apiws", "ftp://host/apiws"}}) {
    Bytes reply;
    ExpectError(FeedRequest(RequestFor(target), &reply), absl::StatusCode::kNotFound,
                absl::StrCat("path '", path, "' is not served"));
  }
  // A request that is no WebSocket upgrade is a 400 whatever its path.
  Bytes reply;
  ExpectError(FeedRequest("GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", &reply),
              absl::StatusCode::kInvalidArgument, "no 'Upgrade: websocket'");
}

TEST(WebSocketServerTest, RequiresOneHost) {
  ExpectError(FeedRequest(RequestWithHostLines("")), absl::StatusCode::kInvalidArgument,
              "no 'Host' header field");
  ExpectError(FeedRequest(RequestWithHostLines("Host:\r\n")), absl::StatusCode::kInvalidArgument,
              "no 'Host' header field");
  ExpectError(FeedRequest(RequestWithHostLines("Host: a.example\r\nHost: b.example\r\n")),
              absl::StatusCode::kInvalidArgument, "more than one Host");
  // An empty Host line still counts, in either order.
  ExpectError(FeedRequest(RequestWithHostLines("Host:\r\nHost: a.example\r\n")),
              absl::StatusCode::kInvalidArgument, "more than one Host");
  ExpectError(FeedRequest(RequestWithHostLines("Host: a.example\r\nHost:\r\n")),
              absl::StatusCode::kInvalidArgument, "more than one Host");
  ExpectError(FeedRequest(RequestWithHostLines("Host:\r\nHost:\r\n")),
              absl::StatusCode::kInvalidArgument, "more than one Host");
  // Any single host is fine, the field name in any case.
  for (const char* host : {"host: 127.0.0.1:4430\r\n", "HOST: [::1]:443\r\n",
                           "Host: venus.web.telegram.org\r\n"}) {
    EXPECT_TRUE(FeedRequest(RequestWithHostLines(host)).ok()) << host;
  }
}

TEST(WebSocketServerTest, AcceptsAnyOriginOrNone) {
  const std::string fields = absl::StrCat(
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ",
      kWsExampleKey, "\r\n");
  // node's WebSocket and native clients send no Origin; browsers the page's.
  for (const char* origin : {"", "Origin: https://web.telegram.org\r\n",
                             "Origin: https://another.example\r\n", "Origin: null\r\n"}) {
    EXPECT_TRUE(FeedRequest(RequestWith(absl::StrCat(fields, origin))).ok()) << origin;
  }
}

TEST(WebSocketServerTest, RejectsARequestOverTheLimit) {
  // Headers that never end.
  const std::string endless = "GET /apiws HTTP/1.1\r\n" + std::string(9000, 'a');
  ExpectError(FeedRequest(endless), absl::StatusCode::kResourceExhausted,
              "no end of the HTTP request within 8192 bytes");
  // A whole request, just over a smaller limit; byte at a time it fails too.
  WebSocketLimits small;
  small.max_request_bytes = 100;
  const std::string request = WsUpgradeRequest();
  ASSERT_GT(request.size(), 100u);
  ExpectError(FeedRequest(request, nullptr, small), absl::StatusCode::kResourceExhausted,
              "within 100 bytes");
  WebSocketServer ws(small);
  Bytes stream, reply;
  absl::Status s;
  size_t fed = 0;
  for (; fed < request.size() && s.ok(); ++fed) {
    s = ws.Feed(AsBytes(request).subspan(fed, 1), stream, reply);
  }
  ExpectError(s, absl::StatusCode::kResourceExhausted, "within 100 bytes");
  EXPECT_EQ(fed, 100u);
}

// --- Rejections: frames (each leaves a close frame with its code). ---

absl::Status FeedFrames(const Bytes& frames, int want_close_code, WebSocketLimits limits = {}) {
  for (const size_t chunk : {frames.size(), size_t{1}}) {
    WebSocketServer ws = OpenCodec(limits);
    Bytes stream, reply;
    absl::Status s;
    for (size_t i = 0; i < frames.size() && s.ok(); i += chunk) {
      s = ws.Feed(ByteView(frames).subspan(i, chunk), stream, reply);
    }
    EXPECT_EQ(CloseCode(reply), want_close_code) << HexEncode(reply);
    EXPECT_TRUE(ws.closed());
    if (chunk == 1) return s;
  }
  return absl::OkStatus();
}

TEST(WebSocketServerTest, RejectsAnUnmaskedFrame) {
  WsFrameOptions unmasked;
  unmasked.masked = false;
  ExpectError(FeedFrames(WsClientFrame(kWsBinary, Pattern(8), unmasked), 1002),
              absl::StatusCode::kInvalidArgument, "unmasked frame from the client");
}

TEST(WebSocketServerTest, RejectsATextFrame) {
  ExpectError(FeedFrames(WsClientFrame(kWsText, AsBytes("hello")), 1003),
              absl::StatusCode::kInvalidArgument, "text frame");
}

TEST(WebSocketServerTest, RejectsReservedBitsAndUnknownOpcodes) {
  for (uint8_t rsv : {1, 2, 4}) {
    WsFrameOptions o;
    o.rsv = rsv;
    ExpectError(FeedFrames(WsClientFrame(kWsBinary, Pattern(8), o), 1002),
                absl::StatusCode::kInvalidArgument, "reserved bits");
  }
  for (uint8_t op : {3, 7, 0xb, 0xf}) {
    ExpectError(FeedFrames(WsClientFrame(op, Pattern(3)), 1002),
                absl::StatusCode::kInvalidArgument, "unknown opcode");
  }
}

TEST(WebSocketServerTest, RejectsOversizeAndFragmentedControlFrames) {
  for (uint8_t op : {kWsPing, kWsPong, kWsClose}) {
    ExpectError(FeedFrames(WsClientFrame(op, Pattern(126)), 1002),
                absl::StatusCode::kInvalidArgument, "longer than 125 bytes");
    WsFrameOptions part;
    part.fin = false;
    ExpectError(FeedFrames(WsClientFrame(op, Pattern(3), part), 1002),
                absl::StatusCode::kInvalidArgument, "fragmented control frame");
  }
  ExpectError(FeedFrames(WsClientFrame(kWsClose, Pattern(1)), 1002),
              absl::StatusCode::kInvalidArgument, "1-byte body");
  // Codes that must never be sent (RFC 6455 7.4.1-2): answered with 1002.
  for (int code : {999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    const Bytes body = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
    ExpectError(FeedFrames(WsClientFrame(kWsClose, body), 1002), absl::StatusCode::kInvalidArgument,
                absl::StrCat("close code ", code));
  }
}

TEST(WebSocketServerTest, RejectsAMessageOverTheLimit) {
  // One frame claiming 1 MiB + 1: refused from its header, before any payload.
  Bytes header = {0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0x01, 1, 2, 3, 4};
  ExpectError(FeedFrames(header, 1009), absl::StatusCode::kResourceExhausted,
              "a message of more than 1048576 bytes");
  // A fragmented message that grows over a small limit.
  WebSocketLimits small;
  small.max_message_bytes = 100;
  WsFrameOptions part;
  part.fin = false;
  ExpectError(FeedFrames(Concat({WsClientFrame(kWsBinary, Pattern(60), part),
                                 WsClientFrame(kWsContinuation, Pattern(41))}),
                         1009, small),
              absl::StatusCode::kResourceExhausted, "(60 so far, then a frame of 41)");
  // The limit is per message: many messages of 100 are fine.
  WebSocketServer ws = OpenCodec(small);
  Bytes stream, reply;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ws.Feed(WsClientFrame(kWsBinary, Pattern(100)), stream, reply).ok());
  }
  EXPECT_EQ(stream.size(), 500u);
}

TEST(WebSocketServerTest, RejectsBadFragmentationAndLengths) {
  ExpectError(FeedFrames(WsClientFrame(kWsContinuation, Pattern(3)), 1002),
              absl::StatusCode::kInvalidArgument, "no message to continue");
  WsFrameOptions part;
  part.fin = false;
  ExpectError(FeedFrames(Concat({WsClientFrame(kWsBinary, Pattern(3), part),
                                 WsClientFrame(kWsBinary, Pattern(3))}),
                         1002),
              absl::StatusCode::kInvalidArgument, "before the last one's final frame");
  WsFrameOptions forced16;
  forced16.length_bytes = 2;
  ExpectError(FeedFrames(WsClientFrame(kWsBinary, Pattern(3), forced16), 1002),
              absl::StatusCode::kInvalidArgument, "16-bit frame length of 3");
  WsFrameOptions forced64;
  forced64.length_bytes = 8;
  ExpectError(FeedFrames(WsClientFrame(kWsBinary, Pattern(300), forced64), 1002),
              absl::StatusCode::kInvalidArgument, "64-bit frame length of 300");
  const Bytes top_bit = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
  ExpectError(FeedFrames(top_bit, 1002), absl::StatusCode::kInvalidArgument, "top bit set");
}

}  // namespace
}  // namespace mtcore::dc
