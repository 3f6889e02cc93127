// MTProxy links: `tg://proxy?server=H&port=P&secret=S` and
// `https://t.me/proxy?server=H&port=P&secret=S` (also http://, and t.me/
// without a scheme).
//
// The secret is hex or base64 (url-safe or standard alphabet, padding
// optional). Its form selects the transport:
//   16 bytes                 obfuscated2 with the secret as the key;
//   0xdd + 16 bytes          obfuscated2 over padded intermediate;
//   0xee + 16 bytes + domain FakeTLS: a TLS-looking stream to `domain`.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(MtProxyLink link, ParseMtProxyLink(
//       "tg://proxy?server=proxy.example&port=443&secret=dd0123456789abcdef0123456789abcdef"));
//   // link.mode == MtProxyMode::kPaddedIntermediate
#ifndef MTCORE_CORE_TRANSPORT_MTPROXY_LINK_H_
#define MTCORE_CORE_TRANSPORT_MTPROXY_LINK_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::transport {

enum class MtProxyMode : uint8_t {
  kObfuscated,          // 16-byte secret
  kPaddedIntermediate,  // "dd" secret
  kFakeTls,             // "ee" secret with a TLS domain
};

struct MtProxyLink {
  std::string server;  // host name or IP address (IPv6 without brackets)
  uint16_t port = 0;
  MtProxyMode mode = MtProxyMode::kObfuscated;
  std::array<uint8_t, 16> key{};  // the obfuscation key
  std::string tls_domain;         // kFakeTls only
};

// Parses a proxy link. Errors are InvalidArgument with the reason: not a
// proxy link, a missing or repeated parameter, a bad port, a secret that is
// neither hex nor base64, a secret of the wrong length or prefix, a bad TLS
// domain.
absl::StatusOr<MtProxyLink> ParseMtProxyLink(std::string_view link);

// Decodes a secret as it appears in links (hex or base64) into its bytes.
absl::StatusOr<Bytes> DecodeProxySecret(std::string_view secret);

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_MTPROXY_LINK_H_
