#include "web/formatted_json.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/text/html.h"
#include "core/text/markdown.h"
#include "core/text/utf16.h"
#include "tl/dynamic/json_text.h"

namespace mtcore::web {

namespace {

constexpr std::string_view kEntitiesType = "Vector<MessageEntity>";

absl::Status EntitiesError(const absl::Status& s) {
  return absl::InvalidArgumentError(absl::StrCat("entities: ", s.message()));
}

}  // namespace

absl::StatusOr<TextFormat> TextFormatOf(int n) {
  switch (n) {
    case static_cast<int>(TextFormat::kText):
      return TextFormat::kText;
    case static_cast<int>(TextFormat::kHtml):
      return TextFormat::kHtml;
    case static_cast<int>(TextFormat::kMarkdownV2):
      return TextFormat::kMarkdownV2;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown text format ", n));
  }
}

absl::StatusOr<std::vector<tl::MessageEntity>> EntitiesFromJson(
    const tl::dynamic::DynamicCodec& codec, std::string_view json) {
  if (json.empty()) return std::vector<tl::MessageEntity>{};
  absl::StatusOr<tl::dynamic::Value> value = codec.FromJson(json, kEntitiesType);
  if (!value.ok()) return EntitiesError(value.status());
  absl::StatusOr<Bytes> bytes = codec.Encode(*value, kEntitiesType);
  if (!bytes.ok()) return EntitiesError(bytes.status());
  absl::StatusOr<std::vector<tl::MessageEntity>> entities =
      tl::Parse<std::vector<tl::MessageEntity>>(*bytes);
  if (!entities.ok()) return EntitiesError(entities.status());
  return entities;
}

absl::StatusOr<std::string> EntitiesJson(const tl::dynamic::DynamicCodec& codec,
                                         const std::vector<tl::MessageEntity>& entities) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(entities);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<tl::dynamic::Value> value = codec.Decode(*bytes, kEntitiesType);
  if (!value.ok()) return value.status();
  return codec.ToJson(*value, kEntitiesType);
}

absl::StatusOr<std::string> FormattedTextJson(const tl::dynamic::DynamicCodec& codec,
                                              const text::FormattedText& text) {
  absl::StatusOr<std::string> entities = EntitiesJson(codec, text.entities);
  if (!entities.ok()) return entities.status();
  return absl::StrCat(R"({"text":)", tl::dynamic::JsonQuote(text.text), R"(,"entities":)",
                      *entities, "}");
}

absl::StatusOr<text::FormattedText> ReadFormattedText(const tl::dynamic::DynamicCodec& codec,
                                                      TextFormat format, std::string_view source,
                                                      std::string_view entities_json) {
  if (format != TextFormat::kText && !entities_json.empty()) {
    return absl::InvalidArgumentError("entities: only plain text takes separate entities");
  }
  switch (format) {
    case TextFormat::kHtml:
      return text::ParseHtml(source);
    case TextFormat::kMarkdownV2:
      return text::ParseMarkdownV2(source);
    case TextFormat::kText:
      break;
  }
  absl::Status utf8 = text::CheckUtf8(source);
  if (!utf8.ok()) return absl::InvalidArgumentError(absl::StrCat("text: ", utf8.message()));
  absl::StatusOr<std::vector<tl::MessageEntity>> entities = EntitiesFromJson(codec, entities_json);
  if (!entities.ok()) return entities.status();
  absl::Status ranges = text::CheckRanges(*entities, text::Utf16Length(source));
  if (!ranges.ok()) return EntitiesError(ranges);
  return text::FormattedText{.text = std::string(source), .entities = *std::move(entities)};
}

absl::StatusOr<std::string> WriteFormattedText(const tl::dynamic::DynamicCodec& codec,
                                               TextFormat format, std::string_view text,
                                               std::string_view entities_json) {
  if (format == TextFormat::kText) {
    return absl::InvalidArgumentError("plain text is not a format to write");
  }
  absl::StatusOr<std::vector<tl::MessageEntity>> entities = EntitiesFromJson(codec, entities_json);
  if (!entities.ok()) return entities.status();
  const text::FormattedText t{.text = std::string(text), .entities = *std::move(entities)};
  return format == TextFormat::kHtml ? text::ToHtml(t) : text::ToMarkdownV2(t);
}

}  // namespace mtcore::web
