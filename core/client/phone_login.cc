#include "core/client/phone_login.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/client/password_check.h"

namespace mtcore::client {

namespace {

constexpr size_t kMaxFutureAuthTokens = 20;

const char* StateName(PhoneLogin::State s) {
  switch (s) {
    case PhoneLogin::State::kIdle: return "not started";
    case PhoneLogin::State::kSendingCode: return "sending the code";
    case PhoneLogin::State::kCodeNeeded: return "waiting for the code";
    case PhoneLogin::State::kSigningIn: return "signing in";
    case PhoneLogin::State::kSignUpNeeded: return "waiting for a name to sign up";
    case PhoneLogin::State::kSigningUp: return "signing up";
    case PhoneLogin::State::kFetchingPassword: return "fetching the password challenge";
    case PhoneLogin::State::kPasswordNeeded: return "waiting for the password";
    case PhoneLogin::State::kCheckingPassword: return "checking the password";
    case PhoneLogin::State::kEmailNeeded: return "waiting for a login email to set up";
    case PhoneLogin::State::kSendingEmailCode: return "sending a code to the login email";
    case PhoneLogin::State::kEmailCodeNeeded: return "waiting for the code sent to the login email";
    case PhoneLogin::State::kVerifyingEmail: return "verifying the login email";
    case PhoneLogin::State::kLoggedIn: return "logged in";
    case PhoneLogin::State::kFailed: return "failed";
  }
  return "?";
}

// How a code was or will be sent, as SentCodeInfo names it.
void DescribeSentType(const tl::auth_SentCodeType& t, SentCodeInfo& out) {
  if (const auto* x = t.As<tl::auth_sentCodeTypeApp>()) {
    out.type = "app";
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeSms>()) {
    out.type = "sms";
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeCall>()) {
    out.type = "call";
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeFlashCall>()) {
    out.type = "flash_call";
    out.pattern = x->pattern;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeMissedCall>()) {
    out.type = "missed_call";
    out.pattern = x->prefix;
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeEmailCode>()) {
    out.type = "email_code";
    out.pattern = x->email_pattern;
    out.length = x->length;
    out.reset_available_period = x->reset_available_period;
    out.reset_pending_date = x->reset_pending_date;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeFragmentSms>()) {
    out.type = "fragment_sms";
    out.pattern = x->url;
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeFirebaseSms>()) {
    out.type = "firebase_sms";
    out.length = x->length;
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeSmsWord>()) {
    out.type = "sms_word";
    out.pattern = x->beginning.value_or("");
  } else if (const auto* x = t.As<tl::auth_sentCodeTypeSmsPhrase>()) {
    out.type = "sms_phrase";
    out.pattern = x->beginning.value_or("");
  } else {
    out.type = t.name();  // one this build does not name (auth.sentCodeTypeSetUpEmailRequired is taken before)
  }
}

std::string NextTypeName(const tl::auth_CodeType& t) {
  if (!t.has_value()) return "";
  if (t.Is<tl::auth_codeTypeSms>()) return "sms";
  if (t.Is<tl::auth_codeTypeCall>()) return "call";
  if (t.Is<tl::auth_codeTypeFlashCall>()) return "flash_call";
  if (t.Is<tl::auth_codeTypeMissedCall>()) return "missed_call";
  if (t.Is<tl::auth_codeTypeFragmentSms>()) return "fragment_sms";
  return t.name();
}

bool IsRpcError(const ClientEvent& e, std::string_view message) {
  return e.kind == ClientEvent::Kind::kRpcError && e.error_message == message;
}

bool IsAnyRpcError(const ClientEvent& e, std::initializer_list<std::string_view> messages) {
  for (std::string_view m : messages) {
    if (IsRpcError(e, m)) return true;
  }
  return false;
}

tl::EmailVerification TokenVerification(const EmailToken& token) {
  if (token.provider == EmailToken::Provider::kApple) {
    return tl::emailVerificationApple{.token = token.token};
  }
  return tl::emailVerificationGoogle{.token = token.token};
}

const char* ProviderName(EmailToken::Provider p) {
  return p == EmailToken::Provider::kApple ? "Apple" : "Google";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PhoneLogin>> PhoneLogin::Create(PhoneLoginOptions options) {
  bool digits = false;
  for (char c : options.phone) digits = digits || absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("phone login: '", options.phone, "' is not a phone number"));
  }
  if (options.api_id == 0 || options.api_hash.empty()) {
    return absl::InvalidArgumentError("phone login: api_id and api_hash are required");
  }
  if (options.future_auth_tokens.size() > kMaxFutureAuthTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("phone login: ", options.future_auth_tokens.size(),
                     " future auth tokens (at most ", kMaxFutureAuthTokens, ")"));
  }
  return std::unique_ptr<PhoneLogin>(new PhoneLogin(std::move(options)));
}

template <class F>
bool PhoneLogin::SendRequest(const F& function, RequestSink& sink, State next) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(function);
  if (!bytes.ok()) {
    Fail(absl::InvalidArgumentError(absl::StrCat("phone login: ", F::kName,
                                                 ": cannot serialize: ", bytes.status().message())));
    return false;
  }
  absl::StatusOr<uint64_t> id = sink.Send(*std::move(bytes));
  if (!id.ok()) {
    Fail(absl::Status(id.status().code(),
                      absl::StrCat("phone login: ", F::kName, ": ", id.status().message())));
    return false;
  }
  in_flight_ = *id;
  step_ = F::kName;
  state_ = next;
  return true;
}

void PhoneLogin::Start(RequestSink& sink) {
  if (state_ != State::kIdle) return;
  SendCode(sink);
}

void PhoneLogin::SendCode(RequestSink& sink) {
  tl::auth_sendCode send;
  send.phone_number = options_.phone;
  send.api_id = options_.api_id;
  send.api_hash = options_.api_hash;
  tl::codeSettings settings;
  if (!options_.future_auth_tokens.empty()) settings.logout_tokens = options_.future_auth_tokens;
  send.settings = std::move(settings);
  SendRequest(send, sink, State::kSendingCode);
}

void PhoneLogin::FetchPassword(RequestSink& sink) {
  password_.reset();
  SendRequest(tl::account_getPassword{}, sink, State::kFetchingPassword);
}

absl::Status PhoneLogin::Expect(State wanted, std::string_view step) const {
  if (state_ == wanted) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("phone login: ", step, " while ",
                                                    StateName(state_), " (only while ",
                                                    StateName(wanted), ")"));
}

absl::Status PhoneLogin::SubmitCode(std::string_view code, RequestSink& sink) {
  if (state_ == State::kEmailCodeNeeded) {
    if (code.empty()) return absl::InvalidArgumentError("phone login: an empty code");
    tl::account_verifyEmail verify;
    verify.purpose = LoginSetupPurpose();
    verify.verification = tl::emailVerificationCode{.code = std::string(code)};
    SendRequest(verify, sink, State::kVerifyingEmail);
    return absl::OkStatus();
  }
  MTCORE_RETURN_IF_ERROR(Expect(State::kCodeNeeded, "a code"));
  if (code.empty()) return absl::InvalidArgumentError("phone login: an empty code");
  if (code_expired_) {
    return absl::FailedPreconditionError(
        "phone login: the code expired (PHONE_CODE_EXPIRED): ask for a new one with ResendCode");
  }
  tl::auth_signIn sign_in;
  sign_in.phone_number = options_.phone;
  sign_in.phone_code_hash = code_hash_;
  if (email_code_) {
    sign_in.email_verification = tl::emailVerificationCode{.code = std::string(code)};
  } else {
    sign_in.phone_code = std::string(code);
  }
  SendRequest(sign_in, sink, State::kSigningIn);
  return absl::OkStatus();
}

absl::Status PhoneLogin::ResendCode(RequestSink& sink) {
  if (state_ == State::kEmailCodeNeeded) {
    SendEmailCode(sink);
    return absl::OkStatus();
  }
  MTCORE_RETURN_IF_ERROR(Expect(State::kCodeNeeded, "ResendCode"));
  if (code_expired_) {
    SendCode(sink);
    return absl::OkStatus();
  }
  if (code_info_.next_type.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "phone login: the DC named no other way to send the code (sent by ", code_info_.type,
        ")"));
  }
  tl::auth_resendCode resend;
  resend.phone_number = options_.phone;
  resend.phone_code_hash = code_hash_;
  SendRequest(resend, sink, State::kSendingCode);
  return absl::OkStatus();
}

tl::emailVerifyPurposeLoginSetup PhoneLogin::LoginSetupPurpose() const {
  tl::emailVerifyPurposeLoginSetup purpose;
  purpose.phone_number = options_.phone;
  purpose.phone_code_hash = code_hash_;
  return purpose;
}

void PhoneLogin::SendEmailCode(RequestSink& sink) {
  tl::account_sendVerifyEmailCode send;
  send.purpose = LoginSetupPurpose();
  send.email = setup_email_;
  SendRequest(send, sink, State::kSendingEmailCode);
}

absl::Status PhoneLogin::SubmitEmail(std::string_view email, RequestSink& sink) {
  MTCORE_RETURN_IF_ERROR(Expect(State::kEmailNeeded, "a login email"));
  if (email.empty()) return absl::InvalidArgumentError("phone login: an empty email address");
  setup_email_ = std::string(email);
  SendEmailCode(sink);
  return absl::OkStatus();
}

absl::Status PhoneLogin::SubmitEmailToken(const EmailToken& token, RequestSink& sink) {
  const bool setting_up = state_ == State::kEmailNeeded;
  if (!setting_up && !(state_ == State::kCodeNeeded && email_code_)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "phone login: an email token while ", StateName(state_),
        " (only while ", StateName(State::kEmailNeeded), ", or for a code sent by email)"));
  }
  if (token.token.empty()) return absl::InvalidArgumentError("phone login: an empty email token");
  const bool google = setting_up ? email_setup_.google_sign_in_allowed : email_google_;
  const bool apple = setting_up ? email_setup_.apple_sign_in_allowed : email_apple_;
  if (!(token.provider == EmailToken::Provider::kApple ? apple : google)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "phone login: the DC does not allow signing in with ", ProviderName(token.provider),
        " here"));
  }
  if (setting_up) {
    tl::account_verifyEmail verify;
    verify.purpose = LoginSetupPurpose();
    verify.verification = TokenVerification(token);
    SendRequest(verify, sink, State::kVerifyingEmail);
    return absl::OkStatus();
  }
  tl::auth_signIn sign_in;
  sign_in.phone_number = options_.phone;
  sign_in.phone_code_hash = code_hash_;
  sign_in.email_verification = TokenVerification(token);
  SendRequest(sign_in, sink, State::kSigningIn);
  return absl::OkStatus();
}

absl::Status PhoneLogin::ResetLoginEmail(RequestSink& sink) {
  MTCORE_RETURN_IF_ERROR(Expect(State::kCodeNeeded, "ResetLoginEmail"));
  if (!email_code_ || !code_info_.reset_available_period.has_value()) {
    return absl::FailedPreconditionError(
        "phone login: the DC offers no reset of the login email for this code");
  }
  tl::auth_resetLoginEmail reset;
  reset.phone_number = options_.phone;
  reset.phone_code_hash = code_hash_;
  SendRequest(reset, sink, State::kSendingCode);
  return absl::OkStatus();
}

absl::Status PhoneLogin::SignUp(std::string_view first_name, std::string_view last_name,
                                RequestSink& sink) {
  MTCORE_RETURN_IF_ERROR(Expect(State::kSignUpNeeded, "SignUp"));
  if (first_name.empty()) return absl::InvalidArgumentError("phone login: an empty first name");
  tl::auth_signUp sign_up;
  sign_up.phone_number = options_.phone;
  sign_up.phone_code_hash = code_hash_;
  sign_up.first_name = std::string(first_name);
  sign_up.last_name = std::string(last_name);
  SendRequest(sign_up, sink, State::kSigningUp);
  return absl::OkStatus();
}

absl::Status PhoneLogin::SubmitPassword(std::string_view password, crypto::SafePrimeCache& primes,
                                        crypto::RandomSource& rng, RequestSink& sink) {
  MTCORE_RETURN_IF_ERROR(Expect(State::kPasswordNeeded, "a password"));
  absl::StatusOr<tl::inputCheckPasswordSRP> proof = ProvePassword(*password_, password, primes, rng);
  if (!proof.ok()) {
    Fail(absl::Status(proof.status().code(),
                      absl::StrCat("phone login: the 2FA password: ", proof.status().message())));
    return absl::OkStatus();
  }
  tl::auth_checkPassword check;
  check.password = *std::move(proof);
  SendRequest(check, sink, State::kCheckingPassword);
  return absl::OkStatus();
}

void PhoneLogin::Cancel(RequestSink& sink) {
  if (done()) return;
  if (in_flight_ != 0) {
    sink.Cancel(in_flight_);
    given_up_.insert(in_flight_);
    in_flight_ = 0;
  }
  const bool code_pending = !code_hash_.empty() && !code_expired_ &&
                            (state_ == State::kCodeNeeded || state_ == State::kSendingCode ||
                             state_ == State::kSigningIn || state_ == State::kSignUpNeeded ||
                             state_ == State::kSigningUp || state_ == State::kEmailNeeded ||
                             state_ == State::kSendingEmailCode ||
                             state_ == State::kEmailCodeNeeded || state_ == State::kVerifyingEmail);
  if (code_pending) {
    // Tells the DC the code will not be used; its answer is swallowed.
    tl::auth_cancelCode cancel;
    cancel.phone_number = options_.phone;
    cancel.phone_code_hash = code_hash_;
    if (absl::StatusOr<Bytes> bytes = tl::Serialize(cancel); bytes.ok()) {
      if (absl::StatusOr<uint64_t> id = sink.Send(*std::move(bytes)); id.ok()) {
        given_up_.insert(*id);
      }
    }
  }
  Fail(absl::CancelledError("phone login: cancelled"));
}

bool PhoneLogin::OnEvent(const ClientEvent& e, RequestSink& sink) {
  if (!IsAnswer(e)) return false;
  if (given_up_.erase(e.request_id) > 0) return true;
  if (in_flight_ == 0 || e.request_id != in_flight_) return false;
  in_flight_ = 0;
  OnAnswer(e, sink);
  return true;
}

void PhoneLogin::OnAnswer(const ClientEvent& e, RequestSink& sink) {
  switch (state_) {
    case State::kSendingCode:
      OnSentCode(e, sink);
      return;
    case State::kSigningIn:
    case State::kSigningUp:
    case State::kCheckingPassword:
      OnAuthorization(e, sink);
      return;
    case State::kFetchingPassword:
      OnPassword(e);
      return;
    case State::kSendingEmailCode:
      OnSentEmailCode(e);
      return;
    case State::kVerifyingEmail:
      OnEmailVerified(e);
      return;
    default:
      return;  // (nothing is in flight in the other states)
  }
}

template <class T>
std::optional<T> PhoneLogin::ResultOrFail(const ClientEvent& e) {
  if (e.kind != ClientEvent::Kind::kResult) {
    absl::Status s = Client::AnswerStatus(e);
    Fail(absl::Status(s.code(), absl::StrCat("phone login: ", step_, ": ", s.message())));
    return std::nullopt;
  }
  absl::StatusOr<T> value = tl::Parse<T>(e.body);
  if (!value.ok()) {
    Fail(absl::DataLossError(absl::StrCat("phone login: ", step_,
                                          ": an answer that does not parse: ",
                                          value.status().message())));
    return std::nullopt;
  }
  return *std::move(value);
}

void PhoneLogin::OnSentCode(const ClientEvent& e, RequestSink& sink) {
  std::optional<tl::auth_SentCode> sent = ResultOrFail<tl::auth_SentCode>(e);
  if (!sent.has_value()) return;
  ++codes_sent_;
  TakeSentCode(*sent);
}

void PhoneLogin::TakeSentCode(const tl::auth_SentCode& sent) {
  if (const auto* x = sent.As<tl::auth_sentCodeSuccess>()) {
    // A future auth token was accepted: logged in without a code.
    const auto* a = x->authorization.As<tl::auth_authorization>();
    if (a == nullptr) {
      Fail(absl::DataLossError(absl::StrCat("phone login: ", step_, ": auth.sentCodeSuccess with ",
                                            x->authorization.name())));
      return;
    }
    authorization_ = *a;
    state_ = State::kLoggedIn;
    return;
  }
  if (const auto* x = sent.As<tl::auth_sentCodePaymentRequired>()) {
    Fail(absl::FailedPreconditionError(absl::StrCat(
        "phone login: ", step_, ": the DC asks for a payment before it sends a code to this "
        "number (auth.sentCodePaymentRequired, product '", x->store_product, "')")));
    return;
  }
  const auto* x = sent.As<tl::auth_sentCode>();
  if (x == nullptr) {
    Fail(absl::DataLossError(absl::StrCat("phone login: ", step_, ": ", sent.name(),
                                          " where a code was expected")));
    return;
  }
  if (x->phone_code_hash.empty()) {
    Fail(absl::DataLossError(absl::StrCat("phone login: ", step_, ": no phone_code_hash")));
    return;
  }
  code_hash_ = x->phone_code_hash;
  code_expired_ = false;
  attempt_error_ = absl::OkStatus();
  if (const auto* t = x->type.As<tl::auth_sentCodeTypeSetUpEmailRequired>()) {
    email_setup_ = EmailSetupInfo{.google_sign_in_allowed = t->google_signin_allowed,
                                  .apple_sign_in_allowed = t->apple_signin_allowed};
    state_ = State::kEmailNeeded;
    return;
  }
  const auto* email = x->type.As<tl::auth_sentCodeTypeEmailCode>();
  email_code_ = email != nullptr;
  email_google_ = email != nullptr && email->google_signin_allowed;
  email_apple_ = email != nullptr && email->apple_signin_allowed;
  code_info_ = SentCodeInfo{};
  DescribeSentType(x->type, code_info_);
  code_info_.next_type = NextTypeName(x->next_type);
  code_info_.timeout = x->timeout;
  state_ = State::kCodeNeeded;
}

void PhoneLogin::OnSentEmailCode(const ClientEvent& e) {
  if (IsAnyRpcError(e, {"EMAIL_INVALID", "EMAIL_NOT_ALLOWED", "EMAIL_UNCONFIRMED"})) {
    Refused(e, State::kEmailNeeded);
    return;
  }
  std::optional<tl::account_SentEmailCode> sent = ResultOrFail<tl::account_SentEmailCode>(e);
  if (!sent.has_value()) return;
  const auto& x = *sent->As<tl::account_sentEmailCode>();
  ++codes_sent_;
  code_info_ = SentCodeInfo{.type = "email_code", .length = x.length, .pattern = x.email_pattern};
  attempt_error_ = absl::OkStatus();
  state_ = State::kEmailCodeNeeded;
}

void PhoneLogin::OnEmailVerified(const ClientEvent& e) {
  if (IsAnyRpcError(e, {"CODE_INVALID", "EMAIL_CODE_INVALID", "EMAIL_VERIFY_EXPIRED",
                        "EMAIL_TOKEN_INVALID"})) {
    // A token refused: the address is asked for again (an emailed code may
    // prove it); a code refused: asked for again (ResendCode mails a new one).
    Refused(e, IsRpcError(e, "EMAIL_TOKEN_INVALID") || setup_email_.empty()
                   ? State::kEmailNeeded
                   : State::kEmailCodeNeeded);
    return;
  }
  std::optional<tl::account_EmailVerified> verified = ResultOrFail<tl::account_EmailVerified>(e);
  if (!verified.has_value()) return;
  const auto* login = verified->As<tl::account_emailVerifiedLogin>();
  if (login == nullptr) {
    Fail(absl::DataLossError(absl::StrCat("phone login: ", step_,
                                          ": account.emailVerified without the login's next code")));
    return;
  }
  ++codes_sent_;
  TakeSentCode(login->sent_code);
}

void PhoneLogin::OnAuthorization(const ClientEvent& e, RequestSink& sink) {
  const State was = state_;
  if (e.kind == ClientEvent::Kind::kRpcError) {
    if (e.error_code == 401 && e.error_message == "SESSION_PASSWORD_NEEDED" &&
        was != State::kCheckingPassword) {
      attempt_error_ = absl::OkStatus();
      FetchPassword(sink);
      return;
    }
    if (was == State::kSigningIn &&
        IsAnyRpcError(e, {"PHONE_CODE_INVALID", "PHONE_CODE_EMPTY", "EMAIL_CODE_INVALID",
                          "CODE_INVALID"})) {
      Refused(e, State::kCodeNeeded);
      return;
    }
    if ((was == State::kSigningIn || was == State::kSigningUp) &&
        IsRpcError(e, "PHONE_CODE_EXPIRED")) {
      Refused(e, State::kCodeNeeded);
      code_expired_ = true;
      return;
    }
    if (was == State::kSigningUp &&
        IsAnyRpcError(e, {"FIRSTNAME_INVALID", "LASTNAME_INVALID"})) {
      Refused(e, State::kSignUpNeeded);
      return;
    }
    if (was == State::kCheckingPassword && IsRpcError(e, "PASSWORD_HASH_INVALID")) {
      // Each challenge (srp_id) is good for one try: fetch a new one.
      Refused(e, State::kFetchingPassword);
      FetchPassword(sink);
      return;
    }
  }
  std::optional<tl::auth_Authorization> a = ResultOrFail<tl::auth_Authorization>(e);
  if (!a.has_value()) return;
  if (const auto* x = a->As<tl::auth_authorizationSignUpRequired>()) {
    if (was != State::kSigningIn) {
      Fail(absl::DataLossError(absl::StrCat("phone login: ", step_,
                                            ": auth.authorizationSignUpRequired again")));
      return;
    }
    if (const auto* t = x->terms_of_service.As<tl::help_termsOfService>()) terms_ = *t;
    attempt_error_ = absl::OkStatus();
    state_ = State::kSignUpNeeded;
    return;
  }
  authorization_ = *a->As<tl::auth_authorization>();
  state_ = State::kLoggedIn;
}

void PhoneLogin::OnPassword(const ClientEvent& e) {
  std::optional<tl::account_Password> p = ResultOrFail<tl::account_Password>(e);
  if (!p.has_value()) return;
  const tl::account_password& info = *p->As<tl::account_password>();
  if (!info.has_password) {
    Fail(absl::DataLossError(absl::StrCat(
        "phone login: ", step_, ": SESSION_PASSWORD_NEEDED, but the account has no password")));
    return;
  }
  password_hint_ = info.hint.value_or("");
  password_ = *std::move(p);
  state_ = State::kPasswordNeeded;
}

void PhoneLogin::Refused(const ClientEvent& e, State next) {
  const absl::Status s = Client::AnswerStatus(e);
  attempt_error_ = absl::Status(s.code(), absl::StrCat(step_, ": ", s.message()));
  state_ = next;
}

void PhoneLogin::Fail(absl::Status why) {
  error_ = std::move(why);
  state_ = State::kFailed;
  password_.reset();
}

absl::StatusOr<tl::auth_authorization> PhoneLogin::result() const {
  if (state_ == State::kLoggedIn) return *authorization_;
  if (state_ == State::kFailed) return error_;
  return absl::FailedPreconditionError(
      absl::StrCat("phone login: no result while ", StateName(state_)));
}

}  // namespace mtcore::client
