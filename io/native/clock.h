// The OS clocks as small injectable interfaces.
//
// Time type: every instant in mtcore's drivers and engine is an `absl::Time`
// and every interval an `absl::Duration`. They are exact (no floating point),
// saturate instead of overflowing, and exist under WebAssembly too, so the
// sans-I/O engine in core/ can take `absl::Time now` on every platform.
//
// A *monotonic* instant is still an `absl::Time`, but measured from an
// arbitrary origin (here: `absl::UnixEpoch()` + CLOCK_MONOTONIC, i.e. roughly
// "time since boot"). Monotonic instants may only be compared with each other
// and offset by durations; never format one as a date or mix it with wall
// time. Wall time (`WallClock`) is Unix time and may jump (NTP, the user).
// Deadlines and timers always use the monotonic clock; wall time is only for
// what the protocol needs to know about the calendar (MTProto's msg_id and
// server-time offset).
//
// Example:
//   MonotonicClock& clock = SystemMonotonicClock();
//   absl::Time start = clock.Now();
//   ...
//   absl::Duration took = clock.Now() - start;
//
//   ManualClock fake(absl::UnixEpoch());   // tests: time moves only when told
//   fake.Advance(absl::Seconds(3));
#ifndef MTCORE_IO_NATIVE_CLOCK_H_
#define MTCORE_IO_NATIVE_CLOCK_H_

#include "absl/time/time.h"

namespace mtcore::io {

// A clock that never goes backwards. Now() returns instants measured from an
// unspecified origin (see the file comment).
class MonotonicClock {
 public:
  virtual ~MonotonicClock();
  // The current monotonic instant; never earlier than a previous call's result.
  virtual absl::Time Now() = 0;
};

// The calendar clock (Unix time). It may jump in either direction.
class WallClock {
 public:
  virtual ~WallClock();
  // The current Unix time.
  virtual absl::Time Now() = 0;
};

// The process-wide CLOCK_MONOTONIC clock (absl::UnixEpoch() + the reading).
// Thread-safe; lives for the whole program.
MonotonicClock& SystemMonotonicClock();

// The process-wide CLOCK_REALTIME clock. Thread-safe; lives for the whole program.
WallClock& SystemWallClock();

// A clock for tests and simulations that moves only when told to. It serves
// as both a monotonic and a wall clock. Not thread-safe.
class ManualClock final : public MonotonicClock, public WallClock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}

  // The instant last set.
  absl::Time Now() override { return now_; }

  // Moves time forward by `d`; a negative `d` is ignored (the clock stays
  // monotonic).
  void Advance(absl::Duration d) {
    if (d > absl::ZeroDuration()) now_ += d;
  }

  // Sets the time to `t` if it is not earlier than now; earlier values are
  // ignored (the clock stays monotonic).
  void AdvanceTo(absl::Time t) {
    if (t > now_) now_ = t;
  }

 private:
  absl::Time now_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_CLOCK_H_
