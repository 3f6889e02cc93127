// The update-gap engine: what Telegram pushes (and what requests return as
// `Updates`) in, an ordered, gap-free, duplicate-free stream of typed updates
// out (https://core.telegram.org/api/updates).
//
// Telegram numbers updates in four sequences ("boxes"):
//   - the common pts box (private chats and basic groups: new, edited,
//     deleted and read messages...), each update carrying `pts` and
//     `pts_count`;
//   - one pts box per channel (supergroups and channels);
//   - the qts box (secret chats and bot-only updates), each update
//     advancing qts by 1;
//   - seq, on the `updates` / `updatesCombined` containers.
// An update whose sequence number follows the local one is applied (emitted)
// and advances it; one that is already covered is a duplicate and dropped;
// one that leaves a hole is buffered. If the hole is not filled within
// `gap_timeout` the engine asks for updates.getDifference (common boxes) or
// updates.getChannelDifference (a channel), applies the answer, adopts the
// state it gives and drops what it covered from the buffers.
//
// Like the rest of core/ the engine never reads a clock and does no I/O:
// requests go out as events (ready-built TL functions) and their answers come
// back through SetState / OnDifference / OnChannelDifference (or the *Failed
// calls when a request errored). The driver arms one timer at NextDeadline()
// and calls OnTimeout(now) when it expires.
//
// Flow control: one getState/getDifference in flight, one
// getChannelDifference per channel. While a getState or getDifference is
// in flight (or waiting to be retried) incoming `Updates` are held in
// arrival order and re-checked after it (most then turn out to be
// duplicates); while a channel's difference is in flight that channel's
// updates are held likewise.
//
// Memory: everything buffered (gapped updates, held updates) is counted in
// updates, a container counting as its inner updates (at least 1). The
// common boxes hold at most `max_buffered_updates`, all channels together at
// most `max_buffered_channel_updates`. Reaching a cap drops the buffers of
// that scope (a channel's; then, if still at the cap, every channel's), emits
// kBufferOverflow and fetches the difference instead, which recovers what was
// dropped. At most `max_channels` channels are tracked; a new one evicts a
// channel with nothing buffered or in flight (its pts is adopted again from
// its next update), and if there is none its update is dropped and counted.
//
// Example:
//   UpdateGapEngine engine(UpdateGapConfig{}, now);
//   while (auto e = engine.PollEvent()) {
//     switch (e->kind) {
//       case UpdateEvent::Kind::kGetState: send(e->get_state); break;  // -> SetState
//       case UpdateEvent::Kind::kUpdate: deliver(e->update, *e->entities); break;
//       ...
//     }
//   }
//   engine.OnUpdates(pushed, now);  // every pushed Updates and RPC result of type Updates
#ifndef MTCORE_CORE_UPDATES_UPDATE_GAP_ENGINE_H_
#define MTCORE_CORE_UPDATES_UPDATE_GAP_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tl/api.h"

namespace mtcore::updates {

// Which sequence an update belongs to.
enum class UpdateBox {
  kNone,            // no sequence: delivered as it comes
  kCommonPts,       // pts + pts_count
  kChannelPts,      // a channel's pts + pts_count (updateReadChannelInbox: count 0)
  kQts,             // qts, count 1
  kChannelTooLong,  // updateChannelTooLong: fetch the channel's difference
};

// The box of a Update constructor id (kNone for unknown ids).
UpdateBox BoxOfConstructor(uint32_t constructor_id);

struct UpdateSequence {
  UpdateBox box = UpdateBox::kNone;
  int64_t channel_id = 0;  // kChannelPts, kChannelTooLong
  int32_t pts = 0;         // pts or qts; kChannelTooLong: its optional pts (0 if absent)
  int32_t pts_count = 0;   // kQts: 1
};

// Classifies one update. InvalidArgument for an empty handle, or a channel
// update whose channel cannot be told (a message without peerChannel).
absl::StatusOr<UpdateSequence> ClassifyUpdate(const tl::Update& update);

// Users and chats that came with the updates (one container or difference);
// shared by every update emitted from it.
struct UpdateEntities {
  std::vector<tl::User> users;
  std::vector<tl::Chat> chats;
};

struct UpdateEvent {
  enum class Kind {
    kUpdate,                // update (+ entities, never null): deliver it.
                            // Messages from a difference's new_messages come
                            // as updateNewMessage / updateNewChannelMessage
                            // with pts = pts_count = 0; encrypted ones as
                            // updateNewEncryptedMessage with qts 0.
    kGetState,              // get_state: send it, answer with SetState
    kGetDifference,         // get_difference: send it, answer with OnDifference
    kGetChannelDifference,  // channel_id, get_channel_difference: send it,
                            // answer with OnChannelDifference
    kTooLong,               // channel_id (0: the common boxes): a
                            // differenceTooLong; updates were skipped, the
                            // app must refetch its dialogs / that channel
    kBufferOverflow,        // channel_id (0: common), status: a buffer cap was
                            // reached; the buffers were dropped and the
                            // difference is fetched instead
  };
  Kind kind = Kind::kUpdate;
  tl::Update update;
  std::shared_ptr<const UpdateEntities> entities;
  int64_t channel_id = 0;
  tl::updates_getState get_state;
  tl::updates_getDifference get_difference;
  tl::updates_getChannelDifference get_channel_difference;
  absl::Status status;
};

struct UpdateGapConfig {
  // A hole not filled within this time makes the engine fetch the difference.
  absl::Duration gap_timeout = absl::Milliseconds(500);
  // Nothing received for this long: fetch the difference anyway (Telegram's
  // advice: the server may have stopped pushing to this session).
  absl::Duration idle_timeout = absl::Minutes(15);
  // After a failed getState / getDifference / getChannelDifference.
  absl::Duration retry_delay = absl::Seconds(1);
  // Buffer caps, in updates (see the file comment).
  size_t max_buffered_updates = 10000;
  size_t max_buffered_channel_updates = 10000;
  size_t max_channels = 100000;
  // The `limit` of getChannelDifference.
  int32_t channel_difference_limit = 100;
  // The logged-in user, used as from_id of outgoing updateShortMessage
  // (0: unknown, from_id left empty for outgoing short messages).
  int64_t self_user_id = 0;
};

struct UpdateGapStats {
  uint64_t updates_emitted = 0;
  uint64_t duplicates_dropped = 0;  // pts/qts/seq already covered
  uint64_t gaps_seen = 0;           // updates (or containers) buffered for a hole
  uint64_t differences_requested = 0;
  uint64_t differences_fetched = 0;  // getDifference answers applied (slices count)
  uint64_t channel_differences_requested = 0;
  uint64_t channel_differences_fetched = 0;
  uint64_t too_long = 0;
  uint64_t overflows = 0;
  uint64_t malformed_dropped = 0;  // updates that could not be classified
  uint64_t untracked_dropped = 0;  // channel updates beyond max_channels
};

class UpdateGapEngine {
 public:
  // The first PollEvent() asks for updates.getState unless SetState() came
  // first (a state restored from storage; then call RequestDifference to
  // catch up).
  UpdateGapEngine(UpdateGapConfig config, absl::Time now);

  // The common state: from updates.getState (answering kGetState) or from
  // storage. Adopts pts/qts/date/seq, drops what it covers from the buffers
  // and re-checks the updates held while there was no state.
  // InvalidArgument for an empty handle.
  absl::Status SetState(const tl::updates_State& state, absl::Time now);

  // A known channel pts (e.g. from a dialog) and access hash. Channels not
  // set adopt the pts of their first update (pts - pts_count).
  void SetChannelState(int64_t channel_id, int32_t pts, int64_t access_hash);

  // Everything of type Updates: pushes and RPC results. Errors
  // (InvalidArgument: an empty handle, a channel update without its
  // channel) describe the first bad part; the rest is still processed.
  absl::Status OnUpdates(tl::Updates updates, absl::Time now);

  // Asks for getDifference now (after a reconnect, a new session, a state
  // restored from storage). Nothing happens if one is in flight already.
  void RequestDifference(absl::Time now);

  // The answer to kGetDifference. FailedPrecondition if none is in flight
  // (the answer is ignored); InvalidArgument for an empty handle (treated as
  // a failed request).
  absl::Status OnDifference(const tl::updates_Difference& difference, absl::Time now);
  // The getState or getDifference in flight failed: it is asked again after
  // retry_delay, or after `retry_after` if longer (FLOOD_WAIT, a backoff);
  // held updates stay held.
  void OnDifferenceFailed(absl::Time now, absl::Duration retry_after = absl::ZeroDuration());

  // The answer to kGetChannelDifference for `channel_id`; errors as
  // OnDifference.
  absl::Status OnChannelDifference(int64_t channel_id,
                                   const tl::updates_ChannelDifference& difference,
                                   absl::Time now);
  void OnChannelDifferenceFailed(int64_t channel_id, absl::Time now,
                                 absl::Duration retry_after = absl::ZeroDuration());
  // Stops tracking a channel (the account can no longer read it:
  // CHANNEL_PRIVATE, CHANNEL_INVALID...): its state, buffers and any fetch
  // are dropped; a later update of it starts it afresh.
  void ForgetChannel(int64_t channel_id);

  // The pts a result that is not `Updates` reports for the common box
  // (messages.affectedMessages, affectedHistory, affectedFoundMessages):
  // applied like an update of that box that delivers nothing, so the next
  // pushed update is not mistaken for a gap. Errors as OnUpdates.
  absl::Status OnPtsAdvanced(int32_t pts, int32_t pts_count, absl::Time now);
  // The same for a channel's box (channels.deleteMessages and friends). A
  // channel whose difference is in flight ignores it: the difference covers
  // it. InvalidArgument for a negative count or channel 0.
  absl::Status OnChannelPtsAdvanced(int64_t channel_id, int32_t pts, int32_t pts_count,
                                    absl::Time now);

  // The next event, if any.
  std::optional<UpdateEvent> PollEvent();

  // When OnTimeout must be called next (InfiniteFuture: never).
  absl::Time NextDeadline() const;
  // Fires every timer due at `now`: gaps not filled, retries, idle.
  void OnTimeout(absl::Time now);

  // The local state (0 before SetState).
  int32_t pts() const { return pts_.local; }
  int32_t qts() const { return qts_.local; }
  int32_t date() const { return date_; }
  int32_t seq() const { return seq_; }
  bool has_state() const { return has_state_; }
  // A channel's pts, or nullopt if unknown.
  std::optional<int32_t> channel_pts(int64_t channel_id) const;
  // Every channel with a known pts, by id (to save with the state and give
  // back with SetChannelState).
  struct ChannelState {
    int64_t channel_id = 0;
    int32_t pts = 0;
    int64_t access_hash = 0;
  };
  std::vector<ChannelState> channel_states() const;

  // Updates buffered now (common boxes, all channels).
  size_t buffered_updates() const { return common_buffered_; }
  size_t buffered_channel_updates() const { return channel_buffered_; }
  const UpdateGapStats& stats() const { return stats_; }
  const UpdateGapConfig& config() const { return config_; }
  // The logged-in user, once known (a login restored from storage learns it
  // later): from_id of outgoing short messages from then on.
  void SetSelfUserId(int64_t id) { config_.self_user_id = id; }

 private:
  using Entities = std::shared_ptr<const UpdateEntities>;
  // An update waiting for a hole before it; `update` is empty for pts
  // bookkeeping only (updateShortSentMessage).
  struct Pending {
    int32_t pts = 0;
    int32_t count = 0;
    tl::Update update;
    Entities entities;
  };
  struct Box {
    int32_t local = 0;
    std::multimap<int64_t, Pending> pending;  // by pts - count
  };
  // A seq container waiting for its turn.
  struct PendingContainer {
    int32_t seq = 0;
    int32_t date = 0;
    std::vector<tl::Update> updates;
    Entities entities;
    size_t weight = 1;
  };
  struct HeldUpdate {
    tl::Update update;
    Entities entities;
  };
  enum class Fetch { kIdle, kInFlight, kRetryWait };
  struct Channel {
    bool known = false;
    Box box;
    int64_t access_hash = 0;
    Fetch fetch = Fetch::kIdle;
    bool fetch_again = false;
    absl::Time gap_deadline = absl::InfiniteFuture();
    absl::Time retry_at = absl::InfiniteFuture();
    std::deque<HeldUpdate> held;
  };
  enum class Check { kApplied, kDuplicate, kGap };

  absl::Status Dispatch(tl::Updates updates, absl::Time now);
  absl::Status ProcessContainer(std::vector<tl::Update> updates, std::vector<tl::User> users,
                                std::vector<tl::Chat> chats, int32_t date, int32_t seq_start,
                                int32_t seq, absl::Time now);
  absl::Status ApplyContainer(std::vector<tl::Update>& updates, const Entities& entities,
                              absl::Time now);
  absl::Status ProcessUpdate(tl::Update update, const Entities& entities, absl::Time now);
  static Check CheckBox(const Box& box, const Pending& p);
  void Apply(Box& box, Pending& p);
  void Drain(Box& box, size_t& buffered);
  void ProcessCommon(Box& box, Pending p, absl::Time now);
  void DrainSeq(absl::Time now);
  void DrainCommon(absl::Time now);
  void RearmCommonGap(absl::Time now);
  void Hold(tl::Updates updates, absl::Time now);
  void CommonOverflow(absl::Time now);
  void SendGetDifference();
  absl::Status AdoptState(const tl::updates_State& state);
  void EmitDifferenceUpdates(std::vector<tl::Message>& messages,
                             std::vector<tl::EncryptedMessage>& encrypted,
                             std::vector<tl::Update>& others, const Entities& entities,
                             absl::Time now);
  void AfterFetch(absl::Time now);
  Channel* FindOrAddChannel(int64_t channel_id);
  void ProcessChannel(int64_t channel_id, Pending p, absl::Time now);
  void RearmChannelGap(int64_t channel_id, Channel& c, absl::Time now);
  void Retime(int64_t channel_id, const Channel& c);
  void ChannelTooLong(int64_t channel_id, int32_t pts, absl::Time now);
  void ChannelOverflow(int64_t channel_id, absl::Time now);
  void RequestChannelDifference(int64_t channel_id, Channel& c);
  void Emit(tl::Update update, const Entities& entities);
  void EmitMessages(std::vector<tl::Message>& messages, const Entities& entities);
  void RememberChats(const std::vector<tl::Chat>& chats);
  Entities MakeEntities(std::vector<tl::User> users, std::vector<tl::Chat> chats);

  UpdateGapConfig config_;
  bool has_state_ = false;
  Fetch fetch_ = Fetch::kIdle;  // getState / getDifference
  bool fetch_again_ = false;    // held updates were dropped while in flight
  absl::Time retry_at_ = absl::InfiniteFuture();
  absl::Time common_gap_deadline_ = absl::InfiniteFuture();
  absl::Time last_activity_;

  Box pts_;
  Box qts_;
  int32_t date_ = 0;
  int32_t seq_ = 0;
  std::map<int32_t, PendingContainer> seq_pending_;  // by seq_start
  std::deque<tl::Updates> held_;
  size_t common_buffered_ = 0;

  // node_hash_map: references to a Channel stay valid while others are added.
  absl::node_hash_map<int64_t, Channel> channels_;
  // The channels with a gap or retry timer armed (NextDeadline and OnTimeout
  // look at these only, not at every channel).
  std::set<int64_t> timed_channels_;
  size_t channel_buffered_ = 0;

  std::deque<UpdateEvent> events_;
  Entities no_entities_;
  UpdateGapStats stats_;
};

}  // namespace mtcore::updates

#endif  // MTCORE_CORE_UPDATES_UPDATE_GAP_ENGINE_H_
