#include "tl/dynamic/codec.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "core/base/status_macros.h"
#include "tl/dynamic/codec_internal.h"
#include "tl/reader.h"

namespace mtcore::tl::dynamic {
namespace {

using Impl = DynamicCodec::Impl;

bool StartsLower(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string_view short_name = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return !short_name.empty() && short_name[0] >= 'a' && short_name[0] <= 'z';
}

// Builds the index tables of an Impl from its schemas.
class Compiler {
 public:
  explicit Compiler(Impl& impl) : impl_(impl) {}

  absl::Status Run() {
    AddFixedNodes();
    for (int s = 0; s < static_cast<int>(impl_.schemas.size()); ++s) {
      for (const tlgen::Definition& def : impl_.schemas[s].definitions) {
        MTCORE_RETURN_IF_ERROR(AddDefinition(s, def));
      }
    }
    impl_.bare_node_of_def.assign(impl_.defs.size(), -1);
    for (size_t d = 0; d < impl_.defs.size(); ++d) {
      const CompiledDef& cd = impl_.defs[d];
      if (!cd.function) impl_.bare_node_of_def[d] = BareNode(static_cast<int>(d));
    }
    impl_.boxed_node_of_type.assign(impl_.types.size(), -1);
    for (size_t t = 0; t < impl_.types.size(); ++t) {
      impl_.boxed_node_of_type[t] = BoxedNode(static_cast<int>(t));
    }
    for (size_t d = 0; d < impl_.defs.size(); ++d) {
      MTCORE_RETURN_IF_ERROR(CompileParams(static_cast<int>(d)));
    }
    ComputeBareSizes();
    ComputeDefaults();
    return absl::OkStatus();
  }

 private:
  int AddNode(TypeNode node) {
    impl_.nodes.push_back(std::move(node));
    return static_cast<int>(impl_.nodes.size()) - 1;
  }

  int Fixed(NodeKind kind, std::string text, size_t min_size) {
    return AddNode(TypeNode{kind, -1, -1, std::move(text), min_size});
  }

  void AddFixedNodes() {
    impl_.int_node = Fixed(NodeKind::kInt, "int", 4);
    impl_.long_node = Fixed(NodeKind::kLong, "long", 8);
    impl_.double_node = Fixed(NodeKind::kDouble, "double", 8);
    impl_.string_node = Fixed(NodeKind::kString, "string", 4);
    impl_.bytes_node = Fixed(NodeKind::kBytes, "bytes", 4);
    impl_.int128_node = Fixed(NodeKind::kInt128, "int128", 16);
    impl_.int256_node = Fixed(NodeKind::kInt256, "int256", 32);
    impl_.bool_node = Fixed(NodeKind::kBool, "Bool", 4);
    impl_.true_node = Fixed(NodeKind::kTrue, "true", 1);
    impl_.flags_node = Fixed(NodeKind::kFlags, "#", 4);
    impl_.any_object_node = Fixed(NodeKind::kAnyObject, "Object", 4);
    impl_.any_function_node = Fixed(NodeKind::kAnyFunction, "!X", 4);
    impl_.top_any_node = Fixed(NodeKind::kTopAny, "Object or Function", 4);
  }

  int TypeIndex(int schema, const std::string& name) {
    auto [it, inserted] =
        impl_.type_by_name.try_emplace(std::make_pair(schema, name), impl_.types.size());
    if (inserted) impl_.types.push_back(CompiledType{name, schema, {}, -1});
    return it->second;
  }

  absl::Status AddDefinition(int schema, const tlgen::Definition& def) {
    bool function = def.category == tlgen::Category::kFunction;
    auto& by_id = function ? impl_.fn_by_id : impl_.ctor_by_id;
    auto it = by_id.find(def.id);
    if (it != by_id.end()) {
      const tlgen::Definition& other = *impl_.defs[it->second].def;
      if (other == def) return absl::OkStatus();  // the same line in two schemas
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: id 0x%08x of %s is already used by %s", def.location.ToString(), def.id, def.name,
          other.name));
    }
    CompiledDef cd;
    cd.def = &def;
    cd.name = def.name;
    cd.id = def.id;
    cd.function = function;
    cd.schema = schema;
    int index = static_cast<int>(impl_.defs.size());
    if (!function) {
      cd.type = TypeIndex(schema, def.result.name);
      impl_.types[cd.type].ctors.push_back(index);
    }
    impl_.defs.push_back(std::move(cd));
    by_id.emplace(def.id, index);
    impl_.by_name[def.name].push_back(index);
    return absl::OkStatus();
  }

  int BoxedNode(int type) {
    const CompiledType& t = impl_.types[type];
    auto [it, inserted] = impl_.node_by_text.try_emplace(std::make_pair(t.schema, t.name), -1);
    if (inserted) it->second = AddNode(TypeNode{NodeKind::kBoxed, type, -1, t.name, 4});
    return it->second;
  }

  int BareNode(int def) {
    const CompiledDef& d = impl_.defs[def];
    auto [it, inserted] =
        impl_.node_by_text.try_emplace(std::make_pair(d.schema, "%" + d.name), -1);
    if (inserted) it->second = AddNode(TypeNode{NodeKind::kBare, def, -1, "%" + d.name, 4});
    return it->second;
  }

  // The constructor named `name` in `schema`, or -1.
  int ConstructorIn(int schema, const std::string& name) const {
    auto it = impl_.by_name.find(name);
    if (it == impl_.by_name.end()) return -1;
    for (int d : it->second) {
      if (impl_.defs[d].schema == schema && !impl_.defs[d].function) return d;
    }
    return -1;
  }

  int Resolve(int schema, const tlgen::Definition& def, const tlgen::TypeRef& t) {
    if (t.generic_ref) return impl_.any_function_node;
    const std::string& name = t.name;
    if (def.IsGenericParam(name)) return impl_.any_object_node;
    if (t.args.size() == 1 && (name == "Vector" || name == "vector")) {
      int elem = Resolve(schema, def, t.args[0]);
      bool bare = name == "vector" || t.bare;
      std::string text =
          absl::StrCat(bare ? "vector<" : "Vector<", impl_.nodes[elem].text, ">");
      auto [it, inserted] = impl_.node_by_text.try_emplace(std::make_pair(schema, text), -1);
      if (inserted) {
        it->second = AddNode(TypeNode{bare ? NodeKind::kBareVector : NodeKind::kBoxedVector, -1,
                                      elem, std::move(text), size_t{bare ? 4u : 8u}});
      }
      return it->second;
    }
    if (name == "int") return impl_.int_node;
    if (name == "long") return impl_.long_node;
    if (name == "double") return impl_.double_node;
    if (name == "string") return impl_.string_node;
    if (name == "bytes") return impl_.bytes_node;
    if (name == "int128") return impl_.int128_node;
    if (name == "int256") return impl_.int256_node;
    if (name == "Bool") return impl_.bool_node;
    if (name == "true") return impl_.true_node;
    if (name == "#") return impl_.flags_node;
    if (name == "Object" || name == "Type") return impl_.any_object_node;
    if (!t.bare) {
      int type = TypeIndex(schema, name);
      // A type no constructor builds gets its node here.
      while (impl_.boxed_node_of_type.size() <= static_cast<size_t>(type)) {
        impl_.boxed_node_of_type.push_back(
            BoxedNode(static_cast<int>(impl_.boxed_node_of_type.size())));
      }
      return impl_.boxed_node_of_type[type];
    }
    if (StartsLower(name)) {
      int d = ConstructorIn(schema, name);
      if (d >= 0) return impl_.bare_node_of_def[d];
    } else {
      auto it = impl_.type_by_name.find(std::make_pair(schema, name));
      if (it != impl_.type_by_name.end() && impl_.types[it->second].ctors.size() == 1) {
        return impl_.bare_node_of_def[impl_.types[it->second].ctors[0]];
      }
    }
    std::string text = absl::StrCat("bare type ", t.ToString(), " (used by ", def.name,
                                    ") is not a single constructor of the schema");
    auto [it, inserted] = impl_.node_by_text.try_emplace(std::make_pair(schema, text), -1);
    if (inserted) it->second = AddNode(TypeNode{NodeKind::kUnresolved, -1, -1, text, 4});
    return it->second;
  }

  absl::Status CompileParams(int index) {
    CompiledDef& cd = impl_.defs[index];
    const tlgen::Definition& def = *cd.def;
    std::vector<CompiledParam> params;
    params.reserve(def.params.size());
    for (const tlgen::Param& p : def.params) {
      CompiledParam cp;
      cp.name = p.name;
      cp.is_flags = p.IsFlagsField();
      cp.is_true = p.IsTrueFlag();
      if (p.flag) {
        for (size_t j = 0; j < params.size(); ++j) {
          if (params[j].is_flags && params[j].name == p.flag->field) {
            cp.flag_param = static_cast<int>(j);
          }
        }
        if (cp.flag_param < 0 || p.flag->bit < 0 || p.flag->bit > 31) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "%s: %s.%s refers to %s.%d, which is not a bit of an earlier # field",
              def.location.ToString(), def.name, p.name, p.flag->field, p.flag->bit));
        }
        cp.bit = p.flag->bit;
      }
      cp.node = Resolve(cd.schema, def, p.type);
      params.push_back(std::move(cp));
    }
    cd.params = std::move(params);
    cd.has_flags = std::any_of(cd.params.begin(), cd.params.end(),
                               [](const CompiledParam& p) { return p.is_flags; });
    return absl::OkStatus();
  }

  void ComputeBareSizes() {
    for (TypeNode& n : impl_.nodes) {
      if (n.kind != NodeKind::kBare) continue;
      const CompiledDef& d = impl_.defs[n.index];
      bool has_payload = std::any_of(d.params.begin(), d.params.end(), [](const CompiledParam& p) {
        return p.flag_param < 0 && !p.is_true;
      });
      n.min_size = has_payload ? 4 : 1;
    }
  }

  int NodeCost(int node) const {
    const TypeNode& n = impl_.nodes[node];
    switch (n.kind) {
      case NodeKind::kBoxed: {
        int best = kNoDefault;
        for (int c : impl_.types[n.index].ctors) best = std::min(best, impl_.defs[c].default_cost);
        return best;
      }
      case NodeKind::kBare:
        return impl_.defs[n.index].default_cost;
      case NodeKind::kAnyObject:
      case NodeKind::kAnyFunction:
      case NodeKind::kUnresolved:
      case NodeKind::kTopAny:
        return kNoDefault;
      default:
        return 0;
    }
  }

  // Fixed point of cost(ctor) = 1 + sum over its required fields of
  // (1 + the field's cost): fewest fields first, then the shallowest.
  void ComputeDefaults() {
    for (CompiledDef& d : impl_.defs) d.default_cost = kNoDefault;
    for (bool changed = true; changed;) {
      changed = false;
      for (CompiledDef& d : impl_.defs) {
        if (d.function) continue;
        int cost = 1;
        for (const CompiledParam& p : d.params) {
          if (p.flag_param >= 0 || p.is_flags) continue;
          cost = std::min(kNoDefault, cost + 1 + NodeCost(p.node));
        }
        if (cost < d.default_cost) {
          d.default_cost = cost;
          changed = true;
        }
      }
    }
    for (CompiledType& t : impl_.types) {
      int best = kNoDefault;
      for (int c : t.ctors) {
        if (impl_.defs[c].default_cost < best) {
          best = impl_.defs[c].default_cost;
          t.default_ctor = c;
        }
      }
    }
  }

  Impl& impl_;
};

// --- Decoding --------------------------------------------------------------

class Decoder {
 public:
  Decoder(const Impl& impl, ByteView data, int max_depth) : impl_(impl), r_(data, max_depth) {}

  void ReadTop(const Impl::TopType& top, size_t level, Value& out) {
    if (level == top.vectors.size()) return ReadNode(top.node, out);
    size_t min = level + 1 < top.vectors.size() ? (top.vectors[level + 1] ? 8 : 4)
                                                : impl_.nodes[top.node].min_size;
    uint32_t n = top.vectors[level] ? r_.ReadVectorHeader(min) : r_.ReadVectorCount(min);
    std::vector<Value> items(n);
    for (Value& item : items) {
      ReadTop(top, level + 1, item);
      if (!r_.ok()) break;
    }
    out = Value(std::move(items));
  }

  absl::Status Finish() const { return r_.Finish(); }

 private:
  void ReadNode(int node, Value& out) {
    const TypeNode& n = impl_.nodes[node];
    switch (n.kind) {
      case NodeKind::kInt:
      case NodeKind::kFlags:
        out = Value(r_.ReadInt32());
        return;
      case NodeKind::kLong:
        out = Value(r_.ReadInt64());
        return;
      case NodeKind::kDouble:
        out = Value(r_.ReadDouble());
        return;
      case NodeKind::kString:
      case NodeKind::kBytes:
        out = Value(std::string(AsChars(r_.ReadBytesView())));
        return;
      case NodeKind::kInt128:
        out = Value(r_.ReadInt128());
        return;
      case NodeKind::kInt256:
        out = Value(r_.ReadInt256());
        return;
      case NodeKind::kBool:
        out = Value(r_.ReadBool());
        return;
      case NodeKind::kTrue:
        out = Value(true);
        return;
      case NodeKind::kBoxedVector:
      case NodeKind::kBareVector: {
        const TypeNode& elem = impl_.nodes[n.elem];
        uint32_t count = n.kind == NodeKind::kBoxedVector ? r_.ReadVectorHeader(elem.min_size)
                                                          : r_.ReadVectorCount(elem.min_size);
        std::vector<Value> items(count);
        for (Value& item : items) {
          ReadNode(n.elem, item);
          if (!r_.ok()) break;
        }
        out = Value(std::move(items));
        return;
      }
      case NodeKind::kBare: {
        DepthGuard guard(r_);
        if (!guard.entered()) return;
        const CompiledDef& d = impl_.defs[n.index];
        Object o(d.name);
        ReadFields(d, o);
        out = Value(std::move(o));
        return;
      }
      case NodeKind::kBoxed:
      case NodeKind::kAnyObject:
      case NodeKind::kAnyFunction:
      case NodeKind::kTopAny:
        ReadBoxed(n, out);
        return;
      case NodeKind::kUnresolved:
        r_.Fail(n.text.c_str());
        return;
    }
  }

  const char* NameOf(uint32_t id) const {
    auto it = impl_.ctor_by_id.find(id);
    if (it != impl_.ctor_by_id.end()) return impl_.defs[it->second].name.c_str();
    it = impl_.fn_by_id.find(id);
    if (it != impl_.fn_by_id.end()) return impl_.defs[it->second].name.c_str();
    return nullptr;
  }

  void ReadBoxed(const TypeNode& n, Value& out) {
    uint32_t id = r_.ReadUint32();
    if (!r_.ok()) return;
    int def = -1;
    if (n.kind != NodeKind::kAnyFunction) {
      auto it = impl_.ctor_by_id.find(id);
      if (it != impl_.ctor_by_id.end() &&
          (n.kind != NodeKind::kBoxed || impl_.defs[it->second].type == n.index)) {
        def = it->second;
      }
    }
    if (def < 0 && n.kind != NodeKind::kBoxed) {
      auto it = impl_.fn_by_id.find(id);
      if (it != impl_.fn_by_id.end()) def = it->second;
    }
    if (def < 0) return r_.FailUnknownConstructor(id, n.text.c_str(), NameOf(id));
    DepthGuard guard(r_);
    if (!guard.entered()) return;
    const CompiledDef& d = impl_.defs[def];
    Object o(d.name);
    ReadFields(d, o);
    out = Value(std::move(o));
  }

  void ReadFields(const CompiledDef& d, Object& o) {
    const size_t np = d.params.size();
    o.fields.reserve(np);
    absl::InlinedVector<uint32_t, 48> words;
    if (d.has_flags) words.assign(np, 0);
    for (size_t i = 0; i < np; ++i) {
      const CompiledParam& p = d.params[i];
      if (p.is_flags) {
        words[i] = r_.ReadUint32();
        continue;
      }
      if (p.flag_param >= 0) {
        bool set = (words[p.flag_param] >> p.bit) & 1;
        if (p.is_true) {
          o.fields.push_back(Field{p.name, Value(set)});
          continue;
        }
        if (!set) continue;
      }
      o.fields.push_back(Field{p.name, Value()});
      ReadNode(p.node, o.fields.back().value);
      if (!r_.ok()) return;
    }
  }

  const Impl& impl_;
  Reader r_;
};

// --- Encoding --------------------------------------------------------------

// Deepest nesting of Values Encode accepts (they may be built by hand).
constexpr int kMaxEncodeDepth = 128;

absl::Status Prefixed(const absl::Status& s, std::string_view prefix) {
  std::string_view msg = s.message();
  bool index = !msg.empty() && msg[0] == '[';
  return absl::Status(s.code(), absl::StrCat(prefix, index ? "" : ": ", msg));
}

absl::Status KindError(const TypeNode& n, const Value& v) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", n.text, ", got ", Value::KindName(v.kind())));
}

class Encoder {
 public:
  Encoder(const Impl& impl, bool adapt) : impl_(impl), adapt_(adapt) { buf_.resize(1024); }

  absl::Status WriteTop(const Impl::TopType& top, size_t level, const Value& v) {
    if (level == top.vectors.size()) return WriteNode(top.node, v);
    const std::vector<Value>* items = v.if_vector();
    if (items == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a vector, got ", Value::KindName(v.kind())));
    }
    if (top.vectors[level]) U32(kVectorId);
    U32(static_cast<uint32_t>(items->size()));
    for (size_t i = 0; i < items->size(); ++i) {
      absl::Status s = WriteTop(top, level + 1, (*items)[i]);
      if (!s.ok()) return Prefixed(s, absl::StrCat("[", i, "]"));
    }
    return absl::OkStatus();
  }

  Bytes Take() && {
    buf_.resize(pos_);
    return std::move(buf_);
  }

 private:
  uint8_t* Grow(size_t n) {
    if (buf_.size() - pos_ < n) buf_.resize(std::max(buf_.size() * 2, pos_ + n));
    uint8_t* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  void U32(uint32_t v) { StoreLe32(Grow(4), v); }
  void U64(uint64_t v) { StoreLe64(Grow(8), v); }
  void Zeros(size_t n) { std::memset(Grow(n), 0, n); }

  absl::Status Str(std::string_view s) {
    size_t n = s.size();
    if (n > kMaxStringLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("a string of ", n, " bytes is longer than TL allows (16777215)"));
    }
    size_t header = n < 254 ? 1 : 4;
    size_t total = (header + n + 3) & ~size_t{3};
    uint8_t* p = Grow(total);
    if (header == 1) {
      p[0] = static_cast<uint8_t>(n);
    } else {
      p[0] = 254;
      p[1] = static_cast<uint8_t>(n);
      p[2] = static_cast<uint8_t>(n >> 8);
      p[3] = static_cast<uint8_t>(n >> 16);
    }
    if (n != 0) std::memcpy(p + header, s.data(), n);
    std::memset(p + header + n, 0, total - header - n);
    return absl::OkStatus();
  }

  absl::Status WriteNode(int node, const Value& v) {
    const TypeNode& n = impl_.nodes[node];
    switch (n.kind) {
      case NodeKind::kInt:
      case NodeKind::kFlags:
        if (const int32_t* i = v.if_int32()) return U32(static_cast<uint32_t>(*i)), absl::OkStatus();
        if (const int64_t* l = v.if_int64()) {
          if (*l >= std::numeric_limits<int32_t>::min() &&
              *l <= std::numeric_limits<int32_t>::max()) {
            return U32(static_cast<uint32_t>(*l)), absl::OkStatus();
          }
          return absl::InvalidArgumentError(absl::StrCat(*l, " does not fit in int"));
        }
        return KindError(n, v);
      case NodeKind::kLong:
        if (const int64_t* l = v.if_int64()) return U64(static_cast<uint64_t>(*l)), absl::OkStatus();
        if (const int32_t* i = v.if_int32()) {
          return U64(static_cast<uint64_t>(int64_t{*i})), absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kDouble: {
        double d;
        if (const double* p = v.if_double()) {
          d = *p;
        } else if (const int32_t* i = v.if_int32()) {
          d = *i;
        } else if (const int64_t* l = v.if_int64()) {
          d = static_cast<double>(*l);
        } else {
          return KindError(n, v);
        }
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        U64(bits);
        return absl::OkStatus();
      }
      case NodeKind::kString:
      case NodeKind::kBytes:
        if (const std::string* s = v.if_bytes()) return Str(*s);
        return KindError(n, v);
      case NodeKind::kInt128:
        if (const Int128* a = v.if_int128()) {
          std::memcpy(Grow(16), a->data(), 16);
          return absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kInt256:
        if (const Int256* a = v.if_int256()) {
          std::memcpy(Grow(32), a->data(), 32);
          return absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kBool:
        if (const bool* b = v.if_bool()) return U32(*b ? kBoolTrueId : kBoolFalseId), absl::OkStatus();
        return KindError(n, v);
      case NodeKind::kTrue:
        return absl::OkStatus();
      case NodeKind::kBoxedVector:
      case NodeKind::kBareVector: {
        const std::vector<Value>* items = v.if_vector();
        if (items == nullptr) return KindError(n, v);
        if (n.kind == NodeKind::kBoxedVector) U32(kVectorId);
        U32(static_cast<uint32_t>(items->size()));
        for (size_t i = 0; i < items->size(); ++i) {
          absl::Status s = WriteNode(n.elem, (*items)[i]);
          if (!s.ok()) return Prefixed(s, absl::StrCat("[", i, "]"));
        }
        return absl::OkStatus();
      }
      case NodeKind::kBoxed:
      case NodeKind::kBare:
      case NodeKind::kAnyObject:
      case NodeKind::kAnyFunction:
      case NodeKind::kTopAny: {
        const Object* o = v.if_object();
        if (o == nullptr) return KindError(n, v);
        MTCORE_ASSIGN_OR_RETURN(int def, impl_.ResolveObject(node, *o, adapt_));
        const CompiledDef& d = impl_.defs[def];
        if (n.kind != NodeKind::kBare) U32(d.id);
        if (++depth_ > kMaxEncodeDepth) {
          return absl::InvalidArgumentError(
              absl::StrCat("objects nested deeper than ", kMaxEncodeDepth, " levels"));
        }
        absl::Status s = WriteFields(d, *o);
        --depth_;
        return s;
      }
      case NodeKind::kUnresolved:
        return absl::InvalidArgumentError(n.text);
    }
    return absl::InternalError("unknown node kind");
  }

  absl::Status FieldError(const CompiledDef& d, const CompiledParam& p, std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(d.name, ".", p.name, ": ", what));
  }

  absl::Status WriteFields(const CompiledDef& d, const Object& o) {
    const size_t np = d.params.size();
    absl::InlinedVector<const Value*, 48> values(np, nullptr);
    size_t matched = 0;
    for (size_t i = 0; i < np; ++i) {
      values[i] = o.Get(d.params[i].name);
      if (values[i] != nullptr) ++matched;
    }
    if (!adapt_ && matched != o.fields.size()) {
      for (const Field& f : o.fields) {
        if (d.def->FindParam(f.name) == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat(d.name, " has no field '", f.name, "'"));
        }
      }
      return absl::InvalidArgumentError(absl::StrCat(d.name, ": a field is given twice"));
    }
    absl::InlinedVector<uint32_t, 48> words;
    if (d.has_flags) {
      words.assign(np, 0);
      for (size_t i = 0; i < np; ++i) {
        const CompiledParam& p = d.params[i];
        const Value* v = values[i];
        if (p.flag_param < 0 || v == nullptr || v->is_null()) continue;
        bool present = true;
        if (p.is_true) {
          const bool* b = v->if_bool();
          if (b == nullptr) {
            return FieldError(d, p, absl::StrCat("expected bool (a true flag), got ",
                                                 Value::KindName(v->kind())));
          }
          present = *b;
        }
        if (present) words[p.flag_param] |= uint32_t{1} << p.bit;
      }
    }
    for (size_t i = 0; i < np; ++i) {
      const CompiledParam& p = d.params[i];
      const Value* v = values[i];
      bool given = v != nullptr && !v->is_null();
      if (p.is_flags) {
        U32(words[i]);
        continue;
      }
      if (p.flag_param >= 0) {
        if (p.is_true || !((words[p.flag_param] >> p.bit) & 1)) continue;
        if (!given) {
          if (adapt_) {
            MTCORE_RETURN_IF_ERROR(WriteDefault(p.node, 0));
            continue;
          }
          return FieldError(d, p,
                            absl::StrCat("absent, but bit ", p.bit, " of ",
                                         d.params[p.flag_param].name,
                                         " is set by another field that shares it"));
        }
      } else if (!given) {
        if (adapt_) {
          absl::Status s = WriteDefault(p.node, 0);
          if (!s.ok()) return Prefixed(s, absl::StrCat(d.name, ".", p.name));
          continue;
        }
        return FieldError(d, p, "missing");
      }
      absl::Status s = WriteNode(p.node, *v);
      if (!s.ok()) return Prefixed(s, absl::StrCat(d.name, ".", p.name));
    }
    return absl::OkStatus();
  }

  // The neutral value of `node`: zeros, empty, false, the cheapest
  // constructor of a boxed type.
  absl::Status WriteDefault(int node, int depth) {
    if (depth > kMaxEncodeDepth) {
      return absl::InvalidArgumentError("neutral default nested too deep");
    }
    const TypeNode& n = impl_.nodes[node];
    switch (n.kind) {
      case NodeKind::kInt:
      case NodeKind::kFlags:
      case NodeKind::kString:
      case NodeKind::kBytes:
        U32(0);  // also the empty string: length 0 and 3 bytes of padding
        return absl::OkStatus();
      case NodeKind::kLong:
      case NodeKind::kDouble:
        U64(0);
        return absl::OkStatus();
      case NodeKind::kInt128:
        Zeros(16);
        return absl::OkStatus();
      case NodeKind::kInt256:
        Zeros(32);
        return absl::OkStatus();
      case NodeKind::kBool:
        U32(kBoolFalseId);
        return absl::OkStatus();
      case NodeKind::kTrue:
        return absl::OkStatus();
      case NodeKind::kBoxedVector:
        U32(kVectorId);
        U32(0);
        return absl::OkStatus();
      case NodeKind::kBareVector:
        U32(0);
        return absl::OkStatus();
      case NodeKind::kBoxed: {
        int def = impl_.types[n.index].default_ctor;
        if (def < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("no neutral default for type ", n.text));
        }
        U32(impl_.defs[def].id);
        return WriteDefaultFields(def, depth);
      }
      case NodeKind::kBare:
        return WriteDefaultFields(n.index, depth);
      default:
        return absl::InvalidArgumentError(absl::StrCat("no neutral default for ", n.text));
    }
  }

  absl::Status WriteDefaultFields(int def, int depth) {
    for (const CompiledParam& p : impl_.defs[def].params) {
      if (p.is_flags) {
        U32(0);
      } else if (p.flag_param < 0) {
        MTCORE_RETURN_IF_ERROR(WriteDefault(p.node, depth + 1));
      }
    }
    return absl::OkStatus();
  }

  const Impl& impl_;
  const bool adapt_;
  Bytes buf_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

absl::StatusOr<Impl::TopType> Impl::ResolveTop(std::string_view type) const {
  TopType top;
  std::string_view t = type;
  while (true) {
    if (absl::StartsWith(t, "Vector<") && absl::EndsWith(t, ">")) {
      top.vectors.push_back(true);
      t = t.substr(7, t.size() - 8);
    } else if (absl::StartsWith(t, "vector<") && absl::EndsWith(t, ">")) {
      top.vectors.push_back(false);
      t = t.substr(7, t.size() - 8);
    } else {
      break;
    }
  }
  if (t.empty()) {
    if (!top.vectors.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid type '", type, "'"));
    }
    top.node = top_any_node;
    return top;
  }
  static constexpr std::pair<std::string_view, int Impl::*> kFixed[] = {
      {"int", &Impl::int_node},       {"long", &Impl::long_node},
      {"double", &Impl::double_node}, {"string", &Impl::string_node},
      {"bytes", &Impl::bytes_node},   {"int128", &Impl::int128_node},
      {"int256", &Impl::int256_node}, {"Bool", &Impl::bool_node},
      {"Object", &Impl::any_object_node}, {"Function", &Impl::any_function_node},
      {"!X", &Impl::any_function_node},
  };
  for (const auto& [name, member] : kFixed) {
    if (t == name) {
      top.node = this->*member;
      return top;
    }
  }
  bool percent = absl::ConsumePrefix(&t, "%");
  if (!percent && StartsLower(t)) {
    auto it = by_name.find(t);
    if (it != by_name.end()) {
      for (int d : it->second) {
        if (!defs[d].function) {
          top.node = bare_node_of_def[d];
          return top;
        }
      }
    }
    return absl::NotFoundError(absl::StrCat("unknown type or constructor '", type, "'"));
  }
  for (int s = 0; s < static_cast<int>(schemas.size()); ++s) {
    auto it = type_by_name.find(std::make_pair(s, std::string(t)));
    if (it == type_by_name.end()) continue;
    const CompiledType& ct = types[it->second];
    if (!percent) {
      top.node = boxed_node_of_type[it->second];
      return top;
    }
    if (ct.ctors.size() == 1) {
      top.node = bare_node_of_def[ct.ctors[0]];
      return top;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("'", type, "': type ", t, " has ", ct.ctors.size(),
                     " constructors, so it cannot be bare"));
  }
  return absl::NotFoundError(absl::StrCat("unknown type '", type, "'"));
}

absl::StatusOr<int> Impl::ResolveObject(int node, const Object& object, bool lenient) const {
  const TypeNode& n = nodes[node];
  const std::string& name = object.constructor;
  if (n.kind == NodeKind::kBare) {
    if (lenient || name.empty() || name == defs[n.index].name) return n.index;
    return absl::InvalidArgumentError(
        absl::StrCat("expected bare ", defs[n.index].name, ", got '", name, "'"));
  }
  auto it = by_name.find(name);
  if (it == by_name.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown constructor '", name, "' (expected ", n.text, ")"));
  }
  const std::vector<int>& candidates = it->second;
  auto first = [&](auto&& pred) {
    for (int d : candidates) {
      if (pred(defs[d])) return d;
    }
    return -1;
  };
  int def = -1;
  switch (n.kind) {
    case NodeKind::kBoxed:
      def = first([&](const CompiledDef& d) { return !d.function && d.type == n.index; });
      if (def < 0 && lenient) def = first([](const CompiledDef& d) { return !d.function; });
      break;
    case NodeKind::kAnyFunction:
      def = first([](const CompiledDef& d) { return d.function; });
      break;
    case NodeKind::kAnyObject:
    case NodeKind::kTopAny:
      def = first([](const CompiledDef& d) { return !d.function; });
      if (def < 0) def = first([](const CompiledDef& d) { return d.function; });
      break;
    default:
      break;
  }
  if (def >= 0) return def;
  const CompiledDef& other = defs[candidates[0]];
  std::string what = other.function
                         ? std::string("a method")
                         : absl::StrCat("a constructor of ", types[other.type].name);
  return absl::InvalidArgumentError(
      absl::StrCat("'", name, "' is ", what, ", not ", n.text));
}

absl::StatusOr<DynamicCodec> DynamicCodec::Create(const tlgen::Schema& schema) {
  const tlgen::Schema* one[] = {&schema};
  return Create(one);
}

absl::StatusOr<DynamicCodec> DynamicCodec::Create(
    absl::Span<const tlgen::Schema* const> schemas) {
  auto impl = std::make_shared<Impl>();
  impl->schemas.reserve(schemas.size());  // definitions are referenced by address
  for (const tlgen::Schema* s : schemas) impl->schemas.push_back(*s);
  MTCORE_RETURN_IF_ERROR(Compiler(*impl).Run());
  return DynamicCodec(std::move(impl));
}

int DynamicCodec::layer() const {
  return impl_->schemas.empty() ? 0 : impl_->schemas[0].layer;
}

absl::StatusOr<Bytes> DynamicCodec::Encode(const Value& value, std::string_view type,
                                           const EncodeOptions& options) const {
  MTCORE_ASSIGN_OR_RETURN(Impl::TopType top, impl_->ResolveTop(type));
  Encoder e(*impl_, options.adapt);
  absl::Status s = e.WriteTop(top, 0, value);
  if (!s.ok()) return Prefixed(s, "TL encode");
  return std::move(e).Take();
}

absl::StatusOr<Value> DynamicCodec::Decode(ByteView data, std::string_view type,
                                           const DecodeOptions& options) const {
  MTCORE_ASSIGN_OR_RETURN(Impl::TopType top, impl_->ResolveTop(type));
  Decoder d(*impl_, data, options.max_depth);
  Value out;
  d.ReadTop(top, 0, out);
  MTCORE_RETURN_IF_ERROR(d.Finish());
  return out;
}

absl::StatusOr<Value> DynamicCodec::Adapt(const Value& neutral, std::string_view type) const {
  MTCORE_ASSIGN_OR_RETURN(Bytes bytes, Encode(neutral, type, EncodeOptions{.adapt = true}));
  return Decode(bytes, type);
}

const tlgen::Definition* DynamicCodec::FindConstructor(std::string_view name) const {
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) return nullptr;
  for (int d : it->second) {
    if (!impl_->defs[d].function) return impl_->defs[d].def;
  }
  return nullptr;
}

const tlgen::Definition* DynamicCodec::FindFunction(std::string_view name) const {
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) return nullptr;
  for (int d : it->second) {
    if (impl_->defs[d].function) return impl_->defs[d].def;
  }
  return nullptr;
}

const tlgen::Definition* DynamicCodec::FindById(uint32_t id) const {
  auto it = impl_->ctor_by_id.find(id);
  if (it != impl_->ctor_by_id.end()) return impl_->defs[it->second].def;
  it = impl_->fn_by_id.find(id);
  if (it != impl_->fn_by_id.end()) return impl_->defs[it->second].def;
  return nullptr;
}

}  // namespace mtcore::tl::dynamic
