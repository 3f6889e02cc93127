#include "core/transport/proxy_tunnel.h"

#include <string>

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

TEST(ProxyTunnelTest, Socks5ThroughTheCommonInterface) {
  ProxyServer proxy{.kind = ProxyKind::kSocks5, .host = "10.0.0.1", .port = 1080};
  absl::StatusOr<ProxyTunnel> t = ProxyTunnel::Create(proxy, "127.0.0.1", 4430);
  ASSERT_TRUE(t.ok()) << t.status();
  Bytes out;
  t->PullOutput(out);
  EXPECT_EQ(HexEncode(out), "050100");
  ASSERT_TRUE(t->OnBytes(*HexDecode("0500")).ok());
  out.clear();
  t->PullOutput(out);
  EXPECT_EQ(HexEncode(out), "050100017f000001114e");
  ASSERT_TRUE(t->OnBytes(*HexDecode("05000001000000000000ef")).ok());
  EXPECT_TRUE(t->open());
  EXPECT_EQ(HexEncode(t->TakeLeftover()), "ef");
}

TEST(ProxyTunnelTest, HttpThroughTheCommonInterface) {
  ProxyServer proxy{.kind = ProxyKind::kHttpConnect, .host = "::1", .port = 3128,
                    .username = "u", .password = "p"};
  absl::StatusOr<ProxyTunnel> t = ProxyTunnel::Create(proxy, "::1", 443);
  ASSERT_TRUE(t.ok()) << t.status();
  Bytes out;
  t->PullOutput(out);
  EXPECT_EQ(std::string(AsChars(out)),
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"
            "Proxy-Authorization: Basic dTpw\r\n\r\n");
  absl::Status s = t->OnBytes(AsBytes("HTTP/1.1 407 Nope\r\n\r\n"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(t->open());
}

TEST(ProxyTunnelTest, ArgumentErrorsComeFromTheProtocol) {
  ProxyServer socks{.kind = ProxyKind::kSocks5, .host = "h", .port = 1,
                    .username = std::string(300, 'u')};
  EXPECT_EQ(ProxyTunnel::Create(socks, "1.2.3.4", 443).status().code(),
            absl::StatusCode::kInvalidArgument);
  ProxyServer http{.kind = ProxyKind::kHttpConnect, .host = "h", .port = 1};
  EXPECT_EQ(ProxyTunnel::Create(http, "bad host", 443).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProxyTunnelTest, ServerToStringNeverShowsCredentials) {
  ProxyServer p{.kind = ProxyKind::kSocks5, .host = "10.0.0.1", .port = 1080,
                .username = "bob", .password = "secret"};
  EXPECT_EQ(p.ToString(), "socks5://10.0.0.1:1080");
  p.kind = ProxyKind::kHttpConnect;
  p.host = "2001:db8::1";
  EXPECT_EQ(p.ToString(), "http://[2001:db8::1]:1080");
  EXPECT_EQ(ProxyKindName(ProxyKind::kSocks5), "SOCKS5");
  EXPECT_EQ(ProxyKindName(ProxyKind::kHttpConnect), "HTTP");
}

}  // namespace
}  // namespace mtcore::transport
