#include "core/transport/http_connect.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mtcore::transport {
namespace {

absl::Status Malformed(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("HTTP proxy: malformed reply: ", why));
}

// Printable ASCII of `s`, at most `max` characters (for error messages).
std::string Printable(std::string_view s, size_t max = 100) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(absl::ascii_isprint(c) ? c : '?');
  if (s.size() > max) out += "...";
  return out;
}

bool HostChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
}

}  // namespace

absl::StatusOr<HttpConnect> HttpConnect::Create(std::string_view host, uint16_t port,
                                                std::string_view username,
                                                std::string_view password) {
  if (port == 0) return absl::InvalidArgumentError("HTTP CONNECT: target port 0");
  std::string_view bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') {
    bare = bare.substr(1, bare.size() - 2);
  }
  if (bare.empty() || bare.size() > 255 || !std::all_of(bare.begin(), bare.end(), HostChar)) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP CONNECT: bad target host '",
                                                   Printable(host), "'"));
  }
  if (username.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "HTTP CONNECT: a username with ':' cannot be sent with Basic authentication");
  }
  if (username.empty() && !password.empty()) {
    return absl::InvalidArgumentError("HTTP CONNECT: a password without a username");
  }
  const std::string authority =
      bare.find(':') != std::string_view::npos ? absl::StrCat("[", bare, "]:", port)
                                               : absl::StrCat(bare, ":", port);
  std::string request =
      absl::StrCat("CONNECT ", authority, " HTTP/1.1\r\nHost: ", authority, "\r\n");
  if (!username.empty()) {
    absl::StrAppend(&request, "Proxy-Authorization: Basic ",
                    absl::Base64Escape(absl::StrCat(username, ":", password)), "\r\n");
  }
  request += "\r\n";
  HttpConnect h;
  h.sent_credentials_ = !username.empty();
  h.out_.assign(request.begin(), request.end());
  return h;
}

void HttpConnect::PullOutput(Bytes& out) {
  out.insert(out.end(), out_.begin(), out_.end());
  out_.clear();
}

Bytes HttpConnect::TakeLeftover() {
  if (state_ != State::kOpen) return {};
  return std::exchange(in_, {});
}

absl::Status HttpConnect::OnBytes(ByteView in) {
  if (!error_.ok()) return error_;
  in_.insert(in_.end(), in.begin(), in.end());
  if (state_ == State::kOpen) return absl::OkStatus();
  error_ = Advance();
  if (!error_.ok()) in_.clear();
  return error_;
}

absl::Status HttpConnect::Advance() {
  size_t at = 0;  // start of the next line in in_
  absl::Status result = absl::OkStatus();
  while (state_ != State::kOpen) {
    auto nl = std::find(in_.begin() + ptrdiff_t(at), in_.end(), uint8_t('\n'));
    if (nl == in_.end()) {
      if (consumed_ + (in_.size() - at) > kMaxReplyBytes) {
        result = absl::ResourceExhaustedError(absl::StrCat(
            "HTTP proxy: the reply's status line and headers exceed ", kMaxReplyBytes, " bytes"));
      }
      break;
    }
    const size_t end = size_t(nl - in_.begin());
    consumed_ += end + 1 - at;
    if (consumed_ > kMaxReplyBytes) {
      result = absl::ResourceExhaustedError(absl::StrCat(
          "HTTP proxy: the reply's status line and headers exceed ", kMaxReplyBytes, " bytes"));
      break;
    }
    std::string_view line(reinterpret_cast<const char*>(in_.data()) + at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (state_ == State::kStatusLine) {
      if (line.empty()) continue;  // stray blank lines before the status line
      result = OnStatusLine(line);
      if (!result.ok()) break;
      state_ = State::kHeaders;
    } else if (line.empty()) {
      // The end of a reply's head.
      if (interim_) {
        interim_ = false;
        state_ = State::kStatusLine;
      } else {
        state_ = State::kOpen;
      }
    } else if (line.find(':') == std::string_view::npos && line.front() != ' ' &&
               line.front() != '\t') {
      result = Malformed(absl::StrCat("header line without ':': '", Printable(line), "'"));
      break;
    }
  }
  in_.erase(in_.begin(), in_.begin() + ptrdiff_t(std::min(at, in_.size())));
  return result;
}

absl::Status HttpConnect::OnStatusLine(std::string_view line) {
  // HTTP/d.d SP ddd [SP reason]
  if (!absl::StartsWith(line, "HTTP/")) {
    return Malformed(absl::StrCat("not an HTTP status line: '", Printable(line), "'"));
  }
  const size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4 ||
      !absl::ascii_isdigit(line[space + 1]) || !absl::ascii_isdigit(line[space + 2]) ||
      !absl::ascii_isdigit(line[space + 3]) ||
      (line.size() > space + 4 && line[space + 4] != ' ')) {
    return Malformed(absl::StrCat("bad status line: '", Printable(line), "'"));
  }
  const int code = (line[space + 1] - '0') * 100 + (line[space + 2] - '0') * 10 +
                   (line[space + 3] - '0');
  std::string_view reason = line.size() > space + 5 ? line.substr(space + 5) : std::string_view();
  const std::string what =
      reason.empty() ? absl::StrCat(code) : absl::StrCat(code, " ", Printable(reason));
  if (code >= 100 && code < 200) {
    interim_ = true;
    return absl::OkStatus();
  }
  if (code >= 200 && code < 300) return absl::OkStatus();
  if (code == 407) {
    return absl::PermissionDeniedError(
        absl::StrCat("HTTP proxy: authentication ",
                     sent_credentials_ ? "failed (wrong username or password?)" : "required",
                     " (", what, ")"));
  }
  return absl::UnavailableError(absl::StrCat("HTTP proxy: CONNECT refused: ", what));
}

}  // namespace mtcore::transport
