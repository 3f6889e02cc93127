// The server side of the auth key exchange (for mtcore's simulated DC).
//
// Answers req_pq_multi (and the old req_pq) with a fresh server_nonce, a pq
// made of two random 31-bit primes and the fingerprints of its keys;
// decrypts req_DH_params with its RSA private key, under RSA_PAD or (for old
// clients) the legacy padding; accepts p_q_inner_data, _dc, _temp_dc (and
// _temp); sends server_DH_params_ok with its own g_a; checks
// set_client_DH_params (hash, nonces, retry_id, g_b bounds) and answers
// dh_gen_ok, or dh_gen_retry as many times as configured (to exercise
// clients' retry path).
//
// Pure like the client side: bodies in, bodies out, time and randomness
// passed in. Any error means: drop the connection (a real DC answers
// transport error -404 or closes).
//
// Example:
//   ServerHandshake hs(config, rng);
//   MTCORE_ASSIGN_OR_RETURN(Bytes reply, hs.OnMessage(body, now));
//   if (hs.done()) keys.Add(hs.result());
#ifndef MTCORE_CORE_HANDSHAKE_SERVER_HANDSHAKE_H_
#define MTCORE_CORE_HANDSHAKE_SERVER_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"

namespace mtcore::handshake {

struct ServerHandshakeConfig {
  // The keys the server decrypts with (all must outlive the handshake); their
  // fingerprints are offered in resPQ.
  std::vector<const crypto::RsaPrivateKey*> keys;
  // The DH group; defaults to Telegram's prime with g = 3.
  Bytes dh_prime;
  int32_t g = 3;
  // Answer dh_gen_retry this many times before dh_gen_ok.
  int force_retries = 0;
  // Accept the legacy RSA padding (SHA1 + data + random) besides RSA_PAD.
  bool accept_legacy_padding = true;
};

struct ServerHandshakeResult {
  std::array<uint8_t, 256> auth_key{};
  uint64_t auth_key_id = 0;
  uint64_t server_salt = 0;
  int32_t dc_id = 0;          // from p_q_inner_data_dc/_temp_dc (0 if absent)
  bool temporary = false;
  int32_t expires_at = 0;     // temporary keys
  bool legacy_padding = false;  // the client used the legacy RSA padding
  std::string inner_data_name;  // which p_q_inner_data* the client sent
};

class ServerHandshake {
 public:
  ServerHandshake(ServerHandshakeConfig config, crypto::RandomSource& rng);
  ~ServerHandshake();

  // Takes a request body (req_pq_multi, req_pq, req_DH_params,
  // set_client_DH_params) and returns the answer body. Errors (final):
  //   InvalidArgument    unexpected object, nonces, p/q, unknown fingerprint;
  //   DataLoss           encrypted data that does not decrypt or hash;
  //   PermissionDenied   g_b outside the allowed range, wrong retry_id.
  absl::StatusOr<Bytes> OnMessage(ByteView body, int64_t now_unix_ns);

  bool done() const;
  const ServerHandshakeResult& result() const;

 private:
  struct State;
  absl::StatusOr<Bytes> OnReqPq(ByteView body);
  absl::StatusOr<Bytes> OnReqDhParams(ByteView body, int64_t now);
  absl::StatusOr<Bytes> OnSetClientDhParams(ByteView body);

  ServerHandshakeConfig config_;
  crypto::RandomSource& rng_;
  std::unique_ptr<State> s_;
};

}  // namespace mtcore::handshake

#endif  // MTCORE_CORE_HANDSHAKE_SERVER_HANDSHAKE_H_
