// Untrusted text + entities (as received: any kinds, ranges and order) into
// ToHtml and ToMarkdownV2: an error, or output that parses back to the text
// and to the entities the writer reports; HTML writes everything Normalize()
// keeps.
//
// Input: byte 0 = n (entities, at most 32), then n records of 8 bytes (kind,
// offset, length, argument, 4 bytes of id), the rest is the text.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/text/entities.h"
#include "core/text/html.h"
#include "core/text/markdown.h"

namespace {

namespace tl = ::mtcore::tl;

tl::MessageEntity Make(uint8_t kind, int32_t offset, int32_t length, uint8_t arg, int64_t id) {
  static const char* const kStrings[] = {"", "https://t.me/x", "tg://user?id=5", "py", "a b", "c)\\`",
                                         "\xff", "tg://user?id=-1"};
  const std::string s = kStrings[arg % 8];
  switch (kind % 16) {
    case 0: return tl::messageEntityBold{.offset = offset, .length = length};
    case 1: return tl::messageEntityItalic{.offset = offset, .length = length};
    case 2: return tl::messageEntityUnderline{.offset = offset, .length = length};
    case 3: return tl::messageEntityStrike{.offset = offset, .length = length};
    case 4: return tl::messageEntitySpoiler{.offset = offset, .length = length};
    case 5: return tl::messageEntityCode{.offset = offset, .length = length};
    case 6: return tl::messageEntityPre{.offset = offset, .length = length, .language = s};
    case 7: return tl::messageEntityTextUrl{.offset = offset, .length = length, .url = s};
    case 8: return tl::messageEntityMentionName{.offset = offset, .length = length, .user_id = id};
    case 9:
      return tl::inputMessageEntityMentionName{
          .offset = offset, .length = length, .user_id = tl::inputUser{.user_id = id, .access_hash = 1}};
    case 10: return tl::messageEntityCustomEmoji{.offset = offset, .length = length, .document_id = id};
    case 11: return tl::messageEntityBlockquote{.collapsed = (arg & 1) != 0, .offset = offset, .length = length};
    case 12: return tl::messageEntityHashtag{.offset = offset, .length = length};
    case 13: return tl::messageEntityUrl{.offset = offset, .length = length};
    case 14: return tl::messageEntityBlockquote{.offset = offset, .length = length};
    default: return tl::messageEntityBold{.offset = offset, .length = length};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore::text;
  if (size == 0) return 0;
  size_t n = data[0] % 33;
  size_t pos = 1;
  FormattedText t;
  for (size_t i = 0; i < n && pos + 8 <= size; ++i, pos += 8) {
    const uint8_t* r = data + pos;
    const int32_t offset = static_cast<int8_t>(r[1]);  // negative ones too
    const int32_t length = r[2] % 64;
    const int64_t id = static_cast<int64_t>(r[4] | r[5] << 8 | r[6] << 16) - (r[7] & 0x80 ? 1 << 20 : 0);
    t.entities.push_back(Make(r[0], offset, length, r[3], id));
  }
  t.text.assign(reinterpret_cast<const char*>(data + pos), size - pos);

  std::vector<tl::MessageEntity> written;
  absl::StatusOr<std::string> html = ToHtml(t, &written);
  if (html.ok()) {
    absl::StatusOr<FormattedText> back = ParseHtml(*html);
    if (!back.ok() || back->text != t.text || back->entities != written) abort();
    // HTML writes every entity Normalize() keeps.
    absl::StatusOr<std::vector<Entity>> kept = EntitiesToWrite(t);
    if (!kept.ok() || kept->size() != written.size()) abort();
  }
  absl::StatusOr<std::string> md = ToMarkdownV2(t, &written);
  if (md.ok() != html.ok()) abort();  // the same errors
  if (md.ok()) {
    absl::StatusOr<FormattedText> back = ParseMarkdownV2(*md);
    if (!back.ok() || back->text != t.text || back->entities != written) abort();
  }
  return 0;
}
