#include "core/transport/proxy_link.h"

#include <optional>
#include <string>
#include <utility>

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
  return absl::InvalidArgumentError(absl::StrCat("proxy link: ", why));
}

// Printable ASCII of `s` for error messages (credentials are never quoted).
std::string Quote(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 100)) out.push_back(absl::ascii_isprint(c) ? c : '?');
  if (s.size() > 100) out += "...";
  return out;
}

// A host name, a dotted IPv4 address or (bare) an IPv6 address.
bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  const bool v6 = host.find(':') != std::string_view::npos;
  for (char c : host) {
    if (v6 ? !(absl::ascii_isxdigit(c) || c == ':' || c == '.')
           : !(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<uint16_t> ParsePort(std::string_view text) {
  uint32_t port = 0;
  if (text.empty() || text.size() > 5 || !absl::ascii_isdigit(text[0]) ||
      !absl::SimpleAtoi(text, &port) || port == 0 || port > 65535) {
    return Bad(absl::StrCat("bad port '", Quote(text), "'"));
  }
  return uint16_t(port);
}

absl::Status CheckCredentials(const ProxyServer& p) {
  if (p.username.empty() && !p.password.empty()) return Bad("a password without a user");
  if (p.username.size() > 255 || p.password.size() > 255) {
    return Bad("user and password must be at most 255 bytes each");
  }
  return absl::OkStatus();
}

// scheme://[user[:pass]@]host:port[/]
absl::StatusOr<ProxyServer> ParseUrl(ProxyKind kind, std::string_view rest) {
  ProxyServer p;
  p.kind = kind;
  if (absl::EndsWith(rest, "/")) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return Bad("a path, query or fragment after host:port");
  }
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::pair<std::string_view, std::string_view> up =
        absl::StrSplit(userinfo, absl::MaxSplits(':', 1));
    absl::StatusOr<std::string> user = PercentDecode(up.first, /*plus_is_space=*/false);
    absl::StatusOr<std::string> pass = PercentDecode(up.second, /*plus_is_space=*/false);
    if (!user.ok()) return Bad(user.status().message());
    if (!pass.ok()) return Bad(pass.status().message());
    p.username = *std::move(user);
    p.password = *std::move(pass);
    if (p.username.empty()) return Bad("empty user before '@'");
  }
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad("missing ']' after an IPv6 host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') return Bad("missing ':port'");
    port = after.substr(1);
    if (host.find(':') == std::string_view::npos) {
      return Bad(absl::StrCat("bad host '[", Quote(host), "]'"));
    }
  } else {
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return Bad("missing ':port'");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Bad("an IPv6 host needs brackets, as in [2001:db8::1]:1080");
    }
  }
  if (!ValidHost(host)) return Bad(absl::StrCat("bad host '", Quote(host), "'"));
  p.host = std::string(host);
  MTCORE_ASSIGN_OR_RETURN(p.port, ParsePort(port));
  MTCORE_RETURN_IF_ERROR(CheckCredentials(p));
  return p;
}

// server=H&port=P[&user=U&pass=W]
absl::StatusOr<ProxyServer> ParseTelegramQuery(std::string_view query) {
  std::optional<std::string> server, port, user, pass;
  if (absl::Status read = ReadLinkParameters(
          query, {{"server", &server}, {"port", &port}, {"user", &user}, {"pass", &pass}});
      !read.ok()) {
    return Bad(read.message());
  }
  if (!server) return Bad("missing 'server'");
  if (!port) return Bad("missing 'port'");
  ProxyServer p;
  p.kind = ProxyKind::kSocks5;
  const std::string_view host = WithoutBrackets(*server);
  if (!ValidHost(host)) return Bad(absl::StrCat("bad server '", Quote(*server), "'"));
  p.host = std::string(host);
  MTCORE_ASSIGN_OR_RETURN(p.port, ParsePort(*port));
  if (user) p.username = *std::move(user);
  if (pass) p.password = *std::move(pass);
  MTCORE_RETURN_IF_ERROR(CheckCredentials(p));
  return p;
}

}  // namespace

absl::StatusOr<ProxyServer> ParseProxyLink(std::string_view link) {
  const std::string lower = absl::AsciiStrToLower(link.substr(0, 32));
  struct Scheme {
    std::string_view prefix;
    ProxyKind kind;
  };
  // The t.me forms first: "http://t.me/socks?" is a SOCKS5 link, not an HTTP proxy.
  if (std::optional<std::string_view> query = TelegramLinkQuery(link, "socks")) {
    return ParseTelegramQuery(*query);
  }
  if (absl::StartsWith(lower, "tg://proxy?") || absl::StrContains(lower, "t.me/proxy?")) {
    return Bad("an MTProxy link (use ParseMtProxyLink and EngineConfig::proxy_secret)");
  }
  for (const Scheme& s : {Scheme{"socks5://", ProxyKind::kSocks5},
                          Scheme{"socks5h://", ProxyKind::kSocks5},
                          Scheme{"http://", ProxyKind::kHttpConnect}}) {
    if (absl::StartsWith(lower, s.prefix)) return ParseUrl(s.kind, link.substr(s.prefix.size()));
  }
  return Bad("not a socks5://, socks5h://, http://, tg://socks or t.me/socks link");
}

}  // namespace mtcore::transport
