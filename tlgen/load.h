// Loading a schema file of either form.
//
// Example:
//   absl::StatusOr<Schema> schema = LoadSchemaFile("schema/mtproto.tl");
#ifndef MTCORE_TLGEN_LOAD_H_
#define MTCORE_TLGEN_LOAD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"

namespace mtcore::tlgen {

// Largest schema file LoadSchemaFile() reads (layer 228's JSON is ~1.6 MB).
inline constexpr size_t kMaxSchemaFileSize = 64 << 20;

// Reads the whole file at `path`. NotFoundError if it cannot be opened,
// InvalidArgumentError if it is larger than kMaxSchemaFileSize.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Reads `path` and parses it by extension: ".json" with ReadMtcuteJson(),
// ".tl" with ParseTl(). Other extensions are an InvalidArgumentError. Error
// messages name `path` as given.
absl::StatusOr<Schema> LoadSchemaFile(const std::string& path);

// Parses `text` by the extension of `file_name` (as LoadSchemaFile does).
absl::StatusOr<Schema> ParseSchemaText(std::string_view text, std::string_view file_name);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_LOAD_H_
