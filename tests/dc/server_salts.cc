#include "tests/dc/server_salts.h"

#include <algorithm>

namespace mtcore::dc {
namespace {
constexpr int64_t kNsPerSecond = 1000000000;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

ServerSalts::ServerSalts(SaltOptions options, crypto::RandomSource& rng)
    : options_(options), rng_(rng) {
  options_.period_s = std::max<int64_t>(1, options_.period_s);
  options_.grace_s = std::clamp<int64_t>(options_.grace_s, 0, options_.period_s / 2);
}

int64_t ServerSalts::WindowOf(int64_t now_unix_ns) const {
  return FloorDiv(FloorDiv(now_unix_ns, kNsPerSecond), options_.period_s);
}

uint64_t ServerSalts::SaltOf(int64_t window) {
  auto it = salts_.find(window);
  if (it != salts_.end()) return it->second;
  const uint64_t salt = crypto::RandomU64(rng_);
  salts_.emplace(window, salt);
  // Keep the map small: windows more than a day of salts behind are useless.
  while (salts_.size() > 128) salts_.erase(salts_.begin());
  return salt;
}

void ServerSalts::SetInitial(uint64_t salt, int64_t now_unix_ns) {
  salts_[WindowOf(now_unix_ns)] = salt;
}

uint64_t ServerSalts::Current(int64_t now_unix_ns) { return SaltOf(WindowOf(now_unix_ns)); }

bool ServerSalts::Accepts(uint64_t salt, int64_t now_unix_ns) {
  const int64_t window = WindowOf(now_unix_ns);
  if (salt == SaltOf(window)) return true;
  const int64_t into_window =
      FloorDiv(now_unix_ns, kNsPerSecond) - window * options_.period_s;
  if (window > no_grace_before_window_ && into_window < options_.grace_s) {
    auto prev = salts_.find(window - 1);
    if (prev != salts_.end() && prev->second == salt) return true;
  }
  return false;
}

std::vector<session::FutureSalt> ServerSalts::Future(int64_t now_unix_ns, int count) {
  count = std::clamp(count, 1, 64);
  std::vector<session::FutureSalt> out;
  const int64_t first = WindowOf(now_unix_ns);
  for (int64_t w = first; w < first + count; ++w) {
    session::FutureSalt f;
    f.valid_since = static_cast<int32_t>(w * options_.period_s);
    f.valid_until = static_cast<int32_t>((w + 1) * options_.period_s + options_.grace_s);
    f.salt = SaltOf(w);
    out.push_back(f);
  }
  return out;
}

void ServerSalts::RotateNow(int64_t now_unix_ns) {
  const int64_t window = WindowOf(now_unix_ns);
  uint64_t fresh = crypto::RandomU64(rng_);
  auto it = salts_.find(window);
  if (it != salts_.end() && fresh == it->second) fresh ^= 1;
  salts_[window] = fresh;
  no_grace_before_window_ = window + 1;
}

}  // namespace mtcore::dc
