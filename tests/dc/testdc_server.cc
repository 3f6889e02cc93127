#include "tests/dc/testdc_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "io/native/clock.h"

namespace mtcore::dc {

// One connection: the DC's engine, wrapped so its disconnect schedules the
// cleanup, and the driver that runs it.
struct TestDcServer::Served final : public StreamEngine {
  Served(TestDcServer& server, uint64_t key, std::unique_ptr<ServerConnection> engine)
      : server(server), key(key), engine(std::move(engine)) {}

  void OnConnected(absl::Time now) override { engine->OnConnected(now); }
  absl::Status OnBytes(ByteView in, absl::Time now) override { return engine->OnBytes(in, now); }
  void PullOutput(Bytes& out) override { engine->PullOutput(out); }
  bool WantsClose() const override { return engine->WantsClose(); }
  std::optional<absl::Time> NextDeadline() override { return engine->NextDeadline(); }
  void OnTimeout(absl::Time now) override { engine->OnTimeout(now); }
  void OnDisconnected(const absl::Status& why, absl::Time now) override {
    engine->OnDisconnected(why, now);
    // Not from inside the driver's call: drop the pair from the loop.
    std::weak_ptr<bool> alive = server.alive_;
    TestDcServer* s = &server;
    const uint64_t k = key;
    server.loop_.AddTimer(now, [alive, s, k] {
      if (!alive.expired()) s->Remove(k);
    });
  }

  TestDcServer& server;
  uint64_t key;
  std::unique_ptr<ServerConnection> engine;
  std::unique_ptr<io::EngineDriver> driver;
};

absl::StatusOr<std::unique_ptr<TestDcServer>> TestDcServer::Bind(io::EventLoop& loop,
                                                                 const std::string& host,
                                                                 int first_port) {
  if (first_port < 0 || first_port + Cluster::kDcCount - 1 > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("testdc: port ", first_port, " out of range"));
  }
  std::unique_ptr<TestDcServer> server(new TestDcServer(loop));
  for (int id = 1; id <= Cluster::kDcCount; ++id) {
    const int port = first_port == 0 ? 0 : first_port + id - 1;
    absl::StatusOr<io::SocketAddress> bound = server->ListenMore(id, host, port);
    if (!bound.ok()) return bound.status();
    server->addresses_.push_back(*bound);
  }
  return server;
}

absl::StatusOr<io::SocketAddress> TestDcServer::ListenMore(int dc_id, const std::string& host,
                                                           int port) {
  if (dc_id < 1 || dc_id > Cluster::kDcCount || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("testdc: DC ", dc_id, " port ", port, " out of range"));
  }
  absl::StatusOr<io::SocketAddress> addr =
      io::SocketAddress::FromHostPort(host, static_cast<uint16_t>(port));
  if (!addr.ok()) return addr.status();
  // The bound address is known once listening; the callback reads it then.
  auto where = std::make_shared<std::string>();
  absl::StatusOr<std::unique_ptr<io::TcpListener>> listener = io::TcpListener::Listen(
      loop_, *addr, [this, dc_id, where](std::unique_ptr<io::TcpConnection> c) {
        OnAccept(dc_id, *where, std::move(c));
      });
  if (!listener.ok()) return listener.status();
  const io::SocketAddress bound = (*listener)->address();
  *where = bound.ToString();
  listeners_.push_back(std::move(*listener));
  return bound;
}

absl::StatusOr<io::SocketAddress> TestDcServer::ListenCdn(const std::string& host, int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("testdc: CDN port ", port, " out of range"));
  }
  absl::StatusOr<io::SocketAddress> addr =
      io::SocketAddress::FromHostPort(host, static_cast<uint16_t>(port));
  if (!addr.ok()) return addr.status();
  auto where = std::make_shared<std::string>();
  absl::StatusOr<std::unique_ptr<io::TcpListener>> listener = io::TcpListener::Listen(
      loop_, *addr, [this, where](std::unique_ptr<io::TcpConnection> c) {
        if (cdn_ != nullptr) Accept(*cdn_, *where, std::move(c));  // (else dropped: closed)
      });
  if (!listener.ok()) return listener.status();
  const io::SocketAddress bound = (*listener)->address();
  *where = bound.ToString();
  listeners_.push_back(std::move(*listener));
  return bound;
}

void TestDcServer::ServeCdn(DataCentre& cdn) {
  cdn_ = &cdn;
  cdn.state().mutable_options().unix_offset_ns =
      absl::ToInt64Nanoseconds(io::SystemWallClock().Now() - loop_.Now());
}

int TestDcServer::accepted_on(const io::SocketAddress& address) const {
  auto it = accepted_.find(address.ToString());
  return it == accepted_.end() ? 0 : it->second;
}

TestDcServer::TestDcServer(io::EventLoop& loop) : loop_(loop) {}

TestDcServer::~TestDcServer() {
  *alive_ = false;
  connections_.clear();
  listeners_.clear();
}

void TestDcServer::Serve(Cluster& cluster) {
  cluster_ = &cluster;
  const int64_t offset = absl::ToInt64Nanoseconds(io::SystemWallClock().Now() - loop_.Now());
  for (int id = 1; id <= cluster.size(); ++id) {
    cluster.dc(id).state().mutable_options().unix_offset_ns = offset;
  }
}

void TestDcServer::OnAccept(int dc_id, const std::string& where,
                            std::unique_ptr<io::TcpConnection> tcp) {
  if (cluster_ == nullptr) return;  // not serving yet: drop (closes the socket)
  Accept(cluster_->dc(dc_id), where, std::move(tcp));
}

void TestDcServer::Accept(DataCentre& dc, const std::string& where,
                          std::unique_ptr<io::TcpConnection> tcp) {
  ++accepted_[where];
  const uint64_t key = ++next_key_;
  auto served = std::make_unique<Served>(*this, key, dc.Accept(loop_.Now()));
  Served* s = served.get();
  connections_[key] = std::move(served);
  std::weak_ptr<bool> alive = alive_;
  s->engine->SetWakeCallback([this, alive, key] {
    loop_.AddTimer(loop_.Now(), [this, alive, key] {
      if (alive.expired()) return;
      auto it = connections_.find(key);
      if (it != connections_.end() && it->second->driver) it->second->driver->Pump();
    });
  });
  absl::StatusOr<std::unique_ptr<io::EngineDriver>> driver =
      io::EngineDriver::Serve(loop_, *s, std::move(tcp));
  if (!driver.ok()) {
    connections_.erase(key);
    return;
  }
  s->driver = std::move(*driver);
}

void TestDcServer::Remove(uint64_t key) { connections_.erase(key); }

}  // namespace mtcore::dc
