#include "core/text/markdown.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/text/utf16.h"

namespace mtcore::text {
namespace {

constexpr std::string_view kReserved = "_*[]()~`>#+-=|{}.!";

bool IsReserved(char c) { return kReserved.find(c) != std::string_view::npos; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsEscapable(char c) { return c >= 1 && c <= 126; }

absl::Status ErrorAt(size_t pos, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("MarkdownV2 at byte ", pos, ": ", what));
}

const char* KindName(EntityKind k) {
  switch (k) {
    case EntityKind::kBold: return "bold";
    case EntityKind::kItalic: return "italic";
    case EntityKind::kUnderline: return "underline";
    case EntityKind::kStrike: return "strikethrough";
    case EntityKind::kSpoiler: return "spoiler";
    case EntityKind::kCode: return "code";
    case EntityKind::kPre: return "pre";
    case EntityKind::kTextUrl: return "link";
    case EntityKind::kMentionName: return "mention";
    case EntityKind::kCustomEmoji: return "custom emoji";
    case EntityKind::kBlockquote: return "block quotation";
  }
  return "entity";
}

class MarkdownParser {
 public:
  explicit MarkdownParser(std::string_view in) : in_(in) {}

  absl::StatusOr<FormattedText> Run() {
    absl::Status input = CheckMarkupInput(in_, "MarkdownV2");
    if (!input.ok()) return input;
    while (pos_ < in_.size()) {
      if (line_start_) {
        line_start_ = false;
        absl::Status s = LineStart();
        if (!s.ok()) return s;
        continue;
      }
      absl::Status s = Step();
      if (!s.ok()) return s;
    }
    if (!open_.empty()) {
      return ErrorAt(open_.back().at, absl::StrCat(KindName(open_.back().kind), " is never closed"));
    }
    // A final line break with no line after it ends the quotation before it.
    if (quote_) EndQuote(line_start_ ? units_ - 1 : units_);
    FormattedText out;
    out.text = std::move(text_);
    for (const Entity& e : Normalize(std::move(entities_))) out.entities.push_back(ToTl(e));
    return out;
  }

 private:
  struct Open {
    EntityKind kind;
    size_t at;        // byte of the marker
    int64_t offset;   // UTF-16 units
    std::string language;
  };

  bool At(std::string_view s) const { return in_.substr(pos_, s.size()) == s; }
  char Peek(size_t ahead) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }

  void AppendChar() {
    const size_t size = DecodeUtf8(in_, pos_)->size;
    text_.append(in_.substr(pos_, size));
    units_ += size == 4 ? 2 : 1;
    pos_ += size;
  }
  void AppendByte(char c) {
    text_.push_back(c);
    ++units_;
    if (c == '\n') line_start_ = true;
  }

  void EndQuote(int64_t end) {
    Entity e;
    e.kind = EntityKind::kBlockquote;
    e.offset = quote_->offset;
    e.length = end - quote_->offset;
    e.collapsed = quote_->collapsed;
    entities_.push_back(e);
    quote_.reset();
  }
  void StartQuote(size_t marker_size) {
    quote_ = Quote{units_, false};
    quote_at_ = pos_;
    pos_ += marker_size;
  }

  // At the start of a line (pos_ < size).
  absl::Status LineStart() {
    if (quote_) {
      if (At(">")) {
        ++pos_;
        return absl::OkStatus();
      }
      if (!open_.empty()) {
        return ErrorAt(open_.back().at, absl::StrCat(KindName(open_.back().kind),
                                                     " is not closed at the end of the block quotation "
                                                     "that started at byte ",
                                                     quote_at_));
      }
      EndQuote(units_ - 1);  // before the line break
    }
    if (open_.empty()) {
      if (At(">")) {
        StartQuote(1);
      } else if (At("**>")) {
        StartQuote(3);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Escape(std::string_view where) {
    const char next = Peek(1);
    if (!IsEscapable(next)) {
      return ErrorAt(pos_, absl::StrCat("'\\' must be followed by a character with code 1..126", where));
    }
    ++pos_;
    AppendByte(next);
    ++pos_;
    return absl::OkStatus();
  }

  void Push(EntityKind kind, size_t marker_size) {
    open_.push_back(Open{kind, pos_, units_, {}});
    ++open_count_[static_cast<size_t>(kind)];
    pos_ += marker_size;
  }

  void Close(size_t marker_size, std::string str = {}, int64_t id = 0) {
    Open o = std::move(open_.back());
    open_.pop_back();
    --open_count_[static_cast<size_t>(o.kind)];
    Entity e;
    e.kind = o.kind;
    e.offset = o.offset;
    e.length = units_ - o.offset;
    e.str = o.kind == EntityKind::kPre ? std::move(o.language) : std::move(str);
    e.id = id;
    entities_.push_back(std::move(e));
    pos_ += marker_size;
  }

  absl::Status Toggle(EntityKind kind, size_t marker_size) {
    if (OpenCount(kind) == 0) {
      Push(kind, marker_size);
      return absl::OkStatus();
    }
    const Open& inner = open_.back();
    if (inner.kind != kind) {
      // Styles are toggled, so at most one of each kind is open.
      size_t outer_at = 0;
      for (const Open& o : open_) {
        if (o.kind == kind) outer_at = o.at;
      }
      return ErrorAt(pos_, absl::StrCat("this marker closes the ", KindName(kind), " opened at byte ", outer_at,
                                        ", but the ", KindName(inner.kind), " opened at byte ", inner.at,
                                        " inside it is still open"));
    }
    Close(marker_size);
    return absl::OkStatus();
  }

  size_t OpenCount(EntityKind kind) const { return open_count_[static_cast<size_t>(kind)]; }

  // Inside code or pre: only '`' and '\' mean something.
  absl::Status Literal() {
    const Open& o = open_.back();
    const char c = in_[pos_];
    if (c == '\\') return Escape(" inside code");
    if (c == '`') {
      if (o.kind == EntityKind::kCode) {
        Close(1);
        return absl::OkStatus();
      }
      if (!At("```")) return ErrorAt(pos_, "a '`' inside pre must be escaped (or end the block with ```)");
      if (units_ > o.offset && !text_.empty() && text_.back() == '\n') {
        text_.pop_back();
        --units_;
      }
      Close(3);
      return absl::OkStatus();
    }
    if (c == '\n') {
      AppendByte(c);
      ++pos_;
      return absl::OkStatus();
    }
    AppendChar();
    return absl::OkStatus();
  }

  absl::Status OpenPre() {
    const size_t at = pos_;
    pos_ += 3;
    size_t end = pos_;
    while (end < in_.size() && !IsSpace(in_[end]) && in_[end] != '`' && in_[end] != '\\') ++end;
    std::string language;
    if (end > pos_ && end < in_.size() && in_[end] == '\n') {
      language = std::string(in_.substr(pos_, end - pos_));
      pos_ = end + 1;
      line_start_ = true;  // inside a quotation, the next line starts with '>' too
    } else if (pos_ < in_.size() && in_[pos_] == '\n') {
      ++pos_;
      line_start_ = true;
    }
    open_.push_back(Open{EntityKind::kPre, at, units_, std::move(language)});
    ++open_count_[static_cast<size_t>(EntityKind::kPre)];
    return absl::OkStatus();
  }

  // ']' of a link or custom emoji.
  absl::Status CloseLink() {
    const size_t at = pos_;
    if (open_.empty() ||
        (open_.back().kind != EntityKind::kTextUrl && open_.back().kind != EntityKind::kCustomEmoji)) {
      return ErrorAt(at, "unescaped ']' closes no link");
    }
    if (Peek(1) != '(') return ErrorAt(at, "']' of a link must be followed by '('");
    pos_ += 2;
    std::string url;
    for (;;) {
      if (pos_ >= in_.size()) return ErrorAt(at, "the link's URL has no ')'");
      const char c = in_[pos_];
      if (c == ')') break;
      if (c == '\\') {
        const char next = Peek(1);
        if (!IsEscapable(next)) {
          return ErrorAt(pos_, "'\\' must be followed by a character with code 1..126 in a link");
        }
        url.push_back(next);
        pos_ += 2;
      } else {
        url.push_back(c);
        ++pos_;
      }
    }
    if (open_.back().kind == EntityKind::kCustomEmoji) {
      std::optional<int64_t> id = CustomEmojiLinkId(url);
      if (!id) return ErrorAt(at, "a custom emoji needs the URL tg://emoji?id=N");
      Close(1, {}, *id);
    } else {
      Close(1, std::move(url));
    }
    return absl::OkStatus();
  }

  absl::Status Step() {
    if (!open_.empty() && (open_.back().kind == EntityKind::kCode || open_.back().kind == EntityKind::kPre)) {
      return Literal();
    }
    const char c = in_[pos_];
    switch (c) {
      case '\\':
        return Escape("");
      case '\n':
        AppendByte(c);
        ++pos_;
        return absl::OkStatus();
      case '*':
        return Toggle(EntityKind::kBold, 1);
      case '_':
        return Peek(1) == '_' ? Toggle(EntityKind::kUnderline, 2) : Toggle(EntityKind::kItalic, 1);
      case '~':
        return Toggle(EntityKind::kStrike, 1);
      case '|': {
        if (Peek(1) != '|') return ErrorAt(pos_, "reserved character '|' must be escaped");
        const bool spoiler_open = OpenCount(EntityKind::kSpoiler) > 0;
        const bool line_end = pos_ + 2 >= in_.size() || in_[pos_ + 2] == '\n';
        if (!spoiler_open && quote_ && line_end) {
          if (!open_.empty()) {
            return ErrorAt(open_.back().at, absl::StrCat(KindName(open_.back().kind),
                                                         " is not closed at the end of the block quotation"));
          }
          quote_->collapsed = true;
          EndQuote(units_);
          pos_ += 2;
          return absl::OkStatus();
        }
        return Toggle(EntityKind::kSpoiler, 2);
      }
      case '`':
        if (At("```")) return OpenPre();
        Push(EntityKind::kCode, 1);
        return absl::OkStatus();
      case '[':
        Push(EntityKind::kTextUrl, 1);
        return absl::OkStatus();
      case '!':
        if (Peek(1) != '[') return ErrorAt(pos_, "reserved character '!' must be escaped");
        Push(EntityKind::kCustomEmoji, 2);
        return absl::OkStatus();
      case ']':
        return CloseLink();
      default:
        if (IsReserved(c)) return ErrorAt(pos_, absl::StrCat("reserved character '", std::string(1, c), "' must be escaped"));
        AppendChar();
        return absl::OkStatus();
    }
  }

  struct Quote {
    int64_t offset;
    bool collapsed;
  };

  std::string_view in_;
  size_t pos_ = 0;
  std::string text_;
  int64_t units_ = 0;
  bool line_start_ = true;
  std::vector<Open> open_;
  size_t open_count_[static_cast<size_t>(EntityKind::kCode) + 1] = {};  // per kind, in open_
  std::optional<Quote> quote_;
  size_t quote_at_ = 0;
  std::vector<Entity> entities_;
};

// The entities MarkdownV2 can place (see ToMarkdownV2), from Normalize()'s
// output; `text` is UTF-8, `index` its UTF-16 index.
std::vector<Entity> Placeable(std::vector<Entity> entities, std::string_view text, const Utf16Index& index) {
  // Entity boundaries are never inside a surrogate pair (EntitiesToWrite).
  const auto char_at = [&](int64_t unit) { return text[*index.ByteAt(unit)]; };
  // The last byte before a boundary ('\n' only if the character is one).
  const auto byte_before = [&](int64_t unit) { return text[*index.ByteAt(unit) - 1]; };
  const int64_t length = index.size();
  // Block quotations first: top-level and whole lines.
  std::vector<bool> keep(entities.size(), true);
  std::vector<std::pair<int64_t, int64_t>> quotes;
  int64_t covered_until = 0;  // end of the last kept top-level entity
  for (size_t i = 0; i < entities.size(); ++i) {
    const Entity& e = entities[i];
    const bool top_level = e.offset >= covered_until;
    if (top_level) covered_until = e.end();
    if (e.kind != EntityKind::kBlockquote) continue;
    const bool lines = (e.offset == 0 || byte_before(e.offset) == '\n') &&
                       (e.end() == length || char_at(e.end()) == '\n');
    if (!top_level || !lines) {
      keep[i] = false;
      continue;
    }
    quotes.emplace_back(e.offset, e.end());
  }
  std::vector<Entity> out;
  out.reserve(entities.size());
  size_t q = 0;
  for (size_t i = 0; i < entities.size(); ++i) {
    if (!keep[i]) continue;
    Entity& e = entities[i];
    if (e.kind != EntityKind::kBlockquote) {
      while (q < quotes.size() && quotes[q].second < e.offset) ++q;
      bool ok = true;
      for (size_t j = q > 0 ? q - 1 : 0; j < quotes.size() && quotes[j].first <= e.end(); ++j) {
        const auto [qs, qe] = quotes[j];
        if (e.end() == qs && qs > 0) ok = false;
        if (e.offset == qe && qe < length) ok = false;
        if (e.kind == EntityKind::kSpoiler && char_at(e.offset) == '\n' && e.offset >= qs && e.offset <= qe) {
          ok = false;
        }
      }
      if (!ok) continue;
    }
    if (e.kind == EntityKind::kPre) {
      for (char c : e.str) {
        if (IsSpace(c) || c == '`' || c == '\\') {
          e.str.clear();
          break;
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

absl::StatusOr<FormattedText> ParseMarkdownV2(std::string_view markdown) {
  return MarkdownParser(markdown).Run();
}

absl::StatusOr<std::string> ToMarkdownV2(const FormattedText& text, std::vector<tl::MessageEntity>* written) {
  absl::StatusOr<std::vector<Entity>> normalized = EntitiesToWrite(text);
  if (!normalized.ok()) return normalized.status();
  const Utf16Index index(text.text);
  const std::vector<Entity> entities = Placeable(*std::move(normalized), text.text, index);

  std::string out;
  out.reserve(text.text.size() * 2 + entities.size() * 8);
  std::vector<EntityKind> open;
  const Entity* quote = nullptr;
  int64_t last_quote_end = -2;
  bool after_underscore = false;  // the last thing written was a '_' marker

  const auto literal = [&] { return !open.empty() && (open.back() == EntityKind::kCode || open.back() == EntityKind::kPre); };
  const auto underscore_marker = [&](std::string_view marker) {
    if (after_underscore) {
      bool bold_open = false;
      for (EntityKind k : open) bold_open |= k == EntityKind::kBold;
      out += bold_open ? "``" : "**";
    }
    out += marker;
    after_underscore = true;
  };
  const auto url_part = [&](std::string_view url) {
    out += "](";
    for (char c : url) {
      if (c == ')' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out += ")";
  };

  WalkEntities(
      entities, index.size(),
      [&](int64_t from, int64_t to) {
        after_underscore = false;
        const bool lit = literal();
        int64_t unit = from;
        const size_t end = *index.ByteAt(to);
        for (size_t b = *index.ByteAt(from); b < end;) {
          const char c = text.text[b];
          const size_t size = DecodeUtf8(text.text, b)->size;
          if (c == '\n') {
            out.push_back('\n');
            if (quote != nullptr && unit >= quote->offset && unit < quote->end()) out.push_back('>');
          } else if (size == 1 && (c == '\\' || (lit ? c == '`' : IsReserved(c)))) {
            out.push_back('\\');
            out.push_back(c);
          } else {
            out.append(text.text, b, size);
          }
          unit += size == 4 ? 2 : 1;
          b += size;
        }
      },
      [&](const Entity& e) {
        switch (e.kind) {
          case EntityKind::kItalic: underscore_marker("_"); break;
          case EntityKind::kUnderline: underscore_marker("__"); break;
          default: after_underscore = false; break;
        }
        switch (e.kind) {
          case EntityKind::kBold: out += "*"; break;
          case EntityKind::kStrike: out += "~"; break;
          case EntityKind::kSpoiler: out += "||"; break;
          case EntityKind::kCode: out += "`"; break;
          case EntityKind::kPre: absl::StrAppend(&out, "```", e.str, quote != nullptr ? "\n>" : "\n"); break;
          case EntityKind::kTextUrl:
          case EntityKind::kMentionName: out += "["; break;
          case EntityKind::kCustomEmoji: out += "!["; break;
          case EntityKind::kBlockquote:
            out += last_quote_end == e.offset - 1 ? "**>" : ">";
            quote = &e;
            break;
          default: break;
        }
        open.push_back(e.kind);
      },
      [&](const Entity& e) {
        open.pop_back();
        switch (e.kind) {
          case EntityKind::kItalic: underscore_marker("_"); return;
          case EntityKind::kUnderline: underscore_marker("__"); return;
          default: after_underscore = false; break;
        }
        switch (e.kind) {
          case EntityKind::kBold: out += "*"; break;
          case EntityKind::kStrike: out += "~"; break;
          case EntityKind::kSpoiler: out += "||"; break;
          case EntityKind::kCode: out += "`"; break;
          case EntityKind::kPre: out += quote != nullptr ? "\n>```" : "\n```"; break;
          case EntityKind::kTextUrl: url_part(e.str); break;
          case EntityKind::kMentionName: url_part(absl::StrCat("tg://user?id=", e.id)); break;
          case EntityKind::kCustomEmoji: url_part(absl::StrCat("tg://emoji?id=", e.id)); break;
          case EntityKind::kBlockquote:
            if (e.collapsed) out += "||";
            last_quote_end = e.end();
            quote = nullptr;
            break;
          default: break;
        }
      });
  if (written != nullptr) {
    written->clear();
    for (const Entity& e : entities) written->push_back(ToTl(e));
  }
  return out;
}

}  // namespace mtcore::text
