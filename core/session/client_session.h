// The client side of an MTProto encrypted session: everything between "here
// is an auth key" and "here is the answer to your request".
//
// A ClientSession lives across connections. It owns the session_id, the
// msg_id clock, seq_no, the server salts, the requests in flight and the
// acknowledgements owed; the engine (core/engine) gives it decrypted-ready
// packets from the transport and takes encrypted packets to send. Like the
// rest of core/ it never reads a clock or a random source: `now` is a
// monotonic instant, and the session converts it to server time with an
// offset that starts from the wall clock given at creation and is corrected
// from the server (bad_msg_notification 16/17, and every server msg_id).
//
// Outgoing: requests queue with Send(); BuildPackets() packs what is ready
// (requests, acks, pings, salt requests, state answers) into one message or a
// msg_container, compressing large requests into gzip_packed, and encrypts.
// Incoming: OnPacket() decrypts and runs every check of the security
// guidelines (auth_key_id, msg_key, lengths, padding, session_id, msg_id
// parity, time window and the 500-id duplicate window), then handles the
// service messages (rpc_result, rpc_error, containers, gzip_packed, msgs_ack,
// bad_msg_notification, bad_server_salt, new_session_created, pong,
// future_salts, msgs_state_req/info, msgs_all_info, msg_detailed_info,
// msg_new_detailed_info, msg_resend_req, destroy_session results) and turns
// the rest into events. msgs_state_req is answered from a bounded history of
// the server messages received (ClientSessionConfig::server_messages_remembered).
//
// Acks: owed acks go out with the next packet, after ack_delay, or once
// max_pending_acks are owed. Acks sent on a connection that breaks before
// the server shows it saw them (by answering or acknowledging something
// sent with or after them), or in a packet the server ignored (bad salt,
// bad msg_id), are sent again: otherwise the server would keep re-sending
// what they acknowledged on every new connection.
//
// Delivery guarantee: every Send() ends in exactly one kResult, kRpcError or
// kFailed event. A request is kept until its answer arrives. Requests go out
// in the order of Send(), within a window (ClientSessionConfig::
// max_requests_in_flight / max_bytes_in_flight) of requests sent and neither
// acknowledged nor answered; the rest wait their turn. After a
// reconnect (OnConnectionLost) requests the server has not acknowledged are
// sent again with their msg_id (so the server can spot the duplicate) or, if
// that id has grown too old, with a new one, as far as the window allows;
// acknowledged ones wait for the server to deliver their answer on the new
// connection. A session reset
// (new_session_created with first_msg_id past a request) resends it too.
// Answers to unknown or already-answered requests are dropped and counted.
//
// Example:
//   ClientSession s(key, salt, session_id, config, now, unix_now_ns);
//   uint64_t id = s.Send(query_bytes, {}, now);
//   for (Bytes& packet : *s.BuildPackets(now, rng)) transport.Send(packet);
//   MTCORE_RETURN_IF_ERROR(s.OnPacket(packet, now));
//   while (auto e = s.PollEvent()) { ... }
#ifndef MTCORE_CORE_SESSION_CLIENT_SESSION_H_
#define MTCORE_CORE_SESSION_CLIENT_SESSION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/session/service_messages.h"

namespace mtcore::session {

// An immutable byte buffer shared between owners: a query the engine keeps
// (to re-submit it on a new auth key) and the session sends is stored once.
using SharedBytes = std::shared_ptr<const Bytes>;

struct ClientSessionConfig {
  // Requests at least this large are sent as gzip_packed when that is smaller.
  size_t gzip_threshold = 1024;
  // Most messages and bytes packed into one container.
  size_t max_container_messages = 64;
  size_t max_container_bytes = 64 * 1024;
  // Acks are sent with the next outgoing packet, or after this delay, or as
  // soon as this many are owed.
  absl::Duration ack_delay = absl::Milliseconds(500);
  size_t max_pending_acks = 32;
  // Keep-alive: a ping_delay_disconnect every ping_interval while connected;
  // no pong within ping_timeout means the connection is dead.
  absl::Duration ping_interval = absl::Seconds(60);
  absl::Duration ping_timeout = absl::Seconds(15);
  int32_t ping_disconnect_delay_s = 75;
  // Salts: ask for more (get_future_salts) when fewer than this many seconds
  // of known salts remain.
  int64_t salt_refill_margin_s = 600;
  // A request whose msg_id is older than this is re-sent with a new id.
  absl::Duration max_resend_age = absl::Seconds(240);
  // The in-flight window: at most this many requests, and this many bytes
  // of request bodies, are on the wire unacknowledged and unanswered at
  // once (0: no limit). Further requests wait in the order of Send() and go
  // out as earlier ones are acknowledged or answered; after a reconnect
  // only what fits is re-sent, oldest first. This is what lets a session
  // finish a long queue over connections that break every few KB: without
  // it every new connection would carry the whole queue again and be cut
  // before any answer came back. Pick it so that a window's worth of
  // requests and their answers fit in what a connection carries before it
  // breaks. A request larger than max_bytes_in_flight still goes out, alone.
  // The byte default lets two 512 KiB upload parts (the largest) overlap.
  size_t max_requests_in_flight = 64;
  size_t max_bytes_in_flight = 1024 * 1024;
  // A request re-sent more than this many times (bad_msg, bad salt, resets)
  // fails with kFailed instead of looping.
  int max_resends = 10;
  // How many received server msg_ids are remembered to answer
  // msgs_state_req (older ones are answered "nothing known").
  size_t server_messages_remembered = 512;
  // Extra random padding blocks per message (0..N), against traffic analysis.
  int max_extra_padding_blocks = 0;
  // Padded intermediate transport: up to 15 trailing bytes after the message.
  bool transport_padding = false;
};

struct SendOptions {
  // Wrap in invokeAfterMsg so the server runs it after the request with
  // this id (an earlier request that is still unanswered when this one
  // first goes out, or it is ignored).
  std::optional<uint64_t> after_request;
  // Never compress (e.g. already-compressed file parts).
  bool no_gzip = false;
  // The body depends on the msg_id it is sent with (auth.bindTempAuthKey's
  // binding message names that msg_id): called each time the request gets
  // a msg_id (its first transmission, and a re-send with a new id); its
  // result replaces the body (no invokeAfterMsg, no gzip). Must keep the
  // body's size.
  std::function<Bytes(int64_t msg_id)> body_for_msg_id;
};

struct SessionEvent {
  enum class Kind {
    kResult,          // request_id, body (the boxed result, decompressed)
    kRpcError,        // request_id, error_code, error_message
    kFailed,          // request_id, status: the session gave up on it
    kUpdates,         // body: a server-initiated object (Updates, ...)
    kNewSession,      // the server started a new session: updates may have
                      // been lost (fetch the difference)
    kTimeAdjusted,    // the server time offset changed by more than 1 s
    kMessageRejected, // status: an incoming message failed a check
    kDestroySession,  // destroy_session result: status OK (destroyed) or NotFound
  };
  Kind kind = Kind::kResult;
  uint64_t request_id = 0;
  Bytes body;
  int32_t error_code = 0;
  std::string error_message;
  absl::Status status;
};

// Counters of what the session dropped or repaired; surfaced, never silent.
struct SessionStats {
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t rejected_decrypt = 0;       // auth_key_id, msg_key, length, padding
  uint64_t rejected_session_id = 0;
  uint64_t rejected_msg_id = 0;        // parity, time window, duplicates
  uint64_t rejected_malformed = 0;     // bad TL in a service message
  uint64_t dropped_unknown_results = 0;  // answer to no request we know
  uint64_t resends = 0;
  uint64_t acks_sent = 0;
  uint64_t bad_msg_notifications = 0;
  uint64_t bad_server_salts = 0;
  uint64_t time_resyncs = 0;
  uint64_t new_sessions = 0;
};

class ClientSession {
 public:
  // `unix_now_ns` is the best known server unix time at `now` (the wall
  // clock corrected by the handshake's server_time offset).
  ClientSession(AuthKey key, uint64_t first_salt, uint64_t session_id,
                ClientSessionConfig config, absl::Time now, int64_t unix_now_ns);

  // Queues a boxed API query; returns its request id (never 0). It is sent by
  // the next BuildPackets() once the requests before it leave room in the
  // window (invokeAfterMsg wrapping and gzip happen then).
  uint64_t Send(Bytes query, const SendOptions& options, absl::Time now);
  // The same with a shared buffer: the session keeps a reference, not a
  // copy (unless invokeAfterMsg or gzip make a new body).
  uint64_t Send(SharedBytes query, const SendOptions& options, absl::Time now);

  // Gives up on a request: it ends with kFailed (status Cancelled) and a
  // rpc_drop_answer is sent if it was already out. False if unknown.
  bool Cancel(uint64_t request_id, absl::Time now);

  // Takes back every request that never went out (no msg_id yet: it waited
  // behind the window): they leave the session without an event, and the
  // caller may send them elsewhere, since the server cannot have seen them.
  // Returns their ids in the order of Send().
  std::vector<uint64_t> TakeUnsent();

  // Asks the server to forget another session of this key (destroy_session).
  void DestroySession(uint64_t session_id, absl::Time now);

  // The encrypted packets ready to go out now (possibly none). Errors are
  // internal (a request too large to encrypt fails with kFailed instead).
  absl::StatusOr<std::vector<Bytes>> BuildPackets(absl::Time now, crypto::RandomSource& rng);

  // Takes one encrypted packet from the server. Errors mean the packet was
  // rejected (counted in stats() and reported as kMessageRejected):
  //   PermissionDenied / DataLoss / InvalidArgument from DecryptMessage:
  //       the connection should be dropped (per the security guidelines);
  //   FailedPrecondition: wrong session_id; OutOfRange / AlreadyExists /
  //       InvalidArgument from the msg_id checks: the message is ignored.
  // An OK return means the packet was accepted (service errors inside, such
  // as a malformed rpc_result, are reported as events).
  absl::Status OnPacket(ByteView packet, absl::Time now);

  // The connection carrying the session ended: what was sent and not
  // acknowledged is queued again; pings in flight are forgotten.
  void OnConnectionLost(absl::Time now);
  // A new connection carries the session from now on.
  void OnConnected(absl::Time now);

  // The next instant BuildPackets or OnTimeout has work (acks due, ping due,
  // ping overdue, salts to refresh), or nullopt.
  std::optional<absl::Time> NextDeadline() const;
  // Advances timers. Returns Unavailable when the connection looks dead (no
  // pong in time): the engine should drop it and reconnect.
  absl::Status OnTimeout(absl::Time now);

  std::optional<SessionEvent> PollEvent();

  // Fails every request still in flight with `why` (the engine gives up:
  // the auth key is gone, or it is shutting down).
  void FailAll(const absl::Status& why);

  // The server unix time (ns) the session believes it is at `now`.
  int64_t ServerUnixNs(absl::Time now) const;

  uint64_t session_id() const { return session_id_; }
  uint64_t salt() const { return salt_; }
  // Requests not yet answered (queued, on the wire, or acknowledged).
  size_t requests_in_flight() const { return requests_.size(); }
  // Requests sent on this connection and neither acknowledged nor answered:
  // what the window counts.
  size_t requests_on_wire() const { return wire_requests_; }
  const SessionStats& stats() const { return stats_; }
  const AuthKey& auth_key() const { return key_; }

 private:
  struct Request {
    uint64_t id = 0;
    SharedBytes body;      // as sent (after gzip / invokeAfterMsg once prepared)
    // Wrapping and compression happen when the request first goes out
    // (it may wait behind the window), so invokeAfterMsg can name the
    // msg_id the earlier request got by then.
    bool prepared = false;
    std::optional<uint64_t> after_request;
    bool no_gzip = false;
    std::function<Bytes(int64_t msg_id)> body_for_msg_id;
    int64_t msg_id = 0;    // 0 until sent
    int32_t seq_no = 0;
    absl::Time first_sent = absl::InfinitePast();
    bool queued = true;    // waiting to be (re)sent (its id is in send_queue_)
    bool acked = false;
    bool on_wire = false;  // counted in the window (sent, not acked, not answered)
    uint64_t sent_round = 0;
    int resends = 0;
  };
  // What a service message we sent was, so a bad_msg_notification or a
  // lost connection can repair it.
  enum class ServiceKind { kOther, kPing, kGetFutureSalts };
  struct OutService {
    Bytes body;
    ServiceKind kind = ServiceKind::kOther;
  };
  // One message placed in a packet being built.
  struct Slot {
    int64_t msg_id = 0;
    int32_t seq_no = 0;
    ByteView body;
  };

  absl::Status HandleMessage(int64_t msg_id, int32_t seq_no, ByteView body, absl::Time now,
                             bool in_container);
  void HandleRpcResult(ByteView body, absl::Time now);
  void HandleBadMsg(ByteView body, absl::Time now);
  void HandleNewSession(ByteView body, absl::Time now);
  void HandleAcks(ByteView body);
  void HandleStateReq(int64_t msg_id, ByteView body);
  // A server message we accepted (for msgs_state_req).
  void RememberReceived(int64_t msg_id, bool needs_ack);
  // The flags of a remembered server message, or nullptr.
  uint8_t* FindReceived(int64_t msg_id);
  const uint8_t* FindReceived(int64_t msg_id) const;
  // msgs_state_info's byte for one server msg_id.
  uint8_t StateOf(int64_t msg_id) const;
  // The server answered or acknowledged a message of ours: acks we sent
  // with or before it on this connection reached it. By a fresh msg_id
  // (pings, salt requests), or by the send round of a request (a re-sent
  // request keeps an older msg_id).
  void ConfirmAcksUpTo(int64_t msg_id);
  void ConfirmAcksUpToRound(uint64_t round);
  void HandleDetailedInfo(ByteView body);
  void HandleResendReq(ByteView body);
  void HandleFutureSalts(ByteView body, absl::Time now);
  void HandlePong(ByteView body, absl::Time now);
  void Dispatch(int64_t msg_id, ByteView body, absl::Time now, int depth);
  absl::Status Reject(absl::Status status, uint64_t SessionStats::*counter);
  void RepairLostMessage(int64_t msg_id, absl::Time now, bool new_msg_id);
  absl::StatusOr<Bytes> Seal(const Slot& slot, crypto::RandomSource& rng);
  void Requeue(Request& r, absl::Time now, bool new_msg_id);
  // invokeAfterMsg and gzip_packed, once, before the first transmission.
  void Prepare(Request& r);
  void Finish(uint64_t request_id, SessionEvent event);
  void AdjustTime(int64_t server_msg_id, absl::Time now);
  int64_t NextMsgId(absl::Time now);
  int32_t NextSeqNo(bool content_related);
  void MaybeSwitchSalt(absl::Time now);
  bool NeedSalts(absl::Time now) const;
  Request* FindByMsgId(int64_t msg_id);
  void MarkQueued(Request& r);
  // The window: whether a request of `bytes` may go out now, and moving a
  // request onto / off the wire (keeps wire_requests_ / wire_bytes_).
  bool WindowHasRoom(size_t bytes) const;
  void PutOnWire(Request& r);
  void TakeOffWire(Request& r);
  // A bad_msg_notification 16/17 about a message still in flight.
  bool IsTimeSyncNotice(ByteView body);
  // Queues acks for the content messages of a duplicate packet.
  void AckDuplicate(const MessageHeader& header, ByteView body, absl::Time now);

  AuthKey key_;
  uint64_t salt_;
  uint64_t session_id_;
  ClientSessionConfig config_;
  // Server unix ns = ToUnixNanos(now) + clock_offset_ns_.
  int64_t clock_offset_ns_;

  MessageIdGenerator msg_ids_;
  InboundMessageIds inbound_{Sender::kServer};
  int32_t content_messages_ = 0;
  std::vector<FutureSalt> future_salts_;

  uint64_t next_request_id_ = 1;
  std::map<uint64_t, Request> requests_;               // by request id, in order
  std::set<uint64_t> send_queue_;                      // ids of queued requests, oldest first
  size_t wire_requests_ = 0;                           // the window's use
  size_t wire_bytes_ = 0;
  absl::flat_hash_map<int64_t, uint64_t> by_msg_id_;   // msg_id -> request id
  // Recent containers: container msg_id -> the msg_ids inside.
  std::deque<std::pair<int64_t, std::vector<int64_t>>> containers_;
  std::vector<int64_t> pending_acks_;
  std::optional<absl::Time> ack_due_;
  std::vector<OutService> service_queue_;                // to send
  absl::flat_hash_map<int64_t, ServiceKind> service_sent_;  // msg_id -> kind, awaiting answer
  // What we received from the server, for msgs_state_req: (msg_id, flags)
  // sorted by msg_id (server ids mostly grow, so inserts append); 16 bytes
  // an entry.
  static constexpr uint8_t kNeedsAck = 1, kAckSent = 2, kAckConfirmed = 4;
  std::deque<std::pair<int64_t, uint8_t>> received_;
  int64_t highest_received_ = 0;
  // Acks sent on this connection that the server has not yet shown it saw
  // (by answering or acknowledging a message we sent with or after them):
  // sent again on the next connection if this one breaks first.
  struct AckBatch {
    int64_t carrier_msg_id = 0;  // the msgs_ack message's id
    uint64_t round = 0;          // the BuildPackets call that sent it
    std::vector<int64_t> ids;
  };
  uint64_t send_round_ = 0;      // BuildPackets calls that sent something
  std::deque<AckBatch> unconfirmed_acks_;
  bool reset_session_pending_ = false;
  bool connected_ = false;
  absl::Time next_ping_ = absl::InfiniteFuture();
  std::optional<int64_t> ping_in_flight_;  // ping_id
  absl::Time ping_sent_ = absl::InfinitePast();
  int64_t next_ping_id_ = 1;
  bool salts_requested_ = false;
  std::deque<SessionEvent> events_;
  SessionStats stats_;
};

}  // namespace mtcore::session

#endif  // MTCORE_CORE_SESSION_CLIENT_SESSION_H_
