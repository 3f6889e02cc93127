// BigInt: a small RAII wrapper over Mbed TLS 2.28 `mbedtls_mpi`.
//
// Non-negative multi-precision integers for the handshake arithmetic (RSA,
// Diffie-Hellman, SRP). Values come from and go to big-endian byte strings,
// which is how MTProto transmits them. The limbs are zeroed when a BigInt is
// destroyed or overwritten (mbedtls_mpi_free zeroizes), so private exponents
// may live in a BigInt.
//
// Operations that can fail on bad input (a zero or even modulus, a value that
// does not fit a requested width, Mbed TLS running out of memory) return
// absl::Status errors; nothing aborts.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(BigInt p, BigInt::FromBigEndian(dh_prime));
//   MTCORE_ASSIGN_OR_RETURN(BigInt g_b, BigInt::ModExp(BigInt(3), b, p));
//   MTCORE_ASSIGN_OR_RETURN(Bytes wire, g_b.ToBigEndian(256));
#ifndef MTCORE_CORE_CRYPTO_PUBKEY_BIGINT_H_
#define MTCORE_CORE_CRYPTO_PUBKEY_BIGINT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "mbedtls/bignum.h"

namespace mtcore::crypto {

class BigInt {
 public:
  // Zero.
  BigInt();
  // A small value.
  explicit BigInt(uint64_t v);
  ~BigInt();
  BigInt(const BigInt& o);
  BigInt& operator=(const BigInt& o);
  BigInt(BigInt&& o) noexcept;
  BigInt& operator=(BigInt&& o) noexcept;

  // The unsigned big-endian integer in `b` (leading zeros allowed). Fails only
  // if `b` is absurdly long (more than 64 KiB) or memory runs out.
  static absl::StatusOr<BigInt> FromBigEndian(ByteView b);

  // A non-negative decimal number (digits only, at most 20000 of them).
  static absl::StatusOr<BigInt> FromDecimal(std::string_view digits);

  // A uniformly random integer of exactly `bytes` bytes of entropy drawn
  // from `rng` (the value may have leading zero bits).
  static absl::StatusOr<BigInt> Random(RandomSource& rng, size_t bytes);

  // Minimal big-endian encoding (empty for zero).
  Bytes ToBigEndian() const;
  // Big-endian encoding left-padded with zeros to exactly `len` bytes;
  // OutOfRange if the value needs more than `len` bytes.
  absl::StatusOr<Bytes> ToBigEndian(size_t len) const;

  // Number of significant bits (0 for zero).
  size_t BitLength() const;
  bool IsZero() const;
  bool IsOdd() const;
  // Bit `i` (0 = least significant).
  bool Bit(size_t i) const;
  // The value if it fits in 64 bits, else OutOfRange.
  absl::StatusOr<uint64_t> ToUint64() const;

  // -1, 0 or 1 as *this is less than, equal to or greater than `o`.
  int Compare(const BigInt& o) const;
  int Compare(uint64_t v) const;
  friend bool operator==(const BigInt& a, const BigInt& b) { return a.Compare(b) == 0; }
  friend bool operator!=(const BigInt& a, const BigInt& b) { return a.Compare(b) != 0; }
  friend bool operator<(const BigInt& a, const BigInt& b) { return a.Compare(b) < 0; }
  friend bool operator<=(const BigInt& a, const BigInt& b) { return a.Compare(b) <= 0; }
  friend bool operator>(const BigInt& a, const BigInt& b) { return a.Compare(b) > 0; }
  friend bool operator>=(const BigInt& a, const BigInt& b) { return a.Compare(b) >= 0; }

  // *this mod m for a small m > 0.
  absl::StatusOr<uint32_t> ModSmall(uint32_t m) const;

  // Arithmetic. Sub fails with OutOfRange if the result would be negative.
  static absl::StatusOr<BigInt> Add(const BigInt& a, const BigInt& b);
  static absl::StatusOr<BigInt> Sub(const BigInt& a, const BigInt& b);
  static absl::StatusOr<BigInt> Mul(const BigInt& a, const BigInt& b);
  // a mod m (m > 0).
  static absl::StatusOr<BigInt> Mod(const BigInt& a, const BigInt& m);
  // a >> bits, a << bits.
  static absl::StatusOr<BigInt> ShiftRight(const BigInt& a, size_t bits);
  static absl::StatusOr<BigInt> ShiftLeft(const BigInt& a, size_t bits);
  // (a * b) mod m, (a - b) mod m (result in [0, m)), (a + b) mod m.
  static absl::StatusOr<BigInt> ModMul(const BigInt& a, const BigInt& b, const BigInt& m);
  static absl::StatusOr<BigInt> ModSub(const BigInt& a, const BigInt& b, const BigInt& m);
  static absl::StatusOr<BigInt> ModAdd(const BigInt& a, const BigInt& b, const BigInt& m);
  // base^exp mod m; m must be odd and > 1 (Montgomery arithmetic).
  static absl::StatusOr<BigInt> ModExp(const BigInt& base, const BigInt& exp, const BigInt& m);

  // Miller-Rabin with `rounds` random bases drawn from `rng` (after trial
  // division by small primes). Returns false for 0, 1 and composites.
  absl::StatusOr<bool> IsProbablePrime(int rounds, RandomSource& rng) const;

  // The underlying Mbed TLS value (for code that calls Mbed TLS directly).
  const mbedtls_mpi* get() const { return &v_; }
  mbedtls_mpi* get() { return &v_; }

 private:
  mbedtls_mpi v_;
};

// An Mbed TLS `f_rng` that draws from a RandomSource passed as `p_rng`:
//   mbedtls_rsa_gen_key(&ctx, MbedtlsRandom, &rng, 2048, 65537);
int MbedtlsRandom(void* p_rng, unsigned char* out, size_t len);

// Turns a nonzero Mbed TLS error code into a Status naming `what`.
absl::Status MbedtlsError(int code, const char* what);

}  // namespace mtcore::crypto

#endif  // MTCORE_CORE_CRYPTO_PUBKEY_BIGINT_H_
