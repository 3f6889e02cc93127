#include "core/session/client_session.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/compress/gzip.h"

namespace mtcore::session {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
// Containers remembered for bad_msg_notification about a container.
constexpr size_t kContainersRemembered = 64;
// How many future salts to ask for.
constexpr int32_t kFutureSaltsWanted = 32;
// Ack batches awaiting confirmation kept at most (older ones are assumed
// received).
constexpr size_t kUnconfirmedAckBatches = 256;
// rpc_result/gzip nesting we follow (gzip inside rpc_result, container...).
constexpr int kMaxDispatchDepth = 4;

// Unix nanoseconds a msg_id stands for (msg_id = unix_seconds * 2^32 + fraction).
int64_t UnixNsOfMessageId(int64_t msg_id) {
  uint64_t u = static_cast<uint64_t>(msg_id);
  int64_t seconds = static_cast<int64_t>(u >> 32);
  int64_t frac = static_cast<int64_t>(((u & 0xffffffffu) * uint64_t{kNsPerSecond}) >> 32);
  return seconds * kNsPerSecond + frac;
}

}  // namespace

ClientSession::ClientSession(AuthKey key, uint64_t first_salt, uint64_t session_id,
                             ClientSessionConfig config, absl::Time now, int64_t unix_now_ns)
    : key_(std::move(key)),
      salt_(first_salt),
      session_id_(session_id),
      config_(std::move(config)),
      clock_offset_ns_(unix_now_ns - absl::ToUnixNanos(now)) {}

int64_t ClientSession::ServerUnixNs(absl::Time now) const {
  return absl::ToUnixNanos(now) + clock_offset_ns_;
}

int64_t ClientSession::NextMsgId(absl::Time now) {
  return msg_ids_.Next(ServerUnixNs(now), MessageIdGenerator::Kind::kClient);
}

int32_t ClientSession::NextSeqNo(bool content_related) {
  if (!content_related) return content_messages_ * 2;
  return content_messages_++ * 2 + 1;
}

uint64_t ClientSession::Send(Bytes query, const SendOptions& options, absl::Time now) {
  return Send(std::make_shared<const Bytes>(std::move(query)), options, now);
}

uint64_t ClientSession::Send(SharedBytes query, const SendOptions& options, absl::Time now) {
  if (query == nullptr) query = std::make_shared<const Bytes>();
  Request r;
  r.id = next_request_id_++;
  r.after_request = options.after_request;
  r.no_gzip = options.no_gzip;
  r.body_for_msg_id = options.body_for_msg_id;
  if (r.body_for_msg_id) {
    r.prepared = true;  // built per msg_id instead
    r.after_request.reset();
  }
  r.body = std::move(query);
  (void)now;
  uint64_t id = r.id;
  send_queue_.insert(id);
  requests_.emplace(id, std::move(r));
  return id;
}

void ClientSession::Prepare(Request& r) {
  if (r.prepared) return;
  r.prepared = true;
  // The caller's buffer is kept (shared, never copied) unless wrapping or
  // compression makes a new one.
  std::optional<Bytes> made;
  if (r.after_request.has_value()) {
    // Requests go out oldest first, so an earlier one still in flight has
    // its msg_id by now; one already answered (or unknown) is ignored.
    auto it = requests_.find(*r.after_request);
    if (it != requests_.end() && it->second.msg_id != 0) {
      made = BuildInvokeAfterMsg(it->second.msg_id, *r.body);
    }
  }
  ByteView query = made.has_value() ? ByteView(*made) : ByteView(*r.body);
  if (!r.no_gzip && query.size() >= config_.gzip_threshold) {
    absl::StatusOr<Bytes> packed = compress::GzipCompress(query, 6);
    if (packed.ok()) {
      Bytes wrapped = BuildGzipPacked(*packed);
      if (wrapped.size() < query.size()) made = std::move(wrapped);
    }
  }
  if (made.has_value()) r.body = std::make_shared<const Bytes>(*std::move(made));
}

bool ClientSession::Cancel(uint64_t request_id, absl::Time now) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return false;
  if (it->second.msg_id != 0 && !it->second.queued) {
    Bytes drop;
    drop.resize(12);
    StoreLe32(drop.data(), ids::kRpcDropAnswer);
    StoreLe64(drop.data() + 4, static_cast<uint64_t>(it->second.msg_id));
    service_queue_.push_back({std::move(drop), ServiceKind::kOther});
  }
  (void)now;
  SessionEvent e;
  e.kind = SessionEvent::Kind::kFailed;
  e.status = absl::CancelledError("request cancelled by the caller");
  Finish(request_id, std::move(e));
  return true;
}

std::vector<uint64_t> ClientSession::TakeUnsent() {
  std::vector<uint64_t> ids;
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->second.msg_id != 0) {
      ++it;
      continue;
    }
    // Never on the wire: no msg_id, nothing in the window, no event owed.
    ids.push_back(it->first);
    send_queue_.erase(it->first);
    it = requests_.erase(it);
  }
  return ids;
}

void ClientSession::DestroySession(uint64_t session_id, absl::Time now) {
  (void)now;
  service_queue_.push_back({BuildDestroySession(static_cast<int64_t>(session_id)),
                            ServiceKind::kOther});
}

void ClientSession::Finish(uint64_t request_id, SessionEvent event) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  if (it->second.msg_id != 0) by_msg_id_.erase(it->second.msg_id);
  TakeOffWire(it->second);
  send_queue_.erase(request_id);
  requests_.erase(it);
  event.request_id = request_id;
  events_.push_back(std::move(event));
}

void ClientSession::FailAll(const absl::Status& why) {
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : requests_) ids.push_back(id);
  for (uint64_t id : ids) {
    SessionEvent e;
    e.kind = SessionEvent::Kind::kFailed;
    e.status = why;
    Finish(id, std::move(e));
  }
}

void ClientSession::MarkQueued(Request& r) {
  if (r.queued) return;
  TakeOffWire(r);
  r.queued = true;
  send_queue_.insert(r.id);
}

bool ClientSession::WindowHasRoom(size_t bytes) const {
  if (wire_requests_ == 0) return true;  // one request always goes, whatever its size
  if (config_.max_requests_in_flight != 0 && wire_requests_ >= config_.max_requests_in_flight) {
    return false;
  }
  if (config_.max_bytes_in_flight != 0 && wire_bytes_ + bytes > config_.max_bytes_in_flight) {
    return false;
  }
  return true;
}

void ClientSession::PutOnWire(Request& r) {
  if (r.on_wire) return;
  r.on_wire = true;
  ++wire_requests_;
  wire_bytes_ += r.body->size();
}

void ClientSession::TakeOffWire(Request& r) {
  if (!r.on_wire) return;
  r.on_wire = false;
  --wire_requests_;
  wire_bytes_ -= r.body->size();
}

ClientSession::Request* ClientSession::FindByMsgId(int64_t msg_id) {
  auto it = by_msg_id_.find(msg_id);
  if (it == by_msg_id_.end()) return nullptr;
  auto r = requests_.find(it->second);
  return r == requests_.end() ? nullptr : &r->second;
}

void ClientSession::Requeue(Request& r, absl::Time now, bool new_msg_id) {
  if (r.resends >= config_.max_resends) {
    SessionEvent e;
    e.kind = SessionEvent::Kind::kFailed;
    e.status = absl::AbortedError(
        absl::StrCat("request re-sent ", r.resends, " times without an answer; giving up"));
    Finish(r.id, std::move(e));
    return;
  }
  ++r.resends;
  ++stats_.resends;
  MarkQueued(r);
  r.acked = false;
  bool too_old = r.msg_id != 0 && now - r.first_sent > config_.max_resend_age;
  if ((new_msg_id || too_old) && r.msg_id != 0) {
    by_msg_id_.erase(r.msg_id);
    r.msg_id = 0;
  }
}

// A message we sent (a request, a container, or a service message) was not
// processed by the server: send again what still matters.
void ClientSession::RepairLostMessage(int64_t msg_id, absl::Time now, bool new_msg_id) {
  for (auto b = unconfirmed_acks_.begin(); b != unconfirmed_acks_.end(); ++b) {
    if (b->carrier_msg_id != msg_id) continue;
    // Our acks were ignored with it: they go again with the next packet.
    pending_acks_.insert(pending_acks_.end(), b->ids.begin(), b->ids.end());
    if (!ack_due_.has_value()) ack_due_ = now;
    unconfirmed_acks_.erase(b);
    return;
  }
  if (Request* r = FindByMsgId(msg_id)) {
    Requeue(*r, now, new_msg_id);
    return;
  }
  for (const auto& [container_id, inner] : containers_) {
    if (container_id != msg_id) continue;
    std::vector<int64_t> copy = inner;
    for (int64_t id : copy) RepairLostMessage(id, now, new_msg_id);
    return;
  }
  auto s = service_sent_.find(msg_id);
  if (s == service_sent_.end()) return;
  if (s->second == ServiceKind::kPing) {
    ping_in_flight_.reset();
    next_ping_ = now;
  } else if (s->second == ServiceKind::kGetFutureSalts) {
    salts_requested_ = false;
  }
  service_sent_.erase(s);
}

void ClientSession::OnConnected(absl::Time now) {
  connected_ = true;
  next_ping_ = now + config_.ping_interval;
  ping_in_flight_.reset();
}

void ClientSession::OnConnectionLost(absl::Time now) {
  connected_ = false;
  ping_in_flight_.reset();
  next_ping_ = absl::InfiniteFuture();
  if (salts_requested_) salts_requested_ = false;
  service_sent_.clear();
  // Acks that may have died with the connection go out again on the next:
  // otherwise the server keeps re-sending what they acknowledged, and a
  // large unacknowledged answer can fill every short-lived connection.
  for (AckBatch& b : unconfirmed_acks_) {
    pending_acks_.insert(pending_acks_.end(), b.ids.begin(), b.ids.end());
  }
  unconfirmed_acks_.clear();
  if (!pending_acks_.empty() && !ack_due_.has_value()) ack_due_ = now;
  for (auto& [id, r] : requests_) {
    // Acknowledged requests stay: the server delivers their answers on the
    // session's next connection. The rest go out again.
    if (!r.queued && !r.acked) {
      MarkQueued(r);
      if (now - r.first_sent > config_.max_resend_age && r.msg_id != 0) {
        by_msg_id_.erase(r.msg_id);
        r.msg_id = 0;
      }
    }
  }
}

void ClientSession::MaybeSwitchSalt(absl::Time now) {
  int64_t t = ServerUnixNs(now) / kNsPerSecond;
  future_salts_.erase(std::remove_if(future_salts_.begin(), future_salts_.end(),
                                     [t](const FutureSalt& s) { return s.valid_until <= t; }),
                      future_salts_.end());
  const FutureSalt* best = nullptr;
  for (const FutureSalt& s : future_salts_) {
    if (s.valid_since <= t && (best == nullptr || s.valid_since > best->valid_since)) best = &s;
  }
  if (best != nullptr) salt_ = best->salt;
}

bool ClientSession::NeedSalts(absl::Time now) const {
  int64_t t = ServerUnixNs(now) / kNsPerSecond;
  int64_t covered_until = 0;
  for (const FutureSalt& s : future_salts_) covered_until = std::max<int64_t>(covered_until, s.valid_until);
  return covered_until < t + config_.salt_refill_margin_s;
}

absl::StatusOr<Bytes> ClientSession::Seal(const Slot& slot, crypto::RandomSource& rng) {
  MessageHeader h;
  h.salt = salt_;
  h.session_id = session_id_;
  h.msg_id = slot.msg_id;
  h.seq_no = slot.seq_no;
  ++stats_.packets_sent;
  return EncryptMessage(key_, Direction::kClientToServer, h, slot.body, rng,
                        config_.max_extra_padding_blocks);
}

absl::StatusOr<std::vector<Bytes>> ClientSession::BuildPackets(absl::Time now,
                                                               crypto::RandomSource& rng) {
  std::vector<Bytes> packets;
  if (!connected_) return packets;
  if (reset_session_pending_) {
    reset_session_pending_ = false;
    uint64_t id = 0;
    while (id == 0) id = crypto::RandomU64(rng);
    session_id_ = id;
    content_messages_ = 0;
    inbound_.Reset();
    msg_ids_.Reset();
    containers_.clear();
    service_sent_.clear();
    received_.clear();
    highest_received_ = 0;
    unconfirmed_acks_.clear();
    pending_acks_.clear();
    ack_due_.reset();
    ++stats_.new_sessions;
    for (auto& [rid, r] : requests_) {
      if (r.msg_id != 0) by_msg_id_.erase(r.msg_id);
      r.msg_id = 0;
      MarkQueued(r);
      r.acked = false;
    }
    SessionEvent e;
    e.kind = SessionEvent::Kind::kNewSession;
    e.status = absl::OkStatus();
    events_.push_back(std::move(e));
  }
  MaybeSwitchSalt(now);
  if (!salts_requested_ && NeedSalts(now)) {
    service_queue_.push_back({BuildGetFutureSalts(kFutureSaltsWanted), ServiceKind::kGetFutureSalts});
    salts_requested_ = true;
  }
  if (!ping_in_flight_.has_value() && now >= next_ping_) {
    int64_t ping_id = next_ping_id_++;
    service_queue_.push_back({BuildPingDelayDisconnect(ping_id, config_.ping_disconnect_delay_s),
                              ServiceKind::kPing});
    ping_in_flight_ = ping_id;
    ping_sent_ = now;
    next_ping_ = now + config_.ping_interval;
  }

  bool request_ready = false;
  for (uint64_t rid : send_queue_) {
    auto it = requests_.find(rid);
    if (it == requests_.end() || !it->second.queued) continue;
    Prepare(it->second);
    request_ready = WindowHasRoom(it->second.body->size());
    break;
  }
  bool have_other = !service_queue_.empty() || request_ready;
  Bytes acks;
  std::vector<int64_t> acked_now;
  if (!pending_acks_.empty() &&
      (have_other || pending_acks_.size() >= config_.max_pending_acks ||
       (ack_due_.has_value() && now >= *ack_due_))) {
    std::sort(pending_acks_.begin(), pending_acks_.end());
    pending_acks_.erase(std::unique(pending_acks_.begin(), pending_acks_.end()),
                        pending_acks_.end());
    // The spec allows 8192 ids per msgs_ack; the rest wait for the next one.
    constexpr size_t kMaxAckIds = 8192;
    if (pending_acks_.size() > kMaxAckIds) {
      acked_now.assign(pending_acks_.begin(), pending_acks_.begin() + kMaxAckIds);
      pending_acks_.erase(pending_acks_.begin(), pending_acks_.begin() + kMaxAckIds);
    } else {
      acked_now.swap(pending_acks_);
      ack_due_.reset();
    }
    acks = BuildMsgIdList(ids::kMsgsAck, acked_now);
    stats_.acks_sent += acked_now.size();
    for (int64_t id : acked_now) {
      if (uint8_t* flags = FindReceived(id)) *flags |= kAckSent;
    }
  }

  // Everything to send, in order: acks, service messages, requests.
  std::vector<Slot> slots;
  std::vector<ServiceKind> slot_kinds;  // parallel to slots (kOther for acks/requests)
  std::vector<OutService> services = std::move(service_queue_);
  service_queue_.clear();
  if (!acks.empty()) {
    int64_t ack_msg_id = NextMsgId(now);
    slots.push_back({ack_msg_id, NextSeqNo(false), acks});
    slot_kinds.push_back(ServiceKind::kOther);
    unconfirmed_acks_.push_back({ack_msg_id, send_round_ + 1, std::move(acked_now)});
    if (unconfirmed_acks_.size() > kUnconfirmedAckBatches) unconfirmed_acks_.pop_front();
  }
  for (OutService& s : services) {
    int64_t id = NextMsgId(now);
    slots.push_back({id, NextSeqNo(IsContentRelated(s.body)), s.body});
    slot_kinds.push_back(s.kind);
    if (s.kind != ServiceKind::kOther) service_sent_[id] = s.kind;
  }
  // Requests, oldest first, as far as the window allows.
  for (auto q = send_queue_.begin(); q != send_queue_.end();) {
    uint64_t rid = *q;
    auto it = requests_.find(rid);
    if (it == requests_.end() || !it->second.queued) {
      q = send_queue_.erase(q);
      continue;
    }
    Request& r = it->second;
    Prepare(r);
    if (!WindowHasRoom(r.body->size())) break;
    q = send_queue_.erase(q);
    if (r.msg_id == 0) {
      r.msg_id = NextMsgId(now);
      r.seq_no = NextSeqNo(true);
      r.first_sent = now;
      by_msg_id_[r.msg_id] = rid;
      if (r.body_for_msg_id) r.body = std::make_shared<const Bytes>(r.body_for_msg_id(r.msg_id));
    }
    r.queued = false;
    r.sent_round = send_round_ + 1;
    PutOnWire(r);
    slots.push_back({r.msg_id, r.seq_no, *r.body});
    slot_kinds.push_back(ServiceKind::kOther);
  }

  if (!slots.empty()) ++send_round_;
  // Pack into containers within the limits; a large message travels alone.
  size_t i = 0;
  while (i < slots.size()) {
    size_t j = i;
    size_t bytes = 8;
    while (j < slots.size() && j - i < config_.max_container_messages &&
           (j == i || bytes + 16 + slots[j].body.size() <= config_.max_container_bytes)) {
      bytes += 16 + slots[j].body.size();
      ++j;
    }
    absl::StatusOr<Bytes> packet;
    if (j - i == 1) {
      packet = Seal(slots[i], rng);
    } else {
      std::vector<OutgoingMessage> inner;
      std::vector<int64_t> inner_ids;
      for (size_t k = i; k < j; ++k) {
        inner.push_back({slots[k].msg_id, slots[k].seq_no, slots[k].body});
        inner_ids.push_back(slots[k].msg_id);
      }
      Bytes container = BuildContainer(inner);
      int64_t container_id = NextMsgId(now);
      containers_.emplace_back(container_id, std::move(inner_ids));
      if (containers_.size() > kContainersRemembered) containers_.pop_front();
      packet = Seal({container_id, NextSeqNo(false), container}, rng);
    }
    if (!packet.ok()) return packet.status();
    packets.push_back(*std::move(packet));
    i = j;
  }
  return packets;
}

absl::Status ClientSession::Reject(absl::Status status, uint64_t SessionStats::*counter) {
  ++(stats_.*counter);
  SessionEvent e;
  e.kind = SessionEvent::Kind::kMessageRejected;
  e.status = status;
  events_.push_back(std::move(e));
  return status;
}

void ClientSession::AckDuplicate(const MessageHeader& header, ByteView body, absl::Time now) {
  std::vector<int64_t> ids;
  if (FirstId(body) == ids::kMsgContainer) {
    absl::StatusOr<std::vector<ContainerItem>> items = ParseContainer(body);
    if (items.ok()) {
      for (const ContainerItem& i : *items) {
        if ((i.seq_no & 1) != 0) ids.push_back(i.msg_id);
      }
    }
  } else if ((header.seq_no & 1) != 0) {
    ids.push_back(header.msg_id);
  }
  if (ids.empty()) return;
  pending_acks_.insert(pending_acks_.end(), ids.begin(), ids.end());
  if (!ack_due_.has_value()) ack_due_ = now + config_.ack_delay;
}

bool ClientSession::IsTimeSyncNotice(ByteView body) {
  if (FirstId(body) != ids::kBadMsgNotification) return false;
  absl::StatusOr<BadMsgNotification> n = ParseBadMsgNotification(body);
  if (!n.ok() || (n->error_code != 16 && n->error_code != 17)) return false;
  if (FindByMsgId(n->bad_msg_id) != nullptr) return true;
  for (const auto& [cid, inner] : containers_) {
    if (cid == n->bad_msg_id) return true;
  }
  return false;
}

absl::Status ClientSession::OnPacket(ByteView packet, absl::Time now) {
  ++stats_.packets_received;
  absl::StatusOr<DecryptedMessage> m =
      DecryptMessage(key_, Direction::kServerToClient, packet, config_.transport_padding);
  if (!m.ok()) return Reject(m.status(), &SessionStats::rejected_decrypt);
  if (m->header.session_id != session_id_) {
    return Reject(absl::FailedPreconditionError(absl::StrFormat(
                      "message for session %016x, ours is %016x", m->header.session_id,
                      session_id_)),
                  &SessionStats::rejected_session_id);
  }
  if (absl::Status s = inbound_.Check(m->header.msg_id, ServerUnixNs(now)); !s.ok()) {
    // A server whose clock is far from ours tells us so with a
    // bad_msg_notification (16/17) about a message we just sent; its msg_id
    // fails our time window by definition. Accept exactly that (a replay
    // could not name a message in flight), to resynchronise.
    if (s.code() != absl::StatusCode::kOutOfRange || !IsTimeSyncNotice(m->body) ||
        !inbound_.CheckWithoutTime(m->header.msg_id).ok()) {
      // A server re-sends what we did not acknowledge; if our ack was lost,
      // acknowledge the duplicate again so it stops (it is still dropped).
      if (s.code() == absl::StatusCode::kAlreadyExists) AckDuplicate(m->header, m->body, now);
      return Reject(s, &SessionStats::rejected_msg_id);
    }
  }
  return HandleMessage(m->header.msg_id, m->header.seq_no, m->body, now, false);
}

absl::Status ClientSession::HandleMessage(int64_t msg_id, int32_t seq_no, ByteView body,
                                          absl::Time now, bool in_container) {
  RememberReceived(msg_id, (seq_no & 1) != 0);
  if ((seq_no & 1) != 0) {
    pending_acks_.push_back(msg_id);
    if (!ack_due_.has_value()) ack_due_ = now + config_.ack_delay;
  }
  if (FirstId(body) == ids::kMsgContainer) {
    if (in_container) {
      (void)Reject(absl::InvalidArgumentError("a msg_container inside a msg_container"),
                   &SessionStats::rejected_malformed);
      return absl::OkStatus();
    }
    absl::StatusOr<std::vector<ContainerItem>> items = ParseContainer(body);
    if (!items.ok()) {
      (void)Reject(items.status(), &SessionStats::rejected_malformed);
      return absl::OkStatus();
    }
    for (const ContainerItem& item : *items) {
      if (absl::Status s = inbound_.CheckWithoutTime(item.msg_id); !s.ok()) {
        if (s.code() == absl::StatusCode::kAlreadyExists && (item.seq_no & 1) != 0) {
          pending_acks_.push_back(item.msg_id);
          if (!ack_due_.has_value()) ack_due_ = now + config_.ack_delay;
        }
        (void)Reject(s, &SessionStats::rejected_msg_id);
        continue;
      }
      (void)HandleMessage(item.msg_id, item.seq_no, item.body, now, true);
    }
    return absl::OkStatus();
  }
  Dispatch(msg_id, body, now, 0);
  return absl::OkStatus();
}

void ClientSession::Dispatch(int64_t msg_id, ByteView body, absl::Time now, int depth) {
  switch (FirstId(body)) {
    case ids::kGzipPacked: {
      absl::StatusOr<ByteView> packed = ParseGzipPacked(body);
      if (!packed.ok() || depth >= kMaxDispatchDepth) {
        (void)Reject(packed.ok() ? absl::InvalidArgumentError("gzip_packed nested too deep")
                                 : packed.status(),
                     &SessionStats::rejected_malformed);
        return;
      }
      absl::StatusOr<Bytes> plain = compress::GzipDecompress(*packed);
      if (!plain.ok()) {
        (void)Reject(plain.status(), &SessionStats::rejected_malformed);
        return;
      }
      Dispatch(msg_id, *plain, now, depth + 1);
      return;
    }
    case ids::kRpcResult:
      HandleRpcResult(body, now);
      return;
    case ids::kMsgsAck:
      HandleAcks(body);
      return;
    case ids::kBadMsgNotification:
    case ids::kBadServerSalt:
      AdjustTime(msg_id, now);
      HandleBadMsg(body, now);
      return;
    case ids::kNewSessionCreated:
      HandleNewSession(body, now);
      return;
    case ids::kPong:
      HandlePong(body, now);
      return;
    case ids::kFutureSalts:
      HandleFutureSalts(body, now);
      return;
    case ids::kMsgsStateReq:
      HandleStateReq(msg_id, body);
      return;
    case ids::kMsgsStateInfo:
      // We never send msgs_state_req; nothing waits for this.
      return;
    case ids::kMsgsAllInfo: {
      absl::StatusOr<MsgsAllInfo> info = ParseMsgsAllInfo(body);
      if (!info.ok()) {
        (void)Reject(info.status(), &SessionStats::rejected_malformed);
        return;
      }
      for (size_t k = 0; k < info->msg_ids.size(); ++k) {
        int state = info->info[k] & 7;
        // 1: nothing known, 2: not received, 3: not received (id too low).
        if (state >= 1 && state <= 3) RepairLostMessage(info->msg_ids[k], now, state == 3);
      }
      return;
    }
    case ids::kMsgDetailedInfo:
    case ids::kMsgNewDetailedInfo:
      HandleDetailedInfo(body);
      return;
    case ids::kMsgResendReq:
      HandleResendReq(body);
      return;
    case ids::kDestroySessionOk:
    case ids::kDestroySessionNone: {
      absl::StatusOr<DestroySessionResult> d = ParseDestroySessionResult(body);
      if (!d.ok()) {
        (void)Reject(d.status(), &SessionStats::rejected_malformed);
        return;
      }
      SessionEvent e;
      e.kind = SessionEvent::Kind::kDestroySession;
      e.status = d->ok ? absl::OkStatus()
                       : absl::NotFoundError(absl::StrFormat("no session %016x to destroy",
                                                             d->session_id));
      events_.push_back(std::move(e));
      return;
    }
    default: {
      SessionEvent e;
      e.kind = SessionEvent::Kind::kUpdates;
      e.body.assign(body.begin(), body.end());
      events_.push_back(std::move(e));
      return;
    }
  }
}

void ClientSession::HandleRpcResult(ByteView body, absl::Time now) {
  absl::StatusOr<RpcResultView> r = ParseRpcResult(body);
  if (!r.ok()) {
    (void)Reject(r.status(), &SessionStats::rejected_malformed);
    return;
  }
  Request* req = FindByMsgId(r->req_msg_id);
  if (req == nullptr) {
    ++stats_.dropped_unknown_results;
    return;
  }
  uint64_t request_id = req->id;
  ConfirmAcksUpToRound(req->sent_round);
  ByteView result = r->result;
  Bytes unpacked;
  if (FirstId(result) == ids::kGzipPacked) {
    absl::StatusOr<ByteView> packed = ParseGzipPacked(result);
    absl::StatusOr<Bytes> plain =
        packed.ok() ? compress::GzipDecompress(*packed) : absl::StatusOr<Bytes>(packed.status());
    if (!plain.ok()) {
      SessionEvent e;
      e.kind = SessionEvent::Kind::kFailed;
      e.status = absl::DataLossError(
          absl::StrCat("the answer's gzip_packed is invalid: ", plain.status().message()));
      Finish(request_id, std::move(e));
      return;
    }
    unpacked = *std::move(plain);
    result = unpacked;
  }
  SessionEvent e;
  if (FirstId(result) == ids::kRpcError) {
    absl::StatusOr<RpcError> err = ParseRpcError(result);
    if (!err.ok()) {
      e.kind = SessionEvent::Kind::kFailed;
      e.status = absl::DataLossError(absl::StrCat("malformed rpc_error: ", err.status().message()));
    } else {
      e.kind = SessionEvent::Kind::kRpcError;
      e.error_code = err->code;
      e.error_message = std::move(err->message);
    }
  } else {
    e.kind = SessionEvent::Kind::kResult;
    e.body.assign(result.begin(), result.end());
  }
  (void)now;
  Finish(request_id, std::move(e));
}

void ClientSession::HandleAcks(ByteView body) {
  absl::StatusOr<std::vector<int64_t>> acked = ParseMsgIdList(body, ids::kMsgsAck);
  if (!acked.ok()) {
    (void)Reject(acked.status(), &SessionStats::rejected_malformed);
    return;
  }
  for (int64_t id : *acked) {
    if (Request* r = FindByMsgId(id)) {
      if (!r->queued) ConfirmAcksUpToRound(r->sent_round);
      r->acked = true;
      TakeOffWire(*r);  // the server has it: room for the next one
    }
  }
}

void ClientSession::AdjustTime(int64_t server_msg_id, absl::Time now) {
  int64_t server_ns = UnixNsOfMessageId(server_msg_id);
  int64_t new_offset = server_ns - absl::ToUnixNanos(now);
  int64_t delta = new_offset - clock_offset_ns_;
  if (delta > -kNsPerSecond && delta < kNsPerSecond) return;
  clock_offset_ns_ = new_offset;
  ++stats_.time_resyncs;
  // Our ids ran ahead of the server's clock: start a new session so new ids
  // can be lower than the old ones.
  if (delta < 0) reset_session_pending_ = true;
  SessionEvent e;
  e.kind = SessionEvent::Kind::kTimeAdjusted;
  e.status = absl::OkStatus();
  e.error_message = absl::StrCat("server time offset changed by ", delta / 1'000'000, " ms");
  events_.push_back(std::move(e));
}

void ClientSession::HandleBadMsg(ByteView body, absl::Time now) {
  absl::StatusOr<BadMsgNotification> n = ParseBadMsgNotification(body);
  if (!n.ok()) {
    (void)Reject(n.status(), &SessionStats::rejected_malformed);
    return;
  }
  if (n->new_server_salt.has_value()) {
    ++stats_.bad_server_salts;
    salt_ = *n->new_server_salt;
    future_salts_.clear();
    salts_requested_ = false;
    RepairLostMessage(n->bad_msg_id, now, /*new_msg_id=*/true);
    return;
  }
  ++stats_.bad_msg_notifications;
  switch (n->error_code) {
    case 16:  // msg_id too low
    case 17:  // msg_id too high (the time was adjusted from this message's id)
    case 20:  // too old
    case 19:  // container id reused
      RepairLostMessage(n->bad_msg_id, now, true);
      return;
    case 32:  // seq_no too low
    case 33:  // seq_no too high
      reset_session_pending_ = true;
      RepairLostMessage(n->bad_msg_id, now, true);
      return;
    case 48:  // bad salt without bad_server_salt: ask for salts and resend
      salts_requested_ = false;
      future_salts_.clear();
      RepairLostMessage(n->bad_msg_id, now, true);
      return;
    default: {
      // 18 (parity), 34/35 (seq_no parity), 64 (invalid container): the
      // request cannot succeed as sent.
      absl::Status why = absl::InternalError(
          absl::StrCat("the server rejected the message (bad_msg_notification ", n->error_code, ")"));
      std::vector<int64_t> affected = {n->bad_msg_id};
      for (const auto& [cid, inner] : containers_) {
        if (cid == n->bad_msg_id) affected = inner;
      }
      for (int64_t id : affected) {
        if (Request* r = FindByMsgId(id)) {
          SessionEvent e;
          e.kind = SessionEvent::Kind::kFailed;
          e.status = why;
          Finish(r->id, std::move(e));
        }
      }
      return;
    }
  }
}

void ClientSession::HandleNewSession(ByteView body, absl::Time now) {
  absl::StatusOr<NewSessionCreated> n = ParseNewSessionCreated(body);
  if (!n.ok()) {
    (void)Reject(n.status(), &SessionStats::rejected_malformed);
    return;
  }
  ++stats_.new_sessions;
  salt_ = n->server_salt;
  // Requests sent before first_msg_id were not seen by the new session.
  for (auto& [id, r] : requests_) {
    if (r.msg_id != 0 && r.msg_id < n->first_msg_id && !r.queued) Requeue(r, now, true);
  }
  SessionEvent e;
  e.kind = SessionEvent::Kind::kNewSession;
  e.status = absl::OkStatus();
  events_.push_back(std::move(e));
}

void ClientSession::HandleStateReq(int64_t msg_id, ByteView body) {
  absl::StatusOr<std::vector<int64_t>> asked = ParseMsgIdList(body, ids::kMsgsStateReq);
  if (!asked.ok()) {
    (void)Reject(asked.status(), &SessionStats::rejected_malformed);
    return;
  }
  Bytes info;
  info.reserve(asked->size());
  for (int64_t id : *asked) info.push_back(StateOf(id));
  service_queue_.push_back({BuildMsgsStateInfo(msg_id, info), ServiceKind::kOther});
}

void ClientSession::RememberReceived(int64_t msg_id, bool needs_ack) {
  const uint8_t flags = needs_ack ? kNeedsAck : 0;
  if (received_.empty() || msg_id > received_.back().first) {
    received_.emplace_back(msg_id, flags);
  } else {
    auto at = std::lower_bound(received_.begin(), received_.end(), msg_id,
                               [](const auto& e, int64_t id) { return e.first < id; });
    if (at != received_.end() && at->first == msg_id) {
      at->second = flags;
    } else {
      received_.emplace(at, msg_id, flags);
    }
  }
  highest_received_ = std::max(highest_received_, msg_id);
  size_t limit = std::max<size_t>(config_.server_messages_remembered, 1);
  while (received_.size() > limit) received_.pop_front();
}

const uint8_t* ClientSession::FindReceived(int64_t msg_id) const {
  auto at = std::lower_bound(received_.begin(), received_.end(), msg_id,
                             [](const auto& e, int64_t id) { return e.first < id; });
  if (at == received_.end() || at->first != msg_id) return nullptr;
  return &at->second;
}

uint8_t* ClientSession::FindReceived(int64_t msg_id) {
  return const_cast<uint8_t*>(std::as_const(*this).FindReceived(msg_id));
}

// The states of msgs_state_info (service_messages_about_messages): 1 nothing
// known (below what we remember), 2 not received (within it), 3 not received
// (above the highest id received), 4 received, plus +8 acknowledged, +16 not
// requiring an ack, +128 the server knows we received it (it answered or
// acknowledged something sent with or after our ack). +32 and +64 are about
// RPC queries, which the server does not send us.
uint8_t ClientSession::StateOf(int64_t msg_id) const {
  const uint8_t* flags = FindReceived(msg_id);
  if (flags == nullptr) {
    if (msg_id > highest_received_) return 3;
    if (received_.empty() || msg_id < received_.front().first) return 1;
    return 2;
  }
  uint8_t state = 4;
  if ((*flags & kNeedsAck) == 0) {
    state |= 16;
  } else if ((*flags & kAckSent) != 0) {
    state |= 8;
    if ((*flags & kAckConfirmed) != 0) state |= 128;
  }
  return state;
}

// Batches are in send order, so both their carrier ids and their rounds grow.
void ClientSession::ConfirmAcksUpTo(int64_t msg_id) {
  while (!unconfirmed_acks_.empty() && unconfirmed_acks_.front().carrier_msg_id <= msg_id) {
    ConfirmAcksUpToRound(unconfirmed_acks_.front().round);
  }
}

void ClientSession::ConfirmAcksUpToRound(uint64_t round) {
  while (!unconfirmed_acks_.empty() && unconfirmed_acks_.front().round <= round) {
    for (int64_t id : unconfirmed_acks_.front().ids) {
      if (uint8_t* flags = FindReceived(id)) *flags |= kAckConfirmed;
    }
    unconfirmed_acks_.pop_front();
  }
}

void ClientSession::HandleDetailedInfo(ByteView body) {
  absl::StatusOr<MsgDetailedInfo> d = ParseMsgDetailedInfo(body);
  if (!d.ok()) {
    (void)Reject(d.status(), &SessionStats::rejected_malformed);
    return;
  }
  bool waiting = d->msg_id == 0 || FindByMsgId(d->msg_id) != nullptr;
  if (waiting) {
    service_queue_.push_back(
        {BuildMsgIdList(ids::kMsgResendReq, {d->answer_msg_id}), ServiceKind::kOther});
  } else {
    pending_acks_.push_back(d->answer_msg_id);
  }
}

void ClientSession::HandleResendReq(ByteView body) {
  absl::StatusOr<std::vector<int64_t>> ids_list = ParseMsgIdList(body, ids::kMsgResendReq);
  if (!ids_list.ok()) {
    (void)Reject(ids_list.status(), &SessionStats::rejected_malformed);
    return;
  }
  for (int64_t id : *ids_list) {
    if (Request* r = FindByMsgId(id)) {
      MarkQueued(*r);
      ++stats_.resends;
    }
  }
}

void ClientSession::HandleFutureSalts(ByteView body, absl::Time now) {
  absl::StatusOr<FutureSalts> f = ParseFutureSalts(body);
  if (!f.ok()) {
    (void)Reject(f.status(), &SessionStats::rejected_malformed);
    return;
  }
  if (service_sent_.erase(f->req_msg_id) != 0) ConfirmAcksUpTo(f->req_msg_id);
  salts_requested_ = false;
  future_salts_ = f->salts;
  MaybeSwitchSalt(now);
}

void ClientSession::HandlePong(ByteView body, absl::Time now) {
  absl::StatusOr<Pong> p = ParsePong(body);
  if (!p.ok()) {
    (void)Reject(p.status(), &SessionStats::rejected_malformed);
    return;
  }
  if (service_sent_.erase(p->msg_id) != 0) ConfirmAcksUpTo(p->msg_id);
  if (ping_in_flight_.has_value() && *ping_in_flight_ == p->ping_id) ping_in_flight_.reset();
  (void)now;
}

std::optional<absl::Time> ClientSession::NextDeadline() const {
  if (!connected_) return std::nullopt;
  std::optional<absl::Time> d;
  auto consider = [&d](absl::Time t) {
    if (!d.has_value() || t < *d) d = t;
  };
  if (ack_due_.has_value()) consider(*ack_due_);
  if (ping_in_flight_.has_value()) {
    consider(ping_sent_ + config_.ping_timeout);
  } else {
    consider(next_ping_);
  }
  return d;
}

absl::Status ClientSession::OnTimeout(absl::Time now) {
  if (connected_ && ping_in_flight_.has_value() && now >= ping_sent_ + config_.ping_timeout) {
    return absl::UnavailableError(absl::StrCat("no pong within ",
                                               absl::FormatDuration(config_.ping_timeout),
                                               ": the connection looks dead"));
  }
  return absl::OkStatus();
}

std::optional<SessionEvent> ClientSession::PollEvent() {
  if (events_.empty()) return std::nullopt;
  SessionEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace mtcore::session
