#include "core/client/formatted_message.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/text/utf16.h"

namespace mtcore::client {

absl::StatusOr<std::vector<tl::MessageEntity>> EntitiesForSending(
    const std::vector<tl::MessageEntity>& entities, const PeerCache& peers) {
  std::vector<tl::MessageEntity> out;
  out.reserve(entities.size());
  for (const tl::MessageEntity& e : entities) {
    const auto* mention = e.As<tl::messageEntityMentionName>();
    if (mention == nullptr) {
      out.push_back(e);
      continue;
    }
    absl::StatusOr<tl::InputUser> user = peers.InputUserOf(mention->user_id);
    if (!user.ok()) {
      return absl::NotFoundError(absl::StrCat("cannot mention user ", mention->user_id, ": ", user.status().message()));
    }
    out.push_back(tl::inputMessageEntityMentionName{
        .offset = mention->offset, .length = mention->length, .user_id = *std::move(user)});
  }
  return out;
}

absl::StatusOr<tl::messages_sendMessage> SendText(tl::InputPeer to, const text::FormattedText& text,
                                                  const PeerCache& peers, int64_t random_id) {
  if (text.text.empty()) return absl::InvalidArgumentError("the message text is empty");
  absl::Status utf8 = text::CheckUtf8(text.text);
  if (!utf8.ok()) return absl::InvalidArgumentError(absl::StrCat("message text: ", utf8.message()));
  absl::Status ranges = text::CheckRanges(text.entities, text::Utf16Length(text.text));
  if (!ranges.ok()) return ranges;
  absl::StatusOr<std::vector<tl::MessageEntity>> entities = EntitiesForSending(text.entities, peers);
  if (!entities.ok()) return entities.status();
  tl::messages_sendMessage m;
  m.peer = std::move(to);
  m.message = text.text;
  m.random_id = random_id;
  if (!entities->empty()) m.entities = *std::move(entities);
  return m;
}

text::FormattedText ReceivedText(const tl::message& m) {
  text::FormattedText t;
  t.text = m.message;
  if (m.entities) t.entities = *m.entities;
  return t;
}

}  // namespace mtcore::client
