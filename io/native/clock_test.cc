#include "io/native/clock.h"

#include <time.h>

#include "gtest/gtest.h"

namespace mtcore::io {
namespace {

TEST(SystemMonotonicClockTest, NeverGoesBackwardsAndAdvances) {
  MonotonicClock& clock = SystemMonotonicClock();
  absl::Time prev = clock.Now();
  for (int i = 0; i < 10000; ++i) {
    absl::Time t = clock.Now();
    ASSERT_GE(t, prev);
    prev = t;
  }
  timespec ts = {0, 2'000'000};  // 2 ms
  nanosleep(&ts, nullptr);
  EXPECT_GE(clock.Now() - prev, absl::Milliseconds(2));
}

TEST(SystemWallClockTest, IsUnixTime) {
  // Any machine running this test is past 2020-01-01 and before 2100.
  absl::Time now = SystemWallClock().Now();
  EXPECT_GT(now, absl::FromUnixSeconds(1577836800));
  EXPECT_LT(now, absl::FromUnixSeconds(4102444800));
}

TEST(ManualClockTest, MovesOnlyForwardAndOnlyWhenTold) {
  ManualClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(101500));
  clock.Advance(-absl::Seconds(10));  // ignored
  clock.AdvanceTo(absl::FromUnixSeconds(50));  // ignored
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(101500));
  clock.AdvanceTo(absl::FromUnixSeconds(200));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(200));
  // Usable through both interfaces.
  MonotonicClock& mono = clock;
  WallClock& wall = clock;
  EXPECT_EQ(mono.Now(), wall.Now());
}

}  // namespace
}  // namespace mtcore::io
