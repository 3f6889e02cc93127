#include "tests/dc/gzip.h"

#include "gtest/gtest.h"

namespace mtcore::dc {
namespace {

Bytes Sample(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 7) % 13);
  return b;
}

TEST(GzipTest, RoundTripAndGzipHeader) {
  for (size_t n : {0, 1, 100, 100000}) {
    absl::StatusOr<Bytes> packed = GzipCompress(Sample(n));
    ASSERT_TRUE(packed.ok());
    ASSERT_GE(packed->size(), 18u);
    EXPECT_EQ((*packed)[0], 0x1f);
    EXPECT_EQ((*packed)[1], 0x8b);
    absl::StatusOr<Bytes> plain = GzipDecompress(*packed, 1 << 20);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(*plain, Sample(n));
  }
}

TEST(GzipTest, OutputLimit) {
  absl::StatusOr<Bytes> packed = GzipCompress(Bytes(100000, 0));
  ASSERT_TRUE(packed.ok());
  EXPECT_LT(packed->size(), 1000u);
  EXPECT_EQ(GzipDecompress(*packed, 99999).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(GzipDecompress(*packed, 100000).ok());
}

TEST(GzipTest, CorruptTruncatedAndTrailingBytes) {
  Bytes packed = *GzipCompress(Sample(5000));
  Bytes truncated(packed.begin(), packed.end() - 5);
  EXPECT_EQ(GzipDecompress(truncated, 1 << 20).status().code(), absl::StatusCode::kDataLoss);
  Bytes corrupt = packed;
  corrupt[packed.size() / 2] ^= 0xff;
  EXPECT_EQ(GzipDecompress(corrupt, 1 << 20).status().code(), absl::StatusCode::kDataLoss);
  Bytes trailing = packed;
  trailing.push_back(0);
  EXPECT_EQ(GzipDecompress(trailing, 1 << 20).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GzipDecompress({}, 1 << 20).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mtcore::dc
