#include "core/transport/proxy_tunnel.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::transport {

std::string_view ProxyKindName(ProxyKind kind) {
  return kind == ProxyKind::kSocks5 ? "SOCKS5" : "HTTP";
}

std::string ProxyServer::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(kind == ProxyKind::kSocks5 ? "socks5://" : "http://", v6 ? "[" : "", host,
                      v6 ? "]" : "", ":", port);
}

absl::StatusOr<ProxyTunnel> ProxyTunnel::Create(const ProxyServer& proxy,
                                                std::string_view target_host,
                                                uint16_t target_port) {
  if (proxy.kind == ProxyKind::kSocks5) {
    absl::StatusOr<Socks5Connect> s =
        Socks5Connect::Create(target_host, target_port, proxy.username, proxy.password);
    if (!s.ok()) return s.status();
    return ProxyTunnel(*std::move(s));
  }
  absl::StatusOr<HttpConnect> h =
      HttpConnect::Create(target_host, target_port, proxy.username, proxy.password);
  if (!h.ok()) return h.status();
  return ProxyTunnel(*std::move(h));
}

void ProxyTunnel::PullOutput(Bytes& out) {
  std::visit([&](auto& t) { t.PullOutput(out); }, impl_);
}

absl::Status ProxyTunnel::OnBytes(ByteView in) {
  return std::visit([&](auto& t) { return t.OnBytes(in); }, impl_);
}

bool ProxyTunnel::open() const {
  return std::visit([](const auto& t) { return t.open(); }, impl_);
}

Bytes ProxyTunnel::TakeLeftover() {
  return std::visit([](auto& t) { return t.TakeLeftover(); }, impl_);
}

}  // namespace mtcore::transport
