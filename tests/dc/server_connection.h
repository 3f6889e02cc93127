// One accepted client connection to the simulated DC, as a sans-I/O
// StreamEngine (core/stream/stream_engine.h).
//
// The first bytes pick the transport (transport::SniffPreamble): abridged,
// intermediate, padded intermediate or full, or an obfuscated2 init
// (transport::AcceptObfuscation, under the DC's MTProxy secret if it has one;
// a `dd` secret also requires padded intermediate). On a DC with FakeTLS
// (DcOptions::fake_tls_domain), a TLS handshake record (16 03 01) is a
// ClientHello (transport::ParseFakeTlsClientHello: the secret's HMAC, the
// client's time against the DC's clock; then its server_name and the DC's
// replay cache); the connection answers BuildFakeTlsServerHello, and from
// then on unwraps TLS records (TlsRecordReader) into an obfuscated2 stream
// and wraps all it sends in records (TlsRecordWriter). Elsewhere a hello
// (16 03 01 02, which no obfuscated2 init starts with) ends the connection
// with FailedPrecondition. On a DC that is not FakeTLS-only, "GET " opens a
// WebSocket (WebSocketServer, tests/dc/websocket_server.h: the RFC 6455
// handshake, then client frames unmasked into a stream and everything sent
// wrapped in binary frames), as Telegram's web clients connect to /apiws;
// inside it only an obfuscated2 init is accepted (as on Telegram's servers;
// neither plain transports (FailedPrecondition) nor FakeTLS), under the DC's
// secret like on TCP. A client's close frame is answered and ends the
// connection; when the stream inside fails (a bad init, bad framing, the key
// exchange, decryption), a close frame (WebSocketCloseCodeFor: 1002, or 1011
// for the DC's own errors) is left for the driver before it closes. Then every packet is:
//   - unencrypted (auth_key_id 0): a step of the key exchange with this
//     connection's ServerHandshake (the DC's RSA key, forced dh_gen_retry
//     fault); the finished key goes into the DC's key store;
//   - encrypted: looked up by auth_key_id (unknown or expired key: transport
//     error -404, then close), decrypted (any failed check ends the
//     connection with the error), answered with a quick ack if asked for, and
//     handed to its ServerSession, which this connection then carries: the
//     session's answers and pushes go out here until another connection
//     carries it.
// More than DcOptions::max_packets_per_second packets within a second:
// transport error -429, then close. The fault knobs of DcFaults that concern
// a connection (close after N bytes, random close, replays, duplicates) act
// here.
//
// Example (what a driver does; see io/native/driver.h):
//   ServerConnection conn(dc_state);
//   conn.OnConnected(now);
//   MTCORE_RETURN_IF_ERROR(conn.OnBytes(bytes, now));   // error: close
//   Bytes out; conn.PullOutput(out); send(out);
//   if (conn.WantsClose()) close();
#ifndef MTCORE_TESTS_DC_SERVER_CONNECTION_H_
#define MTCORE_TESTS_DC_SERVER_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/handshake/server_handshake.h"
#include "core/session/message_id.h"
#include "core/stream/stream_engine.h"
#include "core/transport/fake_tls.h"
#include "core/transport/framing.h"
#include "core/transport/obfuscated2.h"
#include "tests/dc/dc_state.h"
#include "tests/dc/websocket_server.h"

namespace mtcore::dc {

struct ConnectionStats {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;          // encrypted packets sent (replays included)
  uint64_t handshakes_completed = 0;
  uint64_t quick_acks_sent = 0;
  int32_t transport_error_sent = 0;  // the last one (-404, -429), 0 if none
  uint64_t bytes_out = 0;
};

class ServerConnection final : public StreamEngine {
 public:
  // `dc` must outlive the connection.
  explicit ServerConnection(DcState& dc);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // StreamEngine. OnBytes errors (the connection must be closed): the
  // transport's (bad init, wrong secret, framing errors; FakeTLS: a
  // malformed hello or record (DataLoss), a wrong HMAC, a client time off by
  // more than kFakeTlsMaxSkewS, another domain, a replayed hello, a mode the
  // DC does not accept (PermissionDenied), a hello to a DC without FakeTLS
  // (FailedPrecondition)), WebSocketServer::Feed's (a refused upgrade request
  // or a bad frame: InvalidArgument / ResourceExhausted, a path other than
  // /apiws and /apiws_test: NotFound; its 400, 404 or close frame is left
  // for PullOutput), an unobfuscated transport inside WebSocket
  // (FailedPrecondition), the key exchange's, and decryption failures of a
  // known key. Over WebSocket, an error of the stream inside also leaves a
  // close frame for PullOutput.
  void OnConnected(absl::Time now) override;
  absl::Status OnBytes(ByteView in, absl::Time now) override;
  void PullOutput(Bytes& out) override;
  bool WantsClose() const override { return closing_; }
  // The client's ping_delay_disconnect, or an answer held by the
  // slow-answer fault coming due.
  std::optional<absl::Time> NextDeadline() override;
  void OnTimeout(absl::Time now) override;
  void OnDisconnected(const absl::Status& why, absl::Time now) override;

  // Called when a session this connection carries gets a push from outside
  // an engine call: the driver should Pump() (not from inside the call).
  void SetWakeCallback(std::function<void()> wake);

  uint64_t id() const { return id_; }
  // The transport, once the first bytes have told.
  std::optional<transport::Framing> framing() const { return framing_; }
  bool obfuscated() const { return obfuscation_.has_value(); }
  // The client's FakeTLS hello was accepted (all traffic is in TLS records).
  bool fake_tls() const { return tls_writer_.has_value(); }
  // The client connected with WebSocket (all traffic is in frames).
  bool websocket() const { return ws_.has_value(); }
  const ConnectionStats& stats() const { return stats_; }

 private:
  absl::Status StartTransport(ByteView first, absl::Time now);
  absl::Status StartFakeTls(ByteView first, absl::Time now);
  absl::Status StartObfuscated(ByteView first, absl::Time now);
  absl::Status StartWebSocket(ByteView first, absl::Time now);
  // Client bytes through the WebSocket codec; the stream inside goes on.
  absl::Status FeedWebSocket(ByteView in, absl::Time now);
  absl::Status StartInsideWebSocket(ByteView first, absl::Time now);
  absl::Status StartFraming(ByteView first, size_t consumed, absl::Time now);
  absl::Status OnStreamBytes(ByteView in, absl::Time now);
  absl::Status FeedFrames(ByteView plain, absl::Time now);
  absl::Status OnPacket(const transport::Frame& frame, absl::Time now);
  absl::Status OnUnencrypted(ByteView packet, int64_t unix_ns);
  absl::Status OnEncrypted(const transport::Frame& frame, uint64_t auth_key_id, int64_t unix_ns,
                           absl::Time now);
  void FlushSessions(int64_t unix_ns);
  void SendPacket(ByteView packet);
  void SendEncrypted(const Bytes& packet);
  void SendTransportError(int32_t code);
  // Ends the connection on the DC's own decision; over WebSocket with a
  // close frame of `websocket_code` first.
  void CloseDeliberately(uint16_t websocket_code);
  void Emit(Bytes framed);
  bool padded() const { return framing_ == transport::Framing::kPaddedIntermediate; }

  DcState& dc_;
  uint64_t id_;
  Bytes sniff_;
  std::optional<transport::Framing> framing_;
  std::optional<transport::ObfuscatedStream> obfuscation_;
  std::optional<transport::TlsRecordReader> tls_reader_;  // FakeTLS, once accepted
  std::optional<transport::TlsRecordWriter> tls_writer_;
  std::optional<WebSocketServer> ws_;  // WebSocket, once "GET " opened the connection
  std::unique_ptr<transport::FrameDecoder> decoder_;
  std::unique_ptr<transport::FrameEncoder> encoder_;
  std::unique_ptr<handshake::ServerHandshake> handshake_;
  session::MessageIdGenerator unencrypted_ids_;
  std::deque<absl::Time> recent_packets_;  // flood window
  std::deque<Bytes> sent_ring_;            // for the replay fault
  uint64_t encrypted_sent_ = 0;
  Bytes out_;
  bool closing_ = false;
  bool closed_ = false;
  std::optional<absl::Time> disconnect_at_;
  ConnectionStats stats_;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_SERVER_CONNECTION_H_
