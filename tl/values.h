// Size/Write/Read of every C++ type a TL field can have, and the top-level
// Serialize / Parse entry points.
//
// Field type mapping (what generated structs contain):
//   int, #        -> int32_t          long, int53 -> int64_t
//   double        -> double           Bool        -> bool (boxed boolTrue/boolFalse)
//   string, bytes -> std::string      int128/256  -> Int128 / Int256
//   Vector<T>     -> std::vector<T'>  (boxed: id 0x1cb5c415 + count)
//   a boxed type  -> its handle (e.g. `Peer`, an AnyObject subclass)
//   a bare constructor (%T, `future_salt`) -> the struct by value
//   flags.N?true  -> bool             flags.N?T -> std::optional<T'>, or the
//                                     (nullable) handle when T is boxed
//
// "Boxed value" below means: structs are written with their constructor id;
// handles are boxed already; other values as they are.
//
// Example:
//   tl::Bytes wire = *tl::Serialize(tl::help_getConfig{});
//   absl::StatusOr<tl::Config> c = tl::Parse<tl::Config>(reply);
#ifndef MTCORE_TL_VALUES_H_
#define MTCORE_TL_VALUES_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "tl/object.h"
#include "tl/printer.h"
#include "tl/reader.h"
#include "tl/writer.h"

namespace mtcore::tl {

// --- Wire sizes ------------------------------------------------------------

// The wire size of T if every value of T has the same size, else 0.
template <class T>
constexpr size_t kFixedWireSize = std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t> ||
                                          std::is_same_v<T, bool>
                                      ? 4
                                  : std::is_same_v<T, int64_t> || std::is_same_v<T, double> ? 8
                                  : std::is_same_v<T, Int128>                                 ? 16
                                  : std::is_same_v<T, Int256>                                 ? 32
                                                                                              : 0;

// The smallest wire size of a T (bounds vector counts on read).
template <class T>
constexpr size_t MinWireSize() {
  if constexpr (kFixedWireSize<T> != 0) {
    return kFixedWireSize<T>;
  } else if constexpr (TlStruct<T>) {
    return T::kMinBareSize;
  } else {
    return 4;  // a handle's id, a string's padded length byte, a vector's id
  }
}

// --- Size ------------------------------------------------------------------

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, int32_t) { s.Add(4); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, uint32_t) { s.Add(4); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, int64_t) { s.Add(8); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, double) { s.Add(8); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, bool) { s.Add(4); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, const Int128&) { s.Add(16); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, const Int256&) { s.Add(32); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, const std::string& v) { s.AddString(v.size()); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, const AnyObject& v) { v.SizeBoxed(s); }
template <TlStruct T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void SizeValue(Sizer& s, const T& v) {
  v.SizeBare(s);
}
template <class T>
void SizeBareVector(Sizer& s, const std::vector<T>& v) {
  s.Add(4);
  if constexpr (kFixedWireSize<T> != 0) {
    s.Add(v.size() * kFixedWireSize<T>);
  } else {
    for (const T& e : v) SizeValue(s, e);
  }
}
template <class T>
void SizeValue(Sizer& s, const std::vector<T>& v) {
  s.Add(4);
  SizeBareVector(s, v);
}

// A required boxed field: an empty handle is reported with the field's name.
inline void SizeRequired(Sizer& s, const AnyObject& v, const char* what) {
  if (v) {
    v.get()->SizeBoxed(s);
  } else {
    s.Fail(what);
  }
}

// --- Write -----------------------------------------------------------------

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, int32_t v) { w.WriteInt32(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, uint32_t v) { w.WriteUint32(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, int64_t v) { w.WriteInt64(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, double v) { w.WriteDouble(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, bool v) { w.WriteBool(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, const Int128& v) { w.WriteInt128(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, const Int256& v) { w.WriteInt256(v); }
inline void WriteValue(Writer& w, const std::string& v) { w.WriteString(v); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, const AnyObject& v) { v.WriteBoxed(w); }
template <TlStruct T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteValue(Writer& w, const T& v) {
  v.WriteBare(w);
}
template <class T>
void WriteBareVector(Writer& w, const std::vector<T>& v) {
  w.WriteUint32(static_cast<uint32_t>(v.size()));
  if constexpr (kFixedWireSize<T> != 0 && !std::is_same_v<T, bool>) {
    // Both targets are little-endian: the in-memory form is the wire form.
    w.WriteRaw(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T));
  } else {
    for (const T& e : v) WriteValue(w, e);
  }
}
template <class T>
void WriteValue(Writer& w, const std::vector<T>& v) {
  w.WriteUint32(kVectorId);
  WriteBareVector(w, v);
}

// --- Read ------------------------------------------------------------------

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, int32_t& v) { v = r.ReadInt32(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, uint32_t& v) { v = r.ReadUint32(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, int64_t& v) { v = r.ReadInt64(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, double& v) { v = r.ReadDouble(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, bool& v) { v = r.ReadBool(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, Int128& v) { v = r.ReadInt128(); }
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, Int256& v) { v = r.ReadInt256(); }
inline void ReadValue(Reader& r, std::string& v) { r.ReadString(v); }
template <TlHandle T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, T& v) {
  v = T::ReadBoxed(r);
}
template <TlStruct T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadValue(Reader& r, T& v) {
  v.ReadBare(r);
}
template <class T>
void ReadVectorElements(Reader& r, std::vector<T>& v, uint32_t n) {
  v.clear();
  if constexpr (kFixedWireSize<T> != 0 && !std::is_same_v<T, bool>) {
    // The count was bounded by the remaining bytes at exactly this size.
    ByteView raw = r.ReadRaw(size_t{n} * sizeof(T));
    v.resize(raw.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), raw.data(), v.size() * sizeof(T));
  } else {
    v.reserve(n);
    if constexpr (TlHandle<T>) {
      // Moved straight in: no empty handle to construct and reset.
      for (uint32_t i = 0; i < n && r.ok(); ++i) v.push_back(T::ReadBoxed(r));
    } else {
      for (uint32_t i = 0; i < n && r.ok(); ++i) ReadValue(r, v.emplace_back());
    }
  }
}
template <class T>
void ReadBareVector(Reader& r, std::vector<T>& v) {
  ReadVectorElements(r, v, r.ReadVectorCount(MinWireSize<T>()));
}
template <class T>
void ReadValue(Reader& r, std::vector<T>& v) {
  ReadVectorElements(r, v, r.ReadVectorHeader(MinWireSize<T>()));
}

// --- Boxed values ------------------------------------------------------------

template <class T>
void SizeBoxedValue(Sizer& s, const T& v) {
  if constexpr (TlStruct<T>) s.Add(4);
  SizeValue(s, v);
}
template <class T>
void WriteBoxedValue(Writer& w, const T& v) {
  if constexpr (TlStruct<T>) w.WriteUint32(T::kId);
  WriteValue(w, v);
}
template <class T>
void ReadBoxedValue(Reader& r, T& v) {
  if constexpr (TlStruct<T>) {
    DepthGuard guard(r);
    if (!guard.entered()) return;
    uint32_t id = r.ReadUint32();
    if (id != T::kId) {
      r.FailUnknownConstructor(id, T::kName);
      return;
    }
    v.ReadBare(r);
  } else {
    ReadValue(r, v);
  }
}

// A heap Node<C> read from its bare form (generated ReadBoxed switches).
template <class C>
Object* NewNode(Reader& r) {
  auto* n = new Node<C>;
  n->value.ReadBare(r);
  return n;
}

// --- Entry points -------------------------------------------------------------

// Serializes `value` as a boxed value into `out` (resized to fit; its
// capacity is reused). Fails, writing nothing, if the value cannot be
// serialized (a required boxed field empty, fields sharing a flag bit that
// disagree, a string over 16 MiB).
template <class T>
absl::Status SerializeTo(const T& value, Bytes& out) {
  Sizer s;
  SizeBoxedValue(s, value);
  if (s.error() != nullptr) {
    return absl::InvalidArgumentError(std::string("TL: cannot serialize: ") + s.error());
  }
  out.resize(s.size());
  Writer w(out.data());
  WriteBoxedValue(w, value);
  if (w.position() != out.data() + out.size()) {
    return absl::InternalError("TL: serializer wrote a different size than it computed");
  }
  return absl::OkStatus();
}

template <class T>
absl::StatusOr<Bytes> Serialize(const T& value) {
  Bytes out;
  absl::Status st = SerializeTo(value, out);
  if (!st.ok()) return st;
  return out;
}

// The serialized size of `value` as a boxed value (0 if it cannot be serialized).
template <class T>
size_t SerializedSize(const T& value) {
  Sizer s;
  SizeBoxedValue(s, value);
  return s.error() ? 0 : s.size();
}

// Parses exactly one boxed value of type T (a handle, a struct, or a plain
// value such as std::vector<int64_t>) filling all of `data`.
template <class T>
absl::StatusOr<T> Parse(ByteView data, int max_depth = kDefaultMaxDepth) {
  Reader r(data, max_depth);
  T value{};
  ReadBoxedValue(r, value);
  absl::Status st = r.Finish();
  if (!st.ok()) return st;
  return value;
}

// Parses the result of function F (e.g. the body of an rpc_result).
template <TlFunction F>
absl::StatusOr<typename F::Result> ParseResult(ByteView data, int max_depth = kDefaultMaxDepth) {
  return Parse<typename F::Result>(data, max_depth);
}

}  // namespace mtcore::tl

#endif  // MTCORE_TL_VALUES_H_
