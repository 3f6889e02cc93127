// The typed client: what an application talks to. It wraps the MTProto
// engine (core/engine) and adds what every Telegram app needs on top:
//
//   - typed requests: Invoke(tl::messages_sendMessage{...}) returns a request
//     id, and Result<F>(event) parses its answer (rpc errors become
//     statuses). The first request of each session is wrapped in
//     invokeWithLayer + initConnection with the configured layer and app
//     description. Every request ends in exactly one kResult, kRpcError or
//     kRequestFailed, also across FLOOD_WAIT retries and migrations;
//   - FLOOD_WAIT_X up to flood_sleep_threshold is waited out and the request
//     sent again (after_request order kept); PHONE/USER/NETWORK_MIGRATE moves
//     the client to the account's DC (dc(); a driver dials it) and re-sends,
//     carrying a login along (auth.exportAuthorization / importAuthorization);
//   - updates in order, once each: everything of type Updates (pushes, and
//     the results of requests such as messages.sendMessage) and pts-only
//     results (messages.affectedMessages...) go through the update-gap
//     engine (core/updates), whose getState / getDifference /
//     getChannelDifference requests the client sends and answers itself
//     (with backoff; a 401 stops them with kLoggedOut). The application sees
//     typed kUpdate events;
//   - a peer cache (peer_cache.h) filled from every update, difference and
//     result that carries users or chats (login, resolveUsername, getUsers,
//     histories, dialogs, full user/chat, contacts, search, participants,
//     getChats), so a reply can name the sender:
//     peers().InputPeerOf(message->peer_id). Senders known only as min (most
//     members of big groups) are named through a message they sent
//     (inputPeerUserFromMessage). A short update (updateShortMessage /
//     updateShortChatMessage) names its sender by id only; when that id is
//     not in the cache the client fetches the difference, which delivers the
//     same message with its users
//     (https://core.telegram.org/api/updates#recovering-gaps);
//   - Snapshot() / ClientConfig::resume: an app restart keeps the key, the
//     login and the update state (snapshot.h).
//
// Updates start when a login succeeds (an auth.authorization result: the
// logged-in user becomes peers().self()), with StartUpdates() for an auth
// key restored from storage that is already logged in, or from a resumed
// snapshot. Before that, pushed updates are counted and dropped (a session
// that is not logged in gets none from Telegram), except updateLoginToken,
// delivered as a kUpdate for a QR login waiting for its scan (qr_login.h).
//
// It is a StreamEngine: a driver (io/native, the simulator) runs it exactly
// like a ClientEngine. Sans-I/O like all of core/.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto client, Client::Create(config, rng, now, unix_now));
//   ... a driver runs *client ...
//   MTCORE_ASSIGN_OR_RETURN(uint64_t id, client->Invoke(tl::auth_importBotAuthorization{...}));
//   while (std::optional<ClientEvent> e = client->PollEvent()) {
//     if (e->kind == ClientEvent::Kind::kUpdate) {
//       if (const auto* m = e->update.As<tl::updateNewMessage>()) ...
//     }
//   }
#ifndef MTCORE_CORE_CLIENT_CLIENT_H_
#define MTCORE_CORE_CLIENT_CLIENT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/dc_addresses.h"
#include "core/client/peer_cache.h"
#include "core/client/snapshot.h"
#include "core/crypto/random.h"
#include "core/engine/client_engine.h"
#include "core/stream/stream_engine.h"
#include "core/updates/update_gap_engine.h"
#include "tl/api.h"

namespace mtcore::client {

struct ClientConfig {
  engine::EngineConfig engine;
  // initConnection / invokeWithLayer. `layer` must be the layer of the
  // schema tl/ was generated from (schema/: 228 unless another was given).
  int32_t layer = 228;
  int32_t api_id = 0;
  std::string device_model = "mtcore";
  std::string system_version = "unknown";
  std::string app_version = "0.1";
  std::string system_lang_code = "en";
  std::string lang_code = "en";
  // Run the update-gap engine once logged in (false: pushed updates are
  // dropped, nothing is fetched).
  bool receive_updates = true;
  updates::UpdateGapConfig updates;
  // 420 FLOOD_WAIT_X (and FLOOD_PREMIUM_WAIT_X) with X at most this long:
  // the client waits X seconds and sends the request again, at most
  // `max_flood_retries` times, instead of reporting the error.
  absl::Duration flood_sleep_threshold = absl::Seconds(10);
  int max_flood_retries = 5;
  // 303 PHONE_MIGRATE_N / USER_MIGRATE_N / NETWORK_MIGRATE_N: the account
  // lives on DC N. The client moves there (a new engine and auth key for DC
  // N; the driver dials dc() next), sends the request again, and reports
  // only its final answer. Logged in, it first exports the login and
  // imports it on DC N (kLoggedOut if that fails). false: the 303 goes to
  // the application.
  bool follow_migrations = true;
  size_t max_peers = 100000;
  // The id of the client's first request (then counting up). A
  // DcConnection's client starts at dc << 48, so the ids of an app's clients
  // never collide and one transfer can be offered the events of both.
  uint64_t first_request_id = 1;
  // An auxiliary client (a DcConnection's, on another DC than the account's):
  // requests wait until ImportLogin() has carried the account's login here
  // (its import is this client's first request), or fail with the status
  // given to FailLogin() (as do those queued later). Set receive_updates
  // false and follow_migrations false with it. Once imported, a request
  // answered 401 AUTH_KEY_UNREGISTERED (the DC no longer knows this key's
  // login: it forgot the key and the engine made a new one, or it dropped
  // the login) was not executed: it waits again, with the requests sent
  // after it, while the client awaits a new login (awaiting_login()); at
  // most `max_login_reimports` times in a row without a result in between,
  // then the login fails as a failed import does.
  bool await_login = false;
  int max_login_reimports = 3;
  // Every request goes out inside invokeWithoutUpdates: the DC subscribes
  // the connection to no updates (a DcConnection's, which only downloads).
  bool without_updates = false;
  // Resume a client that ran before (Client::Snapshot()): its DC, auth key
  // and login, and, if it followed updates, their state, so what happened
  // meanwhile is fetched (getDifference) rather than lost. Overrides
  // engine.auth_key and engine.dc_id (keeping the +10000 of test DCs).
  std::optional<ClientSnapshot> resume;
};

// invokeWithLayer(initConnection(function)) with `config`'s layer and app
// description: how a session's first request goes out.
Bytes WrapInitConnection(const ClientConfig& config, ByteView function);

struct ClientEvent {
  enum class Kind {
    kResult,          // request_id, body: the boxed result (Result<F>() parses it)
    kRpcError,        // request_id, error_code, error_message
    kRequestFailed,   // request_id, status
    kUpdate,          // update (+ entities, never null), in order, once
    kUpdatesTooLong,  // channel_id (0: all private chats and groups): Telegram
                      // skipped updates; refetch dialogs / that channel
    kLoggedOut,       // status: the login is gone: the DC answered the update
                      // engine with 401 (AUTH_KEY_UNREGISTERED, SESSION_REVOKED...),
                      // or a 303 moved a logged-in client to a DC the login could
                      // not be carried to;
                      // updates stopped, peers forgotten; log in again
    kChannelUnavailable,  // channel_id, status: the channel's difference was
                          // refused (CHANNEL_PRIVATE...); it is no longer tracked
    kEngine,          // engine_event: kAuthKeyReady, kSessionReset, kFatal...
  };
  Kind kind = Kind::kResult;
  uint64_t request_id = 0;
  Bytes body;
  int32_t error_code = 0;
  std::string error_message;
  absl::Status status;
  tl::Update update;
  std::shared_ptr<const updates::UpdateEntities> entities;
  int64_t channel_id = 0;
  engine::EngineEvent engine_event;
};

struct ClientStats {
  uint64_t updates_delivered = 0;
  uint64_t updates_dropped_before_login = 0;
  uint64_t bad_updates = 0;          // pushed objects that were not valid Updates
  uint64_t unknown_peer_fetches = 0;  // differences fetched for an unknown sender
  uint64_t internal_requests = 0;     // getState / getDifference / getChannelDifference
  uint64_t internal_failures = 0;
  uint64_t pts_results = 0;           // affectedMessages/History results applied
  uint64_t flood_waits = 0;           // FLOOD_WAIT errors waited out and retried
  uint64_t migrations = 0;            // moves to another home DC
  // await_login: imported logins the DC forgot (401 AUTH_KEY_UNREGISTERED),
  // after which the client awaited one again.
  uint64_t login_reimports = 0;
};

class Client : public StreamEngine {
 public:
  // `rng` must outlive the client; `now` / `unix_now_ns` as ClientEngine.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientConfig config,
                                                        crypto::RandomSource& rng,
                                                        absl::Time now, int64_t unix_now_ns);
  ~Client() override;

  // Queues an API function; returns its request id. InvalidArgument if it
  // cannot be serialized (e.g. an empty required field).
  template <tl::TlFunction F>
  absl::StatusOr<uint64_t> Invoke(const F& function, const session::SendOptions& options = {}) {
    absl::StatusOr<Bytes> bytes = tl::Serialize(function);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(F::kName, ": cannot serialize: ", bytes.status().message()));
    }
    return InvokeRaw(*std::move(bytes), options);
  }
  // Queues a boxed API function given as bytes.
  absl::StatusOr<uint64_t> InvokeRaw(Bytes function, const session::SendOptions& options = {});
  // Gives up on a request (one kRequestFailed with Cancelled follows).
  bool Cancel(uint64_t request_id);

  // The typed answer of a finished request: its result, or the rpc error as
  // a status whose message is "rpc error <code> <MESSAGE>" (code 400:
  // InvalidArgument, 401: Unauthenticated, 403: PermissionDenied, 420
  // FLOOD_WAIT_X: ResourceExhausted, 303 *_MIGRATE_X: Unavailable, others:
  // Internal), or the request's failure.
  template <tl::TlFunction F>
  static absl::StatusOr<typename F::Result> Result(const ClientEvent& e) {
    if (e.kind == ClientEvent::Kind::kResult) return tl::ParseResult<F>(e.body);
    return AnswerStatus(e);
  }
  static absl::Status AnswerStatus(const ClientEvent& e);

  std::optional<ClientEvent> PollEvent();
  bool has_events();

  // Starts the update engine for an auth key that is already logged in
  // (restored from storage): getState now, or, with `state` (saved from
  // updates() earlier), getDifference from there.
  void StartUpdates(std::optional<tl::updates_State> state = std::nullopt);
  // A channel's pts known to the app (from a dialog, or saved with the
  // state), so its updates are checked from there and what was missed is
  // fetched. Nothing happens before updates start.
  void SetChannelState(int64_t channel_id, int32_t pts);

  // ClientConfig::await_login: imports `login` (auth.exportAuthorization's
  // answer on the home client, for this client's DC) as the first request,
  // inside invokeWithLayer + initConnection, then sends the requests that
  // waited. If the import fails, they and every later request fail with
  // Unauthenticated naming the DC and the error. The bytes are wiped here.
  // Does nothing unless the client awaits a login (awaiting_login()).
  void ImportLogin(tl::auth_exportedAuthorization login);
  // ClientConfig::await_login: the login cannot come (its export failed):
  // the requests that wait, and every later one, fail with `why`.
  void FailLogin(absl::Status why);
  // ClientConfig::await_login: the import succeeded / the login failed
  // (then why it did).
  bool login_imported() const { return login_imported_; }
  // ClientConfig::await_login: a login is awaited (ImportLogin): at first,
  // and again once the DC forgot the imported one (see await_login).
  bool awaiting_login() const { return awaiting_login_; }
  const absl::Status& login_error() const { return login_error_; }

  // Moves a client that is not logged in to DC `dc` as a 303 PHONE_MIGRATE
  // would (a QR login's auth.loginTokenMigrateTo): a new engine and auth key
  // for DC `dc`, the driver dials dc() next; requests not yet answered and
  // later ones go there. Nothing happens when the client is on `dc` already.
  // InvalidArgument for a DC outside 1..1000, FailedPrecondition when
  // logged in (a login is carried by the 303 path), for an auxiliary client
  // (await_login) or while a move is under way.
  absl::Status MoveToDc(int dc);

  // Where DC `dc` is, from the last help.getConfig answer
  // (dc_addresses.h: every address but CDN and TCPObfuscated-only ones,
  // ordinary and media-only ones apart, IPv4 first); nullopt if unknown. A
  // driver dials dc() at ForSession() after a migration, and a download
  // connection at ForDownloads().
  using DcAddress = client::DcAddress;
  std::optional<DcAddresses> DcAddressesOf(int dc) const;
  // The first ordinary address of DC `dc`; nullopt if none is known.
  std::optional<DcAddress> DcAddressOf(int dc) const;
  // Where CDN DC `dc` is (core.telegram.org/cdn), from the last
  // help.getConfig answer: its first option with the cdn flag (IPv4 before
  // IPv6); nullopt if unknown. A table of its own, beside DcAddressOf's.
  std::optional<DcAddress> CdnAddressOf(int dc) const;

  // What Client::resume needs next time (nullopt before an auth key exists).
  std::optional<ClientSnapshot> Snapshot() const;

  PeerCache& peers() { return peers_; }
  const PeerCache& peers() const { return peers_; }
  // The update engine (nullptr until updates start).
  const updates::UpdateGapEngine* updates() const { return gap_.get(); }
  // The engine for the current DC (replaced when the client migrates), for
  // its stats and auth key. Do not Send or PollEvent on it directly: the
  // client would miss those answers and events.
  engine::ClientEngine& engine() { return *engine_; }
  // The DC the client talks to (1..5 for Telegram's; without the +10000 of
  // test DCs). A driver dials this DC's address on every (re)connect.
  int dc() const { return dc_; }
  const ClientStats& stats() const { return stats_; }
  // The driver's time last passed in (OnBytes, OnTimeout, ...).
  absl::Time now() const { return now_; }
  // What the client was made with (a DcConnection copies the app
  // description, transport and server keys from it).
  const ClientConfig& config() const { return config_; }

  // StreamEngine.
  void OnConnected(absl::Time now) override;
  absl::Status OnBytes(ByteView in, absl::Time now) override;
  void PullOutput(Bytes& out) override;
  bool WantsClose() const override;
  std::optional<absl::Time> NextDeadline() override;
  void OnTimeout(absl::Time now) override;
  void OnDisconnected(const absl::Status& why, absl::Time now) override;

 private:
  // A request of the application. Its id is the client's own: a retry
  // after FLOOD_WAIT goes out as a new engine request.
  struct AppRequest {
    session::SharedBytes query;
    session::SendOptions options;  // after_request names a client id
    uint64_t engine_id = 0;        // 0 while waiting out a flood wait
    absl::Time retry_at = absl::InfiniteFuture();
    int flood_retries = 0;
    int migrations = 0;
    bool awaiting_migration = false;  // answered 303: goes to the new DC
    bool held_for_after = false;      // its after_request is waiting to go out again
    int wait_retries = 0;             // MSG_WAIT_FAILED re-sends
    uint64_t sent_under_login = 0;    // await_login: logins_imported_ when it went out
  };
  enum class Internal {
    kGetState,
    kGetDifference,
    kGetChannelDifference,
    kExportLogin,  // auth.exportAuthorization on the DC being left
    kImportLogin,  // auth.importAuthorization on the new one
  };
  struct InternalRequest {
    Internal what;
    int64_t channel_id = 0;
    uint64_t generation = 0;  // of the update engine that asked
  };

  Client(ClientConfig config, std::unique_ptr<engine::ClientEngine> engine,
         crypto::RandomSource& rng, absl::Time now);
  absl::Status MigrateTo(int dc);
  // Sends the requests that waited for a move to another DC.
  void SendAwaitingMigration();
  // A login (auth.authorization, also inside loginTokenSuccess): the user
  // becomes self (another account: the peer cache starts afresh) and
  // updates start.
  void OnLoggedIn(const tl::auth_authorization& a);
  // The update state (common and channels) into / from a snapshot.
  void SaveUpdateState(ClientSnapshot& s) const;
  void StartUpdatesFrom(const ClientSnapshot& s);
  void OnLoginCarried(bool ok, const absl::Status& why);
  // await_login: request `id` was answered 401 AUTH_KEY_UNREGISTERED. It
  // waits for a login again (a new one is awaited unless one is under way;
  // one that went out before the last import goes again at once), or fails
  // with the login's error.
  void OnLoginLost(uint64_t id, AppRequest& r);
  // auth.importAuthorization(login) as the engine's next (first) request;
  // the login's bytes are wiped.
  void SendImportLogin(tl::auth_exportedAuthorization& login);
  // Ends request `id` with one kRequestFailed(why).
  void FailRequest(uint64_t id, const absl::Status& why);
  void Pump();
  void OnEngineEvent(engine::EngineEvent e);
  void OnInternalAnswer(InternalRequest req, engine::EngineEvent e);
  void OnAppAnswer(uint64_t id, engine::EngineEvent e);
  void SendToEngine(uint64_t id, AppRequest& r);
  // Sends the requests held until request `id` went out or ended.
  void ReleaseHeld(uint64_t id);
  // Moves the requests held behind `id` to `out`.
  void TakeHeld(uint64_t id, std::vector<uint64_t>& out);
  void RetryFloodWaits(absl::Time now);
  void OnGapEvent(updates::UpdateEvent e);
  void OnUpdatesObject(ByteView body, bool pushed);
  void OnUpdates(tl::Updates updates);
  // Before updates start: delivers the updateLoginToken `u` carries (true
  // if it carried one).
  bool DeliverLoginToken(const tl::Updates& u);
  // pts-only results (messages.affectedMessages...) of `query`.
  void ApplyPtsResult(ByteView query, ByteView body);
  void StopUpdates();
  // A min sender can be named through the message it sent.
  void RememberSender(const tl::Update& u);
  // Users and chats carried by the result of the function `function_id`.
  void LearnFromResult(uint32_t function_id, ByteView body);
  void LearnPeersFromResult(uint32_t function_id, ByteView body);
  void StartUpdatesAt(std::optional<tl::updates_State> state);
  template <class F>
  void SendInternal(const F& function, InternalRequest req);

  ClientConfig config_;
  std::unique_ptr<engine::ClientEngine> engine_;
  crypto::RandomSource& rng_;
  absl::Time now_;
  int dc_;
  bool connected_ = false;
  // After a migration: the connection to the old DC is still open; it is
  // closed without reading or writing anything more.
  bool close_old_connection_ = false;
  PeerCache peers_;
  std::unique_ptr<updates::UpdateGapEngine> gap_;
  uint64_t gap_generation_ = 0;     // bumped whenever gap_ is made or dropped
  // Backoff of the update engine's requests: failures in a row per box
  // (channel id; 0: the common boxes). Entries go on success.
  absl::flat_hash_map<int64_t, int> failures_in_a_row_;
  std::optional<int> migrate_to_;   // a 303 asked for it; done once the old engine is drained
  std::string migrate_reason_;     // that 303's message
  // Carrying a login to the new DC: exported on the old one, imported as the
  // new engine's first request; app requests wait for the import.
  bool exporting_login_ = false;
  int pending_dc_ = 0;  // where the export is for
  std::optional<tl::auth_exportedAuthorization> exported_login_;
  bool importing_login_ = false;
  std::optional<ClientSnapshot> carried_updates_;  // the update state across the move
  // ClientConfig::await_login: no login yet (requests wait), the import
  // answered, or why the login failed (requests fail with it).
  bool awaiting_login_ = false;
  bool login_imported_ = false;
  absl::Status login_error_;
  uint64_t logins_imported_ = 0;  // imports that succeeded
  int reimports_in_a_row_ = 0;    // logins lost since the last result
  DcAddressTable dc_addresses_;  // from help.getConfig
  std::map<int, DcAddress> cdn_addresses_;  // from help.getConfig (LearnCdnAddresses)
  void LearnCdnAddresses(const tl::config& config);
  absl::flat_hash_map<uint64_t, InternalRequest> internal_;  // by engine request id
  uint64_t next_request_id_ = 1;
  std::map<uint64_t, AppRequest> requests_;                // by client request id
  absl::flat_hash_map<uint64_t, uint64_t> by_engine_id_;   // engine id -> client id
  std::multimap<uint64_t, uint64_t> held_;                  // after_request -> held request
  std::deque<uint64_t> recent_ok_;  // the last 256 requests answered with a result
  std::set<std::pair<absl::Time, uint64_t>> flood_waits_;  // (retry time, client id)
  std::shared_ptr<const updates::UpdateEntities> learned_;  // already in peers_
  std::deque<ClientEvent> events_;
  ClientStats stats_;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_CLIENT_H_
