// The TypeScript generator: a TL schema in, ES module declarations (a
// `.d.mts` file) out, typing the mtcute-style JSON the browser client reads
// and writes (tl/dynamic/json.cc; web/mtcore_client.mjs).
//
// What it declares, for `user#... flags:# bot:flags.14?true id:long
// username:flags.3?string = User;`
// and `users.getUsers#... id:Vector<InputUser> = Vector<User>;`, in short
// (the file declares $tl, $fn, $Methods... and exports them as tl, fn,
// Methods...; see Naming below):
//
//   export declare namespace tl {
//     interface user<M extends Mode = Out> {
//       _: 'user';
//       flags?: M['flags'];   // FromJson ignores it and computes the bits
//       bot?: boolean;        // flags.N?true
//       id: M['long'];
//       username?: M['string'] | M['absent'];   // flags.N?string (null: absent)
//     }
//     type User<M extends Mode = Out> = tl.user<M> | tl.userEmpty<M>;
//   }
//   export declare namespace fn {
//     namespace users {
//       interface getUsers { _: 'users.getUsers'; id: tl.InputUser<In>[]; }
//     }
//   }
//   export interface Methods {
//     'users.getUsers': { request: fn.users.getUsers; result: tl.User[] };
//     'invokeWithLayer': { request: fn.invokeWithLayer; result: unknown; wraps: 'query' };
//   }
//   export type ResultOf<R> = ...;   // follows `wraps` into the inner call
//
// Modes: a constructor's interface takes a mode. `Out` (the default) is what
// results carry: longs as decimal strings, bytes as base64, a TL `string` as
// a string or {$bytes: BASE64} when it is not UTF-8, no `flags`. `In` is what
// calls may give: longs also as number or bigint, bytes also as typed arrays
// or ArrayBuffers (the driver's toTlJson converts them), `flags` as a number
// (ignored), null for an absent optional field. Method requests are always
// `In`.
//
// Naming, chosen so that nothing can collide:
//   - constructors and types live in namespace `tl`, methods in namespace
//     `fn`, each under its TL namespace (`tl.messages.Messages`,
//     `fn.messages.sendMessage`); constructors start lowercase and types
//     uppercase, and a constructor and a method of one name are apart;
//   - TL names are checked to be letters, digits and '_' (IsValidTlName);
//     the declarations refer to each other and to the helpers only through
//     names that start with '$' ($tl, $fn, $Mode...), which no TL name can
//     shadow; the public names are `export { $tl as tl, ... }` aliases;
//   - a TL name that TypeScript reserves (`true`, `default`, `string`) as a
//     declaration name gets a '$' suffix; field names are property names,
//     where reserved words are allowed (`default: string`).
//
// Type mapping: int -> number; long -> Mode['long']; double -> Double
// (number or "NaN"/"Infinity"/"-Infinity"); string/bytes -> Mode's;
// int128/int256 -> string (hex); Bool and `true` -> boolean; Vector<T> and
// vector<T> -> T[]; a boxed type -> its union; a bare type (%T or a
// lowercase constructor) -> Bare<ctor> (`_` optional); `!X` -> the method's
// type parameter X (a request); Object/Type and a plain generic X ->
// AnyObject; a boxed type no constructor builds -> never.
//
// Example:
//   absl::StatusOr<std::string> dts = GenerateTs(schema, {.source_name = "api-schema.json"});
#ifndef MTCORE_TLGEN_GEN_TS_GENERATOR_H_
#define MTCORE_TLGEN_GEN_TS_GENERATOR_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"

namespace mtcore::tlgen {

struct TsGeneratorOptions {
  // Named in the file's header comment ("api-schema.json").
  std::string source_name;
};

// The `.d.mts` text for `schema`. Errors name the definition and its source
// location: an invalid TL name, a bare type that is not exactly one
// constructor, a generic parameter that is not `{X:Type}`.
absl::StatusOr<std::string> GenerateTs(const Schema& schema, const TsGeneratorOptions& options);

// The TypeScript name of the constructor, type or method `tl_name` under the
// exported namespace `root` ("tl" or "fn"), as GenerateTs declares it:
// ("tl", "messages.Messages") -> "tl.messages.Messages", ("fn", "delete") ->
// "fn.delete$". For tools that write code against the declarations.
std::string TsName(std::string_view root, std::string_view tl_name);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_GEN_TS_GENERATOR_H_
