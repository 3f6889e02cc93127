#include "core/transport/mtproxy_link.h"

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

constexpr std::string_view kKeyHex = "0123456789abcdef0123456789abcdef";

TEST(MtProxyLinkTest, PlainHexSecret) {
  auto link = ParseMtProxyLink(
      "tg://proxy?server=1.2.3.4&port=443&secret=0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->server, "1.2.3.4");
  EXPECT_EQ(link->port, 443);
  EXPECT_EQ(link->mode, MtProxyMode::kObfuscated);
  EXPECT_EQ(HexEncode(link->key), kKeyHex);
  EXPECT_TRUE(link->tls_domain.empty());
}

TEST(MtProxyLinkTest, DdSecretSelectsPaddedIntermediate) {
  auto link = ParseMtProxyLink(
      "https://t.me/proxy?server=proxy.example&port=8443&secret=DD0123456789ABCDEF0123456789ABCDEF");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->server, "proxy.example");
  EXPECT_EQ(link->port, 8443);
  EXPECT_EQ(link->mode, MtProxyMode::kPaddedIntermediate);
  EXPECT_EQ(HexEncode(link->key), kKeyHex);
}

TEST(MtProxyLinkTest, EeSecretInBase64UrlCarriesTheTlsDomain) {
  auto link = ParseMtProxyLink(
      "tg://proxy?server=[2001:db8::1]&port=443&secret=7gEjRWeJq83vASNFZ4mrze9leGFtcGxlLmNvbQ");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->server, "2001:db8::1");
  EXPECT_EQ(link->mode, MtProxyMode::kFakeTls);
  EXPECT_EQ(HexEncode(link->key), kKeyHex);
  EXPECT_EQ(link->tls_domain, "example.com");
}

TEST(MtProxyLinkTest, EeSecretInHexAndStandardBase64WithPadding) {
  auto hex = ParseMtProxyLink(
      "t.me/proxy?server=h&port=1&secret=ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d");
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ(hex->tls_domain, "example.com");
  // Standard alphabet, '=' padding percent-encoded, parameters in another order.
  auto b64 = ParseMtProxyLink(
      "tg://proxy?secret=7gEjRWeJq83vASNFZ4mrze9leGFtcGxlLmNvbQ%3D%3D&port=1&server=h&extra=1");
  ASSERT_TRUE(b64.ok()) << b64.status();
  EXPECT_EQ(b64->tls_domain, "example.com");
}

TEST(MtProxyLinkTest, InvalidLinksAreRejectedWithTheReason) {
  struct Case {
    const char* link;
    const char* message;
  } cases[] = {
      {"https://example.com/?server=a&port=1&secret=00", "MTProxy link: not a tg://proxy or t.me/proxy link"},
      {"tg://proxy?port=1&secret=0123456789abcdef0123456789abcdef", "MTProxy link: missing 'server'"},
      {"tg://proxy?server=a&secret=0123456789abcdef0123456789abcdef", "MTProxy link: missing 'port'"},
      {"tg://proxy?server=a&port=1", "MTProxy link: missing 'secret'"},
      {"tg://proxy?server=a&server=b&port=1&secret=0123456789abcdef0123456789abcdef",
       "MTProxy link: parameter 'server' is repeated"},
      {"tg://proxy?server=a&port=0&secret=0123456789abcdef0123456789abcdef", "MTProxy link: bad port '0'"},
      {"tg://proxy?server=a&port=65536&secret=0123456789abcdef0123456789abcdef",
       "MTProxy link: bad port '65536'"},
      {"tg://proxy?server=a&port=-1&secret=0123456789abcdef0123456789abcdef", "MTProxy link: bad port '-1'"},
      {"tg://proxy?server=a%20b&port=1&secret=0123456789abcdef0123456789abcdef",
       "MTProxy link: bad server 'a b'"},
      {"tg://proxy?server=a&port=1&secret=0123", "MTProxy link: secret of 2 bytes (want 16, dd + 16, or ee + 16 + domain)"},
      {"tg://proxy?server=a&port=1&secret=!!!!", "MTProxy link: secret is neither hex nor base64"},
      {"tg://proxy?server=a&port=1&secret=ee0123456789abcdef0123456789abcdef",
       "MTProxy link: 'ee' secret without a TLS domain"},
      {"tg://proxy?server=a&port=1&secret=ee0123456789abcdef0123456789abcdef2f2f",
       "MTProxy link: bad TLS domain in 'ee' secret"},
      {"tg://proxy?server=a&port=1&secret=%zz", "MTProxy link: bad percent escape"},
      {"tg://proxy?server=a&port=1&secret=ab%4", "MTProxy link: truncated percent escape"},
      {"tg://proxy?server=a&port=1&secret=", "MTProxy link: empty secret"},
  };
  for (const Case& c : cases) {
    absl::Status s = ParseMtProxyLink(c.link).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.link;
    EXPECT_EQ(s.message(), c.message) << c.link;
  }
}

}  // namespace
}  // namespace mtcore::transport
