#include "core/transport/http_connect.h"

#include <string>

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

std::string Pull(HttpConnect& h) {
  Bytes out;
  h.PullOutput(out);
  return std::string(AsChars(out));
}

HttpConnect Make(std::string_view host, uint16_t port, std::string_view user = {},
                 std::string_view pass = {}) {
  absl::StatusOr<HttpConnect> h = HttpConnect::Create(host, port, user, pass);
  EXPECT_TRUE(h.ok()) << h.status();
  return *std::move(h);
}

// The status of feeding `reply` to a fresh tunnel (with credentials if `user`).
absl::Status Reply(std::string_view reply, std::string_view user = {}) {
  HttpConnect h = Make("1.2.3.4", 443, user, user.empty() ? "" : "pw");
  Pull(h);
  return h.OnBytes(AsBytes(reply));
}

TEST(HttpConnectTest, RequestBytes) {
  HttpConnect v4 = Make("149.154.167.51", 443);
  EXPECT_EQ(Pull(v4), "CONNECT 149.154.167.51:443 HTTP/1.1\r\nHost: 149.154.167.51:443\r\n\r\n");
  EXPECT_EQ(Pull(v4), "");  // once
  HttpConnect v6 = Make("2001:db8::1", 80);
  EXPECT_EQ(Pull(v6), "CONNECT [2001:db8::1]:80 HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n");
  HttpConnect v6b = Make("[::1]", 80);
  EXPECT_EQ(Pull(v6b), "CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");
  HttpConnect name = Make("example.com", 8443, "bob", "secret");
  // base64("bob:secret")
  EXPECT_EQ(Pull(name),
            "CONNECT example.com:8443 HTTP/1.1\r\nHost: example.com:8443\r\n"
            "Proxy-Authorization: Basic Ym9iOnNlY3JldA==\r\n\r\n");
  HttpConnect empty_pass = Make("example.com", 1, "bob");
  EXPECT_NE(Pull(empty_pass).find("Proxy-Authorization: Basic Ym9iOg==\r\n"), std::string::npos);
}

TEST(HttpConnectTest, TwoHundredOpensTheTunnelAndKeepsWhatFollows) {
  HttpConnect h = Make("1.2.3.4", 443);
  Pull(h);
  ASSERT_TRUE(h.OnBytes(AsBytes("HTTP/1.1 200 Connection established\r\n"
                                "Proxy-Agent: test\r\n\r\n\xef\x01\x02"))
                  .ok());
  ASSERT_TRUE(h.open());
  EXPECT_EQ(HexEncode(h.TakeLeftover()), "ef0102");
  ASSERT_TRUE(h.OnBytes(AsBytes("\r\n")).ok());  // later bytes are the stream's
  EXPECT_EQ(HexEncode(h.TakeLeftover()), "0d0a");
  // HTTP/1.0, no headers, no reason phrase, bare LF line ends.
  HttpConnect h10 = Make("1.2.3.4", 443);
  ASSERT_TRUE(h10.OnBytes(AsBytes("HTTP/1.0 200\n\n")).ok());
  EXPECT_TRUE(h10.open());
  EXPECT_TRUE(h10.TakeLeftover().empty());
}

TEST(HttpConnectTest, InterimRepliesAreSkipped) {
  HttpConnect h = Make("1.2.3.4", 443);
  ASSERT_TRUE(h.OnBytes(AsBytes("HTTP/1.1 100 Continue\r\nX: y\r\n\r\n")).ok());
  EXPECT_FALSE(h.open());
  ASSERT_TRUE(h.OnBytes(AsBytes("HTTP/1.1 200 OK\r\n\r\nZ")).ok());
  ASSERT_TRUE(h.open());
  EXPECT_EQ(std::string(AsChars(h.TakeLeftover())), "Z");
}

TEST(HttpConnectTest, OneByteAtATime) {
  const std::string reply =
      "HTTP/1.1 200 Connection established\r\nVia: 1.1 proxy\r\nX-Long: " + std::string(500, 'x') +
      "\r\n\r\nstream";
  HttpConnect h = Make("1.2.3.4", 443);
  Pull(h);
  const size_t head = reply.find("\r\n\r\n") + 4;
  for (size_t i = 0; i < reply.size(); ++i) {
    EXPECT_EQ(h.open(), i >= head) << i;
    ASSERT_TRUE(h.OnBytes(AsBytes(std::string_view(reply).substr(i, 1))).ok()) << i;
  }
  ASSERT_TRUE(h.open());
  EXPECT_EQ(std::string(AsChars(h.TakeLeftover())), "stream");
}

TEST(HttpConnectTest, RefusalsNameTheCodeAndReason) {
  absl::Status s = Reply("HTTP/1.1 407 Proxy Authentication Required\r\n"
                         "Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "HTTP proxy: authentication required (407 Proxy Authentication Required)");
  s = Reply("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "bob");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "HTTP proxy: authentication failed (wrong username or password?) (407 Proxy "
            "Authentication Required)");
  s = Reply("HTTP/1.1 403 Forbidden\r\n\r\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "HTTP proxy: CONNECT refused: 403 Forbidden");
  s = Reply("HTTP/1.0 502\r\n\r\n");
  EXPECT_EQ(s.message(), "HTTP proxy: CONNECT refused: 502");
  s = Reply("HTTP/1.1 301 Moved\x01\r\n");  // no need to wait for the headers
  EXPECT_EQ(s.message(), "HTTP proxy: CONNECT refused: 301 Moved?");
}

TEST(HttpConnectTest, ErrorsAreSticky) {
  HttpConnect h = Make("1.2.3.4", 443);
  absl::Status s = h.OnBytes(AsBytes("HTTP/1.1 503 Service Unavailable\r\n\r\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(h.failed());
  EXPECT_EQ(h.OnBytes(AsBytes("HTTP/1.1 200 OK\r\n\r\n")), s);
  EXPECT_FALSE(h.open());
}

TEST(HttpConnectTest, MalformedReplies) {
  struct Case {
    std::string reply;
    const char* message;
  } cases[] = {
      {"SSH-2.0-OpenSSH\r\n", "HTTP proxy: malformed reply: not an HTTP status line: 'SSH-2.0-OpenSSH'"},
      {std::string("\x05\xff\n", 3), "HTTP proxy: malformed reply: not an HTTP status line: '?\?'"},
      {"HTTP/1.1 2x0 OK\r\n", "HTTP proxy: malformed reply: bad status line: 'HTTP/1.1 2x0 OK'"},
      {"HTTP/1.1 2000\r\n", "HTTP proxy: malformed reply: bad status line: 'HTTP/1.1 2000'"},
      {"HTTP/1.1\r\n", "HTTP proxy: malformed reply: bad status line: 'HTTP/1.1'"},
      {"HTTP/1.1 200 OK\r\nno colon here\r\n",
       "HTTP proxy: malformed reply: header line without ':': 'no colon here'"},
  };
  for (const Case& c : cases) {
    absl::Status s = Reply(c.reply);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(HttpConnectTest, OversizedHeadsAreRefused) {
  const std::string message = "HTTP proxy: the reply's status line and headers exceed 16384 bytes";
  // Many short headers, never a blank line.
  HttpConnect many = Make("1.2.3.4", 443);
  absl::Status s;
  ASSERT_TRUE(many.OnBytes(AsBytes("HTTP/1.1 200 OK\r\n")).ok());
  for (int i = 0; i < 2000 && s.ok(); ++i) s = many.OnBytes(AsBytes("X-Pad: 0123456789\r\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), message);
  // One line that never ends: refused as soon as it passes the bound.
  HttpConnect endless = Make("1.2.3.4", 443);
  ASSERT_TRUE(endless.OnBytes(AsBytes(std::string(HttpConnect::kMaxReplyBytes, 'a'))).ok());
  s = endless.OnBytes(AsBytes("a"));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), message);
  // Endless interim replies count too.
  HttpConnect interim = Make("1.2.3.4", 443);
  s = absl::OkStatus();
  for (int i = 0; i < 2000 && s.ok(); ++i) s = interim.OnBytes(AsBytes("HTTP/1.1 100 Continue\r\n\r\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  // Exactly at the bound is fine.
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string pad = "X: " + std::string(HttpConnect::kMaxReplyBytes - head.size() - 5, 'p') + "\r\n";
  HttpConnect exact = Make("1.2.3.4", 443);
  ASSERT_TRUE(exact.OnBytes(AsBytes("HTTP/1.1 200 OK\r\n" + pad + "\r\nrest")).ok());
  ASSERT_TRUE(exact.open());
  EXPECT_EQ(std::string(AsChars(exact.TakeLeftover())), "rest");
}

TEST(HttpConnectTest, BadArgumentsAreRejectedUpFront) {
  struct Case {
    std::string host;
    uint16_t port;
    std::string user, pass;
    const char* message;
  } cases[] = {
      {"a b", 443, "", "", "HTTP CONNECT: bad target host 'a b'"},
      {"evil\r\nX: y", 443, "", "", "HTTP CONNECT: bad target host 'evil?\?X: y'"},
      {"", 443, "", "", "HTTP CONNECT: bad target host ''"},
      {"1.2.3.4", 0, "", "", "HTTP CONNECT: target port 0"},
      {"1.2.3.4", 443, "a:b", "", "HTTP CONNECT: a username with ':' cannot be sent with Basic authentication"},
      {"1.2.3.4", 443, "", "pw", "HTTP CONNECT: a password without a username"},
  };
  for (const Case& c : cases) {
    absl::Status s = HttpConnect::Create(c.host, c.port, c.user, c.pass).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
}

}  // namespace
}  // namespace mtcore::transport
