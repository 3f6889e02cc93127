// testdc's serving code over loopback TCP with the io/native driver: a key
// exchange and a ping per DC address family, the same over WebSocket (/apiws)
// on the same port, and a push delivered to a connection from outside its
// driver's calls.
#include "tests/dc/testdc_server.h"

#include <sys/socket.h>

#include <memory>

#include "gtest/gtest.h"
#include "io/native/test_util.h"
#include "tests/dc/dc_test_util.h"
#include "tests/dc/websocket_test_client.h"

namespace mtcore::dc {
namespace {

using namespace ::mtcore::dc::testing;  // NOLINT
using ::mtcore::io::testing::RunUntil;

int64_t WallUnixNs() { return absl::ToUnixNanos(absl::Now()); }

// A TestClient on a real TCP connection.
struct TcpClient {
  TcpClient(io::EventLoop& loop, const io::SocketAddress& addr, TestClientOptions o,
            crypto::RandomSource& rng)
      : client(std::move(o), rng) {
    EXPECT_TRUE(client.Start().ok());
    io::TcpConnection::Callbacks cb;
    cb.on_data = [this](ByteView in) {
      absl::Status s = client.OnBytes(in, WallUnixNs());
      EXPECT_TRUE(s.ok()) << s;
      Flush();
    };
    cb.on_closed = [this](absl::Status) { closed = true; };
    tcp = io::TcpConnection::Connect(loop, addr, {}, std::move(cb));
  }
  void Flush() {
    Bytes out = client.TakeOutput();
    if (!out.empty()) {
      EXPECT_TRUE(tcp->Send(out).ok());
    }
  }
  TestClient client;
  std::unique_ptr<io::TcpConnection> tcp;
  bool closed = false;
};

// A TestClient (obfuscated2) inside WebSocket on a real TCP connection, as
// a browser would connect: the upgrade request first, then one masked
// binary frame per flush.
struct WsTcpClient {
  WsTcpClient(io::EventLoop& loop, const io::SocketAddress& addr, TestClientOptions o,
              crypto::RandomSource& rng)
      : client(std::move(o), rng) {
    EXPECT_TRUE(client.Start().ok());
    io::TcpConnection::Callbacks cb;
    cb.on_data = [this](ByteView in) {
      Bytes data;
      absl::Status s = reader.Feed(in, data);
      EXPECT_TRUE(s.ok()) << s;
      if (!data.empty()) {
        s = client.OnBytes(data, WallUnixNs());
        EXPECT_TRUE(s.ok()) << s;
      }
      Flush();
    };
    cb.on_closed = [this](absl::Status) { closed = true; };
    tcp = io::TcpConnection::Connect(loop, addr, {}, std::move(cb));
    EXPECT_TRUE(tcp->Send(AsBytes(WsUpgradeRequest())).ok());
  }
  void Flush() {
    Bytes out = client.TakeOutput();
    if (!out.empty()) {
      EXPECT_TRUE(tcp->Send(WsClientFrame(kWsBinary, out)).ok());
    }
  }
  TestClient client;
  WsClientReader reader;
  std::unique_ptr<io::TcpConnection> tcp;
  bool closed = false;
};

class TestDcServerTest : public ::testing::TestWithParam<int> {};

TEST_P(TestDcServerTest, KeyExchangeAndPingOnEveryDc) {
  if (GetParam() == AF_INET6 && !io::testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "no ::1";
  absl::StatusOr<std::unique_ptr<io::EventLoop>> loop = io::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto server = TestDcServer::Bind(**loop, GetParam() == AF_INET6 ? "::1" : "127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_EQ((*server)->addresses().size(), 5u);
  crypto::DeterministicRandom rng(5);
  EchoWorld world;
  auto cluster = Cluster::Create({}, TestRsaKey(), world, rng);
  ASSERT_TRUE(cluster.ok());
  (*server)->Serve(**cluster);

  for (int dc = 1; dc <= 5; ++dc) {
    TestClientOptions o;
    o.server_keys.push_back(TestRsaKey().public_key());
    o.dc_id = dc;
    o.framing = dc % 2 == 0 ? transport::Framing::kAbridged : transport::Framing::kIntermediate;
    o.obfuscated = dc == 5;
    TcpClient c(**loop, (*server)->addresses()[dc - 1], o, rng);
    ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
    c.Flush();
    ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.has_key(); })) << dc;
    EXPECT_EQ((*cluster)->dc(dc).state().key_count(), 1u);
    ASSERT_TRUE(c.client.Send(session::BuildPing(dc), WallUnixNs()).ok());
    c.Flush();
    ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.Find(ids::kPong) != nullptr; })) << dc;
    EXPECT_NE(c.client.Find(ids::kNewSessionCreated), nullptr);
  }
  // Closed client connections are cleaned up.
  EXPECT_TRUE(RunUntil(**loop, [&] { return (*server)->connection_count() == 0; }));
  server->reset();
}

TEST_P(TestDcServerTest, WebSocketOnTheSamePort) {
  if (GetParam() == AF_INET6 && !io::testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "no ::1";
  absl::StatusOr<std::unique_ptr<io::EventLoop>> loop = io::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto server = TestDcServer::Bind(**loop, GetParam() == AF_INET6 ? "::1" : "127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  crypto::DeterministicRandom rng(8);
  EchoWorld world;
  auto cluster = Cluster::Create({}, TestRsaKey(), world, rng);
  ASSERT_TRUE(cluster.ok());
  (*server)->Serve(**cluster);

  TestClientOptions o;
  o.server_keys.push_back(TestRsaKey().public_key());
  o.framing = transport::Framing::kPaddedIntermediate;
  o.obfuscated = true;
  WsTcpClient c(**loop, (*server)->addresses()[1], o, rng);
  ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.has_key(); }));
  EXPECT_TRUE(c.reader.upgraded());
  EXPECT_EQ((*cluster)->dc(2).state().key_count(), 1u);
  ASSERT_TRUE(c.client.Send(session::BuildPing(9), WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.Find(ids::kPong) != nullptr; }));
  // A close frame: answered, then the DC ends the connection.
  ASSERT_TRUE(c.tcp->Send(WsClientFrame(kWsClose, Bytes{0x03, 0xe8})).ok());
  ASSERT_TRUE(RunUntil(**loop, [&] { return c.closed; }));
  ASSERT_FALSE(c.reader.control().empty());
  EXPECT_EQ(c.reader.control().back().first, kWsClose);
  EXPECT_TRUE(RunUntil(**loop, [&] { return (*server)->connection_count() == 0; }));
  server->reset();
}

INSTANTIATE_TEST_SUITE_P(Families, TestDcServerTest, ::testing::Values(AF_INET, AF_INET6));

TEST(TestDcServerPushTest, PushFromOutsideAnEngineCallIsDelivered) {
  absl::StatusOr<std::unique_ptr<io::EventLoop>> loop = io::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  auto server = TestDcServer::Bind(**loop, "127.0.0.1", 0);
  ASSERT_TRUE(server.ok());
  crypto::DeterministicRandom rng(6);
  EchoWorld world;
  auto cluster = Cluster::Create({}, TestRsaKey(), world, rng);
  ASSERT_TRUE(cluster.ok());
  (*server)->Serve(**cluster);

  TestClientOptions o;
  o.server_keys.push_back(TestRsaKey().public_key());
  TcpClient c(**loop, (*server)->addresses()[1], o, rng);
  ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.has_key(); }));
  ASSERT_TRUE(c.client.Send(session::BuildPing(1), WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(**loop, [&] { return c.client.Find(ids::kPong) != nullptr; }));

  ServerSession* s =
      (*cluster)->dc(2).state().FindSession(c.client.key()->id(), c.client.session_id());
  ASSERT_NE(s, nullptr);
  (*loop)->AddTimerAfter(absl::Milliseconds(1), [s] { s->Push(QueryBody(kPushedUpdate)); });
  EXPECT_TRUE(RunUntil(**loop, [&] { return c.client.Find(kPushedUpdate) != nullptr; }));
  server->reset();  // connections go before the cluster
}

}  // namespace
}  // namespace mtcore::dc
