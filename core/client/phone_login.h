// Login with a phone number (core.telegram.org/api/auth), as a state machine
// over the typed Client, offered the Client's events like the file
// transfers and the QR login, sending through a RequestSink. The app
// supplies what only the user knows (the code, the 2FA password, a name for
// a new account) when the login asks for it. Sans-I/O: the SRP proof's
// entropy comes in as an argument.
//
// The flow:
//   1. auth.sendCode(phone, api_id, api_hash, codeSettings{logout_tokens})
//      (PHONE_MIGRATE_X is followed by the Client itself) answers
//      auth.sentCode: kCodeNeeded, code_info() says how the code was sent
//      (app, SMS, call, email...), its length, and how ResendCode() would
//      send it next (auth.resendCode) and after how many seconds. A
//      future_auth_token the app kept from an earlier login of the same
//      number (PhoneLoginOptions::future_auth_tokens) may make the DC log in
//      at once: auth.sentCodeSuccess, kLoggedIn.
//   2. SubmitCode(code): auth.signIn (with email_verification for a code sent
//      by email). A wrong code (PHONE_CODE_INVALID) or an expired one
//      (PHONE_CODE_EXPIRED: ResendCode() then asks for a new code with
//      auth.sendCode) returns to kCodeNeeded with attempt_error() saying so.
//   3. auth.authorization: kLoggedIn. auth.authorizationSignUpRequired (a
//      number with no account): kSignUpNeeded, terms_of_service() to show;
//      SignUp(first, last) sends auth.signUp (the app calls
//      help.acceptTermsOfService(id) once the user agreed).
//      401 SESSION_PASSWORD_NEEDED: account.getPassword, then
//      kPasswordNeeded with password_hint(); SubmitPassword(password) sends
//      auth.checkPassword with the SRP proof (password_check.h); a wrong one
//      (PASSWORD_HASH_INVALID) fetches a new SRP challenge and returns to
//      kPasswordNeeded with attempt_error().
//   A number whose account must first have a login email
//   (auth.sentCodeTypeSetUpEmailRequired, core.telegram.org/api/auth#email-verification):
//   kEmailNeeded; SubmitEmail(address) sends account.sendVerifyEmailCode
//   (emailVerifyPurposeLoginSetup), then kEmailCodeNeeded: SubmitCode(code)
//   sends account.verifyEmail, whose account.emailVerifiedLogin carries the
//   login's next auth.sentCode (step 1 again). An address the DC refuses
//   (EMAIL_INVALID, EMAIL_NOT_ALLOWED) returns to kEmailNeeded, a wrong code
//   to kEmailCodeNeeded, both with attempt_error(). Where the DC allows it
//   (email_setup()), SubmitEmailToken proves the address with a Google or
//   Apple ID token instead, here and for a code sent by email. For a code
//   sent to an email the user can no longer read, ResetLoginEmail() sends
//   auth.resetLoginEmail once code_info() says a reset is available.
//
// Each login ends exactly once: kLoggedIn (result() is the authorization;
// its future_auth_token, if any, is for the app to keep for the next login
// of this number) or kFailed (result() is the one error: the rpc error of
// the step that failed, e.g. "phone login: auth.sendCode: rpc error 400
// PHONE_NUMBER_INVALID", a request that failed, an answer that does not
// parse, what mtcore cannot do (a payment, Firebase SMS verification),
// or Cancelled after Cancel(), which also tells the DC with auth.cancelCode).
// Answers to requests it gave up are still consumed when they come.
//
// Example:
//   ClientSink sink(client);
//   MTCORE_ASSIGN_OR_RETURN(auto login, PhoneLogin::Create({.phone = "+4412345",
//                                                           .api_id = ID, .api_hash = HASH}));
//   login->Start(sink);
//   ... for each ClientEvent e: if (!login->OnEvent(e, sink)) HandleOther(e);
//   ... kCodeNeeded: login->SubmitCode(AskUser(login->code_info()), sink);
//   ... kPasswordNeeded: login->SubmitPassword(AskPassword(login->password_hint()),
//                                               primes, rng, sink);
#ifndef MTCORE_CORE_CLIENT_PHONE_LOGIN_H_
#define MTCORE_CORE_CLIENT_PHONE_LOGIN_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/client/client.h"
#include "core/client/request_sink.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace mtcore::client {

struct PhoneLoginOptions {
  // The number in international format ("+44 1234 5678": the DC reads the
  // digits); required.
  std::string phone;
  // The app's credentials (my.telegram.org); both required.
  int32_t api_id = 0;
  std::string api_hash;
  // future_auth_token values of earlier logins of this number
  // (auth.authorization.future_auth_token, newest first; at most 20): the DC
  // may log in without a code (codeSettings.logout_tokens).
  std::vector<std::string> future_auth_tokens;
};

// How the code was sent (auth.sentCode), in plain fields.
struct SentCodeInfo {
  // "app" (a Telegram app of the account), "sms", "call", "flash_call",
  // "missed_call", "email_code", "fragment_sms", "firebase_sms", "sms_word",
  // "sms_phrase".
  std::string type;
  // Digits expected (0 when the type does not say).
  int32_t length = 0;
  // The flash call's pattern, the missed call's number prefix, the email
  // address's pattern, fragment.com's URL, or the SMS's first word.
  std::string pattern;
  // How ResendCode() would send it: "sms", "call", "flash_call",
  // "missed_call", "fragment_sms", "email_code"; empty: no other way.
  std::string next_type;
  // Seconds after which ResendCode() may be called, if the DC said.
  std::optional<int32_t> timeout;
  // A code sent by email ("email_code"): the user may reset the login email
  // (ResetLoginEmail) if the DC gave reset_available_period (seconds to
  // wait once asked); a reset asked for earlier completes at
  // reset_pending_date (unix time).
  std::optional<int32_t> reset_available_period;
  std::optional<int32_t> reset_pending_date;
};

// What kEmailNeeded allows besides an address and its emailed code.
struct EmailSetupInfo {
  bool google_sign_in_allowed = false;
  bool apple_sign_in_allowed = false;
};

// An ID token that proves an email address (emailVerificationGoogle /
// emailVerificationApple), where EmailSetupInfo or the email code allow it.
struct EmailToken {
  enum class Provider { kGoogle, kApple };
  Provider provider = Provider::kGoogle;
  std::string token;
};

class PhoneLogin {
 public:
  enum class State {
    kIdle,             // not started
    kSendingCode,      // auth.sendCode / auth.resendCode in flight
    kCodeNeeded,       // waiting for SubmitCode (or ResendCode)
    kSigningIn,        // auth.signIn in flight
    kSignUpNeeded,     // waiting for SignUp: the number has no account
    kSigningUp,        // auth.signUp in flight
    kFetchingPassword, // account.getPassword in flight
    kPasswordNeeded,   // waiting for SubmitPassword
    kCheckingPassword, // auth.checkPassword in flight
    kEmailNeeded,      // waiting for SubmitEmail (or SubmitEmailToken): set up a login email
    kSendingEmailCode, // account.sendVerifyEmailCode in flight
    kEmailCodeNeeded,  // waiting for SubmitCode: the code sent to that address
    kVerifyingEmail,   // account.verifyEmail in flight
    kLoggedIn,         // done: result() is the authorization
    kFailed,           // done: result() is the error
  };

  // InvalidArgument without a phone number (no digit), api_id or api_hash,
  // or with more than 20 future auth tokens.
  static absl::StatusOr<std::unique_ptr<PhoneLogin>> Create(PhoneLoginOptions options);

  // Sends auth.sendCode. Once only.
  void Start(RequestSink& sink);
  // Consumes the answers to its own requests (true); leaves every other
  // event to the caller (false).
  bool OnEvent(const ClientEvent& e, RequestSink& sink);

  // The steps the app takes when asked. FailedPrecondition in any other
  // state (naming it); InvalidArgument for an empty code, address, token or
  // first name. A step that could not be sent ends the login (result()).
  // SubmitCode: kCodeNeeded (auth.signIn) or kEmailCodeNeeded
  // (account.verifyEmail).
  absl::Status SubmitCode(std::string_view code, RequestSink& sink);
  // Sends the code another way (auth.resendCode; FailedPrecondition if
  // code_info() has no next_type), or asks for a new one after
  // PHONE_CODE_EXPIRED (auth.sendCode); in kEmailCodeNeeded, emails a new
  // code to the same address.
  absl::Status ResendCode(RequestSink& sink);
  // kEmailNeeded: the login email to set up (account.sendVerifyEmailCode).
  absl::Status SubmitEmail(std::string_view email, RequestSink& sink);
  // kEmailNeeded (account.verifyEmail), or kCodeNeeded for a code sent by
  // email (auth.signIn's email_verification): the address proved by a
  // Google / Apple ID token; FailedPrecondition where the DC did not allow
  // that provider.
  absl::Status SubmitEmailToken(const EmailToken& token, RequestSink& sink);
  // kCodeNeeded for a code sent by email that the DC allows to reset
  // (code_info().reset_available_period): auth.resetLoginEmail; the DC
  // answers with a code sent another way (kCodeNeeded again, code_info()
  // saying how) or with the date the reset completes
  // (code_info().reset_pending_date).
  absl::Status ResetLoginEmail(RequestSink& sink);
  absl::Status SignUp(std::string_view first_name, std::string_view last_name,
                      RequestSink& sink);
  // Proves `password` against the challenge account.getPassword gave
  // (ProvePassword's errors end the login: the DC's parameters failed a
  // check). `primes` keeps the verdict on the SRP prime.
  absl::Status SubmitPassword(std::string_view password, crypto::SafePrimeCache& primes,
                              crypto::RandomSource& rng, RequestSink& sink);
  // Gives up: the request in flight is cancelled, the DC told
  // (auth.cancelCode) if a code was sent, and the login fails with
  // Cancelled. Nothing happens once done.
  void Cancel(RequestSink& sink);

  State state() const { return state_; }
  bool done() const { return state_ == State::kLoggedIn || state_ == State::kFailed; }
  // Whether the login waits for the app (kCodeNeeded, kSignUpNeeded,
  // kPasswordNeeded).
  bool waiting_for_app() const {
    return state_ == State::kCodeNeeded || state_ == State::kSignUpNeeded ||
           state_ == State::kPasswordNeeded || state_ == State::kEmailNeeded ||
           state_ == State::kEmailCodeNeeded;
  }
  // kCodeNeeded: how the login code was sent; kEmailCodeNeeded: the code
  // emailed to the address being set up (type "email_code", the address's
  // pattern, its length).
  const SentCodeInfo& code_info() const { return code_info_; }
  // kEmailNeeded: the ID tokens the DC accepts instead of an emailed code.
  const EmailSetupInfo& email_setup() const { return email_setup_; }
  // Why the last code, address, name or password was refused (OK if it was not):
  // e.g. "auth.signIn: rpc error 400 PHONE_CODE_INVALID".
  const absl::Status& attempt_error() const { return attempt_error_; }
  // The hint the user set for the 2FA password (kPasswordNeeded).
  const std::string& password_hint() const { return password_hint_; }
  // The terms a new account accepts (kSignUpNeeded), if the DC sent them.
  const std::optional<tl::help_termsOfService>& terms_of_service() const { return terms_; }
  // Codes asked for so far (auth.sendCode and auth.resendCode answered).
  int codes_sent() const { return codes_sent_; }
  absl::StatusOr<tl::auth_authorization> result() const;

 private:
  explicit PhoneLogin(PhoneLoginOptions options) : options_(std::move(options)) {}
  template <class F>
  bool SendRequest(const F& function, RequestSink& sink, State next);
  void SendCode(RequestSink& sink);
  void FetchPassword(RequestSink& sink);
  void OnAnswer(const ClientEvent& e, RequestSink& sink);
  // The answer `e` as a T, or nullopt after failing the login with its
  // error (an rpc error, a failed request, bytes that do not parse).
  template <class T>
  std::optional<T> ResultOrFail(const ClientEvent& e);
  void OnSentCode(const ClientEvent& e, RequestSink& sink);
  void OnAuthorization(const ClientEvent& e, RequestSink& sink);
  void OnPassword(const ClientEvent& e);
  void OnSentEmailCode(const ClientEvent& e);
  void OnEmailVerified(const ClientEvent& e);
  // The login's auth.SentCode (after auth.sendCode, resendCode,
  // resetLoginEmail or account.verifyEmail): logged in, a code to ask for,
  // a login email to set up, or what mtcore cannot do.
  void TakeSentCode(const tl::auth_SentCode& sent);
  void SendEmailCode(RequestSink& sink);
  tl::emailVerifyPurposeLoginSetup LoginSetupPurpose() const;
  absl::Status Expect(State wanted, std::string_view step) const;
  // The DC refused what the app gave (the code, an address, a name, the
  // password): said in attempt_error(); the login goes to `next`.
  void Refused(const ClientEvent& e, State next);
  void Fail(absl::Status why);

  PhoneLoginOptions options_;
  State state_ = State::kIdle;
  uint64_t in_flight_ = 0;  // 0: none
  const char* step_ = "";   // its method, for errors
  std::set<uint64_t> given_up_;
  std::string code_hash_;
  bool code_expired_ = false;  // the hash is dead: ResendCode sends auth.sendCode
  bool email_code_ = false;    // the code was sent by email (signIn's email_verification)
  bool email_google_ = false;  // ... and may be proved with a Google / Apple token instead
  bool email_apple_ = false;
  EmailSetupInfo email_setup_;
  std::string setup_email_;    // the login email being set up (kEmailCodeNeeded)
  SentCodeInfo code_info_;
  int codes_sent_ = 0;
  absl::Status attempt_error_;
  std::optional<tl::account_Password> password_;
  std::string password_hint_;
  std::optional<tl::help_termsOfService> terms_;
  std::optional<tl::auth_authorization> authorization_;
  absl::Status error_;
};

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_PHONE_LOGIN_H_
