#include "core/client/secret_chats.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace mtcore::client {

namespace {

// The random bytes asked for with the DH parameters (mixed into a and b).
constexpr int32_t kDhRandomLength = 256;

ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

absl::Status Context(const absl::Status& s, std::string_view what) {
  return absl::Status(s.code(), absl::StrCat("secret chat: ", what, ": ", s.message()));
}

}  // namespace

SecretChats::SecretChats(SecretChatsOptions options, crypto::SafePrimeCache& primes)
    : options_(std::move(options)), primes_(primes) {}

void SecretChats::Emit(SecretChatEvent e) { events_.push_back(std::move(e)); }

template <class F>
absl::StatusOr<uint64_t> SecretChats::SendRequest(const F& f, RequestSink& sink) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(f);
  if (!bytes.ok()) return bytes.status();
  return sink.Send(*std::move(bytes));
}

template <class F>
void SecretChats::SendQuietly(const F& f, RequestSink& sink) {
  if (absl::StatusOr<uint64_t> id = SendRequest(f, sink); id.ok()) quiet_requests_.insert(*id);
}

std::optional<SecretChatEvent> SecretChats::PollEvent() {
  if (events_.empty()) return std::nullopt;
  SecretChatEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

bool SecretChats::EndOperation(uint64_t operation, int32_t chat_id) {
  pending_.erase(operation);
  if (auto c = chats_.find(chat_id); c != chats_.end() && c->second.operation == operation) {
    c->second.operation = 0;
    c->second.accepting = false;
  }
  return live_operations_.erase(operation) > 0;
}

void SecretChats::Fail(uint64_t operation, int32_t chat_id, absl::Status why) {
  if (!EndOperation(operation, chat_id)) return;  // (ended already: once)
  SecretChatEvent e;
  e.kind = SecretChatEvent::Kind::kFailed;
  e.operation = operation;
  e.chat_id = chat_id;
  e.peer_user = peer_of(chat_id);
  e.status = std::move(why);
  Emit(std::move(e));
}

absl::StatusOr<uint64_t> SecretChats::Request(tl::InputUser user, RequestSink& sink) {
  if (!user || user.Is<tl::inputUserEmpty>()) {
    return absl::InvalidArgumentError("secret chat: no user to ask");
  }
  if (chats_.size() + pending_.size() >= options_.max_chats) {
    return absl::ResourceExhaustedError(
        absl::StrCat("secret chat: ", options_.max_chats, " chats already"));
  }
  const uint64_t op = next_operation_++;
  live_operations_.insert(op);
  Pending& p = pending_[op];
  p.kind = Pending::kRequest;
  p.operation = op;
  p.user = std::move(user);
  AskDhConfig(op, sink);
  return op;
}

absl::StatusOr<uint64_t> SecretChats::Accept(int32_t chat_id, RequestSink& sink) {
  auto it = chats_.find(chat_id);
  if (it == chats_.end() || it->second.chat.has_value() || it->second.requested_g_a.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret chat ", chat_id, ": no request waiting to be accepted"));
  }
  if (it->second.accepting) {
    return absl::FailedPreconditionError(
        absl::StrCat("secret chat ", chat_id, ": being accepted already"));
  }
  it->second.accepting = true;
  const uint64_t op = next_operation_++;
  live_operations_.insert(op);
  it->second.operation = op;
  Pending& p = pending_[op];
  p.kind = Pending::kAccept;
  p.operation = op;
  p.chat_id = chat_id;
  AskDhConfig(op, sink);
  return op;
}

void SecretChats::AskDhConfig(uint64_t operation, RequestSink& sink) {
  tl::messages_getDhConfig get;
  get.version = dh_version_;
  get.random_length = kDhRandomLength;
  absl::StatusOr<uint64_t> id = SendRequest(get, sink);
  if (!id.ok()) {
    auto p = pending_.find(operation);
    Fail(operation, p != pending_.end() ? p->second.chat_id : 0,
         Context(id.status(), "messages.getDhConfig"));
    return;
  }
  dh_requests_[*id] = operation;
}

void SecretChats::OnDhConfig(const ClientEvent& e, RequestSink& sink, crypto::RandomSource& rng,
                             absl::Time now) {
  auto owner = dh_requests_.find(e.request_id);
  const uint64_t op = owner->second;
  dh_requests_.erase(owner);
  auto it = pending_.find(op);
  if (it == pending_.end()) return;
  const int32_t chat_id = it->second.chat_id;
  // (Fail also lets the chat be accepted again, if it is still there.)
  auto fail = [&](const absl::Status& why) { Fail(op, chat_id, why); };
  absl::StatusOr<tl::messages_DhConfig> config = Client::Result<tl::messages_getDhConfig>(e);
  if (!config.ok()) {
    fail(Context(config.status(), "messages.getDhConfig"));
    return;
  }
  std::string random;
  if (const auto* x = config->As<tl::messages_dhConfig>()) {
    absl::StatusOr<crypto::DhGroup> group =
        crypto::DhGroup::Create(View(x->p), static_cast<uint32_t>(x->g), primes_, rng);
    if (!group.ok()) {
      fail(Context(group.status(), "the DC's DH parameters"));
      return;
    }
    group_ = *std::move(group);
    dh_version_ = x->version;
    random = x->random;
  } else {
    random = config->As<tl::messages_dhConfigNotModified>()->random;
    if (!group_.has_value()) {
      fail(absl::DataLossError(
          "secret chat: messages.getDhConfig: dhConfigNotModified without parameters known"));
      return;
    }
  }
  if (random.size() < static_cast<size_t>(kDhRandomLength)) {
    fail(absl::DataLossError(absl::StrCat("secret chat: messages.getDhConfig: ", random.size(),
                                          " random bytes, ", kDhRandomLength, " asked for")));
    return;
  }
  Pending& p = it->second;
  if (p.kind == Pending::kRequest) {
    absl::StatusOr<secret::SecretChat> chat =
        secret::SecretChat::Request(options_.chat, *group_, View(random), rng);
    if (!chat.ok()) {
      fail(Context(chat.status(), "our g_a"));
      return;
    }
    tl::messages_requestEncryption ask;
    ask.user_id = p.user;
    ask.random_id = static_cast<int32_t>(crypto::RandomU64(rng) & 0x7fffffff);
    ask.g_a = Text(chat->g_a());
    p.chat = *std::move(chat);
    absl::StatusOr<uint64_t> id = SendRequest(ask, sink);
    if (!id.ok()) {
      fail(Context(id.status(), "messages.requestEncryption"));
      return;
    }
    chat_requests_[*id] = op;
    return;
  }
  // Accept: the peer's g_a checked, our g_b and the key.
  auto c = chats_.find(chat_id);
  if (c == chats_.end()) {
    fail(absl::FailedPreconditionError(
        absl::StrCat("secret chat ", chat_id, ": discarded before it was accepted")));
    return;
  }
  absl::StatusOr<secret::SecretChat> chat =
      secret::SecretChat::Incoming(options_.chat, *group_, c->second.requested_g_a);
  absl::StatusOr<secret::SecretChat::Accepted> accepted =
      chat.ok() ? chat->Accept(View(random), rng, now)
                : absl::StatusOr<secret::SecretChat::Accepted>(chat.status());
  if (!accepted.ok()) {
    // A bad g_a from the peer: the request is refused.
    fail(Context(accepted.status(), "the peer's g_a"));
    Close(chat_id, Context(accepted.status(), "the peer's g_a"), /*tell_dc=*/true, sink);
    return;
  }
  tl::messages_acceptEncryption accept;
  accept.peer = tl::inputEncryptedChat{.chat_id = chat_id, .access_hash = c->second.access_hash};
  accept.g_b = Text(accepted->g_b);
  accept.key_fingerprint = accepted->key_fingerprint;
  c->second.chat = *std::move(chat);
  c->second.requested_g_a.clear();
  absl::StatusOr<uint64_t> id = SendRequest(accept, sink);
  if (!id.ok()) {
    fail(Context(id.status(), "messages.acceptEncryption"));
    return;
  }
  chat_requests_[*id] = op;
}

void SecretChats::OnRequested(const ClientEvent& e, uint64_t op) {
  auto it = pending_.find(op);
  if (it == pending_.end()) return;
  absl::StatusOr<tl::EncryptedChat> chat = Client::Result<tl::messages_requestEncryption>(e);
  if (!chat.ok()) {
    Fail(op, 0, Context(chat.status(), "messages.requestEncryption"));
    return;
  }
  const auto* waiting = chat->As<tl::encryptedChatWaiting>();
  if (waiting == nullptr) {
    Fail(op, 0,
         absl::DataLossError(absl::StrCat("secret chat: messages.requestEncryption answered ",
                                          chat->name(), ", not encryptedChatWaiting")));
    return;
  }
  if (chats_.count(waiting->id) > 0) {
    Fail(op, waiting->id,
         absl::DataLossError(absl::StrCat("secret chat: the DC gave chat id ", waiting->id,
                                          " a second time")));
    return;
  }
  Chat& c = chats_[waiting->id];
  c.chat = *std::move(it->second.chat);
  c.access_hash = waiting->access_hash;
  c.peer = waiting->participant_id;
  c.operation = op;
  pending_.erase(it);
}

void SecretChats::OnAccepted(const ClientEvent& e, uint64_t op, RequestSink& sink) {
  auto it = pending_.find(op);
  if (it == pending_.end()) return;
  const int32_t chat_id = it->second.chat_id;
  absl::StatusOr<tl::EncryptedChat> chat = Client::Result<tl::messages_acceptEncryption>(e);
  auto c = chats_.find(chat_id);
  if (!chat.ok() || !chat->Is<tl::encryptedChat>() || c == chats_.end() ||
      !c->second.chat.has_value() || c->second.chat->state() != secret::SecretChatState::kReady) {
    const absl::Status why =
        !chat.ok() ? Context(chat.status(), "messages.acceptEncryption")
                   : absl::DataLossError(absl::StrCat(
                         "secret chat: messages.acceptEncryption answered ", chat->name()));
    Fail(op, chat_id, why);
    if (c != chats_.end()) {
      chats_.erase(c);  // (the DC refused: nothing to tell it)
    }
    return;
  }
  Ready(op, chat_id, sink);  // (now that the DC knows the chat)
}

void SecretChats::Ready(uint64_t operation, int32_t chat_id, RequestSink& sink) {
  if (!EndOperation(operation, chat_id)) return;
  SecretChatEvent ready;
  ready.kind = SecretChatEvent::Kind::kReady;
  ready.chat_id = chat_id;
  ready.peer_user = peer_of(chat_id);
  ready.operation = operation;
  Emit(std::move(ready));
  Flush(chat_id, sink);  // (the layer notice)
}

bool SecretChats::OnEvent(const ClientEvent& e, RequestSink& sink, crypto::RandomSource& rng,
                          absl::Time now) {
  if (e.kind == ClientEvent::Kind::kUpdate) {
    if (e.update.Is<tl::updateEncryption>() || e.update.Is<tl::updateNewEncryptedMessage>()) {
      OnUpdate(e.update, sink, rng, now);
      return true;
    }
    return false;
  }
  if (!IsAnswer(e)) return false;
  if (dh_requests_.count(e.request_id) > 0) {
    OnDhConfig(e, sink, rng, now);
    return true;
  }
  if (auto it = chat_requests_.find(e.request_id); it != chat_requests_.end()) {
    const uint64_t op = it->second;
    chat_requests_.erase(it);
    auto p = pending_.find(op);
    if (p == pending_.end()) return true;
    if (p->second.kind == Pending::kRequest) {
      OnRequested(e, op);
    } else {
      OnAccepted(e, op, sink);
    }
    // (An update answered before the request was registered is not
    // expected: the DC pushes the peer's acceptance only after it.)
    return true;
  }
  return quiet_requests_.erase(e.request_id) > 0;
}

void SecretChats::OnUpdate(const tl::Update& u, RequestSink& sink, crypto::RandomSource& rng,
                           absl::Time now) {
  if (const auto* x = u.As<tl::updateEncryption>()) {
    OnEncryption(x->chat, rng, now, sink);
  } else if (const auto* x = u.As<tl::updateNewEncryptedMessage>()) {
    OnEncryptedMessage(*x, sink, rng, now);
  }
}

void SecretChats::OnEncryption(const tl::EncryptedChat& c, crypto::RandomSource& rng,
                               absl::Time now, RequestSink& sink) {
  if (const auto* x = c.As<tl::encryptedChatRequested>()) {
    if (chats_.count(x->id) > 0) return;  // (a repeat)
    if (chats_.size() >= options_.max_chats) {
      tl::messages_discardEncryption no;
      no.chat_id = x->id;
      SendQuietly(no, sink);
      return;
    }
    Chat& chat = chats_[x->id];
    chat.access_hash = x->access_hash;
    chat.peer = x->admin_id;
    chat.requested_g_a = Bytes(x->g_a.begin(), x->g_a.end());
    SecretChatEvent e;
    e.kind = SecretChatEvent::Kind::kRequested;
    e.chat_id = x->id;
    e.peer_user = x->admin_id;
    Emit(std::move(e));
    return;
  }
  if (const auto* x = c.As<tl::encryptedChat>()) {
    auto it = chats_.find(x->id);
    if (it == chats_.end() || !it->second.chat.has_value() ||
        it->second.chat->state() != secret::SecretChatState::kWaiting) {
      return;  // ours accepted already (the accepter's own copy), or not ours
    }
    const uint64_t op = it->second.operation;
    absl::Status s = it->second.chat->OnAccepted(View(x->g_a_or_b), x->key_fingerprint, rng, now);
    if (!s.ok()) {
      Fail(op, x->id, Context(s, "the peer's acceptance"));
      Close(x->id, Context(s, "the peer's acceptance"), /*tell_dc=*/true, sink);
      return;
    }
    Ready(op, x->id, sink);
    return;
  }
  if (const auto* x = c.As<tl::encryptedChatDiscarded>()) {
    auto it = chats_.find(x->id);
    if (it == chats_.end()) return;
    if (it->second.operation != 0) {
      Fail(it->second.operation, x->id,
           absl::CancelledError(absl::StrCat("secret chat ", x->id, ": discarded by the peer")));
    }
    Close(x->id, absl::CancelledError("discarded by the peer"), /*tell_dc=*/false, sink);
  }
}

void SecretChats::OnEncryptedMessage(const tl::updateNewEncryptedMessage& u, RequestSink& sink,
                                     crypto::RandomSource& rng, absl::Time now) {
  int32_t chat_id = 0;
  const std::string* bytes = nullptr;
  if (const auto* m = u.message.As<tl::encryptedMessage>()) {
    chat_id = m->chat_id;
    bytes = &m->bytes;
  } else if (const auto* m = u.message.As<tl::encryptedMessageService>()) {
    chat_id = m->chat_id;
    bytes = &m->bytes;
  }
  auto it = chats_.find(chat_id);
  if (bytes != nullptr && it != chats_.end() && it->second.chat.has_value() &&
      it->second.chat->state() == secret::SecretChatState::kReady) {
    absl::StatusOr<std::vector<secret::SecretIncoming>> got =
        it->second.chat->Receive(View(*bytes), rng, now);
    if (got.ok()) {
      for (secret::SecretIncoming& m : *got) {
        SecretChatEvent e;
        e.kind = SecretChatEvent::Kind::kMessage;
        e.chat_id = chat_id;
        e.peer_user = it->second.peer;
        e.message = std::move(m);
        Emit(std::move(e));
      }
      Flush(chat_id, sink);
    } else if (it->second.chat->state() == secret::SecretChatState::kDiscarded) {
      Close(chat_id, got.status(), /*tell_dc=*/true, sink);
    }
    // (Otherwise that one message could not be decrypted: dropped, the
    // chat goes on.)
  }
  // Received, whatever it was: the DC need not push it again.
  if (u.qts > acked_qts_) {
    acked_qts_ = u.qts;
    tl::messages_receivedQueue ack;
    ack.max_qts = u.qts;
    SendQuietly(ack, sink);
  }
}

void SecretChats::Flush(int32_t chat_id, RequestSink& sink) {
  auto it = chats_.find(chat_id);
  if (it == chats_.end() || !it->second.chat.has_value()) return;
  const tl::InputEncryptedChat peer =
      tl::inputEncryptedChat{.chat_id = chat_id, .access_hash = it->second.access_hash};
  // A message that does not reach the DC leaves a hole the peer asks to
  // have filled (decryptedMessageActionResend): nothing is lost for good.
  for (secret::SecretOutgoing& out : it->second.chat->TakeOutgoing()) {
    if (out.service) {
      SendQuietly(tl::messages_sendEncryptedService{
                      .peer = peer, .random_id = out.random_id, .data = Text(out.data)},
                  sink);
    } else {
      SendQuietly(tl::messages_sendEncrypted{
                      .peer = peer, .random_id = out.random_id, .data = Text(out.data)},
                  sink);
    }
  }
}

absl::StatusOr<int64_t> SecretChats::SendText(int32_t chat_id, std::string text,
                                              RequestSink& sink, crypto::RandomSource& rng,
                                              absl::Time now) {
  tl::secret::decryptedMessage m;
  m.message = std::move(text);
  return Send(chat_id, tl::secret::DecryptedMessage(std::move(m)), sink, rng, now);
}

absl::StatusOr<int64_t> SecretChats::Send(int32_t chat_id, tl::secret::DecryptedMessage message,
                                          RequestSink& sink, crypto::RandomSource& rng,
                                          absl::Time now) {
  auto it = chats_.find(chat_id);
  if (it == chats_.end() || !it->second.chat.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("secret chat ", chat_id, ": not ready"));
  }
  absl::StatusOr<int64_t> random_id = it->second.chat->Send(std::move(message), rng, now);
  if (!random_id.ok()) return Context(random_id.status(), absl::StrCat("chat ", chat_id));
  Flush(chat_id, sink);
  return random_id;
}

absl::Status SecretChats::Discard(int32_t chat_id, bool delete_history, RequestSink& sink) {
  auto it = chats_.find(chat_id);
  if (it == chats_.end()) {
    return absl::NotFoundError(absl::StrCat("secret chat ", chat_id, ": not known"));
  }
  absl::StatusOr<uint64_t> id = SendRequest(
      tl::messages_discardEncryption{.delete_history = delete_history, .chat_id = chat_id}, sink);
  if (!id.ok()) return Context(id.status(), "messages.discardEncryption");
  quiet_requests_.insert(*id);
  if (it->second.operation != 0) {
    Fail(it->second.operation, chat_id,
         absl::CancelledError(absl::StrCat("secret chat ", chat_id, ": discarded")));
  }
  Close(chat_id, absl::CancelledError("discarded"), /*tell_dc=*/false, sink);
  return absl::OkStatus();
}

void SecretChats::Close(int32_t chat_id, absl::Status why, bool tell_dc, RequestSink& sink) {
  auto it = chats_.find(chat_id);
  if (it == chats_.end()) return;
  if (tell_dc) SendQuietly(tl::messages_discardEncryption{.chat_id = chat_id}, sink);
  SecretChatEvent e;
  e.kind = SecretChatEvent::Kind::kDiscarded;
  e.chat_id = chat_id;
  e.peer_user = it->second.peer;
  e.status = std::move(why);
  chats_.erase(it);
  Emit(std::move(e));
}

std::optional<absl::Time> SecretChats::NextDeadline() const {
  std::optional<absl::Time> next;
  for (const auto& [id, c] : chats_) {
    if (!c.chat.has_value()) continue;
    std::optional<absl::Time> t = c.chat->NextDeadline();
    if (t.has_value() && (!next.has_value() || *t < *next)) next = t;
  }
  return next;
}

void SecretChats::OnTimeout(RequestSink& sink, crypto::RandomSource& rng, absl::Time now) {
  std::vector<int32_t> due;
  for (const auto& [id, c] : chats_) {
    if (!c.chat.has_value()) continue;
    std::optional<absl::Time> t = c.chat->NextDeadline();
    if (t.has_value() && *t <= now) due.push_back(id);
  }
  for (int32_t id : due) {
    auto it = chats_.find(id);
    absl::Status s = it->second.chat->OnTimeout(rng, now);
    if (!s.ok() && it->second.chat->state() == secret::SecretChatState::kDiscarded) {
      Close(id, s, /*tell_dc=*/true, sink);
      continue;
    }
    Flush(id, sink);
  }
}

const secret::SecretChat* SecretChats::chat(int32_t chat_id) const {
  auto it = chats_.find(chat_id);
  if (it == chats_.end() || !it->second.chat.has_value()) return nullptr;
  return &*it->second.chat;
}

int64_t SecretChats::peer_of(int32_t chat_id) const {
  auto it = chats_.find(chat_id);
  return it == chats_.end() ? 0 : it->second.peer;
}

}  // namespace mtcore::client
