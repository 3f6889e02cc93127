#include "core/secret/secret_chat.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/pubkey/bigint.h"
#include "tl/values.h"

namespace mtcore::secret {
namespace {

namespace tls = ::mtcore::tl::secret;

// decryptedMessageLayer.random_bytes: the page asks for at least 15.
constexpr size_t kLayerRandomBytes = 15;
// Raw seq_no values stay below this so 2*raw + 1 fits an int32.
constexpr int32_t kMaxRawSeq = (1 << 30) - 1;
// Redraws of a random exponent whose public value is out of range (each
// happens with probability ~2^-63).
constexpr int kDhAttempts = 8;

int64_t NonZeroRandom(crypto::RandomSource& rng) {
  for (;;) {
    const int64_t v = static_cast<int64_t>(crypto::RandomU64(rng));
    if (v != 0) return v;
  }
}

int64_t* RandomIdField(tls::DecryptedMessage& m) {
  if (auto* p = m.As<tls::decryptedMessage>()) return &p->random_id;
  if (auto* p = m.As<tls::decryptedMessageService>()) return &p->random_id;
  return nullptr;
}

const tls::DecryptedMessageAction* ActionOf(const tls::DecryptedMessage& m) {
  const auto* s = m.As<tls::decryptedMessageService>();
  return s ? &s->action : nullptr;
}

// Actions the chat handles itself (never delivered, never sent by Send()).
bool IsProtocolAction(const tls::DecryptedMessageAction& a) {
  switch (a.id()) {
    case tls::decryptedMessageActionNotifyLayer::kId:
    case tls::decryptedMessageActionResend::kId:
    case tls::decryptedMessageActionRequestKey::kId:
    case tls::decryptedMessageActionAcceptKey::kId:
    case tls::decryptedMessageActionCommitKey::kId:
    case tls::decryptedMessageActionAbortKey::kId:
    case tls::decryptedMessageActionNoop::kId:
      return true;
    default:
      return false;
  }
}

std::string StateName(SecretChatState s) {
  switch (s) {
    case SecretChatState::kRequested: return "requested";
    case SecretChatState::kWaiting: return "waiting";
    case SecretChatState::kReady: return "ready";
    case SecretChatState::kDiscarded: return "discarded";
  }
  return "?";
}

std::string AsString(ByteView b) { return std::string(AsChars(b)); }

}  // namespace

SecretChat::SecretChat(const SecretChatConfig& config, crypto::DhGroup group, SecretRole role)
    : config_(config),
      group_(std::move(group)),
      role_(role),
      state_(role == SecretRole::kOriginator ? SecretChatState::kWaiting
                                             : SecretChatState::kRequested) {}

SecretChat::SecretChat(const SecretChat&) = default;
SecretChat& SecretChat::operator=(const SecretChat&) = default;
SecretChat::SecretChat(SecretChat&&) noexcept = default;
SecretChat& SecretChat::operator=(SecretChat&&) noexcept = default;
SecretChat::~SecretChat() = default;

absl::StatusOr<SecretChat> SecretChat::Request(const SecretChatConfig& config,
                                               crypto::DhGroup group, ByteView server_random,
                                               crypto::RandomSource& rng) {
  SecretChat chat(config, std::move(group), SecretRole::kOriginator);
  absl::Status last;
  for (int attempt = 0; attempt < kDhAttempts; ++attempt) {
    crypto::SecretBytes mine(crypto::RandomBytes(rng, kSecretKeySize));
    absl::StatusOr<SecretDhRequest> req = SecretDhBegin(chat.group_, mine.view(), server_random);
    if (req.ok()) {
      chat.g_a_ = req->g_a;
      chat.initial_ = *std::move(req);
      return chat;
    }
    if (!absl::StartsWith(req.status().message(), "g_a")) return req.status();
    last = req.status();
  }
  return last;
}

absl::StatusOr<SecretChat> SecretChat::Incoming(const SecretChatConfig& config,
                                                crypto::DhGroup group, ByteView g_a) {
  MTCORE_ASSIGN_OR_RETURN(crypto::BigInt v, crypto::BigInt::FromBigEndian(g_a));
  MTCORE_RETURN_IF_ERROR(crypto::CheckDhPublicValue(group.p(), v, "g_a"));
  SecretChat chat(config, std::move(group), SecretRole::kAccepter);
  chat.peer_g_a_ = ToBytes(g_a);
  return chat;
}

int64_t SecretChat::key_fingerprint() const { return key_ ? key_->fingerprint : 0; }

int32_t SecretChat::layer() const { return std::min(kSecretLayer, peer_layer_); }

size_t SecretChat::decryption_keys() const {
  return (key_ ? 1 : 0) + (old_key_ ? 1 : 0) + (exchange_.kind == Exchange::kAccepted ? 1 : 0);
}

absl::Status SecretChat::Closed() const {
  return absl::FailedPreconditionError(absl::StrCat("secret chat closed: ", discard_reason_));
}

absl::Status SecretChat::Fail(std::string reason) {
  state_ = SecretChatState::kDiscarded;
  discard_reason_ = std::move(reason);
  key_.reset();
  old_key_.reset();
  initial_.reset();
  exchange_ = Exchange{};
  held_.clear();
  stored_.clear();
  outbox_.clear();
  return Closed();
}

void SecretChat::Discard(std::string reason) {
  if (state_ != SecretChatState::kDiscarded) Fail(std::move(reason)).IgnoreError();
}

absl::Status SecretChat::OnAccepted(ByteView g_b, int64_t key_fingerprint,
                                    crypto::RandomSource& rng, absl::Time now) {
  if (state_ == SecretChatState::kDiscarded) return Closed();
  if (role_ != SecretRole::kOriginator || state_ != SecretChatState::kWaiting || !initial_) {
    return absl::FailedPreconditionError(
        absl::StrCat("OnAccepted: the chat is not an originator waiting for acceptance (",
                     StateName(state_), ")"));
  }
  absl::StatusOr<SecretKey> key = SecretDhFinish(group_, *initial_, g_b, key_fingerprint);
  initial_.reset();
  if (!key.ok()) return Fail(absl::StrCat("key exchange failed: ", key.status().message()));
  return BecomeReady(*std::move(key), rng, now);
}

absl::StatusOr<SecretChat::Accepted> SecretChat::Accept(ByteView server_random,
                                                        crypto::RandomSource& rng,
                                                        absl::Time now) {
  if (state_ == SecretChatState::kDiscarded) return Closed();
  if (role_ != SecretRole::kAccepter || state_ != SecretChatState::kRequested) {
    return absl::FailedPreconditionError(
        absl::StrCat("Accept: the chat is not a request to accept (", StateName(state_), ")"));
  }
  absl::Status last;
  for (int attempt = 0; attempt < kDhAttempts; ++attempt) {
    crypto::SecretBytes mine(crypto::RandomBytes(rng, kSecretKeySize));
    absl::StatusOr<SecretDhAccepted> acc =
        SecretDhAccept(group_, peer_g_a_, mine.view(), server_random);
    if (acc.ok()) {
      Accepted out{acc->g_b, acc->key.fingerprint};
      MTCORE_RETURN_IF_ERROR(BecomeReady(std::move(acc->key), rng, now));
      return out;
    }
    if (!absl::StartsWith(acc.status().message(), "g_b")) return acc.status();
    last = acc.status();
  }
  return last;
}

absl::Status SecretChat::BecomeReady(SecretKey key, crypto::RandomSource& rng, absl::Time now) {
  InstallKey(std::move(key), now);
  state_ = SecretChatState::kReady;
  peer_g_a_.clear();
  return QueueAction(tls::decryptedMessageActionNotifyLayer{.layer = kSecretLayer}, rng);
}

void SecretChat::InstallKey(SecretKey key, absl::Time now) {
  key_ = std::move(key);
  key_since_ = now;
  key_uses_ = 0;
  key_encrypted_ = 0;
}

absl::Status SecretChat::Queue(tls::DecryptedMessage message, crypto::RandomSource& rng,
                               bool from_peer) {
  if (outbox_.size() >= config_.max_outbox) {
    if (from_peer) {
      return Fail(absl::StrCat("the outbox holds ", outbox_.size(),
                               " messages (the peer's requests overflow it)"));
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        "secret chat outbox full (", outbox_.size(), " messages): drain TakeOutgoing()"));
  }
  if (out_seq_ >= kMaxRawSeq) return Fail("our out_seq_no is exhausted");
  const int64_t* random_id = RandomIdField(message);
  if (random_id == nullptr) return absl::InvalidArgumentError("secret message: empty message");
  const bool service = message.Is<tls::decryptedMessageService>();
  tls::decryptedMessageLayer layer;
  layer.random_bytes = AsString(crypto::RandomBytes(rng, kLayerRandomBytes));
  layer.layer = kSecretLayer;
  layer.in_seq_no = 2 * in_seq_ + XIn();
  layer.out_seq_no = 2 * out_seq_ + XOut();
  const int64_t id = *random_id;
  layer.message = std::move(message);
  MTCORE_ASSIGN_OR_RETURN(Bytes plain, tl::Serialize(tls::DecryptedMessageLayer(std::move(layer))));
  MTCORE_ASSIGN_OR_RETURN(Bytes data, EncryptSecretMessage(*key_, role_, plain, rng));
  stored_[out_seq_] = Stored{id, data, service};
  while (stored_.size() > config_.max_stored_outgoing) stored_.erase(stored_.begin());
  outbox_.push_back(SecretOutgoing{id, std::move(data), service, out_seq_, false});
  ++out_seq_;
  ++key_uses_;
  ++key_encrypted_;
  return absl::OkStatus();
}

absl::Status SecretChat::QueueAction(tls::DecryptedMessageAction action,
                                     crypto::RandomSource& rng) {
  return Queue(tls::decryptedMessageService{.random_id = NonZeroRandom(rng),
                                            .action = std::move(action)},
               rng, /*from_peer=*/true);
}

absl::StatusOr<int64_t> SecretChat::Send(tls::DecryptedMessage message, crypto::RandomSource& rng,
                                         absl::Time now) {
  if (state_ == SecretChatState::kDiscarded) return Closed();
  if (state_ != SecretChatState::kReady) {
    return absl::FailedPreconditionError(
        absl::StrCat("Send: the chat is not ready (", StateName(state_), ")"));
  }
  int64_t* random_id = RandomIdField(message);
  if (random_id == nullptr) return absl::InvalidArgumentError("Send: empty message");
  if (const tls::DecryptedMessageAction* a = ActionOf(message)) {
    if (!*a) return absl::InvalidArgumentError("Send: decryptedMessageService without an action");
    if (IsProtocolAction(*a)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Send: ", tls::ConstructorName(a->id()), " is the chat's own action"));
    }
  }
  if (*random_id == 0) *random_id = NonZeroRandom(rng);
  const int64_t id = *random_id;
  MTCORE_RETURN_IF_ERROR(Queue(std::move(message), rng, /*from_peer=*/false));
  MTCORE_RETURN_IF_ERROR(MaybeStartRekey(rng, now));
  return id;
}

std::vector<SecretOutgoing> SecretChat::TakeOutgoing() {
  std::vector<SecretOutgoing> out(std::make_move_iterator(outbox_.begin()),
                                  std::make_move_iterator(outbox_.end()));
  outbox_.clear();
  return out;
}

absl::StatusOr<std::vector<SecretIncoming>> SecretChat::Receive(ByteView data,
                                                                crypto::RandomSource& rng,
                                                                absl::Time now) {
  if (state_ == SecretChatState::kDiscarded) return Closed();
  if (state_ != SecretChatState::kReady) {
    return absl::FailedPreconditionError(
        absl::StrCat("Receive: the chat is not ready (", StateName(state_), ")"));
  }
  MTCORE_ASSIGN_OR_RETURN(int64_t fingerprint, WireKeyFingerprint(data));
  const SecretKey* key = nullptr;
  if (key_ && fingerprint == key_->fingerprint) {
    key = &*key_;
  } else if (old_key_ && fingerprint == old_key_->fingerprint) {
    key = &*old_key_;
  } else if (exchange_.kind == Exchange::kAccepted && exchange_.key &&
             fingerprint == exchange_.key->fingerprint) {
    // The requester committed and uses the new key (its CommitKey may be
    // late or lost): switch now. Check the message first.
    absl::StatusOr<Bytes> probe = DecryptSecretMessage(*exchange_.key, Peer(role_), data);
    if (!probe.ok()) return probe.status();
    old_key_ = std::move(key_);
    InstallKey(*std::move(exchange_.key), now);
    old_key_settled_ = true;
    last_exchange_done_ = exchange_.id;
    exchange_ = Exchange{};
    ++rekeys_;
    MTCORE_RETURN_IF_ERROR(QueueAction(tls::decryptedMessageActionNoop{}, rng));
    key = &*key_;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("secret message under an unknown key_fingerprint ", fingerprint));
  }
  MTCORE_ASSIGN_OR_RETURN(Bytes plain, DecryptSecretMessage(*key, Peer(role_), data));
  if (key == &*key_ && old_key_) old_key_settled_ = true;  // the peer uses our new key

  absl::StatusOr<tls::DecryptedMessageLayer> parsed = tl::Parse<tls::DecryptedMessageLayer>(plain);
  if (!parsed.ok()) {
    return Fail(absl::StrCat("cannot read the peer's decrypted message: ",
                             parsed.status().message()));
  }
  const auto* layer = parsed->As<tls::decryptedMessageLayer>();
  if (layer == nullptr || !layer->message) return Fail("the peer's message has no content");
  if (layer->layer < kMinSecretLayer) {
    return Fail(absl::StrCat("the peer's layer ", layer->layer, " is below ", kMinSecretLayer,
                             " (MTProto 1.0 is not supported)"));
  }
  if (layer->out_seq_no < 0 || layer->in_seq_no < 0) {
    return Fail(absl::StrCat("negative seq_no (out ", layer->out_seq_no, ", in ",
                             layer->in_seq_no, ")"));
  }
  // The peer's out_seq_no carries its x_out, which is our x_in, and vice versa.
  if ((layer->out_seq_no & 1) != XIn()) {
    return Fail(absl::StrCat("out_seq_no ", layer->out_seq_no,
                             " has the wrong parity (a mirrored or forged message)"));
  }
  if ((layer->in_seq_no & 1) != XOut()) {
    return Fail(absl::StrCat("in_seq_no ", layer->in_seq_no,
                             " has the wrong parity (a mirrored or forged message)"));
  }
  Held held;
  held.incoming.out_seq_no = layer->out_seq_no / 2;
  held.incoming.in_seq_no = layer->in_seq_no / 2;
  held.incoming.layer = layer->layer;
  held.incoming.message = layer->message;
  if (const int64_t* id = RandomIdField(held.incoming.message)) held.incoming.random_id = *id;
  if (held.incoming.in_seq_no > out_seq_) {
    return Fail(absl::StrCat("in_seq_no ", layer->in_seq_no, " acknowledges messages we never sent (",
                             out_seq_, " sent)"));
  }
  const int32_t seq = held.incoming.out_seq_no;
  std::vector<SecretIncoming> out;
  if (seq < in_seq_ || held_.count(seq) != 0) {
    MaybeDropOldKey();
    return out;  // a repeated message: dropped unread
  }
  if (seq > in_seq_) {
    if (held_.size() >= config_.max_held_messages) {
      return Fail(absl::StrCat("more than ", config_.max_held_messages,
                               " messages held behind a seq_no gap"));
    }
    // A Resend is interpreted at once, also from beyond a gap (seq_no.html,
    // "avoiding concurrent gaps"), and only once.
    if (const tls::DecryptedMessageAction* a = ActionOf(held.incoming.message)) {
      if (const auto* r = a->As<tls::decryptedMessageActionResend>()) {
        MTCORE_RETURN_IF_ERROR(HandleResend(*r));
        held.resend_done = true;
      }
    }
    held_.emplace(seq, std::move(held));
    if (seq - 1 > requested_up_to_) {
      const int32_t from = std::max(in_seq_, requested_up_to_ + 1);
      MTCORE_RETURN_IF_ERROR(QueueAction(
          tls::decryptedMessageActionResend{.start_seq_no = 2 * from + XIn(),
                                            .end_seq_no = 2 * (seq - 1) + XIn()},
          rng));
      requested_up_to_ = seq - 1;
      last_request_ = now;
    }
    return out;
  }
  MTCORE_RETURN_IF_ERROR(Process(held, rng, now, out));
  while (!held_.empty() && held_.begin()->first == in_seq_) {
    Held next = std::move(held_.begin()->second);
    held_.erase(held_.begin());
    MTCORE_RETURN_IF_ERROR(Process(next, rng, now, out));
  }
  MaybeDropOldKey();
  MTCORE_RETURN_IF_ERROR(MaybeStartRekey(rng, now));
  return out;
}

absl::Status SecretChat::Process(Held& held, crypto::RandomSource& rng, absl::Time now,
                                 std::vector<SecretIncoming>& out) {
  const SecretIncoming& in = held.incoming;
  if (in.in_seq_no < last_peer_in_) {
    return Fail(absl::StrCat("in_seq_no decreased from ", 2 * last_peer_in_ + XOut(), " to ",
                             2 * in.in_seq_no + XOut()));
  }
  last_peer_in_ = in.in_seq_no;
  ++in_seq_;
  ++key_uses_;
  peer_layer_ = std::max(peer_layer_, std::min(in.layer, kSecretLayer));
  const tls::DecryptedMessageAction* action = ActionOf(in.message);
  if (action == nullptr || !*action || !IsProtocolAction(*action)) {
    out.push_back(std::move(held.incoming));
    return absl::OkStatus();
  }
  if (const auto* r = action->As<tls::decryptedMessageActionResend>()) {
    return held.resend_done ? absl::OkStatus() : HandleResend(*r);
  }
  if (const auto* n = action->As<tls::decryptedMessageActionNotifyLayer>()) {
    peer_layer_ = std::max(peer_layer_, std::min(n->layer, kSecretLayer));
    return absl::OkStatus();
  }
  if (action->Is<tls::decryptedMessageActionNoop>()) return absl::OkStatus();
  return HandleRekey(*action, rng, now);
}

absl::Status SecretChat::HandleResend(const tls::decryptedMessageActionResend& r) {
  // The range names our messages, so it carries our x_out.
  if ((r.start_seq_no & 1) != XOut() || (r.end_seq_no & 1) != XOut()) {
    return Fail(absl::StrCat("decryptedMessageActionResend ", r.start_seq_no, "..", r.end_seq_no,
                             " has the wrong parity"));
  }
  if (r.start_seq_no < 0 || r.start_seq_no > r.end_seq_no) {
    return Fail(absl::StrCat("decryptedMessageActionResend ", r.start_seq_no, "..", r.end_seq_no,
                             " is not a range"));
  }
  const int32_t from = r.start_seq_no / 2;
  const int32_t to = r.end_seq_no / 2;
  if (to >= out_seq_) {
    return Fail(absl::StrCat("decryptedMessageActionResend asks for ", r.start_seq_no, "..",
                             r.end_seq_no, ", beyond the ", out_seq_, " messages we sent"));
  }
  for (int32_t s = from; s <= to; ++s) {
    auto it = stored_.find(s);
    if (it == stored_.end()) {
      return Fail(absl::StrCat("cannot satisfy decryptedMessageActionResend: our message ",
                               2 * s + XOut(), " is no longer stored"));
    }
    if (outbox_.size() >= config_.max_outbox) {
      return Fail(absl::StrCat("the outbox holds ", outbox_.size(),
                               " messages (the peer's resend requests overflow it)"));
    }
    outbox_.push_back(SecretOutgoing{it->second.random_id, it->second.data, it->second.service, s,
                                     true});
  }
  return absl::OkStatus();
}

absl::Status SecretChat::HandleRekey(const tls::DecryptedMessageAction& action,
                                     crypto::RandomSource& rng, absl::Time now) {
  if (const auto* req = action.As<tls::decryptedMessageActionRequestKey>()) {
    if (exchange_.kind == Exchange::kRequested) {
      // Concurrent requests: the smaller exchange_id gives way (pfs.html).
      if (exchange_.id > req->exchange_id) return absl::OkStatus();
      const bool equal = exchange_.id == req->exchange_id;
      exchange_ = Exchange{};
      if (equal) return absl::OkStatus();
    } else if (exchange_.kind == Exchange::kAccepted || old_key_) {
      // Busy with another exchange, or the last switch is not settled.
      return QueueAction(tls::decryptedMessageActionAbortKey{.exchange_id = req->exchange_id},
                         rng);
    }
    const Bytes g_a(req->g_a.begin(), req->g_a.end());
    absl::Status last;
    for (int attempt = 0; attempt < kDhAttempts; ++attempt) {
      crypto::SecretBytes mine(crypto::RandomBytes(rng, kSecretKeySize));
      absl::StatusOr<SecretDhAccepted> acc = SecretDhAccept(group_, g_a, mine.view(), {});
      if (acc.ok()) {
        exchange_.kind = Exchange::kAccepted;
        exchange_.id = req->exchange_id;
        exchange_.key = std::move(acc->key);
        return QueueAction(
            tls::decryptedMessageActionAcceptKey{.exchange_id = req->exchange_id,
                                                 .g_b = AsString(acc->g_b),
                                                 .key_fingerprint = exchange_.key->fingerprint},
            rng);
      }
      last = acc.status();
      if (!absl::StartsWith(last.message(), "g_b")) break;
    }
    // A g_a failing the checks: refuse this exchange (the chat goes on).
    return QueueAction(tls::decryptedMessageActionAbortKey{.exchange_id = req->exchange_id}, rng);
  }
  if (const auto* acc = action.As<tls::decryptedMessageActionAcceptKey>()) {
    if (exchange_.kind != Exchange::kRequested || exchange_.id != acc->exchange_id) {
      return absl::OkStatus();  // an exchange we gave up or never started
    }
    const Bytes g_b(acc->g_b.begin(), acc->g_b.end());
    absl::StatusOr<SecretKey> key =
        SecretDhFinish(group_, *exchange_.request, g_b, acc->key_fingerprint);
    const int64_t id = exchange_.id;
    exchange_ = Exchange{};
    if (!key.ok()) {
      return QueueAction(tls::decryptedMessageActionAbortKey{.exchange_id = id}, rng);
    }
    // CommitKey still goes under the old key; everything after under the new.
    MTCORE_RETURN_IF_ERROR(QueueAction(
        tls::decryptedMessageActionCommitKey{.exchange_id = id, .key_fingerprint = key->fingerprint},
        rng));
    old_key_ = std::move(key_);
    InstallKey(*std::move(key), now);
    old_key_settled_ = false;  // until the peer's first message under the new key
    last_exchange_done_ = id;
    ++rekeys_;
    return absl::OkStatus();
  }
  if (const auto* commit = action.As<tls::decryptedMessageActionCommitKey>()) {
    if (exchange_.kind != Exchange::kAccepted || exchange_.id != commit->exchange_id) {
      return absl::OkStatus();  // already switched by a message under the new key
    }
    if (commit->key_fingerprint != exchange_.key->fingerprint) {
      return Fail(absl::StrCat("decryptedMessageActionCommitKey fingerprint ",
                               commit->key_fingerprint, " does not match the accepted key's ",
                               exchange_.key->fingerprint));
    }
    old_key_ = std::move(key_);
    InstallKey(*std::move(exchange_.key), now);
    old_key_settled_ = true;
    last_exchange_done_ = exchange_.id;
    exchange_ = Exchange{};
    ++rekeys_;
    // Lets the requester see a message under the new key and drop the old one.
    return QueueAction(tls::decryptedMessageActionNoop{}, rng);
  }
  if (const auto* abort = action.As<tls::decryptedMessageActionAbortKey>()) {
    if (exchange_.kind != Exchange::kNone && exchange_.id == abort->exchange_id) {
      exchange_ = Exchange{};
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

void SecretChat::MaybeDropOldKey() {
  if (old_key_ && old_key_settled_ && held_.empty()) old_key_.reset();
}

absl::Status SecretChat::MaybeStartRekey(crypto::RandomSource& rng, absl::Time now) {
  if (state_ != SecretChatState::kReady || exchange_.kind != Exchange::kNone || old_key_ ||
      key_encrypted_ == 0) {
    return absl::OkStatus();
  }
  if (key_uses_ < config_.rekey_after_messages && now - key_since_ < config_.rekey_after) {
    return absl::OkStatus();
  }
  absl::Status last;
  for (int attempt = 0; attempt < kDhAttempts; ++attempt) {
    crypto::SecretBytes mine(crypto::RandomBytes(rng, kSecretKeySize));
    absl::StatusOr<SecretDhRequest> req = SecretDhBegin(group_, mine.view(), {});
    if (req.ok()) {
      exchange_.kind = Exchange::kRequested;
      exchange_.id = NonZeroRandom(rng);
      exchange_.request = *std::move(req);
      return QueueAction(
          tls::decryptedMessageActionRequestKey{.exchange_id = exchange_.id,
                                                .g_a = AsString(exchange_.request->g_a)},
          rng);
    }
    last = req.status();
  }
  return Fail(absl::StrCat("cannot start re-keying: ", last.message()));
}

std::optional<absl::Time> SecretChat::NextDeadline() const {
  if (state_ != SecretChatState::kReady) return std::nullopt;
  std::optional<absl::Time> out;
  if (!held_.empty()) out = last_request_ + config_.resend_retry;
  if (exchange_.kind == Exchange::kNone && !old_key_ && key_encrypted_ > 0) {
    const absl::Time rekey = key_since_ + config_.rekey_after;
    if (!out || rekey < *out) out = rekey;
  }
  return out;
}

absl::Status SecretChat::OnTimeout(crypto::RandomSource& rng, absl::Time now) {
  if (state_ == SecretChatState::kDiscarded) return Closed();
  if (state_ != SecretChatState::kReady) return absl::OkStatus();
  if (!held_.empty() && now - last_request_ >= config_.resend_retry) {
    const int32_t to = held_.rbegin()->first - 1;
    MTCORE_RETURN_IF_ERROR(QueueAction(
        tls::decryptedMessageActionResend{.start_seq_no = 2 * in_seq_ + XIn(),
                                          .end_seq_no = 2 * to + XIn()},
        rng));
    requested_up_to_ = std::max(requested_up_to_, to);
    last_request_ = now;
  }
  return MaybeStartRekey(rng, now);
}

}  // namespace mtcore::secret
