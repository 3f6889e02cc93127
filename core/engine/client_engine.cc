#include "core/engine/client_engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/handshake/temp_key_binding.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/session/unencrypted_message.h"
#include "tl/api.h"

namespace mtcore::engine {
namespace {

using session::SessionEvent;

// A transport error that means "the server does not know this auth key".
constexpr int32_t kAuthKeyNotFound = -404;
constexpr int64_t kNsPerSecond = 1'000'000'000;
// api/pfs: ENCRYPTED_MESSAGE_INVALID drops the permanent key if and only if
// it was created more than this many seconds ago.
constexpr int64_t kPermKeyImmunityS = 60;
// The longest wait before a refused binding is tried again with a new key.
constexpr int kMaxBindRetryDelayS = 32;
// A replaced temporary key's session ends this long before the key expires
// (at most a quarter of the renewal margin, for very short-lived keys).
constexpr int32_t kOldKeyGraceS = 2;
constexpr size_t kRetiredKeysKept = 4;

}  // namespace

absl::StatusOr<std::unique_ptr<ClientEngine>> ClientEngine::Create(EngineConfig config,
                                                                   crypto::RandomSource& rng,
                                                                   absl::Time now,
                                                                   int64_t unix_now_ns) {
  if (!config.fake_tls_domain.empty()) {
    if (config.proxy_secret.size() != 16) {
      return absl::InvalidArgumentError("engine: FakeTLS needs the 16-byte proxy secret (ee secrets)");
    }
    if (config.fake_tls_domain.size() > 253) {
      return absl::InvalidArgumentError("engine: a FakeTLS domain has at most 253 characters");
    }
    if (config.framing == transport::Framing::kIntermediate ||
        config.framing == transport::Framing::kFull) {
      config.framing = transport::Framing::kPaddedIntermediate;
    }
  }
  if (!config.proxy_secret.empty()) config.obfuscated = true;
  if (config.obfuscated && config.framing == transport::Framing::kFull) {
    return absl::InvalidArgumentError("engine: full framing cannot be obfuscated (it has no tag)");
  }
  if (!config.proxy_secret.empty() && config.proxy_secret.size() != 16) {
    return absl::InvalidArgumentError(absl::StrCat("engine: an MTProxy secret has 16 bytes, not ",
                                                   config.proxy_secret.size()));
  }
  if (config.auth_key.has_value() && config.auth_key->key.size() != 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("engine: an auth key has 256 bytes, not ", config.auth_key->key.size()));
  }
  if (!config.auth_key.has_value() && config.server_keys.empty()) {
    return absl::InvalidArgumentError(
        "engine: no auth key and no server RSA keys to create one with");
  }
  if (config.pfs.enabled) {
    if (config.server_keys.empty()) {
      return absl::InvalidArgumentError(
          "engine: PFS makes temporary keys, which needs the server RSA keys");
    }
    if (config.pfs.temp_key_lifetime_s < 2 || config.pfs.renew_before_s < 1) {
      return absl::InvalidArgumentError(
          "engine: a PFS temporary key lives at least 2 s and is renewed at least 1 s early");
    }
  }
  if (config.framing == transport::Framing::kPaddedIntermediate) {
    config.session.transport_padding = true;
  }
  return std::unique_ptr<ClientEngine>(new ClientEngine(std::move(config), rng, now, unix_now_ns));
}

ClientEngine::ClientEngine(EngineConfig config, crypto::RandomSource& rng, absl::Time now,
                           int64_t unix_now_ns)
    : config_(std::move(config)),
      rng_(rng),
      clock_offset_ns_(unix_now_ns - absl::ToUnixNanos(now)),
      last_now_(now) {
  if (config_.auth_key.has_value() && config_.pfs.enabled) {
    // The permanent key; sessions wait for a bound temporary key.
    perm_key_ = config_.auth_key->key;
    perm_salt_ = config_.auth_key->salt;
    perm_created_at_ = config_.auth_key->created_at;
    absl::StatusOr<session::AuthKey> k = session::AuthKey::Create(*perm_key_);
    perm_key_id_ = k.ok() ? k->id() : 0;
  } else if (config_.auth_key.has_value()) {
    StoredAuthKey k = *config_.auth_key;
    StartSession(std::move(k.key), k.salt, now);
  }
}

ClientEngine::~ClientEngine() {
  if (perm_key_.has_value()) SecureWipe(absl::MakeSpan(*perm_key_));
}

uint64_t ClientEngine::temp_key_id() const {
  if (!config_.pfs.enabled || session_ == nullptr) return 0;
  return session_->auth_key().id();
}

int32_t ClientEngine::OldKeyGrace() const {
  return std::min(kOldKeyGraceS, RenewMargin() / 4);
}

int32_t ClientEngine::RenewMargin() const {
  return std::max<int32_t>(
      1, std::min(config_.pfs.renew_before_s, config_.pfs.temp_key_lifetime_s / 2));
}

absl::Time ClientEngine::FromServerUnix(int64_t unix_s) const {
  const int64_t offset = UnixNs(last_now_) - absl::ToUnixNanos(last_now_);
  return absl::FromUnixNanos(unix_s * kNsPerSecond - offset);
}

int64_t ClientEngine::UnixNs(absl::Time now) const {
  if (session_ != nullptr) return session_->ServerUnixNs(now);
  return absl::ToUnixNanos(now) + clock_offset_ns_;
}

int64_t ClientEngine::ServerUnixNs(absl::Time now) const { return UnixNs(now); }

session::SessionStats ClientEngine::session_stats() const {
  return session_ != nullptr ? session_->stats() : session::SessionStats{};
}

std::optional<StoredAuthKey> ClientEngine::auth_key() const {
  if (config_.pfs.enabled) {
    if (!perm_key_.has_value()) return std::nullopt;
    return StoredAuthKey{*perm_key_, perm_salt_, perm_created_at_};
  }
  if (session_ == nullptr) return std::nullopt;
  ByteView k = session_->auth_key().bytes();
  return StoredAuthKey{Bytes(k.begin(), k.end()), session_->salt()};
}

uint64_t ClientEngine::Send(Bytes query, const session::SendOptions& options) {
  return Send(std::make_shared<const Bytes>(std::move(query)), options);
}

uint64_t ClientEngine::Send(session::SharedBytes query, const session::SendOptions& options) {
  uint64_t id = next_request_id_++;
  if (fatal_) {
    EngineEvent e;
    e.kind = EngineEvent::Kind::kRequestFailed;
    e.request_id = id;
    e.status = absl::FailedPreconditionError("engine: stopped after a fatal error");
    Emit(std::move(e));
    return id;
  }
  PendingRequest& r = requests_[id];
  r.query = std::move(query);
  r.options = options;
  unsubmitted_.push_back(id);
  if (session_ != nullptr) SubmitPending(last_now_);
  return id;
}

bool ClientEngine::Cancel(uint64_t request_id) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return false;
  if (it->second.on_old && old_session_ != nullptr) {
    old_session_->Cancel(it->second.session_request_id, last_now_);
    DrainSessionEvents();  // emits the kRequestFailed
    return true;
  }
  const bool in_session = session_ != nullptr && it->second.session_request_id != 0;
  if (in_session && request_id != wrapped_request_) {
    session_->Cancel(it->second.session_request_id, last_now_);
    DrainSessionEvents();  // emits the kRequestFailed
    return true;
  }
  if (in_session) {
    // It carries the session's invokeWithLayer + initConnection, and other
    // requests may already be queued behind it unwrapped: it still goes out
    // (its answer is dropped); the caller sees it cancelled now.
    by_session_id_.erase(it->second.session_request_id);
  }
  requests_.erase(it);
  EngineEvent e;
  e.kind = EngineEvent::Kind::kRequestFailed;
  e.request_id = request_id;
  e.status = absl::CancelledError("request cancelled by the caller");
  Emit(std::move(e));
  return true;
}

void ClientEngine::SubmitPending(absl::Time now) {
  if (session_ == nullptr) return;
  // PFS: nothing but the binding goes over an unbound temporary key, and
  // nothing new while the next key's binding is in flight (it would reach
  // the DC after the binding, when the current key has lost the login).
  if (config_.pfs.enabled && (!bound_ || next_session_ != nullptr)) return;
  std::vector<uint64_t> ids;
  ids.swap(unsubmitted_);
  for (uint64_t id : ids) {
    auto it = requests_.find(id);
    if (it == requests_.end() || it->second.session_request_id != 0) continue;
    PendingRequest& r = it->second;
    session::SendOptions opts = r.options;
    if (opts.after_request.has_value()) {
      auto after = requests_.find(*opts.after_request);
      if (after != requests_.end() && after->second.session_request_id != 0) {
        opts.after_request = after->second.session_request_id;
      } else {
        opts.after_request.reset();
      }
    }
    session::SharedBytes query = r.query;
    if (wrap_next_ && config_.wrap_first_request) {
      query = std::make_shared<const Bytes>(config_.wrap_first_request(*r.query));
      wrapped_request_ = id;
    }
    wrap_next_ = false;
    r.session_request_id = session_->Send(std::move(query), opts, now);
    by_session_id_[r.session_request_id] = id;
  }
}

void ClientEngine::StartSession(Bytes key, uint64_t salt, absl::Time now) {
  absl::StatusOr<session::AuthKey> k = session::AuthKey::Create(key);
  SecureWipe(absl::MakeSpan(key));
  if (!k.ok()) {
    fatal_ = true;
    EngineEvent e;
    e.kind = EngineEvent::Kind::kFatal;
    e.status = k.status();
    Emit(std::move(e));
    return;
  }
  uint64_t session_id = 0;
  while (session_id == 0) session_id = crypto::RandomU64(rng_);
  int64_t unix_now = UnixNs(now);
  session_ = std::make_unique<session::ClientSession>(*std::move(k), salt, session_id,
                                                      config_.session, now, unix_now);
  by_session_id_.clear();
  unsubmitted_.clear();
  wrap_next_ = true;
  for (auto& [id, r] : requests_) {
    r.session_request_id = 0;
    unsubmitted_.push_back(id);
  }
  if (connected_ && handshake_ == nullptr) session_->OnConnected(now);
  if (config_.pfs.enabled) {
    bound_ = false;
    renewing_ = false;
    SendBind(*session_, temp_expires_at_, now);
    return;
  }
  SubmitPending(now);
}

void ClientEngine::StartNextSession(Bytes key, uint64_t salt, int32_t expires_at,
                                    absl::Time now) {
  absl::StatusOr<session::AuthKey> k = session::AuthKey::Create(key);
  SecureWipe(absl::MakeSpan(key));
  if (!k.ok() || session_ == nullptr) {
    renewing_ = false;
    return;
  }
  uint64_t session_id = 0;
  while (session_id == 0) session_id = crypto::RandomU64(rng_);
  next_session_ = std::make_unique<session::ClientSession>(*std::move(k), salt, session_id,
                                                           config_.session, now, UnixNs(now));
  next_expires_at_ = expires_at;
  if (connected_) next_session_->OnConnected(now);
  // What waits behind the current session's window has not left: it waits
  // for the next key instead of reaching the DC after the binding.
  std::vector<uint64_t> back;
  for (uint64_t sid : session_->TakeUnsent()) {
    auto it = by_session_id_.find(sid);
    if (it == by_session_id_.end()) continue;
    const uint64_t id = it->second;
    by_session_id_.erase(it);
    auto r = requests_.find(id);
    if (r == requests_.end()) continue;
    r->second.session_request_id = 0;
    if (id == wrapped_request_) wrap_next_ = true;
    back.push_back(id);
  }
  back.insert(back.end(), unsubmitted_.begin(), unsubmitted_.end());
  unsubmitted_ = std::move(back);
  SendBind(*next_session_, expires_at, now);
}

void ClientEngine::SendBind(session::ClientSession& s, int32_t expires_at, absl::Time now) {
  handshake::BindAuthKeyInner in;
  while (in.nonce == 0) in.nonce = static_cast<int64_t>(crypto::RandomU64(rng_));
  in.temp_auth_key_id = s.auth_key().id();
  in.perm_auth_key_id = perm_key_id_;
  in.temp_session_id = s.session_id();
  in.expires_at = expires_at;
  // The binding message names the msg_id of the message carrying it, known
  // only when the session sends it (and again if it re-sends it with a new
  // id): the session builds the body then. The first build only sizes it.
  absl::StatusOr<Bytes> sized = handshake::BuildBindTempAuthKey(*perm_key_, in, 0, rng_);
  if (!sized.ok()) {
    FailEverything(sized.status());
    return;
  }
  session::SendOptions opts;
  opts.no_gzip = true;
  opts.body_for_msg_id = [this, in](int64_t msg_id) {
    absl::StatusOr<Bytes> q = perm_key_.has_value()
                                  ? handshake::BuildBindTempAuthKey(*perm_key_, in, msg_id, rng_)
                                  : absl::StatusOr<Bytes>(absl::FailedPreconditionError("no key"));
    // Cannot fail for a 256-byte key; an empty body would be refused by
    // the server and end in kBindFailed.
    return q.ok() ? *std::move(q) : Bytes(4, 0);
  };
  bind_request_ = s.Send(*std::move(sized), opts, now);
}

void ClientEngine::OnBindAnswer(SessionEvent se) {
  bind_request_ = 0;
  absl::Status why;
  if (se.kind == SessionEvent::Kind::kResult) {
    absl::StatusOr<bool> ok = tl::Parse<bool>(se.body);
    if (ok.ok() && *ok) {
      if (next_session_ != nullptr) {
        // Renewal: the next key carries the login from now on; the replaced
        // one keeps its session while what it carries is answered.
        if (old_session_ != nullptr) EndOldSession();
        if (session_ != nullptr && !by_session_id_.empty()) {
          old_session_ = std::move(session_);
          old_by_session_id_ = std::move(by_session_id_);
          old_expires_at_ = temp_expires_at_;
          for (const auto& [sid, id] : old_by_session_id_) {
            auto r = requests_.find(id);
            if (r != requests_.end()) r->second.on_old = true;
          }
        } else if (session_ != nullptr) {
          RememberRetired(session_->auth_key().id());
        }
        session_ = std::move(next_session_);
        by_session_id_.clear();
        temp_expires_at_ = next_expires_at_;
        ++stats_.temp_key_renewals;
      }
      bound_ = true;
      renewing_ = false;
      bind_failures_ = 0;
      young_key_retries_ = 0;
      ++stats_.temp_keys_bound;
      // Client info is written again after every binding (initConnection).
      wrap_next_ = true;
      EngineEvent e;
      e.kind = EngineEvent::Kind::kTempKeyBound;
      e.error_code = temp_expires_at_;
      Emit(std::move(e));
      SubmitPending(last_now_);
      return;
    }
    why = absl::PermissionDeniedError(ok.ok() ? "auth.bindTempAuthKey: the server answered false"
                                              : "auth.bindTempAuthKey: a malformed answer");
  } else if (se.kind == SessionEvent::Kind::kRpcError) {
    why = absl::PermissionDeniedError(absl::StrCat("auth.bindTempAuthKey failed: ", se.error_code,
                                                   " ", se.error_message));
  } else {
    why = absl::Status(se.status.code(),
                       absl::StrCat("auth.bindTempAuthKey failed: ", se.status.message()));
  }
  BindRefused(se, std::move(why));
}

void ClientEngine::BindRefused(const SessionEvent& se, absl::Status why) {
  ++stats_.bind_failures;
  EngineEvent e;
  e.kind = EngineEvent::Kind::kBindFailed;
  e.error_code = se.error_code;
  e.error_message = se.error_message;
  e.status = why;
  Emit(std::move(e));
  const bool invalid = se.kind == SessionEvent::Kind::kRpcError &&
                       se.error_message == "ENCRYPTED_MESSAGE_INVALID" && perm_key_.has_value();
  const int64_t server_s = UnixNs(last_now_) / kNsPerSecond;
  const bool old_key = perm_created_at_ == 0 || server_s - perm_created_at_ > kPermKeyImmunityS;
  if (invalid && old_key) {
    // api/pfs: the DC does not know the permanent key: drop it (the login
    // goes with it) and make a new one, as after -404 without PFS.
    ++stats_.perm_key_drops;
    SecureWipe(absl::MakeSpan(*perm_key_));
    perm_key_.reset();
    perm_key_id_ = 0;
    perm_created_at_ = 0;
    bind_failures_ = 0;
    young_key_retries_ = 0;
    RetireSession(last_now_);
    CloseConnection(why);
    return;
  }
  // A new temporary key after a pause; the current one (renewal) keeps
  // serving meanwhile.
  int attempt = 0;
  if (invalid) {
    ++stats_.bind_retries_young_key;
    attempt = ++young_key_retries_;
  } else {
    attempt = ++bind_failures_;
  }
  if (next_session_ != nullptr) {
    RememberRetired(next_session_->auth_key().id());
    next_session_.reset();
    renewing_ = false;
    SubmitPending(last_now_);
  } else {
    RetireSession(last_now_);
  }
  if (bind_failures_ >= config_.max_handshake_failures) {
    FailEverything(absl::Status(why.code(), absl::StrCat("temporary key binding failed ",
                                                         bind_failures_, " times; last: ",
                                                         why.message())));
    CloseConnection(why);
    return;
  }
  const int delay_s = std::min(kMaxBindRetryDelayS, 1 << std::min(attempt - 1, 5));
  bind_retry_at_ = last_now_ + absl::Seconds(delay_s);
}

void ClientEngine::RememberRetired(uint64_t key_id) {
  if (key_id == 0) return;
  retired_key_ids_.push_back(key_id);
  while (retired_key_ids_.size() > kRetiredKeysKept) retired_key_ids_.pop_front();
}

bool ClientEngine::IsRetired(uint64_t key_id) const {
  return std::find(retired_key_ids_.begin(), retired_key_ids_.end(), key_id) !=
         retired_key_ids_.end();
}

void ClientEngine::EndOldSession() {
  if (old_session_ == nullptr) return;
  RememberRetired(old_session_->auth_key().id());
  std::vector<uint64_t> lost;
  for (const auto& [sid, id] : old_by_session_id_) lost.push_back(id);
  std::sort(lost.begin(), lost.end());
  for (uint64_t id : lost) {
    if (requests_.erase(id) == 0) continue;
    ++stats_.renewal_unknown_outcome;
    EngineEvent f;
    f.kind = EngineEvent::Kind::kRequestFailed;
    f.request_id = id;
    f.status = absl::UnknownError(absl::StrCat(
        "PFS: no answer before the replaced temporary key ", old_session_->auth_key().id(),
        " expired; the DC may have executed the request, so it is not sent again"));
    Emit(std::move(f));
  }
  old_by_session_id_.clear();
  old_session_.reset();
}

void ClientEngine::RetireSession(absl::Time now) {
  if (session_ != nullptr) {
    // Keep the session's view of the server clock.
    clock_offset_ns_ = session_->ServerUnixNs(now) - absl::ToUnixNanos(now);
    RememberRetired(session_->auth_key().id());
  }
  if (next_session_ != nullptr) RememberRetired(next_session_->auth_key().id());
  if (old_session_ != nullptr) RememberRetired(old_session_->auth_key().id());
  if (handshake_ != nullptr && handshake_kind_ == HandshakeKind::kNextTemp) handshake_.reset();
  session_.reset();
  next_session_.reset();
  old_session_.reset();
  by_session_id_.clear();
  old_by_session_id_.clear();
  unsubmitted_.clear();
  for (auto& [id, r] : requests_) {
    r.session_request_id = 0;
    r.on_old = false;
    unsubmitted_.push_back(id);
  }
  bound_ = false;
  renewing_ = false;
  bind_request_ = 0;
  bind_outcome_.reset();
}

void ClientEngine::MaybeRenew(absl::Time now) {
  if (!config_.pfs.enabled || !connected_ || close_requested_ || fatal_) return;
  const int64_t server_s = UnixNs(now) / kNsPerSecond;
  if (old_session_ != nullptr &&
      (old_session_->requests_in_flight() == 0 ||
       server_s >= old_expires_at_ - OldKeyGrace())) {
    EndOldSession();
  }
  if (handshake_ != nullptr || next_session_ != nullptr) return;
  if (bind_retry_at_.has_value()) {
    if (now < *bind_retry_at_) return;
    bind_retry_at_.reset();
    if (session_ == nullptr || !bound_) {
      StartHandshake(now);
      return;
    }
    renewing_ = true;
    StartHandshake(now);
    return;
  }
  if (session_ == nullptr || !bound_) return;
  if (!renewing_ && server_s >= temp_expires_at_ - RenewMargin()) {
    renewing_ = true;
    StartHandshake(now);
  }
}

void ClientEngine::FailEverything(absl::Status why) {
  fatal_ = true;
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : requests_) ids.push_back(id);
  for (uint64_t id : ids) {
    EngineEvent f;
    f.kind = EngineEvent::Kind::kRequestFailed;
    f.request_id = id;
    f.status = why;
    Emit(std::move(f));
  }
  requests_.clear();
  unsubmitted_.clear();
  by_session_id_.clear();
  old_by_session_id_.clear();
  EngineEvent e;
  e.kind = EngineEvent::Kind::kFatal;
  e.status = std::move(why);
  Emit(std::move(e));
}

void ClientEngine::StartHandshake(absl::Time now) {
  handshake::ClientHandshakeConfig hc;
  hc.server_keys = config_.server_keys;
  hc.dc_id = config_.dc_id;
  hc.step_timeout_ns = absl::ToInt64Nanoseconds(config_.handshake_step_timeout);
  handshake_kind_ = !(config_.pfs.enabled && perm_key_.has_value()) ? HandshakeKind::kPermanent
                    : session_ != nullptr && bound_                ? HandshakeKind::kNextTemp
                                                                   : HandshakeKind::kTemp;
  if (handshake_kind_ != HandshakeKind::kPermanent) {
    hc.temp_key_expires_in = config_.pfs.temp_key_lifetime_s;
  }
  handshake_ = std::make_unique<handshake::ClientHandshake>(std::move(hc), rng_, primes_);
  absl::StatusOr<Bytes> first = handshake_->Start(UnixNs(now));
  if (!first.ok()) {
    HandshakeFailed(first.status());
    return;
  }
  session::MessageIdGenerator ids;
  handshake_msg_id_ = std::max(handshake_msg_id_ + 4, ids.Next(UnixNs(now)));
  QueuePacket(session::WrapUnencrypted(handshake_msg_id_, *first));
  ++stats_.handshakes;
}

void ClientEngine::OnConnected(absl::Time now) {
  last_now_ = now;
  connected_ = true;
  close_requested_ = false;
  ++stats_.connections;
  out_.clear();
  encoder_.emplace(config_.framing);
  decoder_.emplace(config_.framing, transport::Sender::kServer);
  obfuscation_.reset();
  if (config_.obfuscated) {
    transport::ObfuscationParams p;
    p.framing = config_.framing;
    if (!config_.proxy_secret.empty()) {
      p.dc_id = config_.dc_id;
      p.secret = config_.proxy_secret;
    }
    absl::StatusOr<transport::ClientObfuscation> o = transport::StartClientObfuscation(p, rng_);
    if (!o.ok()) {
      CloseConnection(o.status());
      return;
    }
    out_.insert(out_.end(), o->init.begin(), o->init.end());
    obfuscation_.emplace(std::move(o->stream));
  } else {
    Bytes preamble = transport::Preamble(config_.framing);
    out_.insert(out_.end(), preamble.begin(), preamble.end());
  }
  tls_ = Tls::kOff;
  tls_hello_out_.clear();
  tls_in_.clear();
  tls_writer_.reset();
  tls_reader_.reset();
  if (!config_.fake_tls_domain.empty()) {
    absl::StatusOr<transport::FakeTlsClientHello> hello = transport::BuildFakeTlsClientHello(
        config_.fake_tls_domain, config_.proxy_secret,
        static_cast<int32_t>(UnixNs(now) / 1'000'000'000), rng_);
    if (!hello.ok()) {
      CloseConnection(hello.status());
      return;
    }
    tls_ = Tls::kAwaitingServerHello;
    tls_hello_out_ = std::move(hello->bytes);
    tls_client_random_ = hello->client_random;
    tls_writer_.emplace(transport::TlsRecordWriter::Role::kClient);
    tls_reader_.emplace();
  }
  if (fatal_) {
    CloseConnection(absl::FailedPreconditionError("engine: stopped after a fatal error"));
    return;
  }
  if (config_.pfs.enabled && old_session_ != nullptr &&
      UnixNs(now) / kNsPerSecond >= old_expires_at_ - OldKeyGrace()) {
    EndOldSession();  // the replaced key expired while we were away
  }
  if (session_ != nullptr && config_.pfs.enabled &&
      UnixNs(now) / kNsPerSecond >= temp_expires_at_ - OldKeyGrace()) {
    // The temporary key expired (or is about to) while we were away: its
    // session is gone with it, and what it left unanswered goes again on
    // the next key. A key still alive keeps its session (the DC re-sends
    // the answers it kept) while the next one is made (MaybeRenew).
    RetireSession(now);
  }
  if (session_ == nullptr) {
    if (config_.pfs.enabled && bind_retry_at_.has_value() && now < *bind_retry_at_) {
      return;  // a refused binding: the next key after the pause (MaybeRenew)
    }
    bind_retry_at_.reset();
    StartHandshake(now);
  } else {
    session_->OnConnected(now);
    if (next_session_ != nullptr) next_session_->OnConnected(now);
    if (old_session_ != nullptr) old_session_->OnConnected(now);
  }
}

void ClientEngine::QueuePacket(ByteView packet) {
  Bytes padding;
  transport::EncodeOptions opts;
  if (config_.framing == transport::Framing::kPaddedIntermediate) {
    padding.resize(crypto::RandomBelow(rng_, 16));
    rng_.Fill(absl::MakeSpan(padding));
    opts.padding = padding;
  }
  // Frame straight into the output and obfuscate the appended bytes in place.
  const size_t start = out_.size();
  absl::Status s = encoder_->EncodePacket(packet, opts, out_);
  if (!s.ok()) {
    out_.resize(start);
    CloseConnection(s);
    return;
  }
  if (obfuscation_.has_value()) {
    obfuscation_->Encrypt(absl::MakeSpan(out_).subspan(start));
  }
}

void ClientEngine::CloseConnection(absl::Status why) {
  if (close_requested_) return;
  close_requested_ = true;
  EngineEvent e;
  e.kind = EngineEvent::Kind::kReconnectAdvised;
  e.status = std::move(why);
  Emit(std::move(e));
}

void ClientEngine::HandshakeFailed(absl::Status why) {
  if (handshake_kind_ == HandshakeKind::kNextTemp) renewing_ = false;
  handshake_.reset();
  ++stats_.handshake_failures;
  if (++handshake_failures_ >= config_.max_handshake_failures) {
    FailEverything(absl::Status(why.code(), absl::StrCat("auth key exchange failed ",
                                                         handshake_failures_,
                                                         " times; last: ", why.message())));
  }
  CloseConnection(absl::Status(why.code(), absl::StrCat("handshake: ", why.message())));
}

void ClientEngine::DropAuthKey(absl::Status why) {
  // The server forgot the key: every unanswered request goes to the next
  // session, made on a new key (with PFS a new temporary key, bound to the
  // permanent key the engine keeps).
  RetireSession(last_now_);
  CloseConnection(std::move(why));
}

absl::Status ClientEngine::OnBytes(ByteView in, absl::Time now) {
  last_now_ = now;
  if (!connected_ || close_requested_) return absl::OkStatus();
  stats_.bytes_in += in.size();
  // Only obfuscated input needs a writable copy to decrypt in place.
  Bytes plain;
  ByteView stream = in;
  if (tls_ != Tls::kOff) {
    if (absl::Status s = UnwrapTls(in, plain); !s.ok()) {
      CloseConnection(s);
      return s;
    }
    if (obfuscation_.has_value()) obfuscation_->Decrypt(absl::MakeSpan(plain));
    stream = plain;
  } else if (obfuscation_.has_value()) {
    plain.assign(in.begin(), in.end());
    obfuscation_->Decrypt(absl::MakeSpan(plain));
    stream = plain;
  }
  if (absl::Status s = decoder_->Feed(stream); !s.ok()) {
    CloseConnection(s);
    return s;
  }
  while (std::optional<transport::Frame> f = decoder_->Next()) {
    absl::Status s = HandleFrame(*std::move(f), now);
    if (!s.ok()) {
      CloseConnection(s);
      DrainSessionEvents();
      return s;
    }
    if (close_requested_) break;
  }
  DrainSessionEvents();
  MaybeRenew(now);
  return absl::OkStatus();
}

absl::Status ClientEngine::UnwrapTls(ByteView in, Bytes& stream) {
  if (tls_ == Tls::kAwaitingServerHello) {
    tls_in_.insert(tls_in_.end(), in.begin(), in.end());
    absl::StatusOr<size_t> used =
        transport::CheckFakeTlsServerHello(tls_in_, tls_client_random_, config_.proxy_secret);
    if (!used.ok()) {
      return absl::Status(used.status().code(),
                          absl::StrCat("FakeTLS: the proxy's answer: ", used.status().message()));
    }
    if (*used == 0) {
      // A ServerHello, ChangeCipherSpec and one record fit in a few KB;
      // more without a complete answer is not a proxy.
      if (tls_in_.size() > 64 * 1024) {
        return absl::DataLossError("FakeTLS: no complete proxy answer in 64 KiB");
      }
      return absl::OkStatus();
    }
    tls_ = Tls::kEstablished;
    Bytes rest(tls_in_.begin() + static_cast<ptrdiff_t>(*used), tls_in_.end());
    tls_in_.clear();
    tls_in_.shrink_to_fit();
    return tls_reader_->Feed(rest, stream);
  }
  return tls_reader_->Feed(in, stream);
}

absl::Status ClientEngine::HandleFrame(transport::Frame frame, absl::Time now) {
  switch (frame.kind) {
    case transport::Frame::Kind::kQuickAck:
      return absl::OkStatus();
    case transport::Frame::Kind::kTransportError: {
      ++stats_.transport_errors;
      EngineEvent e;
      e.kind = EngineEvent::Kind::kTransportError;
      e.error_code = frame.transport_error;
      Emit(std::move(e));
      absl::Status why = absl::UnavailableError(
          absl::StrCat("the server sent transport error ", frame.transport_error));
      if (frame.transport_error == kAuthKeyNotFound && session_ != nullptr) {
        DropAuthKey(why);
      } else {
        CloseConnection(why);
      }
      return absl::OkStatus();
    }
    case transport::Frame::Kind::kPacket:
      break;
  }
  absl::StatusOr<uint64_t> key_id = session::PacketAuthKeyId(frame.payload);
  if (!key_id.ok()) return key_id.status();
  if (*key_id == 0) return HandleHandshakePacket(frame.payload, now);
  // PFS: the replaced key's and the next key's sessions share the connection.
  session::ClientSession* to = session_.get();
  if (old_session_ != nullptr && old_session_->auth_key().id() == *key_id) {
    to = old_session_.get();
  } else if (next_session_ != nullptr && next_session_->auth_key().id() == *key_id) {
    to = next_session_.get();
  } else if (IsRetired(*key_id) && (session_ == nullptr || session_->auth_key().id() != *key_id)) {
    // A late packet on a temporary key already replaced.
    return absl::OkStatus();
  }
  if (to == nullptr || blocking_handshake()) {
    return absl::InvalidArgumentError("an encrypted packet before the auth key exists");
  }
  absl::Status s = to->OnPacket(frame.payload, now);
  if (s.ok()) return s;
  // Decryption failures mean a broken or hostile stream: drop the
  // connection. msg_id and session_id rejections drop only the message.
  switch (s.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kDataLoss:
      return s;
    default:
      return absl::OkStatus();
  }
}

absl::Status ClientEngine::HandleHandshakePacket(ByteView packet, absl::Time now) {
  if (handshake_ == nullptr) {
    return absl::InvalidArgumentError("an unencrypted packet outside the auth key exchange");
  }
  absl::StatusOr<session::UnencryptedMessage> m =
      session::ParseUnencrypted(packet, config_.framing == transport::Framing::kPaddedIntermediate);
  if (!m.ok()) {
    HandshakeFailed(m.status());
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<Bytes>> next = handshake_->OnMessage(m->body, UnixNs(now));
  if (!next.ok()) {
    HandshakeFailed(next.status());
    return absl::OkStatus();
  }
  if (next->has_value()) {
    session::MessageIdGenerator ids;
    handshake_msg_id_ = std::max(handshake_msg_id_ + 4, ids.Next(UnixNs(now)));
    QueuePacket(session::WrapUnencrypted(handshake_msg_id_, **next));
    return absl::OkStatus();
  }
  // The key is ready.
  const handshake::HandshakeResult& r = handshake_->result();
  const HandshakeKind kind = handshake_kind_;
  // A next key's exchange ran on the session's clock: no offset to apply.
  if (kind != HandshakeKind::kNextTemp) clock_offset_ns_ += r.server_time_offset_ns;
  Bytes key(r.auth_key.begin(), r.auth_key.end());
  uint64_t salt = r.server_salt;
  const int32_t expires_at = r.expires_at;
  handshake_.reset();  // `r` dies with it
  handshake_failures_ = 0;
  if (kind == HandshakeKind::kNextTemp) {
    StartNextSession(std::move(key), salt, expires_at, now);
    return absl::OkStatus();
  }
  if (config_.pfs.enabled && kind == HandshakeKind::kPermanent) {
    // The permanent key: kept, never used for messages; a temporary key
    // follows on this connection.
    perm_key_id_ = session::AuthKey::Create(key)->id();
    perm_key_ = std::move(key);
    perm_salt_ = salt;
    perm_created_at_ = UnixNs(now) / kNsPerSecond;
    EngineEvent e;
    e.kind = EngineEvent::Kind::kAuthKeyReady;
    Emit(std::move(e));
    StartHandshake(now);
    return absl::OkStatus();
  }
  if (config_.pfs.enabled) {
    temp_expires_at_ = expires_at;
    StartSession(std::move(key), salt, now);
    return absl::OkStatus();
  }
  StartSession(std::move(key), salt, now);
  EngineEvent e;
  e.kind = EngineEvent::Kind::kAuthKeyReady;
  Emit(std::move(e));
  return absl::OkStatus();
}

void ClientEngine::DrainSessionEvents() {
  if (next_session_ != nullptr) {
    absl::flat_hash_map<uint64_t, uint64_t> none;
    DrainOne(*next_session_, none, false, false);
  }
  if (old_session_ != nullptr) DrainOne(*old_session_, old_by_session_id_, true, false);
  if (session_ != nullptr) DrainOne(*session_, by_session_id_, next_session_ != nullptr, true);
  if (bind_outcome_.has_value()) {
    SessionEvent outcome = *std::move(bind_outcome_);
    bind_outcome_.reset();
    OnBindAnswer(std::move(outcome));
  }
}

void ClientEngine::DrainOne(session::ClientSession& s,
                            absl::flat_hash_map<uint64_t, uint64_t>& ids, bool superseded,
                            bool current) {
  const bool binding = &s == (next_session_ != nullptr ? next_session_.get() : session_.get());
  bool requeued = false;
  while (std::optional<SessionEvent> se = s.PollEvent()) {
    if (binding && bind_request_ != 0 && se->request_id == bind_request_ &&
        (se->kind == SessionEvent::Kind::kResult || se->kind == SessionEvent::Kind::kRpcError ||
         se->kind == SessionEvent::Kind::kFailed)) {
      // Handled once the sessions' events are drained (a failure ends it).
      bind_outcome_ = std::move(*se);
      continue;
    }
    EngineEvent e;
    e.status = se->status;
    switch (se->kind) {
      case SessionEvent::Kind::kResult:
      case SessionEvent::Kind::kRpcError:
      case SessionEvent::Kind::kFailed: {
        auto it = ids.find(se->request_id);
        if (it == ids.end()) continue;
        e.request_id = it->second;
        ids.erase(it);
        if (superseded && se->kind == SessionEvent::Kind::kRpcError && se->error_code == 401 &&
            se->error_message == "AUTH_KEY_PERM_EMPTY") {
          // The replaced key no longer carries the login, and the DC says
          // it did not execute the request: it goes again on the next key.
          auto r = requests_.find(e.request_id);
          if (r != requests_.end()) {
            r->second.session_request_id = 0;
            r->second.on_old = false;
            unsubmitted_.push_back(e.request_id);
            ++stats_.renewal_resends;
            requeued = true;
          }
          continue;
        }
        requests_.erase(e.request_id);
        e.kind = se->kind == SessionEvent::Kind::kResult     ? EngineEvent::Kind::kResult
                 : se->kind == SessionEvent::Kind::kRpcError ? EngineEvent::Kind::kRpcError
                                                             : EngineEvent::Kind::kRequestFailed;
        e.body = std::move(se->body);
        e.error_code = se->error_code;
        e.error_message = std::move(se->error_message);
        break;
      }
      case SessionEvent::Kind::kUpdates:
        e.kind = EngineEvent::Kind::kUpdates;
        e.body = std::move(se->body);
        break;
      case SessionEvent::Kind::kNewSession:
        // Only the session new requests go to opens with initConnection
        // (the next key's gets it once bound).
        if (!current) continue;
        e.kind = EngineEvent::Kind::kSessionReset;
        wrap_next_ = true;
        break;
      case SessionEvent::Kind::kTimeAdjusted:
        if (!current) continue;
        e.kind = EngineEvent::Kind::kTimeAdjusted;
        e.error_message = std::move(se->error_message);
        break;
      case SessionEvent::Kind::kMessageRejected:
        e.kind = EngineEvent::Kind::kMessageRejected;
        break;
      case SessionEvent::Kind::kDestroySession:
        continue;
    }
    Emit(std::move(e));
  }
  if (requeued) {
    std::sort(unsubmitted_.begin(), unsubmitted_.end());
    unsubmitted_.erase(std::unique(unsubmitted_.begin(), unsubmitted_.end()), unsubmitted_.end());
    if (session_ != nullptr && &s != session_.get()) SubmitPending(last_now_);
  }
}

void ClientEngine::PullOutput(Bytes& out) {
  if (connected_ && !close_requested_ && !blocking_handshake()) {
    // The current session first; the next key's binding after what the
    // current key already sent.
    for (session::ClientSession* s : {session_.get(), old_session_.get(), next_session_.get()}) {
      if (s == nullptr || close_requested_) continue;
      absl::StatusOr<std::vector<Bytes>> packets = s->BuildPackets(last_now_, rng_);
      if (!packets.ok()) {
        CloseConnection(packets.status());
      } else {
        for (const Bytes& p : *packets) QueuePacket(p);
      }
    }
    DrainSessionEvents();
    if (old_session_ != nullptr && old_session_->requests_in_flight() == 0) EndOldSession();
  }
  const size_t before = out.size();
  if (tls_ != Tls::kOff) {
    // The hello goes alone; the stream follows, in records, once the
    // proxy's answer is checked.
    out.insert(out.end(), tls_hello_out_.begin(), tls_hello_out_.end());
    tls_hello_out_.clear();
    if (tls_ == Tls::kEstablished && !out_.empty()) {
      tls_writer_->Wrap(out_, out);
      out_.clear();
    }
  } else if (out.empty()) {
    out.swap(out_);
  } else {
    out.insert(out.end(), out_.begin(), out_.end());
    out_.clear();
  }
  stats_.bytes_out += out.size() - before;
}

std::optional<absl::Time> ClientEngine::NextDeadline() {
  if (!connected_ || close_requested_) return std::nullopt;
  std::optional<absl::Time> d;
  auto take = [&d](std::optional<absl::Time> t) {
    if (t.has_value() && (!d.has_value() || *t < *d)) d = t;
  };
  if (handshake_ != nullptr) {
    std::optional<int64_t> h = handshake_->NextDeadline();
    // Handshake deadlines are in the unix ns it was given; map back to
    // monotonic time.
    const int64_t offset = UnixNs(last_now_) - absl::ToUnixNanos(last_now_);
    if (h.has_value()) take(absl::FromUnixNanos(*h - offset));
    if (blocking_handshake()) return d;
  }
  for (session::ClientSession* s : {session_.get(), old_session_.get(), next_session_.get()}) {
    if (s != nullptr) take(s->NextDeadline());
  }
  if (config_.pfs.enabled) {
    take(bind_retry_at_);
    if (session_ != nullptr && bound_ && !renewing_) {
      take(FromServerUnix(temp_expires_at_ - RenewMargin()));
    }
    if (old_session_ != nullptr) {
      take(FromServerUnix(old_expires_at_ - OldKeyGrace()));
    }
  }
  return d;
}

void ClientEngine::OnTimeout(absl::Time now) {
  last_now_ = now;
  if (!connected_ || close_requested_) return;
  if (handshake_ != nullptr) {
    const bool blocking = blocking_handshake();
    absl::Status s = handshake_->OnTimeout(UnixNs(now));
    if (!s.ok()) HandshakeFailed(s);
    if (blocking || close_requested_) return;
  }
  for (session::ClientSession* s : {session_.get(), old_session_.get(), next_session_.get()}) {
    if (s == nullptr) continue;
    absl::Status st = s->OnTimeout(now);
    if (!st.ok()) CloseConnection(st);
  }
  DrainSessionEvents();
  MaybeRenew(now);
}

void ClientEngine::OnDisconnected(const absl::Status& why, absl::Time now) {
  last_now_ = now;
  (void)why;
  connected_ = false;
  close_requested_ = false;
  handshake_.reset();
  encoder_.reset();
  decoder_.reset();
  obfuscation_.reset();
  out_.clear();
  renewing_ = renewing_ && next_session_ != nullptr;  // a next key's exchange starts again
  for (session::ClientSession* s : {session_.get(), old_session_.get(), next_session_.get()}) {
    if (s != nullptr) s->OnConnectionLost(now);
  }
  DrainSessionEvents();
}

std::optional<EngineEvent> ClientEngine::PollEvent() {
  if (events_.empty()) return std::nullopt;
  EngineEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace mtcore::engine
