// The client side of MTProto's auth key exchange, as pure steps.
//
//   req_pq_multi ───────────────▶                   (nonce)
//                ◀─────────────── resPQ            (nonce check; pick a key by
//                                                   fingerprint; factor pq)
//   req_DH_params ──────────────▶                   (p_q_inner_data_dc or
//                                                   _temp_dc under RSA_PAD)
//                ◀─────────────── server_DH_params_ok / _fail
//                                 (nonces, new_nonce_hash, answer SHA1, every
//                                  DH check of the security guidelines)
//   set_client_DH_params ───────▶                   (g_b, retry_id)
//                ◀─────────────── dh_gen_ok / dh_gen_retry / dh_gen_fail
//                                 (new_nonce_hash1/2/3; at most 5 retries)
//
// The object never reads a clock, a socket or a random source: bodies go in
// and out as TL bytes (the caller wraps them in unencrypted messages, see
// core/session/unencrypted_message.h), time comes in as `now_unix_ns` and
// randomness through the RandomSource given at construction. A step that
// takes longer than `step_timeout` fails at OnTimeout().
//
// Output: the auth key, the first server salt (new_nonce[0:8] xor
// server_nonce[0:8]) and the server time offset.
//
// Example:
//   ClientHandshake hs(config, rng);
//   send(hs.Start(now));
//   while (!hs.done()) {
//     MTCORE_ASSIGN_OR_RETURN(std::optional<Bytes> next, hs.OnMessage(body, now));
//     if (next) send(*next);
//   }
//   use(hs.result());
#ifndef MTCORE_CORE_HANDSHAKE_CLIENT_HANDSHAKE_H_
#define MTCORE_CORE_HANDSHAKE_CLIENT_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/rsa_key.h"
#include "core/crypto/random.h"

namespace mtcore::handshake {

struct ClientHandshakeConfig {
  // The server keys this client trusts; the first fingerprint in resPQ that
  // matches one of them is used.
  std::vector<crypto::RsaPublicKey> server_keys;
  // The DC id put in p_q_inner_data_dc (+10000 for test DCs, negative for
  // media DCs).
  int32_t dc_id = 2;
  // A temporary key (p_q_inner_data_temp_dc) valid for this many seconds;
  // 0 for a permanent key.
  int32_t temp_key_expires_in = 0;
  // How long one step may wait for the server.
  int64_t step_timeout_ns = 10'000'000'000;
  // dh_gen_retry answers accepted before giving up.
  int max_retries = 5;
};

struct HandshakeResult {
  std::array<uint8_t, 256> auth_key{};
  uint64_t auth_key_id = 0;
  uint64_t server_salt = 0;
  // server unix time minus ours, in nanoseconds, from server_DH_inner_data.
  int64_t server_time_offset_ns = 0;
  bool temporary = false;
  int32_t expires_at = 0;  // unix time, temporary keys only
};

class ClientHandshake {
 public:
  // `rng` and `prime_cache` must outlive the handshake.
  ClientHandshake(ClientHandshakeConfig config, crypto::RandomSource& rng,
                  crypto::SafePrimeCache& prime_cache);
  ~ClientHandshake();

  // The first body to send (req_pq_multi). FailedPrecondition if called twice.
  absl::StatusOr<Bytes> Start(int64_t now_unix_ns);

  // Takes the body of an unencrypted message from the server. Returns the
  // next body to send, or nullopt when the key is ready (done()). Any error
  // is final: the handshake failed (the message names the check that
  // failed) and the caller should close the connection and start again.
  //   InvalidArgument    not the expected TL object, or nonce mismatch;
  //   NotFound           no trusted key among the server's fingerprints;
  //   DataLoss           bad pq, answer hash, padding, or inner data;
  //   PermissionDenied   a DH check or new_nonce_hash failed;
  //   Aborted            the server refused (server_DH_params_fail,
  //                      dh_gen_fail) or asked for too many retries.
  absl::StatusOr<std::optional<Bytes>> OnMessage(ByteView body, int64_t now_unix_ns);

  // When the current step times out (nullopt when not waiting).
  std::optional<int64_t> NextDeadline() const;

  // DeadlineExceeded if the step's deadline has passed, else OK.
  absl::Status OnTimeout(int64_t now_unix_ns);

  bool done() const;
  // Valid once done().
  const HandshakeResult& result() const;

 private:
  struct State;
  absl::StatusOr<std::optional<Bytes>> Fail(absl::Status s);
  absl::StatusOr<std::optional<Bytes>> OnResPq(ByteView body, int64_t now);
  absl::StatusOr<std::optional<Bytes>> OnServerDhParams(ByteView body, int64_t now);
  absl::StatusOr<std::optional<Bytes>> OnDhGenAnswer(ByteView body, int64_t now);
  absl::StatusOr<Bytes> MakeSetClientDhParams(int64_t now);

  ClientHandshakeConfig config_;
  crypto::RandomSource& rng_;
  crypto::SafePrimeCache& prime_cache_;
  std::unique_ptr<State> s_;
};

}  // namespace mtcore::handshake

#endif  // MTCORE_CORE_HANDSHAKE_CLIENT_HANDSHAKE_H_
