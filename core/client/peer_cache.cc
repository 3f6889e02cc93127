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
    if (access_hash.value_or(0) != e.access_hash || min != e.min) {
      e.access_hash = access_hash.value_or(0);
      e.min = min;
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
  Entry e;
  e.access_hash = access_hash.value_or(0);
  e.min = min;
  entries_.emplace(key, e);
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

void PeerCache::Clear() {
  entries_.clear();
  order_.clear();
  self_ = 0;
}

void PeerCache::Remember(const std::vector<tl::User>& users, const std::vector<tl::Chat>& chats) {
  for (const tl::User& u : users) Remember(u);
  for (const tl::Chat& c : chats) Remember(c);
}

namespace {

std::optional<std::pair<PeerKind, int64_t>> KindAndId(const tl::Peer& p) {
  if (const auto* x = p.As<tl::peerUser>()) return std::make_pair(PeerKind::kUser, x->user_id);
  if (const auto* x = p.As<tl::peerChat>()) return std::make_pair(PeerKind::kChat, x->chat_id);
  if (const auto* x = p.As<tl::peerChannel>()) {
    return std::make_pair(PeerKind::kChannel, x->channel_id);
  }
  return std::nullopt;
}

// A chain of "seen in" hops is at most this long (a min user seen in a
// channel known only as min, seen in...): Telegram needs one.
constexpr int kMaxHops = 2;

}  // namespace

void PeerCache::RememberMessage(const tl::Peer& from, const tl::Peer& chat, int32_t msg_id) {
  std::optional<std::pair<PeerKind, int64_t>> f = KindAndId(from);
  std::optional<std::pair<PeerKind, int64_t>> c = KindAndId(chat);
  if (!f || !c || msg_id <= 0 || f->first == PeerKind::kChat) return;
  auto it = entries_.find(Key{f->first, f->second});
  if (it == entries_.end() || !it->second.min) return;  // full, or never seen
  // Only a chat that can be named (a private chat with the sender itself
  // cannot: that is the very peer we lack).
  if (*c == *f || !InputPeerOf(c->first, c->second, 1).ok()) return;
  it->second.chat_kind = c->first;
  it->second.chat_id = c->second;
  it->second.msg_id = msg_id;
}

std::optional<tl::InputPeer> PeerCache::SeenIn(const Entry& e, int depth) const {
  if (e.chat_id == 0 || depth >= kMaxHops) return std::nullopt;
  absl::StatusOr<tl::InputPeer> chat = InputPeerOf(e.chat_kind, e.chat_id, depth + 1);
  if (!chat.ok()) return std::nullopt;
  return *std::move(chat);
}

bool PeerCache::Knows(PeerKind kind, int64_t id) const {
  if (kind == PeerKind::kUser && id != 0 && id == self_) return true;
  auto it = entries_.find(Key{kind, id});
  if (it == entries_.end()) return false;
  return !it->second.min || SeenIn(it->second, 0).has_value();
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
  return InputPeerOf(kind, id, 0);
}

absl::StatusOr<tl::InputPeer> PeerCache::InputPeerOf(PeerKind kind, int64_t id, int depth) const {
  if (kind == PeerKind::kUser && id != 0 && id == self_) return tl::InputPeer(tl::inputPeerSelf{});
  auto it = entries_.find(Key{kind, id});
  if (it != entries_.end() && it->second.min && kind != PeerKind::kChat) {
    std::optional<tl::InputPeer> chat = SeenIn(it->second, depth);
    if (!chat.has_value()) return Unknown(kind, id);
    if (kind == PeerKind::kUser) {
      return tl::InputPeer(tl::inputPeerUserFromMessage{
          .peer = *std::move(chat), .msg_id = it->second.msg_id, .user_id = id});
    }
    return tl::InputPeer(tl::inputPeerChannelFromMessage{
        .peer = *std::move(chat), .msg_id = it->second.msg_id, .channel_id = id});
  }
  if (it == entries_.end()) return Unknown(kind, id);
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
  absl::StatusOr<tl::InputPeer> p = InputPeerOf(PeerKind::kUser, user_id);
  if (!p.ok()) return p.status();
  if (p->As<tl::inputPeerSelf>() != nullptr) return tl::InputUser(tl::inputUserSelf{});
  if (const auto* x = p->As<tl::inputPeerUserFromMessage>()) {
    return tl::InputUser(
        tl::inputUserFromMessage{.peer = x->peer, .msg_id = x->msg_id, .user_id = user_id});
  }
  return tl::InputUser(tl::inputUser{.user_id = user_id,
                                     .access_hash = p->As<tl::inputPeerUser>()->access_hash});
}

absl::StatusOr<tl::InputChannel> PeerCache::InputChannelOf(int64_t channel_id) const {
  absl::StatusOr<tl::InputPeer> p = InputPeerOf(PeerKind::kChannel, channel_id);
  if (!p.ok()) return p.status();
  if (const auto* x = p->As<tl::inputPeerChannelFromMessage>()) {
    return tl::InputChannel(tl::inputChannelFromMessage{
        .peer = x->peer, .msg_id = x->msg_id, .channel_id = channel_id});
  }
  return tl::InputChannel(tl::inputChannel{
      .channel_id = channel_id, .access_hash = p->As<tl::inputPeerChannel>()->access_hash});
}

}  // namespace mtcore::client
