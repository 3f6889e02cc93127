#include "io/native/tcp.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "io/native/errno_status.h"
#include "io/native/event_loop.h"
#include "io/native/test_util.h"

namespace mtcore::io {
namespace {

using ::mtcore::io::testing::Ipv6LoopbackAvailable;
using ::mtcore::io::testing::LoopbackHost;
using ::mtcore::io::testing::RunUntil;

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

SocketAddress Addr(std::string_view s) {
  absl::StatusOr<SocketAddress> a = SocketAddress::Parse(s);
  EXPECT_TRUE(a.ok()) << a.status();
  return *a;
}

std::unique_ptr<EventLoop> MakeLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(loop).value();
}

// --- SocketAddress ---

TEST(SocketAddressTest, ParsesIpv4AndBracketedIpv6) {
  SocketAddress v4 = Addr("127.0.0.1:443");
  EXPECT_EQ(v4.family(), AF_INET);
  EXPECT_EQ(v4.host(), "127.0.0.1");
  EXPECT_EQ(v4.port(), 443);
  EXPECT_EQ(v4.ToString(), "127.0.0.1:443");
  EXPECT_TRUE(v4.IsLoopback());
  EXPECT_EQ(v4.raw_length(), socklen_t(sizeof(sockaddr_in)));

  SocketAddress v6 = Addr("[::1]:65535");
  EXPECT_EQ(v6.family(), AF_INET6);
  EXPECT_EQ(v6.host(), "::1");
  EXPECT_EQ(v6.port(), 65535);
  EXPECT_EQ(v6.ToString(), "[::1]:65535");
  EXPECT_TRUE(v6.IsLoopback());

  SocketAddress full = Addr("[2001:db8:0:0:0:0:0:1]:0");
  EXPECT_EQ(full.ToString(), "[2001:db8::1]:0");
  EXPECT_FALSE(full.IsLoopback());
  EXPECT_FALSE(Addr("10.0.0.1:1").IsLoopback());
  EXPECT_TRUE(Addr("127.8.9.10:1").IsLoopback());
}

TEST(SocketAddressTest, FromHostPortAcceptsBareAndBracketedIpv6) {
  auto a = SocketAddress::FromHostPort("::1", 80);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->ToString(), "[::1]:80");
  auto b = SocketAddress::FromHostPort("[::1]", 80);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ToString(), "[::1]:80");
  EXPECT_FALSE(SocketAddress::FromHostPort("[127.0.0.1]", 80).ok());
}

TEST(SocketAddressTest, RejectsWhatIsNotANumericHostAndPort) {
  struct Case {
    const char* input;
    const char* why;
  } cases[] = {
      {"127.0.0.1", "missing ':port'"},
      {"127.0.0.1:", "port must be a number"},
      {"127.0.0.1:65536", "port must be a number"},
      {"127.0.0.1:-1", "port must be a number"},
      {"127.0.0.1:+80", "port must be a number"},
      {"127.0.0.1:080a", "port must be a number"},
      {"::1:443", "IPv6 addresses need brackets"},
      {"[::1]443", "expected ':port' after ']'"},
      {"[::1:443", "missing ']'"},
      {":443", "missing host"},
      {"localhost:443", "not a numeric IPv4 or IPv6 address (resolve names with io::Resolver)"},
      {"256.0.0.1:443", "not a numeric IPv4 or IPv6 address"},
      {"[fe80::1%lo]:443", "not a numeric IPv4 or IPv6 address"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SocketAddress> a = SocketAddress::Parse(c.input);
    ASSERT_FALSE(a.ok()) << c.input;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << c.input;
    EXPECT_TRUE(Contains(a.status().message(), c.input)) << a.status();
    EXPECT_TRUE(Contains(a.status().message(), c.why)) << a.status();
  }
}

TEST(SocketAddressTest, FromSockaddrRejectsOtherFamilies) {
  sockaddr_storage ss = {};
  ss.ss_family = AF_UNIX;
  auto a = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof(ss));
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  sockaddr_in short_v4 = {};
  short_v4.sin_family = AF_INET;
  EXPECT_FALSE(SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&short_v4), 4).ok());
}

// --- connections over loopback ---

// An echo server: every accepted connection sends back what it receives.
class EchoServer {
 public:
  EchoServer(EventLoop& loop, const SocketAddress& where) {
    auto l = TcpListener::Listen(loop, where, [this](std::unique_ptr<TcpConnection> c) {
      TcpConnection* raw = c.get();
      TcpConnection::Callbacks cb;
      cb.on_data = [raw](ByteView in) { EXPECT_TRUE(raw->Send(in).ok()); };
      cb.on_closed = [this](absl::Status why) { closes.push_back(why); };
      EXPECT_TRUE(raw->Start(std::move(cb)).ok());
      conns.push_back(std::move(c));
    });
    EXPECT_TRUE(l.ok()) << l.status();
    listener = std::move(l).value();
  }
  std::unique_ptr<TcpListener> listener;
  std::vector<std::unique_ptr<TcpConnection>> conns;
  std::vector<absl::Status> closes;
};

class LoopbackTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (GetParam() == AF_INET6 && !Ipv6LoopbackAvailable()) {
      GTEST_SKIP() << "IPv6 loopback (::1) is not available in this environment";
    }
    loop_ = MakeLoop();
  }
  SocketAddress Any() { return Addr(LoopbackHost(GetParam()) + ":0"); }
  std::unique_ptr<EventLoop> loop_;
};

TEST_P(LoopbackTest, EchoesOneMegabyteBothWays) {
  EchoServer server(*loop_, Any());
  const SocketAddress where = server.listener->address();
  EXPECT_NE(where.port(), 0);
  EXPECT_EQ(where.family(), GetParam());

  crypto::DeterministicRandom rng(7);
  const Bytes payload = crypto::RandomBytes(rng, 1 << 20);
  Bytes received;
  bool connected = false;
  std::unique_ptr<TcpConnection> client;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] {
    connected = true;
    // Sent in uneven pieces; the whole megabyte fits the default queue.
    for (size_t at = 0; at < payload.size(); at += 70001) {
      ASSERT_TRUE(client->Send(ByteView(payload).subspan(at, 70001)).ok());
    }
  };
  cb.on_data = [&](ByteView in) { received.insert(received.end(), in.begin(), in.end()); };
  cb.on_closed = [&](absl::Status why) { ADD_FAILURE() << "client closed: " << why; };
  client = TcpConnection::Connect(*loop_, where, {}, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return received.size() >= payload.size(); }));
  EXPECT_TRUE(connected);
  EXPECT_TRUE(client->connected());
  EXPECT_TRUE(received == payload);
  EXPECT_EQ(client->queued_bytes(), 0u);
  auto local = client->LocalAddress();
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE(local->IsLoopback());
  ASSERT_EQ(server.conns.size(), 1u);
  EXPECT_EQ(server.conns[0]->peer().port(), local->port());

  // Closing the client is an orderly EOF for the server.
  client.reset();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return !server.closes.empty(); }));
  EXPECT_TRUE(server.closes[0].ok()) << server.closes[0];
}

TEST_P(LoopbackTest, RefusedConnectionNamesAddressAndErrno) {
  SocketAddress closed_port = Any();
  {
    // Take an ephemeral port, then free it: nothing listens there any more.
    auto l = TcpListener::Listen(*loop_, Any(), [](std::unique_ptr<TcpConnection>) {});
    ASSERT_TRUE(l.ok()) << l.status();
    closed_port = (*l)->address();
  }
  std::optional<absl::Status> closed;
  bool connected = false;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { connected = true; };
  cb.on_closed = [&](absl::Status why) { closed = why; };
  auto conn = TcpConnection::Connect(*loop_, closed_port, {}, std::move(cb));
  EXPECT_FALSE(closed.has_value());  // never reported from inside Connect()
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed.has_value(); }));
  EXPECT_FALSE(connected);
  EXPECT_EQ(closed->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(closed->message(), absl::StrCat("connect to ", closed_port.ToString(),
                                            ": Connection refused (errno 111)"));
  EXPECT_TRUE(conn->closed());
  EXPECT_EQ(conn->Send(AsBytes("x")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(loop_->registered_fds(), 0u);
}

TEST_P(LoopbackTest, ConnectTimesOutAgainstAFullBacklog) {
  // A listening socket that nobody accepts on, with backlog 0: the kernel
  // queues one finished handshake and then drops SYNs, so a further connect
  // stays in SYN_SENT (the first retransmission is a second away).
  const SocketAddress any = Any();
  int listener = socket(any.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(bind(listener, any.raw(), any.raw_length()), 0) << ErrnoText(errno);
  ASSERT_EQ(listen(listener, 0), 0) << ErrnoText(errno);
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len), 0);
  auto where = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  ASSERT_TRUE(where.ok()) << where.status();
  int filler = socket(any.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(filler, 0);
  ASSERT_EQ(connect(filler, where->raw(), where->raw_length()), 0) << ErrnoText(errno);

  std::optional<absl::Status> closed;
  TcpOptions opts;
  opts.connect_timeout = absl::Milliseconds(200);
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { ADD_FAILURE() << "connected despite the full backlog"; };
  cb.on_closed = [&](absl::Status why) { closed = why; };
  const absl::Time start = loop_->Now();
  auto probe = TcpConnection::Connect(*loop_, *where, opts, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed.has_value(); }));
  const absl::Duration took = loop_->Now() - start;
  EXPECT_EQ(closed->code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(closed->message(),
            absl::StrCat("connect to ", where->ToString(), " timed out after 200ms"));
  EXPECT_GE(took, absl::Milliseconds(200));
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_EQ(loop_->registered_fds(), 0u);
  EXPECT_EQ(loop_->pending_timers(), 0u);
  close(filler);
  close(listener);
}

TEST_P(LoopbackTest, WriteQueueIsCappedWithResourceExhausted) {
  EchoServer server(*loop_, Any());
  TcpOptions opts;
  opts.max_write_queue = 64 * 1024;
  auto conn = TcpConnection::Connect(*loop_, server.listener->address(), opts, {});
  // Still connecting: everything stays queued, so the cap is exact.
  Bytes chunk(60 * 1024, 0xab);
  ASSERT_TRUE(conn->Send(chunk).ok());
  EXPECT_EQ(conn->queued_bytes(), chunk.size());
  absl::Status over = conn->Send(Bytes(8 * 1024, 0xcd));
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over.message(),
            absl::StrCat("write queue to ", server.listener->address().ToString(),
                         " would hold 69632 bytes, more than the limit of 65536"));
  EXPECT_EQ(conn->queued_bytes(), chunk.size());  // nothing was queued
  ASSERT_TRUE(conn->Send(Bytes(4 * 1024, 0xef)).ok());  // exactly the limit
  ASSERT_TRUE(RunUntil(*loop_, [&] { return conn->connected() && conn->queued_bytes() == 0; }));
}

TEST_P(LoopbackTest, PeerCloseIsOkAndCallbacksMayDestroyTheConnection) {
  // The server closes each connection after its first bytes.
  std::vector<std::unique_ptr<TcpConnection>> accepted;
  auto l = TcpListener::Listen(*loop_, Any(), [&](std::unique_ptr<TcpConnection> c) {
    TcpConnection* raw = c.get();
    TcpConnection::Callbacks cb;
    cb.on_data = [raw](ByteView) { raw->Close(); };
    cb.on_closed = [](absl::Status) { ADD_FAILURE() << "no callback after Close()"; };
    ASSERT_TRUE(raw->Start(std::move(cb)).ok());
    EXPECT_EQ(raw->Start({}).code(), absl::StatusCode::kFailedPrecondition);
    accepted.push_back(std::move(c));
  });
  ASSERT_TRUE(l.ok()) << l.status();

  std::unique_ptr<TcpConnection> client;
  std::optional<absl::Status> closed;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { ASSERT_TRUE(client->Send(AsBytes("bye")).ok()); };
  cb.on_closed = [&](absl::Status why) {
    closed = why;
    client.reset();  // destroying the connection from its own callback is fine
  };
  client = TcpConnection::Connect(*loop_, (*l)->address(), {}, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed.has_value(); }));
  EXPECT_TRUE(closed->ok()) << *closed;
  EXPECT_EQ(client, nullptr);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_TRUE(accepted[0]->closed());
}

TEST_P(LoopbackTest, DataCallbackMayDestroyTheConnection) {
  EchoServer server(*loop_, Any());
  std::unique_ptr<TcpConnection> client;
  int data_calls = 0;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { ASSERT_TRUE(client->Send(Bytes(300000, 1)).ok()); };
  cb.on_data = [&](ByteView) {
    ++data_calls;
    client.reset();
  };
  TcpOptions opts;
  opts.read_chunk = 1000;  // many reads pending when the callback destroys it
  client = TcpConnection::Connect(*loop_, server.listener->address(), opts, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return client == nullptr; }));
  EXPECT_EQ(data_calls, 1);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return !server.closes.empty(); }));
}

TEST_P(LoopbackTest, SecondListenerOnTheSamePortFails) {
  auto first = TcpListener::Listen(*loop_, Any(), [](std::unique_ptr<TcpConnection>) {});
  ASSERT_TRUE(first.ok()) << first.status();
  const SocketAddress taken = (*first)->address();
  auto second = TcpListener::Listen(*loop_, taken, [](std::unique_ptr<TcpConnection>) {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            absl::StrCat("bind ", taken.ToString(), ": Address already in use (errno 98)"));
}

TEST_P(LoopbackTest, ResetByPeerNamesAddressAndErrno) {
  // A raw listener the test controls: accept, then close with SO_LINGER 0 so
  // the kernel sends RST instead of FIN.
  const SocketAddress any = Any();
  int listener = socket(any.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(bind(listener, any.raw(), any.raw_length()), 0) << ErrnoText(errno);
  ASSERT_EQ(listen(listener, 4), 0) << ErrnoText(errno);
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len), 0);
  auto where = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  ASSERT_TRUE(where.ok()) << where.status();

  std::optional<absl::Status> closed;
  bool connected = false;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { connected = true; };
  cb.on_closed = [&](absl::Status why) { closed = why; };
  auto conn = TcpConnection::Connect(*loop_, *where, {}, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop_, [&] { return connected; }));
  int server_side = accept(listener, nullptr, nullptr);
  ASSERT_GE(server_side, 0) << ErrnoText(errno);
  linger lg = {1, 0};
  ASSERT_EQ(setsockopt(server_side, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  close(server_side);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return closed.has_value(); }));
  EXPECT_EQ(closed->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(closed->message(),
            absl::StrCat("read from ", where->ToString(), ": Connection reset by peer (errno 104)"));
  close(listener);
}

INSTANTIATE_TEST_SUITE_P(Ipv4AndIpv6, LoopbackTest, ::testing::Values(AF_INET, AF_INET6),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == AF_INET6 ? std::string("Ipv6")
                                                         : std::string("Ipv4");
                         });

}  // namespace
}  // namespace mtcore::io

namespace mtcore::io {
namespace {

// Lowers RLIMIT_NOFILE for its lifetime.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    EXPECT_EQ(getrlimit(RLIMIT_NOFILE, &saved_), 0);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0) << ErrnoText(errno);
  }
  ~ScopedFdLimit() { Restore(); }
  void Restore() {
    if (!restored_) {
      EXPECT_EQ(setrlimit(RLIMIT_NOFILE, &saved_), 0);
    }
    restored_ = true;
  }

 private:
  rlimit saved_;
  bool restored_ = false;
};

TEST(TcpListenerTest, OutOfDescriptorsPausesAcceptingAndReports) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check probes memory through a pipe(2), which fails once the
  // descriptor limit is reached and turns into a false "invalid vptr" report.
  GTEST_SKIP() << "needs every descriptor to itself; not run under sanitizers";
#endif
  auto loop = MakeLoop();
  std::vector<absl::Status> errors;
  std::vector<std::unique_ptr<TcpConnection>> accepted;
  ListenOptions opts;
  opts.on_accept_error = [&](absl::Status s) { errors.push_back(s); };
  auto l = TcpListener::Listen(
      *loop, Addr("127.0.0.1:0"),
      [&](std::unique_ptr<TcpConnection> c) { accepted.push_back(std::move(c)); }, std::move(opts));
  ASSERT_TRUE(l.ok()) << l.status();
  // The lowest free descriptor is what the client socket will get; allow
  // exactly that one, so accept(2) finds no descriptor left.
  int probe = dup(0);
  ASSERT_GE(probe, 0);
  close(probe);
  ScopedFdLimit limit(rlim_t(probe) + 1);
  bool connected = false;
  TcpConnection::Callbacks cb;
  cb.on_connected = [&] { connected = true; };
  auto client = TcpConnection::Connect(*loop, (*l)->address(), {}, std::move(cb));
  ASSERT_TRUE(RunUntil(*loop, [&] { return !errors.empty(); }));
  limit.Restore();
  EXPECT_EQ(errors[0].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(errors[0].message(), absl::StrCat("accept on ", (*l)->address().ToString(),
                                              ": Too many open files (errno 24)"));
  EXPECT_TRUE(accepted.empty());
  // After the pause the same connection is accepted.
  ASSERT_TRUE(RunUntil(*loop, [&] { return accepted.size() == 1; }));
  EXPECT_EQ(errors.size(), 1u);  // paused, not spinning on the error
  EXPECT_TRUE(connected);
}

}  // namespace
}  // namespace mtcore::io
