#include "core/crypto/pubkey/dh.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace mtcore::crypto {

namespace {

constexpr uint8_t kTelegramPrime[kDhPrimeBytes] = {
    0xc7, 0x1c, 0xae, 0xb9, 0xc6, 0xb1, 0xc9, 0x04, 0x8e, 0x6c, 0x52, 0x2f, 0x70, 0xf1, 0x3f, 0x73,
    0x98, 0x0d, 0x40, 0x23, 0x8e, 0x3e, 0x21, 0xc1, 0x49, 0x34, 0xd0, 0x37, 0x56, 0x3d, 0x93, 0x0f,
    0x48, 0x19, 0x8a, 0x0a, 0xa7, 0xc1, 0x40, 0x58, 0x22, 0x94, 0x93, 0xd2, 0x25, 0x30, 0xf4, 0xdb,
    0xfa, 0x33, 0x6f, 0x6e, 0x0a, 0xc9, 0x25, 0x13, 0x95, 0x43, 0xae, 0xd4, 0x4c, 0xce, 0x7c, 0x37,
    0x20, 0xfd, 0x51, 0xf6, 0x94, 0x58, 0x70, 0x5a, 0xc6, 0x8c, 0xd4, 0xfe, 0x6b, 0x6b, 0x13, 0xab,
    0xdc, 0x97, 0x46, 0x51, 0x29, 0x69, 0x32, 0x84, 0x54, 0xf1, 0x8f, 0xaf, 0x8c, 0x59, 0x5f, 0x64,
    0x24, 0x77, 0xfe, 0x96, 0xbb, 0x2a, 0x94, 0x1d, 0x5b, 0xcd, 0x1d, 0x4a, 0xc8, 0xcc, 0x49, 0x88,
    0x07, 0x08, 0xfa, 0x9b, 0x37, 0x8e, 0x3c, 0x4f, 0x3a, 0x90, 0x60, 0xbe, 0xe6, 0x7c, 0xf9, 0xa4,
    0xa4, 0xa6, 0x95, 0x81, 0x10, 0x51, 0x90, 0x7e, 0x16, 0x27, 0x53, 0xb5, 0x6b, 0x0f, 0x6b, 0x41,
    0x0d, 0xba, 0x74, 0xd8, 0xa8, 0x4b, 0x2a, 0x14, 0xb3, 0x14, 0x4e, 0x0e, 0xf1, 0x28, 0x47, 0x54,
    0xfd, 0x17, 0xed, 0x95, 0x0d, 0x59, 0x65, 0xb4, 0xb9, 0xdd, 0x46, 0x58, 0x2d, 0xb1, 0x17, 0x8d,
    0x16, 0x9c, 0x6b, 0xc4, 0x65, 0xb0, 0xd6, 0xff, 0x9c, 0xa3, 0x92, 0x8f, 0xef, 0x5b, 0x9a, 0xe4,
    0xe4, 0x18, 0xfc, 0x15, 0xe8, 0x3e, 0xbe, 0xa0, 0xf8, 0x7f, 0xa9, 0xff, 0x5e, 0xed, 0x70, 0x05,
    0x0d, 0xed, 0x28, 0x49, 0xf4, 0x7b, 0xf9, 0x59, 0xd9, 0x56, 0x85, 0x0c, 0xe9, 0x29, 0x85, 0x1f,
    0x0d, 0x81, 0x15, 0xf6, 0x35, 0xb1, 0x05, 0xee, 0x2e, 0x4e, 0x15, 0xd0, 0x4b, 0x24, 0x54, 0xbf,
    0x6f, 0x4f, 0xad, 0xf0, 0x34, 0xb1, 0x04, 0x03, 0x11, 0x9c, 0xd8, 0xe3, 0xb9, 0x2f, 0xcc, 0x5b,
};

constexpr size_t kRangeBits = 2048 - 64;

// Draws a 2048-bit secret exponent.
absl::StatusOr<BigInt> RandomExponent(RandomSource& rng) {
  return BigInt::Random(rng, kDhPrimeBytes);
}

absl::StatusOr<SecretBytes> ToSecret256(const BigInt& v) {
  MTCORE_ASSIGN_OR_RETURN(Bytes b, v.ToBigEndian(kDhPrimeBytes));
  return SecretBytes(std::move(b));
}

}  // namespace

ByteView TelegramDhPrime() { return ByteView(kTelegramPrime, kDhPrimeBytes); }

bool SafePrimeCache::Contains(ByteView p) const {
  for (const Bytes& e : entries_) {
    if (ByteView(e) == p) return true;
  }
  return false;
}

void SafePrimeCache::Insert(ByteView p) {
  if (Contains(p)) return;
  if (entries_.size() < capacity_) {
    entries_.push_back(ToBytes(p));
  } else {
    entries_[next_] = ToBytes(p);
    next_ = (next_ + 1) % capacity_;
  }
}

absl::Status CheckDhPrime(ByteView dh_prime, SafePrimeCache& cache, RandomSource& rng) {
  // Leading zero bytes are tolerated in the encoding; the value decides.
  MTCORE_ASSIGN_OR_RETURN(BigInt p, BigInt::FromBigEndian(dh_prime));
  if (p.BitLength() != 2048) {
    return absl::InvalidArgumentError(
        absl::StrCat("dh_prime: must be 2048 bits (got ", p.BitLength(), " bits)"));
  }
  MTCORE_ASSIGN_OR_RETURN(Bytes canonical, p.ToBigEndian(kDhPrimeBytes));
  if (ByteView(canonical) == TelegramDhPrime() || cache.Contains(canonical)) {
    return absl::OkStatus();
  }
  MTCORE_ASSIGN_OR_RETURN(bool p_prime, p.IsProbablePrime(kDhMillerRabinRounds, rng));
  if (!p_prime) return absl::InvalidArgumentError("dh_prime: not prime");
  MTCORE_ASSIGN_OR_RETURN(BigInt half, BigInt::ShiftRight(p, 1));
  MTCORE_ASSIGN_OR_RETURN(bool half_prime, half.IsProbablePrime(kDhMillerRabinRounds, rng));
  if (!half_prime) {
    return absl::InvalidArgumentError("dh_prime: (p-1)/2 not prime (not a safe prime)");
  }
  cache.Insert(canonical);
  return absl::OkStatus();
}

absl::Status CheckDhGenerator(const BigInt& p, uint32_t g) {
  if (g < 2 || g > 7) {
    return absl::InvalidArgumentError(absl::StrCat("g: must be in 2..7 (got ", g, ")"));
  }
  bool ok = true;
  std::string_view need;
  uint32_t r = 0;
  switch (g) {
    case 2: {
      MTCORE_ASSIGN_OR_RETURN(r, p.ModSmall(8));
      ok = r == 7;
      need = "p mod 8 = 7";
      break;
    }
    case 3: {
      MTCORE_ASSIGN_OR_RETURN(r, p.ModSmall(3));
      ok = r == 2;
      need = "p mod 3 = 2";
      break;
    }
    case 4:
      break;
    case 5: {
      MTCORE_ASSIGN_OR_RETURN(r, p.ModSmall(5));
      ok = r == 1 || r == 4;
      need = "p mod 5 in {1, 4}";
      break;
    }
    case 6: {
      MTCORE_ASSIGN_OR_RETURN(r, p.ModSmall(24));
      ok = r == 19 || r == 23;
      need = "p mod 24 in {19, 23}";
      break;
    }
    case 7: {
      MTCORE_ASSIGN_OR_RETURN(r, p.ModSmall(7));
      ok = r == 3 || r == 5 || r == 6;
      need = "p mod 7 in {3, 5, 6}";
      break;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "g: quadratic residue condition fails: g=", g, " needs ", need, " (got ", r, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckSafePrimeAndGenerator(const BigInt& p, uint32_t g, RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(bool p_prime, p.IsProbablePrime(kDhMillerRabinRounds, rng));
  if (!p_prime) return absl::InvalidArgumentError("dh_prime: not prime");
  MTCORE_ASSIGN_OR_RETURN(BigInt half, BigInt::ShiftRight(p, 1));
  MTCORE_ASSIGN_OR_RETURN(bool half_prime, half.IsProbablePrime(kDhMillerRabinRounds, rng));
  if (!half_prime) {
    return absl::InvalidArgumentError("dh_prime: (p-1)/2 not prime (not a safe prime)");
  }
  return CheckDhGenerator(p, g);
}

absl::Status CheckDhPublicValue(const BigInt& p, const BigInt& g_x, std::string_view name) {
  if (g_x.Compare(1) <= 0) return absl::InvalidArgumentError(absl::StrCat(name, ": must be > 1"));
  MTCORE_ASSIGN_OR_RETURN(BigInt p_minus_1, BigInt::Sub(p, BigInt(1)));
  if (g_x >= p_minus_1) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": must be < dh_prime - 1"));
  }
  MTCORE_ASSIGN_OR_RETURN(BigInt bound, BigInt::ShiftLeft(BigInt(1), kRangeBits));
  if (g_x < bound) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": below 2^", kRangeBits));
  }
  MTCORE_ASSIGN_OR_RETURN(BigInt upper, BigInt::Sub(p, bound));
  if (g_x > upper) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": above dh_prime - 2^", kRangeBits));
  }
  return absl::OkStatus();
}

absl::StatusOr<DhGroup> DhGroup::Create(ByteView dh_prime, uint32_t g, SafePrimeCache& cache,
                                        RandomSource& rng) {
  MTCORE_RETURN_IF_ERROR(CheckDhPrime(dh_prime, cache, rng));
  MTCORE_ASSIGN_OR_RETURN(BigInt p, BigInt::FromBigEndian(dh_prime));
  MTCORE_RETURN_IF_ERROR(CheckDhGenerator(p, g));
  return DhGroup(std::move(p), g);
}

absl::StatusOr<DhClientResult> DhClientFinishWithSecret(const DhGroup& group, ByteView g_a,
                                                        const BigInt& b) {
  MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::FromBigEndian(g_a));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(group.p(), ga, "g_a"));
  MTCORE_ASSIGN_OR_RETURN(BigInt gb, BigInt::ModExp(BigInt(group.g()), b, group.p()));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(group.p(), gb, "g_b"));
  MTCORE_ASSIGN_OR_RETURN(BigInt key, BigInt::ModExp(ga, b, group.p()));
  DhClientResult r;
  MTCORE_ASSIGN_OR_RETURN(r.g_b, gb.ToBigEndian(kDhPrimeBytes));
  MTCORE_ASSIGN_OR_RETURN(r.auth_key, ToSecret256(key));
  return r;
}

absl::StatusOr<DhClientResult> DhClientFinish(const DhGroup& group, ByteView g_a,
                                              RandomSource& rng) {
  MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::FromBigEndian(g_a));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(group.p(), ga, "g_a"));
  // A random b gives an out-of-range g_b with probability ~2^-63; draw again.
  absl::Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    MTCORE_ASSIGN_OR_RETURN(BigInt b, RandomExponent(rng));
    absl::StatusOr<DhClientResult> r = DhClientFinishWithSecret(group, g_a, b);
    if (r.ok() || !absl::StartsWith(r.status().message(), "g_b")) return r;
    last = r.status();
  }
  return last;
}

absl::StatusOr<DhServerKey> DhServerStart(const DhGroup& group, RandomSource& rng) {
  absl::Status last;
  for (int attempt = 0; attempt < 8; ++attempt) {
    MTCORE_ASSIGN_OR_RETURN(BigInt a, RandomExponent(rng));
    MTCORE_ASSIGN_OR_RETURN(BigInt ga, BigInt::ModExp(BigInt(group.g()), a, group.p()));
    last = CheckDhPublicValue(group.p(), ga, "g_a");
    if (!last.ok()) continue;
    DhServerKey key;
    key.a = std::move(a);
    MTCORE_ASSIGN_OR_RETURN(key.g_a, ga.ToBigEndian(kDhPrimeBytes));
    return key;
  }
  return last;
}

absl::StatusOr<SecretBytes> DhServerFinish(const DhGroup& group, const DhServerKey& key,
                                           ByteView g_b) {
  MTCORE_ASSIGN_OR_RETURN(BigInt gb, BigInt::FromBigEndian(g_b));
  MTCORE_RETURN_IF_ERROR(CheckDhPublicValue(group.p(), gb, "g_b"));
  MTCORE_ASSIGN_OR_RETURN(BigInt k, BigInt::ModExp(gb, key.a, group.p()));
  return ToSecret256(k);
}

}  // namespace mtcore::crypto
