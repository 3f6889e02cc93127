// Any bytes into ParseMarkdownV2: an error, or text + entities that
// ToMarkdownV2 writes in full and that parse back to the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/text/markdown.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore::text;
  absl::StatusOr<FormattedText> t =
      ParseMarkdownV2(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!t.ok()) return 0;
  std::vector<mtcore::tl::MessageEntity> written;
  absl::StatusOr<std::string> md = ToMarkdownV2(*t, &written);
  if (!md.ok() || written != t->entities) abort();
  absl::StatusOr<FormattedText> back = ParseMarkdownV2(*md);
  if (!back.ok() || !(*back == *t)) abort();
  return 0;
}
