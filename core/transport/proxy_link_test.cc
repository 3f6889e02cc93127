#include "core/transport/proxy_link.h"

#include <string>

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

ProxyServer Parse(std::string_view link) {
  absl::StatusOr<ProxyServer> p = ParseProxyLink(link);
  EXPECT_TRUE(p.ok()) << link << ": " << p.status();
  return p.ok() ? *p : ProxyServer{};
}

TEST(ProxyLinkTest, Socks5Urls) {
  ProxyServer p = Parse("socks5://10.0.0.1:1080");
  EXPECT_EQ(p.kind, ProxyKind::kSocks5);
  EXPECT_EQ(p.host, "10.0.0.1");
  EXPECT_EQ(p.port, 1080);
  EXPECT_EQ(p.username, "");
  EXPECT_EQ(p.password, "");
  p = Parse("SOCKS5H://bob:s%40cr%3At+@proxy.example:9050/");
  EXPECT_EQ(p.kind, ProxyKind::kSocks5);
  EXPECT_EQ(p.host, "proxy.example");
  EXPECT_EQ(p.port, 9050);
  EXPECT_EQ(p.username, "bob");
  EXPECT_EQ(p.password, "s@cr:t+");  // '+' is itself outside query strings
  p = Parse("socks5://alice@[2001:db8::1]:1080");
  EXPECT_EQ(p.host, "2001:db8::1");
  EXPECT_EQ(p.username, "alice");
  EXPECT_EQ(p.password, "");
  // A password may contain '@' unescaped: the last '@' ends the credentials.
  p = Parse("socks5://u:p@ss@h:1");
  EXPECT_EQ(p.username, "u");
  EXPECT_EQ(p.password, "p@ss");
  EXPECT_EQ(p.host, "h");
}

TEST(ProxyLinkTest, HttpUrls) {
  ProxyServer p = Parse("http://proxy.corp:3128");
  EXPECT_EQ(p.kind, ProxyKind::kHttpConnect);
  EXPECT_EQ(p.host, "proxy.corp");
  EXPECT_EQ(p.port, 3128);
  p = Parse("http://me:pw@[::1]:8080");
  EXPECT_EQ(p.kind, ProxyKind::kHttpConnect);
  EXPECT_EQ(p.host, "::1");
  EXPECT_EQ(p.username, "me");
  EXPECT_EQ(p.password, "pw");
}

TEST(ProxyLinkTest, TelegramSocksLinks) {
  ProxyServer p = Parse("tg://socks?server=1.2.3.4&port=1080&user=bob&pass=a%20b+c");
  EXPECT_EQ(p.kind, ProxyKind::kSocks5);
  EXPECT_EQ(p.host, "1.2.3.4");
  EXPECT_EQ(p.port, 1080);
  EXPECT_EQ(p.username, "bob");
  EXPECT_EQ(p.password, "a b c");
  p = Parse("https://t.me/socks?port=443&server=%5B2001%3Adb8%3A%3A2%5D&x=1");
  EXPECT_EQ(p.host, "2001:db8::2");
  EXPECT_EQ(p.port, 443);
  EXPECT_EQ(p.username, "");
  p = Parse("t.me/socks?server=2001:db8::3&port=1");
  EXPECT_EQ(p.host, "2001:db8::3");
  p = Parse("HTTP://T.ME/socks?server=h&port=1&user=u");  // a SOCKS5 link, not an HTTP proxy
  EXPECT_EQ(p.kind, ProxyKind::kSocks5);
  EXPECT_EQ(p.username, "u");
  p = Parse("http://telegram.me/socks?server=h&port=2");
  EXPECT_EQ(p.kind, ProxyKind::kSocks5);
  EXPECT_EQ(p.port, 2);
}

TEST(ProxyLinkTest, BadLinksAreRejectedWithTheReason) {
  struct Case {
    std::string link;
    const char* message;
  } cases[] = {
      {"ftp://h:1", "proxy link: not a socks5://, socks5h://, http://, tg://socks or t.me/socks link"},
      {"socks4://h:1", "proxy link: not a socks5://, socks5h://, http://, tg://socks or t.me/socks link"},
      {"https://h:1", "proxy link: not a socks5://, socks5h://, http://, tg://socks or t.me/socks link"},
      {"tg://proxy?server=h&port=1&secret=00",
       "proxy link: an MTProxy link (use ParseMtProxyLink and EngineConfig::proxy_secret)"},
      {"https://t.me/proxy?server=h&port=1&secret=00",
       "proxy link: an MTProxy link (use ParseMtProxyLink and EngineConfig::proxy_secret)"},
      {"socks5://h", "proxy link: missing ':port'"},
      {"socks5://h:", "proxy link: bad port ''"},
      {"socks5://h:0", "proxy link: bad port '0'"},
      {"socks5://h:65536", "proxy link: bad port '65536'"},
      {"socks5://h:+1", "proxy link: bad port '+1'"},
      {"socks5://:1", "proxy link: bad host ''"},
      {"socks5://h h:1", "proxy link: bad host 'h h'"},
      {"socks5://2001:db8::1:1080", "proxy link: an IPv6 host needs brackets, as in [2001:db8::1]:1080"},
      {"socks5://[2001:db8::1:1080", "proxy link: missing ']' after an IPv6 host"},
      {"socks5://[2001:db8::1]", "proxy link: missing ':port'"},
      {"socks5://[h]:1", "proxy link: bad host '[h]'"},
      {"socks5://h:1/path", "proxy link: a path, query or fragment after host:port"},
      {"http://h:1?x=1", "proxy link: a path, query or fragment after host:port"},
      {"socks5://:pw@h:1", "proxy link: empty user before '@'"},
      {"socks5://u%4:p@h:1", "proxy link: truncated percent escape"},
      {"socks5://u%zz:p@h:1", "proxy link: bad percent escape"},
      {"socks5://" + std::string(256, 'u') + "@h:1",
       "proxy link: user and password must be at most 255 bytes each"},
      {"tg://socks?port=1", "proxy link: missing 'server'"},
      {"tg://socks?server=h", "proxy link: missing 'port'"},
      {"tg://socks?server=h&port=1&port=2", "proxy link: parameter 'port' is repeated"},
      {"tg://socks?server=h&port=1&pass=x", "proxy link: a password without a user"},
      {"tg://socks?server=a/b&port=1", "proxy link: bad server 'a/b'"},
      {"tg://socks?server=h&port=x", "proxy link: bad port 'x'"},
      {"", "proxy link: not a socks5://, socks5h://, http://, tg://socks or t.me/socks link"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseProxyLink(c.link).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.link;
    EXPECT_EQ(s.message(), c.message) << c.link;
  }
}

}  // namespace
}  // namespace mtcore::transport
