// The client side of WebSocket for the DC's tests, written from RFC 6455
// apart from WebSocketServer (only its accept value is shared, and that is
// pinned to the RFC's example in websocket_server_test): a browser-like
// upgrade request, masked client frames, a reader of the server's answer (the
// 101 head, checked against the key, then unmasked frames), and WebSocketClientLayer, a StreamEngine in
// front of the DC's connection so that TestClient and InMemoryLink run over
// WebSocket unchanged.
//
// Example:
//   WebSocketClientLayer ws(*conn, {.frame_size = 7, .feed_chunk = 1});
//   InMemoryLink link(client, ws, now);   // client: obfuscated2
//   ASSERT_TRUE(link.Handshake().ok());
#ifndef MTCORE_TESTS_DC_WEBSOCKET_TEST_CLIENT_H_
#define MTCORE_TESTS_DC_WEBSOCKET_TEST_CLIENT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "core/base/status_macros.h"
#include "core/stream/stream_engine.h"
#include "tests/dc/client_layer.h"
#include "tests/dc/websocket_server.h"

namespace mtcore::dc::testing {

// RFC 6455's example key and its accept value (section 1.3).
inline constexpr char kWsExampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr char kWsExampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

inline constexpr uint8_t kWsContinuation = 0x0;
inline constexpr uint8_t kWsText = 0x1;
inline constexpr uint8_t kWsBinary = 0x2;
inline constexpr uint8_t kWsClose = 0x8;
inline constexpr uint8_t kWsPing = 0x9;
inline constexpr uint8_t kWsPong = 0xa;

// What a browser sends for `new WebSocket('ws://127.0.0.1/apiws', 'binary')`,
// with `headers` replacing the usual ones when given (each "Name: value\r\n").
inline std::string WsUpgradeRequest(std::string_view key = kWsExampleKey,
                                    std::optional<std::string_view> headers = std::nullopt) {
  const std::string usual = absl::StrCat(
      "Upgrade: websocket\r\n"
      "Connection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ",
      key,
      "\r\n"
      "Sec-WebSocket-Protocol: binary\r\n"
      "Origin: http://localhost\r\n");
  return absl::StrCat("GET /apiws HTTP/1.1\r\nHost: 127.0.0.1\r\n", headers.value_or(usual),
                      "\r\n");
}

// One client frame: `opcode`, FIN as given, masked with `mask` unless
// `masked` is false; `length_bytes` forces a 16- or 64-bit length field.
struct WsFrameOptions {
  bool fin = true;
  bool masked = true;
  uint8_t rsv = 0;  // the three reserved bits (0..7)
  std::array<uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d};
  int length_bytes = 0;  // 0: minimal; 2 or 8: forced
};
inline Bytes WsClientFrame(uint8_t opcode, ByteView payload, const WsFrameOptions& o = {}) {
  Bytes f;
  f.push_back(static_cast<uint8_t>((o.fin ? 0x80 : 0) | (o.rsv << 4) | opcode));
  const uint8_t m = o.masked ? 0x80 : 0;
  const uint64_t n = payload.size();
  const int lb = o.length_bytes != 0 ? o.length_bytes : n <= 125 ? 0 : n <= 0xffff ? 2 : 8;
  if (lb == 0) {
    f.push_back(static_cast<uint8_t>(m | n));
  } else {
    f.push_back(static_cast<uint8_t>(m | (lb == 2 ? 126 : 127)));
    for (int shift = (lb - 1) * 8; shift >= 0; shift -= 8) {
      f.push_back(static_cast<uint8_t>(n >> shift));
    }
  }
  if (o.masked) f.insert(f.end(), o.mask.begin(), o.mask.end());
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(o.masked ? payload[i] ^ o.mask[i % 4] : payload[i]);
  }
  return f;
}

// Reads what the server sends: the HTTP head (a 101 whose accept value must
// match `key`), then unmasked frames. Binary payloads go to the caller;
// control frames are kept.
class WsClientReader {
 public:
  explicit WsClientReader(std::string key = kWsExampleKey) : key_(std::move(key)) {}

  absl::Status Feed(ByteView in, Bytes& data) {
    pending_.insert(pending_.end(), in.begin(), in.end());
    if (!upgraded_) {
      const std::string_view text = AsChars(pending_);
      const size_t end = text.find("\r\n\r\n");
      if (end == std::string_view::npos) return absl::OkStatus();
      head_ = std::string(text.substr(0, end + 4));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(end + 4));
      if (!absl::StartsWith(head_, "HTTP/1.1 101 Switching Protocols\r\n")) {
        return absl::InternalError(absl::StrCat("not a 101: ", head_));
      }
      if (!absl::StrContains(head_, absl::StrCat("\r\nSec-WebSocket-Accept: ",
                                                 WebSocketAcceptValue(key_), "\r\n"))) {
        return absl::InternalError(absl::StrCat("wrong accept value: ", head_));
      }
      upgraded_ = true;
    }
    for (;;) {
      if (pending_.size() < 2) return absl::OkStatus();
      if ((pending_[1] & 0x80) != 0) return absl::InternalError("a masked server frame");
      if ((pending_[0] & 0x80) == 0) return absl::InternalError("a server frame without FIN");
      const uint8_t op = pending_[0] & 0x0f;
      size_t pos = 2;
      uint64_t n = pending_[1] & 0x7f;
      if (n >= 126) {
        const size_t lb = n == 126 ? 2 : 8;
        if (pending_.size() < 2 + lb) return absl::OkStatus();
        n = 0;
        for (size_t k = 0; k < lb; ++k) n = n << 8 | pending_[2 + k];
        pos += lb;
      }
      if (pending_.size() < pos + n) return absl::OkStatus();
      Bytes payload(pending_.begin() + static_cast<ptrdiff_t>(pos),
                    pending_.begin() + static_cast<ptrdiff_t>(pos + n));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pos + n));
      if (op == kWsBinary) {
        ++binary_frames_;
        data.insert(data.end(), payload.begin(), payload.end());
      } else {
        control_.emplace_back(op, std::move(payload));
      }
    }
  }

  bool upgraded() const { return upgraded_; }
  const std::string& head() const { return head_; }
  // Control frames received: (opcode, payload).
  std::vector<std::pair<uint8_t, Bytes>>& control() { return control_; }
  int binary_frames() const { return binary_frames_; }

 private:
  std::string key_;
  Bytes pending_;
  bool upgraded_ = false;
  std::string head_;
  std::vector<std::pair<uint8_t, Bytes>> control_;
  int binary_frames_ = 0;
};

struct WsLayerOptions {
  size_t frame_size = 0;  // client bytes per frame (0: one frame per OnBytes)
  size_t feed_chunk = 0;  // wire bytes per server OnBytes call (0: all at once)
  bool ping_first = false;  // a ping frame before the client's first data
};

// The client's WebSocket layer as a StreamEngine in front of the DC's
// connection: the upgrade request before the first bytes (without waiting
// for the 101), each OnBytes call one binary message cut into frames of
// `frame_size` bytes (a binary frame, then continuations; masks vary), the
// wire fed `feed_chunk` bytes at a time; the server's frames unwrapped.
class WebSocketClientLayer final : public ClientLayer {
 public:
  WebSocketClientLayer(StreamEngine& dc, WsLayerOptions options = {})
      : ClientLayer(dc), o_(options) {}

  absl::Status OnBytes(ByteView in, absl::Time now) override {
    Bytes wire;
    if (!sent_request_) {
      const std::string request = WsUpgradeRequest();
      wire.insert(wire.end(), request.begin(), request.end());
      if (o_.ping_first) {
        const Bytes ping = WsClientFrame(kWsPing, AsBytes("are you there"));
        wire.insert(wire.end(), ping.begin(), ping.end());
      }
      sent_request_ = true;
    }
    const size_t step = o_.frame_size == 0 ? std::max<size_t>(in.size(), 1) : o_.frame_size;
    for (size_t i = 0; i < in.size(); i += step) {
      WsFrameOptions fo;
      fo.fin = i + step >= in.size();
      fo.mask = {static_cast<uint8_t>(frames_), static_cast<uint8_t>(frames_ * 7 + 1), 0x5a,
                 static_cast<uint8_t>(0xc3 ^ frames_)};
      ++frames_;
      const Bytes f = WsClientFrame(i == 0 ? kWsBinary : kWsContinuation, in.subspan(i, step), fo);
      wire.insert(wire.end(), f.begin(), f.end());
    }
    return FeedDc(wire, o_.feed_chunk, now);
  }
  void PullOutput(Bytes& out) override {
    Bytes down;
    dc_.PullOutput(down);
    if (error_.ok()) error_ = reader_.Feed(down, out);
  }
  WsClientReader& reader() { return reader_; }
  int frames_sent() const { return frames_; }

 private:
  WsLayerOptions o_;
  bool sent_request_ = false;
  int frames_ = 0;
  WsClientReader reader_;
};

}  // namespace mtcore::dc::testing

#endif  // MTCORE_TESTS_DC_WEBSOCKET_TEST_CLIENT_H_
