// Non-blocking TCP on an EventLoop: numeric addresses, outgoing connections
// with a connect timeout and a bounded write queue, and listeners.
//
// Addresses here are numeric: "127.0.0.1:443", "[::1]:443". Host names are
// resolved before, off the loop, by Resolver (resolver.h: getaddrinfo on a
// worker thread); ReconnectingConnection (reconnect.h) does that for its
// targets and proxy, and tries each resolved address in turn.
//
// Callbacks and re-entrancy: every callback runs from the EventLoop, never
// from inside a call you made on the object (Connect(), Send() and Start()
// report failures later, through on_closed). A callback may call any method,
// including Close(), and may destroy the connection or listener it came from;
// after that nothing more is delivered.
//
// Example (client):
//   MTCORE_ASSIGN_OR_RETURN(SocketAddress addr, SocketAddress::Parse("127.0.0.1:8443"));
//   TcpConnection::Callbacks cb;
//   cb.on_connected = [&] { (void)conn->Send(AsBytes("hello")); };
//   cb.on_data = [&](ByteView in) { ... };
//   cb.on_closed = [&](absl::Status why) { ... };
//   std::unique_ptr<TcpConnection> conn = TcpConnection::Connect(loop, addr, {}, std::move(cb));
//
// Example (server):
//   MTCORE_ASSIGN_OR_RETURN(auto listener, TcpListener::Listen(
//       loop, *SocketAddress::Parse("127.0.0.1:0"),
//       [&](std::unique_ptr<TcpConnection> c) { c->Start(MakeCallbacks(*c)); keep(std::move(c)); }));
//   uint16_t port = listener->address().port();
#ifndef MTCORE_IO_NATIVE_TCP_H_
#define MTCORE_IO_NATIVE_TCP_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "io/native/event_loop.h"

namespace mtcore::io {

// A numeric IPv4 or IPv6 address and port.
class SocketAddress {
 public:
  // Parses "a.b.c.d:port" or "[v6]:port" (port 0..65535). Errors
  // (InvalidArgument, quoting the input): missing or bad port, an IPv6
  // address without brackets, a host that is not a numeric address (for
  // names: HostPort and Resolver, resolver.h).
  static absl::StatusOr<SocketAddress> Parse(std::string_view host_port);

  // A numeric `host` ("127.0.0.1", "::1" or "[::1]") and `port`. Errors as
  // for Parse.
  static absl::StatusOr<SocketAddress> FromHostPort(std::string_view host, uint16_t port);

  // Copies an AF_INET/AF_INET6 sockaddr (from accept, getsockname).
  // InvalidArgument for other families or a short length.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* sa, socklen_t len);

  int family() const { return storage_.ss_family; }  // AF_INET or AF_INET6
  uint16_t port() const;
  std::string host() const;      // "127.0.0.1", "::1"
  std::string ToString() const;  // "127.0.0.1:80", "[::1]:80"
  bool IsLoopback() const;       // 127.0.0.0/8 or ::1

  const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t raw_length() const { return length_; }

 private:
  SocketAddress() = default;
  static std::optional<SocketAddress> FromNumericHost(std::string_view host, uint16_t port);

  sockaddr_storage storage_ = {};
  socklen_t length_ = 0;
};

// Settings for a TCP connection.
struct TcpOptions {
  // How long Connect() may take before on_closed gets DeadlineExceeded.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Most bytes Send() may have waiting for the socket; beyond it Send()
  // returns ResourceExhausted.
  size_t max_write_queue = size_t{8} << 20;
  // Bytes read per read(2) call (on_data gets at most this many at a time).
  size_t read_chunk = size_t{64} << 10;
  // TCP_NODELAY (MTProto packets are small and latency-bound).
  bool no_delay = true;
};

// One TCP connection. Not thread-safe; lives on one EventLoop, which must
// outlive it. Destroying it closes the socket without calling back.
class TcpConnection {
 public:
  struct Callbacks {
    // The connection is established (outgoing connections only; accepted
    // connections are established when handed over). Optional.
    absl::AnyInvocable<void()> on_connected;
    // Bytes arrived. The view is valid only during the call. Optional (bytes
    // are dropped without it).
    absl::AnyInvocable<void(ByteView)> on_data;
    // The connection is over; called at most once, and never after Close() or
    // destruction. `why` is:
    //   OK                  the peer closed its side in order (EOF);
    //   DeadlineExceeded    the connect timeout passed (message names the
    //                       address and the timeout);
    //   errno codes         from ErrnoStatus (errno_status.h): e.g.
    //                       Unavailable "connect to 127.0.0.1:9: Connection
    //                       refused (errno 111)", or "read from ..."/"write to
    //                       ..." with ECONNRESET/EPIPE.
    // Queued, unwritten bytes are dropped. Optional.
    absl::AnyInvocable<void(absl::Status)> on_closed;
  };

  // Starts connecting to `address`. Never fails synchronously: every failure
  // (including running out of sockets) arrives through on_closed. Send() works
  // at once; bytes wait until the connection is established.
  static std::unique_ptr<TcpConnection> Connect(EventLoop& loop, const SocketAddress& address,
                                                TcpOptions options, Callbacks callbacks);

  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // For connections handed out by TcpListener: begins reading and sets the
  // callbacks (on_connected is not called). Errors: FailedPrecondition if
  // already started or closed. Registration failures come through on_closed.
  absl::Status Start(Callbacks callbacks);

  // Queues `data` for writing (writes at once when possible). Errors:
  // FailedPrecondition if the connection is closed; ResourceExhausted if the
  // queue would exceed TcpOptions::max_write_queue (nothing is queued then;
  // the caller should treat the peer as too slow and Close()). Write errors
  // arrive later through on_closed.
  absl::Status Send(ByteView data);

  // Closes the socket now, dropping queued bytes. No callback follows.
  // Idempotent.
  void Close();

  // The remote address (the one dialled, or the accepted peer's).
  const SocketAddress& peer() const { return peer_; }
  // The local address (getsockname), for the ephemeral port. Errors: the
  // getsockname errno; FailedPrecondition when closed.
  absl::StatusOr<SocketAddress> LocalAddress() const;

  bool connected() const { return state_ == State::kConnected; }
  bool closed() const { return state_ == State::kClosed; }
  // Bytes accepted by Send() that the socket has not taken yet.
  size_t queued_bytes() const { return out_.size() - out_pos_; }

 private:
  friend class TcpListener;
  enum class State { kConnecting, kAccepted, kConnected, kClosed };

  TcpConnection(EventLoop& loop, const SocketAddress& peer, TcpOptions options);
  void BeginConnect();
  void OnEvents(uint32_t events);
  void OnConnectWritable();
  void ReadSome();
  // Writes queued bytes until EAGAIN; returns an error status on failure.
  absl::Status Flush();
  void UpdateInterest();
  // Closes and calls on_closed(why) (deferred to the loop if `defer`).
  void Fail(absl::Status why, bool defer);
  void ReleaseSocket();

  EventLoop& loop_;
  SocketAddress peer_;
  TcpOptions options_;
  int fd_ = -1;
  State state_;
  bool registered_ = false;
  TimerId connect_timer_ = 0;
  TimerId fail_timer_ = 0;
  std::shared_ptr<Callbacks> callbacks_;  // copied before each call: survives `delete this`
  std::shared_ptr<bool> alive_;           // false once destroyed
  Bytes out_;
  size_t out_pos_ = 0;
  Bytes read_buf_;
};

// Settings for a listener.
struct ListenOptions {
  // listen(2) backlog (pending connections not yet accepted).
  int backlog = 128;
  // Options for accepted connections (connect_timeout is unused).
  TcpOptions connection_options;
  // Accept failures that are not the client's doing (e.g. ResourceExhausted
  // "accept on 127.0.0.1:4000: Too many open files (errno 24)"). The listener
  // pauses accepting for 100 ms after one and then resumes. Optional.
  absl::AnyInvocable<void(absl::Status)> on_accept_error;
};

// A listening TCP socket (SO_REUSEADDR; IPv6 sockets are IPV6_V6ONLY).
class TcpListener {
 public:
  // Receives each accepted connection, already established and not yet
  // started: call Start() on it and keep it.
  using AcceptCallback = absl::AnyInvocable<void(std::unique_ptr<TcpConnection>)>;

  // Binds `address` (port 0 picks an ephemeral port) and listens. Errors, each
  // naming the address and errno: socket/bind/listen failures, e.g.
  // FailedPrecondition "bind 127.0.0.1:4000: Address already in use (errno 98)".
  static absl::StatusOr<std::unique_ptr<TcpListener>> Listen(EventLoop& loop,
                                                             const SocketAddress& address,
                                                             AcceptCallback on_accept,
                                                             ListenOptions options = {});

  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // The bound address, with the real port when 0 was asked for.
  const SocketAddress& address() const { return address_; }

 private:
  TcpListener(EventLoop& loop, int fd, const SocketAddress& bound, AcceptCallback on_accept,
              ListenOptions options);
  void AcceptSome();

  // Callbacks and options, shared so a running callback survives `delete this`.
  struct Shared {
    AcceptCallback on_accept;
    ListenOptions options;
  };

  EventLoop& loop_;
  int fd_;
  SocketAddress address_;
  std::shared_ptr<Shared> shared_;
  TimerId resume_timer_ = 0;
  std::shared_ptr<bool> alive_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_TCP_H_
