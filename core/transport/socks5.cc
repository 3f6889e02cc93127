#include "core/transport/socks5.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mtcore::transport {
namespace {

constexpr uint8_t kVersion = 5;
constexpr uint8_t kNoAuth = 0x00;
constexpr uint8_t kUserPass = 0x02;
constexpr uint8_t kNoAcceptable = 0xff;
constexpr uint8_t kAuthVersion = 1;  // RFC 1929's sub-negotiation version
constexpr uint8_t kConnect = 0x01;
constexpr uint8_t kAtypIpv4 = 0x01;
constexpr uint8_t kAtypDomain = 0x03;
constexpr uint8_t kAtypIpv6 = 0x04;

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("SOCKS5 proxy: malformed reply: ", why));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "a.b.c.d", each 0..255 in decimal without leading zeros (so that "010"
// is not silently read as 10 where other parsers read 8).
std::optional<std::array<uint8_t, 4>> ParseIpv4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  size_t at = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (at >= s.size() || s[at] != '.') return std::nullopt;
      ++at;
    }
    size_t start = at;
    int value = 0;
    while (at < s.size() && absl::ascii_isdigit(s[at]) && at - start < 3) {
      value = value * 10 + (s[at] - '0');
      ++at;
    }
    const size_t digits = at - start;
    if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) return std::nullopt;
    out[size_t(part)] = uint8_t(value);
  }
  if (at != s.size()) return std::nullopt;
  return out;
}

// RFC 4291 text: eight groups of 1..4 hex digits, one "::" for a run of
// zero groups, and optionally a dotted IPv4 address as the last 32 bits.
std::optional<std::array<uint8_t, 16>> ParseIpv6(std::string_view s) {
  std::array<uint16_t, 8> groups{};
  int count = 0;
  int gap = -1;  // index in groups where "::" stands
  size_t at = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    at = 2;
  } else if (!s.empty() && s[0] == ':') {
    return std::nullopt;
  }
  while (at < s.size()) {
    if (count >= 8) return std::nullopt;
    // A dotted IPv4 tail?
    size_t end = s.find(':', at);
    std::string_view token = s.substr(at, end == std::string_view::npos ? s.npos : end - at);
    if (end == std::string_view::npos && token.find('.') != std::string_view::npos) {
      if (count > 6) return std::nullopt;
      std::optional<std::array<uint8_t, 4>> v4 = ParseIpv4(token);
      if (!v4.has_value()) return std::nullopt;
      groups[size_t(count++)] = uint16_t((*v4)[0] << 8 | (*v4)[1]);
      groups[size_t(count++)] = uint16_t((*v4)[2] << 8 | (*v4)[3]);
      at = s.size();
      break;
    }
    if (token.empty() || token.size() > 4) return std::nullopt;
    uint16_t value = 0;
    for (char c : token) {
      int d = HexDigit(c);
      if (d < 0) return std::nullopt;
      value = uint16_t(value << 4 | d);
    }
    groups[size_t(count++)] = value;
    at += token.size();
    if (at == s.size()) break;
    // at points to ':'.
    if (at + 1 < s.size() && s[at + 1] == ':') {
      if (gap >= 0) return std::nullopt;  // a second "::"
      gap = count;
      at += 2;
    } else {
      ++at;
      if (at == s.size()) return std::nullopt;  // a trailing single ':'
    }
  }
  if (gap < 0 && count != 8) return std::nullopt;
  if (gap >= 0 && count > 7) return std::nullopt;
  std::array<uint16_t, 8> full{};
  if (gap < 0) {
    full = groups;
  } else {
    const int tail = count - gap;
    for (int i = 0; i < gap; ++i) full[size_t(i)] = groups[size_t(i)];
    for (int i = 0; i < tail; ++i) full[size_t(8 - tail + i)] = groups[size_t(gap + i)];
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = uint8_t(full[i] >> 8);
    out[2 * i + 1] = uint8_t(full[i]);
  }
  return out;
}

std::string_view ReplyText(uint8_t rep) {
  switch (rep) {
    case 0x01: return "general SOCKS server failure";
    case 0x02: return "connection not allowed by ruleset";
    case 0x03: return "network unreachable";
    case 0x04: return "host unreachable";
    case 0x05: return "connection refused by target";
    case 0x06: return "TTL expired";
    case 0x07: return "command not supported";
    case 0x08: return "address type not supported";
    default: return "unassigned error code";
  }
}

absl::Status ReplyError(uint8_t rep) {
  std::string message = absl::StrCat("SOCKS5 proxy: ", ReplyText(rep), " (REP ", rep, ")");
  switch (rep) {
    case 0x02: return absl::PermissionDeniedError(message);
    case 0x07:
    case 0x08: return absl::UnimplementedError(message);
    default: return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<Socks5Connect> Socks5Connect::Create(std::string_view host, uint16_t port,
                                                    std::string_view username,
                                                    std::string_view password) {
  if (port == 0) return absl::InvalidArgumentError("SOCKS5: target port 0");
  if (username.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("SOCKS5: username of ", username.size(), " bytes (at most 255)"));
  }
  if (password.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("SOCKS5: password of ", password.size(), " bytes (at most 255)"));
  }
  if (username.empty() && !password.empty()) {
    return absl::InvalidArgumentError("SOCKS5: a password without a username");
  }
  std::string_view bare = host;
  const bool bracketed = bare.size() >= 2 && bare.front() == '[' && bare.back() == ']';
  if (bracketed) bare = bare.substr(1, bare.size() - 2);
  Bytes request = {kVersion, kConnect, 0x00};
  if (std::optional<std::array<uint8_t, 4>> v4 = bracketed ? std::nullopt : ParseIpv4(bare)) {
    request.push_back(kAtypIpv4);
    request.insert(request.end(), v4->begin(), v4->end());
  } else if (bare.find(':') != std::string_view::npos) {
    std::optional<std::array<uint8_t, 16>> v6 = ParseIpv6(bare);
    if (!v6.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("SOCKS5: target '", host, "' is not a valid IPv6 address"));
    }
    request.push_back(kAtypIpv6);
    request.insert(request.end(), v6->begin(), v6->end());
  } else {
    if (bracketed || bare.empty() || bare.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SOCKS5: target host '", host, "' must be an address or a name of 1..255 bytes"));
    }
    request.push_back(kAtypDomain);
    request.push_back(uint8_t(bare.size()));
    request.insert(request.end(), bare.begin(), bare.end());
  }
  request.push_back(uint8_t(port >> 8));
  request.push_back(uint8_t(port));

  Socks5Connect s;
  s.username_ = std::string(username);
  s.password_ = std::string(password);
  s.connect_ = std::move(request);
  if (username.empty()) {
    s.out_ = {kVersion, 1, kNoAuth};
  } else {
    s.out_ = {kVersion, 2, kNoAuth, kUserPass};
  }
  return s;
}

void Socks5Connect::PullOutput(Bytes& out) {
  out.insert(out.end(), out_.begin(), out_.end());
  out_.clear();
}

Bytes Socks5Connect::TakeLeftover() {
  if (state_ != State::kOpen) return {};
  return std::exchange(in_, {});
}

absl::Status Socks5Connect::OnBytes(ByteView in) {
  if (!error_.ok()) return error_;
  in_.insert(in_.end(), in.begin(), in.end());
  if (state_ == State::kOpen) return absl::OkStatus();
  error_ = Advance();
  if (!error_.ok()) {
    in_.clear();
    out_.clear();
  }
  return error_;
}

absl::Status Socks5Connect::Advance() {
  while (state_ != State::kOpen) {
    switch (state_) {
      case State::kChoice: {
        if (in_.size() < 2) return absl::OkStatus();
        if (in_[0] != kVersion) {
          return Malformed(absl::StrCat("version ", in_[0], " in the method choice (want 5)"));
        }
        const uint8_t method = in_[1];
        in_.erase(in_.begin(), in_.begin() + 2);
        if (method == kNoAcceptable) {
          return absl::PermissionDeniedError(absl::StrCat(
              "SOCKS5 proxy: no acceptable authentication method (offered ",
              username_.empty() ? "no authentication only; the proxy may need a username and "
                                  "password"
                                : "no authentication and username/password",
              ")"));
        }
        if (method == kNoAuth) {
          out_.insert(out_.end(), connect_.begin(), connect_.end());
          state_ = State::kReply;
        } else if (method == kUserPass && !username_.empty()) {
          out_.push_back(kAuthVersion);
          out_.push_back(uint8_t(username_.size()));
          out_.insert(out_.end(), username_.begin(), username_.end());
          out_.push_back(uint8_t(password_.size()));
          out_.insert(out_.end(), password_.begin(), password_.end());
          state_ = State::kAuth;
        } else {
          return Malformed(absl::StrCat("the proxy chose method ", method, ", which was not offered"));
        }
        break;
      }
      case State::kAuth: {
        if (in_.size() < 2) return absl::OkStatus();
        if (in_[0] != kAuthVersion) {
          return Malformed(
              absl::StrCat("version ", in_[0], " in the authentication reply (want 1)"));
        }
        const uint8_t status = in_[1];
        in_.erase(in_.begin(), in_.begin() + 2);
        if (status != 0) {
          return absl::PermissionDeniedError(absl::StrCat(
              "SOCKS5 proxy: authentication failed for user '", username_, "' (status ", status,
              ")"));
        }
        out_.insert(out_.end(), connect_.begin(), connect_.end());
        state_ = State::kReply;
        break;
      }
      case State::kReply: {
        // VER REP RSV ATYP, then the bound address and port.
        if (in_.size() < 2) return absl::OkStatus();
        if (in_[0] != kVersion) {
          return Malformed(absl::StrCat("version ", in_[0], " in the CONNECT reply (want 5)"));
        }
        // A refusal is reported as soon as its code is known: some proxies
        // close without the rest of the reply.
        if (in_[1] != 0) return ReplyError(in_[1]);
        if (in_.size() < 5) return absl::OkStatus();
        size_t address_size = 0;
        switch (in_[3]) {
          case kAtypIpv4: address_size = 4; break;
          case kAtypIpv6: address_size = 16; break;
          case kAtypDomain: address_size = 1 + size_t(in_[4]); break;
          default:
            return Malformed(absl::StrCat("address type ", in_[3], " in the CONNECT reply"));
        }
        const size_t total = 4 + address_size + 2;
        if (in_.size() < total) return absl::OkStatus();
        in_.erase(in_.begin(), in_.begin() + ptrdiff_t(total));
        state_ = State::kOpen;
        break;
      }
      case State::kOpen:
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace mtcore::transport
