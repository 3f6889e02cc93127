#include "core/transport/link_query.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mtcore::transport {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> TelegramLinkQuery(std::string_view link, std::string_view kind) {
  const std::string lower = absl::AsciiStrToLower(link.substr(0, 32));
  for (std::string_view host : {"tg://", "https://t.me/", "http://t.me/", "t.me/",
                                "https://telegram.me/", "http://telegram.me/"}) {
    const std::string prefix = absl::StrCat(host, kind, "?");
    if (absl::StartsWith(lower, prefix)) return link.substr(prefix.size());
  }
  return std::nullopt;
}

absl::StatusOr<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return absl::InvalidArgumentError("truncated percent escape");
      const int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent escape");
      out.push_back(char(hi << 4 | lo));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::Status ReadLinkParameters(
    std::string_view query,
    std::initializer_list<std::pair<std::string_view, std::optional<std::string>*>> slots) {
  for (std::string_view pair : absl::StrSplit(query, '&')) {
    if (pair.empty()) continue;
    std::pair<std::string_view, std::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::optional<std::string>* slot = nullptr;
    for (const auto& [name, where] : slots) {
      if (kv.first == name) slot = where;
    }
    if (slot == nullptr) continue;  // unknown parameters are ignored
    if (slot->has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", kv.first, "' is repeated"));
    }
    absl::StatusOr<std::string> value = PercentDecode(kv.second, /*plus_is_space=*/true);
    if (!value.ok()) return value.status();
    *slot = *std::move(value);
  }
  return absl::OkStatus();
}

std::string_view WithoutBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace mtcore::transport
