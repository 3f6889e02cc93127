#include "tlgen/json_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "tlgen/json.h"

namespace mtcore::tlgen {
namespace {

// Deepest `Vector<Vector<...>>` nesting accepted in a type string.
constexpr int kMaxTypeDepth = 16;

class Reader {
 public:
  Reader(std::string_view text, std::string_view file) : text_(text), file_(file) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  absl::Status Read(const JsonValue& root, Schema& schema) {
    const JsonValue* entries = &root;
    if (root.kind == JsonValue::Kind::kObject) {
      const JsonValue* layer = root.Find("l");
      if (layer != nullptr) {
        uint32_t value = 0;
        MTCORE_RETURN_IF_ERROR(ToUint32(*layer, "\"l\" (the layer)", value));
        if (value > 1000000) return ErrorAt(*layer, "layer out of range");
        schema.layer = static_cast<int>(value);
      }
      entries = root.Find("e");
      if (entries == nullptr) return ErrorAt(root, "missing \"e\" (the list of definitions)");
    }
    if (entries->kind != JsonValue::Kind::kArray) {
      return ErrorAt(*entries, absl::StrCat("expected an array of definitions, found ",
                                            JsonValue::KindName(entries->kind)));
    }
    schema.definitions.reserve(entries->array.size());
    for (const JsonValue& entry : entries->array) {
      Definition def;
      MTCORE_RETURN_IF_ERROR(ReadEntry(entry, def));
      schema.definitions.push_back(std::move(def));
    }
    return absl::OkStatus();
  }

 private:
  SourceLocation Locate(size_t offset) const {
    auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(next - line_starts_.begin());  // >= 1
    return {std::string(file_), static_cast<int>(line),
            static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  absl::Status ErrorAt(const JsonValue& value, std::string_view message) const {
    SourceLocation where = Locate(value.offset);
    return absl::InvalidArgumentError(absl::StrCat(where.ToString(), " (offset ", value.offset,
                                                   "): ", message));
  }

  absl::Status GetString(const JsonValue& object, std::string_view key, std::string& out) const {
    const JsonValue* value = object.Find(key);
    if (value == nullptr) return ErrorAt(object, absl::StrCat("missing \"", key, "\""));
    if (value->kind != JsonValue::Kind::kString) {
      return ErrorAt(*value, absl::StrCat("\"", key, "\" must be a string, found ",
                                          JsonValue::KindName(value->kind)));
    }
    out = value->string;
    return absl::OkStatus();
  }

  absl::Status ToUint32(const JsonValue& value, std::string_view what, uint32_t& out) const {
    if (value.kind != JsonValue::Kind::kNumber || !(value.number >= 0) ||
        value.number > 4294967295.0 || std::floor(value.number) != value.number) {
      return ErrorAt(value, absl::StrCat(what, " must be an integer in 0..4294967295"));
    }
    out = static_cast<uint32_t>(value.number);
    return absl::OkStatus();
  }

  // True if `object[key]` is `true`; a non-bool value is an error.
  absl::Status GetFlag(const JsonValue& object, std::string_view key, bool& out) const {
    out = false;
    const JsonValue* value = object.Find(key);
    if (value == nullptr) return absl::OkStatus();
    if (value->kind != JsonValue::Kind::kBool) {
      return ErrorAt(*value, absl::StrCat("\"", key, "\" must be a bool"));
    }
    out = value->boolean;
    return absl::OkStatus();
  }

  static std::string MapName(std::string name) {
    if (name.rfind("mt_", 0) == 0) name.erase(0, 3);
    if (name == "int53") name = "long";
    return name;
  }

  // "Type", "%Type", "!X", "Vector<T>", "mt_future_salt", "int53", "#".
  absl::Status ParseTypeString(const JsonValue& at, std::string_view text, const Definition& def,
                               int depth, TypeRef& out) const {
    if (depth > kMaxTypeDepth) return ErrorAt(at, "type nesting is too deep");
    bool generic_ref = false, percent = false;
    std::string_view rest = text;
    if (!rest.empty() && rest[0] == '!') {
      generic_ref = true;
      rest.remove_prefix(1);
    } else if (!rest.empty() && rest[0] == '%') {
      percent = true;
      rest.remove_prefix(1);
    }
    std::string_view arg;
    size_t open = rest.find('<');
    if (open != std::string_view::npos) {
      if (rest.back() != '>') return ErrorAt(at, absl::StrCat("invalid type '", text, "'"));
      arg = rest.substr(open + 1, rest.size() - open - 2);
      rest = rest.substr(0, open);
    }
    std::string name = MapName(std::string(rest));
    if (name != "#" && !IsValidTlName(name)) {
      return ErrorAt(at, absl::StrCat("invalid type '", text, "'"));
    }
    if (generic_ref && !def.IsGenericParam(name)) {
      return ErrorAt(at, absl::StrCat("undeclared generic '", name, "'"));
    }
    out = TypeRef::Named(std::move(name));
    out.generic_ref = generic_ref;
    if (percent) out.bare = true;
    if (open != std::string_view::npos) {
      TypeRef inner;
      MTCORE_RETURN_IF_ERROR(ParseTypeString(at, arg, def, depth + 1, inner));
      out.args.push_back(std::move(inner));
    }
    return absl::OkStatus();
  }

  // Applies "isVector" / "isBareVector" / "isBareType" of `modifiers`.
  absl::Status ApplyModifiers(const JsonValue* modifiers, TypeRef& type) const {
    if (modifiers == nullptr) return absl::OkStatus();
    if (modifiers->kind != JsonValue::Kind::kObject) {
      return ErrorAt(*modifiers, "\"typeModifiers\" must be an object");
    }
    bool is_vector, is_bare_vector, is_bare_type;
    MTCORE_RETURN_IF_ERROR(GetFlag(*modifiers, "isVector", is_vector));
    MTCORE_RETURN_IF_ERROR(GetFlag(*modifiers, "isBareVector", is_bare_vector));
    MTCORE_RETURN_IF_ERROR(GetFlag(*modifiers, "isBareType", is_bare_type));
    if (is_vector && is_bare_vector) {
      return ErrorAt(*modifiers, "both \"isVector\" and \"isBareVector\" are set");
    }
    if (is_bare_type) type.bare = true;
    if (is_vector || is_bare_vector) {
      TypeRef vector = TypeRef::Named(is_vector ? "Vector" : "vector");
      vector.args.push_back(std::move(type));
      type = std::move(vector);
    }
    return absl::OkStatus();
  }

  absl::Status ReadEntry(const JsonValue& entry, Definition& def) {
    if (entry.kind != JsonValue::Kind::kObject) {
      return ErrorAt(entry, absl::StrCat("a definition must be an object, found ",
                                         JsonValue::KindName(entry.kind)));
    }
    def.location = Locate(entry.offset);
    std::string kind;
    MTCORE_RETURN_IF_ERROR(GetString(entry, "kind", kind));
    if (kind == "class") {
      def.category = Category::kConstructor;
    } else if (kind == "method") {
      def.category = Category::kFunction;
    } else {
      return ErrorAt(*entry.Find("kind"), absl::StrCat("unknown kind '", kind,
                                                       "': expected \"class\" or \"method\""));
    }
    std::string name;
    MTCORE_RETURN_IF_ERROR(GetString(entry, "name", name));
    def.name = MapName(std::move(name));
    if (!IsValidTlName(def.name)) {
      return ErrorAt(*entry.Find("name"), absl::StrCat("invalid definition name '", def.name, "'"));
    }
    const JsonValue* id = entry.Find("id");
    if (id == nullptr) return ErrorAt(entry, absl::StrCat("missing \"id\" of '", def.name, "'"));
    MTCORE_RETURN_IF_ERROR(ToUint32(*id, "\"id\"", def.id));
    def.explicit_id = true;

    if (const JsonValue* generics = entry.Find("generics"); generics != nullptr) {
      if (generics->kind != JsonValue::Kind::kArray) {
        return ErrorAt(*generics, "\"generics\" must be an array");
      }
      for (const JsonValue& g : generics->array) {
        if (g.kind != JsonValue::Kind::kObject) return ErrorAt(g, "a generic must be an object");
        GenericParam param;
        MTCORE_RETURN_IF_ERROR(GetString(g, "name", param.name));
        MTCORE_RETURN_IF_ERROR(GetString(g, "type", param.type));
        if (!IsValidTlName(param.name) || param.name.find('.') != std::string::npos ||
            !IsValidTlName(param.type)) {
          return ErrorAt(g, absl::StrCat("invalid generic '", param.name, ":", param.type, "'"));
        }
        if (def.IsGenericParam(param.name)) {
          return ErrorAt(g, absl::StrCat("duplicate generic '", param.name, "'"));
        }
        def.generic_params.push_back(std::move(param));
      }
    }

    if (const JsonValue* args = entry.Find("arguments"); args != nullptr) {
      if (args->kind != JsonValue::Kind::kArray) {
        return ErrorAt(*args, "\"arguments\" must be an array");
      }
      for (const JsonValue& arg : args->array) {
        Param param;
        MTCORE_RETURN_IF_ERROR(ReadArgument(arg, def, param));
        def.params.push_back(std::move(param));
      }
    }

    std::string result;
    MTCORE_RETURN_IF_ERROR(GetString(entry, "type", result));
    const JsonValue& result_at = *entry.Find("type");
    MTCORE_RETURN_IF_ERROR(ParseTypeString(result_at, result, def, 0, def.result));
    if (def.result.generic_ref || def.result.name == "#") {
      return ErrorAt(result_at, absl::StrCat("invalid result type '", result, "'"));
    }
    return ApplyModifiers(entry.Find("typeModifiers"), def.result);
  }

  absl::Status ReadArgument(const JsonValue& arg, const Definition& def, Param& param) const {
    if (arg.kind != JsonValue::Kind::kObject) return ErrorAt(arg, "an argument must be an object");
    MTCORE_RETURN_IF_ERROR(GetString(arg, "name", param.name));
    if (param.name.empty() || param.name.find('.') != std::string::npos ||
        !(IsValidTlName(param.name) || param.name[0] == '_')) {
      return ErrorAt(arg, absl::StrCat("invalid argument name '", param.name, "'"));
    }
    if (def.FindParam(param.name) != nullptr) {
      return ErrorAt(arg, absl::StrCat("duplicate argument '", param.name, "' in '", def.name, "'"));
    }
    std::string type;
    MTCORE_RETURN_IF_ERROR(GetString(arg, "type", type));
    const JsonValue& type_at = *arg.Find("type");
    MTCORE_RETURN_IF_ERROR(ParseTypeString(type_at, type, def, 0, param.type));
    const JsonValue* modifiers = arg.Find("typeModifiers");
    MTCORE_RETURN_IF_ERROR(ApplyModifiers(modifiers, param.type));
    if (modifiers == nullptr) return absl::OkStatus();
    const JsonValue* predicate = modifiers->Find("predicate");
    if (predicate == nullptr) return absl::OkStatus();
    if (predicate->kind != JsonValue::Kind::kString) {
      return ErrorAt(*predicate, "\"predicate\" must be a string");
    }
    const std::string& text = predicate->string;
    size_t dot = text.rfind('.');
    if (dot == std::string::npos) {
      return ErrorAt(*predicate, absl::StrCat("invalid predicate '", text, "': expected FIELD.BIT"));
    }
    std::string field = text.substr(0, dot);
    const Param* field_param = def.FindParam(field);
    if (field_param == nullptr || !field_param->IsFlagsField()) {
      return ErrorAt(*predicate, absl::StrCat("unknown flag field '", field, "'"));
    }
    std::string_view bit_text = std::string_view(text).substr(dot + 1);
    int bit = -1;
    bool digits = !bit_text.empty() && bit_text.size() <= 3 &&
                  bit_text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || !absl::SimpleAtoi(bit_text, &bit) || bit > 31) {
      return ErrorAt(*predicate, absl::StrCat("invalid flag bit '", bit_text, "' (expected 0..31)"));
    }
    if (param.type.name == "#") return ErrorAt(type_at, "a '#' field cannot be conditional");
    param.flag = FlagRef{std::move(field), bit};
    return absl::OkStatus();
  }

  std::string_view text_;
  std::string_view file_;
  std::vector<size_t> line_starts_;  // offset of the first byte of each line
};

}  // namespace

absl::StatusOr<Schema> ReadMtcuteJson(std::string_view text, std::string_view file_name) {
  absl::StatusOr<JsonValue> root = ParseJson(text);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ":", root.status().message()));
  }
  Schema schema;
  MTCORE_RETURN_IF_ERROR(Reader(text, file_name).Read(*root, schema));
  return schema;
}

}  // namespace mtcore::tlgen
