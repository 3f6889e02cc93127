// Any bytes into ParseHtml: an error, or text + entities that ToHtml writes
// in full and that parse back to the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/text/html.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore::text;
  absl::StatusOr<FormattedText> t = ParseHtml(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!t.ok()) return 0;
  std::vector<mtcore::tl::MessageEntity> written;
  absl::StatusOr<std::string> html = ToHtml(*t, &written);
  if (!html.ok() || written != t->entities) abort();
  absl::StatusOr<FormattedText> back = ParseHtml(*html);
  if (!back.ok() || !(*back == *t)) abort();
  return 0;
}
