// Hostile bytes into a connected ClientEngine: never a crash, a hang or
// unbounded memory. Byte 0 picks the mode:
//   even: the rest is raw stream bytes (intermediate framing), fed in chunks
//         whose sizes come from the input;
//   odd:  the rest is one message body, encrypted for the engine's session
//         (valid auth key, msg_key, session_id and msg_id) and framed, so it
//         reaches the service-message handling past every MAC check;
//   2 mod 4 with byte 1 odd: as even, into an engine behind a FakeTLS proxy
//         (the bytes meet the proxy-answer check, then the record reader).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/crypto/random.h"
#include "core/engine/client_engine.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/transport/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore;
  if (size < 1) return 0;
  constexpr int64_t kUnixNs = 1'750'000'000LL * 1'000'000'000LL;
  const absl::Time now = absl::UnixEpoch() + absl::Hours(1);
  crypto::DeterministicRandom rng(5);
  Bytes key(256);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 13 + 1);
  engine::EngineConfig c;
  c.framing = transport::Framing::kIntermediate;
  c.obfuscated = false;
  if ((data[0] & 3) == 2 && size > 1 && (data[1] & 1)) {
    c.proxy_secret = Bytes(16, 0x5a);
    c.fake_tls_domain = "example.com";
  }
  c.auth_key = engine::StoredAuthKey{key, 1};
  std::unique_ptr<engine::ClientEngine> e =
      *engine::ClientEngine::Create(std::move(c), rng, now, kUnixNs);
  e->OnConnected(now);
  e->Send(Bytes{1, 2, 3, 4});
  Bytes out;
  e->PullOutput(out);
  if (data[0] & 1) {
    // Learn the session id from what the engine sent.
    transport::FrameDecoder dec(transport::Framing::kIntermediate, transport::Sender::kClient);
    (void)dec.Feed(ByteView(out).subspan(4));  // past the preamble
    std::optional<transport::Frame> f = dec.Next();
    session::AuthKey k = *session::AuthKey::Create(key);
    absl::StatusOr<session::DecryptedMessage> m =
        session::DecryptMessage(k, session::Direction::kClientToServer, f->payload);
    session::MessageHeader h;
    h.salt = 1;
    h.session_id = m->header.session_id;
    session::MessageIdGenerator ids;
    h.msg_id = ids.Next(kUnixNs, session::MessageIdGenerator::Kind::kServerResponse);
    h.seq_no = 1;
    Bytes body(data + 1, data + size);
    body.resize(body.size() / 4 * 4);
    if (body.empty()) return 0;
    absl::StatusOr<Bytes> packet =
        session::EncryptMessage(k, session::Direction::kServerToClient, h, body, rng);
    if (!packet.ok()) return 0;
    Bytes wire;
    transport::FrameEncoder enc(transport::Framing::kIntermediate);
    (void)enc.EncodePacket(*packet, {}, wire);
    (void)e->OnBytes(wire, now);
  } else {
    size_t pos = 1;
    while (pos < size) {
      size_t n = 1 + data[pos] % 64;
      n = std::min(n, size - pos);
      if (!e->OnBytes(ByteView(data + pos, n), now).ok()) break;
      pos += n;
    }
  }
  while (e->PollEvent()) {
  }
  Bytes more;
  e->PullOutput(more);
  e->OnTimeout(now + absl::Seconds(100));
  e->OnDisconnected(absl::OkStatus(), now);
  return 0;
}
