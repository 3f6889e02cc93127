#include "core/crypto/pubkey/pq.h"

#include <algorithm>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mtcore::crypto {

namespace {

using u128 = unsigned __int128;

// Montgomery arithmetic modulo an odd n < 2^64 with R = 2^64.
class Mont64 {
 public:
  explicit Mont64(uint64_t n) : n_(n) {
    // Newton iteration for n^-1 mod 2^64 (n odd): 6 steps double the bits.
    uint64_t inv = n;
    for (int i = 0; i < 6; ++i) inv *= 2 - n * inv;
    n_inv_ = inv;
    r2_ = static_cast<uint64_t>((~u128(0)) % n + 1) % n;  // R^2 mod n
    // Above: (2^128 - 1) % n + 1 == 2^128 mod n, up to a final reduction.
  }
  uint64_t n() const { return n_; }

  // a * b * R^-1 mod n for a, b < n.
  uint64_t Mul(uint64_t a, uint64_t b) const {
    u128 t = u128(a) * b;
    uint64_t lo = static_cast<uint64_t>(t);
    uint64_t hi = static_cast<uint64_t>(t >> 64);
    uint64_t m = lo * n_inv_;
    uint64_t mn_hi = static_cast<uint64_t>((u128(m) * n_) >> 64);
    // t - m*n is divisible by 2^64; its high half is hi - mn_hi (mod n).
    return hi >= mn_hi ? hi - mn_hi : hi - mn_hi + n_;
  }
  uint64_t ToMont(uint64_t a) const { return Mul(a % n_, r2_); }
  uint64_t FromMont(uint64_t a) const { return Mul(a, 1); }
  uint64_t Add(uint64_t a, uint64_t b) const {
    uint64_t s = a + b;
    return (s < a || s >= n_) ? s - n_ : s;
  }
  uint64_t Sub(uint64_t a, uint64_t b) const { return a >= b ? a - b : a - b + n_; }

 private:
  uint64_t n_;
  uint64_t n_inv_;
  uint64_t r2_;
};

uint64_t PowMod(const Mont64& m, uint64_t base_mont, uint64_t e, uint64_t one_mont) {
  uint64_t r = one_mont;
  while (e) {
    if (e & 1) r = m.Mul(r, base_mont);
    base_mont = m.Mul(base_mont, base_mont);
    e >>= 1;
  }
  return r;
}

// Pollard-Brent with constant c and start x0 (both in Montgomery form).
// Returns n if this (c, x0) pair failed.
uint64_t Brent(const Mont64& m, uint64_t c, uint64_t x0) {
  const uint64_t n = m.n();
  constexpr uint64_t kBatch = 128;
  uint64_t y = x0, x = x0, ys = x0, q = m.ToMont(1);
  uint64_t g = 1;
  for (uint64_t r = 1; g == 1; r <<= 1) {
    x = y;
    for (uint64_t i = 0; i < r; ++i) y = m.Add(m.Mul(y, y), c);
    for (uint64_t k = 0; k < r && g == 1; k += kBatch) {
      ys = y;
      uint64_t lim = std::min(kBatch, r - k);
      for (uint64_t i = 0; i < lim; ++i) {
        y = m.Add(m.Mul(y, y), c);
        q = m.Mul(q, m.Sub(x, y));
      }
      g = std::gcd(q, n);
    }
    if (r > (uint64_t(1) << 40)) return n;  // cannot happen for n < 2^64
  }
  if (g == n) {
    // The batch overshot: step one at a time from the saved point.
    do {
      ys = m.Add(m.Mul(ys, ys), c);
      g = std::gcd(m.Sub(x, ys), n);
    } while (g == 1);
  }
  return g;
}

}  // namespace

bool IsPrime64(uint64_t n) {
  if (n < 2) return false;
  static constexpr uint64_t kSmall[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  for (uint64_t p : kSmall) {
    if (n % p == 0) return n == p;
  }
  // These 12 bases decide primality for every n < 2^64 (n > 37 here).
  Mont64 m(n);
  const uint64_t one = m.ToMont(1);
  const uint64_t minus_one = m.Sub(0, one);
  uint64_t d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  for (uint64_t a : kSmall) {
    uint64_t x = PowMod(m, m.ToMont(a), d, one);
    if (x == one || x == minus_one) continue;
    bool composite = true;
    for (int i = 1; i < s; ++i) {
      x = m.Mul(x, x);
      if (x == minus_one) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

uint64_t FindDivisor64(uint64_t n) {
  // Trial division first: rho is unreliable on tiny numbers, and after this
  // every prime factor of n exceeds 256.
  for (uint64_t d = 2; d < 256 && d * d <= n; ++d) {
    if (n % d == 0) return d;
  }
  Mont64 m(n);
  // Fixed, deterministic sequence of (c, x0); the first almost always works.
  for (uint64_t c = 1; c < 4096; ++c) {
    uint64_t g = Brent(m, m.ToMont(c), m.ToMont(c + 1));
    if (g != n && g != 1) return g;
  }
  return n;  // not reached for composite n; callers treat n as "no divisor"
}

absl::StatusOr<PqFactors> FactorizePq(uint64_t pq) {
  if (pq < 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: less than 6 (", pq, "), not a product of two distinct primes"));
  }
  if (IsPrime64(pq)) return absl::InvalidArgumentError(absl::StrCat("pq: is prime (", pq, ")"));
  uint64_t a = FindDivisor64(pq);
  if (a == pq || a <= 1) {
    return absl::InternalError(absl::StrCat("pq: factorization of ", pq, " failed"));
  }
  uint64_t b = pq / a;
  if (a > b) std::swap(a, b);
  if (!IsPrime64(a) || !IsPrime64(b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: has more than two prime factors (", pq, ")"));
  }
  if (a == b) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: is the square of a prime (", pq, " = ", a, "^2)"));
  }
  return PqFactors{a, b};
}

absl::StatusOr<PqFactors> FactorizePq(ByteView pq) {
  if (pq.empty()) return absl::InvalidArgumentError("pq: empty");
  if (pq.size() > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq: longer than 8 bytes (", pq.size(), " bytes)"));
  }
  uint64_t v = 0;
  for (uint8_t b : pq) v = v << 8 | b;
  return FactorizePq(v);
}

Bytes PqFactorToBytes(uint64_t v) {
  Bytes out;
  bool started = false;
  for (int i = 7; i >= 0; --i) {
    uint8_t b = uint8_t(v >> (8 * i));
    if (b != 0 || started) {
      out.push_back(b);
      started = true;
    }
  }
  return out;
}

}  // namespace mtcore::crypto
