#include "io/native/resolver.h"

#include <netdb.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"
#include "io/native/test_util.h"

namespace mtcore::io {
namespace {

using ::mtcore::io::testing::RunUntil;
using ::testing::HasSubstr;

using Answer = absl::StatusOr<std::vector<SocketAddress>>;

std::vector<std::string> Strings(const std::vector<SocketAddress>& v) {
  std::vector<std::string> out;
  for (const SocketAddress& a : v) out.push_back(a.ToString());
  return out;
}

// A lookup that blocks until the test opens the gate, counting the lookups
// that entered and returned. Shared with the threads (they may outlive the
// test's Resolver).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  int returned = 0;

  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
  int Returned() {
    std::lock_guard<std::mutex> lock(mu);
    return returned;
  }
  int Entered() {
    std::lock_guard<std::mutex> lock(mu);
    return entered;
  }
};

LookupFn SlowLookup(std::shared_ptr<Gate> gate, std::vector<std::string> answer = {"10.0.0.1"}) {
  return [gate, answer](const std::string& host, uint16_t port) -> Answer {
    std::unique_lock<std::mutex> lock(gate->mu);
    ++gate->entered;
    gate->cv.wait(lock, [&] { return gate->open; });
    ++gate->returned;
    std::vector<SocketAddress> out;
    for (const std::string& a : answer) out.push_back(*SocketAddress::FromHostPort(a, port));
    return out;
  };
}

// Waits (real time, the loop not running) until `done()`.
bool WaitFor(const std::function<bool()>& done) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

TEST(HostPortTest, ParsesNamesAndNumericAddresses) {
  auto a = HostPort::Parse("localhost:4430");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 4430);
  EXPECT_FALSE(a->Numeric().has_value());
  EXPECT_EQ(a->ToString(), "localhost:4430");

  auto b = HostPort::Parse("[::1]:443");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "::1");
  ASSERT_TRUE(b->Numeric().has_value());
  EXPECT_EQ(b->Numeric()->ToString(), "[::1]:443");
  EXPECT_EQ(b->ToString(), "[::1]:443");

  auto c = HostPort::Parse("149.154.167.51:443");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->Numeric()->ToString(), "149.154.167.51:443");
  EXPECT_EQ(HostPort(*c->Numeric()), *c);
  EXPECT_EQ(HostPort("[::1]", 80).host, "::1");
}

TEST(HostPortTest, RefusesBadInputQuotingIt) {
  const std::pair<const char*, const char*> cases[] = {
      {"localhost", "missing ':port'"},
      {":443", "missing host"},
      {"::1:443", "IPv6 addresses need brackets"},
      {"[::1]443", "expected ':port' after ']'"},
      {"[::1:443", "missing ']'"},
      {"host:65536", "port must be a number"},
      {"host:-1", "port must be a number"},
      {"host:", "port must be a number"},
      {"bad host:80", "not a host name or a numeric address"},
      {"user@host:80", "not a host name or a numeric address"},
  };
  for (const auto& [input, why] : cases) {
    auto r = HostPort::Parse(input);
    ASSERT_FALSE(r.ok()) << input;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << input;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(absl::StrCat("'", input, "'")));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(why)) << input;
  }
}

TEST(GaiStatusTest, NamesTheHostAndTheReason) {
  absl::Status s = GaiStatus(EAI_NONAME, "x.example");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), absl::StrCat("resolve x.example: ", gai_strerror(EAI_NONAME)));
  EXPECT_EQ(GaiStatus(EAI_AGAIN, "y").code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(GaiStatus(EAI_AGAIN, "y").message()),
              HasSubstr(gai_strerror(EAI_AGAIN)));
  EXPECT_EQ(GaiStatus(EAI_MEMORY, "y").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GaiStatus(EAI_FAIL, "y").code(), absl::StatusCode::kInternal);
}

TEST(SystemLookupTest, LocalhostFromTheHostsFile) {
  Answer a = SystemLookup("localhost", 4430);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(Strings(*a), ::testing::Contains("127.0.0.1:4430"));
}

TEST(SystemLookupTest, InvalidNamesNeverResolve) {
  Answer a = SystemLookup("proxy.example.invalid", 1080);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(a.status().message(),
            absl::StrCat("resolve proxy.example.invalid: ", gai_strerror(EAI_NONAME)));
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::Create();
    ASSERT_TRUE(l.ok()) << l.status();
    loop_ = *std::move(l);
  }
  std::unique_ptr<Resolver> Make(ResolverOptions options = {}) {
    auto r = Resolver::Create(*loop_, std::move(options));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : nullptr;
  }
  std::unique_ptr<EventLoop> loop_;
};

TEST_F(ResolverTest, RefusesBadOptions) {
  ResolverOptions o;
  o.max_threads = 0;
  EXPECT_EQ(Resolver::Create(*loop_, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.timeout = absl::ZeroDuration();
  EXPECT_EQ(Resolver::Create(*loop_, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolverTest, LocalhostResolvesOnAThreadAndAnswersFromTheLoop) {
  std::unique_ptr<Resolver> r = Make();
  std::optional<Answer> got;
  r->Resolve({"localhost", 4430}, [&](Answer a) { got = std::move(a); });
  EXPECT_FALSE(got.has_value());  // never from inside Resolve
  EXPECT_EQ(r->pending(), 1u);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_THAT(Strings(**got), ::testing::Contains("127.0.0.1:4430"));
  EXPECT_EQ(r->pending(), 0u);
}

TEST_F(ResolverTest, NumericHostsNeedNoThread) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate);  // would block: must not be called
  std::unique_ptr<Resolver> r = Make(std::move(o));
  std::optional<Answer> v4, v6;
  r->Resolve({"127.0.0.1", 1}, [&](Answer a) { v4 = std::move(a); });
  r->Resolve({"[::1]", 2}, [&](Answer a) { v6 = std::move(a); });
  EXPECT_EQ(r->threads_running(), 0u);
  ASSERT_TRUE(loop_->RunOnce(absl::ZeroDuration()).ok());
  ASSERT_TRUE(v4.has_value() && v6.has_value());
  EXPECT_EQ(Strings(v4->value()), std::vector<std::string>{"127.0.0.1:1"});
  EXPECT_EQ(Strings(v6->value()), std::vector<std::string>{"[::1]:2"});
  EXPECT_EQ(gate->Entered(), 0);
}

TEST_F(ResolverTest, AnInvalidNameFailsNamingTheHost) {
  std::unique_ptr<Resolver> r = Make();
  std::optional<Answer> got;
  r->Resolve({"dc.mtcore-test.invalid", 443}, [&](Answer a) { got = std::move(a); });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.has_value(); }));
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got->status().message()),
              HasSubstr("resolve dc.mtcore-test.invalid: "));
  EXPECT_THAT(std::string(got->status().message()), HasSubstr(gai_strerror(EAI_NONAME)));
}

TEST_F(ResolverTest, TheLoopKeepsRunningWhileALookupWaits) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate, {"10.1.2.3", "10.1.2.4"});
  std::unique_ptr<Resolver> r = Make(std::move(o));
  std::optional<Answer> got;
  r->Resolve({"slow.example", 80}, [&](Answer a) { got = std::move(a); });
  // Other work goes on: a timer that re-arms itself ticks many times while
  // the lookup sits in its thread.
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    loop_->AddTimerAfter(absl::Milliseconds(1), tick);
  };
  loop_->AddTimerAfter(absl::Milliseconds(1), tick);
  ASSERT_TRUE(RunUntil(*loop_, [&] { return ticks >= 20; }));
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(gate->Entered(), 1);
  EXPECT_EQ(r->threads_running(), 1u);
  gate->Open();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_EQ(Strings(**got), (std::vector<std::string>{"10.1.2.3:80", "10.1.2.4:80"}));
  EXPECT_EQ(r->threads_running(), 0u);
}

TEST_F(ResolverTest, ASlowLookupTimesOutAndItsLateAnswerIsDropped) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate);
  o.timeout = absl::Milliseconds(50);
  std::unique_ptr<Resolver> r = Make(std::move(o));
  int calls = 0;
  std::optional<Answer> got;
  r->Resolve({"slow.example", 80}, [&](Answer a) {
    ++calls;
    got = std::move(a);
  });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(got->status().message(), "resolve slow.example: no answer within 50ms");
  gate->Open();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return r->threads_running() == 0; }));
  ASSERT_TRUE(loop_->RunOnce(absl::Milliseconds(10)).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(ResolverTest, ACancelledLookupNeverCallsBack) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate);
  std::unique_ptr<Resolver> r = Make(std::move(o));
  bool called = false;
  Resolver::LookupId id = r->Resolve({"slow.example", 80}, [&](Answer) { called = true; });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return gate->Entered() == 1; }));
  EXPECT_TRUE(r->Cancel(id));
  EXPECT_FALSE(r->Cancel(id));
  EXPECT_EQ(r->pending(), 0u);
  gate->Open();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return r->threads_running() == 0; }));
  ASSERT_TRUE(loop_->RunOnce(absl::Milliseconds(10)).ok());
  EXPECT_FALSE(called);
}

TEST_F(ResolverTest, ThreadsAndTheQueueAreBounded) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate);
  o.max_threads = 2;
  o.max_queued = 1;
  std::unique_ptr<Resolver> r = Make(std::move(o));
  std::vector<Answer> got;
  for (int i = 0; i < 4; ++i) {
    r->Resolve({absl::StrCat("h", i, ".example"), 80}, [&](Answer a) { got.push_back(a); });
  }
  EXPECT_EQ(r->threads_running(), 2u);  // h0, h1; h2 waits; h3 refused
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.size() == 1; }));
  EXPECT_EQ(got[0].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(got[0].status().message()), HasSubstr("resolve h3.example: "));
  ASSERT_TRUE(WaitFor([&] { return gate->Entered() == 2; }));
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(gate->Entered(), 2);  // h2 waits for a thread
  gate->Open();
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.size() == 4; }));
  for (size_t i = 1; i < 4; ++i) EXPECT_TRUE(got[i].ok()) << got[i].status();
  EXPECT_EQ(gate->Entered(), 3);
}

TEST_F(ResolverTest, AnswersKeepAtMostMaxAddresses) {
  ResolverOptions o;
  o.lookup = [](const std::string&, uint16_t port) -> Answer {
    std::vector<SocketAddress> out;
    for (int i = 1; i <= 5; ++i) {
      out.push_back(*SocketAddress::FromHostPort(absl::StrCat("10.0.0.", i), port));
    }
    return out;
  };
  o.max_addresses = 2;
  std::unique_ptr<Resolver> r = Make(std::move(o));
  std::optional<Answer> got;
  r->Resolve({"many.example", 1}, [&](Answer a) { got = std::move(a); });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return got.has_value(); }));
  EXPECT_EQ(Strings(got->value()), (std::vector<std::string>{"10.0.0.1:1", "10.0.0.2:1"}));
}

TEST_F(ResolverTest, DestroyedWithALookupInFlightWithoutWaitingOrCallingBack) {
  auto gate = std::make_shared<Gate>();
  ResolverOptions o;
  o.lookup = SlowLookup(gate);
  std::unique_ptr<Resolver> r = Make(std::move(o));
  bool called = false;
  r->Resolve({"slow.example", 80}, [&](Answer) { called = true; });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return gate->Entered() == 1; }));
  const absl::Time before = absl::Now();
  r.reset();  // the thread is still inside the lookup
  EXPECT_LT(absl::Now() - before, absl::Seconds(1));
  EXPECT_EQ(loop_->registered_fds(), 0u);
  EXPECT_EQ(loop_->pending_timers(), 0u);
  gate->Open();
  ASSERT_TRUE(WaitFor([&] { return gate->Returned() == 1; }));
  ASSERT_TRUE(loop_->RunOnce(absl::Milliseconds(10)).ok());
  EXPECT_FALSE(called);
}

TEST_F(ResolverTest, ACallbackMayDestroyTheResolver) {
  std::unique_ptr<Resolver> r = Make();
  int calls = 0;  // whichever answers first destroys it: the other never calls
  r->Resolve({"localhost", 1}, [&](Answer) {
    ++calls;
    r.reset();
  });
  r->Resolve({"localhost", 2}, [&](Answer) {
    ++calls;
    r.reset();
  });
  ASSERT_TRUE(RunUntil(*loop_, [&] { return r == nullptr; }));
  ASSERT_TRUE(loop_->RunOnce(absl::Milliseconds(20)).ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace mtcore::io
