// A single-threaded epoll event loop: fd readiness callbacks and one-shot
// timers ordered by deadline.
//
// The loop is the native driver's heart. Following the shape of a sans-I/O
// driver loop (feed bytes in, drain output, re-arm one timer), it waits in
// epoll_wait until an fd is ready or the earliest timer is due, then runs the
// callbacks. Timers are on the injected MonotonicClock (see clock.h).
//
// Threading: everything, including Stop(), is called from the thread that runs
// the loop. There is no cross-thread wakeup here: work done on another thread
// comes back through an fd the loop watches (Resolver's eventfd, resolver.h).
//
// Re-entrancy: callbacks may add or cancel timers, add, modify or remove fds
// (including their own), call Stop(), and destroy the objects that own those
// registrations, all while the loop dispatches. Precisely:
//   - a removed fd's callback is never called again, even for events already
//     returned by the same epoll_wait;
//   - a cancelled timer never fires, even if it was due in the same round;
//   - a timer added by a timer callback fires in a later round, even if its
//     deadline has passed, so a timer that re-adds itself "now" cannot starve
//     fds;
//   - a callback object stays alive until it returns, even if it removed its
//     own registration.
// Callbacks must not call RunOnce()/Run() (nested loops); those calls return
// FailedPrecondition.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<EventLoop> loop, EventLoop::Create());
//   loop->AddTimer(loop->Now() + absl::Seconds(1), [&] { loop->Stop(); });
//   MTCORE_RETURN_IF_ERROR(loop->Run());
#ifndef MTCORE_IO_NATIVE_EVENT_LOOP_H_
#define MTCORE_IO_NATIVE_EVENT_LOOP_H_

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "io/native/clock.h"

namespace mtcore::io {

// Readiness bits, used both for interest (what to wait for) and for the
// events passed to an fd callback.
enum FdEvents : uint32_t {
  kNoEvents = 0,
  kReadable = 1u << 0,  // data, EOF or a pending connection
  kWritable = 1u << 1,  // buffer space, or a non-blocking connect finished
  // Delivered whatever the interest: an error or hangup (EPOLLERR/EPOLLHUP).
  // The callback should read the socket error (SO_ERROR) or read to EOF.
  kErrorOrHangup = 1u << 2,
};

// Identifies a timer for CancelTimer. Never 0; never reused within a loop.
using TimerId = uint64_t;

class EventLoop {
 public:
  using FdCallback = absl::AnyInvocable<void(uint32_t events)>;
  using TimerCallback = absl::AnyInvocable<void()>;

  // A loop on `clock` (the system monotonic clock by default; the clock must
  // outlive the loop). Fails with the epoll_create1 errno (e.g.
  // ResourceExhausted when out of descriptors).
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(
      MonotonicClock& clock = SystemMonotonicClock());

  // Closes the epoll fd. Registered fds are not closed (their owners close
  // them); pending timers are dropped without running.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The loop's clock reading.
  absl::Time Now() { return clock_.Now(); }
  MonotonicClock& clock() { return clock_; }

  // Watches `fd` (which the caller owns and keeps open until RemoveFd) for
  // `interest` (kReadable/kWritable bits; may be kNoEvents). `callback` gets
  // the ready bits. Level-triggered: it is called every round while the
  // condition holds. Errors: AlreadyExists if `fd` is already registered;
  // the epoll_ctl errno otherwise (InvalidArgument for a bad fd).
  absl::Status AddFd(int fd, uint32_t interest, FdCallback callback);

  // Changes what `fd` waits for. Errors: NotFound if `fd` is not registered;
  // the epoll_ctl errno otherwise.
  absl::Status SetInterest(int fd, uint32_t interest);

  // Stops watching `fd`; its callback is never called again. Call it before
  // closing `fd`. Removing an unregistered fd does nothing.
  void RemoveFd(int fd);

  // Whether `fd` is registered.
  bool HasFd(int fd) const { return fds_.contains(fd); }

  // Runs `callback` once, in the first round at or after `deadline` (on this
  // loop's clock). Timers due in the same round run in deadline order, ties in
  // the order they were added. A deadline in the past means "next round".
  TimerId AddTimer(absl::Time deadline, TimerCallback callback);

  // AddTimer(Now() + delay, callback).
  TimerId AddTimerAfter(absl::Duration delay, TimerCallback callback) {
    return AddTimer(Now() + delay, std::move(callback));
  }

  // Cancels a pending timer. Returns false if `id` already fired, was
  // cancelled, or never existed (so callers may cancel unconditionally).
  bool CancelTimer(TimerId id);

  // The earliest pending timer's deadline, or InfiniteFuture() if none.
  absl::Time NextTimerDeadline() const;

  // Number of pending timers and registered fds (for tests and leak checks).
  size_t pending_timers() const { return timers_.size(); }
  size_t registered_fds() const { return fds_.size(); }

  // One round: waits up to `max_wait` (less if a timer is due sooner; zero
  // means poll) for fd events, dispatches them, then runs the timers that are
  // due. Errors: FailedPrecondition if called from a callback; the
  // epoll_wait errno (other than EINTR, which counts as an empty round).
  absl::Status RunOnce(absl::Duration max_wait);

  // Runs rounds until Stop() is called or there is nothing left to wait for
  // (no fds and no timers). Returns OK then, or the first RunOnce error.
  // A Stop() made while not running makes the next Run() return at once.
  absl::Status Run();

  // Runs rounds until `done()` (asked before the first round and after each)
  // is true: OK. DeadlineExceeded if it is still false after `timeout`, or
  // the first RunOnce error. Rounds wait at most `step`, so `done` is asked
  // at least that often. For blocking helpers on top of an engine (calls
  // that wait for their answer).
  absl::Status RunUntil(const std::function<bool()>& done, absl::Duration timeout,
                        absl::Duration step = absl::Milliseconds(100));

  // Makes Run() return after the current round. Safe from callbacks.
  void Stop() { stop_requested_ = true; }

 private:
  struct FdEntry {
    int fd;
    uint64_t token;  // epoll data; distinguishes re-registrations of one fd
    uint32_t interest;
    FdCallback callback;
  };

  explicit EventLoop(MonotonicClock& clock, int epoll_fd);
  void RunDueTimers();

  MonotonicClock& clock_;
  const int epoll_fd_;
  uint64_t next_token_ = 1;
  TimerId next_timer_id_ = 1;
  bool dispatching_ = false;
  bool stop_requested_ = false;
  // fd -> entry, token -> entry (shared so a running callback survives removal).
  absl::flat_hash_map<int, std::shared_ptr<FdEntry>> fds_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<FdEntry>> by_token_;
  // (deadline, id) -> callback; id -> deadline for cancellation.
  std::map<std::pair<absl::Time, TimerId>, TimerCallback> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_deadlines_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_EVENT_LOOP_H_
