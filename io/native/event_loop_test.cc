#include "io/native/event_loop.h"

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "io/native/clock.h"

namespace mtcore::io {
namespace {

std::unique_ptr<EventLoop> MakeLoop(MonotonicClock& clock = SystemMonotonicClock()) {
  auto loop = EventLoop::Create(clock);
  EXPECT_TRUE(loop.ok()) << loop.status();
  return std::move(loop).value();
}

// A non-blocking pipe closed at scope exit.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
  void Put(char c) { ASSERT_EQ(write(w, &c, 1), 1); }
};

TEST(EventLoopTest, TimersFireInDeadlineOrderThenInsertionOrder) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  auto loop = MakeLoop(clock);
  std::string order;
  const absl::Time t0 = clock.Now();
  loop->AddTimer(t0 + absl::Seconds(3), [&] { order += 'c'; });
  loop->AddTimer(t0 + absl::Seconds(1), [&] { order += 'a'; });
  loop->AddTimer(t0 + absl::Seconds(2), [&] { order += 'b'; });
  loop->AddTimer(t0 + absl::Seconds(2), [&] { order += 'B'; });  // tie: after 'b'
  EXPECT_EQ(loop->NextTimerDeadline(), t0 + absl::Seconds(1));

  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(order, "");  // nothing due yet
  clock.Advance(absl::Seconds(2));
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(order, "abB");
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(order, "abBc");
  EXPECT_EQ(loop->pending_timers(), 0u);
  EXPECT_EQ(loop->NextTimerDeadline(), absl::InfiniteFuture());
}

TEST(EventLoopTest, CancelledTimersNeverFire) {
  ManualClock clock;
  auto loop = MakeLoop(clock);
  int fired = 0;
  TimerId a = loop->AddTimerAfter(absl::Seconds(1), [&] { fired += 1; });
  TimerId b = loop->AddTimerAfter(absl::Seconds(1), [&] { fired += 10; });
  EXPECT_TRUE(loop->CancelTimer(a));
  EXPECT_FALSE(loop->CancelTimer(a));     // already cancelled
  EXPECT_FALSE(loop->CancelTimer(12345));  // never existed
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(loop->CancelTimer(b));  // already fired
}

TEST(EventLoopTest, TimerCallbackMayCancelATimerDueInTheSameRound) {
  ManualClock clock;
  auto loop = MakeLoop(clock);
  std::string order;
  TimerId second = 0;
  loop->AddTimerAfter(absl::Seconds(1), [&] {
    order += '1';
    EXPECT_TRUE(loop->CancelTimer(second));
  });
  second = loop->AddTimerAfter(absl::Seconds(2), [&] { order += '2'; });
  loop->AddTimerAfter(absl::Seconds(3), [&] { order += '3'; });
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(order, "13");
}

TEST(EventLoopTest, TimerAddedByATimerRunsInALaterRound) {
  ManualClock clock;
  auto loop = MakeLoop(clock);
  int rounds_seen = 0;
  // Re-adds itself "now" forever: must run once per round, not spin.
  std::function<void()> again = [&] {
    ++rounds_seen;
    loop->AddTimer(clock.Now(), again);
  };
  loop->AddTimer(clock.Now(), again);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(rounds_seen, 5);
}

TEST(EventLoopTest, RealClockTimerWaitsAboutItsDelay) {
  auto loop = MakeLoop();
  bool fired = false;
  const absl::Time start = loop->Now();
  loop->AddTimerAfter(absl::Milliseconds(20), [&] {
    fired = true;
    loop->Stop();
  });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_TRUE(fired);
  const absl::Duration took = loop->Now() - start;
  EXPECT_GE(took, absl::Milliseconds(20));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(EventLoopTest, RunReturnsWhenNothingIsLeft) {
  auto loop = MakeLoop();
  int fired = 0;
  loop->AddTimerAfter(absl::Milliseconds(1), [&] { ++fired; });
  loop->AddTimerAfter(absl::Milliseconds(2), [&] { ++fired; });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(fired, 2);
}

TEST(EventLoopTest, StopBeforeRunMakesRunReturnAtOnce) {
  auto loop = MakeLoop();
  bool fired = false;
  loop->AddTimerAfter(absl::ZeroDuration(), [&] { fired = true; });
  loop->Stop();
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_FALSE(fired);
  ASSERT_TRUE(loop->Run().ok());  // the stop was consumed
  EXPECT_TRUE(fired);
}

TEST(EventLoopTest, ReadableFdCallsBackUntilDrained) {
  auto loop = MakeLoop();
  Pipe p;
  std::string got;
  ASSERT_TRUE(loop->AddFd(p.r, kReadable, [&](uint32_t ev) {
                    EXPECT_TRUE(ev & kReadable);
                    char c;
                    if (read(p.r, &c, 1) == 1) got += c;
                  }).ok());
  EXPECT_TRUE(loop->HasFd(p.r));
  p.Put('x');
  p.Put('y');
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());  // level-triggered
  EXPECT_EQ(got, "xy");
  // Nothing left: a zero wait returns without calling back.
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(got, "xy");
  loop->RemoveFd(p.r);
  EXPECT_EQ(loop->registered_fds(), 0u);
}

TEST(EventLoopTest, InterestCanBeChanged) {
  auto loop = MakeLoop();
  Pipe p;
  int writable = 0;
  ASSERT_TRUE(loop->AddFd(p.w, kNoEvents, [&](uint32_t ev) {
                    if (ev & kWritable) ++writable;
                  }).ok());
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(writable, 0);
  ASSERT_TRUE(loop->SetInterest(p.w, kWritable).ok());
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(writable, 1);
  EXPECT_EQ(loop->SetInterest(999, kReadable).code(), absl::StatusCode::kNotFound);
}

TEST(EventLoopTest, AddFdErrors) {
  auto loop = MakeLoop();
  Pipe p;
  ASSERT_TRUE(loop->AddFd(p.r, kReadable, [](uint32_t) {}).ok());
  EXPECT_EQ(loop->AddFd(p.r, kReadable, [](uint32_t) {}).code(),
            absl::StatusCode::kAlreadyExists);
  absl::Status bad = loop->AddFd(-1, kReadable, [](uint32_t) {});
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("Bad file descriptor"), std::string::npos) << bad;
}

TEST(EventLoopTest, CallbackMayRemoveAnotherReadyFdAndItself) {
  auto loop = MakeLoop();
  Pipe a, b;
  a.Put('1');
  b.Put('2');
  int a_calls = 0, b_calls = 0;
  // Whichever runs first removes both; the other must not be called.
  auto remove_both = [&] {
    loop->RemoveFd(a.r);
    loop->RemoveFd(b.r);
  };
  ASSERT_TRUE(loop->AddFd(a.r, kReadable, [&](uint32_t) {
                    ++a_calls;
                    remove_both();
                  }).ok());
  ASSERT_TRUE(loop->AddFd(b.r, kReadable, [&](uint32_t) {
                    ++b_calls;
                    remove_both();
                  }).ok());
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());
  EXPECT_EQ(a_calls + b_calls, 1);
  EXPECT_EQ(loop->registered_fds(), 0u);
}

TEST(EventLoopTest, CallbackStateSurvivesSelfRemoval) {
  auto loop = MakeLoop();
  Pipe p;
  p.Put('z');
  auto owned = std::make_unique<std::string>("alive");
  std::string seen;
  ASSERT_TRUE(loop->AddFd(p.r, kReadable, [&, s = std::move(owned)](uint32_t) {
                    loop->RemoveFd(p.r);  // destroys the registration...
                    seen = *s;            // ...but not this callback's state yet
                  }).ok());
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());
  EXPECT_EQ(seen, "alive");
}

TEST(EventLoopTest, ReRegisteredFdDoesNotGetTheOldRegistrationsEvents) {
  auto loop = MakeLoop();
  Pipe a, b;
  a.Put('1');
  b.Put('2');
  int old_calls = 0, new_calls = 0;
  // a's callback removes b and registers b again with a new callback; b's
  // stale event from this round must not reach either callback.
  auto on_b_old = [&](uint32_t) { ++old_calls; };
  ASSERT_TRUE(loop->AddFd(a.r, kReadable, [&](uint32_t) {
                    char c;
                    ASSERT_EQ(read(a.r, &c, 1), 1);
                    if (loop->HasFd(b.r) && old_calls == 0) {
                      loop->RemoveFd(b.r);
                      ASSERT_TRUE(loop->AddFd(b.r, kReadable, [&](uint32_t) {
                                        ++new_calls;
                                        char d;
                                        ASSERT_EQ(read(b.r, &d, 1), 1);
                                      }).ok());
                    }
                  }).ok());
  ASSERT_TRUE(loop->AddFd(b.r, kReadable, on_b_old).ok());
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());
  // Either b's old callback ran before a's (then a did not replace it), or a
  // replaced it and neither b callback ran this round.
  EXPECT_EQ(new_calls, 0);
  ASSERT_TRUE(loop->RunOnce(absl::Seconds(1)).ok());
  if (old_calls == 0) {
    EXPECT_EQ(new_calls, 1);
  }
}

TEST(EventLoopTest, NestedRunOnceIsRejected) {
  auto loop = MakeLoop();
  absl::Status nested;
  loop->AddTimerAfter(absl::ZeroDuration(), [&] { nested = loop->RunOnce(absl::ZeroDuration()); });
  ASSERT_TRUE(loop->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(nested.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(EventLoopTest, WaitIsBoundedByMaxWait) {
  auto loop = MakeLoop();
  Pipe p;
  ASSERT_TRUE(loop->AddFd(p.r, kReadable, [](uint32_t) {}).ok());
  const absl::Time start = loop->Now();
  ASSERT_TRUE(loop->RunOnce(absl::Milliseconds(10)).ok());
  const absl::Duration took = loop->Now() - start;
  EXPECT_GE(took, absl::Milliseconds(9));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(EventLoopTest, RunUntilStopsWhenDoneOrAtTheTimeout) {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();
  bool fired = false;
  (*loop)->AddTimerAfter(absl::Milliseconds(20), [&] { fired = true; });
  EXPECT_TRUE((*loop)->RunUntil([&] { return fired; }, absl::Seconds(5)).ok());
  int asked = 0;
  const absl::Time start = (*loop)->Now();
  absl::Status s = (*loop)->RunUntil([&] { return ++asked < 0; }, absl::Milliseconds(50),
                                     absl::Milliseconds(10));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE((*loop)->Now() - start, absl::Milliseconds(50));
  EXPECT_GE(asked, 3) << "asked at least every step";
  EXPECT_TRUE((*loop)->RunUntil([] { return true; }, absl::ZeroDuration()).ok());
}

}  // namespace
}  // namespace mtcore::io
