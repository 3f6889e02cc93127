// A simulated Telegram data centre, and a cluster of five of them.
//
// DataCentre bundles one DC's state (dc_state.h: options and faults, RSA key,
// auth keys, salts, sessions) and hands out a ServerConnection (a
// StreamEngine) for every connection a client opens. Whatever moves the
// bytes (io/native EngineDriver::Serve in testdc, an in-memory pipe in tests,
// the simulator) drives it. The Telegram world behind the DC is an
// RpcHandler (rpc_handler.h); a Cluster of DCs 1..5 shares one world, one RSA
// key and one RandomSource.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto cluster, Cluster::Create(options, rsa_key, world, rng));
//   std::unique_ptr<ServerConnection> conn = cluster->dc(2).Accept(now);
//   // drive *conn as a StreamEngine
//   cluster->dc(2).ForgetAuthKeys();   // fault: clients get -404 next time
#ifndef MTCORE_TESTS_DC_DATA_CENTRE_H_
#define MTCORE_TESTS_DC_DATA_CENTRE_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/random.h"
#include "tests/dc/dc_state.h"
#include "tests/dc/rpc_handler.h"
#include "tests/dc/server_connection.h"

namespace mtcore::dc {

class DataCentre {
 public:
  // `rsa_key`, `handler` and `rng` must outlive the DC. Errors
  // (InvalidArgument): a dc_id outside 1..1000, a secret that is not 16
  // bytes, a negative salt period; a FakeTLS domain without a secret, longer
  // than 253 characters or with other characters than letters, digits, '.',
  // '-' and '_', a FakeTLS replay cache of 0, fake_tls_only without a domain.
  static absl::StatusOr<std::unique_ptr<DataCentre>> Create(DcOptions options,
                                                            const crypto::RsaPrivateKey& rsa_key,
                                                            RpcHandler& handler,
                                                            crypto::RandomSource& rng);

  // A new connection (drive it as a StreamEngine; it must not outlive the DC).
  std::unique_ptr<ServerConnection> Accept(absl::Time now);

  int id() const { return state_.options().dc_id; }
  const crypto::RsaPublicKey& public_key() const { return state_.rsa_key().public_key(); }

  // Faults, at any time between engine calls.
  void ForgetAuthKeys() { state_.ForgetAuthKeys(); }
  void ForgetSessions() { state_.ForgetSessions(); }
  void RotateSalts(absl::Time now) { state_.RotateSalts(state_.UnixNs(now)); }
  DcFaults& faults() { return state_.mutable_options().faults; }

  DcState& state() { return state_; }

 private:
  DataCentre(DcOptions options, const crypto::RsaPrivateKey& rsa_key, RpcHandler& handler,
             crypto::RandomSource& rng)
      : state_(std::move(options), rsa_key, handler, rng) {}
  DcState state_;
};

// DCs 1..5 sharing one world, key and random source.
class Cluster {
 public:
  static constexpr int kDcCount = 5;

  // `options` is the template for every DC (its dc_id is replaced).
  static absl::StatusOr<std::unique_ptr<Cluster>> Create(DcOptions options,
                                                         const crypto::RsaPrivateKey& rsa_key,
                                                         RpcHandler& handler,
                                                         crypto::RandomSource& rng);

  // `id` in 1..5.
  DataCentre& dc(int id) { return *dcs_.at(static_cast<size_t>(id - 1)); }
  int size() const { return kDcCount; }

 private:
  Cluster() = default;
  std::vector<std::unique_ptr<DataCentre>> dcs_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_DATA_CENTRE_H_
