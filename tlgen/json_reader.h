// Reads the JSON schema form published by mtcute (@mtcute/core's
// tl/api-schema.json and tl/mtp-schema.json) into the definitions model.
//
// Accepted shapes:
//   {"l": 228, "e": [ENTRY, ...], ...}   (api-schema.json; "l" is the layer)
//   [ENTRY, ...]                         (mtp-schema.json; layer 0)
// where an ENTRY is
//   {"kind": "class"|"method", "name": "messages.sendMessage", "id": 123,
//    "type": "Updates", "typeModifiers": {"isVector": true}?,
//    "generics": [{"name": "X", "type": "Type"}]?,
//    "arguments": [{"name": "peer", "type": "InputPeer",
//                   "typeModifiers": {"predicate": "flags.0",
//                                     "isVector": true,
//                                     "isBareVector": true,
//                                     "isBareType": true}?}, ...]}
// Other keys ("comment", "throws", "available", "u", "constructorId", ...)
// are ignored.
//
// mtcute-specific spellings are mapped back to TL so the definitions equal
// the ones parsed from Telegram's `.tl` text (and hash to the same ids):
//   - the type "int53" (mtcute's JS-number hint) is TL `long`;
//   - the "mt_" prefix mtcute puts on MTProto names ("mt_resPQ",
//     "mt_future_salt") is removed;
//   - "isBareVector" is `vector<T>`, "isVector" is `Vector<T>`, "isBareType"
//     makes the element type bare (`%T`), an entry-level "isVector" makes the
//     result a `Vector<T>`.
// mtp-schema.json marks MTProto functions as "class" too, so their category
// is kConstructor there.
//
// Every definition gets `explicit_id = true` and a source location pointing
// at its JSON object. Errors are absl::InvalidArgumentError with the message
// "FILE:LINE:COL (offset N): message".
//
// Example:
//   absl::StatusOr<Schema> s = ReadMtcuteJson(json_text, "api-schema.json");
//   s->layer;  // 228
#ifndef MTCORE_TLGEN_JSON_READER_H_
#define MTCORE_TLGEN_JSON_READER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"

namespace mtcore::tlgen {

// Parses mtcute's JSON schema text. `file_name` is used in errors and
// source locations.
absl::StatusOr<Schema> ReadMtcuteJson(std::string_view text, std::string_view file_name);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_JSON_READER_H_
