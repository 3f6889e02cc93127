// Formatted text (core/text: HTML and MarkdownV2 <-> text + entities) in the
// browser client's JSON, where entities are MessageEntity objects as the
// API's JSON writes them ({"_":"messageEntityBold","offset":0,"length":4};
// offsets and lengths in UTF-16 code units, as JavaScript strings count
// them; user and document ids as decimal strings).
//
// The entities are read and written with the client's schema (a
// DynamicCodec), so a received message's `entities` array goes into
// WriteFormattedText as it came, whatever kinds it holds (the writers drop
// the kinds they cannot express).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(text::FormattedText t,
//                           ReadFormattedText(codec, TextFormat::kHtml, "<b>hi</b>", ""));
//   MTCORE_ASSIGN_OR_RETURN(std::string json, FormattedTextJson(codec, t));
//   // {"text":"hi","entities":[{"_":"messageEntityBold","offset":0,"length":2}]}
#ifndef MTCORE_WEB_FORMATTED_JSON_H_
#define MTCORE_WEB_FORMATTED_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/text/entities.h"
#include "tl/api.h"
#include "tl/dynamic/codec.h"

namespace mtcore::web {

// How a formatted text is written (the numbers are the C entry points').
enum class TextFormat {
  kText = 0,        // plain text with a separate entities array
  kHtml = 1,        // the Bot API's HTML (core/text/html.h)
  kMarkdownV2 = 2,  // the Bot API's MarkdownV2 (core/text/markdown.h)
};

// The TextFormat numbered `n`; InvalidArgument for another number.
absl::StatusOr<TextFormat> TextFormatOf(int n);

// `json`, a JSON array of MessageEntity objects (empty text: none).
// InvalidArgument starting "entities: ", naming the JSON position or the
// field, if it is not one, or holds a kind the generated types lack.
absl::StatusOr<std::vector<tl::MessageEntity>> EntitiesFromJson(
    const tl::dynamic::DynamicCodec& codec, std::string_view json);

// `entities` as that JSON array.
absl::StatusOr<std::string> EntitiesJson(const tl::dynamic::DynamicCodec& codec,
                                         const std::vector<tl::MessageEntity>& entities);

// {"text":"...","entities":[...]}.
absl::StatusOr<std::string> FormattedTextJson(const tl::dynamic::DynamicCodec& codec,
                                              const text::FormattedText& text);

// The text `source` in `format`: kText takes `source` as the text and
// `entities_json` (EntitiesFromJson) as its entities, checked to lie within
// it; kHtml and kMarkdownV2 parse `source` (errors as ParseHtml /
// ParseMarkdownV2: InvalidArgument with the byte position) and take no
// entities (InvalidArgument if `entities_json` is not empty).
absl::StatusOr<text::FormattedText> ReadFormattedText(const tl::dynamic::DynamicCodec& codec,
                                                      TextFormat format, std::string_view source,
                                                      std::string_view entities_json);

// `text` + the entities in `entities_json` (received: untrusted) as HTML or
// MarkdownV2 (ToHtml / ToMarkdownV2: entities out of range or splitting a
// surrogate pair are InvalidArgument; those the format cannot express are
// dropped). InvalidArgument for kText.
absl::StatusOr<std::string> WriteFormattedText(const tl::dynamic::DynamicCodec& codec,
                                               TextFormat format, std::string_view text,
                                               std::string_view entities_json);

}  // namespace mtcore::web

#endif  // MTCORE_WEB_FORMATTED_JSON_H_
