// The Bot API's MarkdownV2 formatting
// (https://core.telegram.org/bots/api#markdownv2-style) to and from text +
// entities.
//
//   *bold*  _italic_  __underline__  ~strikethrough~  ||spoiler||
//   [text](URL)  [text](tg://user?id=N)  ![👍](tg://emoji?id=N)
//   `code`  ```lang\npre```  >block quotation lines, **> a new one,
//   a quotation's last line ending in || makes it expandable
//
// Reading rules (the Bot API's, made precise where it is silent):
//   - '\' followed by a character with code 1..126 is that character; any
//     other '\' is an error. Outside code, pre and link URLs the characters
//     _ * [ ] ( ) ~ ` > # + - = | { } . ! must be escaped.
//   - Inside code and pre only '`' and '\' must be escaped; inside the (...)
//     of a link only ')' and '\'.
//   - "__" is always underline: write ___italic underline_**__ (an empty bold
//     entity between the markers) for italic around underline.
//   - A marker of a kind already open closes it; it must be the innermost
//     open entity.
//   - ``` starts a pre block. A language follows if the rest of that line is
//     one word (no space, '`' or '\'); the line break after the ``` or the
//     language is not text, nor is one line break just before the closing
//     ```.
//   - A line starting with '>' outside any entity starts a block quotation
//     (one starting with "**>" starts a new one right after another); each
//     following line starting with '>' continues it, the line break before
//     the first line that does not ends it (outside it). "||" at the end of a
//     quotation line, outside a spoiler, makes the quotation expandable and
//     ends it. Entities opened inside a quotation must close inside it.
//   - Empty entities are dropped; so are entities that break the nesting
//     rules (entities.h).
// Errors (InvalidArgument, with the byte position): input that is not UTF-8
// or is longer than 2^31 - 1 bytes, an unescaped reserved character, a
// misplaced closing marker, an unclosed entity or link, ']' not followed by
// '(', a custom emoji link that is not tg://emoji?id=N.
#ifndef MTCORE_CORE_TEXT_MARKDOWN_H_
#define MTCORE_CORE_TEXT_MARKDOWN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/text/entities.h"
#include "tl/api.h"

namespace mtcore::text {

absl::StatusOr<FormattedText> ParseMarkdownV2(std::string_view markdown);

// MarkdownV2 for `text` (received entities: untrusted). Errors as
// EntitiesToWrite(). Entities are written as Normalize() keeps them, less
// those MarkdownV2 cannot place, which are dropped (their text is kept):
//   - a block quotation inside another entity, or not covering whole lines
//     (starting at the text's start or after a '\n', ending at its end or
//     before a '\n');
//   - an entity ending where a block quotation starts, or starting where one
//     ends;
//   - a spoiler starting with a '\n' inside or right after a block quotation;
// and a pre language that is not one word (no space, '`' or '\') is left
// out. If `written` is given it receives the entities written, in canonical
// order, which is what ParseMarkdownV2() of the result gives back.
absl::StatusOr<std::string> ToMarkdownV2(const FormattedText& text,
                                         std::vector<tl::MessageEntity>* written = nullptr);

}  // namespace mtcore::text

#endif  // MTCORE_CORE_TEXT_MARKDOWN_H_
