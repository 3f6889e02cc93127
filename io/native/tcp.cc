#include "io/native/tcp.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/native/errno_status.h"

namespace mtcore::io {
namespace {

// Reads per readable event before yielding to other fds.
constexpr int kReadsPerEvent = 4;
// Accepts per readable event before yielding to other fds.
constexpr int kAcceptsPerEvent = 16;
// How long a listener pauses after running out of descriptors.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

absl::Status BadAddress(std::string_view input, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad address '", input, "': ", why));
}

constexpr char kNotNumeric[] =
    "not a numeric IPv4 or IPv6 address (resolve names with io::Resolver)";

}  // namespace

// --- SocketAddress -------------------------------------------------------------

std::optional<SocketAddress> SocketAddress::FromNumericHost(std::string_view host,
                                                            uint16_t port) {
  std::string_view bare = host;
  const bool bracketed = bare.size() >= 2 && bare.front() == '[' && bare.back() == ']';
  if (bracketed) bare = bare.substr(1, bare.size() - 2);
  const std::string text(bare);
  SocketAddress out;
  if (!bracketed) {
    sockaddr_in v4 = {};
    if (inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(port);
      std::memcpy(&out.storage_, &v4, sizeof(v4));
      out.length_ = sizeof(v4);
      return out;
    }
  }
  sockaddr_in6 v6 = {};
  if (inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&out.storage_, &v6, sizeof(v6));
    out.length_ = sizeof(v6);
    return out;
  }
  return std::nullopt;
}

absl::StatusOr<SocketAddress> SocketAddress::FromHostPort(std::string_view host, uint16_t port) {
  std::optional<SocketAddress> a = FromNumericHost(host, port);
  if (!a.has_value()) return BadAddress(host, kNotNumeric);
  return *a;
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(std::string_view host_port) {
  std::string_view host, port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos) return BadAddress(host_port, "missing ']'");
    host = host_port.substr(0, close + 1);
    std::string_view rest = host_port.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return BadAddress(host_port, "expected ':port' after ']'");
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return BadAddress(host_port, "missing ':port'");
    host = host_port.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(host_port, "IPv6 addresses need brackets, as in [::1]:443");
    }
    port_text = host_port.substr(colon + 1);
  }
  if (host.empty()) return BadAddress(host_port, "missing host");
  uint32_t port = 0;
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return BadAddress(host_port, "port must be a number from 0 to 65535");
  }
  std::optional<SocketAddress> a = FromNumericHost(host, uint16_t(port));
  if (!a.has_value()) return BadAddress(host_port, kNotNumeric);
  return *a;
}

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress out;
  if (sa != nullptr && sa->sa_family == AF_INET && len >= socklen_t(sizeof(sockaddr_in))) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in));
    out.length_ = sizeof(sockaddr_in);
    return out;
  }
  if (sa != nullptr && sa->sa_family == AF_INET6 && len >= socklen_t(sizeof(sockaddr_in6))) {
    std::memcpy(&out.storage_, sa, sizeof(sockaddr_in6));
    out.length_ = sizeof(sockaddr_in6);
    return out;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not an IPv4/IPv6 socket address (family ", sa ? sa->sa_family : -1,
                   ", length ", len, ")"));
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
}

std::string SocketAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
              sizeof(buf));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", host(), "]:", port());
  return absl::StrCat(host(), ":", port());
}

bool SocketAddress::IsLoopback() const {
  if (family() == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr);
    return (a >> 24) == 127;
  }
  return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
}

// --- TcpConnection -------------------------------------------------------------

TcpConnection::TcpConnection(EventLoop& loop, const SocketAddress& peer, TcpOptions options)
    : loop_(loop),
      peer_(peer),
      options_(options),
      state_(State::kConnecting),
      callbacks_(std::make_shared<Callbacks>()),
      alive_(std::make_shared<bool>(true)) {
  if (options_.read_chunk == 0) options_.read_chunk = 1;
}

TcpConnection::~TcpConnection() {
  *alive_ = false;
  ReleaseSocket();
  loop_.CancelTimer(fail_timer_);
}

std::unique_ptr<TcpConnection> TcpConnection::Connect(EventLoop& loop,
                                                      const SocketAddress& address,
                                                      TcpOptions options, Callbacks callbacks) {
  std::unique_ptr<TcpConnection> conn(new TcpConnection(loop, address, options));
  *conn->callbacks_ = std::move(callbacks);
  conn->BeginConnect();
  return conn;
}

void TcpConnection::BeginConnect() {
  const std::string what = absl::StrCat("connect to ", peer_.ToString());
  fd_ = socket(peer_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail(ErrnoStatus(errno, absl::StrCat(what, ": socket")), true);
  if (options_.no_delay) {
    int one = 1;
    if (setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
      return Fail(ErrnoStatus(errno, absl::StrCat(what, ": setsockopt(TCP_NODELAY)")), true);
    }
  }
  if (connect(fd_, peer_.raw(), peer_.raw_length()) != 0 && errno != EINPROGRESS) {
    return Fail(ErrnoStatus(errno, what), true);
  }
  // Established or in progress: either way the socket turns writable.
  absl::Status reg = loop_.AddFd(fd_, kWritable, [this](uint32_t ev) { OnEvents(ev); });
  if (!reg.ok()) return Fail(reg, true);
  registered_ = true;
  connect_timer_ = loop_.AddTimerAfter(options_.connect_timeout, [this] {
    connect_timer_ = 0;
    Fail(absl::DeadlineExceededError(absl::StrCat("connect to ", peer_.ToString(),
                                                  " timed out after ",
                                                  absl::FormatDuration(options_.connect_timeout))),
         false);
  });
}

absl::Status TcpConnection::Start(Callbacks callbacks) {
  if (state_ != State::kAccepted) {
    return absl::FailedPreconditionError(
        absl::StrCat("connection with ", peer_.ToString(),
                     closed() ? " is closed" : " was already started"));
  }
  *callbacks_ = std::move(callbacks);
  state_ = State::kConnected;
  absl::Status reg = loop_.AddFd(fd_, kReadable, [this](uint32_t ev) { OnEvents(ev); });
  if (!reg.ok()) {
    Fail(reg, true);
    return absl::OkStatus();
  }
  registered_ = true;
  UpdateInterest();
  return absl::OkStatus();
}

absl::Status TcpConnection::Send(ByteView data) {
  if (state_ == State::kClosed) {
    return absl::FailedPreconditionError(
        absl::StrCat("connection with ", peer_.ToString(), " is closed"));
  }
  if (data.empty()) return absl::OkStatus();
  if (data.size() > options_.max_write_queue - std::min(queued_bytes(), options_.max_write_queue)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "write queue to ", peer_.ToString(), " would hold ", queued_bytes() + data.size(),
        " bytes, more than the limit of ", options_.max_write_queue));
  }
  if (out_pos_ > 0 && out_pos_ >= out_.size() / 2) {  // compact the sent prefix
    out_.erase(out_.begin(), out_.begin() + ptrdiff_t(out_pos_));
    out_pos_ = 0;
  }
  out_.insert(out_.end(), data.begin(), data.end());
  if (state_ == State::kConnected && registered_) {
    absl::Status flushed = Flush();
    if (!flushed.ok()) {
      Fail(flushed, true);
      return absl::OkStatus();
    }
    UpdateInterest();
  }
  return absl::OkStatus();
}

void TcpConnection::Close() {
  ReleaseSocket();
  loop_.CancelTimer(fail_timer_);
  fail_timer_ = 0;
  state_ = State::kClosed;
  out_.clear();
  out_pos_ = 0;
}

absl::StatusOr<SocketAddress> TcpConnection::LocalAddress() const {
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("connection with ", peer_.ToString(), " is closed"));
  }
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return ErrnoStatus(errno, absl::StrCat("getsockname for ", peer_.ToString()));
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

void TcpConnection::ReleaseSocket() {
  if (registered_) loop_.RemoveFd(fd_);
  registered_ = false;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  loop_.CancelTimer(connect_timer_);
  connect_timer_ = 0;
}

void TcpConnection::Fail(absl::Status why, bool defer) {
  if (state_ == State::kClosed) return;
  ReleaseSocket();
  state_ = State::kClosed;
  out_.clear();
  out_pos_ = 0;
  auto deliver = [callbacks = callbacks_, why = std::move(why)]() mutable {
    if (callbacks->on_closed) {
      auto on_closed = std::move(callbacks->on_closed);
      on_closed(std::move(why));
    }
  };
  if (defer) {
    fail_timer_ = loop_.AddTimer(absl::InfinitePast(), [this, deliver = std::move(deliver)]() mutable {
      fail_timer_ = 0;
      deliver();
    });
  } else {
    deliver();
  }
}

void TcpConnection::OnEvents(uint32_t events) {
  std::shared_ptr<bool> alive = alive_;
  if (state_ == State::kConnecting) {
    OnConnectWritable();
    return;
  }
  if (events & (kReadable | kErrorOrHangup)) {
    ReadSome();
    if (!*alive || state_ == State::kClosed) return;
  }
  if (events & (kWritable | kErrorOrHangup)) {
    absl::Status flushed = Flush();
    if (!flushed.ok()) return Fail(flushed, false);
    UpdateInterest();
  }
}

void TcpConnection::OnConnectWritable() {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    return Fail(ErrnoStatus(err, absl::StrCat("connect to ", peer_.ToString())), false);
  }
  loop_.CancelTimer(connect_timer_);
  connect_timer_ = 0;
  state_ = State::kConnected;
  std::shared_ptr<bool> alive = alive_;
  std::shared_ptr<Callbacks> callbacks = callbacks_;
  if (callbacks->on_connected) {
    callbacks->on_connected();
    if (!*alive || state_ == State::kClosed) return;
  }
  absl::Status flushed = Flush();
  if (!flushed.ok()) return Fail(flushed, false);
  UpdateInterest();
}

void TcpConnection::ReadSome() {
  std::shared_ptr<bool> alive = alive_;
  std::shared_ptr<Callbacks> callbacks = callbacks_;
  if (read_buf_.size() != options_.read_chunk) read_buf_.resize(options_.read_chunk);
  for (int i = 0; i < kReadsPerEvent; ++i) {
    ssize_t n = read(fd_, read_buf_.data(), read_buf_.size());
    if (n > 0) {
      if (callbacks->on_data) {
        callbacks->on_data(ByteView(read_buf_.data(), size_t(n)));
        if (!*alive || state_ == State::kClosed) return;
      }
      if (size_t(n) < read_buf_.size()) return;  // drained for now
      continue;
    }
    if (n == 0) return Fail(absl::OkStatus(), false);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return Fail(ErrnoStatus(errno, absl::StrCat("read from ", peer_.ToString())), false);
  }
}

absl::Status TcpConnection::Flush() {
  while (out_pos_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n >= 0) {
      out_pos_ += size_t(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return ErrnoStatus(errno, absl::StrCat("write to ", peer_.ToString()));
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  return absl::OkStatus();
}

void TcpConnection::UpdateInterest() {
  if (!registered_ || state_ != State::kConnected) return;
  uint32_t interest = kReadable | (queued_bytes() > 0 ? kWritable : 0);
  absl::Status s = loop_.SetInterest(fd_, interest);
  if (!s.ok()) Fail(s, true);
}

// --- TcpListener ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Listen(EventLoop& loop,
                                                                const SocketAddress& address,
                                                                AcceptCallback on_accept,
                                                                ListenOptions options) {
  const std::string where = address.ToString();
  int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("socket for listening on ", where));
  auto fail = [&](std::string_view what) {
    absl::Status s = ErrnoStatus(errno, absl::StrCat(what, " ", where));
    close(fd);
    return s;
  };
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return fail("setsockopt(SO_REUSEADDR) on");
  }
  if (address.family() == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
    return fail("setsockopt(IPV6_V6ONLY) on");
  }
  if (bind(fd, address.raw(), address.raw_length()) != 0) return fail("bind");
  if (listen(fd, options.backlog) != 0) return fail("listen on");
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail("getsockname on");
  absl::StatusOr<SocketAddress> bound =
      SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (!bound.ok()) {
    close(fd);
    return bound.status();
  }
  std::unique_ptr<TcpListener> listener(
      new TcpListener(loop, fd, *bound, std::move(on_accept), std::move(options)));
  TcpListener* self = listener.get();
  absl::Status reg = loop.AddFd(fd, kReadable, [self](uint32_t) { self->AcceptSome(); });
  if (!reg.ok()) return reg;  // the destructor closes fd
  return listener;
}

TcpListener::TcpListener(EventLoop& loop, int fd, const SocketAddress& bound,
                         AcceptCallback on_accept, ListenOptions options)
    : loop_(loop),
      fd_(fd),
      address_(bound),
      shared_(std::make_shared<Shared>(Shared{std::move(on_accept), std::move(options)})),
      alive_(std::make_shared<bool>(true)) {}

TcpListener::~TcpListener() {
  *alive_ = false;
  loop_.RemoveFd(fd_);
  loop_.CancelTimer(resume_timer_);
  close(fd_);
}

void TcpListener::AcceptSome() {
  std::shared_ptr<bool> alive = alive_;
  std::shared_ptr<Shared> shared = shared_;
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      // The client's doing (gave up before we accepted) or a signal: go on.
      if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM) continue;
      // Our side (out of descriptors or memory): level-triggered readiness
      // would spin, so pause, tell the owner, and try again later.
      (void)loop_.SetInterest(fd_, kNoEvents);
      resume_timer_ = loop_.AddTimerAfter(kAcceptPause, [this] {
        resume_timer_ = 0;
        (void)loop_.SetInterest(fd_, kReadable);
      });
      if (shared->options.on_accept_error) {
        shared->options.on_accept_error(ErrnoStatus(err, absl::StrCat("accept on ", address_.ToString())));
      }
      return;
    }
    absl::StatusOr<SocketAddress> peer =
        SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    if (!peer.ok()) {  // not IPv4/IPv6: cannot happen on an IP listener
      close(fd);
      continue;
    }
    if (shared->options.connection_options.no_delay) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    std::unique_ptr<TcpConnection> conn(
        new TcpConnection(loop_, *peer, shared->options.connection_options));
    conn->fd_ = fd;
    conn->state_ = TcpConnection::State::kAccepted;
    if (shared->on_accept) {
      shared->on_accept(std::move(conn));
      if (!*alive) return;
    }
  }
}

}  // namespace mtcore::io
