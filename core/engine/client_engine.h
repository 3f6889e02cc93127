// The client's MTProto engine: one object that turns "send this query" into
// bytes for a socket and bytes from the socket into answers and updates.
//
// It is the driver contract of core/stream/stream_engine.h plus a request /
// event API, and it composes the pieces of core/:
//
//   socket bytes ─▶ obfuscated2 (AES-CTR) ─▶ FrameDecoder ─▶ packet
//       packet with auth_key_id 0 ─▶ ClientHandshake (until the key exists)
//       encrypted packet          ─▶ ClientSession ─▶ events
//   Send(query) ─▶ ClientSession ─▶ encrypted packets ─▶ FrameEncoder
//       ─▶ obfuscated2 ─▶ PullOutput() ─▶ socket
//
// Sans-I/O: it never reads a clock, a socket or a random source. Every call
// takes the current monotonic time; the wall clock enters once, at Create(),
// and is then corrected from the handshake's server_time and the server's
// msg_ids. Randomness comes from the RandomSource given at Create().
//
// Lifecycle, driven by the driver (native sockets, WebSocket, simulator):
//   OnConnected  -> transport init (+ the handshake's first message if there
//                   is no auth key yet);
//   OnBytes      -> frames -> handshake steps or session packets;
//   PullOutput   -> everything ready to send;
//   NextDeadline / OnTimeout -> handshake step timeouts, acks, pings;
//   OnDisconnected -> the session keeps its requests for the next connection.
// The engine asks for the connection to be closed (WantsClose) when it is
// no longer usable: a transport error from the server, a packet that fails
// decryption, a handshake failure, a connection that stopped answering pings.
// The driver closes it, reconnects (with backoff) and calls OnConnected.
//
// Perfect Forward Secrecy (EngineConfig::pfs, core.telegram.org/api/pfs):
// the auth key kept (auth_key(), EngineConfig::auth_key) is the permanent
// one, made once as without PFS, and never carries a message: each session
// runs over a temporary key (p_q_inner_data_temp_dc) that the engine binds
// to the permanent key with auth.bindTempAuthKey before anything else
// (requests wait until kTempKeyBound).
//
// Renewal ("a new key can also be generated in advance", api/pfs): when
// PfsConfig::renew_before_s of the key's life remain, the next temporary
// key is made on the same connection (its unencrypted exchange interleaved
// with the current session's packets) while the current key keeps serving
// requests. Once it exists, a new session on it sends the binding; from
// then until the answer new requests wait (a request sent on the old key
// after the binding would reach the DC after it, when the old key no
// longer carries the login), and requests still waiting behind the old
// session's window are taken back, unsent. Once bound, new requests go over
// the new key; those in flight on the old key are answered on the old key
// (its session lives on beside the new one until they are, acknowledging
// and re-sending on its own key as any session does). Nothing that may
// have reached the DC is sent again on another key, with two precise
// exceptions: a request the DC refuses on the old key with 401
// AUTH_KEY_PERM_EMPTY was not executed (the refusal says so) and goes
// again on the new key (EngineStats::renewal_resends); and a request still
// unanswered when the old key is about to expire ends in kRequestFailed
// with StatusCode::kUnknown, "the DC may have executed it", never re-sent
// (EngineStats::renewal_unknown_outcome). A temporary key the server lost
// (-404), or one that expired while the engine was disconnected, is
// replaced at once and every unanswered request is sent again on the next
// one, as after a lost key without PFS.
//
// A refused binding is kBindFailed. ENCRYPTED_MESSAGE_INVALID is handled as
// core.telegram.org/api/pfs prescribes (and TDLib does, Session's bind
// result: a main key younger than 60 s of server time is "immune"): if and
// only if the permanent key was created more than 60 seconds ago (server
// time; a key given in EngineConfig::auth_key with created_at 0 counts as
// old) the DC really does not know it: it is dropped, with the login it
// carried, and a new permanent key is made. A younger key may simply not
// have reached every server of the DC yet: it is kept, and a new temporary
// key is made and bound after 1, 2, 4 ... 32 s, until the binding works or
// the key is older than 60 s (then dropped as above); these retries end by
// themselves and do not count towards max_handshake_failures. Any other
// refusal is retried the same way and counts: max_handshake_failures in a
// row are kFatal.
//
// Requests: Send() may be called at any time, even before the auth key
// exists (the request waits). Each ends in exactly one kResult, kRpcError or
// kRequestFailed event, across reconnects, salt changes, session resets and
// a lost auth key (-404: a new key is made and unanswered requests are sent
// again on it).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto engine, ClientEngine::Create(config, rng, now, unix_now));
//   uint64_t id = engine->Send(*tl::Serialize(query));
//   ... the driver runs the engine ...
//   while (std::optional<EngineEvent> e = engine->PollEvent()) {
//     if (e->kind == EngineEvent::Kind::kResult && e->request_id == id) ...
//   }
#ifndef MTCORE_CORE_ENGINE_CLIENT_ENGINE_H_
#define MTCORE_CORE_ENGINE_CLIENT_ENGINE_H_

#include <cstdint>
#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/random.h"
#include "core/handshake/client_handshake.h"
#include "core/session/client_session.h"
#include "core/stream/stream_engine.h"
#include "core/transport/fake_tls.h"
#include "core/transport/framing.h"
#include "core/transport/obfuscated2.h"

namespace mtcore::engine {

// An auth key worth keeping between runs (persist it; give it back in
// EngineConfig::auth_key to skip the handshake next time).
struct StoredAuthKey {
  Bytes key;             // 256 bytes; wiped when this is destroyed
  uint64_t salt = 0;     // the last known server salt
  // When the key was made, server unix seconds; 0: unknown (PFS treats an
  // unknown age as older than a minute; see ENCRYPTED_MESSAGE_INVALID above).
  int64_t created_at = 0;

  StoredAuthKey() = default;
  StoredAuthKey(Bytes k, uint64_t s, int64_t created = 0)
      : key(std::move(k)), salt(s), created_at(created) {}
  StoredAuthKey(const StoredAuthKey&) = default;
  StoredAuthKey& operator=(const StoredAuthKey& o) {
    if (this != &o) {
      SecureWipe(absl::MakeSpan(key));
      key = o.key;
      salt = o.salt;
      created_at = o.created_at;
    }
    return *this;
  }
  StoredAuthKey(StoredAuthKey&&) = default;
  StoredAuthKey& operator=(StoredAuthKey&& o) noexcept {
    if (this != &o) {
      SecureWipe(absl::MakeSpan(key));
      key = std::move(o.key);
      salt = o.salt;
      created_at = o.created_at;
    }
    return *this;
  }
  ~StoredAuthKey() { SecureWipe(absl::MakeSpan(key)); }
};

// Perfect Forward Secrecy: sessions over temporary keys bound to the
// permanent key.
struct PfsConfig {
  // Off: sessions use the permanent key directly (the default).
  bool enabled = false;
  // expires_in of each temporary key, in seconds.
  int32_t temp_key_lifetime_s = 24 * 3600;
  // Renewal starts when this little of the key's life remains (at most half
  // its lifetime): the next key is made and bound while this one serves
  // requests, then new requests go over the next one (see the file comment).
  int32_t renew_before_s = 600;
};

struct EngineConfig {
  transport::Framing framing = transport::Framing::kIntermediate;
  // obfuscated2 around the framing (not with kFull).
  bool obfuscated = true;
  // A 16-byte MTProxy secret (obfuscation keys are mixed with it); empty
  // for a direct connection. Implies obfuscated.
  Bytes proxy_secret;
  // FakeTLS (an MTProxy `ee` secret: 0xee + the 16-byte proxy_secret + this
  // domain): each connection opens with a TLS ClientHello for the domain,
  // checks the proxy's HMAC-signed answer, and then carries the obfuscated2
  // stream in TLS application-data records (core/transport/fake_tls.h).
  // Needs proxy_secret; implies padded intermediate framing unless abridged
  // was chosen. Empty: no FakeTLS.
  std::string fake_tls_domain;
  // The DC this engine talks to: written into the obfuscated init and into
  // p_q_inner_data_dc (+10000 for test DCs, negative for media DCs).
  int16_t dc_id = 2;
  // The server keys to trust for the handshake.
  std::vector<crypto::RsaPublicKey> server_keys;
  // Skip the handshake with a known key (with pfs: the permanent key; a
  // temporary key is still made and bound).
  std::optional<StoredAuthKey> auth_key;
  PfsConfig pfs;
  // How long one handshake step may wait.
  absl::Duration handshake_step_timeout = absl::Seconds(10);
  // Consecutive failed handshakes before the engine gives up (kFatal, every
  // request fails).
  int max_handshake_failures = 5;
  session::ClientSessionConfig session;
  // Applied to the first request each new session carries: after a new
  // auth key (the requests a lost key left unanswered included) and after
  // the server reports new_session_created. The typed client wraps it in
  // invokeWithLayer + initConnection, which Telegram needs on every new
  // session. The request keeps its id; only the bytes sent change. Empty:
  // requests go as given.
  std::function<Bytes(ByteView query)> wrap_first_request;
};

struct EngineEvent {
  enum class Kind {
    kAuthKeyReady,      // a new auth key exists (auth_key() to persist it)
    kResult,            // request_id, body: the boxed result
    kRpcError,          // request_id, error_code, error_message
    kRequestFailed,     // request_id, status
    kUpdates,           // body: a server-initiated object (Updates, ...)
    kSessionReset,      // a new session: updates may have been missed
    kTimeAdjusted,      // the server time offset changed
    kTransportError,    // error_code: -404 (auth key unknown), -429 (flood)...
    kMessageRejected,   // status: an incoming message failed a security check
    kReconnectAdvised,  // status: why this connection is being closed
    kFatal,             // status: the engine cannot continue (every request failed)
    kTempKeyBound,      // PFS: a temporary key is bound; requests flow (error_code:
                        // the key's expires_at, server unix seconds)
    kBindFailed,        // PFS: auth.bindTempAuthKey refused (error_code,
                        // error_message, status); a new temporary key follows
  };
  Kind kind = Kind::kResult;
  uint64_t request_id = 0;
  Bytes body;
  int32_t error_code = 0;
  std::string error_message;
  absl::Status status;
};

struct EngineStats {
  uint64_t connections = 0;
  uint64_t handshakes = 0;
  uint64_t handshake_failures = 0;
  uint64_t transport_errors = 0;
  uint64_t temp_keys_bound = 0;   // PFS bindings that succeeded
  uint64_t bind_failures = 0;
  uint64_t temp_key_renewals = 0;  // PFS keys replaced before they expired
  uint64_t renewal_resends = 0;    // requests the DC refused unexecuted on a replaced key
                                   // (401 AUTH_KEY_PERM_EMPTY), sent again on the next one
  uint64_t renewal_unknown_outcome = 0;  // requests unanswered when a replaced key expired
                                         // (kRequestFailed, kUnknown; never re-sent)
  uint64_t perm_key_drops = 0;     // permanent keys dropped after ENCRYPTED_MESSAGE_INVALID
  uint64_t bind_retries_young_key = 0;  // bindings refused for a permanent key under 60 s
                                        // old, retried with a new temporary key
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

class ClientEngine : public StreamEngine {
 public:
  // `rng` must outlive the engine. `now` is the monotonic time, `unix_now_ns`
  // the wall clock at that instant (the only time the engine is told it).
  // Errors: InvalidArgument for a config that cannot work (no server keys
  // and no auth key, full framing with obfuscation, a bad secret or key).
  static absl::StatusOr<std::unique_ptr<ClientEngine>> Create(EngineConfig config,
                                                              crypto::RandomSource& rng,
                                                              absl::Time now,
                                                              int64_t unix_now_ns);
  ~ClientEngine() override;

  // Queues a boxed API query (TL bytes); returns its request id (never 0).
  uint64_t Send(Bytes query, const session::SendOptions& options = {});
  // The same for a query the caller keeps too (e.g. to send it again).
  uint64_t Send(session::SharedBytes query, const session::SendOptions& options = {});
  // Gives up on a request (one kRequestFailed with Cancelled follows).
  bool Cancel(uint64_t request_id);

  std::optional<EngineEvent> PollEvent();
  bool has_events() const { return !events_.empty(); }

  // The auth key to persist (with pfs the permanent key, never a temporary
  // one), or nullopt before the first one.
  std::optional<StoredAuthKey> auth_key() const;
  // True once the auth key exists and a connection carries the session
  // (with pfs: and its temporary key is bound).
  bool ready() const {
    return session_ != nullptr && connected_ && (!config_.pfs.enabled || bound_);
  }
  // PFS: the temporary key's id and expiry (server unix seconds), 0 when
  // none is in use.
  uint64_t temp_key_id() const;
  int32_t temp_key_expires_at() const { return session_ != nullptr ? temp_expires_at_ : 0; }
  size_t requests_in_flight() const { return requests_.size(); }
  const EngineStats& stats() const { return stats_; }
  // The session's counters (zeros before the first auth key).
  session::SessionStats session_stats() const;
  // Server unix time in ns as the engine believes it at `now`.
  int64_t ServerUnixNs(absl::Time now) const;

  // StreamEngine.
  void OnConnected(absl::Time now) override;
  absl::Status OnBytes(ByteView in, absl::Time now) override;
  void PullOutput(Bytes& out) override;
  bool WantsClose() const override { return close_requested_; }
  std::optional<absl::Time> NextDeadline() override;
  void OnTimeout(absl::Time now) override;
  void OnDisconnected(const absl::Status& why, absl::Time now) override;

 private:
  struct PendingRequest {
    // Shared with the session carrying it: one buffer however large, kept
    // here so a lost auth key (-404) can re-submit it to the next session.
    session::SharedBytes query;
    session::SendOptions options;
    uint64_t session_request_id = 0;  // 0 while no session carries it
    bool on_old = false;  // carried by old_session_ (a replaced temporary key)
  };

  ClientEngine(EngineConfig config, crypto::RandomSource& rng, absl::Time now,
               int64_t unix_now_ns);
  absl::Status HandleFrame(transport::Frame frame, absl::Time now);
  // FakeTLS input: the proxy's answer, then records; `stream` gets the
  // obfuscated2 bytes they carry.
  absl::Status UnwrapTls(ByteView in, Bytes& stream);
  absl::Status HandleHandshakePacket(ByteView packet, absl::Time now);
  void StartHandshake(absl::Time now);
  void StartSession(Bytes key, uint64_t salt, absl::Time now);
  void SubmitPending(absl::Time now);
  void DrainSessionEvents();
  void QueuePacket(ByteView packet);
  void CloseConnection(absl::Status why);
  void HandshakeFailed(absl::Status why);
  void DropAuthKey(absl::Status why);
  // PFS.
  // Sends auth.bindTempAuthKey for `s`'s key (expiring at `expires_at`).
  void SendBind(session::ClientSession& s, int32_t expires_at, absl::Time now);
  void OnBindAnswer(session::SessionEvent se);
  // The next temporary key exists: a session on it sends the binding while
  // the current one keeps serving what it carries.
  void StartNextSession(Bytes key, uint64_t salt, int32_t expires_at, absl::Time now);
  // Forgets every temporary key's session (current, next, replaced); their
  // unanswered requests wait for the next one.
  void RetireSession(absl::Time now);
  // The replaced key's session ends: what it still carries fails with
  // kUnknown (the DC may have executed it).
  void EndOldSession();
  void RememberRetired(uint64_t key_id);
  bool IsRetired(uint64_t key_id) const;
  // Starts renewing the temporary key when due, retries a refused binding,
  // ends the replaced key's session before it expires.
  void MaybeRenew(absl::Time now);
  // A refused binding: what the rules in the file comment say to do.
  void BindRefused(const session::SessionEvent& se, absl::Status why);
  // Drains one session's events; `superseded`: its key has been (or is
  // being) replaced, so 401 AUTH_KEY_PERM_EMPTY means "not executed, send
  // it again on the next key".
  void DrainOne(session::ClientSession& s, absl::flat_hash_map<uint64_t, uint64_t>& ids,
                bool superseded, bool current);
  // A handshake that stops the session (the permanent key, or a temporary
  // key with no bound session to keep serving).
  bool blocking_handshake() const {
    return handshake_ != nullptr && handshake_kind_ != HandshakeKind::kNextTemp;
  }
  void FailEverything(absl::Status why);
  // Server unix seconds -> monotonic time.
  absl::Time FromServerUnix(int64_t unix_s) const;
  int32_t RenewMargin() const;
  // How long before its expiry a replaced key's session ends, and a key
  // found on reconnect counts as expired.
  int32_t OldKeyGrace() const;
  void Emit(EngineEvent e) { events_.push_back(std::move(e)); }
  int64_t UnixNs(absl::Time now) const;

  EngineConfig config_;
  crypto::RandomSource& rng_;
  crypto::SafePrimeCache primes_;
  int64_t clock_offset_ns_;  // unix ns = ToUnixNanos(monotonic) + offset
  absl::Time last_now_;

  // The connection.
  bool connected_ = false;
  bool close_requested_ = false;
  std::optional<transport::FrameEncoder> encoder_;
  std::optional<transport::FrameDecoder> decoder_;
  std::optional<transport::ObfuscatedStream> obfuscation_;
  Bytes out_;  // the obfuscated2 stream (inside TLS records with FakeTLS)
  // FakeTLS: the hello is sent first; the stream waits in out_ until the
  // proxy's answer is checked.
  enum class Tls { kOff, kAwaitingServerHello, kEstablished };
  Tls tls_ = Tls::kOff;
  Bytes tls_hello_out_;                       // the ClientHello, not yet pulled
  std::array<uint8_t, 32> tls_client_random_{};
  Bytes tls_in_;                              // the proxy's answer so far
  std::optional<transport::TlsRecordWriter> tls_writer_;
  std::optional<transport::TlsRecordReader> tls_reader_;

  // The handshake (while there is no key) and the session (after).
  std::unique_ptr<handshake::ClientHandshake> handshake_;
  int64_t handshake_msg_id_ = 0;
  int handshake_failures_ = 0;
  std::unique_ptr<session::ClientSession> session_;
  bool wrap_next_ = true;  // the next request submitted opens a session
  uint64_t wrapped_request_ = 0;  // the request that opened the current one
  bool fatal_ = false;

  // PFS: the permanent key (never used for messages), whether the running
  // handshake makes a temporary key, the bound state of the session's key.
  std::optional<Bytes> perm_key_;
  uint64_t perm_key_id_ = 0;
  uint64_t perm_salt_ = 0;
  int64_t perm_created_at_ = 0;  // server unix seconds; 0: unknown (old)
  enum class HandshakeKind { kPermanent, kTemp, kNextTemp };
  HandshakeKind handshake_kind_ = HandshakeKind::kPermanent;
  int32_t temp_expires_at_ = 0;
  uint64_t bind_request_ = 0;  // auth.bindTempAuthKey in flight (on next_session_ if any)
  bool bound_ = false;
  bool renewing_ = false;      // the next temporary key is being made or bound
  // The next temporary key's session while it carries only its binding.
  std::unique_ptr<session::ClientSession> next_session_;
  int32_t next_expires_at_ = 0;
  // The replaced key's session, until what it carries is answered.
  std::unique_ptr<session::ClientSession> old_session_;
  int32_t old_expires_at_ = 0;
  absl::flat_hash_map<uint64_t, uint64_t> old_by_session_id_;
  std::deque<uint64_t> retired_key_ids_;  // late packets on these keys are dropped
  std::optional<absl::Time> bind_retry_at_;  // after a refused binding: the next key then
  int young_key_retries_ = 0;
  int bind_failures_ = 0;
  std::optional<session::SessionEvent> bind_outcome_;  // handled after draining events

  uint64_t next_request_id_ = 1;
  std::map<uint64_t, PendingRequest> requests_;
  std::vector<uint64_t> unsubmitted_;  // requests no session carries yet, in order
  absl::flat_hash_map<uint64_t, uint64_t> by_session_id_;  // session request id -> ours
  std::deque<EngineEvent> events_;
  EngineStats stats_;
};

}  // namespace mtcore::engine

#endif  // MTCORE_CORE_ENGINE_CLIENT_ENGINE_H_
