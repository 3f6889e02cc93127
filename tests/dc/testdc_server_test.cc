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

// An event loop with testdc's server for a cluster of EchoWorld DCs on
// loopback (`host`), serving. nullptr (and a test failure) if it cannot start.
struct ServedCluster {
  static std::unique_ptr<ServedCluster> Start(const char* host, uint64_t seed) {
    auto s = std::make_unique<ServedCluster>(seed);
    absl::StatusOr<std::unique_ptr<io::EventLoop>> loop = io::EventLoop::Create();
    if (!loop.ok()) {
      ADD_FAILURE() << loop.status();
      return nullptr;
    }
    s->loop = *std::move(loop);
    auto cluster = Cluster::Create({}, TestRsaKey(), s->world, s->rng);
    auto server = TestDcServer::Bind(*s->loop, host, 0);
    if (!cluster.ok() || !server.ok()) {
      ADD_FAILURE() << cluster.status() << " " << server.status();
      return nullptr;
    }
    s->cluster = *std::move(cluster);
    s->server = *std::move(server);
    s->server->Serve(*s->cluster);
    return s;
  }
  explicit ServedCluster(uint64_t seed) : rng(seed) {}

  std::unique_ptr<io::EventLoop> loop;
  crypto::DeterministicRandom rng;
  EchoWorld world;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<TestDcServer> server;  // destroyed first
};

class TestDcServerTest : public ::testing::TestWithParam<int> {};

TEST_P(TestDcServerTest, KeyExchangeAndPingOnEveryDc) {
  if (GetParam() == AF_INET6 && !io::testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "no ::1";
  auto s = ServedCluster::Start(GetParam() == AF_INET6 ? "::1" : "127.0.0.1", 5);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->server->addresses().size(), 5u);

  for (int dc = 1; dc <= 5; ++dc) {
    TestClientOptions o;
    o.server_keys.push_back(TestRsaKey().public_key());
    o.dc_id = dc;
    o.framing = dc % 2 == 0 ? transport::Framing::kAbridged : transport::Framing::kIntermediate;
    o.obfuscated = dc == 5;
    TcpClient c(*s->loop, s->server->addresses()[dc - 1], o, s->rng);
    ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
    c.Flush();
    ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.has_key(); })) << dc;
    EXPECT_EQ(s->cluster->dc(dc).state().key_count(), 1u);
    ASSERT_TRUE(c.client.Send(session::BuildPing(dc), WallUnixNs()).ok());
    c.Flush();
    ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.Find(ids::kPong) != nullptr; })) << dc;
    EXPECT_NE(c.client.Find(ids::kNewSessionCreated), nullptr);
  }
  // Closed client connections are cleaned up.
  EXPECT_TRUE(RunUntil(*s->loop, [&] { return s->server->connection_count() == 0; }));
  s->server.reset();
}

TEST_P(TestDcServerTest, WebSocketOnTheSamePort) {
  if (GetParam() == AF_INET6 && !io::testing::Ipv6LoopbackAvailable()) GTEST_SKIP() << "no ::1";
  auto s = ServedCluster::Start(GetParam() == AF_INET6 ? "::1" : "127.0.0.1", 8);
  ASSERT_NE(s, nullptr);

  TestClientOptions o;
  o.server_keys.push_back(TestRsaKey().public_key());
  o.framing = transport::Framing::kPaddedIntermediate;
  o.obfuscated = true;
  WsTcpClient c(*s->loop, s->server->addresses()[1], o, s->rng);
  ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.has_key(); }));
  EXPECT_TRUE(c.reader.upgraded());
  EXPECT_EQ(s->cluster->dc(2).state().key_count(), 1u);
  ASSERT_TRUE(c.client.Send(session::BuildPing(9), WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.Find(ids::kPong) != nullptr; }));
  // A close frame: answered, then the DC ends the connection.
  ASSERT_TRUE(c.tcp->Send(WsClientFrame(kWsClose, Bytes{0x03, 0xe8})).ok());
  ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.closed; }));
  ASSERT_FALSE(c.reader.control().empty());
  EXPECT_EQ(c.reader.control().back().first, kWsClose);
  EXPECT_TRUE(RunUntil(*s->loop, [&] { return s->server->connection_count() == 0; }));
  s->server.reset();
}

INSTANTIATE_TEST_SUITE_P(Families, TestDcServerTest, ::testing::Values(AF_INET, AF_INET6));

TEST(TestDcServerPushTest, PushFromOutsideAnEngineCallIsDelivered) {
  auto s = ServedCluster::Start("127.0.0.1", 6);
  ASSERT_NE(s, nullptr);

  TestClientOptions o;
  o.server_keys.push_back(TestRsaKey().public_key());
  TcpClient c(*s->loop, s->server->addresses()[1], o, s->rng);
  ASSERT_TRUE(c.client.StartHandshake(WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.has_key(); }));
  ASSERT_TRUE(c.client.Send(session::BuildPing(1), WallUnixNs()).ok());
  c.Flush();
  ASSERT_TRUE(RunUntil(*s->loop, [&] { return c.client.Find(ids::kPong) != nullptr; }));

  ServerSession* session =
      s->cluster->dc(2).state().FindSession(c.client.key()->id(), c.client.session_id());
  ASSERT_NE(session, nullptr);
  s->loop->AddTimerAfter(absl::Milliseconds(1),
                         [session] { session->Push(QueryBody(kPushedUpdate)); });
  EXPECT_TRUE(RunUntil(*s->loop, [&] { return c.client.Find(kPushedUpdate) != nullptr; }));
  s->server.reset();  // connections go before the cluster
}

}  // namespace
}  // namespace mtcore::dc
