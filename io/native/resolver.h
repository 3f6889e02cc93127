// Host names to socket addresses without blocking the event loop.
//
// getaddrinfo(3) blocks, and the loop must not. A `Resolver` runs each
// lookup of a name on a worker thread of its own and hands the result back to
// the loop through an eventfd the loop watches: the callback runs from the
// loop, like every other io/native callback. Numeric hosts ("127.0.0.1",
// "[::1]") never reach a thread: they are answered in the next loop round.
//
// Bounds: at most ResolverOptions::max_threads lookups run at once (the
// others wait in order, at most max_queued of them; beyond that Resolve
// answers ResourceExhausted), each has a timeout (DeadlineExceeded), and an
// answer keeps at most max_addresses addresses. A lookup cannot be
// interrupted inside getaddrinfo: one that is cancelled, timed out or
// outlived by its Resolver finishes on its thread and its answer is dropped.
// Destroying the Resolver never waits for a thread (the threads are detached
// and share only a small mailbox with it), so a lookup in flight cannot hang
// the shutdown; a thread stuck in getaddrinfo keeps counting against
// max_threads of its Resolver until it returns.
//
// Names under ".invalid" are answered NotFound at once without a lookup, as
// RFC 6761 section 6.4 asks of name resolution libraries.
//
// Errors name the host and getaddrinfo's reason (gai_strerror), e.g.
// NotFound "resolve proxy.example.invalid: Name or service not known";
// Unavailable for a temporary failure (EAI_AGAIN).
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<Resolver> r, Resolver::Create(loop));
//   r->Resolve({"localhost", 4430}, [&](absl::StatusOr<std::vector<SocketAddress>> a) {
//     if (a.ok()) Dial(a->front());
//   });
#ifndef MTCORE_IO_NATIVE_RESOLVER_H_
#define MTCORE_IO_NATIVE_RESOLVER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "io/native/event_loop.h"
#include "io/native/tcp.h"

namespace mtcore::io {

// A host (a name, or a numeric IPv4 / IPv6 address) and a port: what a user
// configures ("localhost:4430", "proxy.example:1080", "[::1]:443").
struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;

  HostPort() = default;
  HostPort(std::string host, uint16_t port);
  // The numeric address (so a SocketAddress can stand where a HostPort is
  // expected).
  HostPort(const SocketAddress& address);  // NOLINT: implicit on purpose

  // Parses "host:port", "[v6]:port" or "a.b.c.d:port" (port 0..65535).
  // InvalidArgument quoting the input: a missing or bad port, an empty host,
  // an IPv6 address without brackets, a host with characters no name or
  // address has (spaces, '/', '@'...).
  static absl::StatusOr<HostPort> Parse(std::string_view host_port);

  // The address when the host is numeric; nullopt for a name.
  std::optional<SocketAddress> Numeric() const;
  // "localhost:4430", "[::1]:443".
  std::string ToString() const;

  friend bool operator==(const HostPort& a, const HostPort& b) {
    return a.host == b.host && a.port == b.port;
  }
};

// The addresses for `host` and `port`, or why not. Blocks: for worker threads
// (and the default of ResolverOptions::lookup).
using LookupFn =
    std::function<absl::StatusOr<std::vector<SocketAddress>>(const std::string& host,
                                                             uint16_t port)>;

// getaddrinfo(host, port) for TCP (AF_UNSPEC, in the order getaddrinfo
// sorts them, RFC 6724; duplicates removed). Errors: GaiStatus.
absl::StatusOr<std::vector<SocketAddress>> SystemLookup(const std::string& host, uint16_t port);

// The status for getaddrinfo's error `code` while resolving `host`:
// "resolve <host>: <gai_strerror>". NotFound for EAI_NONAME / EAI_NODATA /
// EAI_ADDRFAMILY, Unavailable for EAI_AGAIN, ResourceExhausted for
// EAI_MEMORY, Internal otherwise (EAI_SYSTEM adds the errno text).
absl::Status GaiStatus(int code, std::string_view host);

struct ResolverOptions {
  // How long a lookup may take (from Resolve, its wait in the queue
  // included) before its callback gets DeadlineExceeded.
  absl::Duration timeout = absl::Seconds(10);
  // Lookups running on threads at once (>= 1).
  size_t max_threads = 4;
  // Lookups waiting for a thread (beyond: ResourceExhausted).
  size_t max_queued = 64;
  // Addresses kept per answer (>= 1); the rest are dropped.
  size_t max_addresses = 16;
  // The blocking lookup run on the threads (SystemLookup by default; tests
  // inject a slow or scripted one). It is copied into each thread and may
  // run after the Resolver is gone, so it must own what it uses.
  LookupFn lookup;
};

class Resolver {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<std::vector<SocketAddress>>)>;
  // Identifies a lookup for Cancel. Never 0.
  using LookupId = uint64_t;

  // A resolver on `loop` (which must outlive it). Errors: InvalidArgument
  // for options out of range; the eventfd or epoll registration errno.
  static absl::StatusOr<std::unique_ptr<Resolver>> Create(EventLoop& loop,
                                                          ResolverOptions options = {});

  // Drops every pending lookup without calling back; never waits for a
  // thread.
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Looks `where` up; `done` gets the addresses (at least one) or the error,
  // from the loop, exactly once unless the lookup is cancelled or the
  // Resolver destroyed first. Never calls back from inside Resolve.
  LookupId Resolve(HostPort where, Callback done);

  // Cancels a lookup: its callback is never called. False if it already
  // answered, was cancelled or never existed.
  bool Cancel(LookupId id);

  // Lookups not yet answered (queued or running), and threads running now
  // (a cancelled lookup's thread counts until getaddrinfo returns).
  size_t pending() const { return pending_.size(); }
  size_t threads_running() const;

 private:
  struct Mailbox;  // shared with the threads
  struct Pending {
    HostPort where;
    Callback done;
    TimerId timer = 0;
    bool started = false;  // handed to a thread
  };

  Resolver(EventLoop& loop, ResolverOptions options, std::shared_ptr<Mailbox> mailbox);
  void StartQueued();
  void OnWake();
  void Finish(LookupId id, absl::StatusOr<std::vector<SocketAddress>> result);

  EventLoop& loop_;
  ResolverOptions options_;
  std::shared_ptr<Mailbox> mailbox_;
  LookupId next_id_ = 1;
  absl::flat_hash_map<LookupId, Pending> pending_;
  std::deque<LookupId> queue_;  // waiting for a thread, in order
  std::shared_ptr<bool> alive_;
};

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_RESOLVER_H_
