// The Bot API's HTML formatting (https://core.telegram.org/bots/api#html-style)
// to and from text + entities.
//
// Tags (names and attribute names are case-insensitive):
//   <b>, <strong>  <i>, <em>  <u>, <ins>  <s>, <strike>, <del>
//   <tg-spoiler>, <span class="tg-spoiler">
//   <a href="URL"> (tg://user?id=N: a mention of user N; no or an empty href:
//     no entity)
//   <tg-emoji emoji-id="N">  <code>  <pre>
//   <pre><code class="language-L">: a pre block in language L
//   <blockquote>, <blockquote expandable>
// Attribute values may be double-quoted, single-quoted or bare; unknown
// attributes are ignored. Named character references &lt; &gt; &amp; &quot;
// and numeric ones (&#N; &#xH;) are decoded; an '&' that starts none of them
// is an ordinary character. Entities that break the nesting rules
// (entities.h) are dropped, as the Bot API drops them.
//
// Errors (InvalidArgument, with the byte position in the input): input that
// is not UTF-8; a '<' that starts no tag; an unknown tag; <span> without
// class tg-spoiler; <tg-emoji> without a decimal emoji-id; an end tag that is
// not the innermost open one's; a tag left open or unterminated; input past
// 2^31 - 1 bytes.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(FormattedText t, ParseHtml("<b>bold</b> &amp; <i>it</i>"));
//   // t.text == "bold & it", t.entities: bold 0..4, italic 7..9
//   MTCORE_ASSIGN_OR_RETURN(std::string html, ToHtml(t));   // the same HTML back
#ifndef MTCORE_CORE_TEXT_HTML_H_
#define MTCORE_CORE_TEXT_HTML_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/text/entities.h"
#include "tl/api.h"

namespace mtcore::text {

absl::StatusOr<FormattedText> ParseHtml(std::string_view html);

// HTML for `text` (received entities: untrusted). Errors as
// EntitiesToWrite(): text not UTF-8, an entity out of range or splitting a
// surrogate pair. Entities are written as Normalize() keeps them (the rest
// are dropped: text, and the entities HTML cannot express); if `written` is
// given it receives the entities written, in canonical order, which is what
// ParseHtml() of the result gives back.
absl::StatusOr<std::string> ToHtml(const FormattedText& text,
                                   std::vector<tl::MessageEntity>* written = nullptr);

}  // namespace mtcore::text

#endif  // MTCORE_CORE_TEXT_HTML_H_
