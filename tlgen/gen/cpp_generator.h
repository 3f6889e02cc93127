// The C++ code generator: TL schemas in, the sources of //tl:api out.
//
// Naming (all generated code lives in namespace mtcore::tl, the MTProto
// schema's definitions in mtcore::tl::mtproto; a standalone output, see
// below, in a namespace of its own):
//   - a TL name `ns.name` becomes the C++ identifier `ns_name`
//     (`messages.getHistory` -> `messages_getHistory`, `messages.Messages` ->
//     `messages_Messages`); top-level names stay as they are (`message`,
//     `Peer`). TL names contain no '_' in the API schema, so this cannot
//     collide, and it avoids the clash between the `updates` constructor and
//     the `updates.` namespace;
//   - field names are the TL names; C++ keywords get a trailing '_'
//     (`default_`, `static_`, `long_`);
//   - every constructor and function is an aggregate struct (see
//     tl/object.h); every boxed type a handle class deriving from AnyObject;
//     functions with a `{X:Type}` parameter are templates over X (default
//     AnyFunction), e.g. `invokeWithLayer<help_getConfig>`.
//
// Output files (names relative to the output folder; "api" is
// CppGeneratorOptions::file_stem):
//   api.h, api_0.cc .. api_{N-1}.cc, api_tables.cc     -> //tl:api
//   api_testing.h, api_testing_0.cc .., api_testing_tables.cc
//                                                      -> //tl:api_testing
//
// Standalone outputs: a schema whose names collide with the API schema's
// (the end-to-end schema, schema/secret.tl) is generated on its own, with its
// own file stem, C++ namespace and tables_namespace (//tl:secret: stem
// "secret", mtcore::tl::secret). Its lookup tables (TlInfo, FindTlInfo,
// ConstructorName ...) and testing::RandomObject live in that namespace, so
// it links beside //tl:api; it defines no AnyObject / AnyFunction reader, so
// it may not use `Object` fields or generic definitions.
#ifndef MTCORE_TLGEN_GEN_CPP_GENERATOR_H_
#define MTCORE_TLGEN_GEN_CPP_GENERATOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"

namespace mtcore::tlgen {

struct CppSchemaInput {
  Schema schema;
  // C++ namespace under mtcore::tl ("" for the API schema, "mtproto").
  std::string cpp_namespace;
};

struct CppGeneratorOptions {
  int source_files = 12;   // api_N.cc files
  int testing_files = 4;   // api_testing_N.cc files
  // Include path prefix of the generated headers ("tl/").
  std::string include_prefix = "tl/";
  // Output file names: <file_stem>.h, <file_stem>_N.cc, <file_stem>_tables.cc,
  // <file_stem>_testing.h ...
  std::string file_stem = "api";
  // "" for the primary output (one per program: tables in mtcore::tl, and the
  // AnyObject / AnyFunction readers); a name for a standalone output (tables
  // in mtcore::tl::<name>, RandomObject in mtcore::tl::<name>::testing).
  std::string tables_namespace;
};

// File name -> contents. Errors name the definition and its source location
// (unknown types, C++ name collisions, ambiguous bare types).
absl::StatusOr<std::map<std::string, std::string>> GenerateCpp(
    const std::vector<CppSchemaInput>& inputs, const CppGeneratorOptions& options);

// The list of file names GenerateCpp produces for `options` (for build rules).
std::vector<std::string> GeneratedFileNames(const CppGeneratorOptions& options);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_GEN_CPP_GENERATOR_H_
