#include "io/native/driver.h"

#include <memory>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"
#include "io/native/test_util.h"

namespace mtcore::io {
namespace {

using ::mtcore::io::testing::RunUntil;

// A scriptable engine that records every call the driver makes.
class FakeEngine : public StreamEngine {
 public:
  // Echo mode: everything received is queued to be sent back.
  bool echo = false;
  // Bytes queued at each OnConnected.
  Bytes greeting;
  // OnBytes fails with this once `fail_after` bytes have arrived.
  std::optional<absl::Status> fail_with;
  size_t fail_after = 0;
  // Queued when OnBytes fails (an HTTP 400, a WebSocket close...).
  Bytes farewell;
  // Deadlines handed out, in order; OnTimeout pops the first.
  std::vector<absl::Time> deadlines;

  Bytes received;
  Bytes pending;  // output not pulled yet
  int connects = 0;
  std::vector<absl::Status> disconnects;
  std::vector<absl::Time> timeouts;  // `now` of each OnTimeout
  std::vector<absl::Time> timeouts_due;  // the deadline each one was for
  bool in_call = false;  // catches re-entrant calls

  void OnConnected(absl::Time) override {
    Enter();
    ++connects;
    received.clear();
    pending = greeting;
    Leave();
  }
  absl::Status OnBytes(ByteView in, absl::Time) override {
    Enter();
    received.insert(received.end(), in.begin(), in.end());
    if (echo) pending.insert(pending.end(), in.begin(), in.end());
    absl::Status s = absl::OkStatus();
    if (fail_with && received.size() >= fail_after) {
      s = *std::exchange(fail_with, std::nullopt);
      pending.insert(pending.end(), farewell.begin(), farewell.end());
    }
    Leave();
    return s;
  }
  void PullOutput(Bytes& out) override {
    Enter();
    EXPECT_TRUE(out.empty());
    out.insert(out.end(), pending.begin(), pending.end());
    pending.clear();
    Leave();
  }
  std::optional<absl::Time> NextDeadline() override {
    if (deadlines.empty()) return std::nullopt;
    return deadlines.front();
  }
  void OnTimeout(absl::Time now) override {
    Enter();
    ASSERT_FALSE(deadlines.empty()) << "OnTimeout without a deadline";
    timeouts.push_back(now);
    timeouts_due.push_back(deadlines.front());
    deadlines.erase(deadlines.begin());
    Leave();
  }
  void OnDisconnected(const absl::Status& why, absl::Time) override {
    Enter();
    disconnects.push_back(why);
    pending.clear();
    Leave();
  }

 private:
  void Enter() {
    EXPECT_FALSE(in_call) << "re-entrant engine call";
    in_call = true;
  }
  void Leave() { in_call = false; }
};

// A listener whose connections are each served by an echoing FakeEngine.
class EchoDc {
 public:
  explicit EchoDc(EventLoop& loop) : loop_(loop) {
    auto l = TcpListener::Listen(loop, *SocketAddress::Parse("127.0.0.1:0"),
                                 [this](std::unique_ptr<TcpConnection> c) {
                                   auto engine = std::make_unique<FakeEngine>();
                                   engine->echo = true;
                                   auto d = EngineDriver::Serve(loop_, *engine, std::move(c));
                                   ASSERT_TRUE(d.ok()) << d.status();
                                   engines.push_back(std::move(engine));
                                   drivers.push_back(std::move(d).value());
                                 });
    EXPECT_TRUE(l.ok()) << l.status();
    listener = std::move(l).value();
  }
  SocketAddress address() const { return listener->address(); }

  std::unique_ptr<TcpListener> listener;
  std::vector<std::unique_ptr<FakeEngine>> engines;
  std::vector<std::unique_ptr<EngineDriver>> drivers;

 private:
  EventLoop& loop_;
};

std::unique_ptr<EventLoop> MakeLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(loop).value();
}

// A loopback listener whose connection is served by `engine` through
// `served`.
absl::StatusOr<std::unique_ptr<TcpListener>> ListenServedBy(EventLoop& loop, StreamEngine& engine,
                                                            std::unique_ptr<EngineDriver>& served) {
  return TcpListener::Listen(loop, *SocketAddress::Parse("127.0.0.1:0"),
                             [&loop, &engine, &served](std::unique_ptr<TcpConnection> c) {
                               auto d = EngineDriver::Serve(loop, engine, std::move(c));
                               ASSERT_TRUE(d.ok()) << d.status();
                               served = std::move(d).value();
                             });
}

ReconnectOptions Fast() {
  ReconnectOptions o;
  o.backoff.min_delay = absl::Milliseconds(5);
  o.backoff.jitter = 0;
  o.healthy_after = absl::ZeroDuration();  // no health timer in the way
  return o;
}

TEST(EngineDriverTest, EchoesThroughEnginesOnBothSides) {
  auto loop = MakeLoop();
  EchoDc dc(*loop);
  crypto::DeterministicRandom rng(3);
  FakeEngine client;
  client.greeting = crypto::RandomBytes(rng, 300000);
  auto driver = EngineDriver::Dial(*loop, client, dc.address(), Fast(), rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return client.received.size() >= client.greeting.size(); }));
  EXPECT_TRUE(client.received == client.greeting);
  EXPECT_EQ(client.connects, 1);
  EXPECT_TRUE((*driver)->connected());
  ASSERT_EQ(dc.engines.size(), 1u);
  EXPECT_EQ(dc.engines[0]->connects, 1);

  // Bytes queued outside a driver callback go out on Pump().
  client.pending = Bytes{'h', 'i'};
  (*driver)->Pump();
  ASSERT_TRUE(RunUntil(*loop, [&] { return client.received.size() == client.greeting.size() + 2; }));

  // Destroying the client closes the connection: the server engine sees an
  // orderly close and its driver is finished.
  driver->reset();
  ASSERT_TRUE(RunUntil(*loop, [&] { return !dc.engines[0]->disconnects.empty(); }));
  EXPECT_TRUE(dc.engines[0]->disconnects[0].ok()) << dc.engines[0]->disconnects[0];
  EXPECT_TRUE(dc.drivers[0]->finished());
  EXPECT_FALSE(dc.drivers[0]->connected());
}

TEST(EngineDriverTest, ArmsOneTimerFromTheEnginesNextDeadline) {
  auto loop = MakeLoop();
  EchoDc dc(*loop);
  crypto::DeterministicRandom rng(3);
  FakeEngine client;
  const absl::Time t0 = loop->Now();
  client.deadlines = {t0 + absl::Milliseconds(30), t0 + absl::Milliseconds(60)};
  auto driver = EngineDriver::Dial(*loop, client, dc.address(), Fast(), rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  // The engine moves its deadline earlier; the driver re-arms on Pump().
  client.deadlines.insert(client.deadlines.begin(), t0 + absl::Milliseconds(10));
  (*driver)->Pump();
  ASSERT_TRUE(RunUntil(*loop, [&] { return client.timeouts.size() == 3; }));
  EXPECT_EQ(client.timeouts_due,
            (std::vector<absl::Time>{t0 + absl::Milliseconds(10), t0 + absl::Milliseconds(30),
                                     t0 + absl::Milliseconds(60)}));
  for (size_t i = 0; i < 3; ++i) EXPECT_GE(client.timeouts[i], client.timeouts_due[i]);
  // No deadline left: no timer left (only the listener's and sockets' fds).
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(EngineDriverTest, EngineErrorDropsTheConnectionAndRedials) {
  auto loop = MakeLoop();
  EchoDc dc(*loop);
  crypto::DeterministicRandom rng(3);
  FakeEngine client;
  client.greeting = Bytes(1000, 'x');
  client.fail_with = absl::DataLossError("bad packet");
  client.fail_after = 1000;
  auto driver = EngineDriver::Dial(*loop, client, dc.address(), Fast(), rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return client.connects == 2 && client.received.size() == 1000; }));
  ASSERT_EQ(client.disconnects.size(), 1u);
  EXPECT_EQ(client.disconnects[0], absl::DataLossError("bad packet"));
  EXPECT_TRUE((*driver)->connected());
  EXPECT_FALSE((*driver)->finished());
  // The server side saw its first connection end.
  ASSERT_TRUE(RunUntil(*loop, [&] { return !dc.engines[0]->disconnects.empty(); }));
}

TEST(EngineDriverTest, OutputBeyondTheWriteQueueIsResourceExhausted) {
  auto loop = MakeLoop();
  EchoDc dc(*loop);
  crypto::DeterministicRandom rng(3);
  FakeEngine client;
  client.greeting = Bytes(4096, 'y');
  ReconnectOptions o = Fast();
  o.tcp.max_write_queue = 1024;
  o.max_consecutive_failures = 1;
  auto driver = EngineDriver::Dial(*loop, client, dc.address(), o, rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return (*driver)->finished(); }));
  ASSERT_EQ(client.disconnects.size(), 1u);
  EXPECT_EQ(client.disconnects[0].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(client.disconnects[0].message(),
            absl::StrCat("write queue to ", dc.address().ToString(),
                         " would hold 4096 bytes, more than the limit of 1024"));
}

TEST(EngineDriverTest, ServerEngineErrorClosesAndReportsFromTheLoop) {
  auto loop = MakeLoop();
  FakeEngine server;
  server.fail_with = absl::InvalidArgumentError("unknown transport");
  server.fail_after = 1;
  std::unique_ptr<EngineDriver> served;
  auto l = ListenServedBy(*loop, server, served);
  ASSERT_TRUE(l.ok()) << l.status();
  crypto::DeterministicRandom rng(3);
  FakeEngine client;
  client.greeting = ToBytes(AsBytes("not mtproto"));
  ReconnectOptions o = Fast();
  o.max_consecutive_failures = 1;
  auto driver = EngineDriver::Dial(*loop, client, (*l)->address(), o, rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return !server.disconnects.empty(); }));
  EXPECT_EQ(server.connects, 1);
  EXPECT_EQ(server.disconnects[0], absl::InvalidArgumentError("unknown transport"));
  EXPECT_TRUE(served->finished());
  // The client sees the server hang up.
  ASSERT_TRUE(RunUntil(*loop, [&] { return !client.disconnects.empty(); }));
}

TEST(EngineDriverTest, WhatAFailingEngineWroteGoesOutBeforeTheHangUp) {
  auto loop = MakeLoop();
  FakeEngine server;
  server.fail_with = absl::InvalidArgumentError("bad request");
  server.fail_after = 1;
  server.farewell = ToBytes(AsBytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
  std::unique_ptr<EngineDriver> served;
  auto l = ListenServedBy(*loop, server, served);
  ASSERT_TRUE(l.ok()) << l.status();
  crypto::DeterministicRandom rng(4);
  FakeEngine client;
  client.greeting = ToBytes(AsBytes("GET / HTTP/1.0\r\n\r\n"));
  ReconnectOptions o = Fast();
  o.max_consecutive_failures = 1;
  auto driver = EngineDriver::Dial(*loop, client, (*l)->address(), o, rng);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_TRUE(RunUntil(*loop, [&] { return !client.disconnects.empty(); }));
  EXPECT_EQ(server.disconnects.at(0), absl::InvalidArgumentError("bad request"));
  EXPECT_EQ(client.received, server.farewell);
}

TEST(EngineDriverTest, ServeRejectsAStartedOrMissingConnection) {
  auto loop = MakeLoop();
  FakeEngine engine;
  EXPECT_EQ(EngineDriver::Serve(*loop, engine, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::unique_ptr<TcpConnection> accepted;
  auto l = TcpListener::Listen(*loop, *SocketAddress::Parse("127.0.0.1:0"),
                               [&](std::unique_ptr<TcpConnection> c) { accepted = std::move(c); });
  ASSERT_TRUE(l.ok()) << l.status();
  auto client = TcpConnection::Connect(*loop, (*l)->address(), {}, {});
  ASSERT_TRUE(RunUntil(*loop, [&] { return accepted != nullptr; }));
  ASSERT_TRUE(accepted->Start({}).ok());
  EXPECT_EQ(EngineDriver::Serve(*loop, engine, std::move(accepted)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine.connects, 0);
}

TEST(EngineDriverTest, EngineMayDestroyTheDriverFromACallback) {
  auto loop = MakeLoop();
  EchoDc dc(*loop);
  crypto::DeterministicRandom rng(3);
  struct Destroyer : FakeEngine {
    std::unique_ptr<EngineDriver>* driver = nullptr;
    absl::Status OnBytes(ByteView in, absl::Time now) override {
      absl::Status s = FakeEngine::OnBytes(in, now);
      driver->reset();
      return s;
    }
  } client;
  client.greeting = Bytes(100, 'z');
  std::unique_ptr<EngineDriver> driver;
  client.driver = &driver;
  auto d = EngineDriver::Dial(*loop, client, dc.address(), Fast(), rng);
  ASSERT_TRUE(d.ok()) << d.status();
  driver = std::move(d).value();
  ASSERT_TRUE(RunUntil(*loop, [&] { return driver == nullptr; }));
  EXPECT_FALSE(client.received.empty());
  EXPECT_TRUE(client.disconnects.empty());  // no call after destruction
}

}  // namespace
}  // namespace mtcore::io
