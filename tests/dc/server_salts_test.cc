#include "tests/dc/server_salts.h"

#include "gtest/gtest.h"

namespace mtcore::dc {
namespace {

constexpr int64_t kS = 1000000000;
constexpr int64_t kT0 = int64_t{1767225600} * kS;  // a multiple of 3600 s

TEST(ServerSaltsTest, InitialSaltHoldsForItsWindowPlusGrace) {
  crypto::DeterministicRandom rng(1);
  ServerSalts salts({.period_s = 3600, .grace_s = 1800}, rng);
  salts.SetInitial(77, kT0 + 10 * kS);
  EXPECT_EQ(salts.Current(kT0), 77u);
  EXPECT_TRUE(salts.Accepts(77, kT0 + 3599 * kS));
  const uint64_t next = salts.Current(kT0 + 3600 * kS);
  EXPECT_NE(next, 77u);
  EXPECT_TRUE(salts.Accepts(77, kT0 + (3600 + 1799) * kS));   // grace
  EXPECT_FALSE(salts.Accepts(77, kT0 + (3600 + 1800) * kS));  // after it
  EXPECT_TRUE(salts.Accepts(next, kT0 + (3600 + 1800) * kS));
  EXPECT_FALSE(salts.Accepts(next, kT0));  // a future salt is not valid yet
}

TEST(ServerSaltsTest, FutureSaltsAreTheSaltsOfTheComingWindows) {
  crypto::DeterministicRandom rng(2);
  ServerSalts salts({.period_s = 600, .grace_s = 60}, rng);
  std::vector<session::FutureSalt> f = salts.Future(kT0 + 5 * kS, 4);
  ASSERT_EQ(f.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(f[i].valid_since, 1767225600 + 600 * i);
    EXPECT_EQ(f[i].valid_until, 1767225600 + 600 * (i + 1) + 60);
    EXPECT_EQ(f[i].salt, salts.Current(kT0 + int64_t{600} * i * kS));
  }
  EXPECT_EQ(salts.Future(kT0, 1000).size(), 64u);
  EXPECT_EQ(salts.Future(kT0, -3).size(), 1u);
}

TEST(ServerSaltsTest, RotateNowReplacesTheSaltWithoutGrace) {
  crypto::DeterministicRandom rng(3);
  ServerSalts salts({}, rng);
  salts.SetInitial(5, kT0);
  salts.RotateNow(kT0 + kS);
  EXPECT_NE(salts.Current(kT0 + kS), 5u);
  EXPECT_FALSE(salts.Accepts(5, kT0 + kS));
  // Next window: the rotated salt gets no grace either.
  const uint64_t rotated = salts.Current(kT0 + kS);
  EXPECT_FALSE(salts.Accepts(rotated, kT0 + 3601 * kS));
}

TEST(ServerSaltsTest, OptionsAreClamped) {
  crypto::DeterministicRandom rng(4);
  ServerSalts salts({.period_s = 0, .grace_s = 100}, rng);  // period 1 s, grace 0
  const uint64_t a = salts.Current(kT0);
  EXPECT_TRUE(salts.Accepts(a, kT0 + kS / 2));
  EXPECT_FALSE(salts.Accepts(a, kT0 + kS));
}

}  // namespace
}  // namespace mtcore::dc
