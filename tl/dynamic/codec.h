// A schema-driven TL encoder/decoder: TL objects described at run time by a
// schema (tlgen::Schema, loaded from a `.tl` or mtcute `.json` file), read
// into and written from dynamic `Value`s (tl/dynamic/value.h).
//
// It sits next to the generated C++ types (//tl:api) for code that must speak
// a layer it was not compiled for: the simulated DC answers each client with
// the schema of the layer the client declared, and a TL <-> JSON tool works
// on any schema.
//
// Wire format (TL binary serialization):
//   - boxed objects start with their constructor id; functions with the
//     method id, so a request decodes to an Object named after the method
//     ("messages.sendMessage"); `!X` fields (the query of invokeWithLayer,
//     initConnection, ...) hold a nested function call;
//   - `#` fields are computed from the Object: a `flags.N?T` field sets bit N
//     iff it is present (and not null); a `flags.N?true` field is a bool and
//     sets the bit iff it is true. Decoded objects never contain `#` fields and
//     always contain every `true` flag as a bool; bits no field uses are
//     ignored;
//   - `Vector<T>` (id 0x1cb5c415 + count) and bare `vector<T>` are Value
//     vectors; `%T` and lowercase constructor names are bare objects (no id);
//   - `Bool` is a bool, `int`/`long` int32/int64 (an int64 that fits is
//     accepted for `int`, an int32 for `long`, either for `double`), `string`
//     and `bytes` are bytes, `int128`/`int256` fixed arrays;
//   - `Object`/`Type` (rpc_result's `result`, an MTProto message's `body`) is
//     any boxed constructor or function call (constructors win on a name
//     both use).
//
// Expected types are written as TL: "messages.Messages", "Updates",
// "Vector<long>", "%Message", "user" (a bare constructor), "Object" (any
// constructor or call) or "Function" (a method call only, like a `!X` field).
//
// Hostile input: Decode bounds nesting (DecodeOptions::max_depth), checks
// every vector count against the bytes left, names the offset, the unknown
// constructor id (hex) and the expected type in errors, and rejects trailing
// bytes.
//
// Layer adaptation (EncodeOptions::adapt): objects are matched to the schema
// by constructor name only; fields the schema has but the Object lacks get
// neutral defaults (0, false, "", empty vector, zero int128, the simplest
// constructor of a boxed type; absent for optional fields), fields the Object
// has but the schema lacks are dropped. A constructor name the schema does not
// know is still an error naming it. Adapt() returns the adapted Value.
//
// JSON (mtcute style): an object is {"_": "message", "id": 5, ...} with its
// fields in order; int is a number; long is a decimal string (numbers are
// accepted on input when exact); double a number ("NaN", "Infinity",
// "-Infinity" as strings); Bool and true flags are true/false; string is a
// JSON string, or {"$bytes": BASE64} if it is not valid UTF-8; bytes is a
// base64 string (standard alphabet, padded); int128/int256 are lowercase hex
// strings; vectors are arrays; a bare object may omit "_".
//
// Example:
//   absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile("api.json");
//   absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(*schema);
//   absl::StatusOr<Value> request = codec->Decode(bytes, "Function");
//   // request->object().constructor == "invokeWithLayer"
//   absl::StatusOr<Bytes> reply = codec->Encode(world_user, "User", {.adapt = true});
#ifndef MTCORE_TL_DYNAMIC_CODEC_H_
#define MTCORE_TL_DYNAMIC_CODEC_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/base/bytes.h"
#include "tl/dynamic/value.h"
#include "tlgen/definition.h"

namespace mtcore::tl::dynamic {

struct EncodeOptions {
  // Match objects by name, fill missing fields with neutral defaults and drop
  // unknown ones (see the file comment). When false, a missing required
  // field or an unknown field is an error.
  bool adapt = false;
};

struct DecodeOptions {
  // Deepest nesting of objects accepted.
  int max_depth = 64;
};

class DynamicCodec {
 public:
  // Indexes `schema` (copied). Fails if two definitions of one category share
  // an id, or a flag field refers to a missing `#` parameter.
  static absl::StatusOr<DynamicCodec> Create(const tlgen::Schema& schema);
  // Several schemas in one codec, e.g. the API schema and schema/mtproto.tl.
  // Types and bare constructors are resolved within each schema (both may
  // define a `Message` type); top-level names and the names of
  // `Object`/`Function` values are looked up in the schemas' order.
  static absl::StatusOr<DynamicCodec> Create(absl::Span<const tlgen::Schema* const> schemas);

  // Layer of the first schema (0 if it had none).
  int layer() const;

  // Serializes `value` as `type`. With an empty `type`, `value` must be an
  // Object naming a constructor or a method (constructors are tried first)
  // and is written boxed.
  absl::StatusOr<Bytes> Encode(const Value& value, std::string_view type = "",
                               const EncodeOptions& options = {}) const;

  // Parses all of `data` as `type`. Errors are InvalidArgumentError starting
  // with "TL: " and naming the offset.
  absl::StatusOr<Value> Decode(ByteView data, std::string_view type,
                               const DecodeOptions& options = {}) const;

  // `neutral` adapted to this schema (what Encode with adapt = true writes,
  // read back): missing fields defaulted, unknown fields dropped.
  absl::StatusOr<Value> Adapt(const Value& neutral, std::string_view type = "") const;

  // JSON text for `value` read as `type` (see the file comment).
  absl::StatusOr<std::string> ToJson(const Value& value, std::string_view type = "") const;
  // Parses JSON text into a Value of `type`; unknown fields, missing "_" on a
  // boxed object and out-of-range numbers are errors naming the JSON position.
  absl::StatusOr<Value> FromJson(std::string_view json, std::string_view type = "") const;

  // The definition of a constructor or method by name or id, or nullptr.
  const tlgen::Definition* FindConstructor(std::string_view name) const;
  const tlgen::Definition* FindFunction(std::string_view name) const;
  const tlgen::Definition* FindById(uint32_t id) const;

  struct Impl;

 private:
  explicit DynamicCodec(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_CODEC_H_
