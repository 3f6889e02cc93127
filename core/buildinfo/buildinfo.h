// Build identity and a crypto self-check.
//
// `GetBuildInfo()` says what this binary was built for (native x86-64 or
// wasm32), by which compiler, and which versions of its C/C++ dependencies it
// links. `RunCryptoSelfCheck()` runs known-answer tests of the AES-256 and
// SHA-256 code actually linked into the binary, so a broken toolchain or a
// miscompiled dependency shows up as a clear error instead of bad ciphertext.
//
// Example:
//   std::cout << FormatBuildInfo(GetBuildInfo());
//   if (absl::Status s = RunCryptoSelfCheck(); !s.ok()) return 1;
#ifndef MTCORE_CORE_BUILDINFO_BUILDINFO_H_
#define MTCORE_CORE_BUILDINFO_BUILDINFO_H_

#include <string>

#include "absl/status/status.h"

namespace mtcore {

struct BuildInfo {
  std::string target;        // "x86_64-linux" or "wasm32-emscripten"
  std::string compiler;      // e.g. "gcc 12.2.0", "clang 14.0.6 (emscripten 3.1.6)"
  std::string cxx_standard;  // e.g. "C++20 (202002)"
  std::string abseil;        // LTS release, e.g. "20220623"
  std::string mbedtls;       // e.g. "2.28.3"
  bool mbedtls_aesni;        // Mbed TLS uses AES-NI on this CPU
};

// The build's identity (compile-time facts plus the AES-NI check, which asks
// the CPU through Mbed TLS; no I/O).
BuildInfo GetBuildInfo();

// One "key: value" line per field.
std::string FormatBuildInfo(const BuildInfo& info);

// Known-answer tests: AES-256 (FIPS-197 appendix C.3) encrypt and decrypt,
// SHA-256 of "abc" and of the 448-bit message of FIPS 180-2 appendix B.2.
// Returns the first mismatch as an InternalError naming the test.
absl::Status RunCryptoSelfCheck();

}  // namespace mtcore

#endif  // MTCORE_CORE_BUILDINFO_BUILDINFO_H_
