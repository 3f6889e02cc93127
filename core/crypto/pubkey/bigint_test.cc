#include "core/crypto/pubkey/bigint.h"

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

using ::testing::HasSubstr;

BigInt Hex(std::string_view h) { return *BigInt::FromBigEndian(*HexDecode(h)); }

TEST(BigIntTest, BigEndianRoundTrip) {
  BigInt v = Hex("00000102030405060708090a");
  EXPECT_EQ(HexEncode(v.ToBigEndian()), "0102030405060708090a");
  EXPECT_EQ(HexEncode(*v.ToBigEndian(12)), "00000102030405060708090a");
  EXPECT_EQ(v.BitLength(), 73u);
  absl::StatusOr<Bytes> too_short = v.ToBigEndian(9);
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(BigInt().IsZero());
  EXPECT_TRUE(BigInt().ToBigEndian().empty());
  EXPECT_EQ(*BigInt(0x1122334455667788u).ToUint64(), 0x1122334455667788u);
  EXPECT_EQ(Hex("010000000000000000").ToUint64().status().code(), absl::StatusCode::kOutOfRange);
}

TEST(BigIntTest, FromDecimal) {
  EXPECT_EQ(*BigInt::FromDecimal("18446744073709551617"), Hex("010000000000000001"));
  EXPECT_THAT(BigInt::FromDecimal("12a").status().message(), HasSubstr("not a digit at offset 2"));
  EXPECT_FALSE(BigInt::FromDecimal("").ok());
}

TEST(BigIntTest, CompareAndArithmetic) {
  BigInt a(1000), b(999);
  EXPECT_GT(a, b);
  EXPECT_EQ(a.Compare(1000), 0);
  EXPECT_EQ(*BigInt::Add(a, b), BigInt(1999));
  EXPECT_EQ(*BigInt::Sub(a, b), BigInt(1));
  EXPECT_EQ(BigInt::Sub(b, a).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*BigInt::Mul(a, b), BigInt(999000));
  EXPECT_EQ(*BigInt::Mod(a, BigInt(7)), BigInt(1000 % 7));
  EXPECT_EQ(BigInt::Mod(a, BigInt()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*BigInt::ModSub(b, a, BigInt(7)), BigInt(6));  // -1 mod 7
  EXPECT_EQ(*BigInt::ModAdd(a, b, BigInt(1000)), BigInt(999));
  EXPECT_EQ(*BigInt::ModMul(a, b, BigInt(1001)), BigInt(999000 % 1001));
  EXPECT_EQ(*BigInt::ShiftLeft(BigInt(1), 100), Hex("10000000000000000000000000"));
  EXPECT_EQ(*BigInt::ShiftRight(Hex("10000000000000000000000000"), 99), BigInt(2));
  EXPECT_EQ(*a.ModSmall(24), 1000u % 24);
  EXPECT_TRUE(BigInt(7).IsOdd());
  EXPECT_TRUE(BigInt(6).Bit(1));
  EXPECT_FALSE(BigInt(6).Bit(0));
}

TEST(BigIntTest, ModExp) {
  EXPECT_EQ(*BigInt::ModExp(BigInt(3), BigInt(6), BigInt(47)), BigInt(24));
  // Fermat: 2^(p-1) = 1 mod p for p = 2^61 - 1.
  BigInt p((uint64_t{1} << 61) - 1);
  EXPECT_EQ(*BigInt::ModExp(BigInt(2), *BigInt::Sub(p, BigInt(1)), p), BigInt(1));
  EXPECT_THAT(BigInt::ModExp(BigInt(2), BigInt(3), BigInt(10)).status().message(),
              HasSubstr("modulus must be odd"));
  EXPECT_FALSE(BigInt::ModExp(BigInt(2), BigInt(3), BigInt(1)).ok());
}

TEST(BigIntTest, CopyAndMoveKeepValues) {
  BigInt a = Hex("0123456789abcdef0123456789abcdef");
  BigInt b = a;
  EXPECT_EQ(a, b);
  BigInt c = std::move(a);
  EXPECT_EQ(c, b);
  BigInt d(5);
  d = std::move(c);
  EXPECT_EQ(d, b);
  d = BigInt(9);
  EXPECT_EQ(d, BigInt(9));
}

TEST(BigIntTest, ProbablePrime) {
  DeterministicRandom rng(1);
  EXPECT_TRUE(*BigInt((uint64_t{1} << 61) - 1).IsProbablePrime(16, rng));
  EXPECT_FALSE(*BigInt(uint64_t{4294967291u} * 4294967279u).IsProbablePrime(16, rng));
  EXPECT_FALSE(*BigInt(1).IsProbablePrime(16, rng));
  EXPECT_FALSE(*BigInt(0).IsProbablePrime(16, rng));
  EXPECT_TRUE(*BigInt(2).IsProbablePrime(16, rng));
  EXPECT_FALSE(BigInt(7).IsProbablePrime(0, rng).ok());
}

TEST(BigIntTest, RandomUsesTheSource) {
  DeterministicRandom r1(7), r2(7);
  BigInt a = *BigInt::Random(r1, 256);
  BigInt b = *BigInt::Random(r2, 256);
  EXPECT_EQ(a, b);
  EXPECT_GT(a.BitLength(), 2000u);
}

}  // namespace
}  // namespace mtcore::crypto
