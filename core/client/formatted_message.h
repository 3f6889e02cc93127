// Formatted text for sending and as received: the bridge between core/text
// (HTML and MarkdownV2 <-> text + entities) and messages.sendMessage.
//
// core/text works with entities as Telegram delivers them; a mention by id
// is messageEntityMentionName{user_id}. To send one, Telegram wants
// inputMessageEntityMentionName with an InputUser, i.e. the user's access
// hash, which the client's PeerCache knows for every user it has seen.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(text::FormattedText t,
//                           text::ParseHtml("<b>Hi</b> <a href=\"tg://user?id=1001\">Alice</a>"));
//   MTCORE_ASSIGN_OR_RETURN(tl::InputPeer to, client.peers().InputPeerOf(chat));
//   MTCORE_ASSIGN_OR_RETURN(tl::messages_sendMessage m,
//                           SendText(to, t, client.peers(), random_id));
//   client.Invoke(m);
//   ...
//   text::FormattedText got = ReceivedText(message);      // from an update
//   MTCORE_ASSIGN_OR_RETURN(std::string html, text::ToHtml(got));
#ifndef MTCORE_CORE_CLIENT_FORMATTED_MESSAGE_H_
#define MTCORE_CORE_CLIENT_FORMATTED_MESSAGE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/client/peer_cache.h"
#include "core/text/entities.h"
#include "tl/api.h"

namespace mtcore::client {

// `entities` ready to send: each messageEntityMentionName becomes an
// inputMessageEntityMentionName naming the user through `peers` (NotFound,
// naming the user, if the cache cannot name them); the rest are unchanged.
absl::StatusOr<std::vector<tl::MessageEntity>> EntitiesForSending(
    const std::vector<tl::MessageEntity>& entities, const PeerCache& peers);

// messages.sendMessage of `text` to `to`. `random_id` is the caller's (a
// fresh random value per message: the client takes no entropy of its own).
// InvalidArgument if the text is not UTF-8 or is empty, or an entity lies
// outside it (what Telegram would refuse with ENTITY_BOUNDS_INVALID); errors
// of EntitiesForSending. No entities: the field is left out.
absl::StatusOr<tl::messages_sendMessage> SendText(tl::InputPeer to, const text::FormattedText& text,
                                                  const PeerCache& peers, int64_t random_id);

// The text and entities of a received message (entities as sent by the
// server: untrusted, see text::ToHtml / ToMarkdownV2).
text::FormattedText ReceivedText(const tl::message& m);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_FORMATTED_MESSAGE_H_
