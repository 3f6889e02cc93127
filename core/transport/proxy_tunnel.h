// A tunnel through a SOCKS5 or HTTP CONNECT proxy, whichever the proxy
// speaks: the stage a driver runs on a fresh connection to the proxy before
// the MTProto stream (framing, obfuscated2, FakeTLS) sees any byte.
//
//   driver: connect to proxy.host:proxy.port
//     tunnel.PullOutput(out) -> send; bytes in -> tunnel.OnBytes
//     ... until tunnel.open(): engine.OnConnected, then
//         engine.OnBytes(tunnel.TakeLeftover()) and every later byte
//   a tunnel error closes the connection like a failed connect.
//
// `ProxyServer` is what a user configures (see ParseProxyLink in
// proxy_link.h for socks5:// / http:// URLs and tg://socks links).
//
// Example:
//   ProxyServer proxy{.kind = ProxyKind::kSocks5, .host = "10.0.0.1", .port = 1080};
//   MTCORE_ASSIGN_OR_RETURN(ProxyTunnel t, ProxyTunnel::Create(proxy, "149.154.167.51", 443));
#ifndef MTCORE_CORE_TRANSPORT_PROXY_TUNNEL_H_
#define MTCORE_CORE_TRANSPORT_PROXY_TUNNEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/transport/http_connect.h"
#include "core/transport/socks5.h"

namespace mtcore::transport {

enum class ProxyKind : uint8_t {
  kSocks5,       // RFC 1928 (+ RFC 1929 username/password)
  kHttpConnect,  // HTTP/1.1 CONNECT (+ Basic Proxy-Authorization)
};

// "SOCKS5" or "HTTP".
std::string_view ProxyKindName(ProxyKind kind);

// A proxy to tunnel through.
struct ProxyServer {
  ProxyKind kind = ProxyKind::kSocks5;
  std::string host;  // host name or IP address (IPv6 without brackets)
  uint16_t port = 0;
  // Credentials: none when `username` is empty.
  std::string username;
  std::string password;

  // "socks5://host:port" or "http://[v6]:port" (never the credentials).
  std::string ToString() const;
};

class ProxyTunnel {
 public:
  // A tunnel through `proxy` to `target_host` (IPv4, IPv6 with or without
  // brackets, or a name the proxy resolves) port `target_port`. Errors
  // (InvalidArgument) as Socks5Connect::Create / HttpConnect::Create.
  static absl::StatusOr<ProxyTunnel> Create(const ProxyServer& proxy,
                                            std::string_view target_host,
                                            uint16_t target_port);

  // As Socks5Connect / HttpConnect: the bytes to send now; the proxy's
  // bytes (errors name the proxy's refusal; the connection is then
  // useless); whether the tunnel is open; the bytes that followed the
  // proxy's final reply (moved out).
  void PullOutput(Bytes& out);
  absl::Status OnBytes(ByteView in);
  bool open() const;
  Bytes TakeLeftover();

 private:
  template <class T>
  explicit ProxyTunnel(T impl) : impl_(std::move(impl)) {}
  std::variant<Socks5Connect, HttpConnect> impl_;
};

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_PROXY_TUNNEL_H_
