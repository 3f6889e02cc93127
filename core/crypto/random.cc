#include "core/crypto/random.h"

#include <cstring>

#include "core/crypto/sha.h"

namespace mtcore::crypto {
namespace {

AesCtr256 MakeStream(uint64_t seed) {
  uint8_t le_seed[8];
  StoreLe64(le_seed, seed);
  Sha256Digest key = Sha256({AsBytes("mtcore.DeterministicRandom"), ByteView(le_seed, 8)});
  const uint8_t zero_iv[16] = {};
  // Sizes are fixed above, so Create cannot fail.
  return *AesCtr256::Create(key, ByteView(zero_iv, 16), CryptoImpl::kFastest);
}

}  // namespace

RandomSource::~RandomSource() = default;

Bytes RandomBytes(RandomSource& rng, size_t n) {
  Bytes out(n);
  rng.Fill(MutableByteView(out));
  return out;
}

uint64_t RandomU64(RandomSource& rng) {
  uint8_t b[8];
  rng.Fill(MutableByteView(b, 8));
  return LoadLe64(b);
}

uint64_t RandomBelow(RandomSource& rng, uint64_t bound) {
  if (bound == 0) return 0;
  // Reject the top partial range: values >= limit would bias the modulo.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
  uint64_t v;
  do {
    v = RandomU64(rng);
  } while (v > limit);
  return v % bound;
}

uint64_t RandomInRange(RandomSource& rng, uint64_t lo, uint64_t hi) {
  if (hi < lo) return lo;
  const uint64_t span = hi - lo;
  if (span == UINT64_MAX) return RandomU64(rng);
  return lo + RandomBelow(rng, span + 1);
}

DeterministicRandom::DeterministicRandom(uint64_t seed) : stream_(MakeStream(seed)) {}

void DeterministicRandom::Fill(MutableByteView out) {
  if (out.empty()) return;  // an empty span may have a null data()
  std::memset(out.data(), 0, out.size());
  stream_.Apply(out);
}

}  // namespace mtcore::crypto
