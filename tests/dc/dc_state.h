// What one simulated DC keeps across its connections: options and fault
// knobs, the DC clock, the RSA key, the auth key store (with each key's
// salts), the live sessions and which connection carries each, and the
// FakeTLS client randoms recently accepted (replay protection).
//
// Connections (server_connection.h) share one DcState; DataCentre
// (data_centre.h) owns it. Sans-I/O: time comes in as the monotonic
// absl::Time of the StreamEngine calls and becomes the DC's unix time through
// `DcOptions::unix_offset_ns` and the clock-skew fault.
//
// Example:
//   DcState dc(options, rsa_key, handler, rng);
//   int64_t unix_ns = dc.UnixNs(now);
//   if (DcAuthKey* k = dc.FindKey(auth_key_id)) ...
#ifndef MTCORE_TESTS_DC_DC_STATE_H_
#define MTCORE_TESTS_DC_DC_STATE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"
#include "core/handshake/server_handshake.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "tests/dc/rpc_handler.h"
#include "tests/dc/server_salts.h"
#include "tests/dc/server_session.h"

namespace mtcore::dc {

// Fault injection. Zero/false everywhere means a well-behaved DC.
struct DcFaults {
  // Each connection sends at most this many bytes, then closes (the cut may
  // fall inside a packet). 0: never.
  uint64_t close_after_bytes = 0;
  // Each received packet closes the connection with this probability
  // (drawn from the DC's RandomSource) before it is processed.
  double close_probability = 0;
  // Salt window length in seconds (Telegram: 3600); shorter rotates early.
  int64_t salt_period_s = 3600;
  // The DC clock runs this many seconds ahead (negative: behind).
  int64_t clock_skew_s = 0;
  // After every Nth encrypted packet sent on a connection, an old packet of
  // that connection is sent again verbatim (a replay). 0: never.
  uint32_t replay_every_n_packets = 0;
  // Every Nth encrypted packet is sent twice in a row. 0: never.
  uint32_t duplicate_every_n_packets = 0;
  // dh_gen_retry answers before dh_gen_ok in every key exchange.
  int dh_gen_retries = 0;
  // auth.bindTempAuthKey answers ENCRYPTED_MESSAGE_INVALID while the
  // permanent key is younger than this (seconds), as a Telegram DC whose
  // servers have not all learnt a new key yet (why api/pfs gives a key
  // under 60 s old another try). 0: never.
  int64_t bind_perm_key_unknown_for_s = 0;
  // Every rpc_result goes out this long after the query was answered (a
  // slow method; other messages are not held). Read at each answer, so a
  // test may change it between calls. 0: at once.
  int64_t answer_delay_ms = 0;
};

// How far (seconds, either way) a FakeTLS client's clock may be from the DC's.
inline constexpr int32_t kFakeTlsMaxSkewS = 120;

struct DcOptions {
  int dc_id = 1;
  // The DC's unix time = the engine's absl::Time since absl::UnixEpoch()
  // plus this (the driver sets it to wall clock minus monotonic clock).
  int64_t unix_offset_ns = 0;
  // 16-byte MTProxy secret for obfuscated2 connections (empty: none). With a
  // secret set, obfuscated connections must use it; `padded_only` (a `dd`
  // secret) also requires padded intermediate framing.
  Bytes secret;
  bool padded_only = false;
  // FakeTLS (MTProxy `ee` secrets). Non-empty: the TLS domain (1..253
  // letters, digits, '.', '-', '_'; `secret` is then required and is the
  // FakeTLS key). A connection whose first bytes are a TLS handshake record
  // (16 03 01) is FakeTLS: its ClientHello must carry the secret's HMAC, a
  // client time within kFakeTlsMaxSkewS of the DC's clock, this domain as its
  // server_name and a client random the DC has not accepted before; then the
  // obfuscated2 stream (under `secret`) travels inside TLS records.
  // Connections that open otherwise (obfuscated2 with the same secret, or a
  // plain framing) are still served, as mtprotoproxy does with all its modes
  // on, unless `fake_tls_only`.
  std::string fake_tls_domain;
  // Like Telegram's MTProxy once it has a TLS domain: only FakeTLS
  // connections, and inside them only padded intermediate.
  bool fake_tls_only = false;
  // Replay protection: the most ClientHello randoms remembered (per DC); the
  // oldest goes first. A random also goes once 2 * kFakeTlsMaxSkewS have
  // passed (a replay of its hello would fail the time check by then).
  size_t fake_tls_replay_cache = 16384;
  // More packets than this within one second on a connection: transport
  // error -429 and close. 0: unlimited.
  int max_packets_per_second = 1000;
  // Largest transport packet accepted.
  size_t max_packet_size = size_t{4} << 20;
  // Per-session limits (see SessionEnv).
  size_t max_queued_per_session = 1024;
  size_t gzip_threshold = 1024;
  // Most sessions kept per auth key; the least recently used goes first.
  size_t max_sessions_per_key = 64;
  // Most auth keys kept; beyond it the lowest key id (a random one) goes.
  size_t max_auth_keys = 100000;
  DcFaults faults;
};

// One auth key the DC knows.
struct DcAuthKey {
  DcAuthKey(session::AuthKey k, SaltOptions salt_options, crypto::RandomSource& rng)
      : key(std::move(k)), salts(salt_options, rng) {}
  session::AuthKey key;
  ServerSalts salts;
  bool temporary = false;
  int32_t expires_at = 0;  // unix seconds, temporary keys
  int64_t created_at = 0;  // unix seconds
  // PFS: a temporary key's permanent key once auth.bindTempAuthKey bound
  // it (0: unbound), and a permanent key's current temporary key.
  uint64_t bound_to = 0;
  uint64_t bound_temp = 0;
};

class DcState {
 public:
  // `rsa_key`, `handler` and `rng` must outlive the state.
  DcState(DcOptions options, const crypto::RsaPrivateKey& rsa_key, RpcHandler& handler,
          crypto::RandomSource& rng);
  ~DcState();
  DcState(const DcState&) = delete;
  DcState& operator=(const DcState&) = delete;

  const DcOptions& options() const { return options_; }
  DcOptions& mutable_options() { return options_; }
  crypto::RandomSource& rng() { return rng_; }
  RpcHandler& handler() { return handler_; }
  const crypto::RsaPrivateKey& rsa_key() const { return rsa_key_; }

  // The DC clock (offset and skew applied) at monotonic `now`; also
  // remembered as the latest time seen (see LatestUnixNs).
  int64_t UnixNs(absl::Time now);
  // The DC clock at the latest `now` any connection saw.
  int64_t LatestUnixNs() const;
  // The monotonic time at which the DC clock reads `unix_ns`.
  absl::Time MonotonicAt(int64_t unix_ns) const;

  // The handshake configuration (RSA key, forced retries).
  handshake::ServerHandshakeConfig HandshakeConfig() const;

  // Stores a finished key exchange's key (its first salt valid now).
  void AddKey(const handshake::ServerHandshakeResult& result, int64_t now_unix_ns);
  // The key with this id, or null (also for an expired temporary key).
  DcAuthKey* FindKey(uint64_t auth_key_id, int64_t now_unix_ns);
  size_t key_count() const { return keys_.size(); }
  // The -404 fault: every key and its sessions are dropped.
  void ForgetAuthKeys();
  // Temporary keys live in RAM only and may go at any time: every
  // temporary key and its sessions are dropped (their next packet gets
  // -404); permanent keys and their logins stay.
  void ForgetTempKeys();
  // auth.bindTempAuthKey (`query`, sent with `msg_id` on `session_id` of
  // the key `auth_key_id`), with every check; the answer Telegram gives:
  // boolTrue, or 400 TEMP_AUTH_KEY_EMPTY (the calling key is not a
  // temporary one), ENCRYPTED_MESSAGE_INVALID (the permanent key is unknown
  // or temporary, encrypted_message does not decrypt under it or its
  // fields differ from the request's, the calling key's, session's or
  // msg_id), TEMP_AUTH_KEY_ALREADY_BOUND (bound to another permanent key),
  // INPUT_FETCH_ERROR (not a valid auth.bindTempAuthKey).
  RpcReply BindTempKey(uint64_t auth_key_id, uint64_t session_id, ByteView query, int64_t msg_id,
                       int64_t now_unix_ns);
  // The key whose login the key `auth_key_id` acts with (see DcAuthKey::bound_to).
  uint64_t AuthorizationKeyId(uint64_t auth_key_id) const;
  bool IsUnboundTempKey(uint64_t auth_key_id) const;
  // Every session is dropped (the next message of each gets
  // new_session_created again).
  void ForgetSessions();
  // The early salt-rotation fault, for every key.
  void RotateSalts(int64_t now_unix_ns);

  // The session (key, session_id), created if new. `key` must be FindKey's.
  ServerSession& SessionFor(DcAuthKey& key, uint64_t session_id, int64_t now_unix_ns);
  ServerSession* FindSession(uint64_t auth_key_id, uint64_t session_id);
  size_t session_count() const { return sessions_.size(); }

  // FakeTLS replay protection: false if this ClientHello random was
  // accepted before within the cache (a replay); otherwise remembers it and
  // returns true. Bounded by options().fake_tls_replay_cache.
  bool RememberFakeTlsRandom(const std::array<uint8_t, 32>& client_random, int64_t now_unix_ns);
  size_t fake_tls_randoms_kept() const { return tls_randoms_.size(); }

  // Connections: ids, wake-ups for pushes, and detaching their sessions.
  uint64_t NewConnectionId() { return ++last_connection_id_; }
  void SetWaker(uint64_t connection_id, std::function<void()> wake);
  void ConnectionClosed(uint64_t connection_id);
  // Calls `f` for each session the connection carries.
  void ForEachCarried(uint64_t connection_id, const std::function<void(ServerSession&)>& f);

 private:
  using SessionKey = std::pair<uint64_t, uint64_t>;  // auth_key_id, session_id
  struct SessionSlot {
    std::unique_ptr<ServerSession> session;
    int64_t last_used_ns = 0;
  };
  void CloseSession(std::map<SessionKey, SessionSlot>::iterator it);

  DcOptions options_;
  const crypto::RsaPrivateKey& rsa_key_;
  RpcHandler& handler_;
  crypto::RandomSource& rng_;
  absl::Time latest_ = absl::UnixEpoch();
  std::map<uint64_t, std::unique_ptr<DcAuthKey>> keys_;
  std::map<SessionKey, SessionSlot> sessions_;
  std::map<uint64_t, std::function<void()>> wakers_;
  session::MessageIdGenerator server_ids_;
  uint64_t last_connection_id_ = 0;
  // FakeTLS randoms accepted: the set, and the same in arrival order with
  // the DC time of arrival (for eviction).
  std::set<std::array<uint8_t, 32>> tls_randoms_;
  std::deque<std::pair<std::array<uint8_t, 32>, int64_t>> tls_random_order_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_DC_STATE_H_
