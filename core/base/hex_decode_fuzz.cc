// Fuzz target: HexDecode over arbitrary text. Any successful decode must
// re-encode to the input lowercased; failures must be InvalidArgument.
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "core/base/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mtcore::Bytes> decoded = mtcore::HexDecode(text);
  if (decoded.ok()) {
    if (mtcore::HexEncode(*decoded) != absl::AsciiStrToLower(text)) std::abort();
  } else if (decoded.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
