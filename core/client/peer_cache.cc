#include "core/client/peer_cache.h"

#include "absl/strings/str_cat.h"

namespace mtcore::client {
namespace {

const char* KindName(PeerKind kind) {
  switch (kind) {
    case PeerKind::kUser:
      return "user";
    case PeerKind::kChat:
      return "chat";
    case PeerKind::kChannel:
      return "channel";
  }
  return "peer";
}

absl::Status Unknown(PeerKind kind, int64_t id) {
  return absl::NotFoundError(absl::StrCat(
      "no access hash for ", KindName(kind), " ", id,
      ": it has not been seen in a full (non-min) object; fetch it first (e.g. "
      "contacts.resolveUsername, messages.getDialogs, or the update's difference)"));
}

}  // namespace

void PeerCache::Put(PeerKind kind, int64_t id, std::optional<int64_t> access_hash, bool min) {
  if (id == 0) return;
  Key key{kind, id};
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Entry& e = it->second;
    // A min hash never replaces a full one; a full one always replaces.
    if (min && !e.min) return;
    if (!access_hash.has_value() && kind != PeerKind::kChat) return;
    Entry updated{access_hash.value_or(0), min};
    if (updated.access_hash != e.access_hash || updated.min != e.min) {
      e = updated;
      ++stats_.remembered;
    }
    return;
  }
  if (!access_hash.has_value() && kind != PeerKind::kChat) return;
  while (entries_.size() >= max_peers_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
    ++stats_.evicted;
  }
  entries_.emplace(key, Entry{access_hash.value_or(0), min});
  order_.push_back(key);
  ++stats_.remembered;
}

void PeerCache::Remember(const tl::User& user) {
  if (const auto* u = user.As<tl::user>()) {
    if (u->self && !u->min) self_ = u->id;
    Put(PeerKind::kUser, u->id, u->access_hash, u->min);
  }
}

void PeerCache::Remember(const tl::Chat& chat) {
  if (const auto* c = chat.As<tl::chat>()) {
    Put(PeerKind::kChat, c->id, std::nullopt, false);
  } else if (const auto* c = chat.As<tl::chatForbidden>()) {
    Put(PeerKind::kChat, c->id, std::nullopt, false);
  } else if (const auto* c = chat.As<tl::channel>()) {
    Put(PeerKind::kChannel, c->id, c->access_hash, c->min);
  } else if (const auto* c = chat.As<tl::channelForbidden>()) {
    Put(PeerKind::kChannel, c->id, c->access_hash, false);
  }
}

void PeerCache::Remember(const std::vector<tl::User>& users, const std::vector<tl::Chat>& chats) {
  for (const tl::User& u : users) Remember(u);
  for (const tl::Chat& c : chats) Remember(c);
}

bool PeerCache::Knows(PeerKind kind, int64_t id) const {
  if (kind == PeerKind::kUser && id != 0 && id == self_) return true;
  auto it = entries_.find(Key{kind, id});
  return it != entries_.end() && !it->second.min;
}

bool PeerCache::Knows(const tl::Peer& peer) const {
  if (const auto* p = peer.As<tl::peerUser>()) return Knows(PeerKind::kUser, p->user_id);
  if (const auto* p = peer.As<tl::peerChat>()) return Knows(PeerKind::kChat, p->chat_id);
  if (const auto* p = peer.As<tl::peerChannel>()) return Knows(PeerKind::kChannel, p->channel_id);
  return false;
}

std::optional<int64_t> PeerCache::AccessHash(PeerKind kind, int64_t id) const {
  auto it = entries_.find(Key{kind, id});
  if (it == entries_.end() || it->second.min || kind == PeerKind::kChat) return std::nullopt;
  return it->second.access_hash;
}

absl::StatusOr<tl::InputPeer> PeerCache::InputPeerOf(PeerKind kind, int64_t id) const {
  if (kind == PeerKind::kUser && id != 0 && id == self_) return tl::InputPeer(tl::inputPeerSelf{});
  if (!Knows(kind, id)) return Unknown(kind, id);
  switch (kind) {
    case PeerKind::kUser:
      return tl::InputPeer(tl::inputPeerUser{.user_id = id, .access_hash = *AccessHash(kind, id)});
    case PeerKind::kChat:
      return tl::InputPeer(tl::inputPeerChat{.chat_id = id});
    case PeerKind::kChannel:
      return tl::InputPeer(
          tl::inputPeerChannel{.channel_id = id, .access_hash = *AccessHash(kind, id)});
  }
  return Unknown(kind, id);
}

absl::StatusOr<tl::InputPeer> PeerCache::InputPeerOf(const tl::Peer& peer) const {
  if (const auto* p = peer.As<tl::peerUser>()) return InputPeerOf(PeerKind::kUser, p->user_id);
  if (const auto* p = peer.As<tl::peerChat>()) return InputPeerOf(PeerKind::kChat, p->chat_id);
  if (const auto* p = peer.As<tl::peerChannel>()) {
    return InputPeerOf(PeerKind::kChannel, p->channel_id);
  }
  return absl::InvalidArgumentError(absl::StrCat("InputPeerOf: not a peer (", peer.name(), ")"));
}

absl::StatusOr<tl::InputUser> PeerCache::InputUserOf(int64_t user_id) const {
  if (user_id != 0 && user_id == self_) return tl::InputUser(tl::inputUserSelf{});
  std::optional<int64_t> hash = AccessHash(PeerKind::kUser, user_id);
  if (!hash) return Unknown(PeerKind::kUser, user_id);
  return tl::InputUser(tl::inputUser{.user_id = user_id, .access_hash = *hash});
}

absl::StatusOr<tl::InputChannel> PeerCache::InputChannelOf(int64_t channel_id) const {
  std::optional<int64_t> hash = AccessHash(PeerKind::kChannel, channel_id);
  if (!hash) return Unknown(PeerKind::kChannel, channel_id);
  return tl::InputChannel(tl::inputChannel{.channel_id = channel_id, .access_hash = *hash});
}

}  // namespace mtcore::client
