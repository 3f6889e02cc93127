// A parser for TL schema text (`.tl` files): text in, definitions out.
//
// Understands everything Telegram's published schemas use:
//   - `//` line comments and `/* */` block comments; `// LAYER N` sets the
//     schema layer;
//   - `---types---` / `---functions---` section markers (the file starts in
//     the types section);
//   - `name#hex` explicit ids, ids computed by CRC32 when absent
//     (tlgen/id.h);
//   - `{X:Type}` generic parameters and `!X` references to them;
//   - `flags:#` fields (any name) and `flags.N?T` / `flags2.N?true`
//     conditional parameters;
//   - `Vector<T>`, bare `vector<T>`, `%T` and lowercase (bare) type names;
//   - built-in declarations such as `int ? = Int;` or
//     `vector {t:Type} # [ t ] = Vector t;`, which are recorded in
//     `Schema::builtins` rather than turned into definitions.
//
// Errors are absl::InvalidArgumentError with the message
// "FILE:LINE:COL: message", pointing at the offending token (1-based line
// and byte column). Parsing stops at the first error. Explicit ids are not
// checked against their CRC here: call VerifyIds() (tlgen/id.h) on the result.
//
// Example:
//   absl::StatusOr<Schema> schema = ParseTl(
//       "// LAYER 1\nboolTrue#997275b5 = Bool;\n", "bool.tl");
//   schema->layer;                         // 1
//   schema->definitions[0].id;             // 0x997275b5
#ifndef MTCORE_TLGEN_PARSER_H_
#define MTCORE_TLGEN_PARSER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"

namespace mtcore::tlgen {

// Parses a whole `.tl` file. `file_name` is only used in error messages and
// in the definitions' source locations.
absl::StatusOr<Schema> ParseTl(std::string_view text, std::string_view file_name);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_PARSER_H_
