#include "io/native/clock.h"

#include <time.h>

#include <cstdlib>

namespace mtcore::io {
namespace {

absl::Time Read(clockid_t id) {
  timespec ts;
  // clock_gettime fails only for an invalid clock id or a bad pointer, and
  // both ids used here exist on every Linux this code runs on.
  if (clock_gettime(id, &ts) != 0) std::abort();
  return absl::TimeFromTimespec(ts);
}

class SystemMonotonic final : public MonotonicClock {
 public:
  absl::Time Now() override { return Read(CLOCK_MONOTONIC); }
};

class SystemWall final : public WallClock {
 public:
  absl::Time Now() override { return Read(CLOCK_REALTIME); }
};

}  // namespace

MonotonicClock::~MonotonicClock() = default;
WallClock::~WallClock() = default;

MonotonicClock& SystemMonotonicClock() {
  static SystemMonotonic* clock = new SystemMonotonic();
  return *clock;
}

WallClock& SystemWallClock() {
  static SystemWall* clock = new SystemWall();
  return *clock;
}

}  // namespace mtcore::io
