#include "tl/printer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mtcore::tl {

void Printer::Int(int64_t v) { absl::StrAppend(&out_, v); }
void Printer::Uint(uint64_t v) { absl::StrAppend(&out_, v); }
void Printer::Double(double v) { absl::StrAppendFormat(&out_, "%g", v); }

void Printer::String(std::string_view s) {
  out_ += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        // Printable ASCII and UTF-8 bytes as they are; other controls escaped.
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out_, "\\x%02x", c);
        } else {
          out_ += static_cast<char>(c);
        }
    }
  }
  out_ += '"';
}

void Printer::Hex(const uint8_t* data, size_t n) {
  out_ += "0x";
  out_ += HexEncode(ByteView(data, n));
}

}  // namespace mtcore::tl
