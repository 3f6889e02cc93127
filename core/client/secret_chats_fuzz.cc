// What a DC sends about secret chats is untrusted: SecretChats fed any
// sequence of answers to its requests (DH parameters good and bad,
// dhConfigNotModified, every EncryptedChat, rpc errors, failures, raw
// bytes), of updates (updateEncryption of every kind, updateNewEncryptedMessage
// with any bytes and qts) and of the app's calls (Request, Accept, SendText,
// Discard, timeouts) must never crash, must end each Request / Accept at most
// once, keep at most max_chats chats, and answer calls on unknown chats with
// errors.
//
// Input: a sequence of one-byte ops (op % 8), some followed by arguments.
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>

#include "core/base/fuzz_input.h"
#include "core/client/secret_chats.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace {

using namespace mtcore;

class Sink final : public client::RequestSink {
 public:
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    if (refuse) return absl::UnavailableError("closed");
    open.push_back(++last);
    return last;
  }
  void Cancel(uint64_t) override {}
  std::deque<uint64_t> open;
  uint64_t last = 0;
  bool refuse = false;
};

client::ClientEvent Result(uint64_t id, Bytes body) {
  client::ClientEvent e;
  e.kind = client::ClientEvent::Kind::kResult;
  e.request_id = id;
  e.body = std::move(body);
  return e;
}

template <class T>
Bytes Boxed(const T& value) {
  absl::StatusOr<Bytes> b = tl::Serialize(value);
  if (!b.ok()) std::abort();  // (well-formed values only)
  return *b;
}

std::string Prime() {
  ByteView p = crypto::TelegramDhPrime();
  return std::string(p.begin(), p.end());
}

tl::EncryptedChat ChatOf(FuzzInput& in) {
  const int32_t id = in.Byte() % 8;
  switch (in.Byte() % 5) {
    case 0:
      return tl::encryptedChatWaiting{.id = id, .access_hash = 5, .admin_id = 1, .participant_id = 2};
    case 1:
      return tl::encryptedChatRequested{
          .id = id, .access_hash = 5, .admin_id = 2, .participant_id = 1,
          .g_a = in.Byte() & 1 ? std::string(256, static_cast<char>(in.Byte() | 0x40))
                               : in.Take(in.Byte())};
    case 2:
      return tl::encryptedChat{.id = id, .access_hash = 5, .admin_id = 1, .participant_id = 2,
                               .g_a_or_b = std::string(256, static_cast<char>(in.Byte() | 0x40)),
                               .key_fingerprint = static_cast<int64_t>(in.Byte())};
    case 3: return tl::encryptedChatDiscarded{.id = id};
    default: return tl::encryptedChatEmpty{.id = id};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  crypto::DeterministicRandom rng(7);
  crypto::SafePrimeCache primes;
  client::SecretChatsOptions options;
  options.max_chats = 4;
  client::SecretChats chats(options, primes);
  Sink sink;
  absl::Time now = absl::FromUnixSeconds(1'750'000'000);
  std::map<uint64_t, int> ends;  // operation -> kReady / kFailed events
  int other_primes = 0;          // (each costs primality tests)
  int steps = 0;
  while (!in.empty() && ++steps < 2000) {
    const uint8_t op = in.Byte() % 8;
    switch (op) {
      case 0:
        (void)chats.Request(tl::inputUser{.user_id = 2, .access_hash = 3}, sink);
        break;
      case 1:
        (void)chats.Accept(in.Byte() % 8, sink);
        break;
      case 2: {  // answer the oldest open request
        if (sink.open.empty()) break;
        const uint64_t id = sink.open.front();
        sink.open.pop_front();
        client::ClientEvent e;
        switch (in.Byte() % 7) {
          case 0: {
            std::string p = Prime();
            if ((in.Byte() & 3) == 0 && other_primes < 2) {
              ++other_primes;
              p = in.Take(in.Byte());
            }
            e = Result(id, Boxed(tl::messages_DhConfig(tl::messages_dhConfig{
                               .g = in.Byte() % 9, .p = p, .version = in.Byte(),
                               .random = std::string(in.Byte() * 2, 'r')})));
            break;
          }
          case 1:
            e = Result(id, Boxed(tl::messages_DhConfig(tl::messages_dhConfigNotModified{
                               .random = std::string(in.Byte() * 2, 'r')})));
            break;
          case 2: e = Result(id, Boxed(ChatOf(in))); break;
          case 3:
            e.kind = client::ClientEvent::Kind::kRpcError;
            e.request_id = id;
            e.error_code = 400;
            e.error_message = "USER_ID_INVALID";
            break;
          case 4:
            e.kind = client::ClientEvent::Kind::kRequestFailed;
            e.request_id = id;
            e.status = absl::UnavailableError("lost");
            break;
          case 5: {
            std::string raw = in.Take(in.Byte());
            e = Result(id, Bytes(raw.begin(), raw.end()));
            break;
          }
          default:
            e = Result(id, Boxed(tl::messages_SentEncryptedMessage(
                               tl::messages_sentEncryptedMessage{.date = 1})));
            break;
        }
        chats.OnEvent(e, sink, rng, now);
        break;
      }
      case 3: {
        client::ClientEvent e;
        e.kind = client::ClientEvent::Kind::kUpdate;
        e.update = tl::updateEncryption{.chat = ChatOf(in), .date = 1};
        if (!chats.OnEvent(e, sink, rng, now)) std::abort();  // always its own
        break;
      }
      case 4: {
        client::ClientEvent e;
        e.kind = client::ClientEvent::Kind::kUpdate;
        const int32_t chat = in.Byte() % 8;
        std::string bytes = in.Take(in.U16() % 600);
        tl::EncryptedMessage m = tl::encryptedMessageService{
            .random_id = 1, .chat_id = chat, .date = 1, .bytes = bytes};
        if (in.Byte() & 1) {
          m = tl::encryptedMessage{.random_id = 1, .chat_id = chat, .date = 1, .bytes = bytes,
                                   .file = tl::encryptedFileEmpty{}};
        }
        e.update = tl::updateNewEncryptedMessage{.message = m, .qts = in.Byte()};
        if (!chats.OnEvent(e, sink, rng, now)) std::abort();
        break;
      }
      case 5:
        (void)chats.SendText(in.Byte() % 8, in.Take(in.Byte()), sink, rng, now);
        break;
      case 6:
        (void)chats.Discard(in.Byte() % 8, in.Byte() & 1, sink);
        break;
      default:
        now += absl::Seconds(in.Byte());
        chats.OnTimeout(sink, rng, now);
        sink.refuse = (in.Byte() % 16) == 0;
        break;
    }
    while (std::optional<client::SecretChatEvent> e = chats.PollEvent()) {
      if (e->kind == client::SecretChatEvent::Kind::kReady ||
          e->kind == client::SecretChatEvent::Kind::kFailed) {
        if (e->operation != 0 && ++ends[e->operation] > 1) std::abort();  // ends once
      }
      if (e->kind == client::SecretChatEvent::Kind::kMessage && !e->message.has_value()) {
        std::abort();
      }
    }
    if (chats.chats() > options.max_chats) std::abort();
  }
  return 0;
}
