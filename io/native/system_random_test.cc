#include "io/native/system_random.h"

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace mtcore::io {
namespace {

// Bits set in `b` (for a crude sanity check that output is not constant).
size_t PopCount(ByteView b) {
  size_t n = 0;
  for (uint8_t x : b) n += size_t(__builtin_popcount(x));
  return n;
}

TEST(SystemRandomTest, FillsLargeBuffersWithBalancedBits) {
  auto rng = SystemRandom::Create();
  ASSERT_TRUE(rng.ok()) << rng.status();
  Bytes buf(100000);  // spans many 1024-byte DRBG requests
  (*rng)->Fill(MutableByteView(buf));
  const size_t bits = PopCount(buf);
  // 800000 fair bits: mean 400000, sd ~ 447. 10 sd either way.
  EXPECT_GT(bits, 395500u);
  EXPECT_LT(bits, 404500u);
}

TEST(SystemRandomTest, SuccessiveDrawsAndInstancesDiffer) {
  auto a = SystemRandom::Create();
  auto b = SystemRandom::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(crypto::RandomBytes(**a, 16));
    seen.insert(crypto::RandomBytes(**b, 16));
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(SystemRandomTest, ConcurrentFillsAreSafe) {
  auto rng = SystemRandom::Create();
  ASSERT_TRUE(rng.ok());
  std::vector<std::thread> threads;
  std::vector<Bytes> out(4, Bytes(4096));
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) (*rng)->Fill(MutableByteView(out[t]));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_NE(out[0], out[t]);
}

TEST(SystemRandomTest, ForkedChildDoesNotRepeatTheParentStream) {
  auto rng = SystemRandom::Create();
  ASSERT_TRUE(rng.ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Bytes child = crypto::RandomBytes(**rng, 32);
    ssize_t w = write(fds[1], child.data(), child.size());
    _exit(w == 32 ? 0 : 1);
  }
  Bytes parent = crypto::RandomBytes(**rng, 32);
  Bytes child(32);
  ASSERT_EQ(read(fds[0], child.data(), 32), 32);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(parent, child);
}

TEST(SystemRandomTest, GetRandomBytesFillsAndAcceptsEmpty) {
  Bytes a(64), b(64);
  EXPECT_TRUE(GetRandomBytes(MutableByteView(a)).ok());
  EXPECT_TRUE(GetRandomBytes(MutableByteView(b)).ok());
  EXPECT_NE(a, b);
  EXPECT_TRUE(GetRandomBytes(MutableByteView()).ok());
}

}  // namespace
}  // namespace mtcore::io
