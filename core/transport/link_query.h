// What Telegram's own links share (tg://KIND?query, https://t.me/KIND?query
// and their variants): finding the query, percent-decoding, and reading the
// named parameters. Used by the MTProxy links (mtproxy_link.h) and the
// SOCKS5 links (proxy_link.h). Errors carry no prefix: the caller names the
// link it was reading.
//
// Example:
//   std::optional<std::string_view> q = TelegramLinkQuery(link, "proxy");
//   std::optional<std::string> server, port;
//   MTCORE_RETURN_IF_ERROR(ReadLinkParameters(*q, {{"server", &server}, {"port", &port}}));
#ifndef MTCORE_CORE_TRANSPORT_LINK_QUERY_H_
#define MTCORE_CORE_TRANSPORT_LINK_QUERY_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mtcore::transport {

// The query of `link` if it is tg://KIND?, https:// or http:// t.me/KIND? or
// telegram.me/KIND?, or t.me/KIND? without a scheme (case-insensitive);
// nullopt otherwise.
std::optional<std::string_view> TelegramLinkQuery(std::string_view link, std::string_view kind);

// %XX escapes decoded (and '+' as a space if `plus_is_space`).
// InvalidArgument for a truncated or non-hex escape.
absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space);

// Reads `query` (a=b&c=d): each parameter named in `slots` is
// percent-decoded ('+' as a space) into its slot; unknown parameters are
// ignored. InvalidArgument for a repeated parameter or a bad escape.
absl::Status ReadLinkParameters(
    std::string_view query,
    std::initializer_list<std::pair<std::string_view, std::optional<std::string>*>> slots);

// `host` without the brackets around an IPv6 address ("[::1]" -> "::1").
std::string_view WithoutBrackets(std::string_view host);

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_LINK_QUERY_H_
