#include "tests/dc/test_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/sha.h"
#include "core/session/unencrypted_message.h"
#include "core/session/service_messages.h"
#include "tests/dc/server_messages.h"
#include "tl/writer.h"

namespace mtcore::dc::testing {

TestClient::TestClient(TestClientOptions options, crypto::RandomSource& rng)
    : options_(std::move(options)),
      rng_(rng),
      encoder_(options_.framing),
      decoder_(options_.framing, transport::Sender::kServer) {
  session_id_ = crypto::RandomU64(rng_);
}

TestClient::~TestClient() = default;

absl::Status TestClient::Start() {
  if (!options_.obfuscated) {
    Bytes p = transport::Preamble(options_.framing);
    out_.insert(out_.end(), p.begin(), p.end());
    return absl::OkStatus();
  }
  transport::ObfuscationParams params;
  params.framing = options_.framing;
  params.dc_id = static_cast<int16_t>(options_.dc_id);
  params.secret = options_.secret;
  MTCORE_ASSIGN_OR_RETURN(transport::ClientObfuscation obf,
                          transport::StartClientObfuscation(params, rng_));
  out_.insert(out_.end(), obf.init.begin(), obf.init.end());
  obfuscation_.emplace(std::move(obf.stream));
  return absl::OkStatus();
}

absl::Status TestClient::StartHandshake(int64_t unix_ns) {
  handshake::ClientHandshakeConfig config;
  config.server_keys = options_.server_keys;
  config.dc_id = options_.dc_id;
  config.temp_key_expires_in = options_.temp_key_expires_in;
  handshake_ = std::make_unique<handshake::ClientHandshake>(config, rng_, prime_cache_);
  MTCORE_ASSIGN_OR_RETURN(Bytes body, handshake_->Start(unix_ns));
  Frame(session::WrapUnencrypted(ids_.Next(unix_ns), body), false);
  return absl::OkStatus();
}

absl::Status TestClient::UseKey(ByteView auth_key, uint64_t salt) {
  MTCORE_ASSIGN_OR_RETURN(session::AuthKey k, session::AuthKey::Create(auth_key));
  key_.emplace(std::move(k));
  salt_ = salt;
  return absl::OkStatus();
}

void TestClient::Frame(ByteView packet, bool quick_ack) {
  Bytes framed;
  transport::EncodeOptions opts;
  opts.request_quick_ack = quick_ack;
  Bytes padding;
  if (options_.framing == transport::Framing::kPaddedIntermediate) {
    padding = crypto::RandomBytes(rng_, crypto::RandomBelow(rng_, 16));
    opts.padding = padding;
  }
  if (!encoder_.EncodePacket(packet, opts, framed).ok()) return;
  if (obfuscation_) obfuscation_->Encrypt(MutableByteView(framed));
  out_.insert(out_.end(), framed.begin(), framed.end());
}

absl::StatusOr<int64_t> TestClient::Send(ByteView body, int64_t unix_ns,
                                         const SendOptions& options) {
  if (!key_) return absl::FailedPreconditionError("TestClient: no auth key yet");
  session::MessageHeader h;
  h.salt = options.salt.value_or(salt_);
  h.session_id = options.session_id.value_or(session_id_);
  h.msg_id = options.msg_id.value_or(ids_.Next(unix_ns + time_offset_ns_));
  h.seq_no = options.seq_no.value_or(options.content ? 2 * content_sent_++ + 1 : 2 * content_sent_);
  MTCORE_ASSIGN_OR_RETURN(Bytes packet, session::EncryptMessage(
                                            *key_, session::Direction::kClientToServer, h, body,
                                            rng_));
  if (options.quick_ack) {
    // The token from the plaintext with padding, as the server must compute it.
    MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv kiv,
                            crypto::DeriveAesKeyIv(key_->bytes(), ByteView(packet).subspan(8, 16),
                                                   crypto::KdfDirection::kClientToServer));
    Bytes plain(packet.size() - 24);
    MTCORE_RETURN_IF_ERROR(crypto::AesIgeDecrypt(kiv.key, kiv.iv, ByteView(packet).subspan(24),
                                                 MutableByteView(plain)));
    crypto::Sha256Digest d = crypto::Sha256({key_->bytes().subspan(88, 32), plain});
    expected_quick_ack_ = LoadLe32(d.data()) | 0x80000000u;
  }
  Frame(packet, options.quick_ack);
  return h.msg_id;
}

absl::Status TestClient::SendPacket(ByteView packet, bool quick_ack) {
  Frame(packet, quick_ack);
  return absl::OkStatus();
}

Bytes TestClient::TakeOutput() { return std::exchange(out_, Bytes()); }

absl::Status TestClient::OnBytes(ByteView in, int64_t unix_ns) {
  Bytes plain(in.begin(), in.end());
  if (obfuscation_) obfuscation_->Decrypt(MutableByteView(plain));
  MTCORE_RETURN_IF_ERROR(decoder_.Feed(plain));
  while (std::optional<transport::Frame> f = decoder_.Next()) {
    switch (f->kind) {
      case transport::Frame::Kind::kQuickAck:
        quick_acks_.push_back(f->quick_ack_token);
        break;
      case transport::Frame::Kind::kTransportError:
        transport_errors_.push_back(f->transport_error);
        break;
      case transport::Frame::Kind::kPacket:
        MTCORE_RETURN_IF_ERROR(OnPacket(f->payload, unix_ns));
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status TestClient::OnPacket(ByteView packet, int64_t unix_ns) {
  MTCORE_ASSIGN_OR_RETURN(uint64_t key_id, session::PacketAuthKeyId(packet));
  const bool padded = options_.framing == transport::Framing::kPaddedIntermediate;
  if (key_id == 0) {
    if (!handshake_) return absl::FailedPreconditionError("unexpected unencrypted message");
    MTCORE_ASSIGN_OR_RETURN(session::UnencryptedMessage m,
                            session::ParseUnencrypted(packet, padded));
    MTCORE_ASSIGN_OR_RETURN(std::optional<Bytes> next, handshake_->OnMessage(m.body, unix_ns));
    if (next) {
      Frame(session::WrapUnencrypted(ids_.Next(unix_ns), *next), false);
    } else {
      MTCORE_RETURN_IF_ERROR(UseKey(handshake_->result().auth_key, handshake_->result().server_salt));
      time_offset_ns_ = handshake_->result().server_time_offset_ns;
      ids_.Reset();  // the exchange's ids were on the uncorrected clock
      handshake_.reset();
    }
    return absl::OkStatus();
  }
  if (!key_) return absl::FailedPreconditionError("encrypted message before a key");
  MTCORE_ASSIGN_OR_RETURN(session::DecryptedMessage m,
                          session::DecryptMessage(*key_, session::Direction::kServerToClient,
                                                  packet, padded));
  if (m.header.session_id != session_id_) {
    return absl::DataLossError(absl::StrCat("server message for session ", m.header.session_id));
  }
  // Duplicates and replays only: a client whose clock is off must still read
  // the bad_msg_notification that tells it so.
  if (!inbound_.CheckWithoutTime(m.header.msg_id).ok()) {
    ++rejected_packets_;
    return absl::OkStatus();
  }
  if (session::FirstId(m.body) == ids::kMsgContainer) {
    MTCORE_ASSIGN_OR_RETURN(std::vector<session::ContainerItem> items,
                            session::ParseContainer(m.body));
    for (const session::ContainerItem& item : items) {
      received_.push_back({item.msg_id, item.seq_no, ToBytes(item.body)});
    }
    return absl::OkStatus();
  }
  ServerMessage s;
  s.msg_id = m.header.msg_id;
  s.seq_no = m.header.seq_no;
  s.body = std::move(m.body);
  received_.push_back(std::move(s));
  return absl::OkStatus();
}

const ServerMessage* TestClient::Find(uint32_t id) const {
  for (const ServerMessage& m : received_) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

InMemoryLink::InMemoryLink(TestClient& client, StreamEngine& server, absl::Time now)
    : client_(client), server_(server), now_(now) {
  server_.OnConnected(now_);
  (void)client_.Start();
}

absl::Status InMemoryLink::Pump(size_t chunk) {
  for (int round = 0; round < 64; ++round) {
    if (closed_) return absl::OkStatus();
    Bytes up = client_.TakeOutput();
    if (!up.empty()) {
      const size_t step = chunk == 0 ? up.size() : chunk;
      for (size_t i = 0; i < up.size(); i += step) {
        absl::Status s =
            server_.OnBytes(ByteView(up).subspan(i, std::min(step, up.size() - i)), now_);
        if (!s.ok()) {
          closed_ = true;
          server_.OnDisconnected(s, now_);
          return s;
        }
      }
    }
    Bytes down;
    server_.PullOutput(down);
    if (!down.empty()) MTCORE_RETURN_IF_ERROR(client_.OnBytes(down, unix_ns()));
    if (server_.WantsClose()) {
      closed_ = true;
      server_.OnDisconnected(absl::OkStatus(), now_);
      return absl::OkStatus();
    }
    if (up.empty() && down.empty()) return absl::OkStatus();
  }
  return absl::InternalError("InMemoryLink: still busy after 64 rounds");
}

absl::Status InMemoryLink::Handshake() {
  MTCORE_RETURN_IF_ERROR(client_.StartHandshake(unix_ns()));
  MTCORE_RETURN_IF_ERROR(Pump());
  if (!client_.has_key()) return absl::InternalError("key exchange did not finish");
  return absl::OkStatus();
}

void InMemoryLink::Advance(absl::Duration d) { now_ += d; }

void InMemoryLink::FireTimer() {
  std::optional<absl::Time> due = server_.NextDeadline();
  if (due && *due <= now_) server_.OnTimeout(now_);
}

RpcReply EchoWorld::Handle(const RpcRequest& request) {
  requests.push_back({request.session, request.req_msg_id, ToBytes(request.query)});
  const uint32_t id = request.query.size() >= 4 ? LoadLe32(request.query.data()) : 0;
  if (id == kEchoErrorQuery) return RpcReply::Error(400, "ECHO_ERROR");
  if (id == kEchoBigQuery) {
    Bytes big(4096);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i % 7);
    return RpcReply::Ok(std::move(big));
  }
  if (id == kEchoPushQuery) {
    request.session->Push(QueryBody(kPushedUpdate));
  }
  return RpcReply::Ok(ToBytes(request.query));
}

void EchoWorld::SessionClosed(SessionPort* port) { closed_sessions.push_back(port->session_id()); }

void EchoWorld::AuthKeysForgotten(int dc_id) { forgotten_dcs.push_back(dc_id); }

Bytes RpcDropAnswerBody(int64_t req_msg_id) {
  Bytes out(12);
  tl::Writer w(out.data());
  w.WriteUint32(ids::kRpcDropAnswer);
  w.WriteInt64(req_msg_id);
  return out;
}

Bytes HttpWaitBody(int32_t max_delay_ms, int32_t wait_after_ms, int32_t max_wait_ms) {
  Bytes out(16);
  tl::Writer w(out.data());
  w.WriteUint32(ids::kHttpWait);
  w.WriteInt32(max_delay_ms);
  w.WriteInt32(wait_after_ms);
  w.WriteInt32(max_wait_ms);
  return out;
}

Bytes QueryBody(uint32_t id, ByteView payload) {
  Bytes out(4);
  StoreLe32(out.data(), id);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes ContainerBody(const std::vector<Contained>& messages) {
  std::vector<session::OutgoingMessage> out;
  out.reserve(messages.size());
  for (const Contained& m : messages) out.push_back({m.msg_id, m.seq_no, m.body});
  return session::BuildContainer(out);
}

}  // namespace mtcore::dc::testing
