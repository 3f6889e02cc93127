#include "core/client/dc_addresses.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

struct Option {
  int id;
  std::string ip;
  int port;
  bool ipv6 = false;
  bool media_only = false;
  bool cdn = false;
  bool tcpo_only = false;
};

tl::config ConfigWith(const std::vector<Option>& options) {
  tl::config c;
  for (const Option& o : options) {
    tl::dcOption x;
    x.id = o.id;
    x.ip_address = o.ip;
    x.port = o.port;
    x.ipv6 = o.ipv6;
    x.media_only = o.media_only;
    x.cdn = o.cdn;
    x.tcpo_only = o.tcpo_only;
    c.dc_options.push_back(std::move(x));
  }
  return c;
}

std::vector<std::string> Texts(const std::vector<DcAddress>& v) {
  std::vector<std::string> out;
  for (const DcAddress& a : v) out.push_back(a.ip + " " + std::to_string(a.port));
  return out;
}

TEST(DcAddressesTest, KeepsEveryUsableAddressIpv4First) {
  DcAddressTable t = DcAddressesFromConfig(ConfigWith({
      {2, "2001:db8::2", 443, /*ipv6=*/true},
      {2, "149.154.167.51", 443},
      {2, "149.154.167.151", 443, false, /*media_only=*/true},
      {2, "2001:db8::f", 443, true, /*media_only=*/true},
      {2, "149.154.167.52", 80},
      {2, "91.108.4.1", 443, false, false, /*cdn=*/true},
      {2, "91.108.4.2", 443, false, false, false, /*tcpo_only=*/true},
      {1, "149.154.175.53", 443},
  }));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(Texts(t[2].ordinary),
            (std::vector<std::string>{"149.154.167.51 443", "149.154.167.52 80",
                                      "2001:db8::2 443"}));
  EXPECT_EQ(Texts(t[2].media),
            (std::vector<std::string>{"149.154.167.151 443", "2001:db8::f 443"}));
  EXPECT_TRUE(t[2].ordinary[2].ipv6);
  EXPECT_EQ(Texts(t[2].ForDownloads()),
            (std::vector<std::string>{"149.154.167.151 443", "2001:db8::f 443",
                                      "149.154.167.51 443", "149.154.167.52 80",
                                      "2001:db8::2 443"}));
  EXPECT_EQ(Texts(t[1].ForSession()), (std::vector<std::string>{"149.154.175.53 443"}));
  EXPECT_TRUE(t[1].media.empty());
  EXPECT_EQ(Texts(t[1].ForDownloads()), Texts(t[1].ordinary));  // no media: the ordinary ones
}

TEST(DcAddressesTest, SkipsBadOptionsRepeatsAndBeyondTheBound) {
  std::vector<Option> options = {
      {3, "", 443},            // no address
      {3, "10.0.0.1", 0},      // bad ports
      {3, "10.0.0.1", 70000},
      {3, "10.0.0.1", -1},
      {4, "10.0.0.4", 443},
      {4, "10.0.0.4", 443},    // a repeat
      {5, "10.0.0.5", 443, false, false, /*cdn=*/true},  // CDN only: no entry
  };
  for (int i = 0; i < 40; ++i) options.push_back({6, "10.6.0." + std::to_string(i), 443});
  DcAddressTable t = DcAddressesFromConfig(ConfigWith(options));
  EXPECT_EQ(t.count(3), 0u);
  EXPECT_EQ(t.count(5), 0u);
  EXPECT_EQ(Texts(t[4].ordinary), std::vector<std::string>{"10.0.0.4 443"});
  EXPECT_EQ(t[6].ordinary.size(), DcAddresses::kMaxPerList);
  EXPECT_EQ(t[6].ordinary.back().ip, "10.6.0.15");
}

TEST(DcAddressesTest, ADcWithOnlyMediaAddresses) {
  DcAddressTable t = DcAddressesFromConfig(ConfigWith({{2, "10.0.0.9", 443, false, true}}));
  ASSERT_EQ(t.count(2), 1u);
  EXPECT_TRUE(t[2].ordinary.empty());
  EXPECT_EQ(Texts(t[2].ForDownloads()), std::vector<std::string>{"10.0.0.9 443"});
}

TEST(DcAddressesTest, AnEmptyConfigGivesAnEmptyTable) {
  EXPECT_TRUE(DcAddressesFromConfig(tl::config{}).empty());
}

}  // namespace
}  // namespace mtcore::client
