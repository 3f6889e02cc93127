#include "tests/dc/server_session.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "core/compress/gzip.h"
#include "core/session/service_messages.h"
#include "tests/dc/invoke_wrappers.h"
#include "tests/dc/server_messages.h"
#include "tl/reader.h"

namespace mtcore::dc {
namespace {

using session::FirstId;
using session::MessageIdGenerator;

constexpr size_t kMaxReceivedRemembered = 1024;
constexpr size_t kMaxAnswersRemembered = 1024;
constexpr size_t kMaxPendingAcks = 8192;
constexpr size_t kMaxAcksPerMessage = 8192;
constexpr size_t kMaxContainerMessages = 1020;
constexpr size_t kMaxContainerBytes = size_t{1} << 20;
constexpr int64_t kNsPerSecond = 1000000000;
// Most ids in one msgs_state_req, msg_resend_req or msg_resend_ans_req.
constexpr size_t kMaxIdsPerRequest = 8192;

// The MTProto service requests a client may send with either seq_no parity.
bool IsLenientServiceRequest(uint32_t id) {
  switch (id) {
    case ids::kPing:
    case ids::kPingDelayDisconnect:
    case ids::kGetFutureSalts:
    case ids::kMsgsStateReq:
    case ids::kDestroySession:
    case ids::kRpcDropAnswer:
    case ids::kHttpWait:
    case ids::kMsgResendReq:
    case ids::kMsgResendAnsReq:
      return true;
    default:
      return false;
  }
}

// Content-related service requests whose answer (pong, future_salts,
// msgs_state_info, the re-sent messages, destroy_session_ok/none) is their
// acknowledgment: Telegram sends no msgs_ack for them, and mtcute warns about
// "unexpected ack" when one comes.
bool AnswerIsTheAck(uint32_t id) {
  switch (id) {
    case ids::kPing:
    case ids::kPingDelayDisconnect:
    case ids::kGetFutureSalts:
    case ids::kMsgsStateReq:
    case ids::kMsgResendReq:
    case ids::kMsgResendAnsReq:
    case ids::kDestroySession:
      return true;
    default:
      return false;
  }
}

// Sent content-related messages kept for re-sending until acknowledged.
constexpr size_t kMaxUnacked = 1024;


}  // namespace

ServerSession::ServerSession(SessionEnv env, uint64_t auth_key_id, uint64_t session_id)
    : env_(std::move(env)), auth_key_id_(auth_key_id), session_id_(session_id) {}

ServerSession::~ServerSession() = default;

void ServerSession::Reject(int64_t msg_id, int32_t seq_no, int32_t code, int64_t now_unix_ns) {
  ++stats_.messages_rejected;
  session::BadMsgNotification n{.bad_msg_id = msg_id, .bad_msg_seqno = seq_no, .error_code = code};
  if (code == kBadServerSaltCode) n.new_server_salt = env_.salts->Current(now_unix_ns);
  Enqueue({.body = BuildBadMsgNotification(n), .content = false, .response = true});
}

void ServerSession::Announce(int64_t first_msg_id, int64_t now_unix_ns) {
  announced_ = true;
  Bytes body = BuildNewSessionCreated({.first_msg_id = first_msg_id,
                                       .unique_id = static_cast<int64_t>(crypto::RandomU64(*env_.rng)),
                                       .server_salt = env_.salts->Current(now_unix_ns)});
  Enqueue({.body = std::move(body), .content = true, .response = false});
}

void ServerSession::Accept(int64_t msg_id, int32_t seq_no, ByteView body) {
  const bool content = (seq_no & 1) != 0;
  Received r;
  r.content = content;
  received_[msg_id] = r;
  while (received_.size() > kMaxReceivedRemembered) received_.erase(received_.begin());
  if (msg_id > last_msg_id_) {
    last_msg_id_ = msg_id;
    last_seq_no_ = seq_no;
  }
  if (content && !AnswerIsTheAck(FirstId(body))) {
    pending_acks_.push_back(msg_id);
    if (pending_acks_.size() > kMaxPendingAcks) pending_acks_.erase(pending_acks_.begin());
  }
}

int32_t ServerSession::CheckContained(int64_t msg_id, int32_t seq_no, ByteView body) {
  if ((msg_id & 3) != 0) return kMsgIdBadParity;
  const bool odd = (seq_no & 1) != 0;
  const uint32_t first_id = FirstId(body);
  if (!IsLenientServiceRequest(first_id)) {
    if (!session::IsContentRelated(body)) {
      // Telegram accepts acks with an odd seq_no (mtcute 0.30 sends them so).
      if (odd && first_id != ids::kMsgsAck) return kSeqNoOddForNonContent;
    } else if (!odd) {
      return kSeqNoEvenForContent;
    }
  }
  if (received_.count(msg_id) != 0) return -1;
  if (last_seq_no_ >= 0) {
    if (msg_id > last_msg_id_) {
      if (seq_no < last_seq_no_) return kSeqNoTooLow;
      if (odd && seq_no == last_seq_no_ && (last_seq_no_ & 1) != 0) return kSeqNoTooLow;
    } else if (seq_no > last_seq_no_) {
      return kSeqNoTooHigh;
    }
  }
  absl::Status s = inbound_.CheckWithoutTime(msg_id);
  if (!s.ok()) return absl::IsAlreadyExists(s) ? kMsgTooOld : kMsgIdBadParity;
  return 0;
}

SessionEvents ServerSession::OnMessage(const session::DecryptedMessage& message,
                                       int64_t now_unix_ns) {
  SessionEvents events;
  const session::MessageHeader& h = message.header;

  if ((h.msg_id & 3) != 0) {
    Reject(h.msg_id, h.seq_no, kMsgIdBadParity, now_unix_ns);
    return events;
  }
  const int64_t now_s = now_unix_ns / kNsPerSecond;
  const int64_t id_s = session::UnixSecondsOfMessageId(h.msg_id);
  if (id_s < now_s - session::kMaxAgeSeconds) {
    Reject(h.msg_id, h.seq_no, kMsgIdTooLow, now_unix_ns);
    return events;
  }
  if (id_s > now_s + session::kMaxAheadSeconds) {
    Reject(h.msg_id, h.seq_no, kMsgIdTooHigh, now_unix_ns);
    return events;
  }
  if (!env_.salts->Accepts(h.salt, now_unix_ns)) {
    Reject(h.msg_id, h.seq_no, kBadServerSaltCode, now_unix_ns);
    return events;
  }
  if (FirstId(message.body) == ids::kMsgContainer) {
    if ((h.seq_no & 1) != 0) {
      Reject(h.msg_id, h.seq_no, kSeqNoOddForNonContent, now_unix_ns);
      return events;
    }
    if (received_.count(h.msg_id) != 0) {
      Reject(h.msg_id, h.seq_no, kContainerIdDuplicate, now_unix_ns);
      return events;
    }
    if (!inbound_.CheckWithoutTime(h.msg_id).ok()) {
      Reject(h.msg_id, h.seq_no, kMsgTooOld, now_unix_ns);
      return events;
    }
    received_[h.msg_id] = Received{};
    ++stats_.messages_accepted;
    HandleContainer(message.body, h.msg_id, now_unix_ns, events);
    return events;
  }
  if (int32_t code = CheckContained(h.msg_id, h.seq_no, message.body); code != 0) {
    if (code < 0) {
      ++stats_.duplicates_ignored;
      OnDuplicate(h.msg_id);
    } else {
      Reject(h.msg_id, h.seq_no, code, now_unix_ns);
    }
    return events;
  }
  ++stats_.messages_accepted;
  if (!announced_) Announce(h.msg_id, now_unix_ns);
  Accept(h.msg_id, h.seq_no, message.body);
  Dispatch(message.body, h.msg_id, now_unix_ns, events, 0);
  return events;
}

void ServerSession::HandleContainer(ByteView body, int64_t container_id, int64_t now,
                                    SessionEvents& events) {
  absl::StatusOr<std::vector<session::ContainerItem>> inner =
      session::ParseContainer(body, kMaxContainerMessages);
  if (!inner.ok() || inner->empty()) {
    Reject(container_id, 0, kBadContainer, now);
    return;
  }
  if (!announced_) {
    int64_t first = container_id;
    for (const session::ContainerItem& m : *inner) first = std::min(first, m.msg_id);
    Announce(first, now);
  }
  for (const session::ContainerItem& m : *inner) {
    if (FirstId(m.body) == ids::kMsgContainer) {
      Reject(m.msg_id, m.seq_no, kBadContainer, now);
      continue;
    }
    if (int32_t code = CheckContained(m.msg_id, m.seq_no, m.body); code != 0) {
      if (code < 0) {
        ++stats_.duplicates_ignored;
        OnDuplicate(m.msg_id);
      } else {
        Reject(m.msg_id, m.seq_no, code, now);
      }
      continue;
    }
    Accept(m.msg_id, m.seq_no, m.body);
    Dispatch(m.body, m.msg_id, now, events, 0);
  }
}

void ServerSession::Dispatch(ByteView body, int64_t msg_id, int64_t now, SessionEvents& events,
                             int depth) {
  tl::Reader r(body);
  const uint32_t id = r.ReadUint32();
  if (!r.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  switch (id) {
    case ids::kGzipPacked: {
      absl::StatusOr<ByteView> packed = session::ParseGzipPacked(body);
      absl::StatusOr<Bytes> plain =
          packed.ok() ? compress::GzipOrZlibDecompress(*packed, env_.max_inflated) : packed.status();
      if (!plain.ok() || depth > 0 || plain->size() < 4 || plain->size() % 4 != 0) {
        ++stats_.malformed_ignored;
        Enqueue({.body = session::BuildRpcResult(
                     msg_id, session::BuildRpcError(400, "INPUT_FETCH_ERROR")),
                 .content = true,
                 .response = true,
                 .answers_msg_id = msg_id});
        return;
      }
      Dispatch(*plain, msg_id, now, events, depth + 1);
      return;
    }
    case ids::kMsgsAck: {
      absl::StatusOr<std::vector<int64_t>> acked = session::ParseMsgIdList(body, ids::kMsgsAck);
      if (!acked.ok()) {
        ++stats_.malformed_ignored;
        return;
      }
      for (int64_t a : *acked) unacked_.erase(a);
      return;
    }
    case ids::kPing:
    case ids::kPingDelayDisconnect: {
      const int64_t ping_id = r.ReadInt64();
      const int32_t delay = id == ids::kPingDelayDisconnect ? r.ReadInt32() : 0;
      if (!r.Finish().ok()) {
        ++stats_.malformed_ignored;
        return;
      }
      Enqueue({.body = BuildPong({.msg_id = msg_id, .ping_id = ping_id}),
               .content = true,
               .response = true});
      if (id == ids::kPingDelayDisconnect) events.disconnect_delay_s = std::max(0, delay);
      return;
    }
    case ids::kGetFutureSalts: {
      const int32_t num = r.ReadInt32();
      if (!r.Finish().ok()) {
        ++stats_.malformed_ignored;
        return;
      }
      Bytes salts = BuildFutureSalts({.req_msg_id = msg_id,
                                      .now = static_cast<int32_t>(now / kNsPerSecond),
                                      .salts = env_.salts->Future(now, num)});
      Enqueue({.body = std::move(salts), .content = true, .response = true});
      return;
    }
    case ids::kMsgsStateReq:
    case ids::kMsgResendReq:
    case ids::kMsgResendAnsReq: {
      absl::StatusOr<std::vector<int64_t>> asked = session::ParseMsgIdList(body, id);
      if (!asked.ok() || asked->size() > kMaxIdsPerRequest) {
        ++stats_.malformed_ignored;
        return;
      }
      bool state_info = true;
      if (id == ids::kMsgResendReq) {
        state_info = !ResendMessages(*asked);
      } else if (id == ids::kMsgResendAnsReq) {
        ResendAnswers(*asked);
      }
      if (state_info) {
        Bytes info;
        info.reserve(asked->size());
        for (int64_t q : *asked) info.push_back(StateOf(q));
        Enqueue({.body = session::BuildMsgsStateInfo(msg_id, info), .content = false, .response = true});
      }
      return;
    }
    case ids::kDestroySession: {
      const uint64_t target = r.ReadUint64();
      if (!r.Finish().ok()) {
        ++stats_.malformed_ignored;
        return;
      }
      const bool destroyed =
          target != session_id_ && env_.destroy_other && env_.destroy_other(target);
      Enqueue({.body = BuildDestroySessionResult(
                   {.ok = destroyed, .session_id = static_cast<int64_t>(target)}),
               .content = true,
               .response = true});
      return;
    }
    case ids::kRpcDropAnswer: {
      const int64_t req = r.ReadInt64();
      if (!r.Finish().ok()) {
        ++stats_.malformed_ignored;
        return;
      }
      auto queued = std::find_if(queue_.begin(), queue_.end(),
                                 [&](const Outgoing& o) { return o.answers_msg_id == req; });
      auto sent = answers_.find(req);
      Bytes answer;
      if (queued != queue_.end()) {
        queue_.erase(queued);
        answer = BuildRpcAnswerDroppedRunning();
      } else if (sent != answers_.end()) {
        answer = BuildRpcAnswerDropped(sent->second.msg_id, sent->second.seq_no, sent->second.bytes);
      } else {
        answer = BuildRpcAnswerUnknown();
      }
      Enqueue({.body = session::BuildRpcResult(msg_id, answer),
               .content = true,
               .response = true,
               .answers_msg_id = msg_id});
      return;
    }
    case ids::kHttpWait:
      return;
    case ids::kMsgContainer:
    case ids::kMsgCopy:
      ++stats_.malformed_ignored;
      return;
    default:
      AnswerQuery(body, msg_id, now);
      return;
  }
}

void ServerSession::AnswerQuery(ByteView query, int64_t msg_id, int64_t now) {
  ++stats_.queries;
  auto it = received_.find(msg_id);
  if (it != received_.end()) it->second.rpc = true;
  RpcRequest request;
  request.session = this;
  request.req_msg_id = msg_id;
  request.query = query;
  request.now_unix_ns = now;
  // auth.bindTempAuthKey is the DC's, bare or inside invokeWithLayer /
  // initConnection / invokeWithoutUpdates (its msg_id is the message's).
  constexpr uint32_t kBindTempAuthKeyId = 0xcdd42a05;  // auth.bindTempAuthKey
  absl::StatusOr<WrappedQuery> inner = UnwrapInvoke(query);
  RpcReply reply = inner.ok() && inner->function_id == kBindTempAuthKeyId && env_.bind_temp_key
                       ? env_.bind_temp_key(inner->query, msg_id, now)
                       : env_.handler->Handle(request);
  if (!reply.is_error() && (reply.result.size() < 4 || reply.result.size() % 4 != 0)) {
    reply = RpcReply::Error(500, "RESULT_MALFORMED");
  }
  Bytes result;
  if (reply.is_error()) {
    result = session::BuildRpcResult(
        msg_id, session::BuildRpcError(reply.error_code, reply.error_message));
  } else {
    if (env_.gzip_threshold != 0 && reply.result.size() >= env_.gzip_threshold) {
      absl::StatusOr<Bytes> gz = compress::GzipCompress(reply.result);
      if (gz.ok() && gz->size() + 8 < reply.result.size()) {
        result = session::BuildRpcResult(msg_id, session::BuildGzipPacked(*gz));
      }
    }
    if (result.empty()) result = session::BuildRpcResult(msg_id, reply.result);
  }
  it = received_.find(msg_id);
  if (it != received_.end()) it->second.answered = true;
  Outgoing answer{.body = std::move(result), .content = true, .response = true,
                  .answers_msg_id = msg_id};
  const int64_t delay = env_.answer_delay_ns ? env_.answer_delay_ns() : 0;
  if (delay > 0 || !delayed_.empty()) {
    // Held (slow-answer fault); answers keep their order.
    const int64_t due = std::max(now + delay, delayed_.empty() ? 0 : delayed_.back().first);
    if (delayed_.size() >= env_.max_queued) delayed_.pop_front();
    delayed_.emplace_back(due, std::move(answer));
    return;
  }
  Enqueue(std::move(answer));
}

std::optional<int64_t> ServerSession::NextAnswerDueNs() const {
  if (delayed_.empty()) return std::nullopt;
  return delayed_.front().first;
}

uint8_t ServerSession::StateOf(int64_t msg_id) const {
  auto it = received_.find(msg_id);
  if (it != received_.end()) {
    uint8_t v = 4;
    bool acked = std::find(pending_acks_.begin(), pending_acks_.end(), msg_id) == pending_acks_.end();
    if (it->second.content && acked) v |= 8;
    if (!it->second.content) v |= 16;
    if (it->second.rpc) v |= 32;
    if (it->second.answered) v |= 64;
    return v;
  }
  if (msg_id > last_msg_id_) return 3;
  if (received_.empty() || msg_id < received_.begin()->first) return 1;
  return 2;
}

void ServerSession::set_carrier(uint64_t connection_id) {
  if (connection_id == carrier_) return;
  const bool taken_over = carrier_ != 0 || connection_id != 0;
  carrier_ = connection_id;
  if (connection_id == 0 || !taken_over) return;
  std::vector<int64_t> ids;
  for (const auto& [id, u] : unacked_) ids.push_back(id);
  for (int64_t id : ids) Resend(id);
}

void ServerSession::Resend(int64_t msg_id) {
  auto it = unacked_.find(msg_id);
  if (it == unacked_.end()) return;
  for (const Outgoing& o : queue_) {
    if (o.msg_id == msg_id) return;  // already queued again
  }
  Outgoing o;
  o.body = it->second.body;
  o.msg_id = msg_id;
  o.seq_no = it->second.seq_no;
  o.answers_msg_id = it->second.answers_msg_id;
  queue_.push_back(std::move(o));
}

bool ServerSession::ResendMessages(const std::vector<int64_t>& msg_ids) {
  bool all = true;
  for (int64_t id : msg_ids) {
    if (unacked_.count(id) != 0) {
      Resend(id);
    } else {
      all = false;  // forgotten, acknowledged, never sent, or a client's id
    }
  }
  return all;
}

void ServerSession::ResendAnswers(const std::vector<int64_t>& query_msg_ids) {
  for (int64_t q : query_msg_ids) {
    auto a = answers_.find(q);
    if (a != answers_.end()) Resend(a->second.msg_id);
  }
}

void ServerSession::OnDuplicate(int64_t msg_id) {
  auto a = answers_.find(msg_id);
  if (a != answers_.end()) Resend(a->second.msg_id);
}

void ServerSession::Enqueue(Outgoing out) {
  if (queue_.size() >= env_.max_queued) {
    queue_.pop_front();
    ++stats_.dropped_while_detached;
  }
  queue_.push_back(std::move(out));
}

void ServerSession::Push(Bytes boxed_updates) {
  if (boxed_updates.size() < 4 || boxed_updates.size() % 4 != 0) {
    ++stats_.malformed_ignored;
    return;
  }
  Enqueue({.body = std::move(boxed_updates), .content = true, .response = false});
  if (env_.on_push) env_.on_push();
}

std::vector<Bytes> ServerSession::TakePackets(int64_t now_unix_ns) {
  while (!delayed_.empty() && delayed_.front().first <= now_unix_ns) {
    Enqueue(std::move(delayed_.front().second));
    delayed_.pop_front();
  }
  std::vector<Bytes> packets;
  if (!HasOutput()) return packets;
  struct Stamped {
    int64_t msg_id;
    int32_t seq_no;
    Bytes body;
    bool resent = false;
  };
  std::vector<Stamped> items;
  auto stamp = [&](Bytes body, bool content, bool response) -> Stamped& {
    Stamped s;
    s.msg_id = env_.ids->Next(now_unix_ns, response ? MessageIdGenerator::Kind::kServerResponse
                                               : MessageIdGenerator::Kind::kServerOther);
    s.seq_no = content ? 2 * content_sent_++ + 1 : 2 * content_sent_;
    s.body = std::move(body);
    items.push_back(std::move(s));
    return items.back();
  };
  // Content-related messages stay until the client acknowledges them.
  auto remember = [&](const Stamped& s, int64_t answers) {
    unacked_[s.msg_id] = Unacked{s.body, s.seq_no, answers};
    while (unacked_.size() > kMaxUnacked) unacked_.erase(unacked_.begin());
  };
  for (size_t start = 0; start < pending_acks_.size(); start += kMaxAcksPerMessage) {
    const size_t end = std::min(pending_acks_.size(), start + kMaxAcksPerMessage);
    stamp(session::BuildMsgIdList(ids::kMsgsAck, std::vector<int64_t>(pending_acks_.begin() + start,
                                                                       pending_acks_.begin() + end)),
          false, false);
  }
  pending_acks_.clear();
  while (!queue_.empty()) {
    Outgoing o = std::move(queue_.front());
    queue_.pop_front();
    const int64_t answers = o.answers_msg_id;
    const int32_t size = static_cast<int32_t>(o.body.size());
    if (o.msg_id != 0) {  // a re-send keeps its id and seq_no
      items.push_back(Stamped{o.msg_id, o.seq_no, std::move(o.body), true});
      continue;
    }
    const bool content = o.content;
    Stamped& s = stamp(std::move(o.body), o.content, o.response);
    if (answers != 0) {
      answers_[answers] = {s.msg_id, s.seq_no, size};
      while (answers_.size() > kMaxAnswersRemembered) answers_.erase(answers_.begin());
    }
    if (content) remember(s, answers);
  }

  const uint64_t salt = env_.salts->Current(now_unix_ns);
  auto encrypt = [&](int64_t msg_id, int32_t seq_no, ByteView body) {
    session::MessageHeader h{.salt = salt, .session_id = session_id_, .msg_id = msg_id,
                             .seq_no = seq_no};
    absl::StatusOr<Bytes> p = session::EncryptMessage(
        *env_.key, session::Direction::kServerToClient, h, body, *env_.rng, 1);
    if (p.ok()) packets.push_back(std::move(*p));
  };
  size_t i = 0;
  while (i < items.size()) {
    // Gather a run of messages that fits one container.
    size_t j = i, bytes = 0;
    while (j < items.size() && j - i < kMaxContainerMessages &&
           (j == i || bytes + items[j].body.size() + 16 <= kMaxContainerBytes)) {
      bytes += items[j].body.size() + 16;
      ++j;
    }
    // A message sent again keeps its msg_id, so it goes in a container (as
    // the spec asks): alone, its old id could fail the client's checks.
    if (j - i == 1 && !items[i].resent) {
      encrypt(items[i].msg_id, items[i].seq_no, items[i].body);
    } else {
      std::vector<session::OutgoingMessage> run;
      run.reserve(j - i);
      for (size_t k = i; k < j; ++k) run.push_back({items[k].msg_id, items[k].seq_no, items[k].body});
      const int64_t id = env_.ids->Next(now_unix_ns, MessageIdGenerator::Kind::kServerOther);
      encrypt(id, 2 * content_sent_, session::BuildContainer(run));
    }
    i = j;
  }
  return packets;
}

}  // namespace mtcore::dc
