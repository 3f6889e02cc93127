#include "io/native/reconnect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "io/native/event_loop.h"
#include "io/native/resolver.h"
#include "io/native/tcp.h"
#include "io/native/test_proxy.h"
#include "io/native/test_util.h"

namespace mtcore::io {
namespace {

using ::mtcore::io::testing::RunUntil;

// A RandomSource that counts its calls and always returns the same byte.
class ConstantRandom final : public crypto::RandomSource {
 public:
  explicit ConstantRandom(uint8_t b) : b_(b) {}
  void Fill(MutableByteView out) override {
    ++calls;
    for (uint8_t& x : out) x = b_;
  }
  int calls = 0;

 private:
  uint8_t b_;
};

TEST(BackoffTest, WithoutJitterDoublesUpToTheCapAndUsesNoRandomness) {
  ConstantRandom rng(0);
  BackoffPolicy p;
  p.min_delay = absl::Milliseconds(100);
  p.max_delay = absl::Milliseconds(1000);
  p.multiplier = 2.0;
  p.jitter = 0.0;
  auto b = Backoff::Create(p, rng);
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<int64_t> ms;
  for (int i = 0; i < 7; ++i) ms.push_back(absl::ToInt64Milliseconds(b->NextDelay()));
  EXPECT_EQ(ms, (std::vector<int64_t>{100, 200, 400, 800, 1000, 1000, 1000}));
  EXPECT_EQ(b->failures(), 7);
  EXPECT_EQ(rng.calls, 0);
  b->Reset();
  EXPECT_EQ(b->failures(), 0);
  EXPECT_EQ(b->NextDelay(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterStaysInRangeAndIsReproducibleFromTheSeed) {
  BackoffPolicy p;
  p.min_delay = absl::Milliseconds(100);
  p.max_delay = absl::Seconds(5);
  p.multiplier = 3.0;
  p.jitter = 0.5;
  crypto::DeterministicRandom rng1(2024), rng2(2024), rng3(2025);
  auto a = Backoff::Create(p, rng1);
  auto b = Backoff::Create(p, rng2);
  auto c = Backoff::Create(p, rng3);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const absl::Duration bases[] = {absl::Milliseconds(100), absl::Milliseconds(300),
                                  absl::Milliseconds(900), absl::Milliseconds(2700),
                                  absl::Seconds(5),        absl::Seconds(5)};
  bool any_differs = false;
  for (absl::Duration base : bases) {
    absl::Duration da = a->NextDelay();
    absl::Duration db = b->NextDelay();
    absl::Duration dc = c->NextDelay();
    EXPECT_EQ(da, db);  // same seed, same sequence
    any_differs |= da != dc;
    EXPECT_GE(da, base / 2) << base;
    EXPECT_LE(da, base) << base;
    EXPECT_GE(dc, base / 2) << base;
    EXPECT_LE(dc, base) << base;
  }
  EXPECT_TRUE(any_differs);  // another seed, another sequence
}

TEST(BackoffTest, JitterUsesTheWholeRange) {
  BackoffPolicy p;
  p.min_delay = absl::Seconds(1);
  p.multiplier = 1.0;
  p.jitter = 1.0;
  ConstantRandom zeros(0x00);
  auto lo = Backoff::Create(p, zeros);
  ASSERT_TRUE(lo.ok());
  EXPECT_EQ(lo->NextDelay(), absl::ZeroDuration());  // base - span + 0, span = base
  crypto::DeterministicRandom rng(9);
  auto d = Backoff::Create(p, rng);
  ASSERT_TRUE(d.ok());
  absl::Duration min_seen = absl::InfiniteDuration(), max_seen = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    absl::Duration x = d->NextDelay();
    min_seen = std::min(min_seen, x);
    max_seen = std::max(max_seen, x);
  }
  EXPECT_LT(min_seen, absl::Milliseconds(100));
  EXPECT_GT(max_seen, absl::Milliseconds(900));
  EXPECT_LE(max_seen, absl::Seconds(1));
}

TEST(BackoffTest, RejectsBadPolicies) {
  ConstantRandom rng(0);
  struct Case {
    BackoffPolicy p;
    const char* field;
  };
  std::vector<Case> cases(5);
  cases[0].p.min_delay = absl::ZeroDuration();
  cases[0].field = "min_delay";
  cases[1].p.max_delay = absl::Milliseconds(1);
  cases[1].field = "max_delay";
  cases[2].p.multiplier = 0.5;
  cases[2].field = "multiplier";
  cases[3].p.jitter = 1.5;
  cases[3].field = "jitter";
  cases[4].p.multiplier = std::nan("");
  cases[4].field = "multiplier";
  for (const Case& c : cases) {
    auto b = Backoff::Create(c.p, rng);
    ASSERT_FALSE(b.ok()) << c.field;
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(b.status().message().find(c.field), std::string::npos) << b.status();
  }
}

// --- ReconnectingConnection over loopback ---

std::unique_ptr<EventLoop> MakeLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(loop).value();
}

ReconnectOptions FastOptions() {
  ReconnectOptions o;
  o.backoff.min_delay = absl::Milliseconds(5);
  o.backoff.max_delay = absl::Milliseconds(40);
  o.backoff.jitter = 0.0;
  o.tcp.connect_timeout = absl::Seconds(5);
  o.healthy_after = absl::Seconds(60);  // never within a test
  return o;
}

struct Event {
  std::string what;
  std::optional<absl::Duration> retry_in;
};

TEST(ReconnectingConnectionTest, GivesUpAfterMaxConsecutiveRefusals) {
  auto loop = MakeLoop();
  SocketAddress closed_port = *SocketAddress::Parse("127.0.0.1:0");
  {
    auto l = TcpListener::Listen(*loop, closed_port, [](std::unique_ptr<TcpConnection>) {});
    ASSERT_TRUE(l.ok()) << l.status();
    closed_port = (*l)->address();
  }
  ReconnectOptions o = FastOptions();
  o.max_consecutive_failures = 3;
  crypto::DeterministicRandom rng(1);
  std::vector<Event> events;
  ReconnectingConnection::Callbacks cb;
  cb.on_connected = [] { ADD_FAILURE() << "nothing listens there"; };
  cb.on_disconnected = [&](absl::Status why, std::optional<absl::Duration> retry_in) {
    events.push_back({std::string(why.message()), retry_in});
  };
  auto rc = ReconnectingConnection::Create(*loop, closed_port, o, rng, std::move(cb));
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }));
  ASSERT_EQ(events.size(), 3u);
  for (const Event& e : events) {
    EXPECT_EQ(e.what, absl::StrCat("connect to ", closed_port.ToString(),
                                   ": Connection refused (errno 111)"));
  }
  EXPECT_EQ(events[0].retry_in, absl::Milliseconds(5));
  EXPECT_EQ(events[1].retry_in, absl::Milliseconds(10));
  EXPECT_EQ(events[2].retry_in, std::nullopt);
  EXPECT_EQ((*rc)->Send(AsBytes("x")).code(), absl::StatusCode::kFailedPrecondition);
  // Nothing left to do: no timers, no sockets.
  EXPECT_EQ(loop->pending_timers(), 0u);
  EXPECT_EQ(loop->registered_fds(), 0u);
}

TEST(ReconnectingConnectionTest, RedialsAfterDropsAndResetsWhenHealthy) {
  auto loop = MakeLoop();
  // The server hangs up on the first two connections and echoes on the rest.
  int accepted = 0;
  std::vector<std::unique_ptr<TcpConnection>> conns;
  auto l = TcpListener::Listen(
      *loop, *SocketAddress::Parse("127.0.0.1:0"), [&](std::unique_ptr<TcpConnection> c) {
        if (++accepted <= 2) return;  // destroyed: the client sees EOF
        TcpConnection* raw = c.get();
        TcpConnection::Callbacks cb;
        cb.on_data = [raw](ByteView in) { EXPECT_TRUE(raw->Send(in).ok()); };
        ASSERT_TRUE(raw->Start(std::move(cb)).ok());
        conns.push_back(std::move(c));
      });
  ASSERT_TRUE(l.ok()) << l.status();

  ReconnectOptions o = FastOptions();
  crypto::DeterministicRandom rng(1);
  std::vector<Event> events;
  int connects = 0;
  std::string echoed;
  std::unique_ptr<ReconnectingConnection> rc;
  ReconnectingConnection::Callbacks cb;
  cb.on_connected = [&] { ++connects; };
  cb.on_data = [&](ByteView in) { echoed.append(AsChars(in)); };
  cb.on_disconnected = [&](absl::Status why, std::optional<absl::Duration> retry_in) {
    events.push_back({why.ok() ? "EOF" : std::string(why.message()), retry_in});
  };
  auto created = ReconnectingConnection::Create(*loop, (*l)->address(), o, rng, std::move(cb));
  ASSERT_TRUE(created.ok()) << created.status();
  rc = std::move(created).value();

  // The first two connections end with EOF; the backoff grows across them
  // (they never became healthy).
  ASSERT_TRUE(RunUntil(*loop, [&] { return accepted >= 3 && rc->connected(); }));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].what, "EOF");
  EXPECT_EQ(events[0].retry_in, absl::Milliseconds(5));
  EXPECT_EQ(events[1].retry_in, absl::Milliseconds(10));
  EXPECT_EQ(rc->backoff().failures(), 2);

  ASSERT_TRUE(rc->Send(AsBytes("ping")).ok());
  ASSERT_TRUE(RunUntil(*loop, [&] { return echoed == "ping"; }));

  // The owner declares the session good; a drop now starts from min_delay.
  rc->ResetBackoff();
  rc->Drop(absl::DataLossError("protocol error"));
  EXPECT_EQ(events.size(), 2u);  // reported from the loop, not from Drop()
  ASSERT_TRUE(RunUntil(*loop, [&] { return events.size() == 3; }));
  EXPECT_EQ(events[2].what, "protocol error");
  EXPECT_EQ(events[2].retry_in, absl::Milliseconds(5));
  ASSERT_TRUE(RunUntil(*loop, [&] { return connects == 4 && rc->connected(); }));
}

TEST(ReconnectingConnectionTest, ReDialsTheTargetsNextTargetsNames) {
  auto loop = MakeLoop();
  // The first server hangs up at once; the second one keeps the connection.
  int first = 0, second = 0;
  std::vector<std::unique_ptr<TcpConnection>> conns;
  auto a = TcpListener::Listen(*loop, *SocketAddress::Parse("127.0.0.1:0"),
                               [&](std::unique_ptr<TcpConnection>) { ++first; });
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = TcpListener::Listen(*loop, *SocketAddress::Parse("127.0.0.1:0"),
                               [&](std::unique_ptr<TcpConnection> c) {
                                 ++second;
                                 TcpConnection* raw = c.get();
                                 ASSERT_TRUE(raw->Start({}).ok());
                                 conns.push_back(std::move(c));
                               });
  ASSERT_TRUE(b.ok()) << b.status();
  ReconnectOptions o = FastOptions();
  int asked = 0;
  SocketAddress moved_to = (*b)->address();
  o.next_targets = [&]() -> std::vector<HostPort> {
    ++asked;
    return {moved_to};
  };
  crypto::DeterministicRandom rng(1);
  int connects = 0;
  ReconnectingConnection::Callbacks cb;
  cb.on_connected = [&] { ++connects; };
  auto rc = ReconnectingConnection::Create(*loop, (*a)->address(), o, rng, std::move(cb));
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return second == 1 && (*rc)->connected(); }));
  EXPECT_EQ(first, 1) << "the first dial goes to the address given";
  EXPECT_EQ(asked, 1) << "asked once, before the re-dial";
  EXPECT_EQ((*rc)->target().ToString(), moved_to.ToString());
  EXPECT_EQ(connects, 2);
}

TEST(ReconnectingConnectionTest, HealthyConnectionResetsBackoffByItself) {
  auto loop = MakeLoop();
  std::vector<std::unique_ptr<TcpConnection>> conns;
  auto l = TcpListener::Listen(*loop, *SocketAddress::Parse("127.0.0.1:0"),
                               [&](std::unique_ptr<TcpConnection> c) {
                                 ASSERT_TRUE(c->Start({}).ok());
                                 conns.push_back(std::move(c));
                               });
  ASSERT_TRUE(l.ok()) << l.status();
  ReconnectOptions o = FastOptions();
  o.healthy_after = absl::Milliseconds(20);
  crypto::DeterministicRandom rng(1);
  std::vector<Event> events;
  ReconnectingConnection::Callbacks cb;
  cb.on_disconnected = [&](absl::Status why, std::optional<absl::Duration> retry_in) {
    events.push_back({std::string(why.message()), retry_in});
  };
  auto rc = ReconnectingConnection::Create(*loop, (*l)->address(), o, rng, std::move(cb));
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->connected(); }));
  (*rc)->Drop(absl::UnavailableError("first"));  // not healthy yet
  ASSERT_TRUE(RunUntil(*loop, [&] { return events.size() == 1 && (*rc)->connected(); }));
  EXPECT_EQ(events[0].retry_in, absl::Milliseconds(5));
  // Stay up past healthy_after: the next drop starts from min_delay again
  // instead of 10 ms.
  bool waited = false;
  loop->AddTimerAfter(absl::Milliseconds(50), [&] { waited = true; });
  ASSERT_TRUE(RunUntil(*loop, [&] { return waited; }));
  EXPECT_EQ((*rc)->backoff().failures(), 0);
  (*rc)->Drop(absl::UnavailableError("second"));
  ASSERT_TRUE(RunUntil(*loop, [&] { return events.size() == 2; }));
  EXPECT_EQ(events[1].retry_in, absl::Milliseconds(5));
}

TEST(ReconnectingConnectionTest, RejectsABadPolicy) {
  auto loop = MakeLoop();
  ReconnectOptions o;
  o.backoff.jitter = -1;
  crypto::DeterministicRandom rng(1);
  auto rc = ReconnectingConnection::Create(*loop, *SocketAddress::Parse("127.0.0.1:1"), o, rng,
                                           {});
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop->registered_fds(), 0u);  // nothing was dialled
}

// --- Through a SOCKS5 or HTTP CONNECT proxy (test_proxy.h) ---

constexpr absl::Duration kProxyWait = absl::Seconds(30);  // generous: a loaded machine

// A server that greets each connection with "hello" and then echoes.
struct GreetingServer {
  explicit GreetingServer(EventLoop& loop, const std::string& host = "127.0.0.1") {
    auto l = TcpListener::Listen(
        loop, *SocketAddress::FromHostPort(host, 0), [this](std::unique_ptr<TcpConnection> c) {
          ++accepted;
          TcpConnection* raw = c.get();
          TcpConnection::Callbacks cb;
          cb.on_data = [raw](ByteView in) { (void)raw->Send(in); };
          ASSERT_TRUE(raw->Start(std::move(cb)).ok());
          (void)raw->Send(AsBytes("hello"));
          conns.push_back(std::move(c));
        });
    EXPECT_TRUE(l.ok()) << l.status();
    listener = *std::move(l);
  }
  const SocketAddress& address() const { return listener->address(); }
  std::unique_ptr<TcpListener> listener;
  std::vector<std::unique_ptr<TcpConnection>> conns;
  int accepted = 0;
};

// A connection's story: "connected", then what arrived, in order.
struct Recorder {
  ReconnectingConnection::Callbacks Callbacks() {
    ReconnectingConnection::Callbacks cb;
    cb.on_connected = [this] { log += "|connected|"; };
    cb.on_data = [this](ByteView in) { log.append(AsChars(in)); };
    cb.on_disconnected = [this](absl::Status why, std::optional<absl::Duration> retry_in) {
      events.push_back({std::string(why.message()), retry_in});
      codes.push_back(why.code());
    };
    return cb;
  }
  std::string log;
  std::vector<Event> events;
  std::vector<absl::StatusCode> codes;
};

ReconnectOptions ThroughProxy(const testing::TestProxy& proxy) {
  ReconnectOptions o = FastOptions();
  o.proxy = ProxyConfig{.server = proxy.server()};
  return o;
}

class ProxiedConnectionTest : public ::testing::TestWithParam<transport::ProxyKind> {};

TEST_P(ProxiedConnectionTest, TunnelsToTheTargetKeepingTheBytesThatCameWithTheReply) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  // The proxy sends its reply and the target's "hello" in one write, with
  // credentials required.
  auto proxy = testing::TestProxy::Start(
      *loop, {.kind = GetParam(), .username = "bob", .password = "pw",
              .reply_with_first_bytes = true});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), ThroughProxy(**proxy), rng,
                                           r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_FALSE((*rc)->connected());
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; }, kProxyWait)) << r.log;
  EXPECT_TRUE((*rc)->connected());
  ASSERT_TRUE((*rc)->Send(AsBytes("ping")).ok());
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|helloping"; }, kProxyWait));
  EXPECT_EQ((*proxy)->tunnels_opened(), 1);
  EXPECT_EQ((*proxy)->targets(), std::vector<std::string>{target.address().ToString()});
  EXPECT_TRUE(r.events.empty());

  // The proxy goes away: the re-dial goes through it again.
  (*proxy)->DropAll();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*proxy)->tunnels_opened() == 2 && (*rc)->connected(); },
                       kProxyWait));
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|helloping|connected|hello"; },
                       kProxyWait))
      << r.log;
  EXPECT_EQ(target.accepted, 2);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].what, "");  // EOF from the proxy, after the tunnel opened
}

TEST_P(ProxiedConnectionTest, AnIpv6TargetThroughAnIpv6Proxy) {
  if (!testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "no ::1 here";
  auto loop = MakeLoop();
  GreetingServer target(*loop, "::1");
  auto proxy = testing::TestProxy::Start(*loop, {.kind = GetParam()}, "::1");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), ThroughProxy(**proxy), rng,
                                           r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; }, kProxyWait)) << r.log;
  EXPECT_EQ((*proxy)->targets(), std::vector<std::string>{target.address().ToString()});
}

TEST_P(ProxiedConnectionTest, WrongCredentialsFailEachAttemptWithTheProxysReason) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  auto proxy = testing::TestProxy::Start(
      *loop, {.kind = GetParam(), .username = "bob", .password = "pw"});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ReconnectOptions o = ThroughProxy(**proxy);
  o.proxy->server.password = "wrong";
  o.max_consecutive_failures = 2;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }, kProxyWait));
  const std::string where = absl::StrCat(" (proxy ", (*proxy)->server().ToString(), ", target ",
                                         target.address().ToString(), ")");
  const std::string why =
      GetParam() == transport::ProxyKind::kSocks5
          ? "SOCKS5 proxy: authentication failed for user 'bob' (status 1)"
          : "HTTP proxy: authentication failed (wrong username or password?) (407 Proxy "
            "Authentication Required)";
  ASSERT_EQ(r.events.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.events[i].what, why + where);
    EXPECT_EQ(r.codes[i], absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(r.events[0].retry_in, absl::Milliseconds(5));  // the usual backoff
  EXPECT_EQ(r.events[1].retry_in, std::nullopt);
  EXPECT_EQ(r.log, "");
  EXPECT_EQ(target.accepted, 0);
  EXPECT_EQ((*proxy)->refused(), 2);
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST_P(ProxiedConnectionTest, ARefusedConnectIsReportedLikeAFailedConnect) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  auto proxy = testing::TestProxy::Start(
      *loop, {.kind = GetParam(), .socks_refusal = 5, .http_refusal = 403});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ReconnectOptions o = ThroughProxy(**proxy);
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }, kProxyWait));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.events[0].what.substr(0, r.events[0].what.find(" (proxy")),
            GetParam() == transport::ProxyKind::kSocks5
                ? "SOCKS5 proxy: connection refused by target (REP 5)"
                : "HTTP proxy: CONNECT refused: 403 Refused");
}

TEST_P(ProxiedConnectionTest, AProxyThatNeverAnswersTimesOut) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  auto proxy = testing::TestProxy::Start(*loop, {.kind = GetParam(), .silent = true});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ReconnectOptions o = ThroughProxy(**proxy);
  o.proxy->handshake_timeout = absl::Milliseconds(100);
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }, kProxyWait));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.events[0].what.substr(0, r.events[0].what.find(" (proxy")),
            "the proxy did not open the tunnel within 100ms");
  EXPECT_EQ((*rc)->connection(), nullptr);  // closed
}

TEST_P(ProxiedConnectionTest, AProxyThatHangsUpDuringTheHandshakeIsAnError) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  auto proxy = testing::TestProxy::Start(*loop, {.kind = GetParam(), .silent = true});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ReconnectOptions o = ThroughProxy(**proxy);
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  // (Once the proxy read the greeting: closing on unread bytes would reset.)
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*proxy)->bytes_from_clients() > 0; }, kProxyWait));
  (*proxy)->DropAll();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }, kProxyWait));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.events[0].what.substr(0, r.events[0].what.find(" (proxy")),
            "the proxy closed the connection before the tunnel opened");
}

INSTANTIATE_TEST_SUITE_P(Kinds, ProxiedConnectionTest,
                         ::testing::Values(transport::ProxyKind::kSocks5,
                                           transport::ProxyKind::kHttpConnect),
                         [](const auto& info) {
                           return std::string(transport::ProxyKindName(info.param));
                         });

TEST(ReconnectingConnectionTest, RejectsAProxyItCannotUse) {
  auto loop = MakeLoop();
  crypto::DeterministicRandom rng(1);
  const SocketAddress target = *SocketAddress::Parse("127.0.0.1:1");
  ReconnectOptions spaced;
  spaced.proxy = ProxyConfig{.server = {.host = "proxy example", .port = 1080}};
  auto rc = ReconnectingConnection::Create(*loop, target, spaced, rng, {});
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rc.status().message(),
            "proxy socks5://proxy example:1080: bad address 'proxy example:1080': not a host "
            "name or a numeric address");
  ReconnectOptions long_user;
  long_user.proxy = ProxyConfig{
      .server = {.host = "127.0.0.1", .port = 1080, .username = std::string(256, 'u')}};
  rc = ReconnectingConnection::Create(*loop, target, long_user, rng, {});
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(rc.status().message(), "SOCKS5: username of 256 bytes (at most 255)");
  ReconnectOptions no_time;
  no_time.proxy = ProxyConfig{.server = {.host = "127.0.0.1", .port = 1080},
                              .handshake_timeout = absl::ZeroDuration()};
  rc = ReconnectingConnection::Create(*loop, target, no_time, rng, {});
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kInvalidArgument);
  rc = ReconnectingConnection::Create(*loop, std::vector<HostPort>{}, {}, rng, {});
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop->registered_fds(), 0u);  // nothing was dialled
}

// --- Host names and several addresses ---

// A loopback port nothing listens on.
SocketAddress ClosedPort(EventLoop& loop) {
  SocketAddress a = *SocketAddress::Parse("127.0.0.1:0");
  auto l = TcpListener::Listen(loop, a, [](std::unique_ptr<TcpConnection>) {});
  EXPECT_TRUE(l.ok()) << l.status();
  return (*l)->address();  // closed when `l` goes
}

TEST(ReconnectingConnectionTest, DialsAHostName) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, HostPort("localhost", target.address().port()),
                                           FastOptions(), rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ((*rc)->connection(), nullptr);  // resolving first
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; })) << r.log;
  EXPECT_EQ((*rc)->connection()->peer().ToString(), target.address().ToString());
  EXPECT_EQ((*rc)->target().ToString(), absl::StrCat("localhost:", target.address().port()));
  EXPECT_TRUE(r.events.empty());
}

TEST(ReconnectingConnectionTest, ADeadFirstAddressFallsThroughToTheNext) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  const SocketAddress dead = ClosedPort(*loop);
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(
      *loop, std::vector<HostPort>{dead, HostPort("dc.mtcore-test.invalid", 443), target.address()},
      FastOptions(), rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; })) << r.log;
  EXPECT_TRUE(r.events.empty()) << "failures within a successful attempt are not reported";
  EXPECT_EQ((*rc)->target().ToString(), target.address().ToString());
  EXPECT_EQ(target.accepted, 1);
}

// A loopback listener whose accept queue is full: connects to it hang
// (the SYNs are dropped) like an address that never answers.
class Blackhole {
 public:
  Blackhole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0);
    EXPECT_EQ(listen(fd_, 0), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    address_ = *SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&a), len);
    filler_ = socket(AF_INET, SOCK_STREAM, 0);  // fills the queue
    EXPECT_EQ(connect(filler_, address_->raw(), address_->raw_length()), 0);
  }
  ~Blackhole() {
    close(filler_);
    close(fd_);
  }
  const SocketAddress& address() const { return *address_; }

 private:
  int fd_ = -1;
  int filler_ = -1;
  std::optional<SocketAddress> address_;
};

TEST(ReconnectingConnectionTest, AnAddressThatNeverAnswersLeavesTimeForTheNext) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  Blackhole hole;
  ReconnectOptions o = FastOptions();
  o.tcp.connect_timeout = absl::Milliseconds(600);
  crypto::DeterministicRandom rng(1);
  Recorder r;
  const absl::Time start = absl::Now();
  auto rc = ReconnectingConnection::Create(
      *loop, std::vector<HostPort>{hole.address(), target.address()}, o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; })) << r.log;
  // The first address had half of the 600 ms; the second got the rest.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ((*rc)->target().ToString(), target.address().ToString());

  // Both never answering: one attempt, each named with its share.
  Blackhole hole2;
  o.max_consecutive_failures = 1;
  Recorder r2;
  auto rc2 = ReconnectingConnection::Create(
      *loop, std::vector<HostPort>{hole.address(), hole2.address()}, o, rng, r2.Callbacks());
  ASSERT_TRUE(rc2.ok()) << rc2.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc2)->gave_up(); }));
  ASSERT_EQ(r2.events.size(), 1u);
  EXPECT_EQ(r2.codes[0], absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r2.events[0].what.rfind("2 addresses failed: ", 0), 0u) << r2.events[0].what;
  EXPECT_NE(r2.events[0].what.find(hole.address().ToString()), std::string::npos);
  EXPECT_NE(r2.events[0].what.find(hole2.address().ToString()), std::string::npos);
}

TEST(ReconnectingConnectionTest, TheAddressThatConnectedLastIsTriedFirst) {
  auto loop = MakeLoop();
  GreetingServer second(*loop);
  const SocketAddress first_address = ClosedPort(*loop);
  ReconnectOptions o = FastOptions();
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(
      *loop, std::vector<HostPort>{first_address, second.address()}, o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return second.accepted == 1 && (*rc)->connected(); }));
  // The first address comes to life, and the connection drops: the re-dial
  // goes to the second again, the one that worked.
  int first_accepted = 0;
  std::vector<std::unique_ptr<TcpConnection>> kept;
  auto first = TcpListener::Listen(*loop, first_address, [&](std::unique_ptr<TcpConnection> c) {
    ++first_accepted;
    kept.push_back(std::move(c));
  });
  ASSERT_TRUE(first.ok()) << first.status();
  (*rc)->Drop(absl::UnavailableError("dropped by the test"));
  ASSERT_TRUE(RunUntil(*loop, [&] { return second.accepted == 2 && (*rc)->connected(); }));
  EXPECT_EQ(first_accepted, 0);
  EXPECT_EQ((*rc)->target().ToString(), second.address().ToString());
}

TEST(ReconnectingConnectionTest, AnAttemptWhoseAddressesAllFailNamesEach) {
  auto loop = MakeLoop();
  const SocketAddress dead1 = ClosedPort(*loop);
  const SocketAddress dead2 = ClosedPort(*loop);
  ReconnectOptions o = FastOptions();
  o.max_consecutive_failures = 2;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(
      *loop, std::vector<HostPort>{dead1, HostPort("dc.mtcore-test.invalid", 443), dead2}, o, rng,
      r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }));
  ASSERT_EQ(r.events.size(), 2u) << "one failure per attempt, however many addresses";
  for (const Event& e : r.events) {
    EXPECT_EQ(e.what.rfind("3 addresses failed: ", 0), 0u) << e.what;
    EXPECT_NE(e.what.find(absl::StrCat("connect to ", dead1.ToString(), ": Connection refused")),
              std::string::npos)
        << e.what;
    EXPECT_NE(e.what.find("resolve dc.mtcore-test.invalid: Name or service not known"),
              std::string::npos)
        << e.what;
    EXPECT_NE(e.what.find(absl::StrCat("connect to ", dead2.ToString(), ": Connection refused")),
              std::string::npos)
        << e.what;
  }
  EXPECT_EQ(r.codes[0], absl::StatusCode::kUnavailable);  // the last one's
}

TEST(ReconnectingConnectionTest, ANameThatDoesNotResolveFailsTheAttempt) {
  auto loop = MakeLoop();
  ReconnectOptions o = FastOptions();
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, HostPort("dc.mtcore-test.invalid", 443), o, rng,
                                           r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kNotFound);
  EXPECT_EQ(r.events[0].what, "resolve dc.mtcore-test.invalid: Name or service not known");
}

// A lookup that never answers by itself (the gate opens at the end).
struct StuckLookup {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
  };
  std::shared_ptr<State> state = std::make_shared<State>();
  LookupFn Fn() const {
    return [s = state](const std::string&, uint16_t port) -> absl::StatusOr<std::vector<SocketAddress>> {
      std::unique_lock<std::mutex> lock(s->mu);
      s->cv.wait(lock, [&] { return s->open; });
      return std::vector<SocketAddress>{*SocketAddress::FromHostPort("127.0.0.1", port)};
    };
  }
  ~StuckLookup() {
    std::lock_guard<std::mutex> lock(state->mu);
    state->open = true;
    state->cv.notify_all();
  }
};

TEST(ReconnectingConnectionTest, ALookupCountsAgainstTheConnectTimeoutWhileTheLoopRuns) {
  auto loop = MakeLoop();
  StuckLookup stuck;
  ReconnectOptions o = FastOptions();
  o.tcp.connect_timeout = absl::Milliseconds(150);
  o.resolver.lookup = stuck.Fn();
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc =
      ReconnectingConnection::Create(*loop, HostPort("slow.example", 443), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  int ticks = 0;  // other work on the loop goes on meanwhile
  std::function<void()> tick = [&] {
    ++ticks;
    loop->AddTimerAfter(absl::Milliseconds(5), tick);
  };
  loop->AddTimerAfter(absl::Milliseconds(5), tick);
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }));
  EXPECT_GE(ticks, 10);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.events[0].what, "resolve slow.example: no answer within 150ms");
}

TEST(ReconnectingConnectionTest, DropEndsAnAttemptWaitingForItsLookup) {
  auto loop = MakeLoop();
  StuckLookup stuck;
  ReconnectOptions o = FastOptions();
  o.resolver.lookup = stuck.Fn();
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc =
      ReconnectingConnection::Create(*loop, HostPort("slow.example", 443), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(loop->RunOnce(absl::Milliseconds(10)).ok());
  (*rc)->Drop(absl::CancelledError("the app gave up"));
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].what, "the app gave up");
}

TEST_P(ProxiedConnectionTest, AProxyGivenByName) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  auto proxy = testing::TestProxy::Start(*loop, {.kind = GetParam()});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  ReconnectOptions o = ThroughProxy(**proxy);
  o.proxy->server.host = "localhost";
  crypto::DeterministicRandom rng(1);
  Recorder r;
  // The target by name too: handed to the proxy as it is.
  auto rc = ReconnectingConnection::Create(*loop, HostPort("localhost", target.address().port()),
                                           o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; }, kProxyWait)) << r.log;
  EXPECT_EQ((*proxy)->targets(),
            std::vector<std::string>{absl::StrCat("localhost:", target.address().port())});
}

TEST_P(ProxiedConnectionTest, AProxyNameThatDoesNotResolve) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  ReconnectOptions o = FastOptions();
  o.proxy = ProxyConfig{.server = {.kind = GetParam(), .host = "proxy.mtcore-test.invalid",
                                   .port = 1080}};
  o.max_consecutive_failures = 1;
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, target.address(), o, rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc)->gave_up(); }, kProxyWait));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.codes[0], absl::StatusCode::kNotFound);
  EXPECT_EQ(r.events[0].what, "resolve proxy.mtcore-test.invalid: Name or service not known");
}

TEST_P(ProxiedConnectionTest, ATargetTheProxyCannotReachFallsThroughToTheNext) {
  auto loop = MakeLoop();
  GreetingServer target(*loop);
  const SocketAddress dead = ClosedPort(*loop);
  const SocketAddress dead_proxy = ClosedPort(*loop);
  auto proxy = testing::TestProxy::Start(*loop, {.kind = GetParam()});
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  crypto::DeterministicRandom rng(1);
  Recorder r;
  auto rc = ReconnectingConnection::Create(*loop, std::vector<HostPort>{dead, target.address()},
                                           ThroughProxy(**proxy), rng, r.Callbacks());
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return r.log == "|connected|hello"; }, kProxyWait)) << r.log;
  EXPECT_EQ((*proxy)->targets(),
            (std::vector<std::string>{dead.ToString(), target.address().ToString()}));
  EXPECT_TRUE(r.events.empty());

  // A proxy that cannot be reached is tried once per attempt, not once per
  // target.
  ReconnectOptions o = FastOptions();
  o.proxy = ProxyConfig{.server = {.kind = GetParam(), .host = dead_proxy.host(),
                                   .port = dead_proxy.port()}};
  o.max_consecutive_failures = 1;
  Recorder r2;
  auto rc2 = ReconnectingConnection::Create(*loop, std::vector<HostPort>{dead, target.address()},
                                            o, rng, r2.Callbacks());
  ASSERT_TRUE(rc2.ok()) << rc2.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*rc2)->gave_up(); }, kProxyWait));
  ASSERT_EQ(r2.events.size(), 1u);
  EXPECT_EQ(r2.events[0].what.rfind(absl::StrCat("connect to ", dead_proxy.ToString(),
                                                  ": Connection refused"), 0),
            0u)
      << r2.events[0].what;
}

}  // namespace
}  // namespace mtcore::io
