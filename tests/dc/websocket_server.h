// The server side of RFC 6455 WebSocket as a sans-I/O byte codec, for the
// simulated DC's `/apiws` transport: Telegram's web clients open
// `wss://HOST/apiws` with subprotocol `binary` and send the same obfuscated2
// stream they would send over TCP, cut into binary messages. This codec turns
// the client's wire bytes into that stream and wraps what the DC sends into
// binary frames; it never reads a clock, a random source or a socket.
//
// What it accepts:
//   - The opening handshake: one HTTP/1.1 request of at most
//     WebSocketLimits::max_request_bytes (header block included), method GET,
//     one `Host` (RFC 6455 4.1 requires it), `Upgrade` listing `websocket`
//     and `Connection` listing `upgrade` (case-insensitive tokens),
//     `Sec-WebSocket-Version: 13` and a `Sec-WebSocket-Key` that is the
//     canonical base64 of 16 bytes; any `Origin` or none (browsers send the
//     page's, node and native clients none, and Telegram serves any page).
//     The answer is `101 Switching Protocols` with Sec-WebSocket-Accept
//     (WebSocketAcceptValue) and `Sec-WebSocket-Protocol: binary` when the
//     client offered `binary` (no other subprotocol is ever selected; no
//     extension is ever accepted). A bad request is answered `400 Bad
//     Request`; a valid one for a path other than those Telegram serves,
//     `/apiws` and `/apiws_test` (test DCs), with any query, `404 Not Found`.
//   - Frames (RFC 6455 section 5): masked (client frames must be), RSV bits
//     clear, 7/16/64-bit lengths in their minimal form. Binary (2) and
//     continuation (0) payloads are unmasked and handed out as stream bytes as
//     they arrive (message boundaries mean nothing to MTProto); a message
//     (all its frames) may carry at most WebSocketLimits::max_message_bytes.
//     Text frames are an error (the stream is binary). Control frames (close,
//     ping, pong) must be FIN and carry at most 125 bytes: a ping is answered
//     with a pong carrying its payload, a pong is ignored, a close is answered
//     with a close echoing its status code (a reason that is not UTF-8 is an
//     error: close 1007), after which the codec is closed (input is ignored,
//     WrapBinary writes nothing) and the connection should end.
// Buffering is bounded: the request (max_request_bytes), one frame header (14
// bytes) and one control payload (125 bytes); data payloads are not buffered.
//
// Every error of Feed is final (the connection must be closed): what was
// wrong is in the status (InvalidArgument for a malformed or refused request
// or frame, NotFound for a path that is not served, ResourceExhausted for a
// request or message over its limit), and `reply` holds a last answer for the
// client (an HTTP 400 or 404 during the handshake, a close frame with status
// 1002 / 1003 / 1007 / 1009 after it) that a driver sends before closing.
// When the stream inside fails instead, the owner ends the WebSocket with
// Close(WebSocketCloseCodeFor(error)), so a browser sees that code, not 1006.
//
// Example (what ServerConnection does with the bytes of one connection that
// opened with "GET "):
//   WebSocketServer ws;
//   Bytes stream, reply;
//   absl::Status s = ws.Feed(wire_in, stream, reply);
//   send(reply);                       // 101, pongs, close; or 400/404 on error
//   if (!s.ok()) close(s);
//   s = mtproto.OnBytes(stream);       // the obfuscated2 stream
//   if (!s.ok()) { ws.Close(WebSocketCloseCodeFor(s), wire); send(wire); close(s); }
//   ws.WrapBinary(mtproto_out, wire);  // one unmasked binary frame
//   if (ws.closed()) close();
#ifndef MTCORE_TESTS_DC_WEBSOCKET_SERVER_H_
#define MTCORE_TESTS_DC_WEBSOCKET_SERVER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace mtcore::dc {

struct WebSocketLimits {
  size_t max_request_bytes = 8 * 1024;   // the HTTP upgrade request, headers included
  size_t max_message_bytes = 1u << 20;   // payload of one message, all its frames
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (as sent, base64):
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string WebSocketAcceptValue(std::string_view key);

// Close codes a DC sends when it ends a connection itself (RFC 6455 7.4.1):
// 1000 after the client's ping_delay_disconnect ran out (the close it asked
// for), 1008 (policy violation) after a transport error (-404 unknown auth
// key, -429 too many packets): the DC will not serve the connection further.
inline constexpr uint16_t kWebSocketCloseNormal = 1000;
inline constexpr uint16_t kWebSocketClosePolicyViolation = 1008;

// The close code that ends a WebSocket whose inner stream (obfuscated2, the
// MTProto transport, the session) failed with `stream_error` (RFC 6455
// 7.4.1): 1011 (internal error) for the server's own failures (Internal,
// Unknown), 1002 (protocol error) for everything else, which is the client
// breaking the protocol it speaks inside the WebSocket (a bad init, bad
// framing, a packet that does not decrypt). 1003 and 1007 do not fit: they
// are about the type and encoding of whole messages, which are fine here.
uint16_t WebSocketCloseCodeFor(const absl::Status& stream_error);

class WebSocketServer {
 public:
  enum class State {
    kHandshake,  // reading the HTTP upgrade request
    kOpen,       // 101 sent: frames both ways
    kClosed,     // the client's close answered: nothing more in or out
  };

  explicit WebSocketServer(WebSocketLimits limits = {});

  // Takes client bytes, any split. Appends the unmasked payload of binary and
  // continuation frames to `stream`, and what the codec itself answers (the
  // 101 response, pongs, the close answer; on error the 400 or the close
  // frame) to `reply`; `reply` must go out before anything wrapped after
  // this call. Errors: see the file comment; after one, Feed does nothing.
  absl::Status Feed(ByteView in, Bytes& stream, Bytes& reply);

  // Appends `payload` as one unmasked binary frame (FIN set) to `out`. Writes
  // nothing unless the codec is open (an empty payload writes nothing too).
  void WrapBinary(ByteView payload, Bytes& out) const;

  // Ends the WebSocket from the server's side: appends a close frame with
  // `code` (no reason) to `out`, after which the codec is closed as after the
  // client's close. Does nothing unless the codec is open.
  void Close(uint16_t code, Bytes& out);

  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  bool closed() const { return state_ == State::kClosed; }
  // The request's path ("/apiws", without a query), once the handshake is done.
  const std::string& path() const { return path_; }
  // The client offered (and the answer selected) the `binary` subprotocol.
  bool binary_subprotocol() const { return binary_subprotocol_; }

 private:
  absl::Status FeedRequest(ByteView in, Bytes& stream, Bytes& reply);
  absl::Status AcceptRequest(std::string_view head, Bytes& reply);
  absl::Status FeedFrames(ByteView in, Bytes& stream, Bytes& reply);
  absl::Status OnHeader();
  absl::Status OnControl(Bytes& reply);
  // Puts the close frame for a protocol error (`code`) in `reply`, ends the
  // codec and returns `error`.
  absl::Status FailFrame(uint16_t code, absl::Status error, Bytes& reply);

  WebSocketLimits limits_;
  State state_ = State::kHandshake;
  bool failed_ = false;
  std::string request_;  // the handshake's bytes so far
  std::string path_;
  bool binary_subprotocol_ = false;

  // The frame being read.
  std::array<uint8_t, 14> header_{};
  size_t header_have_ = 0;
  bool header_done_ = false;
  uint8_t opcode_ = 0;
  bool fin_ = false;
  std::array<uint8_t, 4> mask_{};
  uint64_t payload_left_ = 0;
  uint64_t payload_pos_ = 0;  // into the frame's payload (the mask's phase)
  Bytes control_;             // a control frame's payload (<= 125 bytes)
  // A binary message is open (its last frame had no FIN), and its bytes so far.
  bool in_message_ = false;
  uint64_t message_bytes_ = 0;
};

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_WEBSOCKET_SERVER_H_
