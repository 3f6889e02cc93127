// JSON text pieces shared by the codec's ToJson and the browser client's
// events: UTF-8 validation (RFC 3629) and JSON string literals.
#ifndef MTCORE_TL_DYNAMIC_JSON_TEXT_H_
#define MTCORE_TL_DYNAMIC_JSON_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mtcore::tl::dynamic {

// The length of the well-formed UTF-8 sequence starting at s[i] (1 for
// ASCII; no overlong forms, surrogates or code points past U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i);

// True if all of `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// Appends `s` as a JSON string literal (quotes included): ", \ and control
// characters escaped, UTF-8 passed through, and each byte that is not part
// of a well-formed UTF-8 sequence written as U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);

// The same, as a new string.
std::string JsonQuote(std::string_view s);

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_JSON_TEXT_H_
