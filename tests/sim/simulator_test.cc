#include "tests/sim/simulator.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mtcore::sim {
namespace {

// A server that echoes every byte back and closes after "bye".
class EchoServer : public StreamEngine {
 public:
  void OnConnected(absl::Time) override {}
  absl::Status OnBytes(ByteView in, absl::Time) override {
    if (in.size() == 1 && in[0] == '!') return absl::DataLossError("bad byte");
    pending_.insert(pending_.end(), in.begin(), in.end());
    seen_.insert(seen_.end(), in.begin(), in.end());
    std::string s(seen_.begin(), seen_.end());
    if (s.size() >= 3 && s.substr(s.size() - 3) == "bye") close_ = true;
    return absl::OkStatus();
  }
  void PullOutput(Bytes& out) override {
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }
  bool WantsClose() const override { return close_; }
  std::optional<absl::Time> NextDeadline() override { return std::nullopt; }
  void OnTimeout(absl::Time) override {}
  void OnDisconnected(const absl::Status&, absl::Time) override {}

 private:
  Bytes pending_, seen_;
  bool close_ = false;
};

// A client that sends a message on each connection and a tick every second.
class Client : public StreamEngine {
 public:
  void OnConnected(absl::Time now) override {
    ++connects;
    std::string hello = "hello" + std::to_string(connects);
    out_.insert(out_.end(), hello.begin(), hello.end());
    tick_ = now + absl::Seconds(1);
  }
  absl::Status OnBytes(ByteView in, absl::Time) override {
    received.insert(received.end(), in.begin(), in.end());
    ++chunks;
    return absl::OkStatus();
  }
  void PullOutput(Bytes& out) override {
    out.insert(out.end(), out_.begin(), out_.end());
    out_.clear();
  }
  std::optional<absl::Time> NextDeadline() override { return tick_; }
  void OnTimeout(absl::Time now) override {
    ++ticks;
    tick_ = now + absl::Seconds(1);
  }
  void OnDisconnected(const absl::Status& why, absl::Time now) override {
    ++disconnects;
    last_error = why;
    received_at_close = received;
    closed_at = now;
    tick_.reset();
  }
  void Queue(std::string s) { out_.insert(out_.end(), s.begin(), s.end()); }

  int connects = 0, disconnects = 0, ticks = 0, chunks = 0;
  Bytes received;
  Bytes received_at_close;  // `received` when the connection last closed
  absl::Time closed_at;
  absl::Status last_error;

 private:
  Bytes out_;
  std::optional<absl::Time> tick_;
};

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

TEST(SimulatorTest, EchoWithLatencyChunksAndTimers) {
  Simulator sim(7);
  int server = sim.AddServer([](absl::Time) { return std::make_unique<EchoServer>(); });
  Client c;
  LinkOptions o;
  o.latency = absl::Milliseconds(50);
  o.max_chunk = 2;
  int id = sim.AddClient(c, server, o);
  absl::Time start = sim.now();
  ASSERT_TRUE(sim.RunUntil([&] { return Str(c.received) == "hello1"; }, absl::Seconds(5)));
  // Connect (50 ms) + there (50 ms) + back (50 ms).
  EXPECT_EQ(sim.now() - start, absl::Milliseconds(150));
  EXPECT_GE(c.chunks, 3) << "6 bytes in chunks of at most 2";
  c.Queue(" world");
  sim.Kick(id);
  sim.RunFor(absl::Seconds(10));
  EXPECT_EQ(Str(c.received), "hello1 world");
  EXPECT_GE(c.ticks, 9) << "timers fire in virtual time";
  EXPECT_TRUE(sim.connected(id));
}

// A server whose output changes outside its own calls (like a DC connection
// that gets a push from another connection), with no timer armed.
class PushServer : public StreamEngine {
 public:
  void OnConnected(absl::Time) override {}
  absl::Status OnBytes(ByteView, absl::Time) override { return absl::OkStatus(); }
  void PullOutput(Bytes& out) override {
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }
  std::optional<absl::Time> NextDeadline() override { return std::nullopt; }
  void OnTimeout(absl::Time) override {}
  void OnDisconnected(const absl::Status&, absl::Time) override {}
  void Push(std::string s) { pending_.insert(pending_.end(), s.begin(), s.end()); }

 private:
  Bytes pending_;
};

TEST(SimulatorTest, AWokenServerConnectionSendsAtOnce) {
  Simulator sim(3);
  PushServer* server_engine = nullptr;
  std::function<void()> wake_it;
  int server = sim.AddServer([&](absl::Time, std::function<void()> wake) {
    auto e = std::make_unique<PushServer>();
    server_engine = e.get();
    wake_it = std::move(wake);
    return std::unique_ptr<StreamEngine>(std::move(e));
  });
  Client c;
  LinkOptions o;
  o.latency = absl::Milliseconds(30);
  sim.AddClient(c, server, o);
  sim.RunFor(absl::Seconds(10));  // connected and idle
  ASSERT_NE(server_engine, nullptr);
  server_engine->Push("news");
  const absl::Time pushed = sim.now();
  wake_it();
  ASSERT_TRUE(sim.RunUntil([&] { return Str(c.received) == "news"; }, absl::Seconds(5)));
  EXPECT_EQ(sim.now() - pushed, absl::Milliseconds(30)) << "one link latency, no waiting for a timer";
}

TEST(SimulatorTest, RedialsAfterServerCloseAndFaults) {
  Simulator sim(9);
  int server = sim.AddServer([](absl::Time) { return std::make_unique<EchoServer>(); });
  Client c;
  int id = sim.AddClient(c, server, {});
  sim.RunFor(absl::Seconds(1));
  c.Queue("bye");
  sim.Kick(id);
  ASSERT_TRUE(sim.RunUntil([&] { return c.connects == 2; }, absl::Seconds(5)));
  EXPECT_EQ(c.disconnects, 1);
  EXPECT_TRUE(c.last_error.ok()) << "an orderly close by the server";
  // A protocol error on the server side closes with that error.
  c.Queue("!");
  sim.Kick(id);
  ASSERT_TRUE(sim.RunUntil([&] { return c.connects == 3; }, absl::Seconds(5)));
  EXPECT_EQ(c.last_error.code(), absl::StatusCode::kDataLoss);
  // Cut on demand.
  sim.Disconnect(id);
  ASSERT_TRUE(sim.RunUntil([&] { return c.connects == 4; }, absl::Seconds(5)));
  EXPECT_EQ(sim.stats().fault_closes, 1u);
}

// A server that answers a bad byte with a last message (like an HTTP 400 or
// a WebSocket close frame) and an error, and counts calls made after that.
class LastWordServer : public StreamEngine {
 public:
  explicit LastWordServer(int* calls_after_error) : calls_after_error_(calls_after_error) {}
  void OnConnected(absl::Time) override {}
  absl::Status OnBytes(ByteView in, absl::Time) override {
    if (failed_) ++*calls_after_error_;
    for (uint8_t b : in) {
      if (b == '!') {
        failed_ = true;
        const std::string last = "400 bad byte";
        pending_.insert(pending_.end(), last.begin(), last.end());
        return absl::InvalidArgumentError("bad byte");
      }
    }
    return absl::OkStatus();
  }
  void PullOutput(Bytes& out) override {
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
  }
  std::optional<absl::Time> NextDeadline() override { return std::nullopt; }
  void OnTimeout(absl::Time) override {
    if (failed_) ++*calls_after_error_;
  }
  void OnDisconnected(const absl::Status&, absl::Time) override {}

 private:
  int* calls_after_error_;
  bool failed_ = false;
  Bytes pending_;
};

TEST(SimulatorTest, AFailingEngineSendsItsLastAnswerBeforeTheClose) {
  Simulator sim(13);
  int calls_after_error = 0;
  int server = sim.AddServer(
      [&](absl::Time) { return std::make_unique<LastWordServer>(&calls_after_error); });
  Client c;
  LinkOptions o;
  o.latency = absl::Milliseconds(40);
  o.max_chunk = 1;  // the last answer takes 12 deliveries
  o.redial = false;
  int id = sim.AddClient(c, server, o);
  sim.RunFor(absl::Seconds(1));
  c.Queue("!");
  sim.Kick(id);
  c.Queue("more");  // already on the wire when the server fails
  sim.Kick(id);
  const absl::Time sent = sim.now();
  ASSERT_TRUE(sim.RunUntil([&] { return c.disconnects == 1; }, absl::Seconds(5)));
  EXPECT_EQ(Str(c.received_at_close), "400 bad byte") << "all of it, before the close";
  EXPECT_EQ(c.last_error.code(), absl::StatusCode::kInvalidArgument);
  // There (40 ms), back (40 ms): the close follows the last byte, in virtual time.
  EXPECT_EQ(c.closed_at - sent, absl::Milliseconds(80));
  sim.RunFor(absl::Seconds(5));
  EXPECT_EQ(calls_after_error, 0) << "the failed engine is not fed after its error";
  EXPECT_FALSE(sim.connected(id));
  EXPECT_EQ(sim.stats().closes, 1u);
}

// A client that fails on the first byte of the server's last answer, with a
// last word of its own (which must not reach the server: it failed first).
class ClientFailingOnTheAnswer : public Client {
 public:
  absl::Status OnBytes(ByteView in, absl::Time now) override {
    (void)Client::OnBytes(in, now);
    if (failed_) return absl::OkStatus();
    failed_ = true;
    Queue("client: a bad answer");
    return absl::DataLossError("a bad answer");
  }

 private:
  bool failed_ = false;
};

TEST(SimulatorTest, WhenBothEndsFailNeitherIsFedAfterItsError) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Simulator sim(seed);
    int calls_after_error = 0;
    int server = sim.AddServer(
        [&](absl::Time) { return std::make_unique<LastWordServer>(&calls_after_error); });
    ClientFailingOnTheAnswer c;
    LinkOptions o;
    o.latency = absl::Milliseconds(1);
    // The server's last answer spreads out in time, so the client's last word
    // (sent on its first byte) often arrives before the server's close.
    o.jitter = absl::Milliseconds(200);
    o.max_chunk = 1;
    o.redial = false;
    int id = sim.AddClient(c, server, o);
    sim.RunFor(absl::Seconds(1));
    c.Queue("!");
    sim.Kick(id);
    ASSERT_TRUE(sim.RunUntil([&] { return c.disconnects == 1; }, absl::Seconds(5)));
    sim.RunFor(absl::Seconds(5));
    EXPECT_EQ(calls_after_error, 0) << "seed " << seed << ": the failed server was fed";
    EXPECT_EQ(sim.stats().closes, 1u);
    EXPECT_FALSE(c.last_error.ok()) << "closed on an error (the server's or the client's)";
  }
}

TEST(SimulatorTest, CloseAfterBytesAndAnHourInWellUnderASecond) {
  Simulator sim(11);
  int server = sim.AddServer([](absl::Time) { return std::make_unique<EchoServer>(); });
  Client c;
  LinkOptions o;
  o.close_after_bytes = 20;
  int id = sim.AddClient(c, server, o);
  sim.RunFor(absl::Seconds(1));
  c.Queue("0123456789abcdef");  // 6 + 6 + 16 > 20 bytes on this connection
  sim.Kick(id);
  sim.RunFor(absl::Seconds(1));
  EXPECT_GE(sim.stats().fault_closes, 1u);
  EXPECT_GE(c.connects, 2);
  absl::Time before = absl::Now();
  sim.RunFor(absl::Hours(1));
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
  EXPECT_GE(c.ticks, 3500);
}

TEST(SimulatorTest, SameSeedSameRun) {
  auto run = [](uint64_t seed) {
    Simulator sim(seed);
    int server = sim.AddServer([](absl::Time) { return std::make_unique<EchoServer>(); });
    Client c;
    LinkOptions o;
    o.max_chunk = 3;
    o.jitter = absl::Milliseconds(30);
    o.close_probability = 0.05;
    int id = sim.AddClient(c, server, o);
    for (int i = 0; i < 50; ++i) {
      c.Queue("message" + std::to_string(i));
      sim.Kick(id);
      sim.RunFor(absl::Milliseconds(200));
    }
    return std::make_pair(Str(c.received), sim.stats().events);
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace mtcore::sim
