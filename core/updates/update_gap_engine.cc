#include "core/updates/update_gap_engine.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace mtcore::updates {
namespace {

using Read = absl::StatusOr<UpdateSequence> (*)(const tl::Update&);

absl::Status BadCount(const tl::Update& u, int32_t count) {
  return absl::InvalidArgumentError(
      absl::StrCat(u.name(), ": negative pts_count ", count, ", update dropped"));
}

template <class T>
absl::StatusOr<UpdateSequence> CommonPts(const tl::Update& u) {
  const T& x = *u.As<T>();
  if (x.pts_count < 0) return BadCount(u, x.pts_count);
  return UpdateSequence{UpdateBox::kCommonPts, 0, x.pts, x.pts_count};
}

template <class T>
absl::StatusOr<UpdateSequence> Qts(const tl::Update& u) {
  return UpdateSequence{UpdateBox::kQts, 0, u.As<T>()->qts, 1};
}

template <class T>
absl::StatusOr<UpdateSequence> ChannelPts(const tl::Update& u) {
  const T& x = *u.As<T>();
  if (x.pts_count < 0) return BadCount(u, x.pts_count);
  return UpdateSequence{UpdateBox::kChannelPts, x.channel_id, x.pts, x.pts_count};
}

const tl::Peer* PeerOf(const tl::Message& m) {
  if (const auto* x = m.As<tl::message>()) return &x->peer_id;
  if (const auto* x = m.As<tl::messageService>()) return &x->peer_id;
  if (const auto* x = m.As<tl::messageEmpty>()) return &x->peer_id;
  return nullptr;
}

int64_t ChannelOf(const tl::Message& m) {
  const tl::Peer* peer = PeerOf(m);
  if (peer == nullptr) return 0;
  const auto* c = peer->As<tl::peerChannel>();
  return c != nullptr ? c->channel_id : 0;
}

template <class T>
absl::StatusOr<UpdateSequence> ChannelMessage(const tl::Update& u) {
  const T& x = *u.As<T>();
  if (x.pts_count < 0) return BadCount(u, x.pts_count);
  int64_t channel_id = ChannelOf(x.message);
  if (channel_id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(u.name(), ": the message has no peerChannel peer_id, update dropped"));
  }
  return UpdateSequence{UpdateBox::kChannelPts, channel_id, x.pts, x.pts_count};
}

absl::StatusOr<UpdateSequence> ReadChannelInbox(const tl::Update& u) {
  const auto& x = *u.As<tl::updateReadChannelInbox>();
  return UpdateSequence{UpdateBox::kChannelPts, x.channel_id, x.pts, 0};
}

absl::StatusOr<UpdateSequence> ChannelTooLongSeq(const tl::Update& u) {
  const auto& x = *u.As<tl::updateChannelTooLong>();
  return UpdateSequence{UpdateBox::kChannelTooLong, x.channel_id, x.pts.value_or(0), 0};
}

struct Rule {
  UpdateBox box;
  Read read;
};

template <class T>
std::pair<uint32_t, Rule> R(UpdateBox box, Read read) {
  return {T::kId, Rule{box, read}};
}

// Every Update constructor with a sequence number. schema_completeness_test
// checks that no constructor of the selected layer with pts_count or qts is
// missing.
const absl::flat_hash_map<uint32_t, Rule>& Rules() {
  using B = UpdateBox;
  static const auto* rules = new absl::flat_hash_map<uint32_t, Rule>{
      // Common pts box.
      R<tl::updateNewMessage>(B::kCommonPts, CommonPts<tl::updateNewMessage>),
      R<tl::updateDeleteMessages>(B::kCommonPts, CommonPts<tl::updateDeleteMessages>),
      R<tl::updateReadHistoryInbox>(B::kCommonPts, CommonPts<tl::updateReadHistoryInbox>),
      R<tl::updateReadHistoryOutbox>(B::kCommonPts, CommonPts<tl::updateReadHistoryOutbox>),
      R<tl::updateWebPage>(B::kCommonPts, CommonPts<tl::updateWebPage>),
      R<tl::updateReadMessagesContents>(B::kCommonPts,
                                        CommonPts<tl::updateReadMessagesContents>),
      R<tl::updateEditMessage>(B::kCommonPts, CommonPts<tl::updateEditMessage>),
      R<tl::updateFolderPeers>(B::kCommonPts, CommonPts<tl::updateFolderPeers>),
      R<tl::updatePinnedMessages>(B::kCommonPts, CommonPts<tl::updatePinnedMessages>),
      // Channel pts boxes.
      R<tl::updateNewChannelMessage>(B::kChannelPts, ChannelMessage<tl::updateNewChannelMessage>),
      R<tl::updateEditChannelMessage>(B::kChannelPts,
                                      ChannelMessage<tl::updateEditChannelMessage>),
      R<tl::updateDeleteChannelMessages>(B::kChannelPts,
                                         ChannelPts<tl::updateDeleteChannelMessages>),
      R<tl::updateChannelWebPage>(B::kChannelPts, ChannelPts<tl::updateChannelWebPage>),
      R<tl::updatePinnedChannelMessages>(B::kChannelPts,
                                         ChannelPts<tl::updatePinnedChannelMessages>),
      R<tl::updateReadChannelInbox>(B::kChannelPts, ReadChannelInbox),
      R<tl::updateChannelTooLong>(B::kChannelTooLong, ChannelTooLongSeq),
      // qts box.
      R<tl::updateNewEncryptedMessage>(B::kQts, Qts<tl::updateNewEncryptedMessage>),
      R<tl::updateMessagePollVote>(B::kQts, Qts<tl::updateMessagePollVote>),
      R<tl::updateChatParticipant>(B::kQts, Qts<tl::updateChatParticipant>),
      R<tl::updateChannelParticipant>(B::kQts, Qts<tl::updateChannelParticipant>),
      R<tl::updateBotStopped>(B::kQts, Qts<tl::updateBotStopped>),
      R<tl::updateBotChatInviteRequester>(B::kQts, Qts<tl::updateBotChatInviteRequester>),
      R<tl::updateBotChatBoost>(B::kQts, Qts<tl::updateBotChatBoost>),
      R<tl::updateBotMessageReaction>(B::kQts, Qts<tl::updateBotMessageReaction>),
      R<tl::updateBotMessageReactions>(B::kQts, Qts<tl::updateBotMessageReactions>),
      R<tl::updateBotBusinessConnect>(B::kQts, Qts<tl::updateBotBusinessConnect>),
      R<tl::updateBotNewBusinessMessage>(B::kQts, Qts<tl::updateBotNewBusinessMessage>),
      R<tl::updateBotEditBusinessMessage>(B::kQts, Qts<tl::updateBotEditBusinessMessage>),
      R<tl::updateBotDeleteBusinessMessage>(B::kQts, Qts<tl::updateBotDeleteBusinessMessage>),
      R<tl::updateBotPurchasedPaidMedia>(B::kQts, Qts<tl::updateBotPurchasedPaidMedia>),
      R<tl::updateManagedBot>(B::kQts, Qts<tl::updateManagedBot>),
      R<tl::updateBotGuestChatQuery>(B::kQts, Qts<tl::updateBotGuestChatQuery>),
      R<tl::updateBotStarsSubscription>(B::kQts, Qts<tl::updateBotStarsSubscription>),
  };
  return *rules;
}

// How many updates a buffered Updates object counts as.
size_t Weight(const tl::Updates& u) {
  if (const auto* x = u.As<tl::updates>()) return std::max<size_t>(1, x->updates.size());
  if (const auto* x = u.As<tl::updatesCombined>()) return std::max<size_t>(1, x->updates.size());
  return 1;
}

int32_t ClampPts(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

// The message fields updateShortMessage and updateShortChatMessage share
// (moved out of `x`); the caller sets peer_id and from_id.
template <class Short>
tl::message MessageFromShort(Short& x) {
  tl::message m;
  m.out = x.out;
  m.mentioned = x.mentioned;
  m.media_unread = x.media_unread;
  m.silent = x.silent;
  m.id = x.id;
  m.date = x.date;
  m.message = std::move(x.message);
  m.fwd_from = std::move(x.fwd_from);
  m.via_bot_id = x.via_bot_id;
  m.reply_to = std::move(x.reply_to);
  m.entities = std::move(x.entities);
  m.ttl_period = x.ttl_period;
  return m;
}

}  // namespace

UpdateBox BoxOfConstructor(uint32_t constructor_id) {
  auto it = Rules().find(constructor_id);
  return it == Rules().end() ? UpdateBox::kNone : it->second.box;
}

absl::StatusOr<UpdateSequence> ClassifyUpdate(const tl::Update& update) {
  if (!update) return absl::InvalidArgumentError("empty Update");
  auto it = Rules().find(update.id());
  if (it == Rules().end()) return UpdateSequence{};
  return it->second.read(update);
}

UpdateGapEngine::UpdateGapEngine(UpdateGapConfig config, absl::Time now)
    : config_(config), last_activity_(now), no_entities_(std::make_shared<UpdateEntities>()) {}

// ---------------------------------------------------------------- state

absl::Status UpdateGapEngine::SetState(const tl::updates_State& state, absl::Time now) {
  const auto* s = state.As<tl::updates_state>();
  if (s == nullptr) return absl::InvalidArgumentError("SetState: empty updates.State");
  pts_.local = s->pts;
  qts_.local = s->qts;
  date_ = s->date;
  seq_ = s->seq;
  last_activity_ = now;
  bool initial = !has_state_;
  has_state_ = true;
  if (initial) {
    fetch_ = Fetch::kIdle;
    retry_at_ = absl::InfiniteFuture();
    AfterFetch(now);
  } else {
    DrainCommon(now);
    RearmCommonGap(now);
  }
  return absl::OkStatus();
}

void UpdateGapEngine::SetChannelState(int64_t channel_id, int32_t pts, int64_t access_hash) {
  Channel* c = FindOrAddChannel(channel_id);
  if (c == nullptr) return;
  c->known = true;
  c->box.local = pts;
  c->access_hash = access_hash;
  Drain(c->box, channel_buffered_);
  if (c->box.pending.empty()) {
    c->gap_deadline = absl::InfiniteFuture();
    Retime(channel_id, *c);
  }
}

std::optional<int32_t> UpdateGapEngine::channel_pts(int64_t channel_id) const {
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || !it->second.known) return std::nullopt;
  return it->second.box.local;
}

std::vector<UpdateGapEngine::ChannelState> UpdateGapEngine::channel_states() const {
  std::vector<ChannelState> out;
  for (const auto& [id, c] : channels_) {
    if (c.known) out.push_back({id, c.box.local, c.access_hash});
  }
  std::sort(out.begin(), out.end(), [](const ChannelState& a, const ChannelState& b) {
    return a.channel_id < b.channel_id;
  });
  return out;
}

// ---------------------------------------------------------------- input

absl::Status UpdateGapEngine::OnUpdates(tl::Updates updates, absl::Time now) {
  if (!updates) return absl::InvalidArgumentError("OnUpdates: empty Updates");
  last_activity_ = now;
  absl::Status status;
  if (!has_state_ || fetch_ != Fetch::kIdle) {
    Hold(std::move(updates), now);
  } else {
    status = Dispatch(std::move(updates), now);
  }
  RearmCommonGap(now);
  return status;
}

absl::Status UpdateGapEngine::Dispatch(tl::Updates updates, absl::Time now) {
  switch (updates.id()) {
    case tl::updatesTooLong::kId:
      RequestDifference(now);
      return absl::OkStatus();
    case tl::updateShort::kId:
      return ProcessUpdate(std::move(updates.As<tl::updateShort>()->update), no_entities_, now);
    case tl::updateShortMessage::kId: {
      auto& x = *updates.As<tl::updateShortMessage>();
      tl::message m = MessageFromShort(x);
      m.peer_id = tl::peerUser{.user_id = x.user_id};
      if (!x.out) {
        m.from_id = tl::peerUser{.user_id = x.user_id};
      } else if (config_.self_user_id != 0) {
        m.from_id = tl::peerUser{.user_id = config_.self_user_id};
      }
      return ProcessUpdate(
          tl::updateNewMessage{.message = std::move(m), .pts = x.pts, .pts_count = x.pts_count},
          no_entities_, now);
    }
    case tl::updateShortChatMessage::kId: {
      auto& x = *updates.As<tl::updateShortChatMessage>();
      tl::message m = MessageFromShort(x);
      m.from_id = tl::peerUser{.user_id = x.from_id};
      m.peer_id = tl::peerChat{.chat_id = x.chat_id};
      return ProcessUpdate(
          tl::updateNewMessage{.message = std::move(m), .pts = x.pts, .pts_count = x.pts_count},
          no_entities_, now);
    }
    case tl::updateShortSentMessage::kId: {
      const auto& x = *updates.As<tl::updateShortSentMessage>();
      if (x.pts_count < 0) {
        ++stats_.malformed_dropped;
        return absl::InvalidArgumentError(
            absl::StrCat("updateShortSentMessage: negative pts_count ", x.pts_count));
      }
      ProcessCommon(pts_, Pending{x.pts, x.pts_count, nullptr, nullptr}, now);
      return absl::OkStatus();
    }
    case tl::updates::kId: {
      auto& x = *updates.As<tl::updates>();
      return ProcessContainer(std::move(x.updates), std::move(x.users), std::move(x.chats), x.date,
                              x.seq, x.seq, now);
    }
    case tl::updatesCombined::kId: {
      auto& x = *updates.As<tl::updatesCombined>();
      return ProcessContainer(std::move(x.updates), std::move(x.users), std::move(x.chats), x.date,
                              x.seq_start, x.seq, now);
    }
    default:
      ++stats_.malformed_dropped;
      return absl::InvalidArgumentError(absl::StrCat("OnUpdates: unexpected ", updates.name()));
  }
}

absl::Status UpdateGapEngine::ProcessContainer(std::vector<tl::Update> updates,
                                               std::vector<tl::User> users,
                                               std::vector<tl::Chat> chats, int32_t date,
                                               int32_t seq_start, int32_t seq, absl::Time now) {
  if (seq != 0 && seq_start > seq) {
    ++stats_.malformed_dropped;
    return absl::InvalidArgumentError(
        absl::StrCat("updatesCombined: seq_start ", seq_start, " after seq ", seq, ", dropped"));
  }
  Entities entities = MakeEntities(std::move(users), std::move(chats));
  if (seq == 0) return ApplyContainer(updates, entities, now);
  if (int64_t{seq_start} == int64_t{seq_} + 1) {
    absl::Status status = ApplyContainer(updates, entities, now);
    seq_ = seq;
    date_ = std::max(date_, date);
    DrainSeq(now);
    return status;
  }
  if (seq_start <= seq_) {
    ++stats_.duplicates_dropped;
    return absl::OkStatus();
  }
  size_t weight = std::max<size_t>(1, updates.size());
  if (common_buffered_ + weight > config_.max_buffered_updates) {
    CommonOverflow(now);
    return absl::OkStatus();
  }
  auto [it, inserted] = seq_pending_.try_emplace(
      seq_start, PendingContainer{seq, date, std::move(updates), std::move(entities), weight});
  if (inserted) {
    ++stats_.gaps_seen;
    common_buffered_ += weight;
  } else {
    ++stats_.duplicates_dropped;
  }
  return absl::OkStatus();
}

absl::Status UpdateGapEngine::ApplyContainer(std::vector<tl::Update>& updates,
                                             const Entities& entities, absl::Time now) {
  absl::Status first;
  for (tl::Update& u : updates) {
    absl::Status s = ProcessUpdate(std::move(u), entities, now);
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status UpdateGapEngine::ProcessUpdate(tl::Update update, const Entities& entities,
                                            absl::Time now) {
  absl::StatusOr<UpdateSequence> seq = ClassifyUpdate(update);
  if (!seq.ok()) {
    ++stats_.malformed_dropped;
    return seq.status();
  }
  switch (seq->box) {
    case UpdateBox::kNone:
      Emit(std::move(update), entities);
      break;
    case UpdateBox::kCommonPts:
      ProcessCommon(pts_, Pending{seq->pts, seq->pts_count, std::move(update), entities}, now);
      break;
    case UpdateBox::kQts:
      ProcessCommon(qts_, Pending{seq->pts, seq->pts_count, std::move(update), entities}, now);
      break;
    case UpdateBox::kChannelPts:
      ProcessChannel(seq->channel_id,
                     Pending{seq->pts, seq->pts_count, std::move(update), entities}, now);
      break;
    case UpdateBox::kChannelTooLong:
      ChannelTooLong(seq->channel_id, seq->pts, now);
      break;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- boxes

UpdateGapEngine::Check UpdateGapEngine::CheckBox(const Box& box, const Pending& p) {
  int64_t start = int64_t{p.pts} - p.count;
  if (start == box.local) return Check::kApplied;
  if (start < box.local) return Check::kDuplicate;
  return Check::kGap;
}

void UpdateGapEngine::Apply(Box& box, Pending& p) {
  if (p.update) Emit(std::move(p.update), p.entities ? p.entities : no_entities_);
  box.local = std::max(box.local, p.pts);
}

void UpdateGapEngine::Drain(Box& box, size_t& buffered) {
  while (!box.pending.empty() && box.pending.begin()->first <= box.local) {
    auto node = box.pending.extract(box.pending.begin());
    --buffered;
    if (node.key() == box.local) {
      Apply(box, node.mapped());
    } else {
      ++stats_.duplicates_dropped;
    }
  }
}

void UpdateGapEngine::ProcessCommon(Box& box, Pending p, absl::Time now) {
  switch (CheckBox(box, p)) {
    case Check::kApplied:
      Apply(box, p);
      Drain(box, common_buffered_);
      break;
    case Check::kDuplicate:
      ++stats_.duplicates_dropped;
      break;
    case Check::kGap:
      if (common_buffered_ + 1 > config_.max_buffered_updates) {
        CommonOverflow(now);
        break;
      }
      ++stats_.gaps_seen;
      ++common_buffered_;
      box.pending.emplace(int64_t{p.pts} - p.count, std::move(p));
      break;
  }
}

void UpdateGapEngine::DrainSeq(absl::Time now) {
  while (!seq_pending_.empty() && int64_t{seq_pending_.begin()->first} <= int64_t{seq_} + 1) {
    auto node = seq_pending_.extract(seq_pending_.begin());
    common_buffered_ -= std::min(common_buffered_, node.mapped().weight);
    if (node.key() == int64_t{seq_} + 1) {
      PendingContainer& c = node.mapped();
      (void)ApplyContainer(c.updates, c.entities, now);
      seq_ = c.seq;
      date_ = std::max(date_, c.date);
    } else {
      ++stats_.duplicates_dropped;
    }
  }
}

void UpdateGapEngine::DrainCommon(absl::Time now) {
  Drain(pts_, common_buffered_);
  Drain(qts_, common_buffered_);
  DrainSeq(now);
}

void UpdateGapEngine::RearmCommonGap(absl::Time now) {
  bool pending = !pts_.pending.empty() || !qts_.pending.empty() || !seq_pending_.empty();
  if (!pending || fetch_ != Fetch::kIdle || !has_state_) {
    common_gap_deadline_ = absl::InfiniteFuture();
  } else if (common_gap_deadline_ == absl::InfiniteFuture()) {
    common_gap_deadline_ = now + config_.gap_timeout;
  }
}

void UpdateGapEngine::Hold(tl::Updates updates, absl::Time now) {
  size_t weight = Weight(updates);
  if (common_buffered_ + weight > config_.max_buffered_updates) {
    CommonOverflow(now);
    return;
  }
  common_buffered_ += weight;
  held_.push_back(std::move(updates));
}

void UpdateGapEngine::CommonOverflow(absl::Time now) {
  ++stats_.overflows;
  pts_.pending.clear();
  qts_.pending.clear();
  seq_pending_.clear();
  held_.clear();
  common_buffered_ = 0;
  common_gap_deadline_ = absl::InfiniteFuture();
  UpdateEvent e;
  e.kind = UpdateEvent::Kind::kBufferOverflow;
  e.status = absl::ResourceExhaustedError(
      absl::StrCat("update buffers reached max_buffered_updates (", config_.max_buffered_updates,
                   "): dropped, fetching the difference instead"));
  events_.push_back(std::move(e));
  if (!has_state_ || fetch_ != Fetch::kIdle) {
    fetch_again_ = true;
  } else {
    RequestDifference(now);
  }
}

// ---------------------------------------------------------------- getDifference

void UpdateGapEngine::RequestDifference(absl::Time now) {
  if (!has_state_) {
    // The getState answer is the starting point; nothing to catch up yet.
    return;
  }
  if (fetch_ == Fetch::kInFlight) return;
  fetch_ = Fetch::kInFlight;
  retry_at_ = absl::InfiniteFuture();
  common_gap_deadline_ = absl::InfiniteFuture();
  last_activity_ = now;
  SendGetDifference();
}

void UpdateGapEngine::SendGetDifference() {
  ++stats_.differences_requested;
  UpdateEvent e;
  e.kind = UpdateEvent::Kind::kGetDifference;
  e.get_difference = tl::updates_getDifference{.pts = pts_.local, .date = date_, .qts = qts_.local};
  events_.push_back(std::move(e));
}

absl::Status UpdateGapEngine::AdoptState(const tl::updates_State& state) {
  const auto* s = state.As<tl::updates_state>();
  if (s == nullptr) return absl::InvalidArgumentError("updates.difference without a state");
  pts_.local = s->pts;
  qts_.local = s->qts;
  date_ = s->date;
  seq_ = s->seq;
  return absl::OkStatus();
}

void UpdateGapEngine::EmitDifferenceUpdates(std::vector<tl::Message>& messages,
                                            std::vector<tl::EncryptedMessage>& encrypted,
                                            std::vector<tl::Update>& others,
                                            const Entities& entities, absl::Time now) {
  EmitMessages(messages, entities);
  for (tl::EncryptedMessage& m : encrypted) {
    Emit(tl::updateNewEncryptedMessage{.message = std::move(m)}, entities);
  }
  for (tl::Update& u : others) {
    absl::StatusOr<UpdateSequence> seq = ClassifyUpdate(u);
    if (!seq.ok()) {
      ++stats_.malformed_dropped;
      continue;
    }
    if (seq->box == UpdateBox::kChannelPts || seq->box == UpdateBox::kChannelTooLong) {
      (void)ProcessUpdate(std::move(u), entities, now);
    } else {
      // Covered by the state this difference brings: new by construction.
      Emit(std::move(u), entities);
    }
  }
}

absl::Status UpdateGapEngine::OnDifference(const tl::updates_Difference& difference,
                                           absl::Time now) {
  if (!has_state_ || fetch_ != Fetch::kInFlight) {
    return absl::FailedPreconditionError(
        "OnDifference: no updates.getDifference in flight, answer ignored");
  }
  last_activity_ = now;
  tl::updates_Difference d = difference;
  switch (d.id()) {
    case tl::updates_differenceEmpty::kId: {
      const auto& x = *d.As<tl::updates_differenceEmpty>();
      date_ = x.date;
      seq_ = x.seq;
      ++stats_.differences_fetched;
      AfterFetch(now);
      return absl::OkStatus();
    }
    case tl::updates_difference::kId: {
      auto& x = *d.As<tl::updates_difference>();
      if (!x.state) break;
      ++stats_.differences_fetched;
      Entities e = MakeEntities(std::move(x.users), std::move(x.chats));
      EmitDifferenceUpdates(x.new_messages, x.new_encrypted_messages, x.other_updates, e, now);
      (void)AdoptState(x.state);
      AfterFetch(now);
      return absl::OkStatus();
    }
    case tl::updates_differenceSlice::kId: {
      auto& x = *d.As<tl::updates_differenceSlice>();
      if (!x.intermediate_state) break;
      ++stats_.differences_fetched;
      Entities e = MakeEntities(std::move(x.users), std::move(x.chats));
      EmitDifferenceUpdates(x.new_messages, x.new_encrypted_messages, x.other_updates, e, now);
      (void)AdoptState(x.intermediate_state);
      SendGetDifference();  // still in flight
      return absl::OkStatus();
    }
    case tl::updates_differenceTooLong::kId: {
      pts_.local = d.As<tl::updates_differenceTooLong>()->pts;
      ++stats_.differences_fetched;
      ++stats_.too_long;
      UpdateEvent e;
      e.kind = UpdateEvent::Kind::kTooLong;
      events_.push_back(std::move(e));
      AfterFetch(now);
      return absl::OkStatus();
    }
    default:
      break;
  }
  OnDifferenceFailed(now);
  return absl::InvalidArgumentError(
      absl::StrCat("OnDifference: unusable updates.Difference (", difference.name(),
                   "), asked again after retry_delay"));
}

void UpdateGapEngine::AfterFetch(absl::Time now) {
  fetch_ = Fetch::kIdle;
  DrainCommon(now);
  if (fetch_again_) {
    fetch_again_ = false;
    RequestDifference(now);
    return;
  }
  while (!held_.empty() && fetch_ == Fetch::kIdle) {
    tl::Updates u = std::move(held_.front());
    held_.pop_front();
    common_buffered_ -= std::min(common_buffered_, Weight(u));
    (void)Dispatch(std::move(u), now);
  }
  RearmCommonGap(now);
}

void UpdateGapEngine::OnDifferenceFailed(absl::Time now, absl::Duration retry_after) {
  if (fetch_ != Fetch::kInFlight) return;
  fetch_ = Fetch::kRetryWait;
  retry_at_ = now + std::max(config_.retry_delay, retry_after);
}

absl::Status UpdateGapEngine::OnPtsAdvanced(int32_t pts, int32_t pts_count, absl::Time now) {
  tl::updateShortSentMessage x;
  x.pts = pts;
  x.pts_count = pts_count;
  x.date = date_;
  return OnUpdates(tl::Updates(std::move(x)), now);
}

// ---------------------------------------------------------------- channels

UpdateGapEngine::Channel* UpdateGapEngine::FindOrAddChannel(int64_t channel_id) {
  auto it = channels_.find(channel_id);
  if (it != channels_.end()) return &it->second;
  if (channels_.size() >= config_.max_channels) {
    auto victim = std::find_if(channels_.begin(), channels_.end(), [](const auto& kv) {
      const Channel& c = kv.second;
      return c.fetch == Fetch::kIdle && c.box.pending.empty() && c.held.empty();
    });
    if (victim == channels_.end()) return nullptr;
    timed_channels_.erase(victim->first);
    channels_.erase(victim);
  }
  return &channels_[channel_id];
}

void UpdateGapEngine::ProcessChannel(int64_t channel_id, Pending p, absl::Time now) {
  Channel* c = FindOrAddChannel(channel_id);
  if (c == nullptr) {
    ++stats_.untracked_dropped;
    return;
  }
  if (c->fetch != Fetch::kIdle) {
    if (channel_buffered_ + 1 > config_.max_buffered_channel_updates) {
      ChannelOverflow(channel_id, now);
      return;
    }
    ++channel_buffered_;
    c->held.push_back(HeldUpdate{std::move(p.update), std::move(p.entities)});
    return;
  }
  if (!c->known) {
    c->known = true;
    c->box.local = ClampPts(int64_t{p.pts} - p.count);
  }
  switch (CheckBox(c->box, p)) {
    case Check::kApplied:
      Apply(c->box, p);
      Drain(c->box, channel_buffered_);
      break;
    case Check::kDuplicate:
      ++stats_.duplicates_dropped;
      break;
    case Check::kGap:
      if (channel_buffered_ + 1 > config_.max_buffered_channel_updates) {
        ChannelOverflow(channel_id, now);
        return;
      }
      ++stats_.gaps_seen;
      ++channel_buffered_;
      c->box.pending.emplace(int64_t{p.pts} - p.count, std::move(p));
      break;
  }
  RearmChannelGap(channel_id, *c, now);
}

void UpdateGapEngine::RearmChannelGap(int64_t channel_id, Channel& c, absl::Time now) {
  if (c.box.pending.empty() || c.fetch != Fetch::kIdle) {
    c.gap_deadline = absl::InfiniteFuture();
  } else if (c.gap_deadline == absl::InfiniteFuture()) {
    c.gap_deadline = now + config_.gap_timeout;
  }
  Retime(channel_id, c);
}

void UpdateGapEngine::Retime(int64_t channel_id, const Channel& c) {
  if (c.gap_deadline != absl::InfiniteFuture() || c.retry_at != absl::InfiniteFuture()) {
    timed_channels_.insert(channel_id);
  } else {
    timed_channels_.erase(channel_id);
  }
}

void UpdateGapEngine::ChannelTooLong(int64_t channel_id, int32_t pts, absl::Time now) {
  Channel* c = FindOrAddChannel(channel_id);
  if (c == nullptr) {
    ++stats_.untracked_dropped;
    return;
  }
  if (!c->known) {
    // Nothing known to catch up from: start at the pts it gives, or tell
    // the app to load the channel itself.
    if (pts > 0) {
      c->known = true;
      c->box.local = pts;
      Drain(c->box, channel_buffered_);
    } else {
      ++stats_.too_long;
      UpdateEvent e;
      e.kind = UpdateEvent::Kind::kTooLong;
      e.channel_id = channel_id;
      events_.push_back(std::move(e));
    }
    return;
  }
  if (c->fetch == Fetch::kInFlight) {
    c->fetch_again = true;
    return;
  }
  RequestChannelDifference(channel_id, *c);
}

void UpdateGapEngine::ChannelOverflow(int64_t channel_id, absl::Time now) {
  auto drop = [&](int64_t id, Channel& c) {
    ++stats_.overflows;
    channel_buffered_ -= std::min(channel_buffered_, c.box.pending.size() + c.held.size());
    c.box.pending.clear();
    c.held.clear();
    c.gap_deadline = absl::InfiniteFuture();
    UpdateEvent e;
    e.kind = UpdateEvent::Kind::kBufferOverflow;
    e.channel_id = id;
    e.status = absl::ResourceExhaustedError(absl::StrCat(
        "channel update buffers reached max_buffered_channel_updates (",
        config_.max_buffered_channel_updates, "): channel ", id,
        " dropped, fetching its difference instead"));
    events_.push_back(std::move(e));
    if (c.fetch == Fetch::kIdle) {
      RequestChannelDifference(id, c);
    } else {
      c.fetch_again = true;
    }
    Retime(id, c);
  };
  Channel* c = FindOrAddChannel(channel_id);
  if (c != nullptr) drop(channel_id, *c);
  if (channel_buffered_ + 1 > config_.max_buffered_channel_updates) {
    for (auto& [id, other] : channels_) {
      if (!other.box.pending.empty() || !other.held.empty()) drop(id, other);
    }
  }
  (void)now;
}

void UpdateGapEngine::RequestChannelDifference(int64_t channel_id, Channel& c) {
  c.fetch = Fetch::kInFlight;
  c.gap_deadline = absl::InfiniteFuture();
  c.retry_at = absl::InfiniteFuture();
  Retime(channel_id, c);
  ++stats_.channel_differences_requested;
  UpdateEvent e;
  e.kind = UpdateEvent::Kind::kGetChannelDifference;
  e.channel_id = channel_id;
  e.get_channel_difference = tl::updates_getChannelDifference{
      .channel = tl::inputChannel{.channel_id = channel_id, .access_hash = c.access_hash},
      .filter = tl::channelMessagesFilterEmpty{},
      .pts = std::max(1, c.box.local),
      .limit = config_.channel_difference_limit,
  };
  events_.push_back(std::move(e));
}

absl::Status UpdateGapEngine::OnChannelDifference(int64_t channel_id,
                                                  const tl::updates_ChannelDifference& difference,
                                                  absl::Time now) {
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.fetch != Fetch::kInFlight) {
    return absl::FailedPreconditionError(absl::StrCat(
        "OnChannelDifference: no getChannelDifference in flight for channel ", channel_id,
        ", answer ignored"));
  }
  Channel& c = it->second;
  last_activity_ = now;
  tl::updates_ChannelDifference d = difference;
  bool final = true;
  switch (d.id()) {
    case tl::updates_channelDifferenceEmpty::kId: {
      const auto& x = *d.As<tl::updates_channelDifferenceEmpty>();
      c.box.local = x.pts;
      final = x.final_;
      break;
    }
    case tl::updates_channelDifference::kId: {
      auto& x = *d.As<tl::updates_channelDifference>();
      Entities e = MakeEntities(std::move(x.users), std::move(x.chats));
      EmitMessages(x.new_messages, e);
      for (tl::Update& u : x.other_updates) {
        if (u) Emit(std::move(u), e);
      }
      c.box.local = x.pts;
      final = x.final_;
      break;
    }
    case tl::updates_channelDifferenceTooLong::kId: {
      auto& x = *d.As<tl::updates_channelDifferenceTooLong>();
      if (const auto* dialog = x.dialog.As<tl::dialog>(); dialog != nullptr && dialog->pts) {
        c.box.local = *dialog->pts;
      }
      Entities e = MakeEntities(std::move(x.users), std::move(x.chats));
      EmitMessages(x.messages, e);
      ++stats_.too_long;
      UpdateEvent ev;
      ev.kind = UpdateEvent::Kind::kTooLong;
      ev.channel_id = channel_id;
      events_.push_back(std::move(ev));
      final = x.final_;
      break;
    }
    default:
      OnChannelDifferenceFailed(channel_id, now);
      return absl::InvalidArgumentError(
          absl::StrCat("OnChannelDifference: unusable updates.ChannelDifference (",
                       difference.name(), ") for channel ", channel_id,
                       ", asked again after retry_delay"));
  }
  c.known = true;
  ++stats_.channel_differences_fetched;
  if (!final) {
    RequestChannelDifference(channel_id, c);
    return absl::OkStatus();
  }
  c.fetch = Fetch::kIdle;
  Drain(c.box, channel_buffered_);
  if (c.fetch_again) {
    c.fetch_again = false;
    RequestChannelDifference(channel_id, c);
    return absl::OkStatus();
  }
  while (!c.held.empty() && c.fetch == Fetch::kIdle) {
    HeldUpdate h = std::move(c.held.front());
    c.held.pop_front();
    channel_buffered_ -= std::min<size_t>(channel_buffered_, 1);
    (void)ProcessUpdate(std::move(h.update), h.entities ? h.entities : no_entities_, now);
  }
  RearmChannelGap(channel_id, c, now);
  return absl::OkStatus();
}

void UpdateGapEngine::OnChannelDifferenceFailed(int64_t channel_id, absl::Time now,
                                                absl::Duration retry_after) {
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.fetch != Fetch::kInFlight) return;
  it->second.fetch = Fetch::kRetryWait;
  it->second.retry_at = now + std::max(config_.retry_delay, retry_after);
  Retime(channel_id, it->second);
}

absl::Status UpdateGapEngine::OnChannelPtsAdvanced(int64_t channel_id, int32_t pts,
                                                   int32_t pts_count, absl::Time now) {
  if (channel_id == 0 || pts_count < 0) {
    ++stats_.malformed_dropped;
    return absl::InvalidArgumentError(absl::StrCat("OnChannelPtsAdvanced: channel ", channel_id,
                                                   ", pts_count ", pts_count));
  }
  auto it = channels_.find(channel_id);
  if (it != channels_.end() && it->second.fetch != Fetch::kIdle) return absl::OkStatus();
  ProcessChannel(channel_id, Pending{pts, pts_count, nullptr, nullptr}, now);
  return absl::OkStatus();
}

void UpdateGapEngine::ForgetChannel(int64_t channel_id) {
  auto it = channels_.find(channel_id);
  if (it == channels_.end()) return;
  Channel& c = it->second;
  channel_buffered_ -= std::min(channel_buffered_, c.box.pending.size() + c.held.size());
  timed_channels_.erase(channel_id);
  channels_.erase(it);
}

// ---------------------------------------------------------------- output

void UpdateGapEngine::Emit(tl::Update update, const Entities& entities) {
  ++stats_.updates_emitted;
  UpdateEvent e;
  e.kind = UpdateEvent::Kind::kUpdate;
  e.update = std::move(update);
  e.entities = entities ? entities : no_entities_;
  events_.push_back(std::move(e));
}

void UpdateGapEngine::EmitMessages(std::vector<tl::Message>& messages, const Entities& entities) {
  for (tl::Message& m : messages) {
    if (!m) continue;
    if (ChannelOf(m) != 0) {
      Emit(tl::updateNewChannelMessage{.message = std::move(m)}, entities);
    } else {
      Emit(tl::updateNewMessage{.message = std::move(m)}, entities);
    }
  }
}

void UpdateGapEngine::RememberChats(const std::vector<tl::Chat>& chats) {
  for (const tl::Chat& chat : chats) {
    int64_t id = 0;
    int64_t hash = 0;
    if (const auto* c = chat.As<tl::channel>(); c != nullptr && !c->min && c->access_hash) {
      id = c->id;
      hash = *c->access_hash;
    } else if (const auto* f = chat.As<tl::channelForbidden>()) {
      id = f->id;
      hash = f->access_hash;
    } else {
      continue;
    }
    if (Channel* ch = FindOrAddChannel(id)) ch->access_hash = hash;
  }
}

UpdateGapEngine::Entities UpdateGapEngine::MakeEntities(std::vector<tl::User> users,
                                                        std::vector<tl::Chat> chats) {
  if (users.empty() && chats.empty()) return no_entities_;
  RememberChats(chats);
  auto e = std::make_shared<UpdateEntities>();
  e->users = std::move(users);
  e->chats = std::move(chats);
  return e;
}

std::optional<UpdateEvent> UpdateGapEngine::PollEvent() {
  if (!has_state_ && fetch_ == Fetch::kIdle) {
    fetch_ = Fetch::kInFlight;
    UpdateEvent e;
    e.kind = UpdateEvent::Kind::kGetState;
    return e;
  }
  if (events_.empty()) return std::nullopt;
  UpdateEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

absl::Time UpdateGapEngine::NextDeadline() const {
  absl::Time t = std::min(retry_at_, common_gap_deadline_);
  if (has_state_ && fetch_ == Fetch::kIdle) t = std::min(t, last_activity_ + config_.idle_timeout);
  for (int64_t id : timed_channels_) {
    auto it = channels_.find(id);
    if (it != channels_.end()) t = std::min({t, it->second.gap_deadline, it->second.retry_at});
  }
  return t;
}

void UpdateGapEngine::OnTimeout(absl::Time now) {
  if (retry_at_ <= now) {
    retry_at_ = absl::InfiniteFuture();
    fetch_ = Fetch::kIdle;  // without a state, the next PollEvent asks for it again
    RequestDifference(now);
  }
  if (common_gap_deadline_ <= now) {
    common_gap_deadline_ = absl::InfiniteFuture();
    RequestDifference(now);
  }
  if (has_state_ && fetch_ == Fetch::kIdle && last_activity_ + config_.idle_timeout <= now) {
    RequestDifference(now);
  }
  std::vector<int64_t> timed(timed_channels_.begin(), timed_channels_.end());
  for (int64_t id : timed) {
    auto it = channels_.find(id);
    if (it == channels_.end()) continue;
    Channel& c = it->second;
    if (c.retry_at <= now) {
      c.retry_at = absl::InfiniteFuture();
      RequestChannelDifference(id, c);
    } else if (c.gap_deadline <= now && c.fetch == Fetch::kIdle) {
      RequestChannelDifference(id, c);
    }
  }
}

}  // namespace mtcore::updates
