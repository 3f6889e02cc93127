// UTF-8 checks and the UTF-16 code-unit positions Telegram measures entities in
// (https://core.telegram.org/api/entities#entity-length).
//
// Message text travels as UTF-8; entity offsets and lengths count UTF-16 code
// units: one for a code point below U+10000, two (a surrogate pair) for one
// above, such as most emoji. A combining mark is a code point of its own and
// counts on its own.
//
// Example:
//   MTCORE_RETURN_IF_ERROR(CheckUtf8(text));
//   int64_t units = Utf16Length(text);              // "a😀" -> 3
//   Utf16Index index(text);
//   std::optional<size_t> byte = index.ByteAt(1);   // 1: where "😀" starts
#ifndef MTCORE_CORE_TEXT_UTF16_H_
#define MTCORE_CORE_TEXT_UTF16_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace mtcore::text {

// OK if `s` is well-formed UTF-8 (no overlong forms, surrogates or code points
// past U+10FFFF); otherwise InvalidArgument naming the byte position of the
// first bad sequence.
absl::Status CheckUtf8(std::string_view s);

// What both markup parsers check first: at most 2^31 - 1 bytes (entity
// offsets are int32) and well-formed UTF-8. InvalidArgument whose message
// starts with `format` ("HTML", "MarkdownV2") otherwise.
absl::Status CheckMarkupInput(std::string_view in, std::string_view format);

// The length in bytes of the UTF-8 sequence starting at s[pos] and its code
// point, or nullopt if it is not well-formed. Requires pos < s.size().
struct DecodedChar {
  uint32_t code_point = 0;
  size_t size = 0;
};
std::optional<DecodedChar> DecodeUtf8(std::string_view s, size_t pos);

// The number of UTF-16 code units of a code point (1 or 2).
inline int Utf16Units(uint32_t code_point) { return code_point >= 0x10000 ? 2 : 1; }

// UTF-16 code units of well-formed UTF-8 (bytes that are not are counted as
// one unit each).
int64_t Utf16Length(std::string_view utf8);

// Appends the UTF-8 form of a Unicode scalar value (not a surrogate, at most
// U+10FFFF).
void AppendUtf8(uint32_t code_point, std::string& out);

// Byte positions of UTF-16 positions in well-formed UTF-8 text. Memory: one
// entry per UTF-16 unit.
class Utf16Index {
 public:
  explicit Utf16Index(std::string_view utf8);

  // Total UTF-16 code units.
  int64_t size() const { return static_cast<int64_t>(bytes_.size()) - 1; }
  // The byte where UTF-16 position `unit` starts (unit == size(): the end),
  // or nullopt if it is out of range or falls between the two halves of a
  // surrogate pair.
  std::optional<size_t> ByteAt(int64_t unit) const;

 private:
  static constexpr size_t kInsidePair = static_cast<size_t>(-1);
  std::vector<size_t> bytes_;
};

}  // namespace mtcore::text

#endif  // MTCORE_CORE_TEXT_UTF16_H_
