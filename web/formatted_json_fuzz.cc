// Arbitrary text into ReadFormattedText and WriteFormattedText, the way a
// page hands the module formatted text (HTML, MarkdownV2, or text + a JSON
// array of MessageEntity objects, e.g. a received message's).
//
// Input: byte 0 picks the operation (mod 5): read plain text + entities,
// read HTML, read MarkdownV2, write HTML, write MarkdownV2. For the three
// that take entities the rest is split at the first 0x01 byte: text before
// it, entities JSON after it (none: no entities).
//
// Properties, whenever the call succeeds:
//   - what was read goes to JSON ({text, entities}); its entities read back
//     from that JSON are the same;
//   - what was written parses back in its format (the writers write only
//     what their parsers read).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tl/dynamic/api_codec_for_tests.h"
#include "web/formatted_json.h"

namespace {

using mtcore::web::TextFormat;

[[noreturn]] void Fail(const char* what, std::string_view input, const absl::Status& status) {
  std::fprintf(stderr, "formatted_json_fuzz: %s\n  input: %.*s\n  status: %s\n", what,
               static_cast<int>(input.size()), input.data(), status.ToString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  const mtcore::tl::dynamic::DynamicCodec& codec = mtcore::tl::dynamic::ApiCodecForTests();
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int op = data[0] % 5;
  std::string_view text = input, entities;
  if (op == 0 || op >= 3) {
    const size_t cut = input.find('\x01');
    if (cut != std::string_view::npos) {
      text = input.substr(0, cut);
      entities = input.substr(cut + 1);
    }
  }
  if (op < 3) {
    const TextFormat format = op == 0 ? TextFormat::kText : op == 1 ? TextFormat::kHtml
                                                                    : TextFormat::kMarkdownV2;
    absl::StatusOr<mtcore::text::FormattedText> t =
        mtcore::web::ReadFormattedText(codec, format, text, entities);
    if (!t.ok()) return 0;
    absl::StatusOr<std::string> json = mtcore::web::FormattedTextJson(codec, *t);
    if (!json.ok()) Fail("FormattedTextJson failed", input, json.status());
    absl::StatusOr<std::string> array = mtcore::web::EntitiesJson(codec, t->entities);
    if (!array.ok()) Fail("EntitiesJson failed", input, array.status());
    absl::StatusOr<std::vector<mtcore::tl::MessageEntity>> back =
        mtcore::web::EntitiesFromJson(codec, *array);
    if (!back.ok()) Fail("entities do not read back from their JSON", input, back.status());
    if (*back != t->entities) Fail("entities changed through JSON", input, absl::OkStatus());
    return 0;
  }
  const TextFormat format = op == 3 ? TextFormat::kHtml : TextFormat::kMarkdownV2;
  absl::StatusOr<std::string> out = mtcore::web::WriteFormattedText(codec, format, text, entities);
  if (!out.ok()) return 0;
  absl::StatusOr<mtcore::text::FormattedText> again =
      mtcore::web::ReadFormattedText(codec, format, *out, "");
  if (!again.ok()) Fail("written text does not parse back", input, again.status());
  return 0;
}
