#include "core/client/phone_login.h"

#include <memory>
#include <string>
#include <vector>

#include "core/client/scripted_sink.h"
#include "core/client/srp_test_account.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;
using testing::FailedEvent;
using testing::ResultEvent;
using testing::RpcErrorEvent;
using testing::ScriptedSink;
using testing::SrpTestAccount;
using State = PhoneLogin::State;

constexpr char kPhone[] = "+44 7700 900123";

std::unique_ptr<PhoneLogin> MakeLogin(std::vector<std::string> tokens = {}) {
  absl::StatusOr<std::unique_ptr<PhoneLogin>> login = PhoneLogin::Create(
      {.phone = kPhone, .api_id = 17, .api_hash = "hash", .future_auth_tokens = std::move(tokens)});
  EXPECT_TRUE(login.ok()) << login.status();
  return login.ok() ? *std::move(login) : nullptr;
}

template <class T>
Bytes Boxed(T value) {
  absl::StatusOr<Bytes> b = tl::Serialize(value);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : Bytes();
}

Bytes SentCode(tl::auth_SentCodeType type, std::string hash, tl::auth_CodeType next = {},
               std::optional<int32_t> timeout = std::nullopt) {
  tl::auth_sentCode c;
  c.type = std::move(type);
  c.phone_code_hash = std::move(hash);
  c.next_type = std::move(next);
  c.timeout = timeout;
  return Boxed(tl::auth_SentCode(std::move(c)));
}

tl::auth_authorization Authorized(int64_t user_id) {
  tl::auth_authorization a;
  a.user = tl::user{.id = user_id, .first_name = std::string("Ann")};
  a.future_auth_token = std::string("future-token");
  return a;
}

Bytes Authorization(int64_t user_id) { return Boxed(tl::auth_Authorization(Authorized(user_id))); }

// Answers the request in flight with `body`, checking that it was one.
void Answer(PhoneLogin& login, ScriptedSink& sink, Bytes body) {
  ASSERT_FALSE(sink.open.empty());
  EXPECT_TRUE(login.OnEvent(ResultEvent(sink.TakeOldest(), std::move(body)), sink));
}

void Refuse(PhoneLogin& login, ScriptedSink& sink, int32_t code, const std::string& message) {
  ASSERT_FALSE(sink.open.empty());
  EXPECT_TRUE(login.OnEvent(RpcErrorEvent(sink.TakeOldest(), code, message), sink));
}

TEST(PhoneLoginTest, ACodeSentByTheAppThenBySmsSignsIn) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  EXPECT_EQ(login->state(), State::kSendingCode);
  ASSERT_EQ(sink.open.size(), 1u);
  auto send = sink.Decode<tl::auth_sendCode>(sink.open[0]);
  EXPECT_EQ(send.phone_number, kPhone);
  EXPECT_EQ(send.api_id, 17);
  EXPECT_EQ(send.api_hash, "hash");
  ASSERT_NE(send.settings.As<tl::codeSettings>(), nullptr);
  EXPECT_FALSE(send.settings.As<tl::codeSettings>()->logout_tokens.has_value());
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeApp{.length = 5}, "h1", tl::auth_codeTypeSms{}, 60));
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_TRUE(login->waiting_for_app());
  EXPECT_EQ(login->code_info().type, "app");
  EXPECT_EQ(login->code_info().length, 5);
  EXPECT_EQ(login->code_info().next_type, "sms");
  EXPECT_EQ(login->code_info().timeout, 60);
  EXPECT_EQ(login->codes_sent(), 1);

  // By SMS instead.
  ASSERT_TRUE(login->ResendCode(sink).ok());
  auto resend = sink.Decode<tl::auth_resendCode>(sink.open[0]);
  EXPECT_EQ(resend.phone_code_hash, "h1");
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 6}, "h1"));
  EXPECT_EQ(login->code_info().type, "sms");
  EXPECT_EQ(login->code_info().length, 6);
  EXPECT_EQ(login->code_info().next_type, "");
  EXPECT_FALSE(login->code_info().timeout.has_value());
  EXPECT_EQ(login->ResendCode(sink).code(), absl::StatusCode::kFailedPrecondition)
      << "no other way named";

  // A wrong code, then the right one.
  EXPECT_EQ(login->SubmitCode("", sink).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(login->SubmitCode("111111", sink).ok());
  EXPECT_EQ(login->state(), State::kSigningIn);
  EXPECT_EQ(login->SubmitCode("222222", sink).code(), absl::StatusCode::kFailedPrecondition)
      << "one at a time";
  auto sign_in = sink.Decode<tl::auth_signIn>(sink.open[0]);
  EXPECT_EQ(sign_in.phone_number, kPhone);
  EXPECT_EQ(sign_in.phone_code_hash, "h1");
  EXPECT_EQ(sign_in.phone_code, "111111");
  EXPECT_FALSE(sign_in.email_verification.has_value());
  Refuse(*login, sink, 400, "PHONE_CODE_INVALID");
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("auth.signIn: rpc error 400 PHONE_CODE_INVALID"));
  ASSERT_TRUE(login->SubmitCode("123456", sink).ok());
  Answer(*login, sink, Authorization(5001));
  ASSERT_EQ(login->state(), State::kLoggedIn);
  EXPECT_TRUE(login->done());
  ASSERT_TRUE(login->result().ok()) << login->result().status();
  EXPECT_EQ(login->result()->user.As<tl::user>()->id, 5001);
  EXPECT_EQ(login->result()->future_auth_token, "future-token");
  EXPECT_TRUE(sink.open.empty());
  EXPECT_EQ(login->SubmitCode("1", sink).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PhoneLoginTest, AnExpiredCodeIsReplacedByANewOne) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 5}, "old"));
  ASSERT_TRUE(login->SubmitCode("12345", sink).ok());
  Refuse(*login, sink, 400, "PHONE_CODE_EXPIRED");
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("PHONE_CODE_EXPIRED"));
  absl::Status again = login->SubmitCode("12345", sink);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.message(), HasSubstr("ResendCode"));
  // ResendCode asks for a new code from the start (the old hash is dead).
  ASSERT_TRUE(login->ResendCode(sink).ok());
  auto send = sink.Decode<tl::auth_sendCode>(sink.open[0]);
  EXPECT_EQ(send.phone_number, kPhone);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 5}, "new"));
  EXPECT_EQ(login->codes_sent(), 2);
  EXPECT_TRUE(login->attempt_error().ok());
  ASSERT_TRUE(login->SubmitCode("54321", sink).ok());
  EXPECT_EQ(sink.Decode<tl::auth_signIn>(sink.open[0]).phone_code_hash, "new");
  Answer(*login, sink, Authorization(7));
  EXPECT_EQ(login->state(), State::kLoggedIn);
}

TEST(PhoneLoginTest, ANumberWithoutAnAccountSignsUpWithAName) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 5}, "h"));
  ASSERT_TRUE(login->SubmitCode("12345", sink).ok());
  tl::help_termsOfService terms;
  terms.id = tl::dataJSON{.data = "{\"tos\":1}"};
  terms.text = "Be nice.";
  Answer(*login, sink,
         Boxed(tl::auth_Authorization(tl::auth_authorizationSignUpRequired{.terms_of_service = terms})));
  ASSERT_EQ(login->state(), State::kSignUpNeeded);
  ASSERT_TRUE(login->terms_of_service().has_value());
  EXPECT_EQ(login->terms_of_service()->text, "Be nice.");
  EXPECT_EQ(login->SignUp("", "", sink).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(login->SignUp(std::string(65, 'x'), "", sink).ok());
  Refuse(*login, sink, 400, "FIRSTNAME_INVALID");
  ASSERT_EQ(login->state(), State::kSignUpNeeded);
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("auth.signUp: rpc error 400 FIRSTNAME_INVALID"));
  ASSERT_TRUE(login->SignUp("Ann", "Lee", sink).ok());
  auto up = sink.Decode<tl::auth_signUp>(sink.open[0]);
  EXPECT_EQ(up.phone_number, kPhone);
  EXPECT_EQ(up.phone_code_hash, "h");
  EXPECT_EQ(up.first_name, "Ann");
  EXPECT_EQ(up.last_name, "Lee");
  Answer(*login, sink, Authorization(9));
  EXPECT_EQ(login->state(), State::kLoggedIn);
}

TEST(PhoneLoginTest, ATwoFactorAccountProvesItsPasswordWithAFreshChallengePerTry) {
  SrpTestAccount account("correct horse", "a horse");
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  crypto::DeterministicRandom rng(5);
  crypto::SafePrimeCache primes;
  login->Start(sink);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeApp{.length = 5}, "h"));
  EXPECT_EQ(login->SubmitPassword("x", primes, rng, sink).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(login->SubmitCode("12345", sink).ok());
  Refuse(*login, sink, 401, "SESSION_PASSWORD_NEEDED");
  ASSERT_EQ(login->state(), State::kFetchingPassword);
  sink.Decode<tl::account_getPassword>(sink.open[0]);
  Answer(*login, sink, Boxed(account.info));
  ASSERT_EQ(login->state(), State::kPasswordNeeded);
  EXPECT_EQ(login->password_hint(), "a horse");

  // A wrong password: the DC refuses it, and the next try gets a new challenge.
  ASSERT_TRUE(login->SubmitPassword("battery staple", primes, rng, sink).ok());
  ASSERT_EQ(login->state(), State::kCheckingPassword);
  auto wrong = sink.Decode<tl::auth_checkPassword>(sink.open[0]);
  const auto* wrong_proof = wrong.password.As<tl::inputCheckPasswordSRP>();
  ASSERT_NE(wrong_proof, nullptr);
  EXPECT_EQ(account.Verify(*wrong_proof).code(), absl::StatusCode::kPermissionDenied);
  Refuse(*login, sink, 400, "PASSWORD_HASH_INVALID");
  ASSERT_EQ(login->state(), State::kFetchingPassword);
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("PASSWORD_HASH_INVALID"));
  account.NewChallenge();
  Answer(*login, sink, Boxed(account.info));
  ASSERT_EQ(login->state(), State::kPasswordNeeded);

  ASSERT_TRUE(login->SubmitPassword("correct horse", primes, rng, sink).ok());
  auto right = sink.Decode<tl::auth_checkPassword>(sink.open[0]);
  const auto* proof = right.password.As<tl::inputCheckPasswordSRP>();
  ASSERT_NE(proof, nullptr);
  EXPECT_TRUE(account.Verify(*proof).ok()) << "the DC's check passes";
  Answer(*login, sink, Authorization(11));
  EXPECT_EQ(login->state(), State::kLoggedIn);
}

TEST(PhoneLoginTest, AFutureAuthTokenMayLogInWithoutACode) {
  std::unique_ptr<PhoneLogin> login = MakeLogin({"tok-new", "tok-old"});
  ScriptedSink sink;
  login->Start(sink);
  auto send = sink.Decode<tl::auth_sendCode>(sink.open[0]);
  const auto* settings = send.settings.As<tl::codeSettings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->logout_tokens, (std::vector<std::string>{"tok-new", "tok-old"}));
  Answer(*login, sink, Boxed(tl::auth_SentCode(tl::auth_sentCodeSuccess{
                           .authorization = tl::auth_Authorization(Authorized(12))})));
  ASSERT_EQ(login->state(), State::kLoggedIn);
  EXPECT_EQ(login->result()->user.As<tl::user>()->id, 12);
}

TEST(PhoneLoginTest, ACodeByEmailIsSentAsAnEmailVerification) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeEmailCode{.email_pattern = "a***@example.com", .length = 6},
                  "h"));
  EXPECT_EQ(login->code_info().type, "email_code");
  EXPECT_EQ(login->code_info().pattern, "a***@example.com");
  ASSERT_TRUE(login->SubmitCode("654321", sink).ok());
  auto sign_in = sink.Decode<tl::auth_signIn>(sink.open[0]);
  EXPECT_FALSE(sign_in.phone_code.has_value());
  const auto* v = sign_in.email_verification.As<tl::emailVerificationCode>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->code, "654321");
}

TEST(PhoneLoginTest, ALoginEmailIsSetUpWithItsEmailedCodeThenTheLoginGoesOn) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeSetUpEmailRequired{.google_signin_allowed = true}, "h1"));
  ASSERT_EQ(login->state(), State::kEmailNeeded);
  EXPECT_TRUE(login->waiting_for_app());
  EXPECT_TRUE(login->email_setup().google_sign_in_allowed);
  EXPECT_FALSE(login->email_setup().apple_sign_in_allowed);
  EXPECT_EQ(login->SubmitCode("12345", sink).code(), absl::StatusCode::kFailedPrecondition)
      << "an address first";
  EXPECT_EQ(login->SubmitEmail("", sink).code(), absl::StatusCode::kInvalidArgument);

  // An address the DC refuses is asked for again.
  ASSERT_TRUE(login->SubmitEmail("ann@bad.example", sink).ok());
  EXPECT_EQ(login->state(), State::kSendingEmailCode);
  Refuse(*login, sink, 400, "EMAIL_NOT_ALLOWED");
  ASSERT_EQ(login->state(), State::kEmailNeeded);
  EXPECT_THAT(login->attempt_error().message(),
              HasSubstr("account.sendVerifyEmailCode: rpc error 400 EMAIL_NOT_ALLOWED"));

  ASSERT_TRUE(login->SubmitEmail("ann@example.com", sink).ok());
  auto send = sink.Decode<tl::account_sendVerifyEmailCode>(sink.open[0]);
  EXPECT_EQ(send.email, "ann@example.com");
  const auto* purpose = send.purpose.As<tl::emailVerifyPurposeLoginSetup>();
  ASSERT_NE(purpose, nullptr);
  EXPECT_EQ(purpose->phone_number, kPhone);
  EXPECT_EQ(purpose->phone_code_hash, "h1");
  Answer(*login, sink,
         Boxed(tl::account_SentEmailCode(
             tl::account_sentEmailCode{.email_pattern = "a**@example.com", .length = 6})));
  ASSERT_EQ(login->state(), State::kEmailCodeNeeded);
  EXPECT_TRUE(login->attempt_error().ok());
  EXPECT_EQ(login->code_info().type, "email_code");
  EXPECT_EQ(login->code_info().pattern, "a**@example.com");
  EXPECT_EQ(login->code_info().length, 6);

  // A wrong code, a new one mailed, then the right one.
  ASSERT_TRUE(login->SubmitCode("000000", sink).ok());
  EXPECT_EQ(login->state(), State::kVerifyingEmail);
  Refuse(*login, sink, 400, "CODE_INVALID");
  ASSERT_EQ(login->state(), State::kEmailCodeNeeded);
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("account.verifyEmail: rpc error 400 CODE_INVALID"));
  ASSERT_TRUE(login->ResendCode(sink).ok());
  EXPECT_EQ(sink.Decode<tl::account_sendVerifyEmailCode>(sink.open[0]).email, "ann@example.com");
  Answer(*login, sink,
         Boxed(tl::account_SentEmailCode(
             tl::account_sentEmailCode{.email_pattern = "a**@example.com", .length = 6})));
  ASSERT_TRUE(login->SubmitCode("424242", sink).ok());
  auto verify = sink.Decode<tl::account_verifyEmail>(sink.open[0]);
  ASSERT_NE(verify.purpose.As<tl::emailVerifyPurposeLoginSetup>(), nullptr);
  ASSERT_NE(verify.verification.As<tl::emailVerificationCode>(), nullptr);
  EXPECT_EQ(verify.verification.As<tl::emailVerificationCode>()->code, "424242");

  // Verified: the login's next code (by email now, under a new hash).
  tl::auth_sentCode next;
  next.type = tl::auth_sentCodeTypeEmailCode{.email_pattern = "a**@example.com", .length = 6};
  next.phone_code_hash = "h2";
  Answer(*login, sink,
         Boxed(tl::account_EmailVerified(tl::account_emailVerifiedLogin{
             .email = "ann@example.com", .sent_code = tl::auth_SentCode(std::move(next))})));
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_EQ(login->code_info().type, "email_code");
  ASSERT_TRUE(login->SubmitCode("777777", sink).ok());
  auto sign_in = sink.Decode<tl::auth_signIn>(sink.open[0]);
  EXPECT_EQ(sign_in.phone_code_hash, "h2");
  ASSERT_NE(sign_in.email_verification.As<tl::emailVerificationCode>(), nullptr);
  Answer(*login, sink, Authorization(5005));
  ASSERT_EQ(login->state(), State::kLoggedIn);
  EXPECT_EQ(login->result()->user.As<tl::user>()->id, 5005);
  EXPECT_EQ(login->codes_sent(), 4);
}

TEST(PhoneLoginTest, AGoogleTokenProvesTheLoginEmailWhereTheDcAllowsIt) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeSetUpEmailRequired{.google_signin_allowed = true}, "h1"));
  EXPECT_EQ(login->SubmitEmailToken({.provider = EmailToken::Provider::kApple, .token = "t"}, sink)
                .code(),
            absl::StatusCode::kFailedPrecondition)
      << "Apple not allowed";
  EXPECT_EQ(login->SubmitEmailToken({.token = ""}, sink).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(login->SubmitEmailToken({.token = "bad"}, sink).ok());
  Refuse(*login, sink, 400, "EMAIL_TOKEN_INVALID");
  ASSERT_EQ(login->state(), State::kEmailNeeded) << "the address is asked for again";
  EXPECT_THAT(login->attempt_error().message(), HasSubstr("EMAIL_TOKEN_INVALID"));
  ASSERT_TRUE(login->SubmitEmailToken({.token = "id-token"}, sink).ok());
  auto verify = sink.Decode<tl::account_verifyEmail>(sink.open[0]);
  ASSERT_NE(verify.verification.As<tl::emailVerificationGoogle>(), nullptr);
  EXPECT_EQ(verify.verification.As<tl::emailVerificationGoogle>()->token, "id-token");
  // The DC logs in straight away (as a future auth token would).
  Answer(*login, sink,
         Boxed(tl::account_EmailVerified(tl::account_emailVerifiedLogin{
             .email = "ann@gmail.example",
             .sent_code = tl::auth_SentCode(
                 tl::auth_sentCodeSuccess{.authorization = tl::auth_Authorization(Authorized(5006))})})));
  ASSERT_EQ(login->state(), State::kLoggedIn);
  EXPECT_EQ(login->result()->user.As<tl::user>()->id, 5006);

  // An account.emailVerified without the login's next code ends the login.
  login = MakeLogin();
  login->Start(sink);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSetUpEmailRequired{}, "h1"));
  EXPECT_EQ(login->SubmitEmailToken({.token = "t"}, sink).code(),
            absl::StatusCode::kFailedPrecondition)
      << "no provider allowed";
  ASSERT_TRUE(login->SubmitEmail("ann@example.com", sink).ok());
  Answer(*login, sink,
         Boxed(tl::account_SentEmailCode(tl::account_sentEmailCode{.email_pattern = "a", .length = 6})));
  ASSERT_TRUE(login->SubmitCode("111111", sink).ok());
  Answer(*login, sink,
         Boxed(tl::account_EmailVerified(tl::account_emailVerified{.email = "ann@example.com"})));
  ASSERT_EQ(login->state(), State::kFailed);
  EXPECT_THAT(login->result().status().message(), HasSubstr("without the login's next code"));
}

TEST(PhoneLoginTest, ACodeSentByEmailMayBeProvedByAppleOrTheEmailReset) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeEmailCode{.apple_signin_allowed = true,
                                                 .email_pattern = "a**@icloud.example",
                                                 .length = 6,
                                                 .reset_available_period = 604800},
                  "h1"));
  EXPECT_EQ(login->code_info().reset_available_period, 604800);
  EXPECT_FALSE(login->code_info().reset_pending_date.has_value());
  ASSERT_TRUE(login->SubmitEmailToken({.provider = EmailToken::Provider::kApple, .token = "a"}, sink).ok());
  auto sign_in = sink.Decode<tl::auth_signIn>(sink.open[0]);
  EXPECT_EQ(sign_in.phone_code_hash, "h1");
  ASSERT_NE(sign_in.email_verification.As<tl::emailVerificationApple>(), nullptr);
  Refuse(*login, sink, 400, "EMAIL_CODE_INVALID");
  ASSERT_EQ(login->state(), State::kCodeNeeded);

  // The user lost the mailbox: a reset, which the DC first schedules...
  ASSERT_TRUE(login->ResetLoginEmail(sink).ok());
  auto reset = sink.Decode<tl::auth_resetLoginEmail>(sink.open[0]);
  EXPECT_EQ(reset.phone_number, kPhone);
  EXPECT_EQ(reset.phone_code_hash, "h1");
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeEmailCode{.email_pattern = "a**@icloud.example",
                                                 .length = 6,
                                                 .reset_pending_date = 1800000000},
                  "h1"));
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_EQ(login->code_info().reset_pending_date, 1800000000);
  EXPECT_EQ(login->ResetLoginEmail(sink).code(), absl::StatusCode::kFailedPrecondition)
      << "no reset offered any more";
  // ... and once due, answers with a code by SMS.
  login = MakeLogin();
  login->Start(sink);
  Answer(*login, sink,
         SentCode(tl::auth_sentCodeTypeEmailCode{.email_pattern = "a", .length = 6,
                                                 .reset_available_period = 1},
                  "h1"));
  ASSERT_TRUE(login->ResetLoginEmail(sink).ok());
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 5}, "h3"));
  ASSERT_EQ(login->state(), State::kCodeNeeded);
  EXPECT_EQ(login->code_info().type, "sms");
  EXPECT_FALSE(login->code_info().reset_available_period.has_value());
  ASSERT_TRUE(login->SubmitCode("12345", sink).ok());
  auto by_sms = sink.Decode<tl::auth_signIn>(sink.open[0]);
  EXPECT_EQ(by_sms.phone_code, "12345");
  EXPECT_FALSE(by_sms.email_verification.has_value());
  EXPECT_EQ(login->SubmitEmailToken({.token = "t"}, sink).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PhoneLoginTest, EveryWayToFailEndsTheLoginOnceWithItsReason) {
  struct Case {
    const char* name;
    std::function<void(PhoneLogin&, ScriptedSink&)> answer;
    absl::StatusCode code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"a bad number",
       [](PhoneLogin& l, ScriptedSink& s) { Refuse(l, s, 400, "PHONE_NUMBER_INVALID"); },
       absl::StatusCode::kInvalidArgument, "auth.sendCode: rpc error 400 PHONE_NUMBER_INVALID"},
      {"a lost connection",
       [](PhoneLogin& l, ScriptedSink& s) {
         EXPECT_TRUE(l.OnEvent(FailedEvent(s.TakeOldest(), absl::UnavailableError("reset")), s));
       },
       absl::StatusCode::kUnavailable, "auth.sendCode: reset"},
      {"an answer that does not parse",
       [](PhoneLogin& l, ScriptedSink& s) { Answer(l, s, Bytes{1, 2, 3}); },
       absl::StatusCode::kDataLoss, "does not parse"},
      {"a payment",
       [](PhoneLogin& l, ScriptedSink& s) {
         Answer(l, s, Boxed(tl::auth_SentCode(
                          tl::auth_sentCodePaymentRequired{.store_product = "p1", .phone_code_hash = "h"})));
       },
       absl::StatusCode::kFailedPrecondition, "payment"},
      {"no hash",
       [](PhoneLogin& l, ScriptedSink& s) { Answer(l, s, SentCode(tl::auth_sentCodeTypeSms{}, "")); },
       absl::StatusCode::kDataLoss, "no phone_code_hash"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<PhoneLogin> login = MakeLogin();
    ScriptedSink sink;
    login->Start(sink);
    c.answer(*login, sink);
    ASSERT_EQ(login->state(), State::kFailed);
    EXPECT_EQ(login->result().status().code(), c.code);
    EXPECT_THAT(login->result().status().message(), HasSubstr(c.message));
    EXPECT_TRUE(sink.open.empty());
    login->Cancel(sink);  // nothing happens once done
    EXPECT_EQ(login->result().status().code(), c.code);
  }

  // A sink that refuses: the login ends at once.
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink refusing;
  refusing.refuse = true;
  login->Start(refusing);
  EXPECT_EQ(login->state(), State::kFailed);
  EXPECT_THAT(login->result().status().message(), HasSubstr("auth.sendCode: sink refuses"));

  // Options a login cannot start with.
  EXPECT_EQ(PhoneLogin::Create({.phone = "+", .api_id = 1, .api_hash = "h"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PhoneLogin::Create({.phone = "1", .api_id = 0, .api_hash = "h"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PhoneLogin::Create({.phone = "1", .api_id = 1, .api_hash = "h",
                                .future_auth_tokens = std::vector<std::string>(21, "t")})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PhoneLoginTest, CancelTellsTheDcTheCodeWillNotBeUsedAndSwallowsLateAnswers) {
  std::unique_ptr<PhoneLogin> login = MakeLogin();
  ScriptedSink sink;
  login->Start(sink);
  Answer(*login, sink, SentCode(tl::auth_sentCodeTypeSms{.length = 5}, "h"));
  ASSERT_TRUE(login->SubmitCode("12345", sink).ok());
  const uint64_t sign_in = sink.open[0];
  login->Cancel(sink);
  ASSERT_EQ(login->state(), State::kFailed);
  EXPECT_EQ(login->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.cancelled, (std::vector<uint64_t>{sign_in}));
  ASSERT_EQ(sink.open.size(), 1u);
  const uint64_t cancel = sink.open[0];
  auto c = sink.Decode<tl::auth_cancelCode>(cancel);
  EXPECT_EQ(c.phone_number, kPhone);
  EXPECT_EQ(c.phone_code_hash, "h");
  // The late answers are consumed, and change nothing.
  EXPECT_TRUE(login->OnEvent(ResultEvent(sign_in, Authorization(1)), sink));
  EXPECT_TRUE(login->OnEvent(ResultEvent(cancel, *tl::Serialize(true)), sink));
  EXPECT_FALSE(login->OnEvent(ResultEvent(cancel, Bytes{}), sink)) << "once only";
  EXPECT_EQ(login->state(), State::kFailed);

  // Before any code: nothing to tell the DC.
  std::unique_ptr<PhoneLogin> early = MakeLogin();
  ScriptedSink sink2;
  early->Start(sink2);
  early->Cancel(sink2);
  EXPECT_EQ(sink2.sent.size(), 1u) << "only the auth.sendCode";
  EXPECT_EQ(early->result().status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace mtcore::client
