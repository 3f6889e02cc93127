#include "core/text/html.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/text/utf16.h"

namespace mtcore::text {
namespace {

absl::Status ErrorAt(size_t pos, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("HTML at byte ", pos, ": ", what));
}

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

class HtmlParser {
 public:
  explicit HtmlParser(std::string_view in) : in_(in) {}

  absl::StatusOr<FormattedText> Run() {
    absl::Status input = CheckMarkupInput(in_, "HTML");
    if (!input.ok()) return input;
    while (pos_ < in_.size()) {
      const char c = in_[pos_];
      if (c == '<') {
        absl::Status s = (pos_ + 1 < in_.size() && in_[pos_ + 1] == '/') ? EndTag() : StartTag();
        if (!s.ok()) return s;
      } else if (c == '&') {
        Reference(text_);
      } else {
        const size_t size = DecodeUtf8(in_, pos_)->size;
        text_.append(in_.substr(pos_, size));
        units_ += size == 4 ? 2 : 1;
        pos_ += size;
      }
    }
    if (!open_.empty()) {
      return ErrorAt(open_.back().at, absl::StrCat("<", open_.back().tag, "> is never closed"));
    }
    FormattedText out;
    out.text = std::move(text_);
    for (const Entity& e : Normalize(std::move(entities_))) out.entities.push_back(ToTl(e));
    return out;
  }

 private:
  struct Open {
    std::string tag;
    size_t at = 0;                 // byte of the '<'
    std::optional<Entity> entity;  // none for <a> without href, or a code naming a pre's language
    bool language_taken = false;   // <pre>: a <code class="language-..."> named its language
  };

  // Decodes a character reference at pos_ ('&') into `out` (an '&' that
  // starts none stays an '&'), counting UTF-16 units when `out` is the text.
  void Reference(std::string& out) {
    const std::string_view rest = in_.substr(pos_);
    static constexpr std::pair<std::string_view, char> kNamed[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}};
    for (const auto& [name, ch] : kNamed) {
      if (rest.substr(0, name.size()) == name) {
        out.push_back(ch);
        pos_ += name.size();
        if (&out == &text_) ++units_;
        return;
      }
    }
    if (rest.size() > 2 && rest[1] == '#') {
      size_t i = 2;
      const bool hex = rest[i] == 'x' || rest[i] == 'X';
      if (hex) ++i;
      const size_t digits_start = i;
      uint32_t cp = 0;
      while (i < rest.size() && i - digits_start < 8 &&
             (hex ? absl::ascii_isxdigit(static_cast<unsigned char>(rest[i]))
                  : absl::ascii_isdigit(static_cast<unsigned char>(rest[i])))) {
        const char d = rest[i];
        const uint32_t v = absl::ascii_isdigit(static_cast<unsigned char>(d))
                               ? static_cast<uint32_t>(d - '0')
                               : static_cast<uint32_t>(absl::ascii_tolower(static_cast<unsigned char>(d)) - 'a' + 10);
        cp = cp * (hex ? 16 : 10) + v;
        ++i;
      }
      if (i > digits_start && i < rest.size() && rest[i] == ';' && cp > 0 && cp <= 0x10FFFF &&
          !(cp >= 0xD800 && cp <= 0xDFFF)) {
        AppendUtf8(cp, out);
        pos_ += i + 1;
        if (&out == &text_) units_ += Utf16Units(cp);
        return;
      }
    }
    out.push_back('&');
    ++pos_;
    if (&out == &text_) ++units_;
  }

  std::string ReadName() {
    const size_t start = pos_;
    while (pos_ < in_.size() && IsNameChar(in_[pos_])) ++pos_;
    return absl::AsciiStrToLower(in_.substr(start, pos_ - start));
  }
  void SkipSpaces() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  absl::Status EndTag() {
    const size_t at = pos_;
    pos_ += 2;
    const std::string name = ReadName();
    SkipSpaces();
    if (pos_ >= in_.size() || in_[pos_] != '>') return ErrorAt(at, "unterminated end tag");
    ++pos_;
    if (open_.empty()) return ErrorAt(at, absl::StrCat("</", name, "> closes no open tag"));
    if (open_.back().tag != name) {
      return ErrorAt(at, absl::StrCat("</", name, "> does not close <", open_.back().tag, "> opened at byte ",
                                      open_.back().at));
    }
    Open o = std::move(open_.back());
    open_.pop_back();
    if (o.entity) {
      o.entity->length = units_ - o.entity->offset;
      entities_.push_back(std::move(*o.entity));
    }
    return absl::OkStatus();
  }

  absl::Status StartTag() {
    const size_t at = pos_;
    ++pos_;
    if (pos_ >= in_.size() || !absl::ascii_isalpha(static_cast<unsigned char>(in_[pos_]))) {
      return ErrorAt(at, "'<' starts no tag (write &lt; for a '<' character)");
    }
    Open o;
    o.tag = ReadName();
    o.at = at;
    std::vector<std::pair<std::string, std::string>> attributes;
    for (;;) {
      const size_t before = pos_;
      SkipSpaces();
      if (pos_ >= in_.size()) return ErrorAt(at, absl::StrCat("unterminated start tag <", o.tag, ">"));
      if (in_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before || !IsNameChar(in_[pos_])) {
        return ErrorAt(pos_, absl::StrCat("unexpected character in start tag <", o.tag, ">"));
      }
      std::string name = ReadName();
      std::string value;
      SkipSpaces();
      if (pos_ < in_.size() && in_[pos_] == '=') {
        ++pos_;
        SkipSpaces();
        if (pos_ >= in_.size()) return ErrorAt(at, absl::StrCat("unterminated start tag <", o.tag, ">"));
        const char quote = in_[pos_];
        if (quote == '"' || quote == '\'') {
          ++pos_;
          while (pos_ < in_.size() && in_[pos_] != quote) {
            if (in_[pos_] == '&') {
              Reference(value);
            } else {
              value.push_back(in_[pos_++]);
            }
          }
          if (pos_ >= in_.size()) return ErrorAt(at, absl::StrCat("unterminated attribute value in <", o.tag, ">"));
          ++pos_;
        } else {
          while (pos_ < in_.size() && !IsSpace(in_[pos_]) && in_[pos_] != '>') {
            if (in_[pos_] == '&') {
              Reference(value);
            } else {
              value.push_back(in_[pos_++]);
            }
          }
        }
      }
      attributes.emplace_back(std::move(name), std::move(value));
    }
    const auto attribute = [&](std::string_view name) -> const std::string* {
      for (const auto& [n, v] : attributes) {
        if (n == name) return &v;
      }
      return nullptr;
    };
    const auto entity = [&](EntityKind kind) {
      Entity e;
      e.kind = kind;
      e.offset = units_;
      return e;
    };
    const std::string& t = o.tag;
    if (t == "b" || t == "strong") {
      o.entity = entity(EntityKind::kBold);
    } else if (t == "i" || t == "em") {
      o.entity = entity(EntityKind::kItalic);
    } else if (t == "u" || t == "ins") {
      o.entity = entity(EntityKind::kUnderline);
    } else if (t == "s" || t == "strike" || t == "del") {
      o.entity = entity(EntityKind::kStrike);
    } else if (t == "tg-spoiler") {
      o.entity = entity(EntityKind::kSpoiler);
    } else if (t == "span") {
      const std::string* c = attribute("class");
      if (c == nullptr || *c != "tg-spoiler") return ErrorAt(at, "<span> needs class=\"tg-spoiler\"");
      o.entity = entity(EntityKind::kSpoiler);
    } else if (t == "a") {
      if (const std::string* href = attribute("href"); href != nullptr && !href->empty()) {
        o.entity = entity(EntityKind::kTextUrl);
        o.entity->str = *href;
      }
    } else if (t == "tg-emoji") {
      const std::string* id = attribute("emoji-id");
      std::optional<int64_t> document =
          id == nullptr ? std::nullopt : CustomEmojiLinkId(absl::StrCat("tg://emoji?id=", *id));
      if (!document) return ErrorAt(at, "<tg-emoji> needs a decimal emoji-id");
      o.entity = entity(EntityKind::kCustomEmoji);
      o.entity->id = *document;
    } else if (t == "code") {
      const std::string* c = attribute("class");
      Open* pre = open_.empty() ? nullptr : &open_.back();
      if (c != nullptr && c->rfind("language-", 0) == 0 && pre != nullptr && pre->tag == "pre" &&
          pre->entity && pre->entity->offset == units_ && !pre->language_taken) {
        pre->entity->str = c->substr(9);
        pre->language_taken = true;
      } else {
        o.entity = entity(EntityKind::kCode);
      }
    } else if (t == "pre") {
      o.entity = entity(EntityKind::kPre);
    } else if (t == "blockquote") {
      o.entity = entity(EntityKind::kBlockquote);
      o.entity->collapsed = attribute("expandable") != nullptr;
    } else {
      return ErrorAt(at, absl::StrCat("unsupported tag <", t, ">"));
    }
    open_.push_back(std::move(o));
    return absl::OkStatus();
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string text_;
  int64_t units_ = 0;
  std::vector<Open> open_;
  std::vector<Entity> entities_;
};

void Escape(std::string_view s, std::string& out) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
}

}  // namespace

absl::StatusOr<FormattedText> ParseHtml(std::string_view html) { return HtmlParser(html).Run(); }

absl::StatusOr<std::string> ToHtml(const FormattedText& text, std::vector<tl::MessageEntity>* written) {
  absl::StatusOr<std::vector<Entity>> entities = EntitiesToWrite(text);
  if (!entities.ok()) return entities.status();
  const Utf16Index index(text.text);
  std::string out;
  out.reserve(text.text.size() + entities->size() * 16);
  WalkEntities(
      *entities, index.size(),
      [&](int64_t from, int64_t to) {
        const size_t a = *index.ByteAt(from);
        Escape(std::string_view(text.text).substr(a, *index.ByteAt(to) - a), out);
      },
      [&](const Entity& e) {
        switch (e.kind) {
          case EntityKind::kBold: out += "<b>"; break;
          case EntityKind::kItalic: out += "<i>"; break;
          case EntityKind::kUnderline: out += "<u>"; break;
          case EntityKind::kStrike: out += "<s>"; break;
          case EntityKind::kSpoiler: out += "<tg-spoiler>"; break;
          case EntityKind::kCode: out += "<code>"; break;
          case EntityKind::kPre:
            if (e.str.empty()) {
              out += "<pre>";
            } else {
              out += "<pre><code class=\"language-";
              Escape(e.str, out);
              out += "\">";
            }
            break;
          case EntityKind::kTextUrl:
            out += "<a href=\"";
            Escape(e.str, out);
            out += "\">";
            break;
          case EntityKind::kMentionName: absl::StrAppend(&out, "<a href=\"tg://user?id=", e.id, "\">"); break;
          case EntityKind::kCustomEmoji: absl::StrAppend(&out, "<tg-emoji emoji-id=\"", e.id, "\">"); break;
          case EntityKind::kBlockquote: out += e.collapsed ? "<blockquote expandable>" : "<blockquote>"; break;
        }
      },
      [&](const Entity& e) {
        switch (e.kind) {
          case EntityKind::kBold: out += "</b>"; break;
          case EntityKind::kItalic: out += "</i>"; break;
          case EntityKind::kUnderline: out += "</u>"; break;
          case EntityKind::kStrike: out += "</s>"; break;
          case EntityKind::kSpoiler: out += "</tg-spoiler>"; break;
          case EntityKind::kCode: out += "</code>"; break;
          case EntityKind::kPre: out += e.str.empty() ? "</pre>" : "</code></pre>"; break;
          case EntityKind::kTextUrl:
          case EntityKind::kMentionName: out += "</a>"; break;
          case EntityKind::kCustomEmoji: out += "</tg-emoji>"; break;
          case EntityKind::kBlockquote: out += "</blockquote>"; break;
        }
      });
  if (written != nullptr) {
    written->clear();
    for (const Entity& e : *entities) written->push_back(ToTl(e));
  }
  return out;
}

}  // namespace mtcore::text
