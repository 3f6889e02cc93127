#include "core/transport/socks5.h"

#include <string>

#include "gtest/gtest.h"

namespace mtcore::transport {
namespace {

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

std::string Pull(Socks5Connect& s) {
  Bytes out;
  s.PullOutput(out);
  return HexEncode(out);
}

Socks5Connect Make(std::string_view host, uint16_t port, std::string_view user = {},
                   std::string_view pass = {}) {
  absl::StatusOr<Socks5Connect> s = Socks5Connect::Create(host, port, user, pass);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

// The CONNECT request a target produces, after a no-auth method choice.
std::string ConnectRequest(std::string_view host, uint16_t port) {
  Socks5Connect s = Make(host, port);
  EXPECT_EQ(Pull(s), "050100");
  EXPECT_TRUE(s.OnBytes(Hex("0500")).ok());
  return Pull(s);
}

TEST(Socks5Test, ConnectRequestForEachAddressType) {
  // 149.154.167.51:443
  EXPECT_EQ(ConnectRequest("149.154.167.51", 443), "05010001959aa73301bb");
  // IPv6, bare or in brackets.
  EXPECT_EQ(ConnectRequest("2001:db8::1", 443),
            "0501000420010db800000000000000000000000101bb");
  EXPECT_EQ(ConnectRequest("[2001:db8::1]", 443),
            "0501000420010db800000000000000000000000101bb");
  EXPECT_EQ(ConnectRequest("::", 1), "05010004000000000000000000000000000000000001");
  EXPECT_EQ(ConnectRequest("::ffff:1.2.3.4", 80),
            "0501000400000000000000000000ffff010203040050");
  EXPECT_EQ(ConnectRequest("1:2:3:4:5:6:7:8", 65535),
            "0501000400010002000300040005000600070008ffff");
  // A name the proxy resolves.
  EXPECT_EQ(ConnectRequest("example.com", 80), "050100030b6578616d706c652e636f6d0050");
  // Not dotted-quad IPv4 (leading zero, 5 parts): a name.
  EXPECT_EQ(ConnectRequest("01.2.3.4", 1), "0501000308" + HexEncode(AsBytes("01.2.3.4")) + "0001");
}

TEST(Socks5Test, UsernamePasswordIsOfferedAndSent) {
  Socks5Connect s = Make("1.2.3.4", 443, "bob", "secret");
  EXPECT_EQ(Pull(s), "05020002");
  ASSERT_TRUE(s.OnBytes(Hex("0502")).ok());
  EXPECT_EQ(Pull(s), "0103" + HexEncode(AsBytes("bob")) + "06" + HexEncode(AsBytes("secret")));
  EXPECT_EQ(Pull(s), "");  // nothing more until the proxy answers
  ASSERT_TRUE(s.OnBytes(Hex("0100")).ok());
  EXPECT_EQ(Pull(s), "050100010102030401bb");
  EXPECT_FALSE(s.open());
  ASSERT_TRUE(s.OnBytes(Hex("05000001" "0a000001" "0438")).ok());
  EXPECT_TRUE(s.open());
  EXPECT_TRUE(s.TakeLeftover().empty());
}

TEST(Socks5Test, ProxyMayChooseNoAuthThoughCredentialsWereOffered) {
  Socks5Connect s = Make("1.2.3.4", 443, "bob", "");
  EXPECT_EQ(Pull(s), "05020002");
  ASSERT_TRUE(s.OnBytes(Hex("0500")).ok());
  EXPECT_EQ(Pull(s), "050100010102030401bb");
}

TEST(Socks5Test, BoundAddressOfEveryTypeIsConsumedAndLeftoverKept) {
  const char* replies[] = {
      "05000001" "7f000001" "1f90",                                    // IPv4
      "05000004" "00000000000000000000000000000001" "1f90",            // IPv6
      "05000003" "09" "6c6f63616c686f7374" "1f90",                     // "localhost"
      "05000003" "00" "1f90",                                          // empty name
  };
  for (const char* reply : replies) {
    Socks5Connect s = Make("1.2.3.4", 443);
    Pull(s);
    ASSERT_TRUE(s.OnBytes(Hex("0500")).ok());
    Pull(s);
    // The MTProto stream's first bytes arrive in the same read.
    ASSERT_TRUE(s.OnBytes(Hex(std::string(reply) + "efdeadbeef")).ok()) << reply;
    ASSERT_TRUE(s.open()) << reply;
    EXPECT_EQ(HexEncode(s.TakeLeftover()), "efdeadbeef") << reply;
    // Later bytes are kept too until taken.
    ASSERT_TRUE(s.OnBytes(Hex("01")).ok());
    EXPECT_EQ(HexEncode(s.TakeLeftover()), "01");
    EXPECT_EQ(Pull(s), "");
  }
}

TEST(Socks5Test, EveryReplyCodeHasItsOwnMessage) {
  struct Case {
    uint8_t rep;
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {1, absl::StatusCode::kUnavailable, "SOCKS5 proxy: general SOCKS server failure (REP 1)"},
      {2, absl::StatusCode::kPermissionDenied,
       "SOCKS5 proxy: connection not allowed by ruleset (REP 2)"},
      {3, absl::StatusCode::kUnavailable, "SOCKS5 proxy: network unreachable (REP 3)"},
      {4, absl::StatusCode::kUnavailable, "SOCKS5 proxy: host unreachable (REP 4)"},
      {5, absl::StatusCode::kUnavailable, "SOCKS5 proxy: connection refused by target (REP 5)"},
      {6, absl::StatusCode::kUnavailable, "SOCKS5 proxy: TTL expired (REP 6)"},
      {7, absl::StatusCode::kUnimplemented, "SOCKS5 proxy: command not supported (REP 7)"},
      {8, absl::StatusCode::kUnimplemented, "SOCKS5 proxy: address type not supported (REP 8)"},
      {9, absl::StatusCode::kUnavailable, "SOCKS5 proxy: unassigned error code (REP 9)"},
      {255, absl::StatusCode::kUnavailable, "SOCKS5 proxy: unassigned error code (REP 255)"},
  };
  for (const Case& c : cases) {
    Socks5Connect s = Make("1.2.3.4", 443);
    Pull(s);
    ASSERT_TRUE(s.OnBytes(Hex("0500")).ok());
    Pull(s);
    Bytes reply = Hex("05000001000000000000");
    reply[1] = c.rep;
    absl::Status st = s.OnBytes(reply);
    EXPECT_EQ(st.code(), c.code) << int(c.rep);
    EXPECT_EQ(st.message(), c.message);
    EXPECT_FALSE(s.open());
    EXPECT_TRUE(s.failed());
    // Sticky: the same error again, and nothing to send.
    EXPECT_EQ(s.OnBytes(Hex("00")), st);
    EXPECT_EQ(Pull(s), "");
  }
}

TEST(Socks5Test, RefusalIsReportedFromItsFirstTwoBytes) {
  // Some proxies close right after VER REP.
  Socks5Connect s = Make("1.2.3.4", 443);
  Pull(s);
  ASSERT_TRUE(s.OnBytes(Hex("0500")).ok());
  ASSERT_TRUE(s.OnBytes(Hex("05")).ok());
  EXPECT_EQ(s.OnBytes(Hex("05")).message(),
            "SOCKS5 proxy: connection refused by target (REP 5)");
}

TEST(Socks5Test, NoAcceptableMethod) {
  Socks5Connect anonymous = Make("1.2.3.4", 443);
  Pull(anonymous);
  absl::Status s = anonymous.OnBytes(Hex("05ff"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "SOCKS5 proxy: no acceptable authentication method (offered no authentication "
            "only; the proxy may need a username and password)");
  Socks5Connect with_user = Make("1.2.3.4", 443, "bob", "pw");
  Pull(with_user);
  s = with_user.OnBytes(Hex("05ff"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "SOCKS5 proxy: no acceptable authentication method (offered no authentication "
            "and username/password)");
}

TEST(Socks5Test, AuthenticationFailureNamesTheUser) {
  Socks5Connect s = Make("1.2.3.4", 443, "bob", "wrong");
  Pull(s);
  ASSERT_TRUE(s.OnBytes(Hex("0502")).ok());
  Pull(s);
  absl::Status st = s.OnBytes(Hex("0101"));
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(st.message(), "SOCKS5 proxy: authentication failed for user 'bob' (status 1)");
  EXPECT_EQ(Pull(s), "");  // the CONNECT never goes out
}

TEST(Socks5Test, MalformedRepliesAreErrorsWithContext) {
  struct Case {
    const char* user;
    std::vector<const char*> replies;
    const char* message;
  } cases[] = {
      {"", {"0400"}, "SOCKS5 proxy: malformed reply: version 4 in the method choice (want 5)"},
      {"", {"0502"}, "SOCKS5 proxy: malformed reply: the proxy chose method 2, which was not offered"},
      {"bob", {"0501"}, "SOCKS5 proxy: malformed reply: the proxy chose method 1, which was not offered"},
      {"bob", {"0502", "0500"},
       "SOCKS5 proxy: malformed reply: version 5 in the authentication reply (want 1)"},
      {"", {"0500", "0400000100000000"},
       "SOCKS5 proxy: malformed reply: version 4 in the CONNECT reply (want 5)"},
      {"", {"0500", "050000050000000000"},
       "SOCKS5 proxy: malformed reply: address type 5 in the CONNECT reply"},
      // An HTTP proxy answering a SOCKS5 greeting.
      {"", {"485454502f312e31"}, "SOCKS5 proxy: malformed reply: version 72 in the method choice (want 5)"},
  };
  for (const Case& c : cases) {
    Socks5Connect s = Make("1.2.3.4", 443, c.user, "");
    absl::Status st;
    for (const char* r : c.replies) {
      Pull(s);
      st = s.OnBytes(Hex(r));
    }
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(st.message(), c.message);
  }
}

TEST(Socks5Test, TruncatedRepliesWaitForMore) {
  // Every proper prefix of the whole answer leaves the tunnel closed, with
  // no error.
  const Bytes whole = Hex("0502" "0100" "05000003" "09" "6c6f63616c686f7374" "1f90");
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    Socks5Connect s = Make("example.com", 443, "u", "p");
    Pull(s);
    for (size_t i = 0; i < cut; ++i) {
      ASSERT_TRUE(s.OnBytes(ByteView(&whole[i], 1)).ok()) << cut;
      Pull(s);
    }
    EXPECT_FALSE(s.open()) << cut;
  }
}

TEST(Socks5Test, OneByteAtATimeGivesTheSameTranscript) {
  const Bytes answer = Hex("0502" "0100" "05000004" "00000000000000000000000000000001" "0050" "abcdef");
  Socks5Connect s = Make("[::1]", 8080, "user", "password");
  std::string sent = Pull(s);
  for (uint8_t b : answer) {
    ASSERT_TRUE(s.OnBytes(ByteView(&b, 1)).ok());
    sent += Pull(s);
  }
  ASSERT_TRUE(s.open());
  EXPECT_EQ(sent, "05020002" "0104" + HexEncode(AsBytes("user")) + "08" +
                      HexEncode(AsBytes("password")) +
                      "05010004000000000000000000000000000000011f90");
  EXPECT_EQ(HexEncode(s.TakeLeftover()), "abcdef");
}

TEST(Socks5Test, BadArgumentsAreRejectedUpFront) {
  struct Case {
    std::string host;
    uint16_t port;
    std::string user, pass;
    std::string message;
  } cases[] = {
      {"1.2.3.4", 443, std::string(256, 'u'), "p", "SOCKS5: username of 256 bytes (at most 255)"},
      {"1.2.3.4", 443, "u", std::string(256, 'p'), "SOCKS5: password of 256 bytes (at most 255)"},
      {"1.2.3.4", 443, "", "p", "SOCKS5: a password without a username"},
      {"1.2.3.4", 0, "", "", "SOCKS5: target port 0"},
      {"", 443, "", "", "SOCKS5: target host '' must be an address or a name of 1..255 bytes"},
      {std::string(256, 'a'), 443, "", "",
       "SOCKS5: target host '" + std::string(256, 'a') + "' must be an address or a name of 1..255 bytes"},
      {"1::2::3", 443, "", "", "SOCKS5: target '1::2::3' is not a valid IPv6 address"},
      {"1:2:3:4:5:6:7:8:9", 443, "", "", "SOCKS5: target '1:2:3:4:5:6:7:8:9' is not a valid IPv6 address"},
      {"[1.2.3.4]", 443, "", "", "SOCKS5: target host '[1.2.3.4]' must be an address or a name of 1..255 bytes"},
      {"::12345", 443, "", "", "SOCKS5: target '::12345' is not a valid IPv6 address"},
      {"1:", 443, "", "", "SOCKS5: target '1:' is not a valid IPv6 address"},
  };
  for (const Case& c : cases) {
    absl::Status s = Socks5Connect::Create(c.host, c.port, c.user, c.pass).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(s.message(), c.message);
  }
  // 255 bytes each is fine.
  EXPECT_TRUE(Socks5Connect::Create("1.2.3.4", 443, std::string(255, 'u'), std::string(255, 'p')).ok());
  EXPECT_TRUE(Socks5Connect::Create(std::string(255, 'a'), 443).ok());
}

}  // namespace
}  // namespace mtcore::transport
