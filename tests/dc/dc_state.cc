#include "tests/dc/dc_state.h"

#include <algorithm>
#include <vector>

#include "core/handshake/temp_key_binding.h"
#include "tl/api.h"

namespace mtcore::dc {
namespace {
constexpr int64_t kNsPerSecond = 1000000000;
}

DcState::DcState(DcOptions options, const crypto::RsaPrivateKey& rsa_key, RpcHandler& handler,
                 crypto::RandomSource& rng)
    : options_(std::move(options)), rsa_key_(rsa_key), handler_(handler), rng_(rng) {}

DcState::~DcState() {
  while (!sessions_.empty()) CloseSession(sessions_.begin());
}

int64_t DcState::UnixNs(absl::Time now) {
  latest_ = std::max(latest_, now);
  return absl::ToInt64Nanoseconds(now - absl::UnixEpoch()) + options_.unix_offset_ns +
         options_.faults.clock_skew_s * kNsPerSecond;
}

int64_t DcState::LatestUnixNs() const {
  return absl::ToInt64Nanoseconds(latest_ - absl::UnixEpoch()) + options_.unix_offset_ns +
         options_.faults.clock_skew_s * kNsPerSecond;
}

absl::Time DcState::MonotonicAt(int64_t unix_ns) const {
  return absl::UnixEpoch() + absl::Nanoseconds(unix_ns - options_.unix_offset_ns -
                                               options_.faults.clock_skew_s * kNsPerSecond);
}

handshake::ServerHandshakeConfig DcState::HandshakeConfig() const {
  handshake::ServerHandshakeConfig c;
  c.keys.push_back(&rsa_key_);
  c.force_retries = options_.faults.dh_gen_retries;
  return c;
}

void DcState::AddKey(const handshake::ServerHandshakeResult& result, int64_t now_unix_ns) {
  absl::StatusOr<session::AuthKey> key = session::AuthKey::Create(result.auth_key);
  if (!key.ok()) return;  // cannot happen: the exchange makes 256-byte keys
  // A key made again with the same id replaces the old one and its sessions.
  auto old = keys_.find(key->id());
  if (old != keys_.end()) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (it->first.first == key->id()) CloseSession(it);
      it = next;
    }
    keys_.erase(old);
  }
  while (!keys_.empty() && keys_.size() >= std::max<size_t>(1, options_.max_auth_keys)) {
    const uint64_t victim = keys_.begin()->first;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto next = std::next(it);
      if (it->first.first == victim) CloseSession(it);
      it = next;
    }
    keys_.erase(keys_.begin());
  }
  SaltOptions so;
  so.period_s = options_.faults.salt_period_s;
  auto entry = std::make_unique<DcAuthKey>(std::move(*key), so, rng_);
  entry->salts.SetInitial(result.server_salt, now_unix_ns);
  entry->temporary = result.temporary;
  entry->expires_at = result.expires_at;
  entry->created_at = now_unix_ns / kNsPerSecond;
  keys_[entry->key.id()] = std::move(entry);
}

DcAuthKey* DcState::FindKey(uint64_t auth_key_id, int64_t now_unix_ns) {
  auto it = keys_.find(auth_key_id);
  if (it == keys_.end()) return nullptr;
  DcAuthKey* k = it->second.get();
  if (k->temporary && now_unix_ns / kNsPerSecond >= k->expires_at) return nullptr;
  return k;
}

void DcState::CloseSession(std::map<SessionKey, SessionSlot>::iterator it) {
  std::unique_ptr<ServerSession> s = std::move(it->second.session);
  sessions_.erase(it);
  handler_.SessionClosed(s.get());
}

void DcState::ForgetAuthKeys() {
  while (!sessions_.empty()) CloseSession(sessions_.begin());
  keys_.clear();
  handler_.AuthKeysForgotten(options_.dc_id);
}

void DcState::ForgetTempKeys() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    auto k = keys_.find(it->first.first);
    if (k != keys_.end() && k->second->temporary) CloseSession(it);
    it = next;
  }
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second->temporary) {
      it = keys_.erase(it);
    } else {
      it->second->bound_temp = 0;
      ++it;
    }
  }
}

uint64_t DcState::AuthorizationKeyId(uint64_t auth_key_id) const {
  auto it = keys_.find(auth_key_id);
  if (it == keys_.end() || !it->second->temporary || it->second->bound_to == 0) return auth_key_id;
  return it->second->bound_to;
}

bool DcState::IsUnboundTempKey(uint64_t auth_key_id) const {
  auto it = keys_.find(auth_key_id);
  return it != keys_.end() && it->second->temporary && it->second->bound_to == 0;
}

RpcReply DcState::BindTempKey(uint64_t auth_key_id, uint64_t session_id, ByteView query,
                              int64_t msg_id, int64_t now_unix_ns) {
  const RpcReply invalid = RpcReply::Error(400, "ENCRYPTED_MESSAGE_INVALID");
  absl::StatusOr<tl::auth_bindTempAuthKey> q = tl::Parse<tl::auth_bindTempAuthKey>(query);
  if (!q.ok()) return RpcReply::Error(400, "INPUT_FETCH_ERROR");
  DcAuthKey* temp = FindKey(auth_key_id, now_unix_ns);
  if (temp == nullptr || !temp->temporary) return RpcReply::Error(400, "TEMP_AUTH_KEY_EMPTY");
  const uint64_t perm_id = static_cast<uint64_t>(q->perm_auth_key_id);
  DcAuthKey* perm = FindKey(perm_id, now_unix_ns);
  if (perm == nullptr || perm->temporary) return invalid;
  if (now_unix_ns / kNsPerSecond - perm->created_at < options_.faults.bind_perm_key_unknown_for_s) {
    return invalid;  // not yet known to the server answering
  }
  const ByteView encrypted(reinterpret_cast<const uint8_t*>(q->encrypted_message.data()),
                           q->encrypted_message.size());
  absl::StatusOr<uint64_t> named = handshake::BindMessageAuthKeyId(encrypted);
  if (!named.ok() || *named != perm_id) return invalid;
  absl::StatusOr<handshake::BindMessage> m =
      handshake::DecryptBindMessage(perm->key.bytes(), encrypted);
  if (!m.ok()) return invalid;
  const handshake::BindAuthKeyInner& in = m->inner;
  if (in.nonce != q->nonce || in.perm_auth_key_id != perm_id ||
      in.temp_auth_key_id != auth_key_id || in.temp_session_id != session_id ||
      in.expires_at != q->expires_at || m->msg_id != msg_id) {
    return invalid;
  }
  if (temp->bound_to != 0 && temp->bound_to != perm_id) {
    return RpcReply::Error(400, "TEMP_AUTH_KEY_ALREADY_BOUND");
  }
  // One temporary key per permanent key: a new binding replaces the old.
  if (perm->bound_temp != 0 && perm->bound_temp != auth_key_id) {
    auto old = keys_.find(perm->bound_temp);
    if (old != keys_.end() && old->second->bound_to == perm_id) old->second->bound_to = 0;
  }
  temp->bound_to = perm_id;
  perm->bound_temp = auth_key_id;
  return RpcReply::Ok(*tl::Serialize(true));
}

void DcState::ForgetSessions() {
  while (!sessions_.empty()) CloseSession(sessions_.begin());
}

void DcState::RotateSalts(int64_t now_unix_ns) {
  for (auto& [id, key] : keys_) key->salts.RotateNow(now_unix_ns);
}

ServerSession& DcState::SessionFor(DcAuthKey& key, uint64_t session_id, int64_t now_unix_ns) {
  const SessionKey sk{key.key.id(), session_id};
  auto it = sessions_.find(sk);
  if (it != sessions_.end()) {
    it->second.last_used_ns = now_unix_ns;
    return *it->second.session;
  }
  // Bound the sessions of one key: evict the least recently used.
  std::vector<std::map<SessionKey, SessionSlot>::iterator> same;
  for (auto i = sessions_.lower_bound({key.key.id(), 0});
       i != sessions_.end() && i->first.first == key.key.id(); ++i) {
    same.push_back(i);
  }
  if (same.size() >= std::max<size_t>(1, options_.max_sessions_per_key)) {
    auto oldest = *std::min_element(same.begin(), same.end(), [](auto a, auto b) {
      return a->second.last_used_ns < b->second.last_used_ns;
    });
    CloseSession(oldest);
  }
  SessionEnv env;
  env.dc_id = options_.dc_id;
  env.handler = &handler_;
  env.rng = &rng_;
  env.key = &key.key;
  env.salts = &key.salts;
  env.ids = &server_ids_;
  env.max_queued = options_.max_queued_per_session;
  env.gzip_threshold = options_.gzip_threshold;
  const uint64_t key_id = key.key.id();
  env.destroy_other = [this, key_id](uint64_t other) {
    auto o = sessions_.find({key_id, other});
    if (o == sessions_.end()) return false;
    CloseSession(o);
    return true;
  };
  env.bind_temp_key = [this, key_id, session_id](ByteView query, int64_t msg_id, int64_t now) {
    return BindTempKey(key_id, session_id, query, msg_id, now);
  };
  env.authorization_key_id = [this, key_id] { return AuthorizationKeyId(key_id); };
  env.unbound_temp_key = [this, key_id] { return IsUnboundTempKey(key_id); };
  env.answer_delay_ns = [this] { return options_.faults.answer_delay_ms * 1'000'000; };
  auto session = std::make_unique<ServerSession>(std::move(env), key_id, session_id);
  ServerSession* raw = session.get();
  raw->SetPushListener([this, raw] {
    auto w = wakers_.find(raw->carrier());
    if (raw->carrier() != 0 && w != wakers_.end() && w->second) w->second();
  });
  SessionSlot slot;
  slot.session = std::move(session);
  slot.last_used_ns = now_unix_ns;
  sessions_.emplace(sk, std::move(slot));
  return *raw;
}

ServerSession* DcState::FindSession(uint64_t auth_key_id, uint64_t session_id) {
  auto it = sessions_.find({auth_key_id, session_id});
  return it == sessions_.end() ? nullptr : it->second.session.get();
}

void DcState::SetWaker(uint64_t connection_id, std::function<void()> wake) {
  if (wake) {
    wakers_[connection_id] = std::move(wake);
  } else {
    wakers_.erase(connection_id);
  }
}

bool DcState::RememberFakeTlsRandom(const std::array<uint8_t, 32>& client_random,
                                    int64_t now_unix_ns) {
  // A hello accepted at time a carries a client time t with |a - t| <= skew;
  // a replay of it passes the time check only while now <= t + skew <= a +
  // 2 * skew, so older randoms need not be kept.
  const int64_t keep_ns = int64_t{2} * kFakeTlsMaxSkewS * kNsPerSecond;
  while (!tls_random_order_.empty() && tls_random_order_.front().second < now_unix_ns - keep_ns) {
    tls_randoms_.erase(tls_random_order_.front().first);
    tls_random_order_.pop_front();
  }
  if (tls_randoms_.count(client_random) != 0) return false;
  const size_t cap = std::max<size_t>(1, options_.fake_tls_replay_cache);
  while (tls_random_order_.size() >= cap) {
    tls_randoms_.erase(tls_random_order_.front().first);
    tls_random_order_.pop_front();
  }
  tls_randoms_.insert(client_random);
  tls_random_order_.emplace_back(client_random, now_unix_ns);
  return true;
}

void DcState::ConnectionClosed(uint64_t connection_id) {
  wakers_.erase(connection_id);
  for (auto& [k, slot] : sessions_) {
    if (slot.session->carrier() == connection_id) slot.session->set_carrier(0);
  }
}

void DcState::ForEachCarried(uint64_t connection_id,
                             const std::function<void(ServerSession&)>& f) {
  std::vector<ServerSession*> carried;
  for (auto& [k, slot] : sessions_) {
    if (slot.session->carrier() == connection_id) carried.push_back(slot.session.get());
  }
  for (ServerSession* s : carried) f(*s);
}

}  // namespace mtcore::dc
