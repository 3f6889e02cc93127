// The README's main job.
//
// Today it proves the build: it prints what the binary was built for and from,
// then runs known-answer tests of the crypto it links, timing each step. The
// simulated-DC flow (auth key, bot and user login, messages both ways) replaces
// these steps as the engine and the simulated DC land.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/buildinfo/buildinfo.h"

int main() {
  absl::Time start = absl::Now();
  auto step = [&](const char* what) {
    absl::PrintF("[%8.3f ms] %s\n", absl::ToDoubleMilliseconds(absl::Now() - start), what);
  };
  step("mtcore quickstart");
  mtcore::BuildInfo info = mtcore::GetBuildInfo();
  std::fputs(mtcore::FormatBuildInfo(info).c_str(), stdout);
  step("build info read");
  absl::Status s = mtcore::RunCryptoSelfCheck();
  if (!s.ok()) {
    absl::FPrintF(stderr, "crypto self-check FAILED: %s\n", s.ToString());
    return 1;
  }
  step("crypto self-check passed (AES-256 FIPS-197, SHA-256 FIPS 180-2)");
  return 0;
}
