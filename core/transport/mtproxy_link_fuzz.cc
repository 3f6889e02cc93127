// Fuzz target: ParseMtProxyLink on arbitrary text. A parsed link must be
// internally consistent.
#include <cstdlib>
#include <string_view>

#include "core/transport/mtproxy_link.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto link = mtcore::transport::ParseMtProxyLink(text);
  if (link.ok()) {
    if (link->server.empty() || link->port == 0) std::abort();
    bool tls = link->mode == mtcore::transport::MtProxyMode::kFakeTls;
    if (tls == link->tls_domain.empty()) std::abort();
  } else if (link.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
