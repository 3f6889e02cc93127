// One encrypted MTProto session on the simulated DC (an auth key plus a
// session_id), server side and sans-I/O.
//
// The connection decrypts a packet (core/session DecryptMessage) and hands
// the message to the session named by its session_id. The session then makes
// every check a server makes and answers like Telegram's DCs:
//   - msg_id parity, time window (300 s back, 30 s ahead of the DC clock),
//     duplicates and age, seq_no order and parity: bad_msg_notification with
//     codes 16/17/18/19/20/32/33/34/35/64 (containers: 64);
//   - a salt that is not the key's current one: bad_server_salt (48) with the
//     right salt;
//   - the first accepted message of a new session_id: new_session_created;
//   - msg_container and gzip_packed unwrapped; msgs_ack accepted;
//   - ping -> pong, ping_delay_disconnect -> pong plus a disconnect deadline
//     for the carrying connection, get_future_salts -> future_salts,
//     msgs_state_req -> msgs_state_info, destroy_session (of another session
//     of the same key) -> destroy_session_ok/none, rpc_drop_answer, http_wait
//     ignored;
//   - msg_resend_req: every listed message the session still holds
//     unacknowledged is sent again with its msg_id and seq_no; if any is not
//     held (forgotten, acknowledged, never sent, or a client's id), also
//     msgs_state_info for the whole list, as for msgs_state_req;
//   - msg_resend_ans_req: the unacknowledged answers to the listed queries
//     again, and msgs_state_info for the whole list;
//   - every other body is an API query for the RpcHandler, answered with
//     rpc_result (rpc_error for errors, gzip_packed results >= 1 KiB when
//     that is smaller).
// Content-related messages are acknowledged in a msgs_ack that rides along
// with the next outgoing packet, except the service requests whose answer is
// the acknowledgment (ping, ping_delay_disconnect, get_future_salts,
// msgs_state_req, msg_resend_req, msg_resend_ans_req, destroy_session): like
// Telegram, the DC sends no msgs_ack for those.
//
// Outgoing messages (answers, pushes from the world via SessionPort::Push)
// are queued; TakePackets() stamps them with server msg_ids (1 mod 4 for
// answers, 3 mod 4 otherwise) and seq_nos (odd for content-related), packs
// up to 1020 into one msg_container and encrypts. The queue holds at most
// SessionEnv::max_queued messages (the oldest is dropped); a carried
// session's queue is flushed after every engine call, so it is the queue of
// a session no connection carries that fills up.
//
// Seq_no parity leniency: API queries, msgs_ack and containers must have the
// right parity; the MTProto service requests (ping, get_future_salts, ...)
// are accepted with either, since clients disagree on them.
//
// Example:
//   ServerSession s(env, auth_key_id, session_id);
//   SessionEvents ev = s.OnMessage(decrypted, now_unix_ns);
//   for (Bytes& p : s.TakePackets(now_unix_ns)) send(p);
#ifndef MTCORE_TESTS_DC_SERVER_SESSION_H_
#define MTCORE_TESTS_DC_SERVER_SESSION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "tests/dc/rpc_handler.h"
#include "tests/dc/server_salts.h"

namespace mtcore::dc {

// What a session needs from its DC. Pointers must outlive the session.
struct SessionEnv {
  int dc_id = 1;
  RpcHandler* handler = nullptr;
  crypto::RandomSource* rng = nullptr;
  const session::AuthKey* key = nullptr;
  ServerSalts* salts = nullptr;  // the auth key's
  // The DC's server msg_id source, shared by its sessions so that ids keep
  // growing when a session is forgotten and made again.
  session::MessageIdGenerator* ids = nullptr;
  // A push arrived (the carrying connection should flush). May be empty.
  std::function<void()> on_push;
  // destroy_session of another session of the same key: true if it existed.
  std::function<bool(uint64_t session_id)> destroy_other;
  // Most messages queued (the oldest is dropped beyond it).
  size_t max_queued = 1024;
  // Results at least this long are sent gzip_packed when that is smaller
  // (0: never).
  size_t gzip_threshold = 1024;
  // Largest inflated gzip_packed request accepted.
  size_t max_inflated = size_t{16} << 20;
  // PFS (DcState sets these). auth.bindTempAuthKey sent on this session
  // (query, its msg_id) is answered by `bind_temp_key` instead of the
  // handler, bare or wrapped (invoke_wrappers.h: `query` is then the
  // function inside, `msg_id` still the message's; the wrappers' layer and
  // client info are not recorded, the next wrapped request records them); `authorization_key_id` names the key whose login the session
  // acts with, `unbound_temp_key` whether it is a temporary key bound to
  // nothing. Empty: the session's own key, never a temporary one.
  std::function<RpcReply(ByteView query, int64_t msg_id, int64_t now_unix_ns)> bind_temp_key;
  std::function<uint64_t()> authorization_key_id;
  std::function<bool()> unbound_temp_key;
  // The slow-answer fault (DcFaults::answer_delay_ms): how long each
  // rpc_result waits before it may go out, asked when the query is
  // answered. Empty or 0: at once.
  std::function<int64_t()> answer_delay_ns;
};

// What the carrying connection must do after a message.
struct SessionEvents {
  // ping_delay_disconnect: close the connection this many seconds from now
  // unless another one arrives.
  std::optional<int32_t> disconnect_delay_s;
};

// Counters for tests and logs.
struct SessionStats {
  uint64_t messages_accepted = 0;   // top-level messages that passed the checks
  uint64_t messages_rejected = 0;   // answered with bad_msg/bad_server_salt
  uint64_t duplicates_ignored = 0;
  uint64_t malformed_ignored = 0;   // undecodable service messages
  uint64_t queries = 0;             // handed to the RpcHandler
  uint64_t dropped_while_detached = 0;
};

class ServerSession final : public SessionPort {
 public:
  ServerSession(SessionEnv env, uint64_t auth_key_id, uint64_t session_id);
  ~ServerSession() override;

  // One decrypted message whose session_id is this session's.
  SessionEvents OnMessage(const session::DecryptedMessage& message, int64_t now_unix_ns);

  // Every queued message (and pending acks), encrypted into packets. Empty
  // when nothing is queued. Encryption failures cannot happen for well-formed
  // bodies; a body that fails is dropped.
  std::vector<Bytes> TakePackets(int64_t now_unix_ns);
  bool HasOutput() const { return !queue_.empty() || !pending_acks_.empty(); }
  // When the first answer held by the slow-answer fault may go out (DC unix
  // ns), or nullopt: the carrying connection wakes then.
  std::optional<int64_t> NextAnswerDueNs() const;

  // Which connection carries the session (0: none).
  uint64_t carrier() const { return carrier_; }
  // A different connection taking the session over gets every message the
  // client has not acknowledged again (the old connection may have lost
  // them), with their original msg_ids so the client can drop duplicates.
  void set_carrier(uint64_t connection_id);

  const SessionStats& stats() const { return stats_; }

  // Replaces SessionEnv::on_push.
  void SetPushListener(std::function<void()> on_push) { env_.on_push = std::move(on_push); }

  // SessionPort.
  void Push(Bytes boxed_updates) override;
  int dc_id() const override { return env_.dc_id; }
  uint64_t auth_key_id() const override { return auth_key_id_; }
  uint64_t session_id() const override { return session_id_; }
  uint64_t authorization_key_id() const override {
    return env_.authorization_key_id ? env_.authorization_key_id() : auth_key_id_;
  }
  bool unbound_temp_key() const override {
    return env_.unbound_temp_key ? env_.unbound_temp_key() : false;
  }

 private:
  struct Outgoing {
    Bytes body;
    bool content = true;
    bool response = false;          // msg_id 1 mod 4
    int64_t answers_msg_id = 0;     // rpc_result: the query's msg_id
    int64_t msg_id = 0;             // a re-send: the original msg_id and seq_no
    int32_t seq_no = 0;
  };
  // A content-related message sent and not yet acknowledged by the client.
  struct Unacked {
    Bytes body;
    int32_t seq_no = 0;
    int64_t answers_msg_id = 0;
  };
  struct Received {
    bool content = false;
    bool acked = false;
    bool rpc = false;
    bool answered = false;
  };
  struct SentAnswer {
    int64_t msg_id = 0;
    int32_t seq_no = 0;
    int32_t bytes = 0;
  };

  // The checks after the time window and the salt, for a message outside or
  // inside a container: seq_no parity, duplicates, seq_no order, the
  // duplicate window. 0 to accept, -1 to ignore a duplicate, else a bad_msg
  // code.
  int32_t CheckContained(int64_t msg_id, int32_t seq_no, ByteView body);
  void Announce(int64_t first_msg_id, int64_t now_unix_ns);
  void Reject(int64_t msg_id, int32_t seq_no, int32_t code, int64_t now_unix_ns);
  // Remembers an accepted message; content-related ones (odd seq_no) get a
  // msgs_ack unless their answer acknowledges them.
  void Accept(int64_t msg_id, int32_t seq_no, ByteView body);
  void Dispatch(ByteView body, int64_t msg_id, int64_t now, SessionEvents& events, int depth);
  void HandleContainer(ByteView body, int64_t msg_id, int64_t now, SessionEvents& events);
  void AnswerQuery(ByteView query, int64_t msg_id, int64_t now);
  void Enqueue(Outgoing out);
  // Queues an unacknowledged message again with its msg_id.
  void Resend(int64_t msg_id);
  // msg_resend_req: re-sends each listed message the session still holds
  // unacknowledged; true if it held all of them.
  bool ResendMessages(const std::vector<int64_t>& msg_ids);
  // msg_resend_ans_req: re-sends the unacknowledged answers to the listed
  // queries.
  void ResendAnswers(const std::vector<int64_t>& query_msg_ids);
  // A query the client sent again: re-send its answer if the client never
  // acknowledged it.
  void OnDuplicate(int64_t msg_id);
  uint8_t StateOf(int64_t msg_id) const;

  SessionEnv env_;
  uint64_t auth_key_id_;
  uint64_t session_id_;
  uint64_t carrier_ = 0;
  bool announced_ = false;  // new_session_created sent
  session::InboundMessageIds inbound_{session::Sender::kClient};
  int32_t content_sent_ = 0;
  int64_t last_msg_id_ = 0;  // highest accepted client msg_id, with its seq_no
  int32_t last_seq_no_ = -1;
  std::map<int64_t, Received> received_;  // bounded
  std::map<int64_t, SentAnswer> answers_;  // query msg_id -> answer, bounded
  std::deque<Outgoing> queue_;
  std::deque<std::pair<int64_t, Outgoing>> delayed_;  // (due DC unix ns, answer), in due order
  std::map<int64_t, Unacked> unacked_;  // by server msg_id, bounded
  std::vector<int64_t> pending_acks_;
  SessionStats stats_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_SERVER_SESSION_H_
