#include "tests/dc/server_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/mtproto_kdf.h"
#include "core/crypto/aes_ige.h"
#include "core/crypto/sha.h"
#include "core/session/encrypted_message.h"
#include "core/session/unencrypted_message.h"

namespace mtcore::dc {
namespace {

constexpr size_t kReplayRing = 8;

// The quick ack token of a client packet: the first 32 bits (little-endian)
// of SHA256(auth_key[88:120] + plaintext with padding), top bit set (as
// TDLib and Telegram's servers compute it).
absl::StatusOr<uint32_t> QuickAckToken(const session::AuthKey& key, ByteView packet) {
  if (packet.size() < session::kMinEncryptedPacket) {
    return absl::InvalidArgumentError("quick ack: short packet");
  }
  const ByteView msg_key = packet.subspan(8, 16);
  MTCORE_ASSIGN_OR_RETURN(crypto::AesKeyIv kiv,
                          crypto::DeriveAesKeyIv(key.bytes(), msg_key,
                                                 crypto::KdfDirection::kClientToServer));
  ByteView cipher = packet.subspan(24);
  cipher = cipher.subspan(0, cipher.size() - cipher.size() % 16);
  Bytes plain(cipher.size());
  MTCORE_RETURN_IF_ERROR(crypto::AesIgeDecrypt(kiv.key, kiv.iv, cipher, MutableByteView(plain)));
  const crypto::Sha256Digest h = crypto::Sha256({key.bytes().subspan(88, 32), plain});
  SecureWipe(MutableByteView(plain));
  return LoadLe32(h.data()) | 0x80000000u;
}

}  // namespace

ServerConnection::ServerConnection(DcState& dc) : dc_(dc), id_(dc.NewConnectionId()) {}

ServerConnection::~ServerConnection() {
  if (!closed_) dc_.ConnectionClosed(id_);
}

void ServerConnection::SetWakeCallback(std::function<void()> wake) {
  dc_.SetWaker(id_, std::move(wake));
}

void ServerConnection::OnConnected(absl::Time now) { dc_.UnixNs(now); }

absl::Status ServerConnection::OnBytes(ByteView in, absl::Time now) {
  if (closing_ || closed_) return absl::OkStatus();
  const int64_t unix_ns = dc_.UnixNs(now);
  absl::Status s;
  if (!decoder_) {
    sniff_.insert(sniff_.end(), in.begin(), in.end());
    s = StartTransport(sniff_, now);
  } else if (obfuscation_) {
    Bytes plain(in.begin(), in.end());
    obfuscation_->Decrypt(MutableByteView(plain));
    s = FeedFrames(plain, now);
  } else {
    s = FeedFrames(in, now);
  }
  FlushSessions(unix_ns);
  return s;
}

absl::Status ServerConnection::StartTransport(ByteView first, absl::Time now) {
  transport::SniffResult sniff = transport::SniffPreamble(first);
  if (sniff.kind == transport::SniffResult::Kind::kNeedMoreBytes) return absl::OkStatus();
  size_t consumed = 0;
  if (sniff.kind == transport::SniffResult::Kind::kPlain) {
    framing_ = sniff.framing;
    consumed = sniff.preamble_size;
  } else {
    if (first.size() < transport::kObfuscatedInitSize) return absl::OkStatus();
    MTCORE_ASSIGN_OR_RETURN(
        transport::ServerObfuscation obf,
        transport::AcceptObfuscation(first.subspan(0, transport::kObfuscatedInitSize),
                                     dc_.options().secret));
    if (dc_.options().padded_only && obf.framing != transport::Framing::kPaddedIntermediate) {
      return absl::PermissionDeniedError(
          absl::StrCat("obfuscated2: this DC's dd secret requires padded intermediate, got ",
                       transport::FramingName(obf.framing)));
    }
    framing_ = obf.framing;
    obfuscation_.emplace(std::move(obf.stream));
    consumed = transport::kObfuscatedInitSize;
  }
  decoder_ = std::make_unique<transport::FrameDecoder>(*framing_, transport::Sender::kClient,
                                                       dc_.options().max_packet_size);
  encoder_ = std::make_unique<transport::FrameEncoder>(*framing_);
  Bytes rest(first.begin() + consumed, first.end());
  sniff_.clear();
  sniff_.shrink_to_fit();
  if (obfuscation_) obfuscation_->Decrypt(MutableByteView(rest));
  return FeedFrames(rest, now);
}

absl::Status ServerConnection::FeedFrames(ByteView plain, absl::Time now) {
  MTCORE_RETURN_IF_ERROR(decoder_->Feed(plain));
  while (std::optional<transport::Frame> f = decoder_->Next()) {
    if (closing_) break;
    if (f->kind != transport::Frame::Kind::kPacket) continue;  // not sent by clients
    MTCORE_RETURN_IF_ERROR(OnPacket(*f, now));
  }
  return absl::OkStatus();
}

absl::Status ServerConnection::OnPacket(const transport::Frame& frame, absl::Time now) {
  ++stats_.packets_in;
  const int max_rate = dc_.options().max_packets_per_second;
  if (max_rate > 0) {
    recent_packets_.push_back(now);
    while (!recent_packets_.empty() && recent_packets_.front() <= now - absl::Seconds(1)) {
      recent_packets_.pop_front();
    }
    if (recent_packets_.size() > static_cast<size_t>(max_rate)) {
      SendTransportError(-429);
      return absl::OkStatus();
    }
  }
  const double p = dc_.options().faults.close_probability;
  if (p > 0) {
    const double draw = static_cast<double>(crypto::RandomBelow(dc_.rng(), uint64_t{1} << 53)) /
                        static_cast<double>(uint64_t{1} << 53);
    if (draw < p) {
      closing_ = true;
      return absl::OkStatus();
    }
  }
  const int64_t unix_ns = dc_.UnixNs(now);
  MTCORE_ASSIGN_OR_RETURN(uint64_t auth_key_id, session::PacketAuthKeyId(frame.payload));
  if (auth_key_id == 0) return OnUnencrypted(frame.payload, unix_ns);
  return OnEncrypted(frame, auth_key_id, unix_ns, now);
}

absl::Status ServerConnection::OnUnencrypted(ByteView packet, int64_t unix_ns) {
  MTCORE_ASSIGN_OR_RETURN(session::UnencryptedMessage m,
                          session::ParseUnencrypted(packet, padded()));
  if (!handshake_) {
    handshake_ = std::make_unique<handshake::ServerHandshake>(dc_.HandshakeConfig(), dc_.rng());
  }
  MTCORE_ASSIGN_OR_RETURN(Bytes reply, handshake_->OnMessage(m.body, unix_ns));
  SendPacket(session::WrapUnencrypted(
      unencrypted_ids_.Next(unix_ns, session::MessageIdGenerator::Kind::kServerResponse), reply));
  if (handshake_->done()) {
    dc_.AddKey(handshake_->result(), unix_ns);
    ++stats_.handshakes_completed;
    handshake_.reset();  // a client may make another key on this connection
  }
  return absl::OkStatus();
}

absl::Status ServerConnection::OnEncrypted(const transport::Frame& frame, uint64_t auth_key_id,
                                           int64_t unix_ns, absl::Time now) {
  DcAuthKey* key = dc_.FindKey(auth_key_id, unix_ns);
  if (key == nullptr) {
    SendTransportError(-404);
    return absl::OkStatus();
  }
  MTCORE_ASSIGN_OR_RETURN(session::DecryptedMessage m,
                          session::DecryptMessage(key->key, session::Direction::kClientToServer,
                                                  frame.payload, padded()));
  if (frame.quick_ack_requested) {
    absl::StatusOr<uint32_t> token = QuickAckToken(key->key, frame.payload);
    if (token.ok()) {
      Bytes framed;
      if (encoder_->EncodeQuickAck(*token, framed).ok()) {
        Emit(std::move(framed));
        ++stats_.quick_acks_sent;
      }
    }
  }
  ServerSession& session = dc_.SessionFor(*key, m.header.session_id, unix_ns);
  session.set_carrier(id_);
  SessionEvents events = session.OnMessage(m, unix_ns);
  if (events.disconnect_delay_s) disconnect_at_ = now + absl::Seconds(*events.disconnect_delay_s);
  return absl::OkStatus();
}

void ServerConnection::FlushSessions(int64_t unix_ns) {
  if (!encoder_ || closing_) return;
  dc_.ForEachCarried(id_, [&](ServerSession& s) {
    for (Bytes& p : s.TakePackets(unix_ns)) SendEncrypted(p);
  });
}

void ServerConnection::SendEncrypted(const Bytes& packet) {
  const DcFaults& f = dc_.options().faults;
  SendPacket(packet);
  ++encrypted_sent_;
  ++stats_.packets_out;
  if (f.duplicate_every_n_packets != 0 && encrypted_sent_ % f.duplicate_every_n_packets == 0) {
    SendPacket(packet);
    ++stats_.packets_out;
  }
  if (f.replay_every_n_packets != 0 && encrypted_sent_ % f.replay_every_n_packets == 0 &&
      !sent_ring_.empty()) {
    SendPacket(sent_ring_.front());  // the oldest remembered
    ++stats_.packets_out;
  }
  if (f.replay_every_n_packets != 0) {
    sent_ring_.push_back(packet);
    if (sent_ring_.size() > kReplayRing) sent_ring_.pop_front();
  }
}

void ServerConnection::SendPacket(ByteView packet) {
  Bytes framed;
  transport::EncodeOptions opts;
  Bytes padding;
  if (padded()) {
    padding = crypto::RandomBytes(dc_.rng(), crypto::RandomBelow(dc_.rng(), 16));
    opts.padding = padding;
  }
  if (!encoder_->EncodePacket(packet, opts, framed).ok()) return;  // not a valid packet: drop
  Emit(std::move(framed));
}

void ServerConnection::SendTransportError(int32_t code) {
  Bytes framed;
  if (encoder_ && encoder_->EncodeTransportError(code, framed).ok()) Emit(std::move(framed));
  stats_.transport_error_sent = code;
  closing_ = true;
}

void ServerConnection::Emit(Bytes framed) {
  if (obfuscation_) obfuscation_->Encrypt(MutableByteView(framed));
  out_.insert(out_.end(), framed.begin(), framed.end());
}

void ServerConnection::PullOutput(Bytes& out) {
  if (!closed_) FlushSessions(dc_.LatestUnixNs());
  const uint64_t limit = dc_.options().faults.close_after_bytes;
  if (limit != 0 && stats_.bytes_out + out_.size() >= limit) {
    out_.resize(static_cast<size_t>(limit - stats_.bytes_out));
    closing_ = true;
  }
  stats_.bytes_out += out_.size();
  out.insert(out.end(), out_.begin(), out_.end());
  out_.clear();
}

void ServerConnection::OnTimeout(absl::Time now) {
  dc_.UnixNs(now);
  if (disconnect_at_ && now >= *disconnect_at_) {
    disconnect_at_.reset();
    closing_ = true;
  }
}

void ServerConnection::OnDisconnected(const absl::Status& /*why*/, absl::Time now) {
  dc_.UnixNs(now);
  if (!closed_) dc_.ConnectionClosed(id_);
  closed_ = true;
  disconnect_at_.reset();
}

}  // namespace mtcore::dc
