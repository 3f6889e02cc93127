// Readable, TL-like text for debugging and logs:
//
//   message{id: 5, peer_id: peerUser{user_id: 7}, date: 1700000000,
//           message: "hi", entities: [messageEntityBold{offset: 0, length: 2}]}
//
// Absent optional fields and unset `true` flags are left out; strings are
// quoted with C escapes for non-printable bytes; int128/int256 print as hex.
//
//   std::string s = tl::to_string(msg);   // any struct, handle or value
#ifndef MTCORE_TL_PRINTER_H_
#define MTCORE_TL_PRINTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tl/object.h"

namespace mtcore::tl {

class Printer {
 public:
  // Generated PrintTo(): Begin(name), then Field(name) + a value per field, End().
  void Begin(const char* name) {
    out_ += name;
    out_ += '{';
    first_ = true;
  }
  void Field(const char* name) {
    if (!first_) out_ += ", ";
    first_ = false;
    out_ += name;
    out_ += ": ";
  }
  void End() {
    out_ += '}';
    first_ = false;
  }

  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);
  void Bool(bool v) { out_ += v ? "true" : "false"; }
  void String(std::string_view s);
  void Hex(const uint8_t* data, size_t n);
  void Raw(std::string_view s) { out_ += s; }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  bool first_ = true;
};

inline void PrintValue(Printer& p, int32_t v) { p.Int(v); }
inline void PrintValue(Printer& p, uint32_t v) { p.Uint(v); }
inline void PrintValue(Printer& p, int64_t v) { p.Int(v); }
inline void PrintValue(Printer& p, double v) { p.Double(v); }
inline void PrintValue(Printer& p, bool v) { p.Bool(v); }
inline void PrintValue(Printer& p, const std::string& v) { p.String(v); }
inline void PrintValue(Printer& p, const Int128& v) { p.Hex(v.data(), v.size()); }
inline void PrintValue(Printer& p, const Int256& v) { p.Hex(v.data(), v.size()); }
inline void PrintValue(Printer& p, const AnyObject& v) {
  if (v) {
    v.get()->PrintTo(p);
  } else {
    p.Raw("null");
  }
}
template <TlStruct T>
void PrintValue(Printer& p, const T& v) {
  v.PrintTo(p);
}
template <class T>
void PrintValue(Printer& p, const std::optional<T>& v) {
  if (v) {
    PrintValue(p, *v);
  } else {
    p.Raw("none");
  }
}
template <class T>
void PrintValue(Printer& p, const std::vector<T>& v) {
  p.Raw("[");
  for (size_t i = 0; i < v.size(); ++i) {
    if (i != 0) p.Raw(", ");
    PrintValue(p, v[i]);
  }
  p.Raw("]");
}

// The TL-like text of any struct, handle or value.
template <class T>
std::string to_string(const T& v) {
  Printer p;
  PrintValue(p, v);
  return p.Take();
}

}  // namespace mtcore::tl

#endif  // MTCORE_TL_PRINTER_H_
