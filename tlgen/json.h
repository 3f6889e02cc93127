// A small, strict JSON parser (RFC 8259) for reading schema files.
//
// Values form a plain tree. Objects keep their members in source order
// (duplicate keys are kept; Find() returns the first). Every value remembers
// the byte offset where it starts so readers can point at bad data.
//
// Limits, so hostile input cannot exhaust the stack: nesting deeper than
// kMaxJsonDepth arrays/objects is an error.
//
// Errors are absl::InvalidArgumentError with the message
// "LINE:COL (offset N): message".
//
// Example:
//   absl::StatusOr<JsonValue> v = ParseJson(R"({"l": 228, "e": []})");
//   v->Find("l")->number;        // 228
//   v->Find("e")->array.size();  // 0
#ifndef MTCORE_TLGEN_JSON_H_
#define MTCORE_TLGEN_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace mtcore::tlgen {

inline constexpr int kMaxJsonDepth = 64;

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;                                   // kBool
  double number = 0;                                      // kNumber
  std::string string;                                     // kString (UTF-8)
  std::vector<JsonValue> array;                           // kArray
  std::vector<JsonMember> object;                         // kObject, in order
  size_t offset = 0;  // byte offset of the value's first character

  // The first member named `key` of an object, or nullptr (also for
  // non-objects).
  const JsonValue* Find(std::string_view key) const;
  // "null", "bool", "number", "string", "array" or "object".
  static std::string_view KindName(Kind kind);
};

// One "key": value of an object. (Not a std::pair: a pair of an incomplete
// JsonValue does not compile with clang's libstdc++ checks.)
struct JsonMember {
  std::string key;
  JsonValue value;
};

// "LINE:COL (offset N)" for a byte offset of `text` (1-based line/column).
std::string JsonPosition(std::string_view text, size_t offset);

// Parses one JSON document (surrounding whitespace allowed, nothing else).
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_JSON_H_
