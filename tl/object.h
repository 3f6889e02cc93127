// Boxed TL values: the heap object behind a constructor id, and the owning
// handles generated code uses for every boxed (abstract) type.
//
// Generated constructor and function structs are plain aggregates (so they can
// be written with designated initialisers) with this shape:
//
//   struct peerUser {
//     static constexpr uint32_t kId = 0x59511722;
//     static constexpr const char* kName = "peerUser";
//     using Type = Peer;               // constructors: the boxed type
//     // using Result = ...;           // functions: the result type
//     int64_t user_id = 0;
//     void SizeBare(Sizer&) const;     // wire size without the id
//     void WriteBare(Writer&) const;
//     void ReadBare(Reader&);
//     void PrintTo(Printer&) const;
//     friend bool operator==(const peerUser&, const peerUser&) = default;
//   };
//
// A boxed value is an `AnyObject` handle (or a generated subclass such as
// `Peer` that only accepts that type's constructors) owning a `Node<T>` on the
// heap. Handles are nullable (empty = "not set"; optional boxed fields use
// that), deep-copying, and compare by value.
//
//   Peer p = peerUser{.user_id = 5};
//   if (const peerUser* u = p.As<peerUser>()) use(u->user_id);
//   switch (p.id()) { case peerUser::kId: ...; }
#ifndef MTCORE_TL_OBJECT_H_
#define MTCORE_TL_OBJECT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "tl/node_pool.h"
#include "tl/reader.h"
#include "tl/writer.h"

namespace mtcore::tl {

class Printer;

// A generated constructor or function struct (see the file comment).
template <class T>
concept TlStruct = requires(const T& t, Sizer& s, Writer& w, Printer& p) {
  { T::kId } -> std::convertible_to<uint32_t>;
  t.SizeBare(s);
  t.WriteBare(w);
  t.PrintTo(p);
};

// A generated function struct (carries its result type).
template <class T>
concept TlFunction = TlStruct<T> && requires { typename T::Result; };

// The type-erased heap form of a boxed value.
class Object {
 public:
  virtual ~Object() = default;
  virtual uint32_t tl_id() const = 0;
  virtual const char* tl_name() const = 0;
  // Constructor id + bare serialization.
  virtual void SizeBoxed(Sizer& s) const = 0;
  virtual void WriteBoxed(Writer& w) const = 0;
  virtual void PrintTo(Printer& p) const = 0;
  virtual Object* Clone() const = 0;
  virtual bool Equals(const Object& other) const = 0;
  // Identifies the C++ struct inside (unique per Node<T> instantiation).
  virtual const void* type_key() const = 0;
};

template <class T>
class Node final : public Object {
 public:
  Node() = default;
  explicit Node(T v) : value(std::move(v)) {}

  uint32_t tl_id() const override { return T::kId; }
  const char* tl_name() const override { return T::kName; }
  void SizeBoxed(Sizer& s) const override {
    s.Add(4);
    value.SizeBare(s);
  }
  void WriteBoxed(Writer& w) const override {
    w.WriteUint32(T::kId);
    value.WriteBare(w);
  }
  void PrintTo(Printer& p) const override { value.PrintTo(p); }
  Object* Clone() const override { return new Node(value); }
  bool Equals(const Object& other) const override {
    return other.type_key() == Key() && value == static_cast<const Node&>(other).value;
  }
  const void* type_key() const override { return Key(); }

  static const void* Key() { return &key_; }

  // Boxed objects come from a per-thread cache of freed blocks (node_pool.h).
  static void* operator new(size_t size) { return AllocateNode(size); }
  static void operator delete(void* p, size_t size) { FreeNode(p, size); }

  T value;

 private:
  static inline char key_ = 0;  // mutable, so never merged with another
};

// Tag for the handle constructors that adopt an Object (generated code only).
struct AdoptTag {};

// An owning, nullable, deep-copying handle to a boxed value of any type.
class AnyObject {
 public:
  // The result of a query whose type is only known at run time.
  AnyObject() = default;
  AnyObject(std::nullptr_t) {}
  template <TlStruct C>
  AnyObject(C c) : p_(new Node<C>(std::move(c))) {}
  // Takes ownership of `o` (which must come from `new`).
  AnyObject(AdoptTag, Object* o) : p_(o) {}

  AnyObject(const AnyObject& o) : p_(o.p_ ? o.p_->Clone() : nullptr) {}
  ABSL_ATTRIBUTE_ALWAYS_INLINE AnyObject(AnyObject&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)) {}
  AnyObject& operator=(const AnyObject& o) {
    if (this != &o) reset(o.p_ ? o.p_->Clone() : nullptr);
    return *this;
  }
  AnyObject& operator=(AnyObject&& o) noexcept {
    if (this != &o) reset(std::exchange(o.p_, nullptr));
    return *this;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~AnyObject() {
    if (p_ != nullptr) delete p_;
  }

  explicit operator bool() const { return p_ != nullptr; }
  bool has_value() const { return p_ != nullptr; }
  // The constructor id, or 0 when empty.
  uint32_t id() const { return p_ ? p_->tl_id() : 0; }
  // The constructor name, or "" when empty.
  const char* name() const { return p_ ? p_->tl_name() : ""; }

  // The struct inside if it is a `C`, else nullptr.
  template <class C>
  C* As() {
    return p_ && p_->type_key() == Node<C>::Key() ? &static_cast<Node<C>*>(p_)->value
                                                  : nullptr;
  }
  template <class C>
  const C* As() const {
    return const_cast<AnyObject*>(this)->As<C>();
  }
  template <class C>
  bool Is() const {
    return As<C>() != nullptr;
  }

  const Object* get() const { return p_; }
  void reset(Object* o = nullptr) {
    Object* old = std::exchange(p_, o);
    delete old;
  }

  // Boxed serialization; an empty handle is an error recorded in the Sizer.
  void SizeBoxed(Sizer& s) const {
    if (p_) {
      p_->SizeBoxed(s);
    } else {
      s.Fail("a required boxed value is empty");
    }
  }
  // Only after the Sizer accepted the value.
  void WriteBoxed(Writer& w) const { p_->WriteBoxed(w); }

  // Reads any constructor of any compiled-in schema (defined by the generated
  // code, //tl:api).
  static AnyObject ReadBoxed(Reader& r);

  friend bool operator==(const AnyObject& a, const AnyObject& b) {
    if (a.p_ == nullptr || b.p_ == nullptr) return a.p_ == b.p_;
    return a.p_->Equals(*b.p_);
  }

 protected:
  Object* p_ = nullptr;
};

// A handle to any function (query) object, e.g. the `query:!X` of
// invokeWithLayer. Its result type is only known at run time.
class AnyFunction : public AnyObject {
 public:
  using Result = AnyObject;

  AnyFunction() = default;
  AnyFunction(std::nullptr_t) {}
  template <TlFunction F>
  AnyFunction(F f) : AnyObject(std::move(f)) {}
  AnyFunction(AdoptTag t, Object* o) : AnyObject(t, o) {}

  // Reads any function of any compiled-in schema (defined by //tl:api).
  static AnyFunction ReadBoxed(Reader& r);
};

// A boxed handle class (AnyObject or a generated subclass such as `Peer`).
template <class T>
concept TlHandle = std::is_base_of_v<AnyObject, T>;

}  // namespace mtcore::tl

#endif  // MTCORE_TL_OBJECT_H_
