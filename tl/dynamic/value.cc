#include "tl/dynamic/value.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mtcore::tl::dynamic {
namespace {

absl::Status MissingField(const Object& o, std::string_view name) {
  return absl::NotFoundError(absl::StrCat(o.constructor, ": no field '", name, "'"));
}

absl::Status WrongKind(const Object& o, std::string_view name, const Value& v,
                       std::string_view wanted) {
  return absl::InvalidArgumentError(absl::StrCat(o.constructor, ".", name, ": expected ", wanted,
                                                 ", got ", Value::KindName(v.kind())));
}

void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out.push_back(static_cast<char>(c));  // UTF-8 passes through
    }
  }
  out.push_back('"');
}

template <size_t N>
void AppendHex(std::string& out, const std::array<uint8_t, N>& a) {
  out += "0x";
  for (uint8_t b : a) absl::StrAppendFormat(&out, "%02x", b);
}

void AppendValue(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "null";
      return;
    case Value::Kind::kInt32:
      absl::StrAppend(&out, *v.if_int32());
      return;
    case Value::Kind::kInt64:
      absl::StrAppend(&out, *v.if_int64());
      return;
    case Value::Kind::kDouble:
      absl::StrAppendFormat(&out, "%.17g", *v.if_double());
      return;
    case Value::Kind::kBool:
      out += *v.if_bool() ? "true" : "false";
      return;
    case Value::Kind::kBytes:
      AppendQuoted(out, *v.if_bytes());
      return;
    case Value::Kind::kInt128:
      AppendHex(out, *v.if_int128());
      return;
    case Value::Kind::kInt256:
      AppendHex(out, *v.if_int256());
      return;
    case Value::Kind::kVector: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.vector()) {
        if (!first) out += ", ";
        first = false;
        AppendValue(out, e);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      const Object& o = v.object();
      out += o.constructor;
      out.push_back('{');
      bool first = true;
      for (const Field& f : o.fields) {
        if (!first) out += ", ";
        first = false;
        out += f.name;
        out += ": ";
        AppendValue(out, f.value);
      }
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

const Value* Object::Get(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

Value* Object::GetMutable(std::string_view name) {
  for (Field& f : fields) {
    if (f.name == name) return &f.value;
  }
  return nullptr;
}

Object& Object::Set(std::string_view name, Value value) {
  if (Value* v = GetMutable(name)) {
    *v = std::move(value);
  } else {
    fields.push_back(Field{std::string(name), std::move(value)});
  }
  return *this;
}

bool Object::Remove(std::string_view name) {
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it->name == name) {
      fields.erase(it);
      return true;
    }
  }
  return false;
}

absl::StatusOr<int32_t> Object::GetInt32(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const int32_t* i = v->if_int32()) return *i;
  return WrongKind(*this, name, *v, "int32");
}

absl::StatusOr<int64_t> Object::GetInt64(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const int64_t* i = v->if_int64()) return *i;
  if (const int32_t* i = v->if_int32()) return int64_t{*i};
  return WrongKind(*this, name, *v, "int64");
}

absl::StatusOr<double> Object::GetDouble(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const double* d = v->if_double()) return *d;
  return WrongKind(*this, name, *v, "double");
}

absl::StatusOr<bool> Object::GetBool(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const bool* b = v->if_bool()) return *b;
  return WrongKind(*this, name, *v, "bool");
}

absl::StatusOr<std::string> Object::GetBytes(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const std::string* s = v->if_bytes()) return *s;
  return WrongKind(*this, name, *v, "bytes");
}

absl::StatusOr<const std::vector<Value>*> Object::GetVector(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const std::vector<Value>* vec = v->if_vector()) return vec;
  return WrongKind(*this, name, *v, "vector");
}

absl::StatusOr<const Object*> Object::GetObject(std::string_view name) const {
  const Value* v = Get(name);
  if (v == nullptr) return MissingField(*this, name);
  if (const Object* o = v->if_object()) return o;
  return WrongKind(*this, name, *v, "object");
}

bool operator==(const Object& a, const Object& b) {
  return a.constructor == b.constructor && a.fields == b.fields;
}

std::string_view Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kInt32:
      return "int32";
    case Kind::kInt64:
      return "int64";
    case Kind::kDouble:
      return "double";
    case Kind::kBool:
      return "bool";
    case Kind::kBytes:
      return "bytes";
    case Kind::kInt128:
      return "int128";
    case Kind::kInt256:
      return "int256";
    case Kind::kVector:
      return "vector";
    case Kind::kObject:
      return "object";
  }
  return "?";
}

std::string Value::ToString() const {
  std::string out;
  AppendValue(out, *this);
  return out;
}

}  // namespace mtcore::tl::dynamic
