// The C++ code generator: TL schemas in, the sources of //tl:api out.
//
// Naming (all generated code lives in namespace mtcore::tl; the MTProto
// schema's definitions in mtcore::tl::mtproto):
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
// Output files (names relative to the output folder):
//   api.h, api_0.cc .. api_{N-1}.cc, api_tables.cc     -> //tl:api
//   api_testing.h, api_testing_0.cc .., api_testing_tables.cc
//                                                      -> //tl:api_testing
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
};

// File name -> contents. Errors name the definition and its source location
// (unknown types, C++ name collisions, ambiguous bare types).
absl::StatusOr<std::map<std::string, std::string>> GenerateCpp(
    const std::vector<CppSchemaInput>& inputs, const CppGeneratorOptions& options);

// The list of file names GenerateCpp produces for `options` (for build rules).
std::vector<std::string> GeneratedFileNames(const CppGeneratorOptions& options);

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_GEN_CPP_GENERATOR_H_
