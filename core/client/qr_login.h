// Login by QR code (core.telegram.org/api/qr-login), as a state machine over
// the typed Client, offered the Client's events like the file transfers
// (file_transfer.h) and sending through a RequestSink (request_sink.h). Sans-I/O: time comes in as arguments (the sink's Now()
// and OnTimeout(now)), nothing is read from a clock.
//
// The flow:
//   1. auth.exportLoginToken(api_id, api_hash, except_ids) answers
//      auth.loginToken{expires, token}: url() is tg://login?token=<base64url
//      of the token, no padding>, valid until url_expires_at() (the driver's
//      clock: `expires` is the server's, converted with the client's server
//      time offset). The app renders it as a QR code and shows the new one
//      whenever url_generation() changes.
//   2. Not scanned before it expires (NextDeadline(), then OnTimeout(now)):
//      a new token is exported, and so on until the app cancels.
//   3. Another app of the account accepts it (auth.acceptLoginToken): the
//      client is pushed updateLoginToken (Client delivers it as a kUpdate
//      even before login; OnEvent consumes it) and exports again, which
//      answers auth.loginTokenSuccess (logged in: the Client's own login path
//      starts updates, peers().self() is the user) or
//      auth.loginTokenMigrateTo{dc_id, token}: the account lives on another
//      DC. The client moves there (QrLoginSink::MoveToDc: a new key on that
//      DC, exactly as after PHONE_MIGRATE) and sends auth.importLoginToken
//      there, which answers loginTokenSuccess, or loginTokenMigrateTo again
//      (followed at most QrLoginOptions::max_migrations times).
//   4. A 2FA account answers 401 SESSION_PASSWORD_NEEDED instead: the login
//      ends in kPasswordNeeded, and the app proves the password on the same
//      client (account.getPassword, then auth.checkPassword with SRP:
//      core/crypto/pubkey/srp.h), exactly as after auth.signIn.
//
// Each login ends exactly once: kLoggedIn (result() is the authorization),
// kPasswordNeeded (result() is FailedPrecondition naming
// SESSION_PASSWORD_NEEDED), or kFailed (result() is the one error: the rpc
// error of the step that failed, e.g. "QR login: auth.importLoginToken: rpc
// error 400 AUTH_TOKEN_EXPIRED", a request that failed, an answer that does
// not parse, too many migrations, or Cancelled after Cancel()). Answers to
// requests it gave up are still consumed when they come.
//
// Example:
//   ClientQrLoginSink sink(client);
//   MTCORE_ASSIGN_OR_RETURN(auto qr, QrLogin::Create({.api_id = ID, .api_hash = HASH}));
//   qr->Start(sink);
//   ... for each ClientEvent e: if (!qr->OnEvent(e, sink)) HandleOther(e);
//   ... when now >= *qr->NextDeadline(): qr->OnTimeout(now, sink);
//   ... whenever qr->url_generation() changes: ShowQr(qr->url());
//   if (qr->done()) MTCORE_ASSIGN_OR_RETURN(tl::auth_authorization me, qr->result());
#ifndef MTCORE_CORE_CLIENT_QR_LOGIN_H_
#define MTCORE_CORE_CLIENT_QR_LOGIN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "tl/api.h"

namespace mtcore::client {

// Where a QR login's requests go, and what it needs of the client besides.
class QrLoginSink : public RequestSink {
 public:
  // Moves the client, not logged in, to DC `dc` (Client::MoveToDc).
  virtual absl::Status MoveToDc(int dc) = 0;
  // The driver's time of the latest event (Client::now()).
  virtual absl::Time Now() = 0;
  // The server's unix time in nanoseconds at the driver's time `now`.
  virtual int64_t ServerUnixNs(absl::Time now) = 0;
};

// A Client as a QrLoginSink.
class ClientQrLoginSink final : public QrLoginSink {
 public:
  explicit ClientQrLoginSink(Client& client) : client_(client) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override;
  void Cancel(uint64_t request_id) override;
  absl::Status MoveToDc(int dc) override;
  absl::Time Now() override;
  int64_t ServerUnixNs(absl::Time now) override;

 private:
  Client& client_;
};

struct QrLoginOptions {
  // The app's credentials (my.telegram.org); both required.
  int32_t api_id = 0;
  std::string api_hash;
  // Users already logged in on this device (the DC will not log them in
  // twice).
  std::vector<int64_t> except_ids;
  // loginTokenMigrateTo followed at most this often.
  int max_migrations = 2;
  // A token is used at least this long even if the server's `expires` says
  // less (a skewed clock must not make the login export in a loop).
  absl::Duration min_token_lifetime = absl::Seconds(1);
};

// The login URL of a token: tg://login?token=<base64url, no padding>.
std::string LoginTokenUrl(std::string_view token);

class QrLogin {
 public:
  enum class State {
    kIdle,            // not started
    kExporting,       // auth.exportLoginToken for a (new) token in flight
    kWaiting,         // url() is shown; waiting for the scan or the expiry
    kConfirming,      // accepted (updateLoginToken): exportLoginToken again
    kImporting,       // auth.importLoginToken on the account's DC
    kLoggedIn,        // done: result() is the authorization
    kPasswordNeeded,  // done: prove the 2FA password on this client
    kFailed,          // done: result() is the error
  };

  // InvalidArgument without api_id / api_hash or with max_migrations < 0.
  static absl::StatusOr<std::unique_ptr<QrLogin>> Create(QrLoginOptions options);

  // Exports the first token. Once only.
  void Start(QrLoginSink& sink);
  // Consumes the answers to its own requests and updateLoginToken (true);
  // leaves every other event to the caller (false).
  bool OnEvent(const ClientEvent& e, QrLoginSink& sink);
  // When the token shown expires (kWaiting only); then call OnTimeout.
  std::optional<absl::Time> NextDeadline() const;
  // An expired token is replaced by a new one (a new url()).
  void OnTimeout(absl::Time now, QrLoginSink& sink);
  // Gives up: the request in flight is cancelled and the login fails with
  // Cancelled (nothing happens once done).
  void Cancel(QrLoginSink& sink);

  State state() const { return state_; }
  bool done() const {
    return state_ == State::kLoggedIn || state_ == State::kPasswordNeeded ||
           state_ == State::kFailed;
  }
  // The URL to show as a QR code (empty before the first token) and until
  // when it is valid, on the driver's clock and (expires) the server's, in
  // unix seconds.
  const std::string& url() const { return url_; }
  absl::Time url_expires_at() const { return url_expires_at_; }
  int32_t expires() const { return expires_; }
  // Counts the tokens exported so far: a change means a new url().
  int url_generation() const { return url_generation_; }
  // loginTokenMigrateTo answers followed.
  int migrations() const { return migrations_; }
  absl::StatusOr<tl::auth_authorization> result() const;

 private:
  explicit QrLogin(QrLoginOptions options) : options_(std::move(options)) {}
  void Export(QrLoginSink& sink, State next);
  template <class F>
  void SendRequest(const F& function, QrLoginSink& sink, State next);
  void OnAnswer(const ClientEvent& e, QrLoginSink& sink);
  void OnLoginToken(const tl::auth_LoginToken& t, QrLoginSink& sink);
  void Fail(absl::Status why);
  // The method of the request in flight, for errors.
  const char* step() const;

  QrLoginOptions options_;
  State state_ = State::kIdle;
  uint64_t in_flight_ = 0;  // 0: none
  bool in_flight_is_import_ = false;
  // updateLoginToken came while a new token was being exported: export
  // again as soon as it is answered.
  bool accepted_meanwhile_ = false;
  std::set<uint64_t> given_up_;
  std::string url_;
  absl::Time url_expires_at_ = absl::InfinitePast();
  int32_t expires_ = 0;
  int url_generation_ = 0;
  int migrations_ = 0;
  std::optional<tl::auth_authorization> authorization_;
  absl::Status error_;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_QR_LOGIN_H_
