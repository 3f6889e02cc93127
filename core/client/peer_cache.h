// Who the client has seen, with the access hashes Telegram requires to name
// them again (https://core.telegram.org/api/peers).
//
// Every User and Chat object that reaches the client (updates, differences,
// the results of login, resolveUsername, getHistory, getDialogs...) carries
// the peer's access_hash. A later request that names the peer must give that
// hash back (inputPeerUser, inputPeerChannel, inputUser, inputChannel); basic
// groups need none (inputPeerChat). The cache keeps the latest hash of each
// user and channel, and builds the Input* objects from a Peer or an id.
//
// `min` constructors (https://core.telegram.org/api/min) carry a hash that
// cannot be used to name the peer; they are remembered only until a full one
// arrives, and never replace it. A peer known only as min can still be
// named through a message it sent (inputPeerUserFromMessage and friends)
// once RememberMessage() has told the cache where it was seen.
//
// Memory: at most `max_peers` entries; past that the one first seen longest
// ago is forgotten.
//
// Example:
//   PeerCache peers;
//   peers.Remember(auth->user);
//   MTCORE_ASSIGN_OR_RETURN(tl::InputPeer to, peers.InputPeerOf(message->peer_id));
#ifndef MTCORE_CORE_CLIENT_PEER_CACHE_H_
#define MTCORE_CORE_CLIENT_PEER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "tl/api.h"

namespace mtcore::client {

enum class PeerKind { kUser, kChat, kChannel };

struct PeerStats {
  uint64_t remembered = 0;  // User/Chat objects that added or changed an entry
  uint64_t evicted = 0;     // entries forgotten at the cap
};

class PeerCache {
 public:
  explicit PeerCache(size_t max_peers = 100000) : max_peers_(max_peers == 0 ? 1 : max_peers) {}

  // The logged-in user: named as inputPeerSelf / inputUserSelf.
  void SetSelf(int64_t user_id) { self_ = user_id; }
  int64_t self() const { return self_; }
  // Forgets everything (another account: hashes are per account).
  void Clear();

  // Remembers a user / a chat or channel (empty handles and userEmpty /
  // chatEmpty are ignored).
  void Remember(const tl::User& user);
  void Remember(const tl::Chat& chat);
  void Remember(const std::vector<tl::User>& users, const std::vector<tl::Chat>& chats);
  // `from` (a user or channel) sent message `msg_id` in `chat`: the last
  // such place is kept for peers known only as min.
  void RememberMessage(const tl::Peer& from, const tl::Peer& chat, int32_t msg_id);

  // True if the peer can be named: a user or channel with a full (non-min)
  // access hash or a message it sent in a chat that can be named, a basic
  // group seen at all, or the logged-in user.
  bool Knows(PeerKind kind, int64_t id) const;
  bool Knows(const tl::Peer& peer) const;
  // The access hash of a user or channel (nullopt if unknown or min only).
  std::optional<int64_t> AccessHash(PeerKind kind, int64_t id) const;

  // NotFound (naming the peer) if it cannot be named; InvalidArgument for an
  // empty Peer.
  absl::StatusOr<tl::InputPeer> InputPeerOf(const tl::Peer& peer) const;
  absl::StatusOr<tl::InputPeer> InputPeerOf(PeerKind kind, int64_t id) const;
  absl::StatusOr<tl::InputUser> InputUserOf(int64_t user_id) const;
  absl::StatusOr<tl::InputChannel> InputChannelOf(int64_t channel_id) const;

  size_t size() const { return entries_.size(); }
  const PeerStats& stats() const { return stats_; }

 private:
  struct Entry {
    int64_t access_hash = 0;
    bool min = false;  // only a min hash is known
    // Where a min peer was last seen sending (chat_id 0: nowhere yet).
    PeerKind chat_kind = PeerKind::kUser;
    int64_t chat_id = 0;
    int32_t msg_id = 0;
  };
  using Key = std::pair<PeerKind, int64_t>;

  void Put(PeerKind kind, int64_t id, std::optional<int64_t> access_hash, bool min);
  // The chat a min peer was seen in, if it can be named itself.
  std::optional<tl::InputPeer> SeenIn(const Entry& e, int depth) const;
  absl::StatusOr<tl::InputPeer> InputPeerOf(PeerKind kind, int64_t id, int depth) const;

  size_t max_peers_;
  int64_t self_ = 0;
  absl::flat_hash_map<Key, Entry> entries_;
  std::deque<Key> order_;  // first seen, oldest first
  PeerStats stats_;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_PEER_CACHE_H_
