#include "io/native/resolver.h"

#include <netdb.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/native/errno_status.h"

namespace mtcore::io {
namespace {

absl::Status BadHostPort(std::string_view input, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad address '", input, "': ", why));
}

// Letters, digits, '-', '.', '_' (names) and ':' '%' (IPv6 with a zone).
bool HostCharsOk(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
           c == '_' || c == ':' || c == '%';
  });
}

// RFC 6761 6.4: names under .invalid never resolve.
bool IsInvalidTld(std::string_view host) {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return absl::EqualsIgnoreCase(host, "invalid") || absl::EndsWithIgnoreCase(host, ".invalid");
}

}  // namespace

// --- HostPort ------------------------------------------------------------------

HostPort::HostPort(std::string h, uint16_t p) : host(std::move(h)), port(p) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
}

HostPort::HostPort(const SocketAddress& address) : host(address.host()), port(address.port()) {}

absl::StatusOr<HostPort> HostPort::Parse(std::string_view input) {
  std::string_view host, port_text;
  if (!input.empty() && input.front() == '[') {
    size_t close = input.find(']');
    if (close == std::string_view::npos) return BadHostPort(input, "missing ']'");
    host = input.substr(1, close - 1);
    std::string_view rest = input.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return BadHostPort(input, "expected ':port' after ']'");
    port_text = rest.substr(1);
  } else {
    size_t colon = input.rfind(':');
    if (colon == std::string_view::npos) return BadHostPort(input, "missing ':port'");
    host = input.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return BadHostPort(input, "IPv6 addresses need brackets, as in [::1]:443");
    }
    port_text = input.substr(colon + 1);
  }
  if (host.empty()) return BadHostPort(input, "missing host");
  if (host.size() > 253 || !HostCharsOk(host)) {
    return BadHostPort(input, "not a host name or a numeric address");
  }
  uint32_t port = 0;
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return BadHostPort(input, "port must be a number from 0 to 65535");
  }
  return HostPort(std::string(host), uint16_t(port));
}

std::optional<SocketAddress> HostPort::Numeric() const {
  absl::StatusOr<SocketAddress> a = SocketAddress::FromHostPort(host, port);
  if (!a.ok()) return std::nullopt;
  return *a;
}

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// --- Lookups -------------------------------------------------------------------

absl::Status GaiStatus(int code, std::string_view host) {
  std::string what = absl::StrCat("resolve ", host, ": ", gai_strerror(code));
  switch (code) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
      return absl::NotFoundError(what);
    case EAI_AGAIN:
      return absl::UnavailableError(what);
    case EAI_MEMORY:
      return absl::ResourceExhaustedError(what);
    case EAI_SYSTEM:
      return absl::InternalError(absl::StrCat(what, " (", ErrnoText(errno), ")"));
    default:
      return absl::InternalError(what);
  }
}

absl::StatusOr<std::vector<SocketAddress>> SystemLookup(const std::string& host, uint16_t port) {
  if (IsInvalidTld(host)) return GaiStatus(EAI_NONAME, host);
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = absl::StrCat(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) return GaiStatus(rc, host);
  std::vector<SocketAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<SocketAddress> a = SocketAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a.ok()) continue;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const SocketAddress& b) {
      return b.ToString() == a->ToString();
    });
    if (!seen) out.push_back(*a);
  }
  freeaddrinfo(list);
  if (out.empty()) return GaiStatus(EAI_NONAME, host);
  return out;
}

// --- Resolver ------------------------------------------------------------------

// What the loop and the threads share. The eventfd lives as long as the
// mailbox, so a thread that finishes after the Resolver is gone writes into
// an fd nobody watches, never into a closed (or reused) one.
struct Resolver::Mailbox {
  explicit Mailbox(int fd) : wake_fd(fd) {}
  ~Mailbox() { close(wake_fd); }

  const int wake_fd;
  mutable std::mutex mu;
  size_t running = 0;  // threads not yet returned
  std::vector<std::pair<LookupId, absl::StatusOr<std::vector<SocketAddress>>>> done;
};

namespace {

struct ThreadArgs {
  std::function<void()> run;  // owns what the lookup needs, the mailbox included
};

void* RunLookupThread(void* p) {
  std::unique_ptr<ThreadArgs> args(static_cast<ThreadArgs*>(p));
  args->run();
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Resolver>> Resolver::Create(EventLoop& loop,
                                                          ResolverOptions options) {
  if (options.max_threads < 1 || options.max_addresses < 1) {
    return absl::InvalidArgumentError("resolver max_threads and max_addresses must be at least 1");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("resolver timeout must be positive");
  }
  if (!options.lookup) options.lookup = SystemLookup;
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "eventfd for the resolver");
  auto mailbox = std::make_shared<Mailbox>(fd);
  std::unique_ptr<Resolver> r(new Resolver(loop, std::move(options), mailbox));
  Resolver* self = r.get();
  absl::Status added = loop.AddFd(fd, kReadable, [self](uint32_t) { self->OnWake(); });
  if (!added.ok()) return added;
  return r;
}

Resolver::Resolver(EventLoop& loop, ResolverOptions options, std::shared_ptr<Mailbox> mailbox)
    : loop_(loop),
      options_(std::move(options)),
      mailbox_(std::move(mailbox)),
      alive_(std::make_shared<bool>(true)) {}

Resolver::~Resolver() {
  *alive_ = false;
  loop_.RemoveFd(mailbox_->wake_fd);
  for (auto& [id, p] : pending_) loop_.CancelTimer(p.timer);
  // The threads still running hold the mailbox; the last one closes the fd.
}

size_t Resolver::threads_running() const {
  std::lock_guard<std::mutex> lock(mailbox_->mu);
  return mailbox_->running;
}

Resolver::LookupId Resolver::Resolve(HostPort where, Callback done) {
  const LookupId id = next_id_++;
  Pending& p = pending_[id];
  p.where = std::move(where);
  p.done = std::move(done);
  // Answers known without a thread come in the next round.
  std::optional<absl::StatusOr<std::vector<SocketAddress>>> now;
  if (std::optional<SocketAddress> a = p.where.Numeric()) {
    now = std::vector<SocketAddress>{*a};
  } else if (IsInvalidTld(p.where.host)) {
    now = GaiStatus(EAI_NONAME, p.where.host);
  } else if (queue_.size() >= options_.max_queued) {
    now = absl::ResourceExhaustedError(absl::StrCat("resolve ", p.where.host, ": more than ",
                                                    options_.max_queued,
                                                    " lookups are waiting"));
  }
  if (now.has_value()) {
    p.timer = loop_.AddTimer(absl::InfinitePast(), [this, id, r = *std::move(now)]() mutable {
      Finish(id, std::move(r));
    });
    return id;
  }
  p.timer = loop_.AddTimerAfter(options_.timeout, [this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    it->second.timer = 0;
    Finish(id, absl::DeadlineExceededError(absl::StrCat("resolve ", it->second.where.host,
                                                        ": no answer within ",
                                                        absl::FormatDuration(options_.timeout))));
  });
  queue_.push_back(id);
  StartQueued();
  return id;
}

bool Resolver::Cancel(LookupId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  loop_.CancelTimer(it->second.timer);
  pending_.erase(it);
  queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
  return true;
}

void Resolver::StartQueued() {
  while (!queue_.empty()) {
    {
      std::lock_guard<std::mutex> lock(mailbox_->mu);
      if (mailbox_->running >= options_.max_threads) return;
      ++mailbox_->running;
    }
    const LookupId id = queue_.front();
    queue_.pop_front();
    Pending& p = pending_.at(id);
    p.started = true;
    auto args = std::make_unique<ThreadArgs>();
    args->run = [mailbox = mailbox_, lookup = options_.lookup, where = p.where, id,
                 max = options_.max_addresses] {
      absl::StatusOr<std::vector<SocketAddress>> r = lookup(where.host, where.port);
      if (r.ok() && r->empty()) r = GaiStatus(EAI_NONAME, where.host);
      if (r.ok() && r->size() > max) r->erase(r->begin() + static_cast<std::ptrdiff_t>(max), r->end());
      std::lock_guard<std::mutex> lock(mailbox->mu);
      --mailbox->running;
      mailbox->done.emplace_back(id, std::move(r));
      const uint64_t one = 1;
      // (A full counter cannot happen: the loop drains it.)
      (void)!write(mailbox->wake_fd, &one, sizeof(one));
    };
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    ThreadArgs* raw = args.release();
    const int rc = pthread_create(&thread, &attr, RunLookupThread, raw);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      delete raw;
      {
        std::lock_guard<std::mutex> lock(mailbox_->mu);
        --mailbox_->running;
      }
      const std::string host = p.where.host;
      // Reported from the loop like every answer.
      loop_.CancelTimer(p.timer);
      p.timer = loop_.AddTimer(absl::InfinitePast(), [this, id, rc, host] {
        Finish(id, ErrnoStatus(rc, absl::StrCat("resolve ", host, ": start a lookup thread")));
      });
    }
  }
}

void Resolver::OnWake() {
  uint64_t count = 0;
  (void)!read(mailbox_->wake_fd, &count, sizeof(count));
  std::vector<std::pair<LookupId, absl::StatusOr<std::vector<SocketAddress>>>> done;
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    done.swap(mailbox_->done);
  }
  std::shared_ptr<bool> alive = alive_;
  StartQueued();  // threads came free
  for (auto& [id, r] : done) {
    Finish(id, std::move(r));
    if (!*alive) return;
  }
}

void Resolver::Finish(LookupId id, absl::StatusOr<std::vector<SocketAddress>> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // cancelled, or timed out meanwhile
  loop_.CancelTimer(it->second.timer);
  Callback done = std::move(it->second.done);
  pending_.erase(it);
  if (done) done(std::move(result));  // may destroy *this
}

}  // namespace mtcore::io
