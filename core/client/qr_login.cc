#include "core/client/qr_login.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::client {

absl::StatusOr<uint64_t> ClientQrLoginSink::Send(Bytes function) {
  return client_.InvokeRaw(std::move(function));
}

void ClientQrLoginSink::Cancel(uint64_t request_id) { client_.Cancel(request_id); }

absl::Status ClientQrLoginSink::MoveToDc(int dc) { return client_.MoveToDc(dc); }

absl::Time ClientQrLoginSink::Now() { return client_.now(); }

int64_t ClientQrLoginSink::ServerUnixNs(absl::Time now) {
  return client_.engine().ServerUnixNs(now);
}

std::string LoginTokenUrl(std::string_view token) {
  // RFC 4648 section 5: base64url, no padding.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "tg://login?token=";
  size_t i = 0;
  for (; i + 3 <= token.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(token[i]) << 16) |
                       (static_cast<uint8_t>(token[i + 1]) << 8) | static_cast<uint8_t>(token[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = token.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(token[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(token[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<QrLogin>> QrLogin::Create(QrLoginOptions options) {
  if (options.api_id <= 0 || options.api_hash.empty()) {
    return absl::InvalidArgumentError("QR login: api_id and api_hash are required");
  }
  if (options.max_migrations < 0) {
    return absl::InvalidArgumentError("QR login: max_migrations must not be negative");
  }
  return std::unique_ptr<QrLogin>(new QrLogin(std::move(options)));
}

void QrLogin::Start(QrLoginSink& sink) {
  if (state_ != State::kIdle) return;
  Export(sink, State::kExporting);
}

void QrLogin::Export(QrLoginSink& sink, State next) {
  tl::auth_exportLoginToken x;
  x.api_id = options_.api_id;
  x.api_hash = options_.api_hash;
  x.except_ids = options_.except_ids;
  in_flight_is_import_ = false;
  SendRequest(x, sink, next);
}

template <class F>
void QrLogin::SendRequest(const F& function, QrLoginSink& sink, State next) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(function);
  if (!bytes.ok()) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat("QR login: ", F::kName, ": cannot serialize: ", bytes.status().message())));
    return;
  }
  absl::StatusOr<uint64_t> id = sink.Send(*std::move(bytes));
  if (!id.ok()) {
    Fail(absl::Status(id.status().code(),
                      absl::StrCat("QR login: ", F::kName, ": ", id.status().message())));
    return;
  }
  in_flight_ = *id;
  state_ = next;
}

const char* QrLogin::step() const {
  return in_flight_is_import_ ? "auth.importLoginToken" : "auth.exportLoginToken";
}

bool QrLogin::OnEvent(const ClientEvent& e, QrLoginSink& sink) {
  switch (e.kind) {
    case ClientEvent::Kind::kUpdate:
      if (e.update.As<tl::updateLoginToken>() == nullptr) return false;
      // Accepted: the next export carries the login. Only a token being
      // shown (or being replaced) can have been accepted.
      if (state_ == State::kWaiting) {
        Export(sink, State::kConfirming);
      } else if (state_ == State::kExporting) {
        accepted_meanwhile_ = true;
      }
      return true;
    case ClientEvent::Kind::kResult:
    case ClientEvent::Kind::kRpcError:
    case ClientEvent::Kind::kRequestFailed:
      if (given_up_.erase(e.request_id) > 0) return true;
      if (in_flight_ == 0 || e.request_id != in_flight_) return false;
      in_flight_ = 0;
      OnAnswer(e, sink);
      return true;
    default:
      return false;
  }
}

void QrLogin::OnAnswer(const ClientEvent& e, QrLoginSink& sink) {
  if (e.kind == ClientEvent::Kind::kRpcError && e.error_code == 401 &&
      e.error_message == "SESSION_PASSWORD_NEEDED") {
    state_ = State::kPasswordNeeded;
    error_ = absl::FailedPreconditionError(absl::StrCat(
        "QR login: ", step(),
        ": rpc error 401 SESSION_PASSWORD_NEEDED: the account has a 2FA password; prove it "
        "on this client (account.getPassword, then auth.checkPassword)"));
    return;
  }
  if (e.kind != ClientEvent::Kind::kResult) {
    absl::Status s = Client::AnswerStatus(e);
    Fail(absl::Status(s.code(), absl::StrCat("QR login: ", step(), ": ", s.message())));
    return;
  }
  absl::StatusOr<tl::auth_LoginToken> t = tl::Parse<tl::auth_LoginToken>(e.body);
  if (!t.ok()) {
    Fail(absl::DataLossError(absl::StrCat("QR login: ", step(), ": an answer that does not parse: ",
                                          t.status().message())));
    return;
  }
  OnLoginToken(*t, sink);
}

void QrLogin::OnLoginToken(const tl::auth_LoginToken& t, QrLoginSink& sink) {
  if (const auto* x = t.As<tl::auth_loginToken>()) {
    if (x->token.empty()) {
      Fail(absl::DataLossError(absl::StrCat("QR login: ", step(), ": an empty token")));
      return;
    }
    // A token to show. The server's expiry becomes the driver's clock.
    const absl::Time now = sink.Now();
    const int64_t server_ns = sink.ServerUnixNs(now);
    absl::Duration left = absl::Seconds(x->expires) - absl::Nanoseconds(server_ns);
    url_ = LoginTokenUrl(x->token);
    expires_ = x->expires;
    url_expires_at_ = now + std::max(left, options_.min_token_lifetime);
    ++url_generation_;
    state_ = State::kWaiting;
    if (accepted_meanwhile_) {
      // An updateLoginToken came while this one was on its way (the
      // previous token was accepted): ask for the login.
      accepted_meanwhile_ = false;
      Export(sink, State::kConfirming);
    }
    return;
  }
  if (const auto* x = t.As<tl::auth_loginTokenMigrateTo>()) {
    if (migrations_ >= options_.max_migrations) {
      Fail(absl::InternalError(absl::StrCat("QR login: ", step(), ": loginTokenMigrateTo DC ",
                                            x->dc_id, " after ", migrations_,
                                            " migration(s); giving up")));
      return;
    }
    if (absl::Status moved = sink.MoveToDc(x->dc_id); !moved.ok()) {
      Fail(absl::Status(moved.code(), absl::StrCat("QR login: loginTokenMigrateTo DC ", x->dc_id,
                                                   ": ", moved.message())));
      return;
    }
    ++migrations_;
    tl::auth_importLoginToken import;
    import.token = x->token;
    in_flight_is_import_ = true;
    SendRequest(import, sink, State::kImporting);
    return;
  }
  const auto* x = t.As<tl::auth_loginTokenSuccess>();
  const auto* a = x->authorization.As<tl::auth_authorization>();
  if (a == nullptr) {
    Fail(absl::FailedPreconditionError(absl::StrCat(
        "QR login: ", step(), ": the account must sign up first (",
        x->authorization.name(), ")")));
    return;
  }
  authorization_ = *a;
  state_ = State::kLoggedIn;
}

std::optional<absl::Time> QrLogin::NextDeadline() const {
  if (state_ != State::kWaiting) return std::nullopt;
  return url_expires_at_;
}

void QrLogin::OnTimeout(absl::Time now, QrLoginSink& sink) {
  if (state_ != State::kWaiting || now < url_expires_at_) return;
  Export(sink, State::kExporting);
}

void QrLogin::Cancel(QrLoginSink& sink) {
  if (done()) return;
  if (in_flight_ != 0) {
    given_up_.insert(in_flight_);
    sink.Cancel(in_flight_);
    in_flight_ = 0;
  }
  Fail(absl::CancelledError("QR login cancelled by the caller"));
}

void QrLogin::Fail(absl::Status why) {
  if (done()) return;
  state_ = State::kFailed;
  error_ = std::move(why);
}

absl::StatusOr<tl::auth_authorization> QrLogin::result() const {
  switch (state_) {
    case State::kLoggedIn:
      return *authorization_;
    case State::kPasswordNeeded:
    case State::kFailed:
      return error_;
    default:
      return absl::FailedPreconditionError("QR login: not done yet");
  }
}

}  // namespace mtcore::client
