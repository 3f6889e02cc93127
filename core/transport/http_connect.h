// The client side of an HTTP CONNECT tunnel (RFC 9110, section 9.3.6) as pure
// steps: the request comes out of PullOutput, the proxy's reply goes into
// OnBytes (in any split) until the tunnel is open. The bytes that followed
// the reply's blank line belong to the tunnelled stream: TakeLeftover hands
// them back.
//
// Request:
//   CONNECT host:port HTTP/1.1\r\n
//   Host: host:port\r\n
//   Proxy-Authorization: Basic base64(user:pass)\r\n   (with a username)
//   \r\n
// (an IPv6 host goes in brackets). Reply: a status line and headers up to a
// blank line, at most kMaxReplyBytes in all; 2xx opens the tunnel, interim
// 1xx replies are skipped, anything else is an error naming the code and
// reason phrase.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(HttpConnect h, HttpConnect::Create("149.154.167.51", 443));
//   h.PullOutput(out);                       // send `out` to the proxy
//   MTCORE_RETURN_IF_ERROR(h.OnBytes(in));   // for each read
//   if (h.open()) stream.OnBytes(h.TakeLeftover());
#ifndef MTCORE_CORE_TRANSPORT_HTTP_CONNECT_H_
#define MTCORE_CORE_TRANSPORT_HTTP_CONNECT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::transport {

class HttpConnect {
 public:
  // The most reply bytes (status lines and headers, interim replies
  // included) read before the tunnel opens.
  static constexpr size_t kMaxReplyBytes = 16 * 1024;

  // A CONNECT to `host` (an IPv4 address, an IPv6 address with or without
  // brackets, or a host name) port `port`; a non-empty `username` adds
  // Basic Proxy-Authorization. Errors (InvalidArgument): an empty host or
  // one with characters other than letters, digits, '.', '-', '_', ':' (and
  // enclosing brackets), port 0, a username with ':' (Basic cannot carry
  // it), a password without a username.
  static absl::StatusOr<HttpConnect> Create(std::string_view host, uint16_t port,
                                            std::string_view username = {},
                                            std::string_view password = {});

  // Appends the bytes to send now (the whole request, once).
  void PullOutput(Bytes& out);

  // Consumes reply bytes. OK while more is needed and once open (bytes
  // past the blank line, and any fed later, are kept for TakeLeftover).
  // Errors, after which the connection is useless (close it; the same
  // error is returned again): PermissionDenied for 407 ("authentication
  // required", or "failed" when credentials were sent); Unavailable for
  // other codes, e.g. "HTTP proxy: CONNECT refused: 403 Forbidden";
  // InvalidArgument for a reply that is not HTTP; ResourceExhausted when
  // the reply's head exceeds kMaxReplyBytes.
  absl::Status OnBytes(ByteView in);

  bool open() const { return state_ == State::kOpen; }
  bool failed() const { return !error_.ok(); }

  // The bytes received after the reply (moved out).
  Bytes TakeLeftover();

 private:
  enum class State : uint8_t { kStatusLine, kHeaders, kOpen };
  HttpConnect() = default;
  absl::Status Advance();
  absl::Status OnStatusLine(std::string_view line);

  State state_ = State::kStatusLine;
  bool sent_credentials_ = false;
  bool interim_ = false;  // reading the headers of a 1xx reply
  size_t consumed_ = 0;   // reply bytes consumed so far
  Bytes out_;
  Bytes in_;
  absl::Status error_;
};

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_HTTP_CONNECT_H_
