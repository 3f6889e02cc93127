// Runs a typed client (core/client) over TCP on an EventLoop, with blocking
// calls on top: Call() sends a function and runs the loop until its typed
// answer; NextUpdate() runs it until an update matches; RunTransfer() runs a
// file upload or download to its end; Download() fetches a document wherever
// it is stored; UploadFile() and DownloadToFile() stream a file from and to
// disk (file_io.h), holding only the parts or windows in flight;
// LogInWithQr() logs in by QR code. A file on another DC than the account's goes through an
// authorised connection to that DC (core/client/dc_connection.h: a second
// EngineDriver to its address, the login exported and imported), made on
// first use and kept for later downloads. A download redirected to a CDN DC
// (core.telegram.org/cdn; DownloadOptions::allow_cdn, which Download and
// DownloadToFile set) goes through a plain connection to the CDN DC: its
// address from help.getConfig (a dcOption with the cdn flag), its key made
// with the keys help.getCdnConfig lists for that DC only (asked once, on the
// home client), no login; made on first use and kept. For straight-line
// programs (the quickstart, tools, loopback tests); an asynchronous
// application polls Client events from its own loop instead.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(auto runner, ClientRunner::Connect(loop, std::move(client), addr, rng));
//   MTCORE_ASSIGN_OR_RETURN(tl::auth_Authorization a, runner->Call(login, absl::Seconds(10)));
//   MTCORE_ASSIGN_OR_RETURN(client::ClientEvent e, runner->NextUpdate(IsNewMessage, absl::Seconds(10)));
#ifndef MTCORE_IO_NATIVE_CLIENT_RUNNER_H_
#define MTCORE_IO_NATIVE_CLIENT_RUNNER_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/client/client.h"
#include "core/client/dc_connection.h"
#include "core/client/file_transfer.h"
#include "core/client/list_pages.h"
#include "core/client/phone_login.h"
#include "core/client/qr_login.h"
#include "core/client/secret_chats.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "io/native/driver.h"
#include "io/native/event_loop.h"
#include "io/native/resolver.h"
#include "io/native/tcp.h"
#include "tl/api.h"

namespace mtcore::io {

class ClientRunner {
 public:
  // Where a DC is: its addresses or host names, tried in order; empty:
  // unknown (then help.getConfig's are used).
  using DcAddressFn = std::function<std::vector<HostPort>(int dc)>;

  // Dials `targets` (numeric addresses or host names such as
  // "localhost:4430", tried in order: ReconnectingConnection), re-dialling
  // after failures per `options`; through options.proxy if set (its host
  // may be a name), which the connections to other DCs use too. Every
  // re-dial goes to the addresses of the client's current DC (Client::dc()),
  // so the client can follow a migration: from `dc_address` if it knows the
  // DC, else every ordinary address help.getConfig gave for it
  // (Client::DcAddressesOf: IPv4 first, then IPv6), else the targets it
  // had. `loop` and `rng` must outlive the runner.
  static absl::StatusOr<std::unique_ptr<ClientRunner>> Connect(
      EventLoop& loop, std::unique_ptr<client::Client> client, std::vector<HostPort> targets,
      crypto::RandomSource& rng, ReconnectOptions options = {}, DcAddressFn dc_address = nullptr);
  // One target (a SocketAddress converts to a HostPort).
  static absl::StatusOr<std::unique_ptr<ClientRunner>> Connect(
      EventLoop& loop, std::unique_ptr<client::Client> client, HostPort target,
      crypto::RandomSource& rng, ReconnectOptions options = {}, DcAddressFn dc_address = nullptr) {
    return Connect(loop, std::move(client), std::vector<HostPort>{std::move(target)}, rng,
                   std::move(options), std::move(dc_address));
  }

  // Sends `function` and runs the loop until its answer: the typed result,
  // or the rpc error / failure as a status (client::Client::Result).
  // DeadlineExceeded after `timeout` (the request is cancelled). If the
  // connection gave up re-dialling (ReconnectOptions::max_consecutive_failures),
  // the request is cancelled and the error is Unavailable with why (e.g. a
  // proxy's refusal), as for NextUpdate and RunTransfer.
  template <tl::TlFunction F>
  absl::StatusOr<typename F::Result> Call(const F& function, absl::Duration timeout) {
    absl::StatusOr<uint64_t> id = client_->Invoke(function);
    if (!id.ok()) return id.status();
    absl::StatusOr<client::ClientEvent> e = Await(*id, timeout);
    if (!e.ok()) return e.status();
    return client::Client::Result<F>(*e);
  }

  // Runs the loop until the answer to request `id` (kResult, kRpcError or
  // kRequestFailed) and returns it: a request of the home client or of a
  // connection's client (ConnectionTo). DeadlineExceeded after `timeout`
  // (the request is cancelled on the client that has it).
  absl::StatusOr<client::ClientEvent> Await(uint64_t id, absl::Duration timeout);

  // The next kUpdate event whose update matches `accept`, running the loop
  // up to `timeout`. Updates that do not match are kept for later calls.
  absl::StatusOr<client::ClientEvent> NextUpdate(
      const std::function<bool(const tl::Update&)>& accept, absl::Duration timeout);

  // Runs a file transfer (core/client/file_transfer.h) to its end: starts
  // it, then runs the loop offering it the client's events (the others are
  // kept as usual) until it is done; its result is then in
  // transfer.result(). DeadlineExceeded after `timeout` (it is cancelled).
  //
  // A download follows the file to its DC: it starts on the connection to
  // DownloadOptions::dc if that is another DC, and a FILE_MIGRATE_X moves it
  // to the connection to DC X (follow_file_migrate is set here), keeping what
  // arrived. If the connection it is on gave up re-dialling
  // (ReconnectOptions::max_consecutive_failures) it is cancelled and
  // Unavailable names why. If DC X cannot be reached (no address known: give
  // `dc_address` to Connect, or call help.getConfig first) the download is
  // cancelled and that error returned. A failed export or import ends the
  // download with it (in transfer.result()). A download with allow_cdn that
  // the DC redirects to a CDN continues on the connection to that CDN DC
  // (CdnConnectionTo; help.getCdnConfig is asked first if its keys are not
  // known yet); no address or no key for it ends the download with that
  // error, and so does its connection giving up re-dialling (Unavailable
  // naming the CDN DC).
  absl::Status RunTransfer(client::FileUpload& transfer, absl::Duration timeout);
  absl::Status RunTransfer(client::FileDownload& transfer, absl::Duration timeout);

  // Downloads `document` (from messageMediaDocument) from its DC: its bytes,
  // or why not (the transfer's error, or RunTransfer's). With use_cdn() (the
  // default) and a window size that allows it, a CDN may deliver it
  // (options.allow_cdn is set).
  absl::StatusOr<Bytes> Download(const tl::document& document, absl::Duration timeout,
                                 client::DownloadOptions options = {});

  // Uploads the file at `path`, read part by part with pread as the parts
  // go out (FileUploadSource): the InputFile for messages.sendMedia. Errors:
  // opening the file (NotFound, PermissionDenied, FailedPrecondition for a
  // directory...), reading it (the upload's error, naming the part), the
  // upload's, or RunTransfer's. A file_name left at the default ("file")
  // becomes the path's last component.
  absl::StatusOr<tl::InputFile> UploadFile(const std::string& path, absl::Duration timeout,
                                           client::UploadOptions options = {});

  // What DownloadToFile does with a partial file.
  enum class PartialFile {
    kDiscard,  // start from nothing; a failed download removes its partial file
    kResume,   // continue the partial file a failed attempt left, and leave it
               // on failure (FileDownloadWriter::Resume)
  };

  // Downloads `document` (from its DC, as Download()) or `location` to the
  // file at `path`: each in-order chunk is written as it arrives into
  // `path` + ".part", which becomes `path` (replacing a file there) once the
  // download is complete and flushed. On any failure (the download's, a
  // write's, RunTransfer's) `path` is left as it was and the partial file is
  // removed, or with kResume kept: the next kResume call for the same file
  // and path asks only for what it lacks (DownloadOptions::offset), and one
  // for another file starts that file from nothing (the partial file's
  // identity, the location without its file reference and the size, is kept
  // in `path` + ".part.id").
  // options.on_data is the writer's (any set there is replaced), and
  // options.offset comes from the partial file.
  absl::Status DownloadToFile(const tl::document& document, const std::string& path,
                              absl::Duration timeout, client::DownloadOptions options = {},
                              PartialFile partial = PartialFile::kDiscard);
  absl::Status DownloadToFile(tl::InputFileLocation location, const std::string& path,
                              absl::Duration timeout, client::DownloadOptions options = {},
                              PartialFile partial = PartialFile::kDiscard);

  // Walks a chat's history newest first (client::HistoryWalk: one page of
  // messages.getHistory at a time), calling `visit` with each message until
  // it returns false or the history ends. The walk's error, or
  // DeadlineExceeded after `timeout` for the whole walk (the page in flight
  // is given up).
  absl::Status ForEachMessage(client::HistoryOptions options,
                              const std::function<bool(const tl::Message&)>& visit,
                              absl::Duration timeout);
  // The dialog list the same way (client::DialogWalk, messages.getDialogs).
  absl::Status ForEachDialog(client::DialogOptions options,
                             const std::function<bool(const client::DialogEntry&)>& visit,
                             absl::Duration timeout);
  // A search in one chat the same way (client::SearchWalk, messages.search):
  // the matches newest first.
  absl::Status ForEachFound(client::SearchOptions options,
                            const std::function<bool(const tl::Message&)>& visit,
                            absl::Duration timeout);
  // A channel's or supergroup's members the same way
  // (client::ParticipantsWalk, channels.getParticipants).
  absl::Status ForEachMember(client::ParticipantsOptions options,
                             const std::function<bool(const client::ParticipantEntry&)>& visit,
                             absl::Duration timeout);
  // Logs in by QR code (core/client/qr_login.h): `on_url` gets every
  // tg://login URL to show (a new one when the previous expires) while the
  // loop runs, until another app of the account accepts it. Returns the
  // authorization (the client moved to the account's DC if it had to), or
  // FailedPrecondition naming SESSION_PASSWORD_NEEDED (then prove the
  // password with CheckPassword), or the login's error. DeadlineExceeded
  // after `timeout` (the login is cancelled).
  absl::StatusOr<tl::auth_authorization> LogInWithQr(
      client::QrLoginOptions options, const std::function<void(const std::string& url)>& on_url,
      absl::Duration timeout);

  // What the user supplies during LogInWithPhone, asked for when the login
  // needs it (the loop waits meanwhile; the login's timeout runs on).
  // `refused` is why the last answer was refused (OK the first time), e.g.
  // "auth.signIn: rpc error 400 PHONE_CODE_INVALID". An error status
  // returned ends the login with it.
  struct PhoneLoginPrompts {
    // The code (also the one mailed to a login email being set up: `how`
    // says "email_code"). An empty string asks for it another way
    // (auth.resendCode, a new code after PHONE_CODE_EXPIRED, another mail);
    // if there is none, the prompt is asked again with that error.
    std::function<absl::StatusOr<std::string>(const client::SentCodeInfo& how,
                                              const absl::Status& refused)>
        code;
    // The 2FA password (wiped once used). Unset: an account with a
    // password fails with FailedPrecondition naming SESSION_PASSWORD_NEEDED.
    std::function<absl::StatusOr<std::string>(const std::string& hint,
                                              const absl::Status& refused)>
        password;
    // A new account's first and last name (an empty first name is asked
    // again), for a number with none (the
    // terms the account accepts are shown by the app; it then calls
    // help.acceptTermsOfService). Unset: such a number fails with NotFound.
    std::function<absl::StatusOr<std::pair<std::string, std::string>>(
        const std::optional<tl::help_termsOfService>& terms, const absl::Status& refused)>
        sign_up;
    // The login email to set up when the DC asks for one first
    // (auth.sentCodeTypeSetUpEmailRequired; an empty address or one the DC
    // refuses is asked again; its code then comes through `code`). Unset:
    // such a login fails with FailedPrecondition.
    std::function<absl::StatusOr<std::string>(const client::EmailSetupInfo& allowed,
                                              const absl::Status& refused)>
        email;
    // Prompts asked in all, at most (then the login fails).
    int max_prompts = 20;
  };
  // Logs in with a phone number (core/client/phone_login.h): auth.sendCode
  // (PHONE_MIGRATE followed), the code, a sign-up or the 2FA password as
  // the login asks for them. Returns the authorization (keep its
  // future_auth_token for PhoneLoginOptions::future_auth_tokens next time),
  // or the login's error; DeadlineExceeded after `timeout` (the login is
  // cancelled, and the DC told).
  absl::StatusOr<tl::auth_authorization> LogInWithPhone(client::PhoneLoginOptions options,
                                                        const PhoneLoginPrompts& prompts,
                                                        absl::Duration timeout);

  // Secret chats (core/client/secret_chats.h) run by the runner. Once
  // enabled, updateEncryption and updateNewEncryptedMessage go to the
  // chats instead of NextUpdate, and what the chats report comes out of
  // NextSecretEvent (a request to accept, a chat ready, a message, a
  // discard, a failed operation), in order. Enabling twice changes nothing.
  void EnableSecretChats(client::SecretChatsOptions options = {});
  // Asks `user` for a secret chat (messages.getDhConfig,
  // messages.requestEncryption) without waiting: the operation id its kReady
  // or kFailed event will name, once the user accepted or refused.
  // FailedPrecondition before EnableSecretChats.
  absl::StatusOr<uint64_t> StartSecretChat(tl::InputUser user);
  // Accepts the chat a kRequested event named and waits until the DC took
  // it (the chat is then ready; its kReady event is consumed here).
  absl::Status AcceptSecretChat(int32_t chat_id, absl::Duration timeout);
  // Encrypts `text` for a ready chat and sends it (messages.sendEncrypted):
  // its random_id.
  absl::StatusOr<int64_t> SendSecretText(int32_t chat_id, std::string text);
  // Closes a chat (messages.discardEncryption, `delete_history` for both).
  absl::Status DiscardSecretChat(int32_t chat_id, bool delete_history = false);
  // The next secret chat event, waiting up to `timeout` (DeadlineExceeded).
  absl::StatusOr<client::SecretChatEvent> NextSecretEvent(absl::Duration timeout);
  // The chats (their states, layers, counters); nullptr before enabled.
  const client::SecretChats* secret_chats() const { return secret_.get(); }

  // Proves the account's 2FA password after SESSION_PASSWORD_NEEDED
  // (auth.signIn or a QR login): account.getPassword, the SRP proof
  // (client::ProvePassword), auth.checkPassword. The authorization, the
  // DC's error (a wrong password: "rpc error 400 PASSWORD_HASH_INVALID"),
  // the proof's, or DeadlineExceeded after `timeout` for both calls.
  absl::StatusOr<tl::auth_Authorization> CheckPassword(std::string_view password,
                                                       absl::Duration timeout);

  // The authorised connection to DC `dc` (not the home DC), for downloads:
  // made on first use (a driver dials the DC: `dc_address`'s targets if it
  // knows the DC, else help.getConfig's media-only addresses, then its
  // ordinary ones, each tried after the one before failed; the login is
  // exported here and imported there) and kept; one that failed, or whose driver gave up
  // re-dialling, is replaced. Requests go
  // through connection->client(); the runner collects its answers as the
  // home client's (their ids never collide).
  absl::StatusOr<client::DcConnection*> ConnectionTo(int dc);
  // Connections made so far (the failed ones replaced included).
  int connections_made() const { return connections_made_; }

  // The connection to CDN DC `dc` (a client with no login whose key is made
  // with the CDN's keys from help.getCdnConfig): made on first use and kept;
  // one whose driver gave up is replaced. FailedPrecondition while the CDN
  // keys are not known (RunTransfer asks help.getCdnConfig itself) or no
  // address is (help.getConfig); NotFound if help.getCdnConfig has no key
  // for `dc`.
  absl::StatusOr<client::Client*> CdnConnectionTo(int dc);
  int cdn_connections_made() const { return cdn_connections_made_; }
  // Whether Download and DownloadToFile set DownloadOptions::allow_cdn (on
  // by default).
  bool use_cdn() const { return use_cdn_; }
  void set_use_cdn(bool use) { use_cdn_ = use; }

  // Runs the loop for `d`, collecting events.
  absl::Status RunFor(absl::Duration d);

  client::Client& client() { return *client_; }
  // Events other than answers and updates (kEngine, kUpdatesTooLong,
  // kLoggedOut...).
  std::deque<client::ClientEvent>& other_events() { return other_; }
  // Kept events are bounded: past kMaxKept updates not taken by NextUpdate,
  // answers nobody awaits, or other events, the oldest are dropped.
  static constexpr size_t kMaxKept = 10000;
  uint64_t dropped_events() const { return dropped_; }

 private:
  // A connection to another DC and its driver (destroyed first).
  struct Media {
    std::unique_ptr<client::DcConnection> conn;
    std::unique_ptr<client::ClientSink> sink;
    std::unique_ptr<EngineDriver> driver;
  };

  // A connection to a CDN DC and its driver (destroyed first).
  struct Cdn {
    std::unique_ptr<client::Client> client;
    std::unique_ptr<client::ClientSink> sink;
    std::unique_ptr<EngineDriver> driver;
  };

  ClientRunner(EventLoop& loop, std::unique_ptr<client::Client> client, crypto::RandomSource& rng,
               ReconnectOptions options, DcAddressFn dc_address)
      : loop_(loop),
        client_(std::move(client)),
        rng_(rng),
        options_(std::move(options)),
        dc_address_(std::move(dc_address)) {}
  // Where DC `dc` is: dc_address_, else what help.getConfig told the client
  // (its ordinary addresses; with `download`, its media-only ones first).
  // Empty: unknown.
  std::vector<HostPort> AddressesOf(int dc, bool download) const;
  // Where CDN DC `dc` is: dc_address_, else help.getConfig's cdn options.
  std::vector<HostPort> CdnAddressesOf(int dc) const;
  // A download paused by a CDN redirect: continues it on the CDN's
  // connection, asks help.getCdnConfig first (and returns OK to wait for
  // it), or returns why the CDN cannot be reached.
  absl::Status ContinueOnCdn(client::FileDownload& transfer);
  // Sets options.allow_cdn per use_cdn() and the window size.
  void AllowCdn(client::DownloadOptions& options) const;
  // Moves the events of the client and of every connection into the kept
  // queues (export answers go to their connection); those `take` returns
  // true for are used up by it instead (`sink`: the sink of the client the
  // event came from).
  void Collect(const std::function<bool(const client::ClientEvent&, client::RequestSink& sink)>&
                   take = nullptr);
  void Keep(client::ClientEvent e);
  // Remembers `conn`'s export in flight, if any, as one whose answer (the
  // login's bytes) nobody imports: Collect wipes it and drops it.
  void ForgetExport(const client::DcConnection& conn);
  // Flushes every driver.
  void PumpAll();
  // Unavailable naming why, once the home connection gave up re-dialling
  // (ReconnectOptions::max_consecutive_failures); OK while it is trying.
  absl::Status GaveUp() const;
  // The same for any driver (`dc` names it in the error).
  static absl::Status GaveUp(const EngineDriver& driver, int dc);
  template <class Transfer>
  absl::Status Run(Transfer& transfer, absl::Duration timeout);
  template <class Walk, class Entry>
  absl::Status RunWalk(Walk& walk, const std::function<bool(const Entry&)>& visit,
                       absl::Duration timeout);

  EventLoop& loop_;
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<EngineDriver> driver_;
  crypto::RandomSource& rng_;
  crypto::SafePrimeCache primes_;  // verdicts on the 2FA SRP primes and the DH primes
  std::unique_ptr<client::SecretChats> secret_;   // EnableSecretChats
  std::deque<client::SecretChatEvent> secret_events_;
  // Offers `e` to the secret chats (true: theirs), keeping their events.
  bool OfferToSecretChats(const client::ClientEvent& e, client::RequestSink& sink);
  void TakeSecretEvents();
  // Runs the loop until a queued secret chat event satisfies `accept`: that
  // event (out of the queue), the connection's give-up, or DeadlineExceeded.
  absl::StatusOr<client::SecretChatEvent> AwaitSecretEvent(
      const std::function<bool(const client::SecretChatEvent&)>& accept, absl::Duration timeout);
  ReconnectOptions options_;  // for the connections to other DCs
  DcAddressFn dc_address_;
  std::map<int, Media> media_;  // by DC
  int connections_made_ = 0;
  std::map<int, Cdn> cdn_;  // by CDN DC
  int cdn_connections_made_ = 0;
  bool use_cdn_ = true;
  std::optional<tl::CdnConfig> cdn_config_;  // help.getCdnConfig's answer
  uint64_t cdn_config_request_ = 0;          // in flight
  absl::Status cdn_config_error_;            // its failure, until reported
  std::map<uint64_t, client::ClientEvent> answers_;
  std::set<uint64_t> orphan_exports_;  // home request ids (ForgetExport)
  std::deque<client::ClientEvent> updates_;
  std::deque<client::ClientEvent> other_;
  uint64_t dropped_ = 0;
  uint64_t awaiting_ = 0;  // the request Await is waiting for
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_CLIENT_RUNNER_H_
