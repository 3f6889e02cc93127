#include "core/transport/mtproxy_link.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"
#include "core/transport/link_query.h"

namespace mtcore::transport {

namespace {

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("MTProxy link: ", why));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

std::optional<Bytes> DecodeBase64(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  Bytes out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  return out;
}

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' && c != '_') return false;
  }
  return true;
}

bool ValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  for (char c : domain) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Bytes> DecodeProxySecret(std::string_view secret) {
  if (secret.empty()) return Bad("empty secret");
  bool all_hex = secret.size() % 2 == 0;
  for (char c : secret) all_hex = all_hex && HexDigit(c) >= 0;
  if (all_hex) {
    Bytes out(secret.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = uint8_t(HexDigit(secret[2 * i]) << 4 | HexDigit(secret[2 * i + 1]));
    }
    return out;
  }
  std::optional<Bytes> b64 = DecodeBase64(secret);
  if (!b64) return Bad("secret is neither hex nor base64");
  return *std::move(b64);
}

absl::StatusOr<MtProxyLink> ParseMtProxyLink(std::string_view link) {
  const std::optional<std::string_view> query = TelegramLinkQuery(link, "proxy");
  if (!query.has_value()) return Bad("not a tg://proxy or t.me/proxy link");
  std::optional<std::string> server, port, secret;
  if (absl::Status read = ReadLinkParameters(
          *query, {{"server", &server}, {"port", &port}, {"secret", &secret}});
      !read.ok()) {
    return Bad(read.message());
  }
  if (!server) return Bad("missing 'server'");
  if (!port) return Bad("missing 'port'");
  if (!secret) return Bad("missing 'secret'");
  MtProxyLink out;
  std::string host(WithoutBrackets(*server));
  if (!ValidHost(host)) return Bad(absl::StrCat("bad server '", *server, "'"));
  out.server = host;
  uint32_t port_number = 0;
  if (port->empty() || port->size() > 5 || !absl::SimpleAtoi(*port, &port_number) ||
      port_number == 0 || port_number > 65535 || !absl::ascii_isdigit((*port)[0])) {
    return Bad(absl::StrCat("bad port '", *port, "'"));
  }
  out.port = uint16_t(port_number);
  MTCORE_ASSIGN_OR_RETURN(Bytes raw, DecodeProxySecret(*secret));
  if (raw.size() == 16) {
    out.mode = MtProxyMode::kObfuscated;
    std::copy(raw.begin(), raw.end(), out.key.begin());
  } else if (raw.size() == 17 && raw[0] == 0xdd) {
    out.mode = MtProxyMode::kPaddedIntermediate;
    std::copy(raw.begin() + 1, raw.end(), out.key.begin());
  } else if (raw.size() > 17 && raw[0] == 0xee) {
    out.mode = MtProxyMode::kFakeTls;
    std::copy(raw.begin() + 1, raw.begin() + 17, out.key.begin());
    out.tls_domain.assign(raw.begin() + 17, raw.end());
    if (!ValidDomain(out.tls_domain)) return Bad("bad TLS domain in 'ee' secret");
  } else if (raw.size() == 17 && raw[0] == 0xee) {
    return Bad("'ee' secret without a TLS domain");
  } else {
    return Bad(absl::StrCat("secret of ", raw.size(),
                            " bytes (want 16, dd + 16, or ee + 16 + domain)"));
  }
  return out;
}

}  // namespace mtcore::transport
