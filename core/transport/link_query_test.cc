#include "core/transport/link_query.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

TEST(LinkQueryTest, FindsTheQueryOfEveryFormOfATelegramLink) {
  for (const char* link : {"tg://socks?server=a", "https://t.me/socks?server=a",
                           "http://t.me/socks?server=a", "t.me/socks?server=a",
                           "HTTPS://Telegram.Me/SOCKS?server=a", "http://telegram.me/socks?server=a"}) {
    std::optional<std::string_view> q = TelegramLinkQuery(link, "socks");
    ASSERT_TRUE(q.has_value()) << link;
    EXPECT_EQ(*q, "server=a") << link;
  }
  EXPECT_FALSE(TelegramLinkQuery("tg://proxy?server=a", "socks").has_value());
  EXPECT_FALSE(TelegramLinkQuery("https://t.me/socks", "socks").has_value()) << "no query";
  EXPECT_FALSE(TelegramLinkQuery("https://example.com/socks?x", "socks").has_value());
  EXPECT_FALSE(TelegramLinkQuery("", "socks").has_value());
}

TEST(LinkQueryTest, PercentDecodes) {
  EXPECT_EQ(*PercentDecode("a%20b%2Fc%2fd", false), "a b/c/d");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("", true), "");
  EXPECT_EQ(*PercentDecode("%00", true), std::string(1, '\0'));
  for (const char* bad : {"%", "%4", "a%4", "%zz", "%g0"}) {
    absl::StatusOr<std::string> s = PercentDecode(bad, true);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(PercentDecode("%4", true).status().message(), "truncated percent escape");
  EXPECT_EQ(PercentDecode("%zz", true).status().message(), "bad percent escape");
}

TEST(LinkQueryTest, ReadsTheNamedParametersOnce) {
  std::optional<std::string> server, port;
  ASSERT_TRUE(ReadLinkParameters("server=my+host&&other=x&port=443&novalue",
                                 {{"server", &server}, {"port", &port}})
                  .ok());
  EXPECT_EQ(server, "my host");
  EXPECT_EQ(port, "443");

  std::optional<std::string> a;
  absl::Status repeated = ReadLinkParameters("a=1&a=2", {{"a", &a}});
  EXPECT_EQ(repeated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(repeated.message(), "parameter 'a' is repeated");
  std::optional<std::string> b;
  EXPECT_EQ(ReadLinkParameters("b=%2", {{"b", &b}}).message(), "truncated percent escape");
  std::optional<std::string> c;
  ASSERT_TRUE(ReadLinkParameters("c", {{"c", &c}}).ok());
  EXPECT_EQ(c, "") << "a parameter without '=' is present and empty";
}

TEST(LinkQueryTest, StripsTheBracketsOfAnIpv6Host) {
  EXPECT_EQ(WithoutBrackets("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(WithoutBrackets("example.com"), "example.com");
  EXPECT_EQ(WithoutBrackets("[x"), "[x");
  EXPECT_EQ(WithoutBrackets("[]"), "");
}

}  // namespace
}  // namespace mtcore::transport
