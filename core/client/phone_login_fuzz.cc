// Answers from a DC are untrusted: a PhoneLogin fed any sequence of answers
// (well-formed auth.SentCode / auth.Authorization / account.Password values
// of every kind, rpc errors, failures, raw bodies) and of the app's steps
// must end at most once, keep at most one request in flight (plus the
// auth.cancelCode a Cancel sends), never report success without an
// authorization, and always report a result or an error once done.
//
// Input: a sequence of one-byte ops (op % 10), some followed by arguments:
//   0: answer the request in flight with auth.sentCode{type: u8 picks one,
//      hash: u8 len + bytes, next_type: u8, timeout: u8}
//   1: ... u8 % 5 picks: auth.sentCodeSuccess, sentCodePaymentRequired,
//      account.sentEmailCode, account.emailVerifiedLogin (an SMS code next),
//      account.emailVerified
//   2: ... auth.authorization, or signUpRequired (u8 & 1)
//   3: ... account.password (has_password: u8 & 1; then p and srp_B: u8 len + bytes each)
//   4: ... an rpc error (u8 picks the message, u8 the code)
//   5: ... a failure; 6: ... raw bytes (u8 len + bytes)
//   7: SubmitCode (u8 len + bytes) or ResendCode (when the u8 is 0)
//   8: u8 % 4 picks SignUp, SubmitEmail, SubmitEmailToken (both take u8 len
//      + bytes) or ResetLoginEmail; 9: SubmitPassword (u8 len + bytes), or
//      Cancel when the u8 is 255
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/base/fuzz_input.h"
#include "core/client/phone_login.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

class Sink final : public client::RequestSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    absl::StatusOr<tl::auth_cancelCode> cancel = tl::Parse<tl::auth_cancelCode>(function);
    if (cancel.ok()) {
      ++cancel_codes;
      return ++last;
    }
    if (open != 0) std::abort();  // one request at a time
    open = ++last;
    return last;
  }
  void Cancel(uint64_t id) override {
    if (id != open) std::abort();
    open = 0;
  }
  uint64_t open = 0;
  uint64_t last = 0;
  int cancel_codes = 0;
};

client::ClientEvent Result(uint64_t id, Bytes body) {
  client::ClientEvent e;
  e.kind = client::ClientEvent::Kind::kResult;
  e.request_id = id;
  e.body = std::move(body);
  return e;
}

tl::auth_SentCodeType SentType(uint8_t pick) {
  switch (pick % 6) {
    case 0: return tl::auth_sentCodeTypeApp{.length = 5};
    case 1: return tl::auth_sentCodeTypeSms{.length = 6};
    case 2:
      return tl::auth_sentCodeTypeEmailCode{.google_signin_allowed = true,
                                            .email_pattern = "a*@b",
                                            .length = 6,
                                            .reset_available_period = 60};
    case 3: return tl::auth_sentCodeTypeSetUpEmailRequired{.apple_signin_allowed = true};
    case 4: return tl::auth_sentCodeTypeFlashCall{.pattern = "+44*"};
    default: return tl::auth_sentCodeTypeSmsWord{};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  auto made = client::PhoneLogin::Create({.phone = "+1 555", .api_id = 1, .api_hash = "h"});
  if (!made.ok()) std::abort();
  client::PhoneLogin& login = **made;
  Sink sink;
  crypto::DeterministicRandom rng(1);
  crypto::SafePrimeCache primes;
  login.Start(sink);
  bool was_done = false;
  int steps = 0;
  int proofs = 0;
  while (!in.empty() && ++steps < 4096) {
    const uint8_t op = in.Byte() % 10;
    const uint64_t id = sink.open != 0 ? sink.open : sink.last + 7;
    client::ClientEvent e;
    switch (op) {
      case 0: {
        tl::auth_sentCode c;
        c.type = SentType(in.Byte());
        c.phone_code_hash = in.Take(in.Byte());
        if (in.Byte() & 1) c.next_type = tl::auth_codeTypeCall{};
        if (uint8_t t = in.Byte(); t != 0) c.timeout = t;
        e = Result(id, *tl::Serialize(tl::auth_SentCode(std::move(c))));
        break;
      }
      case 1:
        switch (in.Byte() % 5) {
          case 0:
            e = Result(id, *tl::Serialize(tl::auth_SentCode(tl::auth_sentCodeSuccess{
                               .authorization = tl::auth_authorization{
                                   .user = tl::user{.id = 3, .first_name = std::string("A")}}})));
            break;
          case 1:
            e = Result(id, *tl::Serialize(tl::auth_SentCode(tl::auth_sentCodePaymentRequired{})));
            break;
          case 2:
            e = Result(id, *tl::Serialize(tl::account_SentEmailCode(
                               tl::account_sentEmailCode{.email_pattern = "a*@b", .length = 6})));
            break;
          case 3:
            e = Result(id, *tl::Serialize(tl::account_EmailVerified(tl::account_emailVerifiedLogin{
                               .email = "a@b",
                               .sent_code = tl::auth_SentCode(tl::auth_sentCode{
                                   .type = tl::auth_sentCodeTypeSms{.length = 5},
                                   .phone_code_hash = "e"})})));
            break;
          default:
            e = Result(id, *tl::Serialize(tl::account_EmailVerified(
                               tl::account_emailVerified{.email = "a@b"})));
            break;
        }
        break;
      case 2: {
        tl::auth_Authorization a = tl::auth_authorizationSignUpRequired{};
        if ((in.Byte() & 1) == 0) {
          a = tl::auth_authorization{.user = tl::user{.id = 1001, .first_name = std::string("A")}};
        }
        e = Result(id, *tl::Serialize(a));
        break;
      }
      case 3: {
        tl::account_password p;
        // (has_password, current_algo, srp_B and srp_id come together)
        if (in.Byte() & 1) {
          p.has_password = true;
          p.current_algo = tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{
              .salt1 = "s1", .salt2 = "s2", .g = 3, .p = in.Take(in.Byte())};
          p.srp_B = in.Take(in.Byte());
          p.srp_id = 9;
        }
        p.new_algo = tl::passwordKdfAlgoUnknown{};
        p.new_secure_algo = tl::securePasswordKdfAlgoUnknown{};
        e = Result(id, *tl::Serialize(tl::account_Password(std::move(p))));
        break;
      }
      case 4: {
        static const char* kErrors[] = {
            "SESSION_PASSWORD_NEEDED", "PHONE_CODE_INVALID",  "PHONE_CODE_EXPIRED",
            "FIRSTNAME_INVALID",       "PASSWORD_HASH_INVALID", "PHONE_NUMBER_INVALID",
            "EMAIL_NOT_ALLOWED",       "CODE_INVALID",        "EMAIL_TOKEN_INVALID",
            "EMAIL_VERIFY_EXPIRED"};
        e.kind = client::ClientEvent::Kind::kRpcError;
        e.request_id = id;
        e.error_message = kErrors[in.Byte() % 10];
        e.error_code = in.Byte() % 2 == 0 ? 401 : 400;
        break;
      }
      case 5:
        e.kind = client::ClientEvent::Kind::kRequestFailed;
        e.request_id = id;
        e.status = absl::UnavailableError("connection lost");
        break;
      case 6: {
        std::string raw = in.Take(in.Byte());
        e = Result(id, Bytes(raw.begin(), raw.end()));
        break;
      }
      case 7: {
        const uint8_t n = in.Byte();
        if (n == 0) {
          (void)login.ResendCode(sink);
        } else {
          (void)login.SubmitCode(in.Take(n), sink);
        }
        break;
      }
      case 8:
        switch (in.Byte() % 4) {
          case 0: (void)login.SignUp(in.Take(in.Byte()), "", sink); break;
          case 1: (void)login.SubmitEmail(in.Take(in.Byte()), sink); break;
          case 2: {
            client::EmailToken token;
            token.provider = in.Byte() & 1 ? client::EmailToken::Provider::kApple
                                           : client::EmailToken::Provider::kGoogle;
            token.token = in.Take(in.Byte());
            (void)login.SubmitEmailToken(token, sink);
            break;
          }
          default: (void)login.ResetLoginEmail(sink); break;
        }
        break;
      case 9: {
        const uint8_t n = in.Byte();
        if (n == 255) {
          login.Cancel(sink);
        } else if (proofs < 2) {  // (each proof is 100,000 PBKDF2 rounds)
          if (login.state() == client::PhoneLogin::State::kPasswordNeeded) ++proofs;
          (void)login.SubmitPassword(in.Take(n), primes, rng, sink);
        }
        break;
      }
    }
    if (op <= 6) {
      if (e.request_id == sink.open) sink.open = 0;  // answered
      login.OnEvent(e, sink);
    }
    if (sink.cancel_codes > 1) std::abort();
    if (was_done && !login.done()) std::abort();  // ends once
    if (login.done()) {
      was_done = true;
      if (sink.open != 0) std::abort();  // nothing left in flight
      if (login.state() == client::PhoneLogin::State::kLoggedIn) {
        if (!login.result().ok()) std::abort();
      } else if (login.result().ok()) {
        std::abort();
      }
    } else if (login.waiting_for_app() && sink.open != 0) {
      std::abort();  // waiting for the app with a request in flight
    }
  }
  return 0;
}
