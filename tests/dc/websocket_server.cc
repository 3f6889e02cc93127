#include "tests/dc/websocket_server.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/status_macros.h"
#include "core/crypto/sha.h"
#include "tl/dynamic/json_text.h"

namespace mtcore::dc {
namespace {

constexpr char kAcceptGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kHeadEnd = "\r\n\r\n";

constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpBinary = 0x2;
constexpr uint8_t kOpClose = 0x8;
constexpr uint8_t kOpPing = 0x9;
constexpr uint8_t kOpPong = 0xa;
constexpr size_t kMaxControlPayload = 125;

// Close status codes (RFC 6455 section 7.4.1).
constexpr uint16_t kCloseProtocolError = 1002;
constexpr uint16_t kCloseUnsupportedData = 1003;
constexpr uint16_t kCloseInvalidPayload = 1007;
constexpr uint16_t kCloseTooBig = 1009;
constexpr uint16_t kCloseInternalError = 1011;

// The request paths Telegram serves WebSocket on: production and test DCs.
constexpr std::string_view kServedPaths[] = {"/apiws", "/apiws_test"};

bool IsControl(uint8_t opcode) { return (opcode & 0x8) != 0; }

// One frame from the server: FIN, `opcode`, unmasked.
void AppendFrame(uint8_t opcode, ByteView payload, Bytes& out) {
  out.push_back(static_cast<uint8_t>(0x80 | opcode));
  const uint64_t n = payload.size();
  if (n <= 125) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xffff) {
    out.push_back(126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  }
  out.insert(out.end(), payload.begin(), payload.end());
}

void AppendClose(uint16_t code, Bytes& out) {
  const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  AppendFrame(kOpClose, payload, out);
}

// The HTTP answer to a refused upgrade request: 404 Not Found for a path that
// is not served (NotFound), 400 Bad Request for anything else.
void AppendRefusal(const absl::Status& why, Bytes& out) {
  const std::string body = absl::StrCat(why.message(), "\n");
  const std::string response = absl::StrCat(
      why.code() == absl::StatusCode::kNotFound ? "HTTP/1.1 404 Not Found\r\n"
                                                : "HTTP/1.1 400 Bad Request\r\n",
      "Connection: close\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: ",
      body.size(), "\r\n\r\n", body);
  const ByteView bytes = AsBytes(response);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The comma-separated tokens of a header value, trimmed.
std::vector<std::string_view> Tokens(std::string_view value) {
  std::vector<std::string_view> out;
  for (std::string_view t : absl::StrSplit(value, ',')) {
    t = absl::StripAsciiWhitespace(t);
    if (!t.empty()) out.push_back(t);
  }
  return out;
}

bool HasTokenIgnoreCase(std::string_view value, std::string_view token) {
  for (std::string_view t : Tokens(value)) {
    if (absl::EqualsIgnoreCase(t, token)) return true;
  }
  return false;
}

absl::Status BadRequest(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("WebSocket handshake: ", what));
}

}  // namespace

uint16_t WebSocketCloseCodeFor(const absl::Status& stream_error) {
  switch (stream_error.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return kCloseInternalError;
    default:
      return kCloseProtocolError;
  }
}

std::string WebSocketAcceptValue(std::string_view key) {
  const crypto::Sha1Digest d = crypto::Sha1({AsBytes(key), AsBytes(kAcceptGuid)});
  return absl::Base64Escape(AsChars(d));
}

WebSocketServer::WebSocketServer(WebSocketLimits limits) : limits_(limits) {}

absl::Status WebSocketServer::Feed(ByteView in, Bytes& stream, Bytes& reply) {
  if (failed_) return absl::FailedPreconditionError("WebSocket: Feed after an error");
  if (state_ == State::kClosed) return absl::OkStatus();  // after a close: ignored
  if (state_ == State::kHandshake) return FeedRequest(in, stream, reply);
  return FeedFrames(in, stream, reply);
}

absl::Status WebSocketServer::FeedRequest(ByteView in, Bytes& stream, Bytes& reply) {
  // Copy no more than the limit: the end of the head must be within it.
  const size_t room = limits_.max_request_bytes - request_.size();
  const size_t take = std::min(in.size(), room);
  const size_t search_from = request_.size() < 3 ? 0 : request_.size() - 3;
  request_.append(AsChars(in.subspan(0, take)));
  constexpr std::string_view kGet = "GET ";
  const size_t check = std::min(request_.size(), kGet.size());
  if (request_.compare(0, check, kGet.substr(0, check)) != 0) {
    failed_ = true;
    absl::Status s = BadRequest("the request's method is not GET");
    AppendRefusal(s, reply);
    return s;
  }
  const size_t end = request_.find(kHeadEnd, search_from);
  if (end == std::string::npos) {
    if (request_.size() < limits_.max_request_bytes) return absl::OkStatus();
    failed_ = true;
    absl::Status s = absl::ResourceExhaustedError(
        absl::StrCat("WebSocket handshake: no end of the HTTP request within ",
                     limits_.max_request_bytes, " bytes"));
    AppendRefusal(s, reply);
    return s;
  }
  const size_t head_size = end + kHeadEnd.size();
  // Frame bytes that came with the request (a client that did not wait).
  Bytes rest(request_.begin() + static_cast<ptrdiff_t>(head_size), request_.end());
  rest.insert(rest.end(), in.begin() + static_cast<ptrdiff_t>(take), in.end());
  request_.resize(head_size);
  absl::Status s = AcceptRequest(request_, reply);
  request_.clear();
  request_.shrink_to_fit();
  if (!s.ok()) {
    failed_ = true;
    AppendRefusal(s, reply);
    return s;
  }
  state_ = State::kOpen;
  if (rest.empty()) return absl::OkStatus();
  return FeedFrames(rest, stream, reply);
}

absl::Status WebSocketServer::AcceptRequest(std::string_view head, Bytes& reply) {
  head.remove_suffix(kHeadEnd.size());
  std::vector<std::string_view> lines = absl::StrSplit(head, "\r\n");
  // The request line: GET <path> HTTP/1.1.
  std::vector<std::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0] != "GET" || parts[1].empty()) {
    return BadRequest(
        absl::StrCat("malformed request line '", absl::CHexEscape(lines[0]), "'"));
  }
  if (parts[2] != "HTTP/1.1") {
    return BadRequest(
        absl::StrCat("HTTP version '", absl::CHexEscape(parts[2]), "', not HTTP/1.1"));
  }
  // Header fields, by lowercase name; repeated ones joined with commas.
  std::map<std::string, std::string> fields;
  int hosts = 0;  // Host lines, empty ones included
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || colon == std::string_view::npos ||
        colon == 0 || line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
      return BadRequest(absl::StrCat("malformed header line '", absl::CHexEscape(line), "'"));
    }
    const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    if (name == "host") ++hosts;
    std::string& v = fields[name];
    if (!v.empty()) v += ",";
    absl::StrAppend(&v, absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  auto field = [&](const char* name) -> std::string_view {
    auto it = fields.find(name);
    return it == fields.end() ? std::string_view() : std::string_view(it->second);
  };
  // RFC 6455 4.1 (item 4) and 4.2.1 (item 2): a Host field is required; RFC
  // 7230 5.4: exactly one line, with one value.
  if (hosts == 0 || (hosts == 1 && field("host").empty())) {
    return BadRequest("no 'Host' header field (RFC 6455 section 4.1 requires one)");
  }
  if (hosts > 1 || absl::StrContains(field("host"), ',')) {
    return BadRequest(absl::StrCat("more than one Host (Host: '",
                                   absl::CHexEscape(field("host")), "')"));
  }
  if (!HasTokenIgnoreCase(field("upgrade"), "websocket")) {
    return BadRequest(absl::StrCat("no 'Upgrade: websocket' (Upgrade: '",
                                   absl::CHexEscape(field("upgrade")), "')"));
  }
  if (!HasTokenIgnoreCase(field("connection"), "upgrade")) {
    return BadRequest(absl::StrCat("'Connection' does not list 'upgrade' (Connection: '",
                                   absl::CHexEscape(field("connection")), "')"));
  }
  if (field("sec-websocket-version") != "13") {
    return BadRequest(absl::StrCat("Sec-WebSocket-Version is '",
                                   absl::CHexEscape(field("sec-websocket-version")),
                                   "', only 13 is supported"));
  }
  const std::string_view key = field("sec-websocket-key");
  std::string raw_key;
  if (key.size() != 24 || !absl::Base64Unescape(key, &raw_key) || raw_key.size() != 16 ||
      absl::Base64Escape(raw_key) != key) {
    return BadRequest(absl::StrCat("Sec-WebSocket-Key '", absl::CHexEscape(key),
                                   "' is not the base64 of 16 bytes"));
  }
  // Origin is not checked: browsers send one (the page's), node and native
  // clients send none, and any page may talk to a DC (Telegram's servers
  // serve web.telegram.org and third-party web clients alike).
  //
  // A valid upgrade request for a resource the DC does not serve: 404 (RFC
  // 6455 4.2.1). The path is the request-target up to any query ("?dc=2");
  // a target in absolute form ("http://host:port/apiws", as some proxies
  // and clients send it; RFC 9112 3.2.2: servers accept it) counts from the
  // path after its authority.
  std::string_view target = parts[1];
  if (const size_t scheme_end = target.find("://");
      scheme_end != std::string_view::npos && target.substr(0, 1) != "/") {
    const std::string_view scheme = target.substr(0, scheme_end);
    if (absl::EqualsIgnoreCase(scheme, "http") || absl::EqualsIgnoreCase(scheme, "https") ||
        absl::EqualsIgnoreCase(scheme, "ws") || absl::EqualsIgnoreCase(scheme, "wss")) {
      const std::string_view rest = target.substr(scheme_end + 3);
      const size_t slash = rest.find_first_of("/?");
      target = slash == std::string_view::npos || rest[slash] == '?' ? std::string_view("/")
                                                                     : rest.substr(slash);
    }
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (std::find(std::begin(kServedPaths), std::end(kServedPaths), path) ==
      std::end(kServedPaths)) {
    return absl::NotFoundError(absl::StrCat("WebSocket handshake: path '", absl::CHexEscape(path),
                                            "' is not served (only /apiws and /apiws_test)"));
  }
  for (std::string_view p : Tokens(field("sec-websocket-protocol"))) {
    if (p == "binary") binary_subprotocol_ = true;
  }
  path_ = std::string(path);
  const std::string response = absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      WebSocketAcceptValue(key), "\r\n",
      binary_subprotocol_ ? "Sec-WebSocket-Protocol: binary\r\n" : "", "\r\n");
  const ByteView bytes = AsBytes(response);
  reply.insert(reply.end(), bytes.begin(), bytes.end());
  return absl::OkStatus();
}

absl::Status WebSocketServer::FailFrame(uint16_t code, absl::Status error, Bytes& reply) {
  AppendClose(code, reply);
  failed_ = true;
  state_ = State::kClosed;
  return error;
}

absl::Status WebSocketServer::FeedFrames(ByteView in, Bytes& stream, Bytes& reply) {
  size_t i = 0;
  while (i < in.size() && state_ == State::kOpen) {
    if (!header_done_) {
      header_[header_have_++] = in[i++];
      if (header_have_ == 1) {
        const uint8_t b0 = header_[0];
        opcode_ = b0 & 0x0f;
        fin_ = (b0 & 0x80) != 0;
        if ((b0 & 0x70) != 0) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(absl::StrCat(
                               "WebSocket: reserved bits 0x", absl::Hex(b0 & 0x70),
                               " set in a frame header (no extension was negotiated)")),
                           reply);
        }
        if (opcode_ == kOpText) {
          return FailFrame(kCloseUnsupportedData,
                           absl::InvalidArgumentError(
                               "WebSocket: a text frame (the MTProto stream is binary only)"),
                           reply);
        }
        if (opcode_ != kOpContinuation && opcode_ != kOpBinary && opcode_ != kOpClose &&
            opcode_ != kOpPing && opcode_ != kOpPong) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(absl::StrCat(
                               "WebSocket: unknown opcode 0x", absl::Hex(opcode_))),
                           reply);
        }
        if (opcode_ == kOpContinuation && !in_message_) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(
                               "WebSocket: a continuation frame with no message to continue"),
                           reply);
        }
        if (opcode_ == kOpBinary && in_message_) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(
                               "WebSocket: a new binary message before the last one's final "
                               "frame"),
                           reply);
        }
        if (IsControl(opcode_) && !fin_) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(absl::StrCat(
                               "WebSocket: a fragmented control frame (opcode 0x",
                               absl::Hex(opcode_), ")")),
                           reply);
        }
        continue;
      }
      const uint8_t b1 = header_[1];
      const uint8_t len7 = b1 & 0x7f;
      if (header_have_ == 2) {
        if ((b1 & 0x80) == 0) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(
                               "WebSocket: an unmasked frame from the client (client frames "
                               "must be masked)"),
                           reply);
        }
        if (IsControl(opcode_) && len7 > kMaxControlPayload) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(absl::StrCat(
                               "WebSocket: a control frame (opcode 0x", absl::Hex(opcode_),
                               ") longer than 125 bytes")),
                           reply);
        }
      }
      const size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
      if (header_have_ < 2 + ext + 4) continue;
      absl::Status s = OnHeader();
      if (!s.ok()) {
        const uint16_t code =
            s.code() == absl::StatusCode::kResourceExhausted ? kCloseTooBig : kCloseProtocolError;
        return FailFrame(code, std::move(s), reply);
      }
      if (payload_left_ != 0) continue;
    } else {
      const size_t n = static_cast<size_t>(
          std::min<uint64_t>(payload_left_, static_cast<uint64_t>(in.size() - i)));
      Bytes& dest = IsControl(opcode_) ? control_ : stream;
      for (size_t k = 0; k < n; ++k) dest.push_back(in[i + k] ^ mask_[(payload_pos_++) & 3]);
      i += n;
      payload_left_ -= n;
      if (payload_left_ != 0) continue;
    }
    // The frame is complete.
    header_done_ = false;
    header_have_ = 0;
    if (IsControl(opcode_)) {
      MTCORE_RETURN_IF_ERROR(OnControl(reply));
    } else {
      in_message_ = !fin_;
      if (fin_) message_bytes_ = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status WebSocketServer::OnHeader() {
  const uint8_t len7 = header_[1] & 0x7f;
  size_t pos = 2;
  uint64_t length = len7;
  if (len7 == 126) {
    length = uint64_t{header_[2]} << 8 | header_[3];
    pos = 4;
    if (length < 126) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WebSocket: a 16-bit frame length of ", length, " (not the minimal encoding)"));
    }
  } else if (len7 == 127) {
    length = 0;
    for (int k = 0; k < 8; ++k) length = length << 8 | header_[2 + k];
    pos = 10;
    if ((length >> 63) != 0) {
      return absl::InvalidArgumentError("WebSocket: a 64-bit frame length with its top bit set");
    }
    if (length <= 0xffff) {
      return absl::InvalidArgumentError(absl::StrCat(
          "WebSocket: a 64-bit frame length of ", length, " (not the minimal encoding)"));
    }
  }
  std::copy(header_.begin() + pos, header_.begin() + pos + 4, mask_.begin());
  if (!IsControl(opcode_)) {
    if (length > limits_.max_message_bytes - message_bytes_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "WebSocket: a message of more than ", limits_.max_message_bytes, " bytes (",
          message_bytes_, " so far, then a frame of ", length, ")"));
    }
    message_bytes_ += length;
  }
  header_done_ = true;
  payload_left_ = length;
  payload_pos_ = 0;
  control_.clear();
  return absl::OkStatus();
}

absl::Status WebSocketServer::OnControl(Bytes& reply) {
  switch (opcode_) {
    case kOpPing:
      AppendFrame(kOpPong, control_, reply);
      break;
    case kOpPong:
      break;
    case kOpClose:
      if (control_.size() == 1) {
        return FailFrame(kCloseProtocolError,
                         absl::InvalidArgumentError("WebSocket: a close frame with a 1-byte body"),
                         reply);
      }
      if (control_.size() >= 2) {
        // RFC 6455 7.4: 1005, 1006 and 1015 never go on the wire, nor do
        // codes below 1000 or unassigned ones below 3000.
        const int code = control_[0] << 8 | control_[1];
        const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                           (code >= 3000 && code <= 4999);
        if (!valid) {
          return FailFrame(kCloseProtocolError,
                           absl::InvalidArgumentError(absl::StrCat(
                               "WebSocket: close code ", code, " may not be sent")),
                           reply);
        }
        // RFC 6455 5.5.1: the reason is UTF-8; 8.1: invalid UTF-8 fails
        // the connection, answered with 1007 (7.4.1).
        if (!tl::dynamic::IsValidUtf8(AsChars(ByteView(control_).subspan(2)))) {
          return FailFrame(kCloseInvalidPayload,
                           absl::InvalidArgumentError(
                               "WebSocket: a close frame whose reason is not valid UTF-8"),
                           reply);
        }
      }
      // Echo the status code (not the reason); no code: an empty close.
      AppendFrame(kOpClose, ByteView(control_).subspan(0, 2), reply);
      state_ = State::kClosed;
      break;
  }
  control_.clear();
  return absl::OkStatus();
}

void WebSocketServer::Close(uint16_t code, Bytes& out) {
  if (state_ != State::kOpen) return;
  AppendClose(code, out);
  state_ = State::kClosed;
}

void WebSocketServer::WrapBinary(ByteView payload, Bytes& out) const {
  if (state_ != State::kOpen || payload.empty()) return;
  AppendFrame(kOpBinary, payload, out);
}

}  // namespace mtcore::dc
