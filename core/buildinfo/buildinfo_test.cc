#include "core/buildinfo/buildinfo.h"

#include "gtest/gtest.h"

namespace mtcore {
namespace {

TEST(BuildInfoTest, DescribesTheTargetAndDependencies) {
  BuildInfo info = GetBuildInfo();
#if defined(__EMSCRIPTEN__)
  EXPECT_EQ(info.target, "wasm32-emscripten");
  EXPECT_FALSE(info.mbedtls_aesni);
#else
  EXPECT_EQ(info.target, "x86_64-linux");
#endif
  EXPECT_EQ(info.abseil, "20220623.1");
  EXPECT_EQ(info.mbedtls, "2.28.3");
  EXPECT_EQ(info.cxx_standard, "C++20 (202002)");
  std::string text = FormatBuildInfo(info);
  EXPECT_NE(text.find("mbedtls: 2.28.3\n"), std::string::npos) << text;
}

TEST(BuildInfoTest, CryptoSelfCheckPasses) {
  absl::Status s = RunCryptoSelfCheck();
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace mtcore
