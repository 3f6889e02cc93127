#include "core/crypto/cpu_features.h"

#include "gtest/gtest.h"

namespace mtcore::crypto {
namespace {

TEST(CpuFeaturesTest, DetectionIsStableAcrossCalls) {
  const CpuFeatures& a = GetCpuFeatures();
  const CpuFeatures& b = GetCpuFeatures();
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.aesni, b.aesni);
  EXPECT_EQ(a.sha, b.sha);
}

#if defined(__EMSCRIPTEN__)
TEST(CpuFeaturesTest, WasmHasNoX86Extensions) {
  EXPECT_FALSE(GetCpuFeatures().aesni);
  EXPECT_FALSE(GetCpuFeatures().sha);
}
#endif

}  // namespace
}  // namespace mtcore::crypto
