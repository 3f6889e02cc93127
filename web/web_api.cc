// C entry points of the WebAssembly module (see web/BUILD). Strings returned
// point into static storage owned by the module; copy them on the JS side.
#include <string>

#include "core/buildinfo/buildinfo.h"

extern "C" {

const char* mtcore_build_info() {
  static const std::string text = mtcore::FormatBuildInfo(mtcore::GetBuildInfo());
  return text.c_str();
}

// "" when every known-answer test passes, else the first failure.
const char* mtcore_self_check() {
  static std::string result;
  absl::Status s = mtcore::RunCryptoSelfCheck();
  result = s.ok() ? "" : s.ToString();
  return result.c_str();
}

}  // extern "C"
