// A dynamic TL value: what a schema-driven codec (tl/dynamic/codec.h) reads
// and writes when TL objects are described at run time rather than by
// generated C++ types.
//
// A `Value` is one of
//   null                 (an absent optional field, JSON null)
//   int32 / int64        (TL `int` / `long`)
//   double               (TL `double`)
//   bool                 (TL `Bool` and `flags.N?true` fields)
//   bytes                (TL `bytes` and `string`, kept as raw bytes in a
//                         std::string; no UTF-8 check)
//   int128 / int256      (fixed-size byte arrays)
//   vector               (std::vector<Value>, TL `Vector<T>` and `vector<T>`)
//   object               (`Object`: a constructor or function name and its
//                         fields in order)
//
// An `Object` names its TL constructor ("message", "messages.messages") or,
// for a function call, its method ("messages.sendMessage"). Its fields are a
// small ordered vector of (name, Value) pairs: objects have a few dozen fields
// at most, so a linear scan beats hashing and keeps source order.
//
// Example:
//   Object user("user");
//   user.Set("id", int64_t{777000});
//   user.Set("first_name", "Ann");
//   Value v(std::move(user));
//   v.object().GetInt64("id");      // 777000
//   v.ToString();                   // user{id: 777000, first_name: "Ann"}
#ifndef MTCORE_TL_DYNAMIC_VALUE_H_
#define MTCORE_TL_DYNAMIC_VALUE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace mtcore::tl::dynamic {

using Int128 = std::array<uint8_t, 16>;
using Int256 = std::array<uint8_t, 32>;

class Value;
struct Field;

// A TL object: a constructor (or method) name and its fields in order.
struct Object {
  // Special members are defined below, once Field is complete: clang with
  // libstdc++ rejects ~vector<Field> instantiated (by Value's inline
  // constructors) while Field is incomplete.
  Object();
  explicit Object(std::string constructor_name);
  Object(const Object&);
  Object(Object&&) noexcept;
  Object& operator=(const Object&);
  Object& operator=(Object&&) noexcept;
  ~Object();

  // TL name with namespace: "message", "messages.messages", "invokeWithLayer".
  std::string constructor;
  // Fields in order. Names are unique (Set() replaces).
  std::vector<Field> fields;

  // The field named `name`, or nullptr.
  const Value* Get(std::string_view name) const;
  Value* GetMutable(std::string_view name);
  // True if the field is present (a null field counts as present).
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  // Sets (replacing) or appends the field; returns *this for chaining.
  Object& Set(std::string_view name, Value value);
  // Removes the field; returns whether it was there.
  bool Remove(std::string_view name);

  // Typed getters: NotFoundError naming the constructor and field if the
  // field is absent, InvalidArgumentError if it holds another kind. GetInt64
  // also accepts an int32 field.
  absl::StatusOr<int32_t> GetInt32(std::string_view name) const;
  absl::StatusOr<int64_t> GetInt64(std::string_view name) const;
  absl::StatusOr<double> GetDouble(std::string_view name) const;
  absl::StatusOr<bool> GetBool(std::string_view name) const;
  absl::StatusOr<std::string> GetBytes(std::string_view name) const;
  absl::StatusOr<const std::vector<Value>*> GetVector(std::string_view name) const;
  absl::StatusOr<const Object*> GetObject(std::string_view name) const;

  friend bool operator==(const Object& a, const Object& b);
  friend bool operator!=(const Object& a, const Object& b) { return !(a == b); }
};

class Value {
 public:
  enum class Kind { kNull, kInt32, kInt64, kDouble, kBool, kBytes, kInt128, kInt256, kVector, kObject };

  Value() = default;
  Value(int32_t v) : v_(v) {}                  // NOLINT(runtime/explicit)
  Value(int64_t v) : v_(v) {}                  // NOLINT
  Value(double v) : v_(v) {}                   // NOLINT
  Value(bool v) : v_(v) {}                     // NOLINT
  Value(std::string v) : v_(std::move(v)) {}   // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}  // NOLINT
  Value(const char* v) : v_(std::string(v)) {}  // NOLINT
  Value(const Int128& v) : v_(v) {}            // NOLINT
  Value(const Int256& v) : v_(v) {}            // NOLINT
  Value(std::vector<Value> v) : v_(std::move(v)) {}  // NOLINT
  Value(Object v) : v_(std::move(v)) {}        // NOLINT

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  // "null", "int32", "int64", "double", "bool", "bytes", "int128", "int256",
  // "vector" or "object".
  static std::string_view KindName(Kind kind);

  bool is_null() const { return kind() == Kind::kNull; }
  bool is_object() const { return kind() == Kind::kObject; }
  bool is_vector() const { return kind() == Kind::kVector; }

  // Pointers to the payload, or nullptr if the value holds another kind.
  const int32_t* if_int32() const { return std::get_if<int32_t>(&v_); }
  const int64_t* if_int64() const { return std::get_if<int64_t>(&v_); }
  const double* if_double() const { return std::get_if<double>(&v_); }
  const bool* if_bool() const { return std::get_if<bool>(&v_); }
  const std::string* if_bytes() const { return std::get_if<std::string>(&v_); }
  const Int128* if_int128() const { return std::get_if<Int128>(&v_); }
  const Int256* if_int256() const { return std::get_if<Int256>(&v_); }
  const std::vector<Value>* if_vector() const { return std::get_if<std::vector<Value>>(&v_); }
  const Object* if_object() const { return std::get_if<Object>(&v_); }
  std::vector<Value>* if_vector() { return std::get_if<std::vector<Value>>(&v_); }
  Object* if_object() { return std::get_if<Object>(&v_); }

  // Unchecked accessors: the value must hold that kind.
  const std::vector<Value>& vector() const { return std::get<std::vector<Value>>(v_); }
  std::vector<Value>& vector() { return std::get<std::vector<Value>>(v_); }
  const Object& object() const { return std::get<Object>(v_); }
  Object& object() { return std::get<Object>(v_); }

  // TL-like text: `message{id: 5, out: true, message: "hi"}`, vectors as
  // `[1, 2]`, integers in decimal, bytes as a quoted string with \xNN escapes
  // for control bytes (UTF-8 passes through), int128/int256 as `0x` + hex.
  std::string ToString() const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::monostate, int32_t, int64_t, double, bool, std::string, Int128, Int256,
               std::vector<Value>, Object>
      v_;
};

// One named field of an Object.
struct Field {
  std::string name;
  Value value;

  friend bool operator==(const Field& a, const Field& b) {
    return a.name == b.name && a.value == b.value;
  }
};

inline Object::Object() = default;
inline Object::Object(std::string constructor_name)
    : constructor(std::move(constructor_name)) {}
inline Object::Object(const Object&) = default;
inline Object::Object(Object&&) noexcept = default;
inline Object& Object::operator=(const Object&) = default;
inline Object& Object::operator=(Object&&) noexcept = default;
inline Object::~Object() = default;

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_VALUE_H_
