// Fuzzes ReadMtcuteJson() (and the JSON parser under it): any input must
// yield a schema or an error, never a crash; a schema must print and hash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tlgen/id.h"
#include "tlgen/json_reader.h"
#include "tlgen/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mtcore::tlgen::Schema> schema = mtcore::tlgen::ReadMtcuteJson(text, "fuzz.json");
  if (schema.ok()) {
    mtcore::tlgen::VerifyIds(*schema);
    mtcore::tlgen::PrintTl(*schema);
  }
  return 0;
}
