#include "io/native/test_proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mtcore::io::testing {

struct TestProxy::Session {
  enum class Step { kGreeting, kAuth, kRequest, kDialling, kRelay };
  std::unique_ptr<TcpConnection> client;
  std::unique_ptr<TcpConnection> upstream;
  Step step = Step::kGreeting;
  Bytes in;          // from the client, not handled yet
  Bytes reply;       // the success reply, sent once the target is up
  bool replied = false;
};

absl::StatusOr<std::unique_ptr<TestProxy>> TestProxy::Start(EventLoop& loop, Options options,
                                                            const std::string& host) {
  absl::StatusOr<SocketAddress> at = SocketAddress::FromHostPort(host, 0);
  if (!at.ok()) return at.status();
  std::unique_ptr<TestProxy> p(new TestProxy(loop, std::move(options)));
  TestProxy* self = p.get();
  absl::StatusOr<std::unique_ptr<TcpListener>> l = TcpListener::Listen(
      loop, *at, [self](std::unique_ptr<TcpConnection> c) { self->OnAccept(std::move(c)); });
  if (!l.ok()) return l.status();
  p->listener_ = *std::move(l);
  return p;
}

TestProxy::TestProxy(EventLoop& loop, Options options)
    : loop_(loop), options_(std::move(options)) {}

TestProxy::~TestProxy() = default;

transport::ProxyServer TestProxy::server() const {
  transport::ProxyServer s;
  s.kind = options_.kind;
  s.host = address().host();
  s.port = address().port();
  s.username = options_.username;
  s.password = options_.password;
  return s;
}

void TestProxy::DropAll() { sessions_.clear(); }

void TestProxy::OnAccept(std::unique_ptr<TcpConnection> c) {
  const uint64_t id = next_id_++;
  auto s = std::make_unique<Session>();
  s->client = std::move(c);
  TcpConnection::Callbacks cb;
  cb.on_data = [this, id](ByteView in) { OnClientData(id, in); };
  cb.on_closed = [this, id](absl::Status) { Close(id); };
  TcpConnection* client = s->client.get();
  sessions_[id] = std::move(s);
  if (!client->Start(std::move(cb)).ok()) Close(id);
}

void TestProxy::Close(uint64_t id) { sessions_.erase(id); }

void TestProxy::Refuse(uint64_t id, Session& s, ByteView reply) {
  ++refused_;
  if (!reply.empty()) (void)s.client->Send(reply);
  Close(id);
}

void TestProxy::OnClientData(uint64_t id, ByteView in) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  bytes_from_clients_ += in.size();
  if (s.step == Session::Step::kRelay) {
    if (!s.upstream->Send(in).ok()) Close(id);
    return;
  }
  s.in.insert(s.in.end(), in.begin(), in.end());
  if (options_.silent || s.step == Session::Step::kDialling) return;
  if (options_.kind == transport::ProxyKind::kSocks5) {
    AdvanceSocks(id, s);
  } else {
    AdvanceHttp(id, s);
  }
}

void TestProxy::AdvanceSocks(uint64_t id, Session& s) {
  const bool need_auth = !options_.username.empty();
  if (s.step == Session::Step::kGreeting) {
    if (s.in.size() < 2) return;
    if (s.in[0] != 5) return Refuse(id, s, {});
    const size_t n = s.in[1];
    if (s.in.size() < 2 + n) return;
    const uint8_t want = need_auth ? 0x02 : 0x00;
    const bool offered = std::find(s.in.begin() + 2, s.in.begin() + 2 + ptrdiff_t(n), want) !=
                         s.in.begin() + 2 + ptrdiff_t(n);
    if (!offered) {
      const uint8_t none[] = {5, 0xff};
      return Refuse(id, s, none);
    }
    s.in.erase(s.in.begin(), s.in.begin() + 2 + ptrdiff_t(n));
    const uint8_t choice[] = {5, want};
    (void)s.client->Send(choice);
    s.step = need_auth ? Session::Step::kAuth : Session::Step::kRequest;
  }
  if (s.step == Session::Step::kAuth) {
    if (s.in.size() < 2) return;
    const size_t ulen = s.in[1];
    if (s.in.size() < 3 + ulen) return;
    const size_t plen = s.in[2 + ulen];
    if (s.in.size() < 3 + ulen + plen) return;
    const std::string user(s.in.begin() + 2, s.in.begin() + 2 + ptrdiff_t(ulen));
    const std::string pass(s.in.begin() + 3 + ptrdiff_t(ulen),
                           s.in.begin() + 3 + ptrdiff_t(ulen + plen));
    s.in.erase(s.in.begin(), s.in.begin() + 3 + ptrdiff_t(ulen + plen));
    if (user != options_.username || pass != options_.password) {
      const uint8_t denied[] = {1, 1};
      return Refuse(id, s, denied);
    }
    const uint8_t ok[] = {1, 0};
    (void)s.client->Send(ok);
    s.step = Session::Step::kRequest;
  }
  if (s.step != Session::Step::kRequest) return;
  if (s.in.size() < 5) return;
  size_t address_size = 0;
  switch (s.in[3]) {
    case 1: address_size = 4; break;
    case 4: address_size = 16; break;
    case 3: address_size = 1 + size_t(s.in[4]); break;
    default: {
      const uint8_t bad[] = {5, 8, 0, 1, 0, 0, 0, 0, 0, 0};
      return Refuse(id, s, bad);
    }
  }
  if (s.in.size() < 4 + address_size + 2) return;
  std::string host;
  char text[INET6_ADDRSTRLEN] = {};
  if (s.in[3] == 1) {
    inet_ntop(AF_INET, s.in.data() + 4, text, sizeof(text));
    host = text;
  } else if (s.in[3] == 4) {
    inet_ntop(AF_INET6, s.in.data() + 4, text, sizeof(text));
    host = text;
  } else {
    host.assign(s.in.begin() + 5, s.in.begin() + 4 + ptrdiff_t(address_size));
  }
  const uint16_t port =
      uint16_t(s.in[4 + address_size] << 8 | s.in[4 + address_size + 1]);
  const uint8_t atyp = s.in[3];
  s.in.erase(s.in.begin(), s.in.begin() + 4 + ptrdiff_t(address_size) + 2);
  targets_.push_back(host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                                         : absl::StrCat(host, ":", port));
  if (options_.socks_refusal != 0) {
    const uint8_t refusal[] = {5, options_.socks_refusal, 0, 1, 0, 0, 0, 0, 0, 0};
    return Refuse(id, s, refusal);
  }
  // The bound address comes back in the request's address type.
  if (atyp == 1) {
    s.reply = {5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34};
  } else if (atyp == 4) {
    s.reply = {5, 0, 0, 4};
    s.reply.resize(4 + 16, 0);
    s.reply.back() = 1;
    s.reply.push_back(0x12);
    s.reply.push_back(0x34);
  } else {
    s.reply = {5, 0, 0, 3, 9};
    for (char c : std::string_view("localhost")) s.reply.push_back(uint8_t(c));
    s.reply.push_back(0x12);
    s.reply.push_back(0x34);
  }
  Dial(id, s, host, port);
}

void TestProxy::AdvanceHttp(uint64_t id, Session& s) {
  const std::string_view text = AsChars(s.in);
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (s.in.size() > 8192) Refuse(id, s, {});
    return;
  }
  std::vector<std::string_view> lines = absl::StrSplit(text.substr(0, end), "\r\n");
  std::vector<std::string_view> request = absl::StrSplit(lines[0], ' ');
  std::string host;
  uint32_t port = 0;
  bool good = request.size() == 3 && request[0] == "CONNECT" && request[2] == "HTTP/1.1";
  if (good) {
    std::string_view authority = request[1];
    const size_t colon = authority.rfind(':');
    good = colon != std::string_view::npos &&
           absl::SimpleAtoi(authority.substr(colon + 1), &port) && port > 0 && port < 65536;
    if (good) {
      std::string_view h = authority.substr(0, colon);
      if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
      host = std::string(h);
    }
  }
  if (!good) return Refuse(id, s, AsBytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
  targets_.push_back(std::string(request[1]));
  if (!options_.username.empty()) {
    const std::string want =
        absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(options_.username, ":",
                                                               options_.password)));
    bool authorised = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::pair<std::string_view, std::string_view> kv =
          absl::StrSplit(lines[i], absl::MaxSplits(':', 1));
      if (absl::EqualsIgnoreCase(kv.first, "Proxy-Authorization") &&
          absl::StripAsciiWhitespace(kv.second) == want) {
        authorised = true;
      }
    }
    if (!authorised) {
      return Refuse(id, s,
                    AsBytes("HTTP/1.1 407 Proxy Authentication Required\r\n"
                            "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"));
    }
  }
  if (options_.http_refusal != 0) {
    const std::string refusal =
        absl::StrCat("HTTP/1.1 ", options_.http_refusal, " Refused\r\nContent-Length: 0\r\n\r\n");
    return Refuse(id, s, AsBytes(refusal));
  }
  s.in.erase(s.in.begin(), s.in.begin() + ptrdiff_t(end + 4));
  const std::string_view ok = "HTTP/1.1 200 Connection established\r\nProxy-Agent: mtcore-test\r\n\r\n";
  s.reply.assign(ok.begin(), ok.end());
  Dial(id, s, host, uint16_t(port));
}

void TestProxy::Dial(uint64_t id, Session& s, const std::string& host, uint16_t port) {
  absl::StatusOr<SocketAddress> target =
      SocketAddress::FromHostPort(host == "localhost" ? "127.0.0.1" : host, port);
  if (!target.ok()) {
    if (options_.kind == transport::ProxyKind::kSocks5) {
      const uint8_t unreachable[] = {5, 4, 0, 1, 0, 0, 0, 0, 0, 0};
      return Refuse(id, s, unreachable);
    }
    return Refuse(id, s, AsBytes("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
  }
  s.step = Session::Step::kDialling;
  TcpConnection::Callbacks cb;
  cb.on_connected = [this, id] {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    Session& t = *it->second;
    ++opened_;
    t.step = Session::Step::kRelay;
    if (!options_.reply_with_first_bytes) {
      t.replied = true;
      (void)t.client->Send(t.reply);
    }
    if (!t.in.empty()) {
      (void)t.upstream->Send(t.in);
      t.in.clear();
    }
  };
  cb.on_data = [this, id](ByteView in) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    Session& t = *it->second;
    if (!t.replied) {
      t.replied = true;
      Bytes both = t.reply;
      both.insert(both.end(), in.begin(), in.end());
      if (!t.client->Send(both).ok()) Close(id);
      return;
    }
    if (!t.client->Send(in).ok()) Close(id);
  };
  cb.on_closed = [this, id](absl::Status) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    Session& t = *it->second;
    if (t.step == Session::Step::kDialling) {
      if (options_.kind == transport::ProxyKind::kSocks5) {
        const uint8_t refused[] = {5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
        return Refuse(id, t, refused);
      }
      return Refuse(id, t, AsBytes("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    }
    Close(id);
  };
  s.upstream = TcpConnection::Connect(loop_, *target, {}, std::move(cb));
}

}  // namespace mtcore::io::testing
