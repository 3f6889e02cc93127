// Runs under node 20 (--config=wasm), where globalThis.crypto is Web Crypto.
#include "io/websocket/browser_random.h"

#include <set>

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace mtcore::io {
namespace {

size_t PopCount(ByteView b) {
  size_t n = 0;
  for (uint8_t x : b) n += size_t(__builtin_popcount(x));
  return n;
}

TEST(BrowserRandomTest, FillsLargeBuffersWithBalancedBits) {
  auto rng = BrowserRandom::Create();
  ASSERT_TRUE(rng.ok()) << rng.status();
  Bytes buf(100000);
  (*rng)->Fill(MutableByteView(buf));
  const size_t bits = PopCount(buf);
  EXPECT_GT(bits, 395500u);  // 800000 fair bits: mean 400000, sd ~447
  EXPECT_LT(bits, 404500u);
}

TEST(BrowserRandomTest, SuccessiveDrawsAndInstancesDiffer) {
  auto a = BrowserRandom::Create();
  auto b = BrowserRandom::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(crypto::RandomBytes(**a, 16));
    seen.insert(crypto::RandomBytes(**b, 16));
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(BrowserRandomTest, HostBytesSpanSeveralGetRandomValuesCalls) {
  Bytes big(200000);  // > 65536: needs several getRandomValues calls
  ASSERT_TRUE(GetHostRandomBytes(MutableByteView(big)).ok());
  // Every 64 KiB piece was written (a skipped piece would stay all zero).
  for (size_t off = 0; off < big.size(); off += 65536) {
    ByteView piece = ByteView(big).subspan(off, 65536);
    EXPECT_GT(PopCount(piece), piece.size() * 3);
  }
  EXPECT_TRUE(GetHostRandomBytes(MutableByteView()).ok());
}

}  // namespace
}  // namespace mtcore::io
