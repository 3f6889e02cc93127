// Fuzzes ParseTl(): any input must yield a schema or an error, never a crash,
// and every definition of a parsed schema must be usable by ComputeId().
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tlgen/id.h"
#include "tlgen/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mtcore::tlgen::Schema> schema = mtcore::tlgen::ParseTl(text, "fuzz.tl");
  if (schema.ok()) {
    mtcore::tlgen::VerifyIds(*schema);
  }
  return 0;
}
