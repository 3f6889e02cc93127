#include "tests/dc/server_connection.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/escaping.h"
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
constexpr int64_t kNsPerSecond = 1000000000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0 && a < 0) ? 1 : 0); }

// Whether the first bytes start with `prefix`: kMaybe while fewer bytes than
// the prefix have come and they match so far.
enum class Start { kNo, kMaybe, kYes };
Start MatchPrefix(ByteView first, ByteView prefix) {
  const size_t have = std::min(first.size(), prefix.size());
  if (!std::equal(first.begin(), first.begin() + have, prefix.begin())) return Start::kNo;
  return have == prefix.size() ? Start::kYes : Start::kMaybe;
}

// Whether the first bytes are a TLS ClientHello record. On a DC with FakeTLS
// any handshake record header (16 03 01) is one: hellos come in many sizes
// (mtcute's, with a post-quantum key share, is about 1.8 KB). Elsewhere only
// 16 03 01 02 (a 512..767-byte hello), which obfuscated2 clients never
// start their init with; other bytes go down the obfuscated2 path as before.
Start LooksLikeClientHello(ByteView first, bool fake_tls_dc) {
  static constexpr uint8_t kHelloStart[] = {0x16, 0x03, 0x01, 0x02};
  return MatchPrefix(first, ByteView(kHelloStart, fake_tls_dc ? 3 : 4));
}

// Whether the first bytes are a WebSocket upgrade request ("GET ", which no
// MTProto transport starts with: obfuscated2 inits avoid it, and as a full
// transport length it would be over 500 MB).
Start LooksLikeWebSocket(ByteView first) { return MatchPrefix(first, AsBytes("GET ")); }

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
  if (ws_) {
    s = FeedWebSocket(in, now);
  } else if (tls_reader_) {
    Bytes inner;
    s = tls_reader_->Feed(in, inner);
    if (s.ok()) s = OnStreamBytes(inner, now);
  } else if (!decoder_) {
    sniff_.insert(sniff_.end(), in.begin(), in.end());
    s = StartTransport(sniff_, now);
  } else {
    s = OnStreamBytes(in, now);
  }
  FlushSessions(unix_ns);
  return s;
}

absl::Status ServerConnection::OnStreamBytes(ByteView in, absl::Time now) {
  if (!decoder_) {  // inside FakeTLS or WebSocket, before the whole obfuscated2 init is in
    sniff_.insert(sniff_.end(), in.begin(), in.end());
    if (ws_) return StartInsideWebSocket(sniff_, now);
    return StartObfuscated(sniff_, now);
  }
  if (!obfuscation_) return FeedFrames(in, now);
  Bytes plain(in.begin(), in.end());
  obfuscation_->Decrypt(MutableByteView(plain));
  return FeedFrames(plain, now);
}

absl::Status ServerConnection::StartTransport(ByteView first, absl::Time now) {
  const DcOptions& o = dc_.options();
  switch (LooksLikeClientHello(first, !o.fake_tls_domain.empty())) {
    case Start::kMaybe:
      return absl::OkStatus();
    case Start::kYes:
      if (o.fake_tls_domain.empty()) {
        return absl::FailedPreconditionError(
            "FakeTLS: the client opened with a TLS ClientHello, but this DC has no FakeTLS "
            "(no ee secret / fake_tls_domain)");
      }
      return StartFakeTls(first, now);
    case Start::kNo:
      break;
  }
  if (o.fake_tls_only) {
    return absl::PermissionDeniedError(absl::StrCat(
        "FakeTLS: this DC accepts only FakeTLS connections; the client opened with 0x",
        absl::Hex(int{first[0]}, absl::kZeroPad2), ", not a TLS ClientHello"));
  }
  switch (LooksLikeWebSocket(first)) {
    case Start::kMaybe:
      return absl::OkStatus();
    case Start::kYes:
      return StartWebSocket(first, now);
    case Start::kNo:
      break;
  }
  transport::SniffResult sniff = transport::SniffPreamble(first);
  if (sniff.kind == transport::SniffResult::Kind::kNeedMoreBytes) return absl::OkStatus();
  if (sniff.kind == transport::SniffResult::Kind::kObfuscated) return StartObfuscated(first, now);
  framing_ = sniff.framing;
  return StartFraming(first, sniff.preamble_size, now);
}

absl::Status ServerConnection::StartWebSocket(ByteView first, absl::Time now) {
  ws_.emplace();
  Bytes request(first.begin(), first.end());
  sniff_.clear();
  sniff_.shrink_to_fit();
  return FeedWebSocket(request, now);
}

absl::Status ServerConnection::FeedWebSocket(ByteView in, absl::Time now) {
  Bytes inner;
  absl::Status s = ws_->Feed(in, inner, out_);  // the 101, pongs, the close; or a 400 / close
  if (s.ok() && !inner.empty()) {
    s = OnStreamBytes(inner, now);
    // The stream inside failed: what the sessions answered so far goes out
    // (as on TCP), then a close frame, before the driver closes TCP (a
    // browser would otherwise see 1006, no close frame).
    if (!s.ok()) {
      FlushSessions(dc_.UnixNs(now));
      ws_->Close(WebSocketCloseCodeFor(s), out_);
    }
  }
  if (ws_->closed()) closing_ = true;
  return s;
}

absl::Status ServerConnection::StartInsideWebSocket(ByteView first, absl::Time now) {
  const transport::SniffResult sniff = transport::SniffPreamble(first);
  if (sniff.kind == transport::SniffResult::Kind::kNeedMoreBytes) return absl::OkStatus();
  if (sniff.kind == transport::SniffResult::Kind::kPlain) {
    return absl::FailedPreconditionError(absl::StrCat(
        "WebSocket: only obfuscated2 is accepted inside WebSocket; the client sent unobfuscated ",
        transport::FramingName(sniff.framing)));
  }
  return StartObfuscated(first, now);
}

absl::Status ServerConnection::StartFakeTls(ByteView first, absl::Time now) {
  const DcOptions& o = dc_.options();
  const int64_t unix_ns = dc_.UnixNs(now);
  const int64_t unix_s = FloorDiv(unix_ns, kNsPerSecond);
  MTCORE_ASSIGN_OR_RETURN(
      std::optional<transport::FakeTlsClientInfo> hello,
      transport::ParseFakeTlsClientHello(
          first, o.secret,
          static_cast<int32_t>(std::clamp<int64_t>(unix_s, INT32_MIN, INT32_MAX)),
          kFakeTlsMaxSkewS));
  if (!hello) return absl::OkStatus();  // wait for the rest of it
  if (hello->sni_domain != o.fake_tls_domain) {
    return absl::PermissionDeniedError(absl::StrCat(
        "FakeTLS: the ClientHello is for '", absl::CHexEscape(hello->sni_domain),
        "', this DC serves '", o.fake_tls_domain, "'"));
  }
  if (!dc_.RememberFakeTlsRandom(hello->client_random, unix_ns)) {
    return absl::PermissionDeniedError(
        "FakeTLS: replayed ClientHello (its client random was accepted before)");
  }
  MTCORE_ASSIGN_OR_RETURN(Bytes answer,
                          transport::BuildFakeTlsServerHello(*hello, o.secret, dc_.rng()));
  out_.insert(out_.end(), answer.begin(), answer.end());
  tls_reader_.emplace();
  tls_writer_.emplace(transport::TlsRecordWriter::Role::kServer);
  // Whatever came after the hello (the client's ChangeCipherSpec and first
  // records, if it did not wait for our answer).
  Bytes rest(first.begin() + hello->size, first.end());
  sniff_.clear();
  sniff_.shrink_to_fit();
  Bytes inner;
  MTCORE_RETURN_IF_ERROR(tls_reader_->Feed(rest, inner));
  return OnStreamBytes(inner, now);
}

absl::Status ServerConnection::StartObfuscated(ByteView first, absl::Time now) {
  if (first.size() < transport::kObfuscatedInitSize) return absl::OkStatus();
  const DcOptions& o = dc_.options();
  MTCORE_ASSIGN_OR_RETURN(
      transport::ServerObfuscation obf,
      transport::AcceptObfuscation(first.subspan(0, transport::kObfuscatedInitSize), o.secret));
  if (obf.framing != transport::Framing::kPaddedIntermediate) {
    if (o.padded_only) {
      return absl::PermissionDeniedError(
          absl::StrCat("obfuscated2: this DC's dd secret requires padded intermediate, got ",
                       transport::FramingName(obf.framing)));
    }
    if (o.fake_tls_only) {
      return absl::PermissionDeniedError(
          absl::StrCat("FakeTLS: this DC requires padded intermediate inside FakeTLS, got ",
                       transport::FramingName(obf.framing)));
    }
  }
  framing_ = obf.framing;
  obfuscation_.emplace(std::move(obf.stream));
  return StartFraming(first, transport::kObfuscatedInitSize, now);
}

absl::Status ServerConnection::StartFraming(ByteView first, size_t consumed, absl::Time now) {
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
  // After the error packet: the DC will not serve this connection further.
  CloseDeliberately(kWebSocketClosePolicyViolation);
}

void ServerConnection::CloseDeliberately(uint16_t websocket_code) {
  if (ws_) ws_->Close(websocket_code, out_);  // a browser sees the code, not 1006
  closing_ = true;
}

void ServerConnection::Emit(Bytes framed) {
  if (obfuscation_) obfuscation_->Encrypt(MutableByteView(framed));
  if (ws_) {
    ws_->WrapBinary(framed, out_);  // nothing once the close is answered
    return;
  }
  if (tls_writer_) {
    tls_writer_->Wrap(framed, out_);
    return;
  }
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

std::optional<absl::Time> ServerConnection::NextDeadline() {
  std::optional<absl::Time> d = disconnect_at_;
  if (closing_ || closed_ || !encoder_) return d;
  dc_.ForEachCarried(id_, [&](ServerSession& s) {
    std::optional<int64_t> due = s.NextAnswerDueNs();
    if (!due.has_value()) return;
    const absl::Time t = dc_.MonotonicAt(*due);
    if (!d.has_value() || t < *d) d = t;
  });
  return d;
}

void ServerConnection::OnTimeout(absl::Time now) {
  const int64_t unix_ns = dc_.UnixNs(now);
  if (disconnect_at_ && now >= *disconnect_at_) {  // the client's ping_delay_disconnect
    disconnect_at_.reset();
    FlushSessions(unix_ns);
    CloseDeliberately(kWebSocketCloseNormal);
    return;
  }
  FlushSessions(unix_ns);  // answers the slow-answer fault held, now due
}

void ServerConnection::OnDisconnected(const absl::Status& /*why*/, absl::Time now) {
  dc_.UnixNs(now);
  if (!closed_) dc_.ConnectionClosed(id_);
  closed_ = true;
  disconnect_at_.reset();
}

}  // namespace mtcore::dc
