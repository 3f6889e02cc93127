// A ClientEngine with an auth key, connected to a scripted "server" that
// decodes what the engine sends and encrypts answers for it, for the engine
// benchmarks (native Google Benchmark and the wasm timing loop).
//
// Send path measured:    ClientEngine::Send + PullOutput
//                        (session, msg_id/seq_no, encrypt, frame, obfuscate).
// Receive path measured: ClientEngine::OnBytes + PollEvent
//                        (de-obfuscate, deframe, decrypt + every check,
//                        rpc_result routing, the event).
#ifndef MTCORE_BENCH_ENGINE_FIXTURE_H_
#define MTCORE_BENCH_ENGINE_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "core/engine/client_engine.h"
#include "core/session/encrypted_message.h"
#include "core/session/message_id.h"
#include "core/session/service_messages.h"
#include "core/transport/framing.h"
#include "core/transport/obfuscated2.h"

namespace mtcore::bench {

class EngineFixture {
 public:
  EngineFixture() : rng_(7), now_(absl::UnixEpoch() + absl::Hours(10)) {
    Bytes key(256);
    rng_.Fill(absl::MakeSpan(key));
    key_.emplace(*session::AuthKey::Create(key));
    engine::EngineConfig c;
    c.framing = transport::Framing::kIntermediate;
    c.obfuscated = true;
    c.auth_key = engine::StoredAuthKey{key, 0x1234};
    c.session.ping_interval = absl::Hours(100);  // no pings in the middle of a run
    c.session.max_pending_acks = 1u << 30;       // acks only when the fixture flushes
    // Every Send goes out at the next PullOutput: the benchmarks measure the
    // cost per request, not the session's in-flight window.
    c.session.max_requests_in_flight = 0;
    c.session.max_bytes_in_flight = 0;
    engine_ = *engine::ClientEngine::Create(std::move(c), rng_, now_, kUnixNs);
    engine_->OnConnected(now_);
    // Learn the connection and the session from the first bytes.
    engine_->Send(Query(64));
    Bytes out;
    engine_->PullOutput(out);
    server_stream_.emplace(std::move(
        transport::AcceptObfuscation(ByteView(out.data(), transport::kObfuscatedInitSize), {})
            ->stream));
    std::vector<session::DecryptedMessage> msgs =
        Decode(ByteView(out.data() + transport::kObfuscatedInitSize,
                        out.size() - transport::kObfuscatedInitSize));
    session_id_ = msgs.at(0).header.session_id;
    while (engine_->PollEvent()) {
    }
  }

  // A small query body (a constructor id and `size - 4` bytes).
  Bytes Query(size_t size) {
    Bytes q(size);
    rng_.Fill(absl::MakeSpan(q));
    StoreLe32(q.data(), kQueryId);
    return q;
  }

  engine::ClientEngine& engine() { return *engine_; }
  absl::Time now() const { return now_; }

  // Decodes engine output into messages (containers flattened are not
  // needed: the fixture reads the outer messages).
  std::vector<session::DecryptedMessage> Decode(ByteView wire) {
    Bytes plain(wire.begin(), wire.end());
    server_stream_->Decrypt(absl::MakeSpan(plain));
    (void)decoder_.Feed(plain);
    std::vector<session::DecryptedMessage> out;
    while (std::optional<transport::Frame> f = decoder_.Next()) {
      absl::StatusOr<session::DecryptedMessage> m =
          session::DecryptMessage(*key_, session::Direction::kClientToServer, f->payload);
      if (m.ok()) out.push_back(*std::move(m));
    }
    return out;
  }

  // The msg_ids of the fixture's queries in `wire` (containers opened).
  std::vector<int64_t> RequestIds(ByteView wire) {
    std::vector<int64_t> ids;
    std::vector<session::DecryptedMessage> msgs = Decode(wire);
    for (const session::DecryptedMessage& m : msgs) {
      if (session::FirstId(m.body) == session::ids::kMsgContainer) {
        absl::StatusOr<std::vector<session::ContainerItem>> items =
            session::ParseContainer(m.body);
        if (!items.ok()) continue;
        for (const session::ContainerItem& i : *items) {
          if (session::FirstId(i.body) == kQueryId) ids.push_back(i.msg_id);
        }
      } else if (session::FirstId(m.body) == kQueryId) {
        ids.push_back(m.header.msg_id);
      }
    }
    return ids;
  }

  // Wire bytes (framed, obfuscated) of one server packet answering `req_msg_id`.
  Bytes Answer(int64_t req_msg_id, ByteView result) {
    Bytes body = session::BuildRpcResult(req_msg_id, result);
    session::MessageHeader h;
    h.salt = 0x1234;
    h.session_id = session_id_;
    h.msg_id = server_ids_.Next(kUnixNs, session::MessageIdGenerator::Kind::kServerResponse);
    h.seq_no = server_seq_++ * 2 + 1;
    Bytes packet = *session::EncryptMessage(*key_, session::Direction::kServerToClient, h, body, rng_);
    Bytes wire;
    (void)encoder_.EncodePacket(packet, {}, wire);
    server_stream_->Encrypt(absl::MakeSpan(wire));
    return wire;
  }

  // messages.sendMessage's id marks the fixture's queries.
  static constexpr uint32_t kQueryId = 0x0d9d75a4;
  static constexpr int64_t kUnixNs = 1'750'000'000LL * 1'000'000'000LL;

 private:
  crypto::DeterministicRandom rng_;
  absl::Time now_;
  std::optional<session::AuthKey> key_;
  std::unique_ptr<engine::ClientEngine> engine_;
  std::optional<transport::ObfuscatedStream> server_stream_;
  transport::FrameDecoder decoder_{transport::Framing::kIntermediate, transport::Sender::kClient};
  transport::FrameEncoder encoder_{transport::Framing::kIntermediate};
  uint64_t session_id_ = 0;
  session::MessageIdGenerator server_ids_;
  int32_t server_seq_ = 0;
};

}  // namespace mtcore::bench

#endif  // MTCORE_BENCH_ENGINE_FIXTURE_H_
