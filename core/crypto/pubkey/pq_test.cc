#include "core/crypto/pubkey/pq.h"

#include <cstdint>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

TEST(PqTest, WorkedExampleFromAuthKeySamples) {
  // VECTORS.md section 3: 2694724800268887959 = 1513098571 * 1780931429.
  Bytes pq = *HexDecode("256595edb7766797");
  absl::StatusOr<PqFactors> f = FactorizePq(pq);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->p, 1513098571u);
  EXPECT_EQ(f->q, 1780931429u);
  EXPECT_EQ(HexEncode(PqFactorToBytes(f->p)), "5a300d4b");  // as in p_q_inner_data
  EXPECT_EQ(HexEncode(PqFactorToBytes(f->q)), "6a26db65");
}

TEST(PqTest, FactorsLargeSemiprimes) {
  struct Case {
    uint64_t p, q;
  } cases[] = {
      {2147483647u, 4294967291u},            // 2^31-1 * largest 32-bit prime
      {4294967291u, 4294967279u},            // ~2^64, both near 2^32
      {3u, 6148914691236517199u},            // tiny p, huge q
      {1000003u, 1000033u},
      {2u, 4611686018427387847u},            // even pq
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(IsPrime64(c.p)) << c.p;
    ASSERT_TRUE(IsPrime64(c.q)) << c.q;
    absl::StatusOr<PqFactors> f = FactorizePq(c.p * c.q);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->p, std::min(c.p, c.q));
    EXPECT_EQ(f->q, std::max(c.p, c.q));
  }
}

TEST(PqTest, SmallestValid) {
  absl::StatusOr<PqFactors> f = FactorizePq(uint64_t{6});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->p, 2u);
  EXPECT_EQ(f->q, 3u);
}

TEST(PqTest, LeadingZeroBytesAccepted) {
  absl::StatusOr<PqFactors> f = FactorizePq(*HexDecode("0000000f"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->p, 3u);
  EXPECT_EQ(f->q, 5u);
}

TEST(PqTest, RejectsPrime) {
  absl::StatusOr<PqFactors> f = FactorizePq(uint64_t{1780931429});
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("pq: is prime"));
  // The largest 64-bit prime.
  f = FactorizePq(uint64_t{18446744073709551557u});
  EXPECT_THAT(f.status().message(), HasSubstr("pq: is prime"));
}

TEST(PqTest, RejectsEmptyAndTooLong) {
  absl::StatusOr<PqFactors> f = FactorizePq(ByteView());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("pq: empty"));
  f = FactorizePq(*HexDecode("010000000000000000"));
  EXPECT_THAT(f.status().message(), HasSubstr("pq: longer than 8 bytes"));
}

TEST(PqTest, RejectsTinyValues) {
  for (uint64_t v : {0, 1, 2, 3, 4, 5}) {
    absl::StatusOr<PqFactors> f = FactorizePq(v);
    EXPECT_THAT(f.status().message(), HasSubstr("pq: less than 6")) << v;
  }
}

TEST(PqTest, RejectsSquareOfPrime) {
  absl::StatusOr<PqFactors> f = FactorizePq(uint64_t{1513098571} * 1513098571);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(f.status().message(), HasSubstr("pq: is the square of a prime"));
  f = FactorizePq(uint64_t{9});
  EXPECT_THAT(f.status().message(), HasSubstr("pq: is the square of a prime"));
}

TEST(PqTest, RejectsMoreThanTwoFactors) {
  for (uint64_t v : {uint64_t{8}, uint64_t{3} * 5 * 7, uint64_t{1000003} * 1000033 * 101,
                     uint64_t{65537} * 65537 * 65537}) {
    absl::StatusOr<PqFactors> f = FactorizePq(v);
    EXPECT_THAT(f.status().message(), HasSubstr("pq: has more than two prime factors")) << v;
  }
}

TEST(PqTest, IsPrime64) {
  EXPECT_FALSE(IsPrime64(0));
  EXPECT_FALSE(IsPrime64(1));
  EXPECT_TRUE(IsPrime64(2));
  EXPECT_TRUE(IsPrime64(37));
  EXPECT_FALSE(IsPrime64(3215031751u));  // strong pseudoprime to bases 2, 3, 5, 7
  EXPECT_TRUE(IsPrime64(18446744073709551557u));
  EXPECT_FALSE(IsPrime64(18446744073709551615u));
  EXPECT_FALSE(IsPrime64(uint64_t{4294967291u} * 4294967279u));
}

TEST(PqTest, DeterministicSeriesOf63BitSemiprimes) {
  // A fixed LCG picks 31/32-bit primes; every product must factor back.
  uint64_t s = 12345;
  auto next_prime = [&s](int bits) {
    for (;;) {
      s = s * 6364136223846793005u + 1442695040888963407u;
      uint64_t c = (s >> (64 - bits)) | (uint64_t{1} << (bits - 1)) | 1;
      if (IsPrime64(c)) return c;
    }
  };
  for (int i = 0; i < 50; ++i) {
    uint64_t p = next_prime(31), q = next_prime(32);
    if (p == q) continue;
    absl::StatusOr<PqFactors> f = FactorizePq(p * q);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->p, std::min(p, q));
    EXPECT_EQ(f->q, std::max(p, q));
  }
}

}  // namespace
}  // namespace mtcore::crypto
