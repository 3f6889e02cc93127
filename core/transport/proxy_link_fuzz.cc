// Fuzz target: ParseProxyLink on arbitrary text. A parsed link must be usable
// (a host, a port, credentials within SOCKS5's bounds) or the error
// InvalidArgument.
#include <cstdlib>
#include <string_view>

#include "core/transport/proxy_link.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = mtcore::transport::ParseProxyLink(text);
  if (p.ok()) {
    if (p->host.empty() || p->port == 0) std::abort();
    if (p->username.size() > 255 || p->password.size() > 255) std::abort();
    if (p->username.empty() && !p->password.empty()) std::abort();
  } else if (p.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
