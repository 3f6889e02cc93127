// Fuzz target: the SOCKS5 and HTTP CONNECT reply decoders on arbitrary bytes
// in arbitrary splits. The first byte picks the protocol (bit 0) and whether
// credentials are offered (bit 1), the second the split size. Decoding must
// never crash, never both fail and open, never grow beyond what it was fed,
// and hand back exactly the bytes after the reply.
#include <algorithm>
#include <cstdlib>

#include "core/transport/proxy_tunnel.h"

using mtcore::Bytes;
using mtcore::ByteView;
using mtcore::transport::ProxyKind;
using mtcore::transport::ProxyServer;
using mtcore::transport::ProxyTunnel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ProxyServer proxy;
  proxy.kind = (data[0] & 1) ? ProxyKind::kHttpConnect : ProxyKind::kSocks5;
  proxy.host = "proxy";
  proxy.port = 1080;
  if (data[0] & 2) {
    proxy.username = "user";
    proxy.password = "pass";
  }
  const size_t step = 1 + data[1];
  data += 2;
  size -= 2;
  absl::StatusOr<ProxyTunnel> t = ProxyTunnel::Create(proxy, "example.com", 443);
  if (!t.ok()) std::abort();
  Bytes out;
  t->PullOutput(out);
  size_t fed = 0, taken = 0;
  for (size_t at = 0; at < size; at += step) {
    const size_t n = std::min(step, size - at);
    absl::Status s = t->OnBytes(ByteView(data + at, n));
    fed += n;
    if (!s.ok()) {
      if (t->open() || s.message().empty()) std::abort();
      break;
    }
    t->PullOutput(out);
    if (out.size() > 4096) std::abort();
    if (t->open()) {
      Bytes left = t->TakeLeftover();
      // What is handed back is the input's tail, byte for byte.
      if (taken + left.size() > fed) std::abort();
      if (!left.empty() && !std::equal(left.begin(), left.end(), data + fed - left.size())) {
        std::abort();
      }
      taken += left.size();
    }
  }
  return 0;
}
