// Constructor ids: CRC32 of a definition's canonical form.
//
// Telegram derives every constructor id from the definition's text. The text
// that is hashed (the "canonical form") is the definition written with single
// spaces and with these rules, checked against all 2,449 TL-derived
// definitions of layer 228 and the MTProto schema:
//   - the `#id` is left out;
//   - generic parameters `{X:Type}` are written `X:Type`;
//   - `name:flags.N?true` parameters are left out entirely;
//   - a parameter of type `bytes` (plain or conditional) is written as
//     `string` (they share a wire format); nested `Vector<bytes>` and a
//     `bytes` result are not rewritten;
//   - type arguments are written after a space, without brackets:
//     `Vector<long>` becomes `Vector long`;
//   - `flags.N?`, `%`, `!` and namespaces are kept as written.
//
// Example:
//   Definition d = ...;  // boolTrue#997275b5 = Bool
//   CanonicalForm(d);    // "boolTrue = Bool"
//   ComputeId(d);        // 0x997275b5
//
// A few real schema lines carry ids that do not match (e.g.
// `msg_container#73f1f8dc messages:vector<%Message>`: the server hashed
// `vector<message>`), so VerifyIds() reports mismatches as data instead of
// failing.
#ifndef MTCORE_TLGEN_ID_H_
#define MTCORE_TLGEN_ID_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tlgen/definition.h"

namespace mtcore::tlgen {

// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) of `data`.
uint32_t Crc32(std::string_view data);

// The text whose CRC32 is the definition's id (see the file comment).
std::string CanonicalForm(const Definition& definition);

// Crc32(CanonicalForm(definition)).
uint32_t ComputeId(const Definition& definition);

// An explicit id that differs from the computed one.
struct IdMismatch {
  std::string name;
  SourceLocation location;
  uint32_t explicit_id = 0;
  uint32_t computed_id = 0;
};

// Every definition of `schema` with an explicit id different from its
// computed id, in schema order. Definitions without explicit ids are skipped.
std::vector<IdMismatch> VerifyIds(const Schema& schema);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_ID_H_
