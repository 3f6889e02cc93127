// The client side of a SOCKS5 CONNECT (RFC 1928), with username/password
// authentication (RFC 1929), as pure steps: bytes for the proxy come out of
// PullOutput, the proxy's replies go into OnBytes (in any split), until the
// tunnel is open. The bytes that followed the final reply belong to the
// tunnelled stream: TakeLeftover hands them back.
//
// The exchange, one step at a time (each waits for the previous reply):
//   greeting   05 n methods...  (00 no auth; 02 username/password as well
//                                 when a username is given)
//   choice     05 method        (FF: no acceptable method -> error)
//   auth       01 ulen user plen pass -> 01 status (status != 0 -> error)
//   CONNECT    05 01 00 atyp addr port  (atyp 01 IPv4, 04 IPv6, 03 a host
//                                        name the proxy resolves)
//   reply      05 rep 00 atyp bnd.addr bnd.port (rep != 0 -> error naming it)
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(Socks5Connect s, Socks5Connect::Create("149.154.167.51", 443));
//   s.PullOutput(out);                       // send `out` to the proxy
//   MTCORE_RETURN_IF_ERROR(s.OnBytes(in));   // for each read
//   if (s.open()) stream.OnBytes(s.TakeLeftover());
#ifndef MTCORE_CORE_TRANSPORT_SOCKS5_H_
#define MTCORE_CORE_TRANSPORT_SOCKS5_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::transport {

class Socks5Connect {
 public:
  // A CONNECT to `host` (a dotted IPv4 address, an IPv6 address with or
  // without brackets, or a host name of 1..255 bytes that the proxy
  // resolves) port `port`. A non-empty `username` offers username/password
  // authentication besides none (an empty password goes as PLEN 0; RFC
  // 1929 asks for 1..255, so a strict proxy may refuse it). Errors (InvalidArgument): an empty or
  // too long host, port 0, a username or password over 255 bytes, a
  // password without a username.
  static absl::StatusOr<Socks5Connect> Create(std::string_view host, uint16_t port,
                                              std::string_view username = {},
                                              std::string_view password = {});

  // Appends the bytes to send now (the greeting first; the next request once
  // the reply to the previous one arrived; nothing after that).
  void PullOutput(Bytes& out);

  // Consumes bytes from the proxy. OK while more is needed and once open
  // (bytes past the final reply, and any fed later, are kept for
  // TakeLeftover). Errors, after which the connection is useless (close
  // it; the same error is returned again): PermissionDenied when no method
  // is acceptable (FF) or the credentials are refused; the proxy's refusal
  // of the CONNECT (REP 1..8, and unassigned codes) with a message naming
  // it, e.g. Unavailable "SOCKS5 proxy: connection refused by target (REP
  // 5)"; InvalidArgument for a malformed reply (wrong version, a method
  // not offered, an unknown address type).
  absl::Status OnBytes(ByteView in);

  // The tunnel is open: from now on bytes go straight to the target.
  bool open() const { return state_ == State::kOpen; }
  bool failed() const { return !error_.ok(); }

  // The bytes received after the final reply (moved out).
  Bytes TakeLeftover();

 private:
  enum class State : uint8_t { kChoice, kAuth, kReply, kOpen };
  Socks5Connect() = default;
  // Handles as much of in_ as forms whole replies.
  absl::Status Advance();

  State state_ = State::kChoice;
  std::string username_, password_;
  Bytes connect_;  // the CONNECT request, sent once authenticated
  Bytes out_;      // to send
  Bytes in_;       // received, not yet consumed
  absl::Status error_;
};

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_SOCKS5_H_
