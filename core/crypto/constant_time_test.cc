#include "core/crypto/constant_time.h"

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

TEST(ConstantTimeTest, Equal) {
  Bytes a = {1, 2, 3, 4}, b = {1, 2, 3, 4};
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  EXPECT_TRUE(ConstantTimeEqual(ByteView(), ByteView()));
}

TEST(ConstantTimeTest, AnySingleBitDifferenceIsUnequal) {
  Bytes a(16, 0x5a);
  for (size_t i = 0; i < a.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes b = a;
      b[i] ^= uint8_t(1 << bit);
      EXPECT_FALSE(ConstantTimeEqual(a, b)) << i << ":" << bit;
    }
  }
}

TEST(ConstantTimeTest, DifferentLengthsAreUnequal) {
  Bytes a = {1, 2, 3}, b = {1, 2, 3, 0};
  EXPECT_FALSE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(b, a));
}

TEST(ConstantTimeTest, IsZero) {
  EXPECT_TRUE(ConstantTimeIsZero(Bytes(32, 0)));
  EXPECT_TRUE(ConstantTimeIsZero(ByteView()));
  Bytes z(32, 0);
  z[31] = 0x80;
  EXPECT_FALSE(ConstantTimeIsZero(z));
}

}  // namespace
}  // namespace mtcore::crypto
