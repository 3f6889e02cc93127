// The definitions model: what a TL schema says, independent of where it came
// from (a `.tl` text file or mtcute's JSON form).
//
// A schema is a list of definitions. Each definition is either a constructor
// of a boxed type (`boolTrue#997275b5 = Bool;`) or a function (a line after
// `---functions---`, e.g. `ping#7abe77ec ping_id:long = Pong;`). Types that
// appear in parameters and results are parsed into a structured `TypeRef`, so
// consumers (the C++ code generator, a browser TL tool) never re-parse text.
//
// Example: the line
//
//   messages.getHistory#4423e6c5 flags:# peer:InputPeer
//       top:flags.0?true ids:Vector<long> = messages.Messages;
//
// becomes
//
//   Definition{
//     .name = "messages.getHistory", .id = 0x4423e6c5, .explicit_id = true,
//     .params = {{"flags", TypeRef{"#"}},
//                {"peer", TypeRef{"InputPeer"}},
//                {"top", TypeRef{"true"}, FlagRef{"flags", 0}},
//                {"ids", TypeRef{"Vector", args = {TypeRef{"long"}}}}},
//     .result = TypeRef{"messages.Messages"},
//     .category = Category::kFunction}
//
// Conventions:
//   - Names keep their namespace: "messages.sendMessage", "help.ConfigSimple".
//   - `TypeRef::bare` is true for `%T` and for every type whose unqualified
//     name starts with a lowercase letter (`int`, `vector<...>`,
//     `future_salt`), as in the TL spec; `#` is bare too.
//   - A parameter or result that names a generic parameter of the definition
//     (`= X`) is a plain `TypeRef{"X"}`; `!X` sets `TypeRef::generic_ref`.
//   - Equality (`==`) compares everything except source locations, so a
//     definition read from JSON equals the same definition parsed from text.
#ifndef MTCORE_TLGEN_DEFINITION_H_
#define MTCORE_TLGEN_DEFINITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtcore::tlgen {

// True if `name` is a valid TL identifier, optionally namespaced: one or
// more '.'-separated parts, each starting with an ASCII letter and made of
// letters, digits and '_' ("messages.sendMessage", "int128", "P_Q_inner_data").
bool IsValidTlName(std::string_view name);

// Where a definition (or builtin line) was read from. Lines and columns are
// 1-based; `line == 0` means "unknown".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column" (or just "file" when the line is unknown).
  std::string ToString() const;
};

// A type expression: `int`, `InputPeer`, `%Message`, `Vector<long>`,
// `vector<%Message>`, `!X`, `#`, `messages.Chats`.
struct TypeRef {
  // The type's name, namespace included: "Vector", "messages.Chats", "#", "X".
  std::string name;
  // `%T`, or a name whose unqualified part does not start with an uppercase
  // letter (`int`, `vector`, `future_salt`, `#`).
  bool bare = false;
  // `!X`: a value of the generic type parameter X (e.g. the query of
  // invokeWithLayer).
  bool generic_ref = false;
  // Type arguments: `Vector<long>` has args {long}.
  std::vector<TypeRef> args;

  // Builds a TypeRef for `name` with `bare` derived from the name.
  static TypeRef Named(std::string name);

  // True for `Vector<T>` and `vector<T>` (exactly one argument).
  bool IsVector() const;
  // The namespace part of `name` ("messages" for "messages.Chats", else "").
  std::string_view Namespace() const;
  // The part of `name` after the last '.'.
  std::string_view ShortName() const;
  // Renders the type as TL text: "Vector<long>", "%Message", "!X".
  std::string ToString() const;

  friend bool operator==(const TypeRef&, const TypeRef&) = default;
};

// The `flags.N?` prefix of a conditional parameter.
struct FlagRef {
  // Name of the `#` parameter holding the bit ("flags", "flags2", ...).
  std::string field;
  // Bit number, 0..31.
  int bit = 0;

  friend bool operator==(const FlagRef&, const FlagRef&) = default;
};

// One `name:type` parameter of a definition.
struct Param {
  std::string name;
  TypeRef type;
  // Set for `name:flags.N?T`.
  std::optional<FlagRef> flag;

  // True for a `name:#` field (a 32-bit word of flag bits).
  bool IsFlagsField() const { return !flag && type.name == "#"; }
  // True for `name:flags.N?true`: present iff the bit is set, no payload.
  bool IsTrueFlag() const { return flag && type.name == "true"; }
  // Renders the parameter as TL text: "top:flags.0?true".
  std::string ToString() const;

  friend bool operator==(const Param&, const Param&) = default;
};

// A `{X:Type}` generic parameter.
struct GenericParam {
  std::string name;  // "X"
  std::string type;  // "Type"

  friend bool operator==(const GenericParam&, const GenericParam&) = default;
};

enum class Category {
  kConstructor,  // in the types section (before `---functions---`)
  kFunction,     // in the functions section
};

struct Definition {
  // Full name with namespace: "messages.sendMessage", "boolTrue".
  std::string name;
  // Constructor id: explicit (`#997275b5`) or computed from the canonical
  // form (see tlgen/id.h) when the source did not give one.
  uint32_t id = 0;
  bool explicit_id = false;
  std::vector<GenericParam> generic_params;
  std::vector<Param> params;
  // The constructed type (constructors) or the return type (functions).
  TypeRef result;
  Category category = Category::kConstructor;
  SourceLocation location;

  // The namespace part of `name` ("messages" for "messages.sendMessage").
  std::string_view Namespace() const;
  // The part of `name` after the last '.'.
  std::string_view ShortName() const;
  // The parameter named `name`, or nullptr.
  const Param* FindParam(std::string_view name) const;
  // True if `name` is one of the generic parameters ({X:Type}).
  bool IsGenericParam(std::string_view name) const;

  // Compares everything except `location`.
  friend bool operator==(const Definition& a, const Definition& b);
};

// A line the parser recognised as a built-in type declaration and kept
// verbatim instead of turning it into a Definition: `int ? = Int;`,
// `vector {t:Type} # [ t ] = Vector t;`, `int128 4*[ int ] = Int128;`.
struct BuiltinLine {
  std::string text;  // the statement without its ';', whitespace collapsed
  SourceLocation location;

  friend bool operator==(const BuiltinLine& a, const BuiltinLine& b) {
    return a.text == b.text;
  }
};

struct Schema {
  // From `// LAYER N` (text) or the "l" key (JSON); 0 when absent.
  int layer = 0;
  // In source order.
  std::vector<Definition> definitions;
  // Built-in lines that were skipped (text form only).
  std::vector<BuiltinLine> builtins;

  // Number of definitions of the given category.
  int Count(Category category) const;
  // The first definition with this full name and category, or nullptr.
  // Linear search; build your own map for heavy use.
  const Definition* Find(std::string_view name, Category category) const;
  // The first definition with this id (either category), or nullptr.
  const Definition* FindById(uint32_t id) const;
  // Every constructor whose result type is `type_name` ("InputPeer").
  std::vector<const Definition*> ConstructorsOf(std::string_view type_name) const;
};

}  // namespace mtcore::tlgen

#endif  // MTCORE_TLGEN_DEFINITION_H_
