#include "io/native/event_loop.h"

#include <algorithm>

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "io/native/errno_status.h"

namespace mtcore::io {
namespace {

constexpr int kMaxEventsPerRound = 64;

uint32_t ToEpoll(uint32_t interest) {
  uint32_t e = 0;
  if (interest & kReadable) e |= EPOLLIN | EPOLLRDHUP;
  if (interest & kWritable) e |= EPOLLOUT;
  return e;
}

uint32_t FromEpoll(uint32_t e) {
  uint32_t out = 0;
  if (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) out |= kReadable;
  if (e & EPOLLOUT) out |= kWritable;
  if (e & (EPOLLERR | EPOLLHUP)) out |= kErrorOrHangup;
  return out;
}

// epoll_wait's timeout for `wait`: -1 for infinite, otherwise milliseconds
// rounded up (so the loop does not wake just before a deadline and spin).
int TimeoutMillis(absl::Duration wait) {
  if (wait == absl::InfiniteDuration()) return -1;
  if (wait <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
  return ms > INT_MAX ? INT_MAX : int(ms);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(MonotonicClock& clock) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "epoll_create1");
  return std::unique_ptr<EventLoop>(new EventLoop(clock, fd));
}

EventLoop::EventLoop(MonotonicClock& clock, int epoll_fd) : clock_(clock), epoll_fd_(epoll_fd) {}

EventLoop::~EventLoop() { close(epoll_fd_); }

absl::Status EventLoop::AddFd(int fd, uint32_t interest, FdCallback callback) {
  if (fds_.contains(fd)) {
    return absl::AlreadyExistsError(absl::StrCat("fd ", fd, " is already registered"));
  }
  auto entry = std::make_shared<FdEntry>();
  entry->fd = fd;
  entry->token = next_token_++;
  entry->interest = interest;
  entry->callback = std::move(callback);
  epoll_event ev = {};
  ev.events = ToEpoll(interest);
  ev.data.u64 = entry->token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl(ADD) fd ", fd));
  }
  by_token_[entry->token] = entry;
  fds_[fd] = std::move(entry);
  return absl::OkStatus();
}

absl::Status EventLoop::SetInterest(int fd, uint32_t interest) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    return absl::NotFoundError(absl::StrCat("fd ", fd, " is not registered"));
  }
  FdEntry& entry = *it->second;
  if (entry.interest == interest) return absl::OkStatus();
  epoll_event ev = {};
  ev.events = ToEpoll(interest);
  ev.data.u64 = entry.token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return ErrnoStatus(errno, absl::StrCat("epoll_ctl(MOD) fd ", fd));
  }
  entry.interest = interest;
  return absl::OkStatus();
}

void EventLoop::RemoveFd(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  // Fails only if the fd was already closed, which removes it from epoll anyway.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  by_token_.erase(it->second->token);
  fds_.erase(it);
}

TimerId EventLoop::AddTimer(absl::Time deadline, TimerCallback callback) {
  TimerId id = next_timer_id_++;
  timers_.emplace(std::make_pair(deadline, id), std::move(callback));
  timer_deadlines_[id] = deadline;
  return id;
}

bool EventLoop::CancelTimer(TimerId id) {
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  timer_deadlines_.erase(it);
  return true;
}

absl::Time EventLoop::NextTimerDeadline() const {
  return timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first.first;
}

absl::Status EventLoop::RunOnce(absl::Duration max_wait) {
  if (dispatching_) {
    return absl::FailedPreconditionError("EventLoop::RunOnce called from a loop callback");
  }
  dispatching_ = true;
  absl::Duration wait = max_wait;
  if (!timers_.empty()) {
    wait = std::min(wait, std::max(absl::ZeroDuration(), NextTimerDeadline() - Now()));
  }
  epoll_event events[kMaxEventsPerRound];
  int n = epoll_wait(epoll_fd_, events, kMaxEventsPerRound, TimeoutMillis(wait));
  if (n < 0) {
    int err = errno;
    if (err != EINTR) {
      dispatching_ = false;
      return ErrnoStatus(err, "epoll_wait");
    }
    n = 0;
  }
  for (int i = 0; i < n; ++i) {
    auto it = by_token_.find(events[i].data.u64);
    if (it == by_token_.end()) continue;  // removed earlier in this round
    std::shared_ptr<FdEntry> entry = it->second;  // keeps the callback alive
    uint32_t ready = FromEpoll(events[i].events);
    ready &= entry->interest | kErrorOrHangup;
    if (ready == 0) continue;
    entry->callback(ready);
  }
  RunDueTimers();
  dispatching_ = false;
  return absl::OkStatus();
}

void EventLoop::RunDueTimers() {
  if (timers_.empty()) return;
  const absl::Time now = Now();
  std::vector<std::pair<absl::Time, TimerId>> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first.first <= now; ++it) {
    due.push_back(it->first);
  }
  for (const auto& key : due) {
    auto it = timers_.find(key);
    if (it == timers_.end()) continue;  // cancelled by an earlier callback
    TimerCallback callback = std::move(it->second);
    timers_.erase(it);
    timer_deadlines_.erase(key.second);
    callback();
  }
}

absl::Status EventLoop::Run() {
  absl::Status status;
  while (!stop_requested_ && (!fds_.empty() || !timers_.empty())) {
    status = RunOnce(absl::InfiniteDuration());
    if (!status.ok()) break;
  }
  stop_requested_ = false;
  return status;
}

absl::Status EventLoop::RunUntil(const std::function<bool()>& done, absl::Duration timeout,
                                 absl::Duration step) {
  const absl::Time deadline = Now() + timeout;
  for (;;) {
    if (done()) return absl::OkStatus();
    const absl::Time now = Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("not done within ", absl::FormatDuration(timeout)));
    }
    absl::Status s = RunOnce(std::min(deadline - now, step));
    if (!s.ok()) return s;
  }
}

}  // namespace mtcore::io
