#include "core/text/utf16.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace mtcore::text {

std::optional<DecodedChar> DecodeUtf8(std::string_view s, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) return DecodedChar{lead, 1};
  size_t size;
  uint32_t cp;
  uint32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    size = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    size = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    size = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() - pos < size) return std::nullopt;
  for (size_t i = 1; i < size; ++i) {
    const uint8_t c = byte(pos + i);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return DecodedChar{cp, size};
}

absl::Status CheckUtf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    std::optional<DecodedChar> c = DecodeUtf8(s, pos);
    if (!c) return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", pos));
    pos += c->size;
  }
  return absl::OkStatus();
}

absl::Status CheckMarkupInput(std::string_view in, std::string_view format) {
  if (in.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat(format, " at byte 0: the input is longer than 2^31 - 1 bytes"));
  }
  absl::Status utf8 = CheckUtf8(in);
  if (!utf8.ok()) return absl::InvalidArgumentError(absl::StrCat(format, ": ", utf8.message()));
  return absl::OkStatus();
}

int64_t Utf16Length(std::string_view utf8) {
  int64_t units = 0;
  for (char ch : utf8) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Utf16Index::Utf16Index(std::string_view utf8) {
  bytes_.reserve(utf8.size() + 1);
  for (size_t pos = 0; pos < utf8.size(); ++pos) {
    const uint8_t c = static_cast<uint8_t>(utf8[pos]);
    if ((c & 0xC0) == 0x80) continue;
    bytes_.push_back(pos);
    if (c >= 0xF0) bytes_.push_back(kInsidePair);
  }
  bytes_.push_back(utf8.size());
}

std::optional<size_t> Utf16Index::ByteAt(int64_t unit) const {
  if (unit < 0 || unit > size()) return std::nullopt;
  const size_t b = bytes_[static_cast<size_t>(unit)];
  if (b == kInsidePair) return std::nullopt;
  return b;
}

}  // namespace mtcore::text
