// Formatted text: plain UTF-8 text plus the message entities that style it,
// as Telegram sends and receives them (https://core.telegram.org/api/entities),
// and the nesting rules of the Bot API's formatting options
// (https://core.telegram.org/bots/api#formatting-options).
//
// The HTML and MarkdownV2 parsers (html.h, markdown.h) produce a
// FormattedText; their writers take one. Entities are the received forms:
// a mention by id is messageEntityMentionName (client/formatted_message.h
// turns it into inputMessageEntityMentionName, with the user's access hash,
// for sending).
//
// The formatting entities, and the rules both directions share:
//   - bold, italic, underline, strikethrough, spoiler ("styles") may contain,
//     and be inside, any entity except that nothing is inside pre and code;
//   - a blockquote (collapsed or not) is never inside another blockquote, a
//     link or a custom emoji;
//   - text links, mentions by id and custom emoji never contain each other,
//     code or pre; pre and code contain nothing;
//   - entities either nest or are disjoint; an entity is never inside one of
//     its own kind.
//
// Normalize() applies them to any list (received entities are untrusted):
// entities are taken in canonical order (offset ascending, then length
// descending, then kind in the order of `EntityKind`); each one that is
// empty, partially overlaps one already taken, or would sit inside an entity
// that may not contain it is dropped, as are entities with nothing to write
// (an empty URL, a mention of a user id <= 0, a URL or language that is not
// UTF-8). A text link to tg://user?id=N is a mention of user N, as Telegram
// reads it. The writers also leave out the kinds the formats cannot write
// (mentions by @username, hashtags, URLs, e-mails... that Telegram detects
// by itself: FromTl gives nullopt for them).
#ifndef MTCORE_CORE_TEXT_ENTITIES_H_
#define MTCORE_CORE_TEXT_ENTITIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tl/api.h"

namespace mtcore::text {

// Text with its entities (offsets and lengths in UTF-16 code units).
struct FormattedText {
  std::string text;
  std::vector<tl::MessageEntity> entities;
  friend bool operator==(const FormattedText&, const FormattedText&) = default;
};

// Canonical order for entities with the same range: the outer one first.
enum class EntityKind {
  kBlockquote,
  kTextUrl,
  kMentionName,
  kCustomEmoji,
  kBold,
  kItalic,
  kUnderline,
  kStrike,
  kSpoiler,
  kPre,
  kCode,
};

// One formatting entity, in plain form.
struct Entity {
  EntityKind kind = EntityKind::kBold;
  int64_t offset = 0;  // UTF-16 units
  int64_t length = 0;
  std::string str;     // kTextUrl: the URL; kPre: the language
  int64_t id = 0;      // kMentionName: user id; kCustomEmoji: document id
  bool collapsed = false;  // kBlockquote: expandable
  int64_t end() const { return offset + length; }
  friend bool operator==(const Entity&, const Entity&) = default;
};

// The plain form of a formatting entity (inputMessageEntityMentionName with
// an inputUser counts as a mention of that user); nullopt for the kinds the
// formats cannot write.
std::optional<Entity> FromTl(const tl::MessageEntity& e);
// The received TL form (messageEntityBold, messageEntityMentionName...).
tl::MessageEntity ToTl(const Entity& e);

// Every entity lies within a text of `utf16_length` units: offset >= 0,
// length >= 0, offset + length <= utf16_length, and no end inside a surrogate
// pair (checked by the writers, which know the text). InvalidArgument naming
// the entity's index and constructor otherwise. Empty handles are errors too.
absl::Status CheckRanges(const std::vector<tl::MessageEntity>& entities, int64_t utf16_length);

// The entities the rules above keep, in canonical order (see the file
// comment).
std::vector<Entity> Normalize(std::vector<Entity> entities);

// tg://user?id=N with N a positive decimal int64 -> N.
std::optional<int64_t> MentionLinkUserId(std::string_view url);
// tg://emoji?id=N with N a decimal int64 -> N.
std::optional<int64_t> CustomEmojiLinkId(std::string_view url);

// What the writers share: `text` must be UTF-8 and every entity must lie
// within it (CheckRanges) with no end inside a surrogate pair
// (InvalidArgument naming the entity otherwise); the result is Normalize()
// of the formatting entities.
absl::StatusOr<std::vector<Entity>> EntitiesToWrite(const FormattedText& text);

// Calls, in text order, on_text(from, to) for each run of text between
// entity boundaries (UTF-16 units, from < to), on_open(entity) and
// on_close(entity), for `entities` as Normalize() returns them (nested,
// canonical order) within a text of `length` units.
template <class OnText, class OnOpen, class OnClose>
void WalkEntities(const std::vector<Entity>& entities, int64_t length, OnText on_text,
                  OnOpen on_open, OnClose on_close) {
  std::vector<const Entity*> open;
  int64_t pos = 0;
  const auto advance = [&](int64_t to) {
    if (to > pos) on_text(pos, to);
    if (to > pos) pos = to;
  };
  for (const Entity& e : entities) {
    while (!open.empty() && open.back()->end() <= e.offset) {
      advance(open.back()->end());
      on_close(*open.back());
      open.pop_back();
    }
    advance(e.offset);
    on_open(e);
    open.push_back(&e);
  }
  while (!open.empty()) {
    advance(open.back()->end());
    on_close(*open.back());
    open.pop_back();
  }
  advance(length);
}

// True for bold, italic, underline, strikethrough and spoiler.
bool IsStyle(EntityKind kind);
// True if `outer` may contain `inner` (kinds differ).
bool CanContain(EntityKind outer, EntityKind inner);

}  // namespace mtcore::text

#endif  // MTCORE_CORE_TEXT_ENTITIES_H_
