// Internal to //tl/dynamic:codec: the schema compiled into index tables that
// the binary codec (codec.cc) and the JSON conversion (json.cc) share.
//
// Every parameter type is resolved once, at Create() time, into a `TypeNode`
// (an index into Impl::nodes): primitives, vectors of a node, a boxed type (an
// index into Impl::types) or a bare constructor (an index into Impl::defs).
#ifndef MTCORE_TL_DYNAMIC_CODEC_INTERNAL_H_
#define MTCORE_TL_DYNAMIC_CODEC_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tl/dynamic/codec.h"
#include "tlgen/definition.h"

namespace mtcore::tl::dynamic {

enum class NodeKind : uint8_t {
  kInt,
  kLong,
  kDouble,
  kString,  // TL `string`: bytes, shown as text in JSON
  kBytes,   // TL `bytes`
  kInt128,
  kInt256,
  kBool,
  kTrue,         // `true` (only meaningful as a flag)
  kFlags,        // `#`
  kAnyObject,    // `Object`, `Type`, a bare generic `X`: any constructor or call
  kAnyFunction,  // `!X`
  kBoxedVector,  // Vector<elem>
  kBareVector,   // vector<elem>
  kBoxed,        // a boxed type: `index` into Impl::types
  kBare,         // a bare constructor: `index` into Impl::defs
  kUnresolved,   // a bare type the schema does not define; `text` says which
  kTopAny,       // top level with no type: any constructor, else any function
};

struct TypeNode {
  NodeKind kind = NodeKind::kUnresolved;
  int index = -1;  // kBoxed: type; kBare: definition
  int elem = -1;   // vectors: element node
  // TL spelling for errors ("Vector<long>", "%Message"); for kUnresolved the
  // whole error text. Stable for the codec's lifetime (used as const char*).
  std::string text;
  // Smallest wire size of one value (bounds vector counts); at least 1.
  size_t min_size = 4;
};

struct CompiledParam {
  std::string name;
  int node = -1;
  int flag_param = -1;  // index of the `#` param for `flags.N?T`, else -1
  int bit = 0;
  bool is_flags = false;  // a `#` field
  bool is_true = false;   // `flags.N?true`
};

struct CompiledDef {
  const tlgen::Definition* def = nullptr;
  std::string name;
  uint32_t id = 0;
  bool function = false;
  int type = -1;  // constructors: index into Impl::types
  int schema = 0;
  std::vector<CompiledParam> params;
  bool has_flags = false;
  // Adaptation: the cost of building this constructor from defaults (see
  // Impl::default_ctor); kNoDefault if it needs an impossible value.
  int default_cost = 0;
};

struct CompiledType {
  std::string name;
  int schema = 0;
  std::vector<int> ctors;
  // The constructor written as the neutral default, or -1.
  int default_ctor = -1;
};

inline constexpr int kNoDefault = 1 << 20;

struct DynamicCodec::Impl {
  std::vector<tlgen::Schema> schemas;
  std::vector<CompiledDef> defs;
  std::vector<CompiledType> types;
  std::vector<TypeNode> nodes;
  absl::flat_hash_map<uint32_t, int> ctor_by_id;
  absl::flat_hash_map<uint32_t, int> fn_by_id;
  // Constructors and functions by name (several when schemas overlap).
  absl::flat_hash_map<std::string, std::vector<int>> by_name;
  // (schema, type name) -> types index.
  absl::flat_hash_map<std::pair<int, std::string>, int> type_by_name;
  // (schema, TL spelling) -> nodes index, so equal types share a node.
  absl::flat_hash_map<std::pair<int, std::string>, int> node_by_text;

  // Fixed nodes for schema-independent types.
  int int_node = -1, long_node = -1, double_node = -1, string_node = -1, bytes_node = -1,
      int128_node = -1, int256_node = -1, bool_node = -1, true_node = -1, flags_node = -1,
      any_object_node = -1, any_function_node = -1;

  // A top-level type: `vectors` wrappers (true = boxed, outermost first)
  // around `node`.
  struct TopType {
    std::vector<bool> vectors;
    int node = -1;
  };
  // Parses a type name given to Encode/Decode/JSON. Empty = any boxed object
  // or function (by name).
  absl::StatusOr<TopType> ResolveTop(std::string_view type) const;

  // Per type / per constructor: its kBoxed / kBare node (-1 for functions).
  std::vector<int> boxed_node_of_type;
  std::vector<int> bare_node_of_def;
  int top_any_node = -1;

  // The definition an Object stands for where `node` (kBoxed, kBare,
  // kAnyObject, kAnyFunction or kTopAny) is expected, found by the Object's
  // constructor name. With `lenient`, a constructor of another type with that
  // name is accepted too, and a bare object's name is not checked. Errors
  // name the constructor and the expected type.
  absl::StatusOr<int> ResolveObject(int node, const Object& object, bool lenient) const;
};

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_CODEC_INTERNAL_H_
