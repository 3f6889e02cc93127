#include "tlgen/json.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace mtcore::tlgen {
namespace {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  absl::Status ParseDocument(JsonValue& out) {
    SkipSpace();
    MTCORE_RETURN_IF_ERROR(ParseValue(0, out));
    SkipSpace();
    if (pos_ != text_.size()) return Error(pos_, "unexpected data after the JSON value");
    return absl::OkStatus();
  }

 private:
  absl::Status Error(size_t offset, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(JsonPosition(text_, offset), ": ", message));
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool ConsumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(int depth, JsonValue& out) {
    out.offset = pos_;
    if (pos_ >= text_.size()) return Error(pos_, "unexpected end of input, expected a value");
    char c = text_[pos_];
    switch (c) {
      case '{':
      case '[':
        if (depth >= kMaxJsonDepth) return Error(pos_, "nesting is too deep");
        return c == '{' ? ParseObject(depth, out) : ParseArray(depth, out);
      case '"':
        out.kind = JsonValue::Kind::kString;
        return ParseString(out.string);
      case 't':
      case 'f':
      case 'n':
        if (ConsumeWord("true")) {
          out.kind = JsonValue::Kind::kBool;
          out.boolean = true;
        } else if (ConsumeWord("false")) {
          out.kind = JsonValue::Kind::kBool;
        } else if (ConsumeWord("null")) {
          out.kind = JsonValue::Kind::kNull;
        } else {
          return Error(pos_, "invalid literal");
        }
        return absl::OkStatus();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Error(pos_, absl::StrCat("unexpected character '", std::string(1, c), "'"));
    }
  }

  absl::Status ParseObject(int depth, JsonValue& out) {
    out.kind = JsonValue::Kind::kObject;
    ++pos_;  // '{'
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error(pos_, "expected a string key");
      JsonMember member;
      MTCORE_RETURN_IF_ERROR(ParseString(member.key));
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error(pos_, "expected ':' after key");
      ++pos_;
      SkipSpace();
      MTCORE_RETURN_IF_ERROR(ParseValue(depth + 1, member.value));
      out.object.push_back(std::move(member));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error(pos_, "expected ',' or '}' in object");
    }
  }

  absl::Status ParseArray(int depth, JsonValue& out) {
    out.kind = JsonValue::Kind::kArray;
    ++pos_;  // '['
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      JsonValue element;
      MTCORE_RETURN_IF_ERROR(ParseValue(depth + 1, element));
      out.array.push_back(std::move(element));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error(pos_, "expected ',' or ']' in array");
    }
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Four hex digits at pos_.
  absl::Status ParseHex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return Error(pos_, "truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      uint32_t v;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      else return Error(pos_ + i, "invalid hex digit in \\u escape");
      out = out << 4 | v;
    }
    pos_ += 4;
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string& out) {
    size_t start = pos_;
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= text_.size()) return Error(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error(pos_, "control character in string");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      size_t escape = pos_;
      ++pos_;
      if (pos_ >= text_.size()) return Error(start, "unterminated string");
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          MTCORE_RETURN_IF_ERROR(ParseHex4(cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return Error(escape, "unpaired surrogate");
            pos_ += 2;
            MTCORE_RETURN_IF_ERROR(ParseHex4(low));
            if (low < 0xDC00 || low > 0xDFFF) return Error(escape, "unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error(escape, "unpaired surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Error(escape, "invalid escape sequence");
      }
    }
  }

  absl::Status ParseNumber(JsonValue& out) {
    size_t start = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        ++pos_;
        ++n;
      }
      return n;
    };
    if (text_[pos_] == '-') ++pos_;
    size_t int_start = pos_;
    size_t int_digits = digits();
    if (int_digits == 0) return Error(start, "invalid number");
    if (int_digits > 1 && text_[int_start] == '0') return Error(start, "leading zero in number");
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Error(start, "invalid number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error(start, "invalid number");
    }
    out.kind = JsonValue::Kind::kNumber;
    if (!absl::SimpleAtod(text_.substr(start, pos_ - start), &out.number)) {
      return Error(start, "number out of range");
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string JsonPosition(std::string_view text, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return absl::StrCat(line, ":", column, " (offset ", offset, ")");
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [name, value] : object) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string_view JsonValue::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kNumber: return "number";
    case Kind::kString: return "string";
    case Kind::kArray: return "array";
    case Kind::kObject: return "object";
  }
  return "?";
}

absl::StatusOr<JsonValue> ParseJson(std::string_view text) {
  JsonValue value;
  MTCORE_RETURN_IF_ERROR(JsonParser(text).ParseDocument(value));
  return value;
}

}  // namespace mtcore::tlgen
