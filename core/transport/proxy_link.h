// SOCKS5 and HTTP proxy links, beside MTProxy's (mtproxy_link.h):
//
//   socks5://[user:pass@]host:port    SOCKS5
//   socks5h://[user:pass@]host:port   the same (mtcore never resolves
//                                     names itself: a host name target is
//                                     always passed to the proxy)
//   http://[user:pass@]host:port      HTTP CONNECT
//   tg://socks?server=H&port=P[&user=U&pass=W]       Telegram's SOCKS5 links,
//   https://t.me/socks?server=H&port=P[&user=U&pass=W]  (also http://, t.me/
//                                     without a scheme, telegram.me)
//
// Schemes and t.me hosts are case-insensitive; user and password are
// percent-decoded (in query strings '+' is a space, too); an IPv6 host goes
// in brackets in URLs (brackets are optional in tg://socks links); a
// trailing '/' after the port is allowed.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(ProxyServer p, ParseProxyLink("socks5://bob:s%40cret@10.0.0.1:1080"));
//   // p.kind == ProxyKind::kSocks5, p.username == "bob", p.password == "s@cret"
#ifndef MTCORE_CORE_TRANSPORT_PROXY_LINK_H_
#define MTCORE_CORE_TRANSPORT_PROXY_LINK_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "core/transport/proxy_tunnel.h"

namespace mtcore::transport {

// Parses a proxy link. Errors are InvalidArgument "proxy link: <reason>":
// an unknown scheme (tg://proxy MTProxy links go to ParseMtProxyLink), a
// missing or bad host or port (1..65535), a path or query after the port,
// a bad percent escape, a missing or repeated parameter, a password
// without a user, a username or password over 255 bytes.
absl::StatusOr<ProxyServer> ParseProxyLink(std::string_view link);

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_PROXY_LINK_H_
