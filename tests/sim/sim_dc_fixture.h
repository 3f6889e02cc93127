// SimDc: the set-up the tests of client engines against the simulated DC
// share. It owns the test RSA key, the World (accounts, messages, updates),
// the Simulator (virtual time, seeded) and a Cluster of DCs 1..5 of which DC 2
// is the simulator's server, and gives the tests engines and typed clients
// (core/client) for DC 2, calls that run virtual time until the answer, and
// the bot and user log-ins.
//
// Calls wait in virtual time: Call() sends, then runs the simulator until the
// engine reports the answer or CallOptions::limit passes. Meanwhile it polls
// only that engine; its other events go to CallOptions::on_event (or are
// dropped), and CallOptions::on_step keeps anything else moving.
//
// Set-up failures (a schema file missing from the test's data, say) abort the
// test binary with the reason.
//
// Example:
//   sim::SimDc dc(/*seed=*/1234);
//   std::unique_ptr<engine::ClientEngine> e = dc.MakeEngine();
//   int client = dc.AddClient(*e);
//   absl::StatusOr<tl::user> me = dc.LogInBot(*e, client, dc.bot());
//   absl::StatusOr<tl::NearestDc> n = dc.Call(*e, client, tl::help_getNearestDc{});
//   dc.data_centre().RotateSalts(dc.sim().now());
#ifndef MTCORE_TESTS_SIM_SIM_DC_FIXTURE_H_
#define MTCORE_TESTS_SIM_SIM_DC_FIXTURE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/client.h"
#include "core/client/client_wrapper.h"
#include "core/client/dc_connection.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/engine/client_engine.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/world.h"
#include "tests/sim/simulator.h"
#include "tests/sim/with_layer.h"
#include "tl/api.h"

namespace mtcore::sim {

// What the tests vary about the DC (the seed is SimDc's first argument).
struct SimDcOptions {
  // The DC's unix time, and the engines' wall clock, when virtual time starts.
  int64_t unix_start_ns = 1'750'000'000LL * 1'000'000'000LL;
  dc::WorldConfig world = dc::DefaultWorldConfig();
  // Faults every DC starts with; data_centre().faults() changes DC 2's later.
  dc::DcFaults faults;
  // The log-ins' api_hash and the device_model of their invokeWithLayer.
  std::string app = "sim";
  // An MTProxy in front of every DC: its 16-byte secret, and FakeTLS's
  // domain (`ee` secrets; see dc::DcOptions).
  Bytes proxy_secret;
  std::string fake_tls_domain;
  bool fake_tls_only = false;
  // A CDN DC (id kCdnDc, its own test RSA key) serving the world's CDN
  // (world.cdn: its dc_id, address and public key are set by SimDc; the
  // other fields, e.g. min_document_size, are the test's).
  bool cdn = false;
};

// The simulated CDN DC's id (SimDcOptions::cdn).
inline constexpr int kCdnDc = 203;

// How a call waits for its answer.
struct CallOptions {
  // Virtual time to wait.
  absl::Duration limit = absl::Seconds(60);
  // Runs before each look at the engine's events (after every simulator
  // event): drives whatever else must keep moving meanwhile.
  std::function<void()> on_step;
  // Gets every event the engine reports meanwhile, the answer included;
  // without it the other events are dropped.
  std::function<void(const engine::EngineEvent&)> on_event;
};

// How a user log-in sends its first request (auth.sendCode): as a client's
// first request, invokeWithLayer(initConnection(...)), or bare (the DC then
// answers at its default layer).
enum class FirstRequest { kWithLayer, kBare };

class SimDc {
 public:
  explicit SimDc(uint64_t seed, SimDcOptions options = {});
  ~SimDc();
  SimDc(const SimDc&) = delete;
  SimDc& operator=(const SimDc&) = delete;

  Simulator& sim() { return *sim_; }
  dc::World& world() { return *world_; }
  // DC 2, the one every engine talks to (faults, salts, auth keys).
  dc::DataCentre& data_centre() { return cluster_->dc(2); }
  // The CDN DC (SimDcOptions::cdn; nullptr without) and its public key.
  dc::DataCentre* cdn_data_centre() { return cdn_.get(); }
  const crypto::RsaPublicKey& cdn_public_key() const { return cdn_rsa_->public_key(); }
  int64_t unix_start_ns() const { return options_.unix_start_ns; }

  // A client engine for DC 2: `config` with its dc_id and server keys set.
  // nullptr (and a test failure) if `config` cannot work.
  std::unique_ptr<engine::ClientEngine> MakeEngine(engine::EngineConfig config = {});
  // A typed client: `config` with the DC's server key set, and api_id 1 and
  // the app name as device_model unless given. It starts on DC 2 unless
  // config.engine.dc_id names another.
  std::unique_ptr<client::Client> MakeClient(client::ClientConfig config = {});
  // Makes `engine` (a ClientEngine or a Client) a simulator client that
  // dials DC 2 over `link`; returns its client id. The engine must outlive
  // this SimDc.
  int AddClient(StreamEngine& engine, LinkOptions link = {});
  // A typed client: it dials DC 2 first, and whichever DC it has migrated
  // to (Client::dc()) on every re-dial.
  int AddClient(client::Client& c, LinkOptions link = {});
  // A connection to another DC (client::DcConnection): it dials that DC,
  // on every (re)dial.
  int AddClient(client::DcConnection& c, LinkOptions link = {});
  // A wrapped typed client (e.g. web::JsonClient), run as the wrapper (its
  // deadlines included): it dials as AddClient(w.client()) would.
  int AddClient(client::ClientWrapper& w, LinkOptions link = {});

  // Sends `query` on `engine` (simulator client `client`) and runs virtual
  // time until its answer (kResult, kRpcError or kRequestFailed). nullopt:
  // none within options.limit.
  std::optional<engine::EngineEvent> Call(engine::ClientEngine& engine, int client, Bytes query,
                                          const CallOptions& options = {});
  // The same for a TL function, its result parsed (tl::ParseResult). Errors:
  // no answer in time (DeadlineExceeded), an RPC error (its code and
  // message), a failed request (its status), a result that does not parse.
  template <tl::TlFunction F>
  absl::StatusOr<typename F::Result> Call(engine::ClientEngine& engine, int client,
                                          const F& query, const CallOptions& options = {}) {
    absl::StatusOr<Bytes> bytes = tl::Serialize(query);
    if (!bytes.ok()) return bytes.status();
    absl::StatusOr<Bytes> body =
        ResultBody(Call(engine, client, *std::move(bytes), options), options.limit);
    if (!body.ok()) return body.status();
    return tl::ParseResult<F>(*body);
  }

  // Invokes `function` on a typed client and runs virtual time until its
  // answer (Client::Result: the typed result, or the rpc error or failure
  // as a status; DeadlineExceeded after `limit`). Every other event of the
  // client meanwhile goes to `on_event` (or is dropped); `on_step` runs
  // after every simulator event.
  template <tl::TlFunction F>
  absl::StatusOr<typename F::Result> Invoke(
      client::Client& c, int client, const F& function,
      const std::function<void(client::ClientEvent)>& on_event = nullptr,
      const std::function<void()>& on_step = nullptr, absl::Duration limit = absl::Seconds(60)) {
    absl::StatusOr<uint64_t> id = c.Invoke(function);
    if (!id.ok()) return id.status();
    absl::StatusOr<client::ClientEvent> e = Await(c, client, *id, on_event, on_step, limit);
    if (!e.ok()) return e.status();
    return client::Client::Result<F>(*e);
  }
  // Runs virtual time until request `id` of `c` is answered.
  absl::StatusOr<client::ClientEvent> Await(client::Client& c, int client, uint64_t id,
                                            const std::function<void(client::ClientEvent)>& on_event,
                                            const std::function<void()>& on_step,
                                            absl::Duration limit);

  // The world's first bot (echo_bot, on DC 2, in the built-in world).
  const dc::WorldConfig::Bot& bot() const;
  // Alice: the world's first user on DC 2 without a 2FA password, who logs
  // in with the code alone. nullptr if there is none.
  const dc::WorldConfig::User* alice() const;

  // auth.importBotAuthorization with `bot`'s token, as the engine's first
  // request (invokeWithLayer). Returns the bot's user.
  absl::StatusOr<tl::user> LogInBot(engine::ClientEngine& engine, int client,
                                    const dc::WorldConfig::Bot& bot,
                                    const CallOptions& options = {});
  // auth.sendCode, then auth.signIn with `user`'s login code (the world's
  // if the user has none). Returns the user.
  absl::StatusOr<tl::user> LogInUser(engine::ClientEngine& engine, int client,
                                     const dc::WorldConfig::User& user,
                                     FirstRequest first = FirstRequest::kWithLayer,
                                     const CallOptions& options = {});
  // The same for a typed client (PHONE_MIGRATE followed by the client); the
  // client's other events meanwhile go to `on_event` (or are dropped).
  // Returns the user.
  absl::StatusOr<tl::user> LogInUser(client::Client& c, int client,
                                     const dc::WorldConfig::User& user,
                                     const std::function<void(client::ClientEvent)>& on_event =
                                         nullptr);
  // The world's user @`username`, or nullptr.
  const dc::WorldConfig::User* user(const std::string& username) const;
  // contacts.resolveUsername: the peer to write to @`username` (a user or a bot).
  absl::StatusOr<tl::inputPeerUser> ResolveUsername(engine::ClientEngine& engine, int client,
                                                    const std::string& username,
                                                    const CallOptions& options = {});

 private:
  // The body of a kResult answer; any other outcome as an error.
  static absl::StatusOr<Bytes> ResultBody(std::optional<engine::EngineEvent> answer,
                                          absl::Duration limit);

  SimDcOptions options_;
  std::unique_ptr<crypto::RsaPrivateKey> rsa_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<dc::Cluster> cluster_;
  std::unique_ptr<crypto::RsaPrivateKey> cdn_rsa_;
  std::unique_ptr<dc::DataCentre> cdn_;
  std::map<int, int> dc_servers_;  // every DC of the cluster (and the CDN) -> its simulator server
  int server_ = 0;                 // DC 2's
};

}  // namespace mtcore::sim

#endif  // MTCORE_TESTS_SIM_SIM_DC_FIXTURE_H_
