#include "core/text/entities.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/text/utf16.h"

namespace mtcore::text {
namespace {

// A decimal int64 with an optional '-' and no other characters.
std::optional<int64_t> ParseDecimal(std::string_view s) {
  bool negative = false;
  if (!s.empty() && s[0] == '-') negative = true, s.remove_prefix(1);
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (v > limit) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

template <class T>
Entity Plain(const T& t, EntityKind kind) {
  Entity e;
  e.kind = kind;
  e.offset = t.offset;
  e.length = t.length;
  return e;
}

}  // namespace

std::optional<int64_t> MentionLinkUserId(std::string_view url) {
  constexpr std::string_view kPrefix = "tg://user?id=";
  if (!absl::StartsWith(url, kPrefix)) return std::nullopt;
  std::optional<int64_t> id = ParseDecimal(url.substr(kPrefix.size()));
  if (!id || *id <= 0 || url[kPrefix.size()] == '-') return std::nullopt;
  return id;
}

std::optional<int64_t> CustomEmojiLinkId(std::string_view url) {
  constexpr std::string_view kPrefix = "tg://emoji?id=";
  if (!absl::StartsWith(url, kPrefix)) return std::nullopt;
  return ParseDecimal(url.substr(kPrefix.size()));
}

bool IsStyle(EntityKind kind) {
  switch (kind) {
    case EntityKind::kBold:
    case EntityKind::kItalic:
    case EntityKind::kUnderline:
    case EntityKind::kStrike:
    case EntityKind::kSpoiler:
      return true;
    default:
      return false;
  }
}

bool CanContain(EntityKind outer, EntityKind inner) {
  if (outer == inner) return false;
  if (outer == EntityKind::kPre || outer == EntityKind::kCode) return false;
  if (inner == EntityKind::kBlockquote) return IsStyle(outer);
  if (IsStyle(inner) || IsStyle(outer)) return true;
  return outer == EntityKind::kBlockquote;
}

std::optional<Entity> FromTl(const tl::MessageEntity& e) {
  if (const auto* x = e.As<tl::messageEntityBold>()) return Plain(*x, EntityKind::kBold);
  if (const auto* x = e.As<tl::messageEntityItalic>()) return Plain(*x, EntityKind::kItalic);
  if (const auto* x = e.As<tl::messageEntityUnderline>()) return Plain(*x, EntityKind::kUnderline);
  if (const auto* x = e.As<tl::messageEntityStrike>()) return Plain(*x, EntityKind::kStrike);
  if (const auto* x = e.As<tl::messageEntitySpoiler>()) return Plain(*x, EntityKind::kSpoiler);
  if (const auto* x = e.As<tl::messageEntityCode>()) return Plain(*x, EntityKind::kCode);
  if (const auto* x = e.As<tl::messageEntityPre>()) {
    Entity r = Plain(*x, EntityKind::kPre);
    r.str = x->language;
    return r;
  }
  if (const auto* x = e.As<tl::messageEntityTextUrl>()) {
    Entity r = Plain(*x, EntityKind::kTextUrl);
    r.str = x->url;
    return r;
  }
  if (const auto* x = e.As<tl::messageEntityMentionName>()) {
    Entity r = Plain(*x, EntityKind::kMentionName);
    r.id = x->user_id;
    return r;
  }
  if (const auto* x = e.As<tl::inputMessageEntityMentionName>()) {
    const auto* user = x->user_id.As<tl::inputUser>();
    if (user == nullptr) return std::nullopt;
    Entity r = Plain(*x, EntityKind::kMentionName);
    r.id = user->user_id;
    return r;
  }
  if (const auto* x = e.As<tl::messageEntityCustomEmoji>()) {
    Entity r = Plain(*x, EntityKind::kCustomEmoji);
    r.id = x->document_id;
    return r;
  }
  if (const auto* x = e.As<tl::messageEntityBlockquote>()) {
    Entity r = Plain(*x, EntityKind::kBlockquote);
    r.collapsed = x->collapsed;
    return r;
  }
  return std::nullopt;
}

tl::MessageEntity ToTl(const Entity& e) {
  const auto offset = static_cast<int32_t>(e.offset);
  const auto length = static_cast<int32_t>(e.length);
  switch (e.kind) {
    case EntityKind::kBold:
      return tl::messageEntityBold{.offset = offset, .length = length};
    case EntityKind::kItalic:
      return tl::messageEntityItalic{.offset = offset, .length = length};
    case EntityKind::kUnderline:
      return tl::messageEntityUnderline{.offset = offset, .length = length};
    case EntityKind::kStrike:
      return tl::messageEntityStrike{.offset = offset, .length = length};
    case EntityKind::kSpoiler:
      return tl::messageEntitySpoiler{.offset = offset, .length = length};
    case EntityKind::kCode:
      return tl::messageEntityCode{.offset = offset, .length = length};
    case EntityKind::kPre:
      return tl::messageEntityPre{.offset = offset, .length = length, .language = e.str};
    case EntityKind::kTextUrl:
      return tl::messageEntityTextUrl{.offset = offset, .length = length, .url = e.str};
    case EntityKind::kMentionName:
      return tl::messageEntityMentionName{.offset = offset, .length = length, .user_id = e.id};
    case EntityKind::kCustomEmoji:
      return tl::messageEntityCustomEmoji{.offset = offset, .length = length, .document_id = e.id};
    case EntityKind::kBlockquote:
      return tl::messageEntityBlockquote{.collapsed = e.collapsed, .offset = offset, .length = length};
  }
  return nullptr;
}

namespace {

template <class... T>
struct RangeReader {
  static std::optional<std::pair<int64_t, int64_t>> Read(const tl::MessageEntity& e) {
    std::optional<std::pair<int64_t, int64_t>> r;
    ((r = r ? r : TryOne<T>(e)), ...);
    return r;
  }
  template <class C>
  static std::optional<std::pair<int64_t, int64_t>> TryOne(const tl::MessageEntity& e) {
    if (const C* c = e.As<C>()) return std::make_pair(int64_t{c->offset}, int64_t{c->length});
    return std::nullopt;
  }
};

// Offset and length of any entity constructor (nullopt for an unknown one).
std::optional<std::pair<int64_t, int64_t>> RangeOf(const tl::MessageEntity& e) {
  return RangeReader<
      tl::messageEntityUnknown, tl::messageEntityMention, tl::messageEntityHashtag,
      tl::messageEntityBotCommand, tl::messageEntityUrl, tl::messageEntityEmail,
      tl::messageEntityBold, tl::messageEntityItalic, tl::messageEntityCode, tl::messageEntityPre,
      tl::messageEntityTextUrl, tl::messageEntityMentionName, tl::inputMessageEntityMentionName,
      tl::messageEntityPhone, tl::messageEntityCashtag, tl::messageEntityUnderline,
      tl::messageEntityStrike, tl::messageEntityBankCard, tl::messageEntitySpoiler,
      tl::messageEntityCustomEmoji, tl::messageEntityBlockquote, tl::messageEntityFormattedDate,
      tl::messageEntityDiffInsert, tl::messageEntityDiffReplace,
      tl::messageEntityDiffDelete>::Read(e);
}

}  // namespace

absl::Status CheckRanges(const std::vector<tl::MessageEntity>& entities, int64_t utf16_length) {
  for (size_t i = 0; i < entities.size(); ++i) {
    const tl::MessageEntity& e = entities[i];
    if (!e) return absl::InvalidArgumentError(absl::StrCat("entity ", i, " is empty"));
    std::optional<std::pair<int64_t, int64_t>> r = RangeOf(e);
    if (!r) {
      return absl::InvalidArgumentError(
          absl::StrCat("entity ", i, " (", e.name(), ") is not a known entity"));
    }
    const auto [offset, length] = *r;
    if (offset < 0 || length < 0 || offset + length > utf16_length) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entity ", i, " (", e.name(), ") at offset ", offset, " length ", length,
          " is outside the text of ", utf16_length, " UTF-16 units"));
    }
  }
  return absl::OkStatus();
}

std::vector<Entity> Normalize(std::vector<Entity> entities) {
  std::vector<Entity> keep;
  keep.reserve(entities.size());
  for (Entity& e : entities) {
    if (e.length <= 0) continue;
    if (e.kind == EntityKind::kTextUrl) {
      if (std::optional<int64_t> user = MentionLinkUserId(e.str)) {
        e.kind = EntityKind::kMentionName;
        e.id = *user;
        e.str.clear();
      }
    }
    switch (e.kind) {
      case EntityKind::kTextUrl:
        if (e.str.empty() || !CheckUtf8(e.str).ok()) continue;
        break;
      case EntityKind::kPre:
        if (!CheckUtf8(e.str).ok()) continue;
        break;
      case EntityKind::kMentionName:
        if (e.id <= 0) continue;
        break;
      default:
        break;
    }
    if (e.kind != EntityKind::kTextUrl && e.kind != EntityKind::kPre) e.str.clear();
    if (e.kind != EntityKind::kMentionName && e.kind != EntityKind::kCustomEmoji) e.id = 0;
    if (e.kind != EntityKind::kBlockquote) e.collapsed = false;
    keep.push_back(std::move(e));
  }
  std::stable_sort(keep.begin(), keep.end(), [](const Entity& a, const Entity& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    if (a.length != b.length) return a.length > b.length;
    return a.kind < b.kind;
  });
  std::vector<Entity> out;
  out.reserve(keep.size());
  // Indexes in `out` of the entities containing the next one (at most one per
  // kind: an entity is never inside its own kind).
  std::vector<size_t> open_index;
  for (Entity& e : keep) {
    while (!open_index.empty() && out[open_index.back()].end() <= e.offset) open_index.pop_back();
    bool ok = true;
    for (size_t i : open_index) {
      const Entity& a = out[i];
      if (e.end() > a.end() || !CanContain(a.kind, e.kind)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    open_index.push_back(out.size());
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<Entity>> EntitiesToWrite(const FormattedText& text) {
  absl::Status utf8 = CheckUtf8(text.text);
  if (!utf8.ok()) return absl::InvalidArgumentError(absl::StrCat("text: ", utf8.message()));
  const Utf16Index index(text.text);
  absl::Status ranges = CheckRanges(text.entities, index.size());
  if (!ranges.ok()) return ranges;
  std::vector<Entity> plain;
  plain.reserve(text.entities.size());
  for (size_t i = 0; i < text.entities.size(); ++i) {
    std::optional<Entity> e = FromTl(text.entities[i]);
    if (!e) continue;
    if (!index.ByteAt(e->offset) || !index.ByteAt(e->end())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "entity ", i, " (", text.entities[i].name(), ") at offset ", e->offset, " length ",
          e->length, " splits a surrogate pair"));
    }
    plain.push_back(std::move(*e));
  }
  return Normalize(std::move(plain));
}

}  // namespace mtcore::text
