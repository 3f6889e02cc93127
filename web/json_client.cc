#include "web/json_client.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/client/formatted_message.h"
#include "core/client/password_check.h"
#include "core/client/snapshot.h"
#include "tl/api.h"
#include "tl/dynamic/json_text.h"

namespace mtcore::web {

using tl::dynamic::JsonQuote;

absl::StatusOr<std::unique_ptr<JsonClient>> JsonClient::Create(client::ClientConfig config,
                                                                tl::dynamic::DynamicCodec codec,
                                                                crypto::RandomSource& rng,
                                                                absl::Time now,
                                                                int64_t unix_now_ns) {
  if (codec.layer() != 0 && codec.layer() != config.layer) {
    return absl::InvalidArgumentError(
        absl::StrCat("JsonClient: the schema is layer ", codec.layer(), ", the client speaks layer ",
                     config.layer, " (the layer mtcore was generated from)"));
  }
  absl::StatusOr<std::unique_ptr<client::Client>> c =
      client::Client::Create(std::move(config), rng, now, unix_now_ns);
  if (!c.ok()) return c.status();
  return Wrap(*std::move(c), std::move(codec), &rng);
}

absl::StatusOr<std::unique_ptr<JsonClient>> JsonClient::Wrap(std::unique_ptr<client::Client> client,
                                                             tl::dynamic::DynamicCodec codec,
                                                             crypto::RandomSource* rng) {
  if (client == nullptr) return absl::InvalidArgumentError("JsonClient: no client");
  if (codec.FindFunction("help.getConfig") == nullptr ||
      codec.FindConstructor("updateNewMessage") == nullptr) {
    return absl::InvalidArgumentError("JsonClient: the schema is not Telegram's API schema");
  }
  return std::unique_ptr<JsonClient>(new JsonClient(std::move(codec), std::move(client), rng));
}

absl::StatusOr<uint64_t> JsonClient::Invoke(std::string_view json) {
  absl::StatusOr<tl::dynamic::Value> call = codec_.FromJson(json, "Function");
  if (!call.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invoke: ", call.status().message()));
  }
  return InvokeCall(*call, "invoke");
}

absl::StatusOr<uint64_t> JsonClient::InvokeCall(const tl::dynamic::Value& call,
                                                std::string_view what) {
  const tlgen::Definition* method = codec_.FindFunction(call.object().constructor);
  if (method == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", call.object().constructor, " is not a method"));
  }
  absl::StatusOr<Bytes> bytes = codec_.Encode(call, "Function");
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", method->name, ": ",
                                                   bytes.status().message()));
  }
  // A wrapper (invokeWithoutUpdates, invokeWithTakeout, ...) returns what
  // the call inside it returns.
  const tl::dynamic::Object* inner = &call.object();
  const tlgen::Definition* answering = method;
  while (answering->IsGenericParam(answering->result.name)) {
    const tlgen::Param* query = nullptr;
    for (const tlgen::Param& p : answering->params) {
      if (p.type.generic_ref && p.type.name == answering->result.name) query = &p;
    }
    const tl::dynamic::Value* v = query != nullptr ? inner->Get(query->name) : nullptr;
    if (v == nullptr || v->if_object() == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", answering->name, ": no call inside to take the result of"));
    }
    inner = v->if_object();
    answering = codec_.FindFunction(inner->constructor);
    if (answering == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", inner->constructor, " is not a method"));
    }
  }
  absl::StatusOr<uint64_t> id = client().InvokeRaw(*std::move(bytes));
  if (!id.ok()) return id.status();
  result_types_[*id] = answering->result.ToString();
  return *id;
}

bool JsonClient::Cancel(uint64_t request_id) {
  for (const auto& [step, check] : password_checks_) {
    if (check.call_id == request_id) return client().Cancel(step);  // its step in flight
  }
  return client().Cancel(request_id);
}

absl::StatusOr<uint64_t> JsonClient::SendText(std::string_view request_json,
                                              const text::FormattedText& text) {
  const auto fail = [](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("sendText: ", why));
  };
  absl::StatusOr<tl::dynamic::Value> call = codec_.FromJson(request_json, "Function");
  if (!call.ok()) return fail(call.status().message());
  tl::dynamic::Object& request = call->object();
  if (request.constructor != "messages.sendMessage") {
    return fail(absl::StrCat(request.constructor, " is not messages.sendMessage"));
  }
  if (request.Has("message") || request.Has("entities")) {
    return fail("the text and its entities come from the formatted text, not the request");
  }
  const tl::dynamic::Value* peer_value = request.Get("peer");
  if (peer_value == nullptr) return fail("no peer");
  absl::StatusOr<Bytes> peer_bytes = codec_.Encode(*peer_value, "InputPeer");
  if (!peer_bytes.ok()) return fail(absl::StrCat("peer: ", peer_bytes.status().message()));
  absl::StatusOr<tl::InputPeer> peer = tl::Parse<tl::InputPeer>(*peer_bytes);
  if (!peer.ok()) return fail(absl::StrCat("peer: ", peer.status().message()));
  int64_t random_id = 0;
  if (request.Has("random_id")) {
    absl::StatusOr<int64_t> given = request.GetInt64("random_id");
    if (!given.ok()) return fail(given.status().message());
    random_id = *given;
  } else if (rng_ != nullptr) {
    uint8_t bytes[8];
    rng_->Fill(absl::MakeSpan(bytes));
    for (uint8_t b : bytes) random_id = static_cast<int64_t>((static_cast<uint64_t>(random_id) << 8) | b);
    request.Set("random_id", random_id);
  } else {
    return absl::FailedPreconditionError(
        "sendText: no random_id given and this client has no random source");
  }
  absl::StatusOr<tl::messages_sendMessage> typed =
      client::SendText(*std::move(peer), text, client().peers(), random_id);
  if (!typed.ok()) {
    if (typed.status().code() != absl::StatusCode::kInvalidArgument) {
      return absl::Status(typed.status().code(),
                          absl::StrCat("sendText: ", typed.status().message()));
    }
    return fail(typed.status().message());
  }
  // The message and entities as the schema writes them, into the request
  // with the caller's other fields.
  absl::StatusOr<Bytes> typed_bytes = tl::Serialize(*typed);
  if (!typed_bytes.ok()) return fail(typed_bytes.status().message());
  absl::StatusOr<tl::dynamic::Value> built = codec_.Decode(*typed_bytes, "Function");
  if (!built.ok()) return fail(built.status().message());
  for (std::string_view field : {"message", "entities"}) {
    if (const tl::dynamic::Value* v = built->object().Get(field)) request.Set(field, *v);
  }
  return InvokeCall(*call, "sendText");
}

std::optional<std::string> JsonClient::PollEventJson(absl::Time now) {
  for (;;) {
    Route(now);
    if (!queued_.empty()) {
      std::string e = std::move(queued_.front());
      queued_.pop_front();
      return e;
    }
    std::optional<client::ClientEvent> e = client().PollEvent();
    if (!e) {
      if (std::optional<std::string> from_link = PollLinks()) return from_link;
      Route(now);  // what the links' answers asked for
      if (queued_.empty()) return std::nullopt;
      continue;
    }
    bool exported = false;
    for (auto& [id, l] : links_) exported = exported || l.conn->OnHomeEvent(*e);
    if (exported) continue;  // the login for a connection: it goes on there
    if (orphan_exports_.erase(e->request_id) > 0) {
      SecureWipe(absl::MakeSpan(e->body));  // a login nobody will import
      continue;
    }
    if (OfferToQr(*e)) continue;            // the QR login's
    if (OfferToPhone(*e)) continue;         // the phone login's
    if (OfferToTransfers(*e, 0)) continue;  // an answer to a transfer's part
    if (OfferToWalks(*e)) continue;         // a page of a walk
    if (OfferToPasswordChecks(*e)) continue;  // a step of a password check
    return EventJson(*e);
  }
}

Bytes JsonClient::Snapshot() const {
  std::optional<client::ClientSnapshot> s = client().Snapshot();
  return s ? client::SerializeSnapshot(*s) : Bytes{};
}

namespace {

std::string IdJson(uint64_t id) { return absl::StrCat("\"", id, "\""); }

std::string ErrorJson(uint64_t id, int32_t code, std::string_view message) {
  return absl::StrCat(R"({"type":"error","id":)", IdJson(id), R"(,"code":)", code,
                      R"(,"message":)", JsonQuote(message), "}");
}

// The error event of a call whose answer came but the schema cannot read
// as `type`: the call ran (it may have changed something), so the event says
// so and carries the answer's TL bytes.
std::string UnreadableResultJson(uint64_t id, std::string_view type, ByteView body,
                                 const absl::Status& why) {
  return absl::StrCat(
      R"({"type":"error","id":)", IdJson(id), R"(,"code":0,"message":)",
      JsonQuote(absl::StrCat("cannot read the result as ", type, ": ", why.message())),
      R"(,"executed":true,"resultType":)", JsonQuote(type), R"(,"resultBytes":)",
      JsonQuote(absl::Base64Escape(
          absl::string_view(reinterpret_cast<const char*>(body.data()), body.size()))),
      "}");
}

// TL bytes of `type` as JSON.
absl::StatusOr<std::string> BytesJson(const tl::dynamic::DynamicCodec& codec, ByteView bytes,
                                      std::string_view type) {
  absl::StatusOr<tl::dynamic::Value> value = codec.Decode(bytes, type);
  if (!value.ok()) return value.status();
  return codec.ToJson(*value, type);
}

// A generated TL handle (an Update, a User...) as JSON of `type`.
template <class T>
absl::StatusOr<std::string> HandleJson(const tl::dynamic::DynamicCodec& codec, const T& handle,
                                       std::string_view type) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(handle);
  if (!bytes.ok()) return bytes.status();
  return BytesJson(codec, *bytes, type);
}

// `values` (generated TL handles) as a JSON array of `type` objects. One the
// schema cannot read is left out, and why is appended to `errors` (JSON
// strings, comma-separated).
template <class T>
std::string ArrayJson(const tl::dynamic::DynamicCodec& codec, const std::vector<T>& values,
                      std::string_view type, std::string& errors) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StatusOr<std::string> json = HandleJson(codec, values[i], type);
    if (!json.ok()) {
      if (!errors.empty()) errors += ',';
      errors += JsonQuote(absl::StrCat(type, " ", i, ": ", json.status().message()));
      continue;
    }
    if (out.size() > 1) out += ',';
    out += *json;
  }
  out += ']';
  return out;
}

}  // namespace

JsonClient::PasswordCheckStep::~PasswordCheckStep() {
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(password.data()), password.size()));
}

absl::StatusOr<uint64_t> JsonClient::CheckPassword(std::string_view password) {
  if (rng_ == nullptr) {
    return absl::FailedPreconditionError("checkPassword: this client has no random source");
  }
  absl::StatusOr<uint64_t> id = client().Invoke(tl::account_getPassword{});
  if (!id.ok()) return id.status();
  PasswordCheckStep& step = password_checks_[*id];
  step.call_id = *id;
  step.password.assign(password.data(), password.size());
  return *id;
}

bool JsonClient::OfferToPasswordChecks(const client::ClientEvent& e) {
  using Kind = client::ClientEvent::Kind;
  if (!client::IsAnswer(e)) return false;
  auto it = password_checks_.find(e.request_id);
  if (it == password_checks_.end()) return false;
  const PasswordCheckStep step = it->second;  // (each copy wipes its password when it goes)
  password_checks_.erase(it);
  const auto fail = [&](int32_t code, std::string_view message) {
    queued_.push_back(ErrorJson(step.call_id, code, message));
  };
  if (e.kind == Kind::kRpcError) {
    fail(e.error_code, e.error_message);
    return true;
  }
  if (e.kind == Kind::kRequestFailed) {
    fail(0, e.status.ok() ? "the request failed" : e.status.ToString());
    return true;
  }
  if (step.proving) {  // auth.checkPassword's authorization
    absl::StatusOr<std::string> json = BytesJson(codec_, e.body, "auth.Authorization");
    if (!json.ok()) {  // (logged in all the same)
      queued_.push_back(
          UnreadableResultJson(step.call_id, "auth.Authorization", e.body, json.status()));
      return true;
    }
    queued_.push_back(absl::StrCat(R"({"type":"result","id":)", IdJson(step.call_id),
                                   R"(,"result":)", *json, "}"));
    return true;
  }
  absl::StatusOr<tl::account_Password> info = tl::Parse<tl::account_Password>(e.body);
  if (!info.ok()) {
    fail(0, absl::StrCat("checkPassword: account.getPassword: ", info.status().message()));
    return true;
  }
  absl::StatusOr<tl::inputCheckPasswordSRP> proof =
      client::ProvePassword(*info, step.password, primes_, *rng_);
  if (!proof.ok()) {
    fail(0, absl::StrCat("checkPassword: ", proof.status().ToString()));
    return true;
  }
  tl::auth_checkPassword check;
  check.password = *std::move(proof);
  absl::StatusOr<uint64_t> id = client().Invoke(check);
  if (!id.ok()) {
    fail(0, absl::StrCat("checkPassword: ", id.status().ToString()));
    return true;
  }
  PasswordCheckStep& next = password_checks_[*id];
  next.call_id = step.call_id;
  next.proving = true;
  return true;
}

std::string JsonClient::ResultJson(const client::ClientEvent& e) {
  auto it = result_types_.find(e.request_id);
  if (it == result_types_.end()) {
    return ErrorJson(e.request_id, 0, "an answer to an unknown request");
  }
  const std::string type = std::move(it->second);
  result_types_.erase(it);
  absl::StatusOr<std::string> json = BytesJson(codec_, e.body, type);
  if (!json.ok()) return UnreadableResultJson(e.request_id, type, e.body, json.status());
  return absl::StrCat(R"({"type":"result","id":)", IdJson(e.request_id), R"(,"result":)", *json,
                      "}");
}

std::string JsonClient::EventJson(const client::ClientEvent& e) {
  using Kind = client::ClientEvent::Kind;
  switch (e.kind) {
    case Kind::kResult:
      return ResultJson(e);
    case Kind::kRpcError:
      result_types_.erase(e.request_id);
      return ErrorJson(e.request_id, e.error_code, e.error_message);
    case Kind::kRequestFailed:
      result_types_.erase(e.request_id);
      return ErrorJson(e.request_id, 0,
                       e.status.ok() ? "the request failed" : e.status.ToString());
    case Kind::kUpdate: {
      absl::StatusOr<std::string> json = HandleJson(codec_, e.update, "Update");
      if (!json.ok()) {
        return absl::StrCat(R"({"type":"badUpdate","message":)",
                            JsonQuote(json.status().ToString()), "}");
      }
      // The updates of one container or difference share their entities:
      // converted once.
      if (e.entities != entities_) {
        entities_ = e.entities;
        std::string errors;
        users_json_ =
            entities_ != nullptr ? ArrayJson(codec_, entities_->users, "User", errors) : "[]";
        chats_json_ =
            entities_ != nullptr ? ArrayJson(codec_, entities_->chats, "Chat", errors) : "[]";
        entity_errors_json_ = errors.empty() ? "" : absl::StrCat(R"(,"entityErrors":[)", errors, "]");
      }
      return absl::StrCat(R"({"type":"update","update":)", *json, R"(,"users":)", users_json_,
                          R"(,"chats":)", chats_json_, entity_errors_json_, "}");
    }
    case Kind::kUpdatesTooLong:
      return absl::StrCat(R"({"type":"updatesTooLong","channelId":)", IdJson(e.channel_id), "}");
    case Kind::kLoggedOut:
      return absl::StrCat(R"({"type":"loggedOut","message":)", JsonQuote(e.status.ToString()),
                          "}");
    case Kind::kChannelUnavailable:
      return absl::StrCat(R"({"type":"channelUnavailable","channelId":)", IdJson(e.channel_id),
                          R"(,"message":)", JsonQuote(e.status.ToString()), "}");
    case Kind::kEngine:
      break;
  }
  using EKind = engine::EngineEvent::Kind;
  const engine::EngineEvent& ee = e.engine_event;
  switch (ee.kind) {
    case EKind::kAuthKeyReady:
      return R"({"type":"authKeyReady"})";
    case EKind::kSessionReset:
      return R"({"type":"sessionReset"})";
    case EKind::kFatal:
      return absl::StrCat(R"({"type":"fatal","message":)", JsonQuote(ee.status.ToString()), "}");
    case EKind::kTransportError:
      return absl::StrCat(R"({"type":"transportError","code":)", ee.error_code, "}");
    case EKind::kMessageRejected:
      return absl::StrCat(R"({"type":"messageRejected","message":)",
                          JsonQuote(ee.status.ToString()), "}");
    case EKind::kReconnectAdvised:
      return absl::StrCat(R"({"type":"reconnectAdvised","message":)",
                          JsonQuote(ee.status.ToString()), "}");
    case EKind::kTimeAdjusted:
      return R"({"type":"timeAdjusted"})";
    case EKind::kTempKeyBound:
      return absl::StrCat(R"({"type":"tempKeyBound","expiresAt":)", ee.error_code, "}");
    case EKind::kBindFailed:
      return absl::StrCat(R"({"type":"bindFailed","code":)", ee.error_code, R"(,"message":)",
                          JsonQuote(ee.error_message), R"(,"reason":)",
                          JsonQuote(ee.status.ToString()), "}");
    default:  // the Client consumes the others (results, updates)
      return absl::StrCat(R"({"type":"engine","kind":)", static_cast<int>(ee.kind), "}");
  }
}

// ---- QR login ----------------------------------------------------------------

// The QR login's requests go to the client and are remembered as its.
class JsonClient::QrSink final : public client::QrLoginSink {
 public:
  explicit QrSink(JsonClient& owner) : owner_(owner), client_(owner.client()) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    absl::StatusOr<uint64_t> id = client_.Send(std::move(function));
    if (id.ok()) owner_.qr_requests_.insert(*id);
    return id;
  }
  void Cancel(uint64_t request_id) override { client_.Cancel(request_id); }
  absl::Status MoveToDc(int dc) override { return client_.MoveToDc(dc); }
  absl::Time Now() override { return client_.Now(); }
  int64_t ServerUnixNs(absl::Time now) override { return client_.ServerUnixNs(now); }

 private:
  JsonClient& owner_;
  client::ClientQrLoginSink client_;
};

absl::Status JsonClient::StartQrLogin(std::string_view api_hash, std::vector<int64_t> except_ids) {
  if (qr_ != nullptr) {
    return absl::FailedPreconditionError("qrLogin: a QR login is running already");
  }
  if (client().peers().self() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "qrLogin: the client is logged in already (user ", client().peers().self(), ")"));
  }
  client::QrLoginOptions options;
  options.api_id = client().config().api_id;
  options.api_hash = std::string(api_hash);
  options.except_ids = std::move(except_ids);
  absl::StatusOr<std::unique_ptr<client::QrLogin>> qr = client::QrLogin::Create(std::move(options));
  if (!qr.ok()) {
    return absl::Status(
        qr.status().code(),
        absl::StrCat("qrLogin: ", qr.status().message(), " (api_id ", client().config().api_id,
                     ", api_hash ", api_hash.empty() ? "empty" : "given", ")"));
  }
  qr_ = *std::move(qr);
  qr_shown_ = 0;
  QrSink sink(*this);
  qr_->Start(sink);
  DeliverQr();  // (a login that could not send ends here)
  return absl::OkStatus();
}

bool JsonClient::CancelQrLogin() {
  if (qr_ == nullptr) return false;
  QrSink sink(*this);
  qr_->Cancel(sink);
  DeliverQr();
  return true;
}

bool JsonClient::OfferToQr(const client::ClientEvent& e) {
  const bool answer = client::IsAnswer(e);
  if (qr_ != nullptr) {
    QrSink sink(*this);
    if (qr_->OnEvent(e, sink)) {
      if (answer) qr_requests_.erase(e.request_id);
      DeliverQr();
      return true;
    }
  }
  // Late, for a login that ended: dropped.
  return answer && qr_requests_.erase(e.request_id) > 0;
}

std::string JsonClient::LoginAuthorizationJson(const tl::auth_authorization& a) const {
  const tl::auth_Authorization authorization(a);
  absl::StatusOr<std::string> json = HandleJson(codec_, authorization, "auth.Authorization");
  if (json.ok()) return *json;
  // Logged in all the same: the account and the answer's TL bytes.
  absl::StatusOr<Bytes> bytes = tl::Serialize(authorization);
  const tl::user* user = a.user.As<tl::user>();
  return absl::StrCat(
      R"({"_":"$unreadable","userId":)",
      IdJson(static_cast<uint64_t>(user != nullptr ? user->id : client().peers().self())),
      R"(,"bytes":)",
      JsonQuote(bytes.ok() ? absl::Base64Escape(absl::string_view(
                                 reinterpret_cast<const char*>(bytes->data()), bytes->size()))
                           : ""),
      R"(,"reason":)",
      JsonQuote(absl::StrCat("the schema cannot read the auth.Authorization: ",
                             json.status().message())),
      "}");
}

void JsonClient::DeliverQr() {
  if (qr_ == nullptr) return;
  if (!qr_->done() && !qr_->url().empty() && qr_->url_generation() != qr_shown_) {
    qr_shown_ = qr_->url_generation();
    queued_.push_back(absl::StrCat(R"({"type":"qrLoginUrl","url":)", JsonQuote(qr_->url()),
                                   R"(,"expiresAt":)", absl::ToUnixMillis(qr_->url_expires_at()),
                                   R"(,"expires":)", qr_->expires(), "}"));
  }
  if (!qr_->done()) return;
  absl::StatusOr<tl::auth_authorization> result = qr_->result();
  std::string end;
  if (result.ok()) {
    end = absl::StrCat(R"({"type":"qrLoginEnded","ok":true,"authorization":)",
                       LoginAuthorizationJson(*result), "}");
  } else {
    end = absl::StrCat(
        R"({"type":"qrLoginEnded","ok":false,)",
        qr_->state() == client::QrLogin::State::kPasswordNeeded ? R"("passwordNeeded":true,)" : "",
        R"("message":)", JsonQuote(result.status().ToString()), "}");
  }
  queued_.push_back(std::move(end));
  qr_.reset();
}

// ---- Phone login --------------------------------------------------------------

// The phone login's requests go to the client and are remembered as its.
class JsonClient::PhoneSink final : public client::RequestSink {
 public:
  explicit PhoneSink(JsonClient& owner) : owner_(owner), client_(owner.client()) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    absl::StatusOr<uint64_t> id = client_.Send(std::move(function));
    if (id.ok()) owner_.phone_requests_.insert(*id);
    return id;
  }
  void Cancel(uint64_t request_id) override { client_.Cancel(request_id); }

 private:
  JsonClient& owner_;
  client::ClientSink client_;
};

absl::Status JsonClient::StartPhoneLogin(std::string_view phone, std::string_view api_hash,
                                         std::vector<std::string> future_auth_tokens) {
  if (phone_ != nullptr) {
    return absl::FailedPreconditionError("phoneLogin: a phone login is running already");
  }
  if (client().peers().self() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "phoneLogin: the client is logged in already (user ", client().peers().self(), ")"));
  }
  client::PhoneLoginOptions options;
  options.phone = std::string(phone);
  options.api_id = client().config().api_id;
  options.api_hash = std::string(api_hash);
  options.future_auth_tokens = std::move(future_auth_tokens);
  absl::StatusOr<std::unique_ptr<client::PhoneLogin>> login =
      client::PhoneLogin::Create(std::move(options));
  if (!login.ok()) {
    return absl::Status(login.status().code(),
                        absl::StrCat("phoneLogin: ", login.status().message(), " (api_id ",
                                     client().config().api_id, ")"));
  }
  phone_ = *std::move(login);
  phone_step_shown_ = false;
  PhoneSink sink(*this);
  phone_->Start(sink);
  DeliverPhone();  // (a login that could not send ends here)
  return absl::OkStatus();
}

absl::Status JsonClient::PhoneLoginStep(
    const std::function<absl::Status(client::PhoneLogin&, client::RequestSink&)>& step) {
  if (phone_ == nullptr) {
    return absl::FailedPreconditionError("phoneLogin: no phone login is running");
  }
  PhoneSink sink(*this);
  absl::Status s = step(*phone_, sink);
  if (s.ok()) phone_step_shown_ = false;  // the next step is a new one
  DeliverPhone();
  return s;
}

absl::Status JsonClient::PhoneLoginCode(std::string_view code) {
  return PhoneLoginStep([&](client::PhoneLogin& login, client::RequestSink& sink) {
    return code.empty() ? login.ResendCode(sink) : login.SubmitCode(code, sink);
  });
}

absl::Status JsonClient::PhoneLoginSignUp(std::string_view first_name, std::string_view last_name) {
  return PhoneLoginStep([&](client::PhoneLogin& login, client::RequestSink& sink) {
    return login.SignUp(first_name, last_name, sink);
  });
}

absl::Status JsonClient::PhoneLoginPassword(std::string_view password) {
  if (rng_ == nullptr) {
    return absl::FailedPreconditionError("phoneLogin: the client has no random source for SRP");
  }
  return PhoneLoginStep([&](client::PhoneLogin& login, client::RequestSink& sink) {
    return login.SubmitPassword(password, primes_, *rng_, sink);
  });
}

absl::Status JsonClient::PhoneLoginEmail(std::string_view email) {
  return PhoneLoginStep([&](client::PhoneLogin& login, client::RequestSink& sink) {
    return login.SubmitEmail(email, sink);
  });
}

absl::Status JsonClient::PhoneLoginEmailToken(const client::EmailToken& token) {
  return PhoneLoginStep([&](client::PhoneLogin& login, client::RequestSink& sink) {
    return login.SubmitEmailToken(token, sink);
  });
}

bool JsonClient::CancelPhoneLogin() {
  if (phone_ == nullptr) return false;
  PhoneSink sink(*this);
  phone_->Cancel(sink);
  DeliverPhone();
  return true;
}

bool JsonClient::OfferToPhone(const client::ClientEvent& e) {
  if (!client::IsAnswer(e)) return false;
  if (phone_ != nullptr) {
    PhoneSink sink(*this);
    const client::PhoneLogin::State before = phone_->state();
    if (phone_->OnEvent(e, sink)) {
      phone_requests_.erase(e.request_id);
      // An answer moves the login on (a refusal too: back to a step it
      // waits for), which is shown anew.
      if (phone_->state() != before) phone_step_shown_ = false;
      DeliverPhone();
      return true;
    }
  }
  // Late, for a login that ended (its auth.cancelCode included): dropped.
  return phone_requests_.erase(e.request_id) > 0;
}

void JsonClient::DeliverPhone() {
  if (phone_ == nullptr) return;
  if (phone_->waiting_for_app() && !phone_step_shown_) {
    phone_step_shown_ = true;
    const std::string refused =
        phone_->attempt_error().ok() ? "" : std::string(phone_->attempt_error().message());
    std::string step;
    switch (phone_->state()) {
      case client::PhoneLogin::State::kCodeNeeded:
      case client::PhoneLogin::State::kEmailCodeNeeded: {
        const client::SentCodeInfo& how = phone_->code_info();
        step = absl::StrCat(R"("step":"code","how":{"type":)", JsonQuote(how.type),
                            R"(,"length":)", how.length, R"(,"pattern":)", JsonQuote(how.pattern),
                            R"(,"nextType":)", JsonQuote(how.next_type), R"(,"timeout":)",
                            how.timeout.value_or(-1), "}");
        break;
      }
      case client::PhoneLogin::State::kSignUpNeeded: {
        std::string terms = "null";
        if (phone_->terms_of_service().has_value()) {
          absl::StatusOr<std::string> json = HandleJson(
              codec_, tl::help_TermsOfService(*phone_->terms_of_service()), "help.TermsOfService");
          if (json.ok()) terms = *json;
        }
        step = absl::StrCat(R"("step":"signUp","terms":)", terms);
        break;
      }
      case client::PhoneLogin::State::kEmailNeeded:
        step = absl::StrCat(R"("step":"email","googleAllowed":)",
                            phone_->email_setup().google_sign_in_allowed ? "true" : "false",
                            R"(,"appleAllowed":)",
                            phone_->email_setup().apple_sign_in_allowed ? "true" : "false");
        break;
      default:  // kPasswordNeeded
        step = absl::StrCat(R"("step":"password","hint":)", JsonQuote(phone_->password_hint()));
        break;
    }
    queued_.push_back(absl::StrCat(R"({"type":"phoneLoginStep",)", step, R"(,"refused":)",
                                   JsonQuote(refused), "}"));
  }
  if (!phone_->done()) return;
  absl::StatusOr<tl::auth_authorization> result = phone_->result();
  std::string end;
  if (result.ok()) {
    end = absl::StrCat(R"({"type":"phoneLoginEnded","ok":true,"authorization":)",
                       LoginAuthorizationJson(*result), "}");
  } else {
    end = absl::StrCat(R"({"type":"phoneLoginEnded","ok":false,"message":)",
                       JsonQuote(result.status().ToString()), "}");
  }
  queued_.push_back(std::move(end));
  phone_.reset();
}

// ---- File transfer ------------------------------------------------------------

namespace {

std::string TransferJson(std::string_view type, uint64_t id, std::string_view rest) {
  return absl::StrCat(R"({"type":")", type, R"(","transfer":)", IdJson(id), rest, "}");
}

std::string TransferFailedJson(uint64_t id, const absl::Status& why) {
  return TransferJson("transferFailed", id, absl::StrCat(R"(,"message":)", JsonQuote(why.ToString())));
}

}  // namespace

// A transfer's requests go to the client (link 0) or to a connection to
// another DC, and are remembered as its.
class JsonClient::TransferSink final : public client::RequestSink {
 public:
  TransferSink(JsonClient& owner, uint64_t transfer, int link)
      : owner_(owner), transfer_(transfer), link_(link) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    client::Client* c = To();
    if (c == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("the connection to another DC (link ", link_, ") is closed"));
    }
    absl::StatusOr<uint64_t> id = c->InvokeRaw(std::move(function));
    if (id.ok()) owner_.transfer_requests_[*id] = transfer_;
    return id;
  }
  void Cancel(uint64_t request_id) override {
    if (client::Client* c = To()) c->Cancel(request_id);
  }

 private:
  client::Client* To() {
    if (link_ == 0) return &owner_.client();
    client::DcConnection* conn = owner_.Link(link_);
    return conn != nullptr ? &conn->client() : nullptr;
  }

  JsonClient& owner_;
  uint64_t transfer_;
  int link_;
};

StreamEngine* JsonClient::Engine(int link) {
  if (link == 0) return this;
  return Link(link);
}

client::DcConnection* JsonClient::Link(int link) {
  auto it = links_.find(link);
  return it != links_.end() ? it->second.conn.get() : nullptr;
}

std::optional<absl::Time> JsonClient::WrapperDeadline() {
  return qr_ != nullptr ? qr_->NextDeadline() : std::nullopt;
}

void JsonClient::OnWrapperTimeout(absl::Time now) {
  if (qr_ == nullptr) return;
  std::optional<absl::Time> t = qr_->NextDeadline();
  if (!t.has_value() || *t > now) return;
  QrSink sink(*this);
  qr_->OnTimeout(now, sink);  // a new token
  DeliverQr();
}

std::optional<absl::Time> JsonClient::NextDeadlineOfAll() {
  std::optional<absl::Time> next = NextDeadline();  // the client's and the QR login's
  for (auto& [id, l] : links_) {
    std::optional<absl::Time> t = l.conn->NextDeadline();
    if (t.has_value() && (!next.has_value() || *t < *next)) next = t;
  }
  return next;
}

void JsonClient::OnTimeoutOfAll(absl::Time now) {
  std::optional<absl::Time> home = NextDeadline();
  if (home.has_value() && *home <= now) OnTimeout(now);  // the QR login's too
  for (auto& [id, l] : links_) {
    std::optional<absl::Time> t = l.conn->NextDeadline();
    if (t.has_value() && *t <= now) l.conn->OnTimeout(now);
  }
}

absl::StatusOr<int> JsonClient::LinkFor(int dc, absl::Time now) {
  if (dc == client().dc()) return 0;
  for (auto& [id, l] : links_) {
    if (l.conn->dc() == dc && l.conn->state() != client::DcConnection::State::kFailed) return id;
  }
  for (auto it = links_.begin(); it != links_.end(); ++it) {
    if (it->second.conn->dc() == dc) {  // failed: replaced
      CloseLink(it->first, it->second.conn->error());
      break;
    }
  }
  if (rng_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the file is on DC ", dc, "; connecting there needs a random source (JsonClient::Wrap's rng)"));
  }
  absl::StatusOr<std::unique_ptr<client::DcConnection>> conn =
      client::DcConnection::Create(client(), dc, *rng_, now);
  if (!conn.ok()) return conn.status();
  const int id = next_link_++;
  links_[id].conn = *std::move(conn);
  queued_.push_back(absl::StrCat(R"({"type":"dcConnectionOpened","link":)", id, R"(,"dc":)", dc,
                                 "}"));
  return id;
}

void JsonClient::CloseLink(int link, const absl::Status& why) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  const int dc = it->second.conn->dc();
  const absl::Status status(
      why.ok() ? absl::StatusCode::kUnavailable : why.code(),
      absl::StrCat("download: the connection to DC ", dc, " ended: ",
                   why.ok() ? "closed" : why.message()));
  std::vector<uint64_t> on_it;
  for (const auto& [id, t] : transfers_) {
    if (t.link == link && t.download != nullptr) on_it.push_back(id);
  }
  for (uint64_t id : on_it) FailTransfer(id, status);
  if (it->second.conn->export_request_id() != 0) {
    orphan_exports_.insert(it->second.conn->export_request_id());
  }
  // Its request ids (DcConnection: from dc << 48) go with it.
  const uint64_t first = static_cast<uint64_t>(dc) << 48;
  transfer_requests_.erase(transfer_requests_.lower_bound(first),
                           transfer_requests_.lower_bound(first + (uint64_t{1} << 48)));
  links_.erase(it);
  queued_.push_back(absl::StrCat(R"({"type":"dcConnectionClosed","link":)", link, R"(,"dc":)", dc,
                                 R"(,"message":)", JsonQuote(status.ToString()), "}"));
}

bool JsonClient::FailLink(int link, const absl::Status& why) {
  if (links_.count(link) == 0) return false;
  CloseLink(link, why);
  return true;
}

std::optional<std::string> JsonClient::PollLinks() {
  using Kind = client::ClientEvent::Kind;
  for (auto it = links_.begin(); it != links_.end();) {
    const int link = it->first;
    client::DcConnection& conn = *it->second.conn;
    while (std::optional<client::ClientEvent> e = conn.client().PollEvent()) {
      if (OfferToTransfers(*e, link)) continue;
      if (client::IsAnswer(*e) || e->kind == Kind::kUpdate) {
        continue;  // a late answer nobody waits for (only transfers ask there)
      }
      std::string json = EventJson(*e);
      if (!json.empty() && json.back() == '}') {
        json.insert(json.size() - 1, absl::StrCat(R"(,"mediaDc":)", conn.dc()));
      }
      const bool gone =
          e->kind == Kind::kLoggedOut ||
          (e->kind == Kind::kEngine && e->engine_event.kind == engine::EngineEvent::Kind::kFatal);
      if (gone) {
        CloseLink(link, e->kind == Kind::kLoggedOut ? e->status : e->engine_event.status);
      }
      return json;
    }
    if (conn.state() == client::DcConnection::State::kFailed) {
      // Its requests were answered with the error (above): nothing more on it.
      ++it;
      CloseLink(link, conn.error());
      continue;
    }
    ++it;
  }
  return std::nullopt;
}

std::function<void(const client::TransferProgress&)> JsonClient::ProgressTo(uint64_t transfer) {
  return [this, transfer](const client::TransferProgress& p) {
    queued_.push_back(TransferJson("transferProgress", transfer,
                                   absl::StrCat(R"(,"done":)", p.bytes_done, R"(,"total":)",
                                                p.bytes_total)));
  };
}

// A streaming upload's source: the parts the page pushed (in order, at most
// `ahead` past the next one the upload reads), each read once.
class JsonClient::PushedSource final : public client::UploadSource {
 public:
  PushedSource(int64_t size, int32_t part_size, int ahead)
      : size_(size),
        part_size_(part_size),
        total_parts_(static_cast<int32_t>((size + part_size - 1) / part_size)),
        ahead_(ahead) {}

  int64_t size() const override { return size_; }

  absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t, int32_t) override {
    auto it = ready_.find(part);
    if (it == ready_.end()) {
      return absl::InternalError(absl::StrCat("part ", part, " was not pushed yet"));
    }
    absl::StatusOr<Bytes> bytes = std::move(it->second);
    ready_.erase(it);
    next_read_ = part + 1;
    return bytes;
  }

  std::optional<UploadPart> Wanted() const {
    if (next_push_ >= total_parts_ || next_push_ >= next_read_ + ahead_ || failed_) {
      return std::nullopt;
    }
    return UploadPart{next_push_, static_cast<int64_t>(next_push_) * part_size_,
                      Length(next_push_)};
  }

  absl::Status Push(int32_t part, absl::StatusOr<Bytes> bytes) {
    std::optional<UploadPart> want = Wanted();
    if (!want.has_value() || part != want->part) {
      return absl::InvalidArgumentError(
          want.has_value()
              ? absl::StrCat("upload: part ", part, " pushed, part ", want->part, " wanted")
              : absl::StrCat("upload: part ", part, " pushed, no part wanted now"));
    }
    if (bytes.ok() && bytes->size() != static_cast<size_t>(want->length)) {
      return absl::InvalidArgumentError(absl::StrCat("upload: part ", part, " has ", bytes->size(),
                                                     " bytes, not ", want->length));
    }
    failed_ = !bytes.ok();
    ready_.emplace(part, std::move(bytes));
    ++next_push_;
    return absl::OkStatus();
  }

  // Whether every part before `end` not yet read is here (or a failure
  // before it is: reading stops there).
  bool Covers(int32_t end) const {
    end = std::min(end, total_parts_);
    for (int32_t p = next_read_; p < end; ++p) {
      auto it = ready_.find(p);
      if (it == ready_.end()) return false;
      if (!it->second.ok()) return true;
    }
    return true;
  }
  // Whether the next part the upload reads (if any) is here.
  bool NextReady() const { return Covers(next_read_ + 1); }

 private:
  int32_t Length(int32_t part) const {
    return static_cast<int32_t>(
        std::min<int64_t>(part_size_, size_ - static_cast<int64_t>(part) * part_size_));
  }

  int64_t size_;
  int32_t part_size_;
  int32_t total_parts_;
  int ahead_;
  int32_t next_read_ = 0;
  int32_t next_push_ = 0;
  bool failed_ = false;  // a failure was pushed: nothing more is wanted
  std::map<int32_t, absl::StatusOr<Bytes>> ready_;  // pushed, not yet read
};

absl::StatusOr<uint64_t> JsonClient::StartUpload(int64_t size, std::string_view file_name,
                                                 int32_t part_size) {
  if (rng_ == nullptr) {
    return absl::FailedPreconditionError("upload: this client has no random source for file ids");
  }
  if (size <= 0) return absl::InvalidArgumentError("upload: an empty file");
  if (part_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("upload: part size ", part_size));
  }
  const uint64_t id = next_transfer_++;
  client::UploadOptions options;
  options.part_size = part_size;
  options.file_name = file_name.empty() ? "file" : std::string(file_name);
  options.on_progress = ProgressTo(id);
  auto source = std::make_unique<PushedSource>(size, part_size, options.max_in_flight);
  PushedSource* raw = source.get();
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up =
      client::FileUpload::Create(std::move(source), std::move(options), *rng_);
  if (!up.ok()) return up.status();  // InvalidArgument, saying "upload: ..."
  Transfer& t = transfers_[id];
  t.upload = *std::move(up);
  t.source = raw;
  return id;  // Resume starts it once its first parts are pushed
}

absl::StatusOr<JsonClient::Transfer*> JsonClient::StreamingUpload(uint64_t transfer) {
  auto it = transfers_.find(transfer);
  if (it == transfers_.end() || it->second.source == nullptr) {
    return absl::NotFoundError(absl::StrCat("upload: no streaming upload ", transfer, " running"));
  }
  return &it->second;
}

std::optional<JsonClient::UploadPart> JsonClient::UploadWanted(uint64_t transfer) const {
  auto it = transfers_.find(transfer);
  if (it == transfers_.end() || it->second.source == nullptr) return std::nullopt;
  return it->second.source->Wanted();
}

absl::Status JsonClient::PushUploadPart(uint64_t transfer, int32_t part, Bytes bytes) {
  absl::StatusOr<Transfer*> t = StreamingUpload(transfer);
  if (!t.ok()) return t.status();
  absl::Status pushed = (*t)->source->Push(part, std::move(bytes));
  if (!pushed.ok()) return pushed;
  Resume(transfer);
  return absl::OkStatus();
}

absl::Status JsonClient::FailUploadPart(uint64_t transfer, int32_t part, std::string_view message) {
  absl::StatusOr<Transfer*> t = StreamingUpload(transfer);
  if (!t.ok()) return t.status();
  absl::Status pushed = (*t)->source->Push(
      part, absl::AbortedError(absl::StrCat("the page's source failed: ", message)));
  if (!pushed.ok()) return pushed;
  Resume(transfer);
  return absl::OkStatus();
}

void JsonClient::Resume(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = it->second;
  if (t.paused) return;
  if (t.source != nullptr && !t.started) {
    if (!t.source->Covers(client::UploadOptions{}.max_in_flight)) return;
    t.started = true;
    TransferSink sink(*this, id, 0);
    t.upload->Start(sink);
    if (t.upload->done()) Finished(id);
    return;
  }
  // Offer() may end the transfer (and erase it): look it up each time.
  for (;;) {
    it = transfers_.find(id);
    if (it == transfers_.end()) return;
    const Transfer& now = it->second;
    if (now.parked.empty() || now.paused || (now.source != nullptr && !now.source->NextReady())) {
      return;
    }
    std::pair<int, client::ClientEvent> e = std::move(it->second.parked.front());
    it->second.parked.pop_front();
    Offer(id, e.second, e.first);
  }
}

absl::StatusOr<uint64_t> JsonClient::StartDownload(tl::InputFileLocation location,
                                                   client::DownloadOptions options, bool stream) {
  const uint64_t id = next_transfer_++;
  options.on_progress = ProgressTo(id);
  if (stream) {
    options.on_data = [this, id](int64_t offset, ByteView chunk) {
      chunks_[id].emplace_back(chunk.begin(), chunk.end());
      queued_.push_back(TransferJson(
          "downloadData", id, absl::StrCat(R"(,"offset":)", offset, R"(,"size":)", chunk.size())));
      return absl::OkStatus();
    };
  }
  // FILE_MIGRATE_X pauses it; Route() continues it on DC X.
  options.follow_file_migrate = true;
  const int dc = options.dc;
  absl::StatusOr<std::unique_ptr<client::FileDownload>> down =
      client::FileDownload::Create(std::move(location), std::move(options));
  if (!down.ok()) return down.status();  // InvalidArgument, saying "download: ..."
  Transfer& t = transfers_[id];
  t.stream = stream;
  t.download = *std::move(down);
  if (dc != 0 && dc != client().dc()) {
    t.start_dc = dc;  // started by Route(), on a connection to DC `dc`
    return id;
  }
  TransferSink sink(*this, id, 0);
  t.download->Start(sink);
  if (t.download->done()) Finished(id);
  return id;
}

void JsonClient::Route(absl::Time now) {
  std::vector<std::pair<uint64_t, int>> waiting;  // transfer, DC
  for (const auto& [id, t] : transfers_) {
    if (t.download == nullptr || t.paused) continue;
    if (t.start_dc != 0) {
      waiting.emplace_back(id, t.start_dc);
    } else if (std::optional<int> dc = t.download->needs_dc()) {
      waiting.emplace_back(id, *dc);
    }
  }
  for (const auto& [id, dc] : waiting) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;  // ended by a link closed meanwhile
    absl::StatusOr<int> link = LinkFor(dc, now);
    it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    if (!link.ok()) {
      FailTransfer(id, absl::Status(link.status().code(),
                                    absl::StrCat("download: DC ", dc, ": ", link.status().message())));
      continue;
    }
    Transfer& t = it->second;
    t.link = *link;
    TransferSink sink(*this, id, t.link);
    if (t.start_dc != 0) {
      t.start_dc = 0;
      t.download->Start(sink);
    } else {
      t.download->Continue(sink);
    }
    if (t.download->done()) Finished(id);
  }
}

namespace {

// `json` read as TL type `type` (JSON of the schema) into a generated handle T.
template <class T>
absl::StatusOr<T> FromJsonAs(const tl::dynamic::DynamicCodec& codec, std::string_view json,
                             std::string_view type) {
  absl::StatusOr<tl::dynamic::Value> v = codec.FromJson(json, type);
  if (!v.ok()) return v.status();
  absl::StatusOr<Bytes> bytes = codec.Encode(*v, type);
  if (!bytes.ok()) return bytes.status();
  return tl::Parse<T>(*bytes);
}

}  // namespace

absl::StatusOr<uint64_t> JsonClient::Download(std::string_view location_json, int64_t size,
                                              bool stream) {
  absl::StatusOr<tl::InputFileLocation> location =
      FromJsonAs<tl::InputFileLocation>(codec_, location_json, "InputFileLocation");
  if (!location.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("download: ", location.status().message()));
  }
  client::DownloadOptions options;
  options.size = size;
  return StartDownload(*std::move(location), std::move(options), stream);
}

absl::StatusOr<uint64_t> JsonClient::DownloadDocument(std::string_view document_json,
                                                      bool stream) {
  absl::StatusOr<tl::Document> document =
      FromJsonAs<tl::Document>(codec_, document_json, "Document");
  if (!document.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("download: ", document.status().message()));
  }
  const tl::document* d = document->As<tl::document>();
  if (d == nullptr) return absl::InvalidArgumentError("download: not a document (documentEmpty)");
  client::DownloadOptions options;
  options.follow_file_migrate = true;  // from its DC, wherever that is
  absl::StatusOr<client::DocumentDownload> plan =
      client::DownloadOfDocument(*d, client().dc(), std::move(options));
  if (!plan.ok()) return plan.status();
  return StartDownload(std::move(plan->location), std::move(plan->options), stream);
}

std::optional<Bytes> JsonClient::TakeDownload(uint64_t transfer) {
  auto it = downloads_.find(transfer);
  if (it == downloads_.end()) return std::nullopt;
  Bytes bytes = std::move(it->second);
  downloads_.erase(it);
  return bytes;
}

std::optional<Bytes> JsonClient::TakeChunk(uint64_t transfer) {
  auto it = chunks_.find(transfer);
  if (it == chunks_.end()) return std::nullopt;
  Bytes bytes = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) chunks_.erase(it);
  return bytes;
}

bool JsonClient::PauseTransfer(uint64_t transfer, bool paused) {
  auto it = transfers_.find(transfer);
  if (it == transfers_.end()) return false;
  it->second.paused = paused;
  if (!paused) Resume(transfer);
  return true;
}

bool JsonClient::CancelTransfer(uint64_t transfer) {
  return FailTransfer(transfer, absl::OkStatus());
}

bool JsonClient::FailTransfer(uint64_t transfer, const absl::Status& why) {
  auto it = transfers_.find(transfer);
  if (it == transfers_.end()) return false;
  TransferSink sink(*this, transfer, it->second.link);
  if (it->second.upload != nullptr) it->second.upload->Cancel(sink);
  if (it->second.download != nullptr) it->second.download->Cancel(sink);
  chunks_.erase(transfer);
  if (why.ok()) {
    Finished(transfer);  // "cancelled"
  } else {
    queued_.push_back(TransferFailedJson(transfer, why));
    transfers_.erase(it);
  }
  return true;
}

bool JsonClient::OfferToTransfers(const client::ClientEvent& e, int link) {
  if (!client::IsAnswer(e)) return false;
  auto owner = transfer_requests_.find(e.request_id);
  if (owner == transfer_requests_.end()) return false;
  const uint64_t id = owner->second;
  transfer_requests_.erase(owner);
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return true;  // late, for a transfer that ended: dropped
  Transfer& t = it->second;
  if (t.paused || !t.parked.empty() || (t.source != nullptr && !t.source->NextReady())) {
    // Held, or it could make the upload read a part not pushed yet.
    t.parked.emplace_back(link, e);
    return true;
  }
  Offer(id, e, link);
  return true;
}

void JsonClient::Offer(uint64_t id, const client::ClientEvent& e, int link) {
  Transfer& t = transfers_.at(id);
  // The sink of the client the answer came from: the download tells its
  // requests there (and those it gave up there) apart by id.
  TransferSink sink(*this, id, link);
  if (t.upload != nullptr) {
    t.upload->OnEvent(e, sink);
    if (t.upload->done()) Finished(id);
  } else {
    t.download->OnEvent(e, sink);
    if (t.download->done()) Finished(id);
  }
}

void JsonClient::Finished(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& t = it->second;
  if (t.upload != nullptr) {
    const absl::StatusOr<tl::InputFile>& r = t.upload->result();
    absl::StatusOr<std::string> file = r.ok() ? HandleJson(codec_, *r, "InputFile")
                                              : absl::StatusOr<std::string>(r.status());
    queued_.push_back(file.ok() ? TransferJson("uploaded", id, absl::StrCat(R"(,"file":)", *file))
                                : TransferFailedJson(id, file.status()));
  } else {
    const absl::StatusOr<Bytes>& r = t.download->result();
    if (r.ok() && t.stream) {
      queued_.push_back(TransferJson(
          "downloaded", id, absl::StrCat(R"(,"size":)", t.download->progress().bytes_done)));
    } else if (r.ok()) {
      queued_.push_back(TransferJson("downloaded", id, absl::StrCat(R"(,"size":)", r->size())));
      downloads_[id] = t.download->TakeBytes();
    } else {
      queued_.push_back(TransferFailedJson(id, r.status()));
    }
  }
  transfers_.erase(it);
}

// ---- Walks page by page -------------------------------------------------------

// A walk's requests go to the client and are remembered as its.
class JsonClient::WalkSink final : public client::RequestSink {
 public:
  WalkSink(JsonClient& owner, uint64_t walk) : owner_(owner), walk_(walk) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    absl::StatusOr<uint64_t> id = owner_.client().InvokeRaw(std::move(function));
    if (id.ok()) owner_.walk_requests_[*id] = walk_;
    return id;
  }
  void Cancel(uint64_t request_id) override { owner_.client().Cancel(request_id); }

 private:
  JsonClient& owner_;
  uint64_t walk_;
};

absl::StatusOr<uint64_t> JsonClient::IterHistory(std::string_view peer_json,
                                                 client::HistoryOptions options) {
  absl::StatusOr<tl::InputPeer> peer = FromJsonAs<tl::InputPeer>(codec_, peer_json, "InputPeer");
  if (!peer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("history: peer: ", peer.status().message()));
  }
  options.peer = *std::move(peer);
  absl::StatusOr<std::unique_ptr<client::HistoryWalk>> walk =
      client::HistoryWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();  // InvalidArgument, saying "history: ..."
  Walk w;
  w.messages = *std::move(walk);
  return StartWalk(std::move(w));
}

absl::StatusOr<uint64_t> JsonClient::IterSearch(std::string_view peer_json,
                                                std::string_view filter_json,
                                                std::string_view from_json,
                                                client::SearchOptions options) {
  absl::StatusOr<tl::InputPeer> peer = FromJsonAs<tl::InputPeer>(codec_, peer_json, "InputPeer");
  if (!peer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("search: peer: ", peer.status().message()));
  }
  options.peer = *std::move(peer);
  options.filter = tl::MessagesFilter();
  if (!filter_json.empty()) {
    absl::StatusOr<tl::MessagesFilter> filter =
        FromJsonAs<tl::MessagesFilter>(codec_, filter_json, "MessagesFilter");
    if (!filter.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("search: filter: ", filter.status().message()));
    }
    options.filter = *std::move(filter);
  }
  options.from = tl::InputPeer();
  if (!from_json.empty()) {
    absl::StatusOr<tl::InputPeer> from = FromJsonAs<tl::InputPeer>(codec_, from_json, "InputPeer");
    if (!from.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("search: from: ", from.status().message()));
    }
    options.from = *std::move(from);
  }
  absl::StatusOr<std::unique_ptr<client::SearchWalk>> walk =
      client::SearchWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();  // InvalidArgument, saying "search: ..."
  Walk w;
  w.messages = *std::move(walk);
  return StartWalk(std::move(w));
}

absl::StatusOr<uint64_t> JsonClient::IterMembers(std::string_view channel_json,
                                                 std::string_view filter_json,
                                                 client::ParticipantsOptions options) {
  absl::StatusOr<tl::InputChannel> channel =
      FromJsonAs<tl::InputChannel>(codec_, channel_json, "InputChannel");
  if (!channel.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("members: channel: ", channel.status().message()));
  }
  options.channel = *std::move(channel);
  options.filter = tl::ChannelParticipantsFilter();
  if (!filter_json.empty()) {
    absl::StatusOr<tl::ChannelParticipantsFilter> filter = FromJsonAs<tl::ChannelParticipantsFilter>(
        codec_, filter_json, "ChannelParticipantsFilter");
    if (!filter.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("members: filter: ", filter.status().message()));
    }
    options.filter = *std::move(filter);
  }
  absl::StatusOr<std::unique_ptr<client::ParticipantsWalk>> walk =
      client::ParticipantsWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();  // InvalidArgument, saying "members: ..."
  Walk w;
  w.members = *std::move(walk);
  return StartWalk(std::move(w));
}

absl::StatusOr<uint64_t> JsonClient::IterDialogs(client::DialogOptions options) {
  absl::StatusOr<std::unique_ptr<client::DialogWalk>> walk =
      client::DialogWalk::Create(std::move(options));
  if (!walk.ok()) return walk.status();  // InvalidArgument, saying "dialogs: ..."
  Walk w;
  w.dialogs = *std::move(walk);
  return StartWalk(std::move(w));
}

uint64_t JsonClient::StartWalk(Walk walk) {
  const uint64_t id = next_walk_++;
  walks_[id] = std::move(walk);
  MoreWalk(id);
  return id;
}

bool JsonClient::MoreWalk(uint64_t walk) {
  auto it = walks_.find(walk);
  if (it == walks_.end()) return false;
  WalkSink sink(*this, walk);
  it->second.Visit([&](auto& w) { w.Fetch(sink); });
  DeliverWalk(walk, nullptr);  // (a walk that could not send ends here)
  return true;
}

bool JsonClient::CancelWalk(uint64_t walk) {
  auto it = walks_.find(walk);
  if (it == walks_.end()) return false;
  WalkSink sink(*this, walk);
  it->second.Visit([&](auto& w) { w.Cancel(sink); });
  DeliverWalk(walk, nullptr);
  return true;
}

bool JsonClient::OfferToWalks(const client::ClientEvent& e) {
  if (!client::IsAnswer(e)) return false;
  auto owner = walk_requests_.find(e.request_id);
  if (owner == walk_requests_.end()) return false;
  const uint64_t id = owner->second;
  walk_requests_.erase(owner);
  auto it = walks_.find(id);
  if (it == walks_.end()) return true;  // late, for a walk that ended: dropped
  WalkSink sink(*this, id);
  const bool taken = it->second.Visit([&](auto& w) { return w.OnEvent(e, sink); });
  if (!taken) return true;  // not the page it waits for (given up): dropped
  DeliverWalk(id, e.kind == client::ClientEvent::Kind::kResult ? &e.body : nullptr);
  return true;
}

namespace {

// The users and chats of a page's answer, of one of the types `Ts` (none
// if it is another: the walk says why).
template <class... Ts, class Result>
void EntitiesOf(const Result& answer, const std::vector<tl::User>*& users,
                const std::vector<tl::Chat>*& chats) {
  const auto take = [&](const auto* x) {
    if (x != nullptr) {
      users = &x->users;
      chats = &x->chats;
    }
  };
  (take(answer.template As<Ts>()), ...);
}

}  // namespace

void JsonClient::DeliverWalk(uint64_t id, const Bytes* page) {
  auto it = walks_.find(id);
  if (it == walks_.end()) return;
  Walk& w = it->second;
  std::string errors;
  std::string entries = "[";
  size_t count = 0;
  const auto add = [&](const std::string& json) {
    if (count++ > 0) entries += ',';
    entries += json;
  };
  const auto error = [&](size_t i, const absl::Status& why) {
    if (!errors.empty()) errors += ',';
    errors += JsonQuote(absl::StrCat("entry ", i, ": ", why.message()));
  };
  size_t seen = 0;
  if (w.messages != nullptr) {
    while (std::optional<tl::Message> m = w.messages->Next()) {
      absl::StatusOr<std::string> json = HandleJson(codec_, *m, "Message");
      if (json.ok()) {
        add(*json);
      } else {
        error(seen, json.status());
      }
      ++seen;
    }
  } else if (w.members != nullptr) {
    while (std::optional<client::ParticipantEntry> p = w.members->Next()) {
      absl::StatusOr<std::string> participant =
          HandleJson(codec_, p->participant, "ChannelParticipant");
      absl::StatusOr<std::string> user = p->user ? HandleJson(codec_, p->user, "User")
                                                 : absl::StatusOr<std::string>("null");
      if (!participant.ok()) {
        error(seen, participant.status());
      } else if (!user.ok()) {
        error(seen, user.status());
      } else {
        add(absl::StrCat(R"({"participant":)", *participant, R"(,"user":)", *user, "}"));
      }
      ++seen;
    }
  } else {
    while (std::optional<client::DialogEntry> d = w.dialogs->Next()) {
      absl::StatusOr<std::string> dialog = HandleJson(codec_, d->dialog, "Dialog");
      absl::StatusOr<std::string> message =
          d->top_message ? HandleJson(codec_, d->top_message, "Message")
                         : absl::StatusOr<std::string>("null");
      if (!dialog.ok()) {
        error(seen, dialog.status());
      } else if (!message.ok()) {
        error(seen, message.status());
      } else {
        add(absl::StrCat(R"({"dialog":)", *dialog, R"(,"message":)", *message, "}"));
      }
      ++seen;
    }
  }
  if (seen > 0) {
    std::string users = "[]", chats = "[]";
    if (page != nullptr) {
      // (The answer read again: the walk kept its entries, not its users.)
      const std::vector<tl::User>* u = nullptr;
      const std::vector<tl::Chat>* c = nullptr;
      const auto convert = [&] {
        if (u != nullptr) users = ArrayJson(codec_, *u, "User", errors);
        if (c != nullptr) chats = ArrayJson(codec_, *c, "Chat", errors);
      };
      if (w.messages != nullptr) {
        // (A search's answer is a messages.Messages too.)
        absl::StatusOr<tl::messages_Messages> answer =
            tl::ParseResult<tl::messages_getHistory>(*page);
        if (answer.ok()) {
          EntitiesOf<tl::messages_messages, tl::messages_messagesSlice,
                     tl::messages_channelMessages>(*answer, u, c);
          convert();
        }
      } else if (w.members != nullptr) {
        absl::StatusOr<tl::channels_ChannelParticipants> answer =
            tl::ParseResult<tl::channels_getParticipants>(*page);
        if (answer.ok()) {
          EntitiesOf<tl::channels_channelParticipants>(*answer, u, c);
          convert();
        }
      } else {
        absl::StatusOr<tl::messages_Dialogs> answer =
            tl::ParseResult<tl::messages_getDialogs>(*page);
        if (answer.ok()) {
          EntitiesOf<tl::messages_dialogs, tl::messages_dialogsSlice>(*answer, u, c);
          convert();
        }
      }
    }
    entries += ']';
    queued_.push_back(absl::StrCat(
        R"({"type":"walkPage","walk":)", IdJson(id), R"(,"entries":)", entries, R"(,"users":)",
        users, R"(,"chats":)", chats,
        errors.empty() ? "" : absl::StrCat(R"(,"entryErrors":[)", errors, "]"), "}"));
  }
  if (!w.Visit([](auto& x) { return x.done(); })) return;
  const absl::Status status = w.Visit([](auto& x) { return x.status(); });
  const int64_t delivered = w.Visit([](auto& x) { return x.delivered(); });
  queued_.push_back(
      status.ok()
          ? absl::StrCat(R"({"type":"walkEnded","walk":)", IdJson(id), R"(,"ok":true,"entries":)",
                         delivered, "}")
          : absl::StrCat(R"({"type":"walkEnded","walk":)", IdJson(id), R"(,"ok":false,"message":)",
                         JsonQuote(status.ToString()), "}"));
  walks_.erase(it);
}

}  // namespace mtcore::web
