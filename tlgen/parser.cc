#include "tlgen/parser.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "tlgen/id.h"

namespace mtcore::tlgen {
namespace {

// Deepest `Vector<Vector<...>>` nesting accepted (keeps recursion bounded).
constexpr int kMaxTypeDepth = 16;

enum class Tok {
  kIdent,      // names, numbers, hex ids, "flags.0"
  kHash,       // #
  kColon,      // :
  kQuestion,   // ?
  kLAngle,     // <
  kRAngle,     // >
  kLBrace,     // {
  kRBrace,     // }
  kBang,       // !
  kPercent,    // %
  kEquals,     // =
  kSemicolon,  // ;
  kComma,      // ,
  kOther,      // [ ] * ( ) : only valid inside built-in lines
  kSection,    // ---functions--- / ---types---; text is the section name
  kEnd,
};

struct Token {
  Tok kind;
  std::string_view text;
  size_t offset = 0;  // of the first byte
  size_t end = 0;     // one past the last byte
  int line = 1;
  int column = 1;
  bool space_before = false;  // whitespace or a comment precedes the token
};

bool IsIdentChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

// Turns the input into tokens; comments are dropped, `// LAYER N` is noted.
class Lexer {
 public:
  Lexer(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  absl::Status Run(std::vector<Token>& out, int& layer) {
    bool space = true;
    while (true) {
      SkipSpace(space);
      if (pos_ >= text_.size()) break;
      char c = text_[pos_];
      if (c == '/' && Peek(1) == '/') {
        size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '\n') Advance();
        NoteLayer(text_.substr(start + 2, pos_ - start - 2), layer);
        space = true;
        continue;
      }
      if (c == '/' && Peek(1) == '*') {
        int line = line_, column = column_;
        Advance();
        Advance();
        while (pos_ < text_.size() && !(text_[pos_] == '*' && Peek(1) == '/')) Advance();
        if (pos_ >= text_.size()) return Error(line, column, "unterminated comment");
        Advance();
        Advance();
        space = true;
        continue;
      }
      Token tok;
      tok.offset = pos_;
      tok.line = line_;
      tok.column = column_;
      tok.space_before = space;
      space = false;
      if (c == '-') {
        MTCORE_RETURN_IF_ERROR(LexSection(tok));
      } else if (IsIdentChar(c)) {
        while (pos_ < text_.size() && IsIdentChar(text_[pos_])) Advance();
        tok.kind = Tok::kIdent;
      } else {
        switch (c) {
          case '#': tok.kind = Tok::kHash; break;
          case ':': tok.kind = Tok::kColon; break;
          case '?': tok.kind = Tok::kQuestion; break;
          case '<': tok.kind = Tok::kLAngle; break;
          case '>': tok.kind = Tok::kRAngle; break;
          case '{': tok.kind = Tok::kLBrace; break;
          case '}': tok.kind = Tok::kRBrace; break;
          case '!': tok.kind = Tok::kBang; break;
          case '%': tok.kind = Tok::kPercent; break;
          case '=': tok.kind = Tok::kEquals; break;
          case ';': tok.kind = Tok::kSemicolon; break;
          case ',': tok.kind = Tok::kComma; break;
          case '[': case ']': case '*': case '(': case ')': tok.kind = Tok::kOther; break;
          default: {
            unsigned char u = static_cast<unsigned char>(c);
            if (u >= 0x21 && u < 0x7F) {
              return Error(line_, column_, absl::StrCat("unexpected character '", std::string(1, c), "'"));
            }
            return Error(line_, column_,
                         absl::StrCat("unexpected byte 0x", absl::Hex(u, absl::kZeroPad2)));
          }
        }
        Advance();
      }
      tok.end = pos_;
      if (tok.kind != Tok::kSection) tok.text = text_.substr(tok.offset, tok.end - tok.offset);
      out.push_back(tok);
    }
    Token end;
    end.kind = Tok::kEnd;
    end.offset = end.end = pos_;
    end.line = line_;
    end.column = column_;
    end.space_before = true;
    out.push_back(end);
    return absl::OkStatus();
  }

 private:
  char Peek(size_t ahead) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  void SkipSpace(bool& space) {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      Advance();
      space = true;
    }
  }

  // `// LAYER 228` (any spacing, case-sensitive keyword).
  static void NoteLayer(std::string_view comment, int& layer) {
    comment = absl::StripAsciiWhitespace(comment);
    if (!absl::ConsumePrefix(&comment, "LAYER")) return;
    comment = absl::StripAsciiWhitespace(comment);
    int value = 0;
    if (absl::SimpleAtoi(comment, &value) && value >= 0) layer = value;
  }

  absl::Status LexSection(Token& tok) {
    int line = line_, column = column_;
    if (text_.substr(pos_, 3) != "---") {
      return Error(line, column, "unexpected character '-'");
    }
    for (int i = 0; i < 3; ++i) Advance();
    size_t name_start = pos_;
    while (pos_ < text_.size() && absl::ascii_isalpha(static_cast<unsigned char>(text_[pos_]))) Advance();
    std::string_view name = text_.substr(name_start, pos_ - name_start);
    if (text_.substr(pos_, 3) != "---") {
      return Error(line, column, "malformed section marker: expected ---functions--- or ---types---");
    }
    for (int i = 0; i < 3; ++i) Advance();
    if (name != "functions" && name != "types") {
      return Error(line, column, absl::StrCat("unknown section '---", name, "---'"));
    }
    tok.kind = Tok::kSection;
    tok.text = name;
    return absl::OkStatus();
  }

  absl::Status Error(int line, int column, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", line, ":", column, ": ", message));
  }

  std::string_view text_;
  std::string_view file_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

// A parameter name: a letter or '_' then letters, digits, '_' (no dots).
bool IsValidParamName(std::string_view name) {
  if (name.empty() || !(absl::ascii_isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return name.find('.') == std::string_view::npos;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view file, std::vector<Token> tokens)
      : text_(text), file_(file), tokens_(std::move(tokens)) {}

  absl::Status Run(Schema& schema) {
    Category category = Category::kConstructor;
    while (Cur().kind != Tok::kEnd) {
      if (Cur().kind == Tok::kSection) {
        category = Cur().text == "functions" ? Category::kFunction : Category::kConstructor;
        ++i_;
        continue;
      }
      if (IsBuiltinStatement()) {
        MTCORE_RETURN_IF_ERROR(ParseBuiltin(schema));
        continue;
      }
      Definition def;
      def.category = category;
      MTCORE_RETURN_IF_ERROR(ParseDefinition(def));
      schema.definitions.push_back(std::move(def));
    }
    return absl::OkStatus();
  }

 private:
  const Token& Cur() const { return tokens_[i_]; }
  const Token& At(size_t k) const { return tokens_[k < tokens_.size() ? k : tokens_.size() - 1]; }

  static std::string Describe(const Token& tok) {
    switch (tok.kind) {
      case Tok::kEnd: return "end of file";
      case Tok::kSection: return absl::StrCat("'---", tok.text, "---'");
      default: return absl::StrCat("'", tok.text, "'");
    }
  }

  absl::Status ErrorAt(const Token& tok, std::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", tok.line, ":", tok.column, ": ", message));
  }

  // Built-in declarations: `int ? = Int;` (a `?` right after the name) or
  // anything using `[ ]`, `*`, `( )` (`vector {t:Type} # [ t ] = Vector t;`).
  bool IsBuiltinStatement() const {
    if (Cur().kind != Tok::kIdent) return false;
    if (At(i_ + 1).kind == Tok::kQuestion) return true;
    for (size_t k = i_; k < tokens_.size(); ++k) {
      Tok kind = tokens_[k].kind;
      if (kind == Tok::kSemicolon || kind == Tok::kSection || kind == Tok::kEnd) return false;
      if (kind == Tok::kOther) return true;
    }
    return false;
  }

  absl::Status ParseBuiltin(Schema& schema) {
    const Token& first = Cur();
    while (Cur().kind != Tok::kSemicolon) {
      if (Cur().kind == Tok::kEnd || Cur().kind == Tok::kSection) {
        return ErrorAt(Cur(), absl::StrCat("expected ';' to end the declaration of '", first.text,
                                           "', found ", Describe(Cur())));
      }
      ++i_;
    }
    BuiltinLine line;
    std::string_view raw = text_.substr(first.offset, Cur().offset - first.offset);
    bool pending_space = false;
    for (char c : raw) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
        pending_space = true;
        continue;
      }
      if (pending_space && !line.text.empty()) line.text += ' ';
      pending_space = false;
      line.text += c;
    }
    line.location = {std::string(file_), first.line, first.column};
    schema.builtins.push_back(std::move(line));
    ++i_;  // ';'
    return absl::OkStatus();
  }

  absl::Status Expect(Tok kind, std::string_view what) {
    if (Cur().kind != kind) {
      return ErrorAt(Cur(), absl::StrCat("expected ", what, ", found ", Describe(Cur())));
    }
    ++i_;
    return absl::OkStatus();
  }

  absl::Status ParseDefinition(Definition& def) {
    const Token& name = Cur();
    if (name.kind != Tok::kIdent) {
      if (name.kind == Tok::kHash || name.kind == Tok::kEquals) {
        return ErrorAt(name, absl::StrCat("empty definition name before ", Describe(name)));
      }
      return ErrorAt(name, absl::StrCat("expected a definition name, found ", Describe(name)));
    }
    if (!IsValidTlName(name.text)) {
      return ErrorAt(name, absl::StrCat("invalid definition name '", name.text, "'"));
    }
    def.name = std::string(name.text);
    def.location = {std::string(file_), name.line, name.column};
    ++i_;

    if (Cur().kind == Tok::kHash && !Cur().space_before) {
      const Token& hash = Cur();
      ++i_;
      const Token& hex = Cur();
      if (hex.kind != Tok::kIdent || hex.space_before) {
        return ErrorAt(hash, "missing constructor id after '#'");
      }
      uint32_t id = 0;
      bool ok = !hex.text.empty() && hex.text.size() <= 8;
      for (char c : hex.text) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else { ok = false; break; }
        id = id << 4 | static_cast<uint32_t>(v);
      }
      if (!ok) {
        return ErrorAt(hex, absl::StrCat("invalid constructor id '", hex.text,
                                         "': expected 1 to 8 hex digits"));
      }
      def.id = id;
      def.explicit_id = true;
      ++i_;
    }

    while (Cur().kind == Tok::kLBrace) {
      ++i_;
      const Token& gname = Cur();
      MTCORE_RETURN_IF_ERROR(Expect(Tok::kIdent, "a generic parameter name"));
      if (!IsValidParamName(gname.text)) {
        return ErrorAt(gname, absl::StrCat("invalid generic parameter name '", gname.text, "'"));
      }
      if (def.IsGenericParam(gname.text)) {
        return ErrorAt(gname, absl::StrCat("duplicate generic parameter '", gname.text, "'"));
      }
      MTCORE_RETURN_IF_ERROR(Expect(Tok::kColon, "':'"));
      const Token& gtype = Cur();
      MTCORE_RETURN_IF_ERROR(Expect(Tok::kIdent, "the generic parameter's type"));
      if (!IsValidTlName(gtype.text)) {
        return ErrorAt(gtype, absl::StrCat("invalid type name '", gtype.text, "'"));
      }
      MTCORE_RETURN_IF_ERROR(Expect(Tok::kRBrace, "'}'"));
      def.generic_params.push_back({std::string(gname.text), std::string(gtype.text)});
    }

    while (Cur().kind != Tok::kEquals) {
      const Token& pname = Cur();
      if (pname.kind == Tok::kSemicolon || pname.kind == Tok::kEnd || pname.kind == Tok::kSection) {
        return ErrorAt(pname, absl::StrCat("missing '=' in the definition of '", def.name,
                                           "', found ", Describe(pname)));
      }
      if (pname.kind != Tok::kIdent) {
        return ErrorAt(pname, absl::StrCat("expected a parameter name, found ", Describe(pname)));
      }
      if (!IsValidParamName(pname.text)) {
        return ErrorAt(pname, absl::StrCat("invalid parameter name '", pname.text, "'"));
      }
      if (def.FindParam(pname.text) != nullptr) {
        return ErrorAt(pname, absl::StrCat("duplicate parameter '", pname.text, "'"));
      }
      ++i_;
      if (Cur().kind != Tok::kColon) {
        return ErrorAt(Cur(), absl::StrCat("expected ':' after parameter '", pname.text,
                                           "', found ", Describe(Cur())));
      }
      ++i_;
      Param param;
      param.name = std::string(pname.text);
      if (Cur().kind == Tok::kHash) {
        param.type = TypeRef::Named("#");
        ++i_;
      } else {
        if (Cur().kind == Tok::kIdent && At(i_ + 1).kind == Tok::kQuestion) {
          FlagRef flag;
          MTCORE_RETURN_IF_ERROR(ParseFlag(def, flag));
          param.flag = std::move(flag);
        }
        MTCORE_RETURN_IF_ERROR(ParseType(def, /*depth=*/0, param.type));
        if (param.type.name == "#") {
          return ErrorAt(pname, "a '#' field cannot be conditional");
        }
      }
      def.params.push_back(std::move(param));
    }
    ++i_;  // '='

    const Token& result = Cur();
    if (result.kind == Tok::kBang) {
      return ErrorAt(result, "a result type cannot be a '!' generic reference");
    }
    if (result.kind == Tok::kHash) {
      return ErrorAt(result, "a result type cannot be '#'");
    }
    MTCORE_RETURN_IF_ERROR(ParseType(def, /*depth=*/0, def.result));
    if (Cur().kind != Tok::kSemicolon) {
      return ErrorAt(Cur(), absl::StrCat("expected ';' after the result type of '", def.name,
                                         "', found ", Describe(Cur())));
    }
    ++i_;
    if (!def.explicit_id) def.id = ComputeId(def);
    return absl::OkStatus();
  }

  // `flags.N?` (the current token is the identifier, the next one is '?').
  absl::Status ParseFlag(const Definition& def, FlagRef& flag) {
    const Token& tok = Cur();
    size_t dot = tok.text.rfind('.');
    if (dot == std::string_view::npos) {
      return ErrorAt(tok, absl::StrCat("invalid flag reference '", tok.text,
                                       "': expected FIELD.BIT before '?'"));
    }
    std::string_view field = tok.text.substr(0, dot);
    std::string_view bit_text = tok.text.substr(dot + 1);
    const Param* field_param = def.FindParam(field);
    if (field_param == nullptr || !field_param->IsFlagsField()) {
      return ErrorAt(tok, absl::StrCat("unknown flag field '", field,
                                       "': no earlier '", field, ":#' parameter"));
    }
    bool digits = !bit_text.empty() && bit_text.size() <= 3;
    for (char c : bit_text) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
    int bit = 0;
    if (!digits || !absl::SimpleAtoi(bit_text, &bit)) {
      return ErrorAt(tok, absl::StrCat("invalid flag bit '", bit_text, "'"));
    }
    if (bit > 31) {
      return ErrorAt(tok, absl::StrCat("flag bit ", bit, " out of range 0..31"));
    }
    flag.field = std::string(field);
    flag.bit = bit;
    i_ += 2;  // identifier and '?'
    return absl::OkStatus();
  }

  // `[!][%]name[<type, ...>]`
  absl::Status ParseType(const Definition& def, int depth, TypeRef& out) {
    if (depth > kMaxTypeDepth) return ErrorAt(Cur(), "type nesting is too deep");
    bool generic_ref = false;
    bool percent = false;
    if (Cur().kind == Tok::kBang) {
      generic_ref = true;
      ++i_;
    } else if (Cur().kind == Tok::kPercent) {
      percent = true;
      ++i_;
    }
    const Token& name = Cur();
    if (name.kind != Tok::kIdent) {
      return ErrorAt(name, absl::StrCat("expected a type, found ", Describe(name)));
    }
    if (!IsValidTlName(name.text)) {
      return ErrorAt(name, absl::StrCat("invalid type name '", name.text, "'"));
    }
    if (generic_ref && !def.IsGenericParam(name.text)) {
      return ErrorAt(name, absl::StrCat("undeclared generic '", name.text,
                                        "': declare it with {", name.text, ":Type}"));
    }
    out = TypeRef::Named(std::string(name.text));
    out.generic_ref = generic_ref;
    if (percent) out.bare = true;
    ++i_;
    if (Cur().kind == Tok::kLAngle) {
      ++i_;
      while (true) {
        TypeRef arg;
        MTCORE_RETURN_IF_ERROR(ParseType(def, depth + 1, arg));
        out.args.push_back(std::move(arg));
        if (Cur().kind == Tok::kComma) {
          ++i_;
          continue;
        }
        if (Cur().kind != Tok::kRAngle) {
          return ErrorAt(Cur(), absl::StrCat("expected '>' or ',' in the arguments of '",
                                             out.name, "', found ", Describe(Cur())));
        }
        ++i_;
        break;
      }
    }
    return absl::OkStatus();
  }

  std::string_view text_;
  std::string_view file_;
  std::vector<Token> tokens_;
  size_t i_ = 0;
};

}  // namespace

absl::StatusOr<Schema> ParseTl(std::string_view text, std::string_view file_name) {
  Schema schema;
  std::vector<Token> tokens;
  MTCORE_RETURN_IF_ERROR(Lexer(text, file_name).Run(tokens, schema.layer));
  Parser parser(text, file_name, std::move(tokens));
  MTCORE_RETURN_IF_ERROR(parser.Run(schema));
  return schema;
}

}  // namespace mtcore::tlgen
