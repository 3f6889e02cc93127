// DynamicCodec::ToJson / FromJson: Values <-> mtcute-style JSON, guided by
// the schema (which says whether a byte string is a TL `string` or `bytes`
// and which numbers are `long`). The format is described in codec.h.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/bytes.h"
#include "core/base/status_macros.h"
#include "tl/dynamic/codec.h"
#include "tl/dynamic/codec_internal.h"
#include "tl/dynamic/json_text.h"
#include "tlgen/json.h"

namespace mtcore::tl::dynamic {
namespace {

using Impl = DynamicCodec::Impl;
using tlgen::JsonValue;

// Largest integer a JSON number (an IEEE double) holds exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& a) {
  return HexEncode(ByteView(a.data(), a.size()));
}

absl::Status KindError(const TypeNode& n, const Value& v) {
  return absl::InvalidArgumentError(
      absl::StrCat("expected ", n.text, ", got ", Value::KindName(v.kind())));
}

absl::Status Prefixed(const absl::Status& s, std::string_view prefix) {
  std::string_view msg = s.message();
  bool index = !msg.empty() && msg[0] == '[';
  return absl::Status(s.code(), absl::StrCat(prefix, index ? "" : ": ", msg));
}

const CompiledParam* FindParam(const CompiledDef& d, std::string_view name) {
  for (const CompiledParam& p : d.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

class JsonWriter {
 public:
  explicit JsonWriter(const Impl& impl) : impl_(impl) {}

  absl::Status WriteTop(const Impl::TopType& top, size_t level, const Value& v) {
    if (level == top.vectors.size()) return WriteNode(top.node, v);
    const std::vector<Value>* items = v.if_vector();
    if (items == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a vector, got ", Value::KindName(v.kind())));
    }
    MTCORE_RETURN_IF_ERROR(Open('['));
    for (size_t i = 0; i < items->size(); ++i) {
      if (i != 0) out_.push_back(',');
      absl::Status s = WriteTop(top, level + 1, (*items)[i]);
      if (!s.ok()) return Prefixed(s, absl::StrCat("[", i, "]"));
    }
    Close(']');
    return absl::OkStatus();
  }

  std::string Take() && { return std::move(out_); }

 private:
  // Starts an array or object. The JSON parser (tlgen/json.h) rejects more
  // than kMaxJsonDepth of them nested, so ToJson must not write such text:
  // arrays and {"$bytes": ...} count as much as objects.
  absl::Status Open(char bracket) {
    if (depth_ >= tlgen::kMaxJsonDepth) {
      return absl::InvalidArgumentError(absl::StrCat(
          "nested too deep for JSON (more than ", tlgen::kMaxJsonDepth, " arrays and objects)"));
    }
    ++depth_;
    out_.push_back(bracket);
    return absl::OkStatus();
  }
  void Close(char bracket) {
    --depth_;
    out_.push_back(bracket);
  }

  absl::Status WriteNode(int node, const Value& v) {
    const TypeNode& n = impl_.nodes[node];
    if (v.is_null()) {
      out_ += "null";
      return absl::OkStatus();
    }
    switch (n.kind) {
      case NodeKind::kInt:
      case NodeKind::kFlags:
        if (const int32_t* i = v.if_int32()) return absl::StrAppend(&out_, *i), absl::OkStatus();
        if (const int64_t* l = v.if_int64()) {
          if (*l < std::numeric_limits<int32_t>::min() ||
              *l > std::numeric_limits<int32_t>::max()) {
            return absl::InvalidArgumentError(absl::StrCat(*l, " does not fit in int"));
          }
          return absl::StrAppend(&out_, *l), absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kLong:
        if (const int64_t* l = v.if_int64()) {
          return absl::StrAppend(&out_, "\"", *l, "\""), absl::OkStatus();
        }
        if (const int32_t* i = v.if_int32()) {
          return absl::StrAppend(&out_, "\"", *i, "\""), absl::OkStatus();
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
        if (std::isnan(d)) {
          out_ += "\"NaN\"";
        } else if (std::isinf(d)) {
          out_ += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
        } else {
          absl::StrAppendFormat(&out_, "%.17g", d);
        }
        return absl::OkStatus();
      }
      case NodeKind::kString:
      case NodeKind::kBytes: {
        const std::string* s = v.if_bytes();
        if (s == nullptr) return KindError(n, v);
        if (n.kind == NodeKind::kString && IsValidUtf8(*s)) {
          AppendJsonString(out_, *s);
        } else if (n.kind == NodeKind::kString) {
          MTCORE_RETURN_IF_ERROR(Open('{'));
          absl::StrAppend(&out_, "\"$bytes\":\"", absl::Base64Escape(*s), "\"");
          Close('}');
        } else {
          absl::StrAppend(&out_, "\"", absl::Base64Escape(*s), "\"");
        }
        return absl::OkStatus();
      }
      case NodeKind::kInt128:
        if (const Int128* a = v.if_int128()) {
          return absl::StrAppend(&out_, "\"", Hex(*a), "\""), absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kInt256:
        if (const Int256* a = v.if_int256()) {
          return absl::StrAppend(&out_, "\"", Hex(*a), "\""), absl::OkStatus();
        }
        return KindError(n, v);
      case NodeKind::kBool:
      case NodeKind::kTrue:
        if (const bool* b = v.if_bool()) return out_ += *b ? "true" : "false", absl::OkStatus();
        return KindError(n, v);
      case NodeKind::kBoxedVector:
      case NodeKind::kBareVector: {
        const std::vector<Value>* items = v.if_vector();
        if (items == nullptr) return KindError(n, v);
        MTCORE_RETURN_IF_ERROR(Open('['));
        for (size_t i = 0; i < items->size(); ++i) {
          if (i != 0) out_.push_back(',');
          absl::Status s = WriteNode(n.elem, (*items)[i]);
          if (!s.ok()) return Prefixed(s, absl::StrCat("[", i, "]"));
        }
        Close(']');
        return absl::OkStatus();
      }
      case NodeKind::kUnresolved:
        return absl::InvalidArgumentError(n.text);
      default:
        break;
    }
    // Objects.
    const Object* o = v.if_object();
    if (o == nullptr) return KindError(n, v);
    MTCORE_ASSIGN_OR_RETURN(int def, impl_.ResolveObject(node, *o, /*lenient=*/false));
    const CompiledDef& d = impl_.defs[def];
    MTCORE_RETURN_IF_ERROR(Open('{'));
    out_ += "\"_\":";
    AppendJsonString(out_, d.name);
    for (const Field& f : o->fields) {
      const CompiledParam* p = FindParam(d, f.name);
      if (p == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(d.name, " has no field '", f.name, "'"));
      }
      out_.push_back(',');
      AppendJsonString(out_, f.name);
      out_.push_back(':');
      absl::Status s = WriteNode(p->node, f.value);
      if (!s.ok()) return Prefixed(s, absl::StrCat(d.name, ".", f.name));
    }
    Close('}');
    return absl::OkStatus();
  }

  const Impl& impl_;
  std::string out_;
  int depth_ = 0;  // arrays and objects open around out_'s end
};

class JsonReader {
 public:
  JsonReader(const Impl& impl, std::string_view text) : impl_(impl), text_(text) {}

  absl::StatusOr<Value> ReadTop(const Impl::TopType& top, size_t level, const JsonValue& j) {
    if (level == top.vectors.size()) return ReadNode(top.node, j);
    if (j.kind != JsonValue::Kind::kArray) return Error(j, "expected an array");
    std::vector<Value> items;
    items.reserve(j.array.size());
    for (const JsonValue& e : j.array) {
      MTCORE_ASSIGN_OR_RETURN(Value v, ReadTop(top, level + 1, e));
      items.push_back(std::move(v));
    }
    return Value(std::move(items));
  }

 private:
  absl::Status Error(const JsonValue& j, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON ", tlgen::JsonPosition(text_, j.offset), ": ", what));
  }

  absl::Status Expected(const TypeNode& n, const JsonValue& j) const {
    return Error(j, absl::StrCat("expected ", n.text, ", got ", JsonValue::KindName(j.kind)));
  }

  // An integer-valued JSON number within [lo, hi].
  absl::StatusOr<int64_t> Integer(const TypeNode& n, const JsonValue& j, double lo,
                                  double hi) const {
    if (j.kind != JsonValue::Kind::kNumber) return Expected(n, j);
    if (std::trunc(j.number) != j.number || j.number < lo || j.number > hi) {
      return Error(j, absl::StrCat(absl::StrFormat("%.17g", j.number), " is not a valid ", n.text));
    }
    return static_cast<int64_t>(j.number);
  }

  absl::StatusOr<std::string> Base64(const TypeNode& n, const JsonValue& j) const {
    std::string out;
    if (!absl::Base64Unescape(j.string, &out)) return Error(j, "invalid base64");
    return out;
  }

  template <size_t N>
  absl::StatusOr<Value> FixedHex(const TypeNode& n, const JsonValue& j) const {
    if (j.kind != JsonValue::Kind::kString) return Expected(n, j);
    absl::StatusOr<Bytes> b = HexDecode(j.string);
    if (!b.ok() || b->size() != N) {
      return Error(j, absl::StrCat("expected ", 2 * N, " hex digits for ", n.text));
    }
    std::array<uint8_t, N> a;
    std::memcpy(a.data(), b->data(), N);
    return Value(a);
  }

  absl::StatusOr<Value> ReadNode(int node, const JsonValue& j) {
    const TypeNode& n = impl_.nodes[node];
    switch (n.kind) {
      case NodeKind::kInt:
      case NodeKind::kFlags: {
        MTCORE_ASSIGN_OR_RETURN(int64_t v, Integer(n, j, std::numeric_limits<int32_t>::min(),
                                                   std::numeric_limits<int32_t>::max()));
        return Value(static_cast<int32_t>(v));
      }
      case NodeKind::kLong: {
        if (j.kind == JsonValue::Kind::kString) {
          int64_t v;
          if (!absl::SimpleAtoi(j.string, &v)) {
            return Error(j, absl::StrCat("\"", j.string, "\" is not a valid long"));
          }
          return Value(v);
        }
        MTCORE_ASSIGN_OR_RETURN(int64_t v, Integer(n, j, -kMaxExactInteger, kMaxExactInteger));
        return Value(v);
      }
      case NodeKind::kDouble:
        if (j.kind == JsonValue::Kind::kNumber) return Value(j.number);
        if (j.kind == JsonValue::Kind::kString) {
          if (j.string == "NaN") return Value(std::numeric_limits<double>::quiet_NaN());
          if (j.string == "Infinity") return Value(std::numeric_limits<double>::infinity());
          if (j.string == "-Infinity") return Value(-std::numeric_limits<double>::infinity());
        }
        return Expected(n, j);
      case NodeKind::kString:
      case NodeKind::kBytes:
        if (j.kind == JsonValue::Kind::kObject) {
          const JsonValue* b = j.Find("$bytes");
          if (b == nullptr || b->kind != JsonValue::Kind::kString || j.object.size() != 1) {
            return Error(j, "expected {\"$bytes\": BASE64}");
          }
          MTCORE_ASSIGN_OR_RETURN(std::string raw, Base64(n, *b));
          return Value(std::move(raw));
        }
        if (j.kind != JsonValue::Kind::kString) return Expected(n, j);
        if (n.kind == NodeKind::kString) {
          // ToJson would write these bytes as {"$bytes": ...}, one object
          // deeper, which may pass the nesting limit; JSON text is UTF-8.
          if (!IsValidUtf8(j.string)) {
            return Error(j, "string is not valid UTF-8 (write raw bytes as {\"$bytes\": BASE64})");
          }
          return Value(j.string);
        }
        {
          MTCORE_ASSIGN_OR_RETURN(std::string raw, Base64(n, j));
          return Value(std::move(raw));
        }
      case NodeKind::kInt128:
        return FixedHex<16>(n, j);
      case NodeKind::kInt256:
        return FixedHex<32>(n, j);
      case NodeKind::kBool:
      case NodeKind::kTrue:
        if (j.kind != JsonValue::Kind::kBool) return Expected(n, j);
        return Value(j.boolean);
      case NodeKind::kBoxedVector:
      case NodeKind::kBareVector: {
        if (j.kind != JsonValue::Kind::kArray) return Expected(n, j);
        std::vector<Value> items;
        items.reserve(j.array.size());
        for (const JsonValue& e : j.array) {
          MTCORE_ASSIGN_OR_RETURN(Value v, ReadNode(n.elem, e));
          items.push_back(std::move(v));
        }
        return Value(std::move(items));
      }
      case NodeKind::kUnresolved:
        return Error(j, n.text);
      default:
        break;
    }
    // Objects.
    if (j.kind != JsonValue::Kind::kObject) return Expected(n, j);
    Object o;
    const JsonValue* name = j.Find("_");
    if (name != nullptr) {
      if (name->kind != JsonValue::Kind::kString) return Error(*name, "\"_\" must be a string");
      o.constructor = name->string;
    } else if (n.kind != NodeKind::kBare) {
      return Error(j, absl::StrCat("missing \"_\" (the constructor of ", n.text, ")"));
    }
    absl::StatusOr<int> def = impl_.ResolveObject(node, o, /*lenient=*/false);
    if (!def.ok()) return Error(j, def.status().message());
    const CompiledDef& d = impl_.defs[*def];
    o.constructor = d.name;
    o.fields.reserve(j.object.size());
    for (const auto& [key, member] : j.object) {
      if (key == "_") continue;
      const CompiledParam* p = FindParam(d, key);
      if (p == nullptr) return Error(member, absl::StrCat(d.name, " has no field '", key, "'"));
      if (p->is_flags || member.kind == JsonValue::Kind::kNull) continue;
      if (o.Has(key)) return Error(member, absl::StrCat("field '", key, "' is given twice"));
      MTCORE_ASSIGN_OR_RETURN(Value v, ReadNode(p->node, member));
      o.fields.push_back(Field{key, std::move(v)});
    }
    return Value(std::move(o));
  }

  const Impl& impl_;
  std::string_view text_;
};

}  // namespace

absl::StatusOr<std::string> DynamicCodec::ToJson(const Value& value, std::string_view type) const {
  MTCORE_ASSIGN_OR_RETURN(Impl::TopType top, impl_->ResolveTop(type));
  JsonWriter w(*impl_);
  absl::Status s = w.WriteTop(top, 0, value);
  if (!s.ok()) return Prefixed(s, "TL to JSON");
  return std::move(w).Take();
}

absl::StatusOr<Value> DynamicCodec::FromJson(std::string_view json, std::string_view type) const {
  MTCORE_ASSIGN_OR_RETURN(Impl::TopType top, impl_->ResolveTop(type));
  MTCORE_ASSIGN_OR_RETURN(tlgen::JsonValue parsed, tlgen::ParseJson(json));
  return JsonReader(*impl_, json).ReadTop(top, 0, parsed);
}

}  // namespace mtcore::tl::dynamic
