// Test support: a seeded random generator and FillRandom() for the field
// types of generated structs (the generated api_testing.h adds overloads for
// every struct and handle).
//
// Values are chosen to reach edge cases: zero, small, extreme and random
// integers; strings of length 0..3, around the 253/254 length-form boundary,
// and a few hundred bytes; vectors of 0..2 elements. Depth beyond
// kMaxRandomDepth only produces empty vectors, absent optional fields and the
// shallowest constructor of each type, so filling always terminates.
#ifndef MTCORE_TL_RANDOM_FILL_H_
#define MTCORE_TL_RANDOM_FILL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tl/reader.h"

namespace mtcore::tl::testing {

inline constexpr int kMaxRandomDepth = 3;

// splitmix64: small, fast and identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint32_t Next32() { return static_cast<uint32_t>(Next() >> 32); }
  // Uniform in [0, n) for n >= 1.
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }

 private:
  uint64_t state_;
};

inline uint64_t RandomInteger(Rng& rng) {
  switch (rng.Below(5)) {
    case 0: return 0;
    case 1: return rng.Below(300);
    case 2: return ~uint64_t{0} - rng.Below(3);  // -1, -2, -3
    case 3: return uint64_t{1} << rng.Below(64);
    default: return rng.Next();
  }
}

// A generated struct or handle: the generated api_testing.h declares one
// explicit specialization per type. (As one template rather than thousands
// of overloads, each call's overload resolution stays cheap.)
template <class T>
void FillRandom(Rng& rng, int depth, T& v);

inline void FillRandom(Rng& rng, int, int32_t& v) { v = static_cast<int32_t>(RandomInteger(rng)); }
inline void FillRandom(Rng& rng, int, uint32_t& v) { v = static_cast<uint32_t>(RandomInteger(rng)); }
inline void FillRandom(Rng& rng, int, int64_t& v) { v = static_cast<int64_t>(RandomInteger(rng)); }
inline void FillRandom(Rng& rng, int, bool& v) { v = (rng.Next() & 1) != 0; }
inline void FillRandom(Rng& rng, int, double& v) {
  // Finite values only (NaN != NaN would break equality checks).
  switch (rng.Below(3)) {
    case 0: v = 0.0; break;
    case 1: v = -1.5; break;
    default: v = static_cast<double>(static_cast<int64_t>(rng.Next())) / 1024.0;
  }
}
template <size_t N>
void FillRandom(Rng& rng, int, std::array<uint8_t, N>& v) {
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng.Next());
}
inline void FillRandom(Rng& rng, int, std::string& v) {
  size_t len;
  switch (rng.Below(4)) {
    case 0: len = rng.Below(4); break;
    case 1: len = 252 + rng.Below(4); break;  // around the 1-byte/3-byte length boundary
    case 2: len = rng.Below(400); break;
    default: len = rng.Below(20); break;
  }
  v.resize(len);
  for (char& c : v) c = static_cast<char>(rng.Next());
}
template <class T>
void FillRandom(Rng& rng, int depth, std::vector<T>& v) {
  size_t n = depth >= kMaxRandomDepth ? 0 : rng.Below(3);
  v.clear();
  for (size_t i = 0; i < n; ++i) {
    T e{};
    FillRandom(rng, depth, e);
    v.push_back(std::move(e));
  }
}

}  // namespace mtcore::tl::testing

#endif  // MTCORE_TL_RANDOM_FILL_H_
