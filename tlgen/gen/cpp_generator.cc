#include "tlgen/gen/cpp_generator.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace mtcore::tlgen {
namespace {

constexpr const char* kRt = "::mtcore::tl::";

// C++ keywords and names the generated structs/handles use themselves.
const std::set<std::string>& ReservedFieldNames() {
  static const auto* names = new std::set<std::string>{
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
      "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "final", "override",
      "assert", "errno", "NULL", "EOF", "linux", "unix",
      // Members of every generated struct.
      "kId", "kName", "kMinBareSize", "Type", "Result", "SizeBare", "WriteBare", "ReadBare",
      "PrintTo"};
  return *names;
}

// Names the runtime declares in mtcore::tl (a generated name must not clash).
const std::set<std::string>& RuntimeNames() {
  static const auto* names = new std::set<std::string>{
      "Object", "Node", "AnyObject", "AnyFunction", "AdoptTag", "Reader", "Writer", "Sizer",
      "Printer", "Int128", "Int256", "DepthGuard", "TlStruct", "TlFunction", "TlHandle",
      "SizeValue", "WriteValue", "ReadValue", "Serialize", "SerializeTo", "Parse",
      "ParseResult", "SerializedSize", "to_string", "PrintValue", "TlInfo", "AllTlInfos",
      "FindTlInfo", "FindTlInfoByName", "ConstructorName", "NewNode", "mtproto", "testing",
      "Bytes", "ByteView"};
  return *names;
}

std::string EscapeField(const std::string& name) {
  return ReservedFieldNames().count(name) ? name + "_" : name;
}

std::string CppName(const std::string& tl_name) {
  return absl::StrReplaceAll(tl_name, {{".", "_"}});
}

// A C string literal for ASCII text (TL names are ASCII identifiers).
std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

struct TypeInfo;
struct Def;

// How a TL type is represented and (de)serialized.
struct TypeDesc {
  enum Kind {
    kInt,
    kLong,
    kDouble,
    kString,
    kInt128,
    kInt256,
    kBool,        // boxed Bool
    kTrue,        // flags.N?true
    kVector,      // Vector<T>
    kBareVector,  // vector<T>
    kHandle,      // a boxed type
    kStruct,      // a bare constructor
    kAnyObject,   // Object
    kGeneric,     // !X
  };
  Kind kind = kInt;
  std::string cpp;                 // the C++ type
  std::shared_ptr<TypeDesc> elem;  // vectors
  TypeInfo* handle = nullptr;      // kHandle
  Def* strct = nullptr;            // kStruct
};

struct Field {
  const Param* param = nullptr;
  std::string tl_name;
  std::string cpp_name;
  bool flags_word = false;
  bool optional = false;
  std::string flag_local;  // local variable holding the flags word
  std::string flag_field;  // TL name of the flags word
  int bit = 0;
  TypeDesc type;
  std::string member_type;  // the C++ member type
};

struct TypeInfo {
  std::string tl_name;
  int schema = 0;
  std::string cpp;   // unqualified
  std::string full;  // ::mtcore::tl::...
  std::vector<Def*> ctors;
  int bucket = 0;
  Def* best = nullptr;  // lowest-rank constructor (random fill at max depth)
};

struct Def {
  const Definition* d = nullptr;
  int schema = 0;
  bool function = false;
  bool generic = false;
  std::string cpp;
  std::string full;       // ::mtcore::tl::name (no template arguments)
  std::string full_inst;  // full + "<>" for generics
  TypeInfo* type = nullptr;  // constructors
  std::string type_full;     // constructors: handle (or AnyObject)
  std::string result_cpp;    // functions
  std::vector<Field> fields;
  int bucket = 0;
  size_t min_size = 0;
  int rank = std::numeric_limits<int>::max();
  std::string generic_param;  // "X"
};

bool IsBuiltinType(const std::string& name) {
  return name == "Bool" || name == "True" || name == "Vector";
}

class Generator {
 public:
  Generator(const std::vector<CppSchemaInput>& inputs, const CppGeneratorOptions& options)
      : inputs_(inputs), options_(options) {}

  absl::StatusOr<std::map<std::string, std::string>> Run() {
    absl::Status st = Collect();
    if (!st.ok()) return st;
    st = ResolveFields();
    if (!st.ok()) return st;
    ComputeRanks();
    std::map<std::string, std::string> files;
    const std::string& stem = options_.file_stem;
    files[stem + ".h"] = Header();
    for (int b = 0; b < options_.source_files; ++b) {
      files[absl::StrCat(stem, "_", b, ".cc")] = Source(b);
    }
    files[stem + "_tables.cc"] = Tables();
    files[stem + "_testing.h"] = TestingHeader();
    for (int b = 0; b < options_.testing_files; ++b) {
      files[absl::StrCat(stem, "_testing_", b, ".cc")] = TestingSource(b);
    }
    files[stem + "_testing_tables.cc"] = TestingTables();
    return files;
  }

 private:
  std::string NsPrefix(int schema) const {
    const std::string& ns = inputs_[schema].cpp_namespace;
    return ns.empty() ? "::mtcore::tl::" : absl::StrCat("::mtcore::tl::", ns, "::");
  }
  // A standalone output (tables in a namespace of their own): no AnyObject /
  // AnyFunction readers, so no `Object` fields and no generic functions.
  bool Standalone() const { return !options_.tables_namespace.empty(); }
  // Namespace of TlInfo, AllTlInfos, FindTlInfo, ConstructorName ...
  std::string TablesNs() const {
    return Standalone() ? absl::StrCat("mtcore::tl::", options_.tables_namespace) : "mtcore::tl";
  }
  // Namespace of RandomObject.
  std::string TestingNs() const {
    return Standalone() ? TablesNs() + "::testing" : "mtcore::tl::testing";
  }
  // "MTCORE_TL_API" for file stem "api".
  std::string GuardStem() const {
    std::string out = "MTCORE_TL_";
    for (char c : options_.file_stem) {
      out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A')
                                    : ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    return out;
  }
  std::string NsOpen(int schema) const {
    const std::string& ns = inputs_[schema].cpp_namespace;
    return ns.empty() ? "namespace mtcore::tl {\n" : absl::StrCat("namespace mtcore::tl::", ns, " {\n");
  }

  absl::Status Error(const Definition& d, const std::string& msg) const {
    return absl::InvalidArgumentError(
        absl::StrCat(d.location.ToString(), ": ", d.name, ": ", msg));
  }

  absl::Status Collect() {
    for (int si = 0; si < static_cast<int>(inputs_.size()); ++si) {
      std::map<std::string, std::string> cpp_names;  // cpp name -> TL name, per namespace
      auto claim = [&](const std::string& cpp, const std::string& tl,
                       const Definition& d) -> absl::Status {
        if (RuntimeNames().count(cpp)) {
          return Error(d, absl::StrCat("C++ name ", cpp, " clashes with the TL runtime"));
        }
        auto [it, inserted] = cpp_names.emplace(cpp, tl);
        if (!inserted && it->second != tl) {
          return Error(d, absl::StrCat("C++ name ", cpp, " is used by both ", it->second,
                                       " and ", tl));
        }
        return absl::OkStatus();
      };
      for (const Definition& d : inputs_[si].schema.definitions) {
        const bool function = d.category == Category::kFunction;
        if (!function && IsBuiltinType(d.result.name)) {
          builtin_names_.push_back({d.id, d.name, d.result.name});
          continue;
        }
        auto def = std::make_unique<Def>();
        def->d = &d;
        def->schema = si;
        def->function = function;
        def->generic = !d.generic_params.empty();
        if (def->generic) {
          if (d.generic_params.size() != 1) return Error(d, "more than one generic parameter");
          def->generic_param = d.generic_params[0].name;
        }
        if (Standalone() && def->generic) {
          return Error(d, "a generic definition in a standalone schema (nothing reads !X)");
        }
        def->cpp = CppName(d.name);
        def->full = NsPrefix(si) + def->cpp;
        def->full_inst = def->generic ? def->full + "<>" : def->full;
        def->bucket = static_cast<int>(Fnv1a(def->full) % options_.source_files);
        absl::Status st = claim(def->cpp, d.name, d);
        if (!st.ok()) return st;
        if (by_id_.count(d.id)) {
          const Def* other = by_id_[d.id];
          if (other->d->name != d.name || other->schema == si) {
            return Error(d, absl::StrFormat("constructor id 0x%08x is also used by %s", d.id,
                                            other->d->name));
          }
          continue;  // the same definition in two schemas: generated once
        }
        by_id_.emplace(d.id, def.get());
        if (!function && d.result.name != "Object") {
          auto key = std::make_pair(si, d.result.name);
          auto& ti = types_[key];
          if (!ti) {
            ti = std::make_unique<TypeInfo>();
            ti->tl_name = d.result.name;
            ti->schema = si;
            ti->cpp = CppName(d.result.name);
            ti->full = NsPrefix(si) + ti->cpp;
            ti->bucket = static_cast<int>(Fnv1a(ti->full) % options_.source_files);
            st = claim(ti->cpp, d.result.name, d);
            if (!st.ok()) return st;
            type_order_.push_back(ti.get());
          }
          ti->ctors.push_back(def.get());
          def->type = ti.get();
          def->type_full = ti->full;
        } else if (!function) {
          def->type_full = absl::StrCat(kRt, "AnyObject");
        }
        ctor_by_name_[{si, d.name}] = def.get();
        defs_.push_back(std::move(def));
      }
    }
    return absl::OkStatus();
  }

  TypeInfo* FindType(int schema, const std::string& name) {
    auto it = types_.find({schema, name});
    if (it != types_.end()) return it->second.get();
    for (int si = 0; si < static_cast<int>(inputs_.size()); ++si) {
      it = types_.find({si, name});
      if (it != types_.end()) return it->second.get();
    }
    return nullptr;
  }
  Def* FindCtor(int schema, const std::string& name) {
    auto it = ctor_by_name_.find({schema, name});
    if (it != ctor_by_name_.end()) return it->second;
    for (int si = 0; si < static_cast<int>(inputs_.size()); ++si) {
      it = ctor_by_name_.find({si, name});
      if (it != ctor_by_name_.end()) return it->second;
    }
    return nullptr;
  }

  absl::StatusOr<TypeDesc> Resolve(const Def& def, const TypeRef& t, bool top) {
    TypeDesc out;
    const std::string& n = t.name;
    if (t.generic_ref || (def.generic && n == def.generic_param)) {
      out.kind = TypeDesc::kGeneric;
      out.cpp = def.generic_param;
      return out;
    }
    if (t.IsVector()) {
      auto elem = Resolve(def, t.args[0], false);
      if (!elem.ok()) return elem.status();
      if (elem->kind == TypeDesc::kTrue || elem->kind == TypeDesc::kGeneric) {
        return Error(*def.d, absl::StrCat("unsupported vector element ", t.ToString()));
      }
      if (elem->kind == TypeDesc::kBool) {
        return Error(*def.d, "Vector<Bool> is not supported");
      }
      out.kind = t.bare ? TypeDesc::kBareVector : TypeDesc::kVector;
      if (out.kind == TypeDesc::kBareVector && !top) {
        return Error(*def.d, absl::StrCat("nested bare vector ", t.ToString()));
      }
      out.elem = std::make_shared<TypeDesc>(*elem);
      out.cpp = absl::StrCat("std::vector<", elem->cpp, ">");
      return out;
    }
    if (!t.args.empty()) return Error(*def.d, absl::StrCat("unsupported type ", t.ToString()));
    static const std::map<std::string, std::pair<TypeDesc::Kind, std::string>> prims = {
        {"int", {TypeDesc::kInt, "int32_t"}},
        {"#", {TypeDesc::kInt, "uint32_t"}},
        {"long", {TypeDesc::kLong, "int64_t"}},
        {"int53", {TypeDesc::kLong, "int64_t"}},
        {"double", {TypeDesc::kDouble, "double"}},
        {"string", {TypeDesc::kString, "std::string"}},
        {"bytes", {TypeDesc::kString, "std::string"}},
        {"int128", {TypeDesc::kInt128, "::mtcore::tl::Int128"}},
        {"int256", {TypeDesc::kInt256, "::mtcore::tl::Int256"}},
        {"Bool", {TypeDesc::kBool, "bool"}},
        {"true", {TypeDesc::kTrue, "bool"}},
        {"Object", {TypeDesc::kAnyObject, "::mtcore::tl::AnyObject"}},
    };
    auto p = prims.find(n);
    if (p != prims.end() && p->second.first == TypeDesc::kAnyObject && Standalone()) {
      return Error(*def.d, "an Object field in a standalone schema (nothing reads it)");
    }
    if (p != prims.end()) {
      out.kind = p->second.first;
      out.cpp = p->second.second;
      return out;
    }
    const bool upper = !t.ShortName().empty() && t.ShortName()[0] >= 'A' && t.ShortName()[0] <= 'Z';
    if (upper) {
      TypeInfo* ti = FindType(def.schema, n);
      if (ti == nullptr) return Error(*def.d, absl::StrCat("unknown type ", t.ToString()));
      if (t.bare) {
        if (ti->ctors.size() != 1) {
          return Error(*def.d, absl::StrCat("bare type ", t.ToString(), " has ",
                                            ti->ctors.size(), " constructors"));
        }
        out.kind = TypeDesc::kStruct;
        out.strct = ti->ctors[0];
        out.cpp = out.strct->full;
        return out;
      }
      out.kind = TypeDesc::kHandle;
      out.handle = ti;
      out.cpp = ti->full;
      return out;
    }
    Def* c = FindCtor(def.schema, n);
    if (c == nullptr || c->function) {
      return Error(*def.d, absl::StrCat("unknown bare type ", t.ToString()));
    }
    if (c->generic) return Error(*def.d, "a generic constructor used as a bare type");
    out.kind = TypeDesc::kStruct;
    out.strct = c;
    out.cpp = c->full;
    return out;
  }

  absl::Status ResolveFields() {
    for (auto& def : defs_) {
      const Definition& d = *def->d;
      std::set<std::string> used;
      std::set<std::string> flag_words;
      for (const Param& p : d.params) {
        Field f;
        f.param = &p;
        f.tl_name = p.name;
        f.cpp_name = EscapeField(p.name);
        if (!used.insert(f.cpp_name).second) return Error(d, "duplicate field " + p.name);
        if (p.IsFlagsField()) {
          f.flags_word = true;
          f.flag_local = "tl_flags_" + p.name;
          flag_words.insert(p.name);
          def->fields.push_back(std::move(f));
          continue;
        }
        if (p.flag) {
          if (!flag_words.count(p.flag->field)) {
            return Error(d, absl::StrCat("field ", p.name, " uses flags word ", p.flag->field,
                                         " before it is declared"));
          }
          f.optional = true;
          f.flag_field = p.flag->field;
          f.flag_local = "tl_flags_" + p.flag->field;
          f.bit = p.flag->bit;
        }
        auto t = Resolve(*def, p.type, true);
        if (!t.ok()) return t.status();
        f.type = *t;
        if (f.type.kind == TypeDesc::kTrue && !f.optional) {
          return Error(d, "a `true` field outside flags: " + p.name);
        }
        if (!f.optional || f.type.kind == TypeDesc::kTrue || f.type.kind == TypeDesc::kHandle ||
            f.type.kind == TypeDesc::kAnyObject) {
          f.member_type = f.type.cpp;
        } else {
          f.member_type = absl::StrCat("std::optional<", f.type.cpp, ">");
        }
        def->fields.push_back(std::move(f));
      }
      if (def->function) {
        if (def->generic && !d.result.bare && d.result.name == def->generic_param) {
          def->result_cpp = absl::StrCat("typename ", def->generic_param, "::Result");
        } else {
          auto t = Resolve(*def, d.result, false);
          if (!t.ok()) return t.status();
          if (t->kind == TypeDesc::kTrue) return Error(d, "result type true");
          def->result_cpp = t->cpp;
        }
      }
    }
    // Minimum sizes (bare structs first: they only nest acyclically).
    std::function<size_t(Def*, int)> min_size = [&](Def* def, int guard) -> size_t {
      if (guard > 64) return 0;
      size_t n = 0;
      for (const Field& f : def->fields) {
        if (f.flags_word) {
          n += 4;
          continue;
        }
        if (f.optional) continue;
        switch (f.type.kind) {
          case TypeDesc::kLong:
          case TypeDesc::kDouble: n += 8; break;
          case TypeDesc::kInt128: n += 16; break;
          case TypeDesc::kInt256: n += 32; break;
          case TypeDesc::kVector: n += 8; break;
          case TypeDesc::kStruct: n += min_size(f.type.strct, guard + 1); break;
          default: n += 4;
        }
      }
      return n;
    };
    for (auto& def : defs_) def->min_size = min_size(def.get(), 0);
    return absl::OkStatus();
  }

  // rank(ctor) = 1 + the ranks its required boxed fields force; the lowest-rank
  // constructor of each type is what random fill uses at its depth limit.
  void ComputeRanks() {
    const int inf = std::numeric_limits<int>::max();
    bool changed = true;
    std::map<TypeInfo*, int> type_rank;
    while (changed) {
      changed = false;
      for (auto& def : defs_) {
        int r = 1;
        for (const Field& f : def->fields) {
          if (f.flags_word || f.optional) continue;
          int need = 0;
          if (f.type.kind == TypeDesc::kHandle) {
            auto it = type_rank.find(f.type.handle);
            need = it == type_rank.end() ? inf : it->second;
          } else if (f.type.kind == TypeDesc::kStruct) {
            need = f.type.strct->rank;
          }
          if (need == inf) {
            r = inf;
            break;
          }
          r = std::max(r, need + 1);
        }
        if (r < def->rank) {
          def->rank = r;
          changed = true;
          if (def->type) {
            auto& tr = type_rank.emplace(def->type, inf).first->second;
            if (r < tr) {
              tr = r;
              def->type->best = def.get();
            }
          }
        }
      }
    }
    for (TypeInfo* t : type_order_) {
      if (t->best == nullptr) t->best = t->ctors[0];
    }
  }

  // --- Code for one field operation ---------------------------------------

  std::string Presence(const Field& f) const {
    std::string m = "this->" + f.cpp_name;
    switch (f.type.kind) {
      case TypeDesc::kTrue: return m;
      case TypeDesc::kHandle:
      case TypeDesc::kAnyObject: return absl::StrCat("static_cast<bool>(", m, ")");
      default: return m + ".has_value()";
    }
  }
  // The expression of the value (through the optional when there is one).
  std::string Value(const Field& f) const {
    std::string m = "this->" + f.cpp_name;
    if (f.optional && f.type.kind != TypeDesc::kHandle && f.type.kind != TypeDesc::kAnyObject &&
        f.type.kind != TypeDesc::kTrue) {
      return "(*" + m + ")";
    }
    return m;
  }

  static size_t FixedSize(const TypeDesc& t) {
    switch (t.kind) {
      case TypeDesc::kInt:
      case TypeDesc::kBool: return 4;
      case TypeDesc::kLong:
      case TypeDesc::kDouble: return 8;
      case TypeDesc::kInt128: return 16;
      case TypeDesc::kInt256: return 32;
      default: return 0;
    }
  }

  std::string SizeBody(const Def& def) const {
    std::string out;
    size_t fixed = 0;
    std::string dynamic;
    // Flag bits shared by several fields must agree.
    std::map<std::pair<std::string, int>, std::vector<const Field*>> by_bit;
    for (const Field& f : def.fields) {
      if (f.flags_word) {
        fixed += 4;
        continue;
      }
      if (f.optional) by_bit[{f.flag_field, f.bit}].push_back(&f);
      if (f.type.kind == TypeDesc::kTrue) continue;
      std::string v = Value(f);
      std::string stmt;
      size_t fs = FixedSize(f.type);
      if (fs != 0) {
        if (!f.optional) {
          fixed += fs;
          continue;
        }
        stmt = absl::StrCat("tl_s.Add(", fs, ");");
      } else if (f.type.kind == TypeDesc::kHandle && !f.optional) {
        stmt = absl::StrCat(kRt, "SizeRequired(tl_s, ", v, ", ",
                            Quote(absl::StrCat(def.d->name, ".", f.tl_name, " is not set")), ");");
      } else if (f.type.kind == TypeDesc::kBareVector) {
        stmt = absl::StrCat(kRt, "SizeBareVector(tl_s, ", v, ");");
      } else if (f.type.kind == TypeDesc::kGeneric) {
        stmt = absl::StrCat(kRt, "SizeBoxedValue(tl_s, ", v, ");");
      } else {
        stmt = absl::StrCat(kRt, "SizeValue(tl_s, ", v, ");");
      }
      if (f.optional) {
        absl::StrAppend(&dynamic, "  if (", Presence(f), ") ", stmt, "\n");
      } else {
        absl::StrAppend(&dynamic, "  ", stmt, "\n");
      }
    }
    if (fixed) absl::StrAppend(&out, "  tl_s.Add(", fixed, ");\n");
    out += dynamic;
    for (const auto& [key, fields] : by_bit) {
      if (fields.size() < 2) continue;
      std::vector<std::string> names;
      for (const Field* f : fields) names.push_back(f->tl_name);
      std::string msg = absl::StrCat(def.d->name, ": fields ", absl::StrJoin(names, ", "),
                                     " share ", key.first, ".", key.second,
                                     " and must be all set or all unset");
      for (size_t i = 1; i < fields.size(); ++i) {
        absl::StrAppend(&out, "  if (", Presence(*fields[0]), " != ", Presence(*fields[i]),
                        ") tl_s.Fail(", Quote(msg), ");\n");
      }
    }
    return out;
  }

  std::string WriteBody(const Def& def) const {
    std::string out;
    for (const Field& f : def.fields) {
      if (f.flags_word) {
        absl::StrAppend(&out, "  uint32_t ", f.flag_local, " = 0;\n");
        for (const Field& g : def.fields) {
          if (g.optional && g.flag_field == f.tl_name) {
            absl::StrAppend(&out, "  if (", Presence(g), ") ", f.flag_local, " |= 0x",
                            absl::Hex(uint32_t{1} << g.bit), "u;\n");
          }
        }
        absl::StrAppend(&out, "  tl_w.WriteUint32(", f.flag_local, ");\n");
        continue;
      }
      if (f.type.kind == TypeDesc::kTrue) continue;
      std::string v = Value(f);
      std::string stmt;
      if (f.type.kind == TypeDesc::kBareVector) {
        stmt = absl::StrCat(kRt, "WriteBareVector(tl_w, ", v, ");");
      } else if (f.type.kind == TypeDesc::kGeneric) {
        stmt = absl::StrCat(kRt, "WriteBoxedValue(tl_w, ", v, ");");
      } else {
        stmt = absl::StrCat(kRt, "WriteValue(tl_w, ", v, ");");
      }
      if (f.optional) {
        absl::StrAppend(&out, "  if (", Presence(f), ") ", stmt, "\n");
      } else {
        absl::StrAppend(&out, "  ", stmt, "\n");
      }
    }
    return out;
  }

  std::string ReadBody(const Def& def) const {
    std::string out;
    for (const Field& f : def.fields) {
      if (f.flags_word) {
        absl::StrAppend(&out, "  [[maybe_unused]] const uint32_t ", f.flag_local, " = tl_r.ReadUint32();\n");
        continue;
      }
      std::string m = "this->" + f.cpp_name;
      std::string cond = f.optional ? absl::StrCat("(", f.flag_local, " & 0x",
                                                   absl::Hex(uint32_t{1} << f.bit), "u)")
                                    : "";
      if (f.type.kind == TypeDesc::kTrue) {
        absl::StrAppend(&out, "  ", m, " = ", cond, " != 0;\n");
        continue;
      }
      std::string target = m;
      if (f.optional && f.type.kind != TypeDesc::kHandle && f.type.kind != TypeDesc::kAnyObject) {
        target = m + ".emplace()";
      }
      std::string stmt;
      if (f.type.kind == TypeDesc::kBareVector) {
        stmt = absl::StrCat(kRt, "ReadBareVector(tl_r, ", target, ");");
      } else if (f.type.kind == TypeDesc::kGeneric) {
        stmt = absl::StrCat(kRt, "ReadBoxedValue(tl_r, ", target, ");");
      } else {
        stmt = absl::StrCat(kRt, "ReadValue(tl_r, ", target, ");");
      }
      if (f.optional) {
        absl::StrAppend(&out, "  if ", cond, " ", stmt, "\n");
      } else {
        absl::StrAppend(&out, "  ", stmt, "\n");
      }
    }
    return out;
  }

  std::string PrintBody(const Def& def) const {
    std::string out = absl::StrCat("  tl_p.Begin(", Quote(def.d->name), ");\n");
    for (const Field& f : def.fields) {
      if (f.flags_word) continue;
      std::string stmt = absl::StrCat("{ tl_p.Field(", Quote(f.tl_name), "); ", kRt,
                                      "PrintValue(tl_p, ", Value(f), "); }");
      if (f.optional) {
        absl::StrAppend(&out, "  if (", Presence(f), ") ", stmt, "\n");
      } else {
        absl::StrAppend(&out, "  ", stmt, "\n");
      }
    }
    out += "  tl_p.End();\n";
    return out;
  }

  // --- api.h ----------------------------------------------------------------

  std::string StructDecl(const Def& def) const {
    const Definition& d = *def.d;
    std::string out;
    absl::StrAppend(&out, "// ", d.name, "#", absl::Hex(d.id, absl::kZeroPad8));
    for (const Param& p : d.params) absl::StrAppend(&out, " ", p.ToString());
    absl::StrAppend(&out, " = ", d.result.ToString(), "\n");
    if (def.generic) {
      absl::StrAppend(&out, "template <class ", def.generic_param, " = ::mtcore::tl::AnyFunction>\n");
    }
    absl::StrAppend(&out, "struct ", def.cpp, " {\n");
    absl::StrAppend(&out, "  static constexpr uint32_t kId = 0x", absl::Hex(d.id, absl::kZeroPad8),
                    "u;\n");
    absl::StrAppend(&out, "  static constexpr const char* kName = ", Quote(d.name), ";\n");
    absl::StrAppend(&out, "  static constexpr size_t kMinBareSize = ", def.min_size, ";\n");
    if (def.function) {
      absl::StrAppend(&out, "  using Result = ", def.result_cpp, ";\n");
    } else {
      absl::StrAppend(&out, "  using Type = ", def.type_full, ";\n");
    }
    for (const Field& f : def.fields) {
      if (f.flags_word) continue;
      std::string init;
      if (f.member_type == "bool" || f.member_type == "int32_t" || f.member_type == "int64_t" ||
          f.member_type == "double" || f.member_type == "uint32_t") {
        init = f.member_type == "bool" ? " = false" : " = 0";
      } else if (f.type.kind == TypeDesc::kInt128 || f.type.kind == TypeDesc::kInt256 ||
                 f.type.kind == TypeDesc::kGeneric) {
        init = "{}";
      }
      absl::StrAppend(&out, "  ", f.member_type, " ", f.cpp_name, init, ";\n");
    }
    const std::string self = def.generic ? def.cpp : def.full;
    if (def.generic) {
      absl::StrAppend(&out, "  void SizeBare(::mtcore::tl::Sizer& tl_s) const {\n", SizeBody(def),
                      "  }\n");
      absl::StrAppend(&out, "  void WriteBare(::mtcore::tl::Writer& tl_w) const {\n",
                      WriteBody(def), "  }\n");
      absl::StrAppend(&out, "  void ReadBare(::mtcore::tl::Reader& tl_r) {\n", ReadBody(def),
                      "  }\n");
      absl::StrAppend(&out, "  void PrintTo(::mtcore::tl::Printer& tl_p) const {\n",
                      PrintBody(def), "  }\n");
    } else {
      out +=
          "  void SizeBare(::mtcore::tl::Sizer& tl_s) const;\n"
          "  void WriteBare(::mtcore::tl::Writer& tl_w) const;\n"
          "  void ReadBare(::mtcore::tl::Reader& tl_r);\n"
          "  void PrintTo(::mtcore::tl::Printer& tl_p) const;\n";
    }
    absl::StrAppend(&out, "  friend bool operator==(const ", self, "&, const ", self,
                    "&) = default;\n};\n");
    return out;
  }

  std::string HandleDecl(const TypeInfo& t) const {
    std::string out;
    absl::StrAppend(&out, "// Boxed type ", t.tl_name, ": ");
    std::vector<std::string> names;
    for (const Def* c : t.ctors) names.push_back(c->cpp);
    absl::StrAppend(&out, absl::StrJoin(names, ", "), "\n");
    absl::StrAppend(&out, "class ", t.cpp, " : public ::mtcore::tl::AnyObject {\n public:\n");
    absl::StrAppend(&out, "  static constexpr const char* kName = ", Quote(t.tl_name), ";\n");
    absl::StrAppend(&out, "  ", t.cpp, "() = default;\n");
    absl::StrAppend(&out, "  ", t.cpp, "(std::nullptr_t) {}\n");
    absl::StrAppend(&out, "  template <class C, std::enable_if_t<std::is_same_v<typename C::Type, ",
                    t.cpp, ">, int> = 0>\n");
    absl::StrAppend(&out, "  ", t.cpp, "(C c) : AnyObject(std::move(c)) {}\n");
    absl::StrAppend(&out, "  ", t.cpp,
                    "(::mtcore::tl::AdoptTag tl_t, ::mtcore::tl::Object* tl_o) : AnyObject(tl_t, "
                    "tl_o) {}\n");
    absl::StrAppend(&out, "  static ", t.cpp, " ReadBoxed(::mtcore::tl::Reader& tl_r);\n};\n");
    return out;
  }

  // Definitions in an order where bare struct members come first.
  std::vector<Def*> SortedDefs() const {
    std::vector<Def*> out;
    std::set<Def*> done;
    std::function<void(Def*)> visit = [&](Def* d) {
      if (!done.insert(d).second) return;
      for (const Field& f : d->fields) {
        const TypeDesc* t = &f.type;
        if (t->elem) t = t->elem.get();
        if (t->kind == TypeDesc::kStruct) visit(t->strct);
      }
      out.push_back(d);
    };
    for (const auto& d : defs_) visit(d.get());
    return out;
  }

  std::string Header() const {
    std::string out = R"(// Generated by //tlgen/gen:tlgen_cpp from the TL schemas. Do not edit.
//
// Every TL constructor and function as a C++ aggregate, every boxed type as a
// handle class; see tlgen/gen/cpp_generator.h for the naming scheme and
// tl/object.h, tl/values.h for how to use them.
#ifndef )" + GuardStem() + R"(_H_
#define )" + GuardStem() + R"(_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "tl/object.h"
#include "tl/printer.h"
#include "tl/reader.h"
#include "tl/values.h"
#include "tl/writer.h"

)";
    int open = -2;
    auto switch_ns = [&](int schema) {
      if (schema == open) return;
      if (open != -2) out += "}  // namespace\n\n";
      out += NsOpen(schema);
      open = schema;
    };
    for (const TypeInfo* t : type_order_) {
      switch_ns(t->schema);
      out += HandleDecl(*t);
    }
    for (const Def* d : SortedDefs()) {
      switch_ns(d->schema);
      out += StructDecl(*d);
    }
    if (open != -2) out += "}  // namespace\n\n";
    out += "namespace mtcore::tl {\n\n";
    for (const auto& d : defs_) {
      absl::StrAppend(&out, "extern template class Node<", d->full_inst, ">;\n");
    }
    if (Standalone()) {
      absl::StrAppend(&out, "\n}  // namespace mtcore::tl\n\nnamespace ", TablesNs(), " {\n");
    }
    out += R"(
// One constructor or function of any compiled-in schema.
struct TlInfo {
  uint32_t id;
  const char* name;  // TL name: "messages.getHistory"
  const char* type;  // boxed type (constructors) or result type (functions)
  bool is_function;
  bool has_struct;   // false for built-ins with no struct (boolTrue, vector, ...)
};

// Every constructor and function, sorted by id.
absl::Span<const TlInfo> AllTlInfos();
// By id / by TL name; nullptr when unknown.
const TlInfo* FindTlInfo(uint32_t id);
const TlInfo* FindTlInfoByName(std::string_view name);
// The TL name of `id`, or nullptr when unknown.
const char* ConstructorName(uint32_t id);

}  // namespace )" + TablesNs() + R"(

#endif  // )" + GuardStem() + R"(_H_
)";
    return out;
  }

  // --- api_N.cc ---------------------------------------------------------------

  std::string Source(int bucket) const {
    std::string out = absl::StrCat(
        "// Generated by //tlgen/gen:tlgen_cpp. Do not edit.\n#include \"", options_.include_prefix,
        options_.file_stem, ".h\"\n\n");
    for (const auto& dp : defs_) {
      const Def& def = *dp;
      if (def.bucket != bucket) continue;
      absl::StrAppend(&out, "template class ::mtcore::tl::Node<", def.full_inst, ">;\n");
      if (def.generic) continue;
      absl::StrAppend(&out, "void ", def.full, "::SizeBare(::mtcore::tl::Sizer& tl_s) const {\n",
                      SizeBody(def), "}\n");
      absl::StrAppend(&out, "void ", def.full,
                      "::WriteBare(::mtcore::tl::Writer& tl_w) const {\n", WriteBody(def), "}\n");
      absl::StrAppend(&out, "void ", def.full, "::ReadBare(::mtcore::tl::Reader& tl_r) {\n",
                      ReadBody(def), "}\n");
      absl::StrAppend(&out, "void ", def.full, "::PrintTo(::mtcore::tl::Printer& tl_p) const {\n",
                      PrintBody(def), "}\n");
    }
    for (const TypeInfo* t : type_order_) {
      if (t->bucket != bucket) continue;
      absl::StrAppend(&out, "auto ", t->full, "::ReadBoxed(::mtcore::tl::Reader& tl_r) -> ",
                      t->full, " {\n");
      out +=
          "  ::mtcore::tl::DepthGuard tl_guard(tl_r);\n"
          "  if (!tl_guard.entered()) return {};\n"
          "  const uint32_t tl_id = tl_r.ReadUint32();\n"
          "  switch (tl_id) {\n";
      for (const Def* c : t->ctors) {
        absl::StrAppend(&out, "    case ", c->full_inst, "::kId: return ", t->full,
                        "(::mtcore::tl::AdoptTag{}, ::mtcore::tl::NewNode<", c->full_inst,
                        ">(tl_r));\n");
      }
      absl::StrAppend(&out,
                      "    default:\n"
                      "      tl_r.FailUnknownConstructor(tl_id, ",
                      Quote(t->tl_name), ", ::", TablesNs(),
                      "::ConstructorName(tl_id));\n"
                      "      return {};\n  }\n}\n");
    }
    return out;
  }

  struct InfoRow {
    uint32_t id;
    std::string name, type;
    bool function = false, has_struct = false;
    int schema = 0;
  };

  std::vector<InfoRow> InfoRows() const {
    std::map<uint32_t, InfoRow> rows;
    for (const auto& d : defs_) {
      rows.emplace(d->d->id, InfoRow{d->d->id, d->d->name, d->d->result.ToString(), d->function,
                                     true, d->schema});
    }
    std::vector<InfoRow> builtins = builtin_names_;
    builtins.push_back({0xbc799737, "boolFalse", "Bool", false, false});
    builtins.push_back({0x997275b5, "boolTrue", "Bool", false, false});
    builtins.push_back({0x3fedd339, "true", "True", false, false});
    builtins.push_back({0x1cb5c415, "vector", "Vector", false, false});
    for (InfoRow r : builtins) {
      r.has_struct = false;
      r.function = false;
      rows.emplace(r.id, r);
    }
    std::vector<InfoRow> out;
    for (auto& [id, r] : rows) out.push_back(r);
    return out;
  }

  std::string Tables() const {
    std::string out = absl::StrCat(
        "// Generated by //tlgen/gen:tlgen_cpp. Do not edit.\n#include <algorithm>\n\n#include \"",
        options_.include_prefix, options_.file_stem, ".h\"\n\nnamespace ", TablesNs(),
        " {\nnamespace {\n\n");
    std::vector<InfoRow> rows = InfoRows();
    out += "constexpr TlInfo kInfos[] = {\n";
    for (const InfoRow& r : rows) {
      absl::StrAppend(&out, "    {0x", absl::Hex(r.id, absl::kZeroPad8), "u, ", Quote(r.name),
                      ", ", Quote(r.type), ", ", r.function ? "true" : "false", ", ",
                      r.has_struct ? "true" : "false", "},\n");
    }
    out += "};\n\n";
    std::vector<size_t> by_name(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) by_name[i] = i;
    std::sort(by_name.begin(), by_name.end(),
              [&](size_t a, size_t b) {
                // Names in several schemas: the API's entry comes first.
                return std::tie(rows[a].name, rows[a].schema) < std::tie(rows[b].name, rows[b].schema);
              });
    out += "constexpr uint16_t kByName[] = {\n";
    for (size_t i : by_name) absl::StrAppend(&out, "    ", i, ",\n");
    out += "};\n\n}  // namespace\n\n";
    out += R"(absl::Span<const TlInfo> AllTlInfos() { return kInfos; }

const TlInfo* FindTlInfo(uint32_t id) {
  const TlInfo* end = kInfos + sizeof(kInfos) / sizeof(kInfos[0]);
  const TlInfo* it =
      std::lower_bound(kInfos, end, id, [](const TlInfo& a, uint32_t b) { return a.id < b; });
  return it != end && it->id == id ? it : nullptr;
}

const TlInfo* FindTlInfoByName(std::string_view name) {
  const uint16_t* end = kByName + sizeof(kByName) / sizeof(kByName[0]);
  const uint16_t* it = std::lower_bound(
      kByName, end, name,
      [](uint16_t a, std::string_view b) { return std::string_view(kInfos[a].name) < b; });
  return it != end && kInfos[*it].name == name ? &kInfos[*it] : nullptr;
}

const char* ConstructorName(uint32_t id) {
  const TlInfo* info = FindTlInfo(id);
  return info ? info->name : nullptr;
}

)";
    for (bool functions : {false, true}) {
      if (Standalone()) break;  // the primary schema set reads AnyObject / AnyFunction
      const char* cls = functions ? "AnyFunction" : "AnyObject";
      absl::StrAppend(&out, cls, " ", cls, "::ReadBoxed(Reader& tl_r) {\n");
      out +=
          "  DepthGuard tl_guard(tl_r);\n"
          "  if (!tl_guard.entered()) return {};\n"
          "  const uint32_t tl_id = tl_r.ReadUint32();\n"
          "  switch (tl_id) {\n";
      for (const auto& d : defs_) {
        if (d->function != functions) continue;
        absl::StrAppend(&out, "    case 0x", absl::Hex(d->d->id, absl::kZeroPad8), "u: return ",
                        cls, "(AdoptTag{}, NewNode<", d->full_inst, ">(tl_r));\n");
      }
      absl::StrAppend(&out,
                      "    default:\n"
                      "      tl_r.FailUnknownConstructor(tl_id, ",
                      functions ? "\"a function\"" : "\"Object\"",
                      ", ConstructorName(tl_id));\n"
                      "      return {};\n  }\n}\n\n");
    }
    absl::StrAppend(&out, "}  // namespace ", TablesNs(), "\n");
    return out;
  }

  // --- api_testing ---------------------------------------------------------------

  // A non-generic function / constructor of the lowest rank (fills !X and Object).
  const Def* Simplest(bool function) const {
    const Def* best = nullptr;
    for (const auto& d : defs_) {
      if (d->function != function || d->generic) continue;
      if (best == nullptr || d->rank < best->rank) best = d.get();
    }
    return best;
  }

  std::string TestingHeader() const {
    std::string out = absl::StrCat(R"(// Generated by //tlgen/gen:tlgen_cpp. Do not edit.
//
// Test support: FillRandom() for every generated struct and handle (random
// field values, random flag words, depth-limited), and RandomObject(id).
#ifndef )", GuardStem(), R"(_TESTING_H_
#define )", GuardStem(), R"(_TESTING_H_

#include ")",
                                   options_.include_prefix, options_.file_stem, R"(.h"
#include "tl/random_fill.h"

namespace mtcore::tl::testing {

// Specializations of random_fill.h's FillRandom<T>, one per handle and
// struct: a call then weighs a handful of candidates, not thousands of
// overloads (which made each of these files take minutes to compile).
)");
    if (!Standalone()) {
      out +=
          "template <> void FillRandom(Rng& rng, int depth, AnyObject& v);\n"
          "template <> void FillRandom(Rng& rng, int depth, AnyFunction& v);\n";
    }
    for (const TypeInfo* t : type_order_) {
      absl::StrAppend(&out, "template <> void FillRandom(Rng& rng, int depth, ", t->full, "& v);\n");
    }
    for (const auto& d : defs_) {
      absl::StrAppend(&out, "template <> void FillRandom(Rng& rng, int depth, ", d->full_inst,
                      "& v);\n");
    }
    if (Standalone()) {
      absl::StrAppend(&out, "\n}  // namespace mtcore::tl::testing\n\nnamespace ", TestingNs(),
                      " {\n\nusing ::mtcore::tl::testing::Rng;\n");
    }
    absl::StrAppend(&out, R"(
// A random value of the constructor or function `id` (empty if `id` has no
// generated struct).
AnyObject RandomObject(uint32_t id, Rng& rng);

}  // namespace )", TestingNs(), R"(

#endif  // )", GuardStem(), R"(_TESTING_H_
)");
    return out;
  }

  std::string FillBody(const Def& def) const {
    std::string out;
    for (const Field& f : def.fields) {
      std::string m = "v." + f.cpp_name;
      if (f.flags_word) {
        absl::StrAppend(&out, "  [[maybe_unused]] const uint32_t ", f.flag_local,
                        " = depth >= kMaxRandomDepth ? 0 : rng.Next32();\n");
        continue;
      }
      std::string cond = f.optional ? absl::StrCat("(", f.flag_local, " & 0x",
                                                   absl::Hex(uint32_t{1} << f.bit), "u)")
                                    : "";
      if (f.type.kind == TypeDesc::kTrue) {
        absl::StrAppend(&out, "  ", m, " = ", cond, " != 0;\n");
        continue;
      }
      std::string target = m;
      if (f.optional && f.type.kind != TypeDesc::kHandle && f.type.kind != TypeDesc::kAnyObject) {
        target = m + ".emplace()";
      }
      std::string stmt = absl::StrCat("FillRandom(rng, depth, ", target, ");");
      if (f.optional) {
        absl::StrAppend(&out, "  if ", cond, " ", stmt, "\n");
      } else {
        absl::StrAppend(&out, "  ", stmt, "\n");
      }
    }
    return out;
  }

  std::string TestingSource(int bucket) const {
    std::string out = absl::StrCat(
        "// Generated by //tlgen/gen:tlgen_cpp. Do not edit.\n#include \"", options_.include_prefix,
        options_.file_stem, "_testing.h\"\n\nnamespace mtcore::tl::testing {\n\n");
    for (const auto& dp : defs_) {
      const Def& def = *dp;
      if (def.bucket % options_.testing_files != bucket) continue;
      absl::StrAppend(&out, "template <> void FillRandom(Rng& rng, int depth, ", def.full_inst,
                      "& v) {\n", FillBody(def), "}\n");
    }
    for (const TypeInfo* t : type_order_) {
      if (t->bucket % options_.testing_files != bucket) continue;
      absl::StrAppend(&out, "template <> void FillRandom(Rng& rng, int depth, ", t->full,
                      "& v) {\n");
      absl::StrAppend(&out, "  if (depth >= kMaxRandomDepth) {\n    ", t->best->full_inst,
                      " c;\n    FillRandom(rng, depth + 1, c);\n    v = std::move(c);\n"
                      "    return;\n  }\n");
      absl::StrAppend(&out, "  switch (rng.Below(", t->ctors.size(), ")) {\n");
      for (size_t i = 0; i < t->ctors.size(); ++i) {
        absl::StrAppend(&out, "    case ", i, ": { ", t->ctors[i]->full_inst,
                        " c; FillRandom(rng, depth + 1, c); v = std::move(c); return; }\n");
      }
      out += "  }\n}\n";
    }
    out += "\n}  // namespace mtcore::tl::testing\n";
    return out;
  }

  // FillRandom of AnyObject / AnyFunction (the primary output only).
  std::string AnyFillRandom() const {
    std::string out;
    const Def* obj = Simplest(false);
    const Def* fn = Simplest(true);
    out += "template <> void FillRandom(Rng& rng, int depth, AnyObject& v) {\n";
    if (obj) {
      absl::StrAppend(&out, "  ", obj->full_inst, " c;\n  FillRandom(rng, depth + 1, c);\n",
                      "  v = std::move(c);\n");
    }
    out += "}\n\ntemplate <> void FillRandom(Rng& rng, int depth, AnyFunction& v) {\n";
    if (fn) {
      absl::StrAppend(&out, "  ", fn->full_inst, " c;\n  FillRandom(rng, depth + 1, c);\n",
                      "  v = std::move(c);\n");
    }
    out += "}\n\n";
    return out;
  }

  std::string TestingTables() const {
    std::string out = absl::StrCat(
        "// Generated by //tlgen/gen:tlgen_cpp. Do not edit.\n#include \"", options_.include_prefix,
        options_.file_stem, "_testing.h\"\n\nnamespace ", TestingNs(), " {\n\n");
    out += Standalone() ? "using ::mtcore::tl::testing::FillRandom;\n\n" : AnyFillRandom();
    // One small out-of-line function per definition: a single switch holding
    // thousands of local objects makes one huge stack frame, which compilers
    // (and AddressSanitizer's per-variable instrumentation) handle very slowly.
    out += "namespace {\ntemplate <class C>\n[[gnu::noinline]] AnyObject MakeRandom(Rng& rng) {\n"
           "  C c;\n  FillRandom(rng, 0, c);\n  return AnyObject(std::move(c));\n}\n}  // namespace\n";
    out += "\nAnyObject RandomObject(uint32_t id, Rng& rng) {\n  switch (id) {\n";
    for (const auto& d : defs_) {
      absl::StrAppend(&out, "    case 0x", absl::Hex(d->d->id, absl::kZeroPad8), "u: return MakeRandom<",
                      d->full_inst, ">(rng);\n");
    }
    absl::StrAppend(&out, "    default: return {};\n  }\n}\n\n}  // namespace ", TestingNs(), "\n");
    return out;
  }

  const std::vector<CppSchemaInput>& inputs_;
  const CppGeneratorOptions& options_;
  std::vector<std::unique_ptr<Def>> defs_;
  std::map<std::pair<int, std::string>, std::unique_ptr<TypeInfo>> types_;
  std::vector<TypeInfo*> type_order_;
  std::map<std::pair<int, std::string>, Def*> ctor_by_name_;
  std::map<uint32_t, Def*> by_id_;
  std::vector<InfoRow> builtin_names_;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> GenerateCpp(
    const std::vector<CppSchemaInput>& inputs, const CppGeneratorOptions& options) {
  if (options.source_files < 1 || options.testing_files < 1) {
    return absl::InvalidArgumentError("source_files and testing_files must be at least 1");
  }
  if (options.file_stem.empty()) return absl::InvalidArgumentError("file_stem is empty");
  Generator g(inputs, options);
  return g.Run();
}

std::vector<std::string> GeneratedFileNames(const CppGeneratorOptions& options) {
  const std::string& stem = options.file_stem;
  std::vector<std::string> out = {stem + ".h", stem + "_tables.cc", stem + "_testing.h",
                                  stem + "_testing_tables.cc"};
  for (int b = 0; b < options.source_files; ++b) out.push_back(absl::StrCat(stem, "_", b, ".cc"));
  for (int b = 0; b < options.testing_files; ++b) {
    out.push_back(absl::StrCat(stem, "_testing_", b, ".cc"));
  }
  return out;
}

}  // namespace mtcore::tlgen
