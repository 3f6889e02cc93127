#include "core/client/client.h"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/strings/numbers.h"

namespace mtcore::client {
namespace {

using engine::EngineEvent;

uint32_t ConstructorOf(ByteView body) {
  return body.size() < 4 ? 0 : absl::little_endian::Load32(body.data());
}

bool IsUpdatesConstructor(uint32_t id) {
  switch (id) {
    case tl::updatesTooLong::kId:
    case tl::updateShortMessage::kId:
    case tl::updateShortChatMessage::kId:
    case tl::updateShort::kId:
    case tl::updatesCombined::kId:
    case tl::updates::kId:
    case tl::updateShortSentMessage::kId:
      return true;
    default:
      return false;
  }
}

// The DC number of an EngineConfig::dc_id (test DCs are +10000, media DCs
// negative).
int DcNumber(int16_t dc_id) {
  int dc = dc_id < 0 ? -dc_id : dc_id;
  return dc >= 10000 ? dc - 10000 : dc;
}

// The non-negative N of an rpc error message "<one of prefixes>N".
std::optional<int64_t> NumberAfter(std::string_view message,
                                   std::initializer_list<std::string_view> prefixes) {
  for (std::string_view prefix : prefixes) {
    if (message.substr(0, prefix.size()) != prefix) continue;
    int64_t n = 0;
    if (absl::SimpleAtoi(message.substr(prefix.size()), &n) && n >= 0) return n;
  }
  return std::nullopt;
}

// N of PHONE_MIGRATE_N / USER_MIGRATE_N / NETWORK_MIGRATE_N: the DC the
// account lives on, or nullopt (other 303s such as FILE_MIGRATE_N are
// about one request, not the account, and go to the application).
std::optional<int> HomeDcMigration(int32_t code, std::string_view message) {
  if (code != 303) return std::nullopt;
  std::optional<int64_t> dc =
      NumberAfter(message, {"PHONE_MIGRATE_", "USER_MIGRATE_", "NETWORK_MIGRATE_"});
  if (!dc.has_value() || *dc < 1 || *dc > 1000) return std::nullopt;
  return static_cast<int>(*dc);
}

// X of FLOOD_WAIT_X / FLOOD_PREMIUM_WAIT_X, or nullopt for other errors.
std::optional<int64_t> FloodWaitSeconds(int32_t code, std::string_view message) {
  if (code != 420) return std::nullopt;
  return NumberAfter(message, {"FLOOD_WAIT_", "FLOOD_PREMIUM_WAIT_"});
}

// Overwrites a secret (exported login bytes) before the string lets go of it.
void WipeString(std::string& s) {
  SecureWipe(MutableByteView(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  s.clear();
}

// invokeWithoutUpdates(function): its query is its only field.
Bytes WithoutUpdates(ByteView function) {
  Bytes out(4);
  absl::little_endian::Store32(out.data(), tl::invokeWithoutUpdates<>::kId);
  out.insert(out.end(), function.begin(), function.end());
  return out;
}

// EngineConfig::dc_id for DC `dc`, keeping the +10000 of test DCs that
// `current` has.
int16_t EngineDcId(int16_t current, int dc) {
  const bool test_dc = std::abs(static_cast<int>(current)) >= 10000;
  return static_cast<int16_t>(test_dc ? 10000 + dc : dc);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientConfig config,
                                                       crypto::RandomSource& rng, absl::Time now,
                                                       int64_t unix_now_ns) {
  if (!config.engine.wrap_first_request) {
    ClientConfig init = config;  // the layer and app description only
    init.engine = {};
    init.resume.reset();
    config.engine.wrap_first_request = [init = std::move(init)](ByteView query) {
      return WrapInitConnection(init, query);
    };
  }
  if (config.resume.has_value()) {
    config.engine.dc_id = EngineDcId(config.engine.dc_id, config.resume->dc);
    config.engine.auth_key = config.resume->auth_key;
  }
  absl::StatusOr<std::unique_ptr<engine::ClientEngine>> e =
      engine::ClientEngine::Create(config.engine, rng, now, unix_now_ns);
  if (!e.ok()) return e.status();
  std::unique_ptr<Client> c(new Client(std::move(config), *std::move(e), rng, now));
  if (c->config_.resume.has_value()) {
    ClientSnapshot r = *std::move(c->config_.resume);
    c->config_.resume.reset();
    c->config_.engine.auth_key.reset();  // a migration later makes its own
    if (r.self_user_id != 0) {
      c->peers_.SetSelf(r.self_user_id);
      c->StartUpdatesFrom(r);
    }
  }
  return c;
}

std::optional<Client::DcAddress> Client::CdnAddressOf(int dc) const {
  auto it = cdn_addresses_.find(dc);
  if (it == cdn_addresses_.end()) return std::nullopt;
  return it->second;
}

void Client::LearnCdnAddresses(const tl::config& config) {
  std::map<int, DcAddress> found;
  for (bool ipv6 : {false, true}) {
    for (const tl::DcOption& o : config.dc_options) {
      const tl::dcOption* x = o.As<tl::dcOption>();
      if (x == nullptr || !x->cdn || x->ipv6 != ipv6 || x->tcpo_only) continue;
      if (x->port <= 0 || x->port > 65535 || x->ip_address.empty()) continue;
      found.emplace(x->id, DcAddress{x->ip_address, x->port, x->ipv6});  // the first per DC
    }
  }
  cdn_addresses_ = std::move(found);
}

std::optional<DcAddresses> Client::DcAddressesOf(int dc) const {
  auto it = dc_addresses_.find(dc);
  if (it == dc_addresses_.end()) return std::nullopt;
  return it->second;
}

std::optional<Client::DcAddress> Client::DcAddressOf(int dc) const {
  auto it = dc_addresses_.find(dc);
  if (it == dc_addresses_.end() || it->second.ordinary.empty()) return std::nullopt;
  return it->second.ordinary.front();
}

std::optional<ClientSnapshot> Client::Snapshot() const {
  std::optional<engine::StoredAuthKey> key = engine_->auth_key();
  if (!key.has_value()) return std::nullopt;
  ClientSnapshot s;
  s.dc = dc_;
  s.auth_key = *std::move(key);
  s.self_user_id = peers_.self();
  SaveUpdateState(s);
  return s;
}

void Client::SaveUpdateState(ClientSnapshot& s) const {
  if (gap_ == nullptr || !gap_->has_state()) return;
  s.updates = ClientSnapshot::UpdateState{gap_->pts(), gap_->qts(), gap_->date(), gap_->seq()};
  s.channels = gap_->channel_states();
}

void Client::StartUpdatesFrom(const ClientSnapshot& s) {
  std::optional<tl::updates_State> state;
  if (s.updates.has_value()) {
    state = tl::updates_state{
        .pts = s.updates->pts, .qts = s.updates->qts, .date = s.updates->date, .seq = s.updates->seq};
  }
  StartUpdatesAt(std::move(state));
  if (gap_ == nullptr) return;
  for (const updates::UpdateGapEngine::ChannelState& ch : s.channels) {
    gap_->SetChannelState(ch.channel_id, ch.pts, ch.access_hash);
  }
}

Client::Client(ClientConfig config, std::unique_ptr<engine::ClientEngine> engine,
               crypto::RandomSource& rng, absl::Time now)
    : config_(std::move(config)),
      engine_(std::move(engine)),
      rng_(rng),
      now_(now),
      dc_(DcNumber(config_.engine.dc_id)),
      peers_(config_.max_peers),
      awaiting_login_(config_.await_login),
      next_request_id_(std::max<uint64_t>(config_.first_request_id, 1)) {}

Client::~Client() = default;

// invokeWithLayer(initConnection(query)): query is the last field of both,
// so the wrapper is everything before a placeholder query, then the query.
Bytes WrapInitConnection(const ClientConfig& config, ByteView function) {
  tl::invokeWithLayer<tl::initConnection<tl::help_getConfig>> w;
  w.layer = config.layer;
  w.query.api_id = config.api_id;
  w.query.device_model = config.device_model;
  w.query.system_version = config.system_version;
  w.query.app_version = config.app_version;
  w.query.system_lang_code = config.system_lang_code;
  w.query.lang_code = config.lang_code;
  Bytes out = *tl::Serialize(w);
  out.resize(out.size() - 4);  // help.getConfig's constructor id
  out.insert(out.end(), function.begin(), function.end());
  return out;
}

absl::StatusOr<uint64_t> Client::InvokeRaw(Bytes function, const session::SendOptions& options) {
  if (function.size() < 4 || function.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("InvokeRaw: ", function.size(), " bytes is not a boxed TL function"));
  }
  if (config_.without_updates) function = WithoutUpdates(function);
  uint64_t id = next_request_id_++;
  AppRequest& r = requests_[id];
  r.query = std::make_shared<const Bytes>(std::move(function));
  r.options = options;
  SendToEngine(id, r);
  Pump();
  return id;
}

void Client::SendToEngine(uint64_t id, AppRequest& r) {
  std::vector<uint64_t> work = {id};
  while (!work.empty()) {
    const uint64_t next = work.back();
    work.pop_back();
    auto it = requests_.find(next);
    if (it == requests_.end()) continue;
    AppRequest& q = it->second;
    if (!login_error_.ok()) {
      // An auxiliary client whose login could not be carried here.
      FailRequest(next, login_error_);
      continue;
    }
    if (awaiting_login_ || exporting_login_ || importing_login_ || migrate_to_.has_value()) {
      // Moving to another DC: it goes there, once the login has.
      q.awaiting_migration = true;
      q.held_for_after = false;
      continue;
    }
    session::SendOptions options = q.options;
    if (options.after_request.has_value()) {
      auto after = requests_.find(*options.after_request);
      if (after == requests_.end()) {
        options.after_request.reset();  // answered already
      } else if (after->second.engine_id == 0) {
        // The request it must follow is waiting (FLOOD_WAIT, a migration):
        // this one waits for it to go out again.
        if (!q.held_for_after) {
          q.held_for_after = true;
          held_.emplace(*options.after_request, next);
        }
        continue;
      } else {
        options.after_request = after->second.engine_id;
      }
    }
    q.held_for_after = false;
    q.engine_id = engine_->Send(q.query, options);
    q.sent_under_login = logins_imported_;
    by_engine_id_[q.engine_id] = next;
    TakeHeld(next, work);
  }
}

void Client::FailRequest(uint64_t id, const absl::Status& why) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  flood_waits_.erase({it->second.retry_at, id});
  requests_.erase(it);
  ClientEvent out;
  out.kind = ClientEvent::Kind::kRequestFailed;
  out.request_id = id;
  out.status = why;
  events_.push_back(std::move(out));
  ReleaseHeld(id);  // those that followed it fail the same way
}

void Client::TakeHeld(uint64_t id, std::vector<uint64_t>& out) {
  auto [first, last] = held_.equal_range(id);
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  held_.erase(first, last);
}

void Client::ReleaseHeld(uint64_t id) {
  std::vector<uint64_t> work;
  TakeHeld(id, work);
  for (uint64_t w : work) {
    auto it = requests_.find(w);
    if (it != requests_.end() && it->second.held_for_after) SendToEngine(w, it->second);
  }
}

bool Client::Cancel(uint64_t request_id) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return false;
  if (it->second.engine_id != 0) return engine_->Cancel(it->second.engine_id);
  // Not with the engine: say what it was waiting for.
  const AppRequest& r = it->second;
  const char* waiting = r.retry_at != absl::InfiniteFuture() ? "while waiting out FLOOD_WAIT"
                        : awaiting_login_      ? "while waiting for the login on this DC"
                        : r.awaiting_migration ? "while the client moved to another DC"
                        : r.held_for_after     ? "while the request it follows was re-sent"
                                               : "before it was sent";
  const std::string why = absl::StrCat("request cancelled by the caller (", waiting, ")");
  flood_waits_.erase({it->second.retry_at, request_id});
  requests_.erase(it);
  ReleaseHeld(request_id);
  ClientEvent out;
  out.kind = ClientEvent::Kind::kRequestFailed;
  out.request_id = request_id;
  out.status = absl::CancelledError(why);
  events_.push_back(std::move(out));
  return true;
}

void Client::RetryFloodWaits(absl::Time now) {
  while (!flood_waits_.empty() && flood_waits_.begin()->first <= now) {
    uint64_t id = flood_waits_.begin()->second;
    flood_waits_.erase(flood_waits_.begin());
    auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    it->second.retry_at = absl::InfiniteFuture();
    SendToEngine(id, it->second);
  }
}

absl::Status Client::AnswerStatus(const ClientEvent& e) {
  switch (e.kind) {
    case ClientEvent::Kind::kResult:
      return absl::OkStatus();
    case ClientEvent::Kind::kRpcError: {
      std::string m = absl::StrCat("rpc error ", e.error_code, " ", e.error_message);
      switch (e.error_code) {
        case 303:
          return absl::UnavailableError(m);
        case 400:
          return absl::InvalidArgumentError(m);
        case 401:
          return absl::UnauthenticatedError(m);
        case 403:
          return absl::PermissionDeniedError(m);
        case 420:
          return absl::ResourceExhaustedError(m);
        default:
          return absl::InternalError(m);
      }
    }
    case ClientEvent::Kind::kRequestFailed:
      return e.status.ok() ? absl::UnknownError("the request failed") : e.status;
    default:
      return absl::InvalidArgumentError("not the answer to a request");
  }
}

std::optional<ClientEvent> Client::PollEvent() {
  Pump();
  if (events_.empty()) return std::nullopt;
  ClientEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool Client::has_events() {
  Pump();
  return !events_.empty();
}

void Client::StartUpdates(std::optional<tl::updates_State> state) {
  StartUpdatesAt(std::move(state));
  Pump();
}

void Client::RememberSender(const tl::Update& u) {
  const tl::Message* m = nullptr;
  if (const auto* x = u.As<tl::updateNewMessage>()) m = &x->message;
  if (const auto* x = u.As<tl::updateNewChannelMessage>()) m = &x->message;
  if (m == nullptr) return;
  if (const tl::message* x = m->As<tl::message>(); x != nullptr && x->from_id) {
    peers_.RememberMessage(x->from_id, x->peer_id, x->id);
  }
}

void Client::SetChannelState(int64_t channel_id, int32_t pts) {
  if (gap_ == nullptr) return;
  gap_->SetChannelState(channel_id, pts,
                        peers_.AccessHash(PeerKind::kChannel, channel_id).value_or(0));
}

void Client::StopUpdates() {
  if (gap_ == nullptr) return;
  gap_.reset();
  ++gap_generation_;
  failures_in_a_row_.clear();
}

void Client::StartUpdatesAt(std::optional<tl::updates_State> state) {
  if (!config_.receive_updates || gap_ != nullptr) return;
  ++gap_generation_;
  updates::UpdateGapConfig c = config_.updates;
  c.self_user_id = peers_.self();
  gap_ = std::make_unique<updates::UpdateGapEngine>(c, now_);
  if (state.has_value() && gap_->SetState(*state, now_).ok()) gap_->RequestDifference(now_);
}

template <class F>
void Client::SendInternal(const F& function, InternalRequest req) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(function);
  if (!bytes.ok()) {
    // Built by the update engine from numbers it holds: cannot happen, but
    // answer it as a failure rather than leave the engine waiting.
    ++stats_.internal_failures;
    if (req.what == Internal::kGetChannelDifference) {
      gap_->OnChannelDifferenceFailed(req.channel_id, now_);
    } else {
      gap_->OnDifferenceFailed(now_);
    }
    return;
  }
  ++stats_.internal_requests;
  req.generation = gap_generation_;
  internal_[engine_->Send(*std::move(bytes))] = req;
}

void Client::Pump() {
  for (;;) {
    bool progress = false;
    while (std::optional<EngineEvent> e = engine_->PollEvent()) {
      OnEngineEvent(*std::move(e));
      progress = true;
    }
    if (migrate_to_.has_value()) {
      int dc = *migrate_to_;
      migrate_to_.reset();
      absl::Status moved = MigrateTo(dc);
      if (!moved.ok()) {
        std::vector<uint64_t> failed;
        for (auto it = requests_.begin(); it != requests_.end();) {
          if (!it->second.awaiting_migration) {
            ++it;
            continue;
          }
          ClientEvent out;
          out.kind = ClientEvent::Kind::kRequestFailed;
          out.request_id = it->first;
          out.status = moved;
          events_.push_back(std::move(out));
          failed.push_back(it->first);
          it = requests_.erase(it);
        }
        for (uint64_t id : failed) ReleaseHeld(id);
      }
      progress = true;
    }
    while (gap_ != nullptr) {
      std::optional<updates::UpdateEvent> u = gap_->PollEvent();
      if (!u.has_value()) break;
      OnGapEvent(*std::move(u));
      progress = true;
    }
    if (!progress) return;
  }
}

void Client::OnEngineEvent(EngineEvent e) {
  switch (e.kind) {
    case EngineEvent::Kind::kResult:
    case EngineEvent::Kind::kRpcError:
    case EngineEvent::Kind::kRequestFailed: {
      auto it = internal_.find(e.request_id);
      if (it != internal_.end()) {
        InternalRequest req = it->second;
        internal_.erase(it);
        OnInternalAnswer(req, std::move(e));
        return;
      }
      auto app = by_engine_id_.find(e.request_id);
      if (app == by_engine_id_.end()) return;  // not ours (already answered)
      uint64_t id = app->second;
      by_engine_id_.erase(app);
      OnAppAnswer(id, std::move(e));
      return;
    }
    case EngineEvent::Kind::kUpdates:
      OnUpdatesObject(e.body, /*pushed=*/true);
      return;
    case EngineEvent::Kind::kAuthKeyReady:
      // A new auth key is not logged in (a lost key took the login with
      // it): no updates until the next login. Answers to the update
      // engine's requests still in flight are dropped when they come.
      StopUpdates();
      break;
    case EngineEvent::Kind::kSessionReset:
      // Telegram may have dropped updates meant for the old session.
      if (gap_ != nullptr) gap_->RequestDifference(now_);
      break;
    case EngineEvent::Kind::kFatal:
      // Nothing more will be answered: stop fetching differences.
      StopUpdates();
      break;
    default:
      break;
  }
  ClientEvent out;
  out.kind = ClientEvent::Kind::kEngine;
  out.engine_event = std::move(e);
  events_.push_back(std::move(out));
}

void Client::OnAppAnswer(uint64_t id, EngineEvent e) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  AppRequest& r = it->second;
  r.engine_id = 0;
  if (config_.await_login && e.kind == EngineEvent::Kind::kRpcError && e.error_code == 401 &&
      e.error_message == "AUTH_KEY_UNREGISTERED") {
    OnLoginLost(id, r);
    return;
  }
  if (e.kind == EngineEvent::Kind::kRpcError && config_.follow_migrations &&
      r.migrations < 2) {
    std::optional<int> dc = HomeDcMigration(e.error_code, e.error_message);
    if (dc.has_value() && *dc != dc_) {
      // Moved once everything the old engine has already received is
      // handled (answers in the same packet as this 303 must not be sent
      // again on the new DC).
      ++r.migrations;
      r.awaiting_migration = true;
      migrate_reason_ = e.error_message;
      if (peers_.self() != 0 && !exporting_login_ && !migrate_to_.has_value()) {
        // Logged in: take the login along (auth.exportAuthorization here,
        // importAuthorization there) before moving.
        exporting_login_ = true;
        pending_dc_ = *dc;
        tl::auth_exportAuthorization x;
        x.dc_id = *dc;
        internal_[engine_->Send(*tl::Serialize(x))] = {Internal::kExportLogin, 0, 0};
        return;
      }
      if (!exporting_login_) migrate_to_ = *dc;
      return;
    }
  }
  if (e.kind == EngineEvent::Kind::kRpcError && e.error_code == 400 &&
      e.error_message == "MSG_WAIT_FAILED" && r.options.after_request.has_value()) {
    // It went out after an attempt of its predecessor that failed, and that
    // one is being sent again (FLOOD_WAIT, a migration): follow that.
    const uint64_t after = *r.options.after_request;
    const bool after_pending = requests_.count(after) > 0;
    const bool after_succeeded =
        std::find(recent_ok_.begin(), recent_ok_.end(), after) != recent_ok_.end();
    if ((after_pending || after_succeeded) && r.wait_retries < 3) {
      ++r.wait_retries;
      SendToEngine(id, r);  // after it, or (it succeeded meanwhile) freely
      return;
    }
  }
  if (e.kind == EngineEvent::Kind::kRpcError) {
    std::optional<int64_t> wait = FloodWaitSeconds(e.error_code, e.error_message);
    if (wait.has_value() && absl::Seconds(*wait) <= config_.flood_sleep_threshold &&
        r.flood_retries < config_.max_flood_retries) {
      ++r.flood_retries;
      ++stats_.flood_waits;
      // At least a second: FLOOD_WAIT_0 still means "not this instant".
      r.retry_at = now_ + absl::Seconds(std::max<int64_t>(*wait, 1));
      flood_waits_.insert({r.retry_at, id});
      return;
    }
  }
  ClientEvent out;
  out.request_id = id;
  if (e.kind == EngineEvent::Kind::kResult) {
    out.kind = ClientEvent::Kind::kResult;
    const uint32_t function_id = ConstructorOf(*r.query);
    LearnFromResult(function_id, e.body);
    if (IsUpdatesConstructor(ConstructorOf(e.body))) OnUpdatesObject(e.body, /*pushed=*/false);
    ApplyPtsResult(*r.query, e.body);
    out.body = std::move(e.body);
  } else if (e.kind == EngineEvent::Kind::kRpcError) {
    out.kind = ClientEvent::Kind::kRpcError;
    out.error_code = e.error_code;
    out.error_message = std::move(e.error_message);
  } else {
    out.kind = ClientEvent::Kind::kRequestFailed;
    out.status = std::move(e.status);
  }
  if (out.kind == ClientEvent::Kind::kResult) {
    reimports_in_a_row_ = 0;  // the login works
    recent_ok_.push_back(id);
    if (recent_ok_.size() > 256) recent_ok_.pop_front();
  }
  requests_.erase(it);
  events_.push_back(std::move(out));
  ReleaseHeld(id);
}

absl::Status Client::MigrateTo(int dc) {
  // The update state is the account's: it carries over with the login.
  ClientSnapshot updates_state;
  if (exported_login_.has_value()) SaveUpdateState(updates_state);
  engine::EngineConfig ec = config_.engine;
  ec.dc_id = EngineDcId(ec.dc_id, dc);
  ec.auth_key.reset();  // a key belongs to one DC: the new one makes its own
  absl::StatusOr<std::unique_ptr<engine::ClientEngine>> e =
      engine::ClientEngine::Create(std::move(ec), rng_, now_, engine_->ServerUnixNs(now_));
  if (!e.ok()) {
    if (exported_login_.has_value()) WipeString(exported_login_->bytes);
    exported_login_.reset();
    return absl::Status(e.status().code(), absl::StrCat("migrating to DC ", dc, ": ",
                                                        e.status().message()));
  }
  ++stats_.migrations;
  // The old connection closes (WantsClose) and the driver dials the new DC
  // (asking dc()); nothing more is read from or written to the old one.
  close_old_connection_ = connected_;
  engine_ = *std::move(e);
  dc_ = dc;
  // The update engine's requests die with the old engine.
  internal_.clear();
  by_engine_id_.clear();
  for (auto& [id, r] : requests_) {
    if (r.engine_id != 0) {
      r.engine_id = 0;  // unanswered there: goes out again here
      r.awaiting_migration = true;
    }
  }
  std::optional<tl::auth_exportedAuthorization> login = std::move(exported_login_);
  exported_login_.reset();
  if (login.has_value()) {
    // The new key logs in first; the requests follow once it has (they
    // would get 401 before). The update state carries over: it is the
    // account's, not the DC's.
    carried_updates_ = std::move(updates_state);
    StopUpdates();
    SendImportLogin(*login);
    return absl::OkStatus();
  }
  StopUpdates();
  if (peers_.self() != 0) {
    // Not logged in on the new DC (the export failed).
    OnLoginCarried(false, absl::UnauthenticatedError(absl::StrCat(
                              "moved to DC ", dc, " (", migrate_reason_,
                              "): the login could not be carried over; log in again")));
    return absl::OkStatus();
  }
  SendAwaitingMigration();
  return absl::OkStatus();
}

absl::Status Client::MoveToDc(int dc) {
  if (dc < 1 || dc > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("MoveToDc: no DC ", dc));
  }
  if (peers_.self() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("MoveToDc(", dc, "): the client is logged in on DC ", dc_));
  }
  if (config_.await_login) {
    return absl::FailedPreconditionError("MoveToDc: an auxiliary client stays on its DC");
  }
  if (exporting_login_ || importing_login_ || migrate_to_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("MoveToDc(", dc, "): the client is already moving"));
  }
  if (dc == dc_) return absl::OkStatus();
  Pump();  // what the old engine has received is handled there first
  migrate_reason_ = absl::StrCat("moved to DC ", dc, " by the application");
  absl::Status moved = MigrateTo(dc);
  if (!moved.ok()) return moved;  // still on the old DC, nothing changed
  Pump();
  return absl::OkStatus();
}

void Client::SendImportLogin(tl::auth_exportedAuthorization& login) {
  importing_login_ = true;
  tl::auth_importAuthorization import;
  import.id = login.id;
  import.bytes = std::move(login.bytes);
  WipeString(login.bytes);
  absl::StatusOr<Bytes> query = tl::Serialize(import);
  WipeString(import.bytes);
  if (config_.without_updates) {
    Bytes plain = *std::move(query);
    query = WithoutUpdates(plain);
    SecureWipe(absl::MakeSpan(plain));
  }
  // (A string field always serializes; the engine keeps the query until it
  // is answered, for re-sending, and drops it then.)
  internal_[engine_->Send(*std::move(query))] = {Internal::kImportLogin, 0, 0};
}

void Client::ImportLogin(tl::auth_exportedAuthorization login) {
  if (!awaiting_login_ || !login_error_.ok()) {
    WipeString(login.bytes);
    return;
  }
  awaiting_login_ = false;
  SendImportLogin(login);
  Pump();
}

void Client::FailLogin(absl::Status why) {
  if (!config_.await_login || login_imported_ || !login_error_.ok()) return;
  if (why.ok()) why = absl::UnknownError("the login could not be carried to this DC");
  awaiting_login_ = false;
  OnLoginCarried(false, why);
  Pump();
}

void Client::SendAwaitingMigration() {
  for (auto& [id, r] : requests_) {
    if (r.awaiting_migration) {
      r.awaiting_migration = false;
      SendToEngine(id, r);
    }
  }
}

void Client::OnLoginCarried(bool ok, const absl::Status& why) {
  if (config_.await_login) {
    // An auxiliary client: no updates, no peers of its own. A failed login
    // fails what waits, and everything later, with one clear error.
    login_imported_ = ok;
    if (ok) ++logins_imported_;
    if (!ok) {
      login_error_ = absl::UnauthenticatedError(
          absl::StrCat("the login could not be carried to DC ", dc_, ": ", why.message()));
      std::vector<uint64_t> waiting;
      for (const auto& [id, r] : requests_) {
        if (r.awaiting_migration) waiting.push_back(id);
      }
      for (uint64_t id : waiting) FailRequest(id, login_error_);
      return;
    }
    SendAwaitingMigration();
    return;
  }
  if (ok) {
    StartUpdatesFrom(carried_updates_.value_or(ClientSnapshot{}));
    carried_updates_.reset();
  } else {
    carried_updates_.reset();
    StopUpdates();
    peers_.Clear();
    ClientEvent out;
    out.kind = ClientEvent::Kind::kLoggedOut;
    out.status = why;
    events_.push_back(std::move(out));
  }
  SendAwaitingMigration();
}

void Client::OnLoginLost(uint64_t id, AppRequest& r) {
  if (!login_error_.ok()) {
    // In flight when the login failed: ends as those that waited did.
    FailRequest(id, login_error_);
    return;
  }
  // Not executed (the DC did not know who asked): it waits for the login.
  r.awaiting_migration = true;
  r.held_for_after = false;
  if (awaiting_login_ || importing_login_) return;  // a new login is on its way
  if (r.sent_under_login < logins_imported_) {
    // It went out before the login that is in place now: again, under it.
    r.awaiting_migration = false;
    SendToEngine(id, r);
    return;
  }
  if (reimports_in_a_row_ >= config_.max_login_reimports) {
    OnLoginCarried(false, absl::UnauthenticatedError(absl::StrCat(
                              "rpc error 401 AUTH_KEY_UNREGISTERED again after ",
                              reimports_in_a_row_, " re-imports in a row")));
    return;
  }
  // The DC forgot the login (or the key: the engine made a new one): a new
  // one is awaited, and every request waits for it.
  ++reimports_in_a_row_;
  ++stats_.login_reimports;
  login_imported_ = false;
  awaiting_login_ = true;
}

void Client::OnInternalAnswer(InternalRequest req, EngineEvent e) {
  if (req.what == Internal::kExportLogin) {
    exporting_login_ = false;
    if (e.kind == EngineEvent::Kind::kResult) {
      absl::StatusOr<tl::auth_ExportedAuthorization> x =
          tl::Parse<tl::auth_ExportedAuthorization>(e.body);
      if (x.ok()) exported_login_ = std::move(*x->As<tl::auth_exportedAuthorization>());
      SecureWipe(absl::MakeSpan(e.body));  // the login's bytes
    }
    migrate_to_ = pending_dc_;  // with the login if it was exported, else without
    return;
  }
  if (req.what == Internal::kImportLogin) {
    importing_login_ = false;
    absl::Status why;
    if (e.kind == EngineEvent::Kind::kRpcError) {
      why = absl::UnauthenticatedError(absl::StrCat("rpc error ", e.error_code, " ", e.error_message));
    } else if (e.kind == EngineEvent::Kind::kRequestFailed) {
      why = e.status;
    } else if (!tl::Parse<tl::auth_Authorization>(e.body).ok()) {
      why = absl::DataLossError("auth.importAuthorization: an answer that does not parse");
    }
    OnLoginCarried(why.ok(), why);
    return;
  }
  // Answers for an update engine that no longer exists (a new key, a
  // logout, a migration) are dropped.
  if (gap_ == nullptr || req.generation != gap_generation_) return;
  // An answer that parses goes to the update engine, which deals with its
  // content (and ignores one it no longer waits for); anything else is a
  // failed request, asked again after a delay.
  if (e.kind == EngineEvent::Kind::kResult) {
    bool applied = false;
    switch (req.what) {
      case Internal::kGetState: {
        absl::StatusOr<tl::updates_State> s = tl::Parse<tl::updates_State>(e.body);
        applied = s.ok() && gap_->SetState(*s, now_).ok();
        break;
      }
      case Internal::kGetDifference: {
        absl::StatusOr<tl::updates_Difference> d = tl::Parse<tl::updates_Difference>(e.body);
        if (!d.ok()) break;
        if (const auto* x = d->As<tl::updates_difference>()) peers_.Remember(x->users, x->chats);
        if (const auto* x = d->As<tl::updates_differenceSlice>()) {
          peers_.Remember(x->users, x->chats);
        }
        gap_->OnDifference(*d, now_).IgnoreError();
        applied = true;
        break;
      }
      case Internal::kGetChannelDifference: {
        absl::StatusOr<tl::updates_ChannelDifference> d =
            tl::Parse<tl::updates_ChannelDifference>(e.body);
        if (!d.ok()) break;
        if (const auto* x = d->As<tl::updates_channelDifference>()) {
          peers_.Remember(x->users, x->chats);
        }
        if (const auto* x = d->As<tl::updates_channelDifferenceTooLong>()) {
          peers_.Remember(x->users, x->chats);
        }
        gap_->OnChannelDifference(req.channel_id, *d, now_).IgnoreError();
        applied = true;
        break;
      }
      case Internal::kExportLogin:
      case Internal::kImportLogin:
        break;  // answered above, before the update engine's requests
    }
    if (applied) {
      failures_in_a_row_.erase(req.channel_id);
      return;
    }
  }
  ++stats_.internal_failures;
  if (e.kind == EngineEvent::Kind::kRpcError) {
    const absl::Status status = absl::Status(
        absl::StatusCode::kUnauthenticated,
        absl::StrCat("rpc error ", e.error_code, " ", e.error_message));
    if (e.error_code == 401) {
      // Logged out, revoked, deactivated: asking again cannot help.
      StopUpdates();
      peers_.Clear();
      ClientEvent out;
      out.kind = ClientEvent::Kind::kLoggedOut;
      out.status = status;
      events_.push_back(std::move(out));
      return;
    }
    if (req.what == Internal::kGetChannelDifference &&
        (e.error_message == "CHANNEL_PRIVATE" || e.error_message == "CHANNEL_INVALID" ||
         e.error_message == "CHANNEL_PUBLIC_GROUP_NA" || e.error_message == "CHANNEL_BANNED")) {
      gap_->ForgetChannel(req.channel_id);
      failures_in_a_row_.erase(req.channel_id);
      ClientEvent out;
      out.kind = ClientEvent::Kind::kChannelUnavailable;
      out.channel_id = req.channel_id;
      out.status = absl::PermissionDeniedError(
          absl::StrCat("rpc error ", e.error_code, " ", e.error_message));
      events_.push_back(std::move(out));
      return;
    }
  }
  // FLOOD_WAIT_X: X seconds; anything else: 1, 2, 4... up to 60 s, counted
  // per box (a failing channel does not slow down the others).
  int& failures = failures_in_a_row_[req.channel_id];
  absl::Duration retry_after = absl::Seconds(1);
  for (int i = 0; i < failures && retry_after < absl::Seconds(60); ++i) retry_after *= 2;
  retry_after = std::min(retry_after, absl::Seconds(60));
  ++failures;
  if (e.kind == EngineEvent::Kind::kRpcError) {
    if (std::optional<int64_t> wait = FloodWaitSeconds(e.error_code, e.error_message)) {
      retry_after = absl::Seconds(*wait);
    }
  }
  if (req.what == Internal::kGetChannelDifference) {
    gap_->OnChannelDifferenceFailed(req.channel_id, now_, retry_after);
  } else {
    gap_->OnDifferenceFailed(now_, retry_after);
  }
}

void Client::OnGapEvent(updates::UpdateEvent e) {
  switch (e.kind) {
    case updates::UpdateEvent::Kind::kUpdate: {
      if (e.entities != nullptr && e.entities != learned_) {
        peers_.Remember(e.entities->users, e.entities->chats);
        learned_ = e.entities;
      }
      RememberSender(e.update);
      ++stats_.updates_delivered;
      ClientEvent out;
      out.kind = ClientEvent::Kind::kUpdate;
      out.update = std::move(e.update);
      out.entities = std::move(e.entities);
      events_.push_back(std::move(out));
      return;
    }
    case updates::UpdateEvent::Kind::kGetState:
      SendInternal(e.get_state, {Internal::kGetState});
      return;
    case updates::UpdateEvent::Kind::kGetDifference:
      SendInternal(e.get_difference, {Internal::kGetDifference});
      return;
    case updates::UpdateEvent::Kind::kGetChannelDifference: {
      // The update engine knows the hashes of channels it saw in updates;
      // the peer cache may know more (dialogs, resolveUsername...).
      const auto* ch = e.get_channel_difference.channel.As<tl::inputChannel>();
      if (ch == nullptr || ch->access_hash == 0) {
        if (absl::StatusOr<tl::InputChannel> c = peers_.InputChannelOf(e.channel_id); c.ok()) {
          e.get_channel_difference.channel = *std::move(c);
        }
      }
      SendInternal(e.get_channel_difference, {Internal::kGetChannelDifference, e.channel_id});
      return;
    }
    case updates::UpdateEvent::Kind::kTooLong: {
      ClientEvent out;
      out.kind = ClientEvent::Kind::kUpdatesTooLong;
      out.channel_id = e.channel_id;
      events_.push_back(std::move(out));
      return;
    }
    case updates::UpdateEvent::Kind::kBufferOverflow:
      // The engine fetches the difference instead; nothing is lost.
      return;
  }
}

void Client::OnUpdatesObject(ByteView body, bool pushed) {
  absl::StatusOr<tl::Updates> u = tl::Parse<tl::Updates>(body);
  if (!u.ok()) {
    ++stats_.bad_updates;
    return;
  }
  if (gap_ == nullptr && pushed && !DeliverLoginToken(*u)) ++stats_.updates_dropped_before_login;
  OnUpdates(*std::move(u));
}

bool Client::DeliverLoginToken(const tl::Updates& u) {
  std::vector<const tl::Update*> found;
  auto look = [&](const tl::Update& x) {
    if (x.As<tl::updateLoginToken>() != nullptr) found.push_back(&x);
  };
  if (const auto* x = u.As<tl::updateShort>()) look(x->update);
  if (const auto* x = u.As<tl::updates>()) {
    for (const tl::Update& y : x->updates) look(y);
  }
  if (const auto* x = u.As<tl::updatesCombined>()) {
    for (const tl::Update& y : x->updates) look(y);
  }
  if (found.empty()) return false;
  ClientEvent out;
  out.kind = ClientEvent::Kind::kUpdate;
  out.update = tl::updateLoginToken{};
  out.entities = std::make_shared<const updates::UpdateEntities>();
  events_.push_back(std::move(out));  // one is enough: it only says "export again"
  return true;
}

void Client::OnUpdates(tl::Updates u) {
  // Users and chats are worth keeping even when updates are not followed.
  bool unknown_sender = false;
  if (const auto* x = u.As<tl::updates>()) {
    peers_.Remember(x->users, x->chats);
  } else if (const auto* x = u.As<tl::updatesCombined>()) {
    peers_.Remember(x->users, x->chats);
  } else if (const auto* x = u.As<tl::updateShortMessage>()) {
    unknown_sender = !peers_.Knows(PeerKind::kUser, x->user_id);
  } else if (const auto* x = u.As<tl::updateShortChatMessage>()) {
    unknown_sender = !peers_.Knows(PeerKind::kUser, x->from_id) ||
                     !peers_.Knows(PeerKind::kChat, x->chat_id);
  }
  if (gap_ == nullptr) return;
  if (unknown_sender) {
    // The difference carries the same message with its users; this copy is
    // held meanwhile and turns out a duplicate once the difference is in.
    ++stats_.unknown_peer_fetches;
    gap_->RequestDifference(now_);
  }
  absl::Status s = gap_->OnUpdates(std::move(u), now_);
  if (!s.ok()) ++stats_.bad_updates;
}

namespace {

int64_t ChannelIdOf(const tl::InputChannel& c) {
  if (const auto* x = c.As<tl::inputChannel>()) return x->channel_id;
  if (const auto* x = c.As<tl::inputChannelFromMessage>()) return x->channel_id;
  return 0;
}

int64_t ChannelIdOf(const tl::InputPeer& p) {
  if (const auto* x = p.As<tl::inputPeerChannel>()) return x->channel_id;
  if (const auto* x = p.As<tl::inputPeerChannelFromMessage>()) return x->channel_id;
  return 0;
}

// The box a pts-only result of `query` belongs to: nullopt if the function
// is not one that reports pts this way, 0 for the common box, else the
// channel. (The same result types come from functions of either kind.)
template <class F, class Field>
std::optional<int64_t> ChannelOfQuery(ByteView query, Field F::*field) {
  absl::StatusOr<F> f = tl::Parse<F>(query);
  if (!f.ok()) return std::nullopt;
  return ChannelIdOf((*f).*field);
}

// The pts and pts_count of a `Shape` result (false for anything else).
template <class Handle, class Shape>
bool PtsOf(ByteView body, int32_t& pts, int32_t& count) {
  if (ConstructorOf(body) != Shape::kId) return false;
  absl::StatusOr<Handle> h = tl::Parse<Handle>(body);
  if (!h.ok()) return false;
  pts = h->template As<Shape>()->pts;
  count = h->template As<Shape>()->pts_count;
  return true;
}

std::optional<int64_t> PtsBoxOf(ByteView query) {
  // channels.*: a channel it must name (0 would mean the common box).
  auto channel = [](std::optional<int64_t> c) { return c == 0 ? std::nullopt : c; };
  switch (ConstructorOf(query)) {
    case tl::messages_deleteMessages::kId:
    case tl::messages_readHistory::kId:
    case tl::messages_deleteHistory::kId:
    case tl::messages_readMessageContents::kId:
    case tl::messages_deletePhoneCallHistory::kId:
      return 0;
    case tl::messages_readMentions::kId:
      return ChannelOfQuery(query, &tl::messages_readMentions::peer);
    case tl::messages_readReactions::kId:
      return ChannelOfQuery(query, &tl::messages_readReactions::peer);
    case tl::messages_unpinAllMessages::kId:
      return ChannelOfQuery(query, &tl::messages_unpinAllMessages::peer);
    case tl::channels_deleteMessages::kId:
      return channel(ChannelOfQuery(query, &tl::channels_deleteMessages::channel));
    case tl::channels_deleteParticipantHistory::kId:
      return channel(ChannelOfQuery(query, &tl::channels_deleteParticipantHistory::channel));
    default:
      return std::nullopt;
  }
}

}  // namespace

void Client::ApplyPtsResult(ByteView query, ByteView body) {
  if (gap_ == nullptr) return;
  int32_t pts = 0, count = 0;
  const bool parsed =
      PtsOf<tl::messages_AffectedMessages, tl::messages_affectedMessages>(body, pts, count) ||
      PtsOf<tl::messages_AffectedHistory, tl::messages_affectedHistory>(body, pts, count) ||
      PtsOf<tl::messages_AffectedFoundMessages, tl::messages_affectedFoundMessages>(body, pts,
                                                                                    count);
  if (!parsed) return;
  std::optional<int64_t> box = PtsBoxOf(query);
  if (!box.has_value()) return;
  absl::Status s = *box == 0 ? gap_->OnPtsAdvanced(pts, count, now_)
                             : gap_->OnChannelPtsAdvanced(*box, pts, count, now_);
  if (s.ok()) ++stats_.pts_results;
}

namespace {

// Remembers users and chats from any result that carries both lists.
template <class Handle, class... Shapes>
bool RememberFrom(ByteView body, PeerCache& peers) {
  absl::StatusOr<Handle> h = tl::Parse<Handle>(body);
  if (!h.ok()) return false;
  auto one = [&](auto* x) {
    if (x != nullptr) peers.Remember(x->users, x->chats);
  };
  (one(h->template As<Shapes>()), ...);
  return true;
}

}  // namespace

void Client::OnLoggedIn(const tl::auth_authorization& a) {
  if (const tl::user* u = a.user.As<tl::user>()) {
    if (peers_.self() != 0 && peers_.self() != u->id) peers_.Clear();  // another account
    peers_.SetSelf(u->id);
  }
  peers_.Remember(a.user);
  StartUpdatesAt(std::nullopt);
}

void Client::LearnFromResult(uint32_t function_id, ByteView body) {
  LearnPeersFromResult(function_id, body);
  if (gap_ != nullptr && peers_.self() != 0 && gap_->config().self_user_id != peers_.self()) {
    gap_->SetSelfUserId(peers_.self());
  }
}

void Client::LearnPeersFromResult(uint32_t function_id, ByteView body) {
  const uint32_t id = ConstructorOf(body);
  if (id == 0x1cb5c415u && function_id == tl::users_getUsers::kId) {  // Vector<User>
    absl::StatusOr<std::vector<tl::User>> users = tl::ParseResult<tl::users_getUsers>(body);
    if (users.ok()) peers_.Remember(*users, {});
    return;
  }
  switch (id) {
    case tl::config::kId: {
      absl::StatusOr<tl::Config> c = tl::Parse<tl::Config>(body);
      if (!c.ok()) return;
      LearnCdnAddresses(*c->As<tl::config>());
      DcAddressTable found = DcAddressesFromConfig(*c->As<tl::config>());
      if (!found.empty()) dc_addresses_ = std::move(found);
      return;
    }
    case tl::auth_loggedOut::kId:
      // The app logged out: nothing more will come, and the access hashes
      // were the account's.
      StopUpdates();
      peers_.Clear();
      return;
    case tl::messages_invitedUsers::kId: {
      absl::StatusOr<tl::messages_InvitedUsers> i = tl::Parse<tl::messages_InvitedUsers>(body);
      if (i.ok()) OnUpdates(std::move(i->As<tl::messages_invitedUsers>()->updates));
      return;
    }
    case tl::auth_loginTokenSuccess::kId: {
      absl::StatusOr<tl::auth_LoginToken> t = tl::Parse<tl::auth_LoginToken>(body);
      if (!t.ok()) return;
      const tl::auth_Authorization& a = t->As<tl::auth_loginTokenSuccess>()->authorization;
      if (const tl::auth_authorization* x = a.As<tl::auth_authorization>()) OnLoggedIn(*x);
      return;
    }
    case tl::auth_sentCodeSuccess::kId: {
      // auth.sendCode logged in at once (a future auth token was accepted).
      absl::StatusOr<tl::auth_SentCode> c = tl::Parse<tl::auth_SentCode>(body);
      if (!c.ok()) return;
      const tl::auth_Authorization& a = c->As<tl::auth_sentCodeSuccess>()->authorization;
      if (const tl::auth_authorization* x = a.As<tl::auth_authorization>()) OnLoggedIn(*x);
      return;
    }
    case tl::auth_authorization::kId: {
      absl::StatusOr<tl::auth_Authorization> a = tl::Parse<tl::auth_Authorization>(body);
      if (!a.ok()) return;
      OnLoggedIn(*a->As<tl::auth_authorization>());
      return;
    }
    case tl::contacts_resolvedPeer::kId:
      RememberFrom<tl::contacts_ResolvedPeer, tl::contacts_resolvedPeer>(body, peers_);
      return;
    case tl::messages_messages::kId:
    case tl::messages_messagesSlice::kId:
    case tl::messages_channelMessages::kId:
      RememberFrom<tl::messages_Messages, tl::messages_messages, tl::messages_messagesSlice,
                   tl::messages_channelMessages>(body, peers_);
      return;
    case tl::messages_dialogs::kId:
    case tl::messages_dialogsSlice::kId:
      RememberFrom<tl::messages_Dialogs, tl::messages_dialogs, tl::messages_dialogsSlice>(body,
                                                                                           peers_);
      return;
    case tl::messages_peerDialogs::kId:
      RememberFrom<tl::messages_PeerDialogs, tl::messages_peerDialogs>(body, peers_);
      return;
    case tl::users_userFull::kId:
      RememberFrom<tl::users_UserFull, tl::users_userFull>(body, peers_);
      return;
    case tl::messages_chatFull::kId:
      RememberFrom<tl::messages_ChatFull, tl::messages_chatFull>(body, peers_);
      return;
    case tl::contacts_contacts::kId: {
      absl::StatusOr<tl::contacts_Contacts> c = tl::Parse<tl::contacts_Contacts>(body);
      if (!c.ok()) return;
      if (const auto* x = c->As<tl::contacts_contacts>()) peers_.Remember(x->users, {});
      return;
    }
    case tl::contacts_found::kId:
      RememberFrom<tl::contacts_Found, tl::contacts_found>(body, peers_);
      return;
    case tl::channels_channelParticipants::kId:
      RememberFrom<tl::channels_ChannelParticipants, tl::channels_channelParticipants>(body,
                                                                                        peers_);
      return;
    case tl::channels_channelParticipant::kId:
      RememberFrom<tl::channels_ChannelParticipant, tl::channels_channelParticipant>(body,
                                                                                      peers_);
      return;
    case tl::messages_chats::kId:
    case tl::messages_chatsSlice::kId: {
      absl::StatusOr<tl::messages_Chats> c = tl::Parse<tl::messages_Chats>(body);
      if (!c.ok()) return;
      if (const auto* x = c->As<tl::messages_chats>()) peers_.Remember({}, x->chats);
      if (const auto* x = c->As<tl::messages_chatsSlice>()) peers_.Remember({}, x->chats);
      return;
    }
    default:
      return;
  }
}

void Client::OnConnected(absl::Time now) {
  now_ = now;
  connected_ = true;
  close_old_connection_ = false;
  engine_->OnConnected(now);
  Pump();
}

absl::Status Client::OnBytes(ByteView in, absl::Time now) {
  now_ = now;
  if (close_old_connection_) return absl::OkStatus();  // the DC we left
  absl::Status s = engine_->OnBytes(in, now);
  Pump();
  return s;
}

void Client::PullOutput(Bytes& out) {
  if (close_old_connection_) return;
  engine_->PullOutput(out);
}

bool Client::WantsClose() const { return close_old_connection_ || engine_->WantsClose(); }

std::optional<absl::Time> Client::NextDeadline() {
  std::optional<absl::Time> d = engine_->NextDeadline();
  if (!flood_waits_.empty() && (!d.has_value() || flood_waits_.begin()->first < *d)) {
    d = flood_waits_.begin()->first;
  }
  if (gap_ != nullptr) {
    absl::Time g = gap_->NextDeadline();
    if (g != absl::InfiniteFuture() && (!d.has_value() || g < *d)) d = g;
  }
  return d;
}

void Client::OnTimeout(absl::Time now) {
  now_ = now;
  engine_->OnTimeout(now);
  if (gap_ != nullptr) gap_->OnTimeout(now);
  RetryFloodWaits(now);
  Pump();
}

void Client::OnDisconnected(const absl::Status& why, absl::Time now) {
  now_ = now;
  connected_ = false;
  if (close_old_connection_) {
    close_old_connection_ = false;  // the new engine never used it
  } else {
    engine_->OnDisconnected(why, now);
  }
  Pump();
}

}  // namespace mtcore::client
