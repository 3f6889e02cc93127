// Fuzz target: a ready secret chat (the originator) fed arbitrary input from
// its peer. The input is a list of records `op len_lo len_hi payload[len]`:
//   op % 4 == 0: payload as the raw bytes of an encryptedMessage;
//   op % 4 == 1: payload as decrypted bytes, encrypted with the peer's real
//                key (gets past msg_key into parsing, seq_no and re-keying);
//   op % 4 == 2: payload[0..1] the wire out_seq_no / in_seq_no, the rest a
//                DecryptedMessage, wrapped in a decryptedMessageLayer and
//                encrypted with the peer's key;
//   op % 4 == 3: the chat sends a message, time advances by payload[0]
//                seconds and OnTimeout runs; the outbox is drained.
// Never a crash; errors are only InvalidArgument (one message refused),
// FailedPrecondition (chat closed) or ResourceExhausted (outbox full); memory
// stays bounded (held messages, outbox, keys).
#include <cstdlib>
#include <optional>
#include <string>

#include "core/crypto/random.h"
#include "core/secret/secret_chat.h"
#include "core/secret/secret_crypto.h"
#include "tl/values.h"

namespace {

namespace secret = ::mtcore::secret;
namespace tls = ::mtcore::tl::secret;
using mtcore::Bytes;
using mtcore::ByteView;

struct Fixture {
  secret::SecretChatConfig config;
  std::optional<secret::SecretChat> chat;
  secret::SecretKey peer_key;

  Fixture() {
    config.max_held_messages = 16;
    config.max_stored_outgoing = 16;
    config.max_outbox = 64;
    config.rekey_after_messages = 8;
    mtcore::crypto::SafePrimeCache cache;
    mtcore::crypto::DeterministicRandom rng(1);
    mtcore::crypto::DhGroup group =
        *mtcore::crypto::DhGroup::Create(mtcore::crypto::TelegramDhPrime(), 3, cache, rng);
    chat.emplace(*secret::SecretChat::Request(config, group, {}, rng));
    secret::SecretDhAccepted acc =
        *secret::SecretDhAccept(group, chat->g_a(), mtcore::crypto::RandomBytes(rng, 256), {});
    peer_key = acc.key;
    if (!chat->OnAccepted(acc.g_b, acc.key.fingerprint, rng, absl::FromUnixSeconds(1700000000))
             .ok()) {
      std::abort();
    }
  }
};

void Check(const absl::Status& st) {
  if (st.ok()) return;
  switch (st.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
      return;
    default:
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* fixture = new Fixture();
  secret::SecretChat chat = *fixture->chat;  // a fresh copy of the ready chat
  mtcore::crypto::DeterministicRandom rng(size);
  absl::Time now = absl::FromUnixSeconds(1700000000);
  size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t op = data[pos];
    const size_t len = std::min<size_t>(data[pos + 1] | (data[pos + 2] << 8), size - pos - 3);
    const ByteView payload(data + pos + 3, len);
    pos += 3 + len;
    switch (op % 4) {
      case 0:
        Check(chat.Receive(payload, rng, now).status());
        break;
      case 1: {
        absl::StatusOr<Bytes> wire = secret::EncryptSecretMessage(
            fixture->peer_key, secret::SecretRole::kAccepter, payload, rng);
        if (wire.ok()) Check(chat.Receive(*wire, rng, now).status());
        break;
      }
      case 2: {
        if (payload.size() < 2) break;
        absl::StatusOr<tls::DecryptedMessage> m =
            mtcore::tl::Parse<tls::DecryptedMessage>(payload.subspan(2));
        if (!m.ok()) break;
        tls::decryptedMessageLayer layer;
        layer.layer = secret::kSecretLayer;
        layer.out_seq_no = payload[0];
        layer.in_seq_no = payload[1];
        layer.message = *std::move(m);
        absl::StatusOr<Bytes> plain = mtcore::tl::Serialize(tls::DecryptedMessageLayer(layer));
        if (!plain.ok()) break;
        absl::StatusOr<Bytes> wire = secret::EncryptSecretMessage(
            fixture->peer_key, secret::SecretRole::kAccepter, *plain, rng);
        if (wire.ok()) Check(chat.Receive(*wire, rng, now).status());
        break;
      }
      default: {
        tls::decryptedMessage text;
        text.message = "x";
        Check(chat.Send(text, rng, now).status());
        now += absl::Seconds(payload.empty() ? 1 : payload[0]);
        Check(chat.OnTimeout(rng, now));
        chat.TakeOutgoing();
      }
    }
    if (chat.held_messages() > fixture->config.max_held_messages ||
        chat.outbox_size() > fixture->config.max_outbox || chat.decryption_keys() > 3) {
      std::abort();
    }
  }
  return 0;
}
