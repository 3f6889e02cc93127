#include "core/crypto/pubkey/bigint.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "mbedtls/error.h"

namespace mtcore::crypto {

namespace {
constexpr size_t kMaxBytes = 65536;
}  // namespace

absl::Status MbedtlsError(int code, const char* what) {
  if (code == 0) return absl::OkStatus();
  if (code == MBEDTLS_ERR_MPI_ALLOC_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory"));
  }
  return absl::InternalError(
      absl::StrCat(what, ": Mbed TLS error -0x", absl::Hex(-code)));
}

int MbedtlsRandom(void* p_rng, unsigned char* out, size_t len) {
  static_cast<RandomSource*>(p_rng)->Fill(MutableByteView(out, len));
  return 0;
}

BigInt::BigInt() { mbedtls_mpi_init(&v_); }

BigInt::BigInt(uint64_t v) {
  mbedtls_mpi_init(&v_);
  uint8_t be[8];
  for (int i = 0; i < 8; ++i) be[i] = uint8_t(v >> (56 - 8 * i));
  // Growing an empty mpi to one or two limbs cannot fail short of a heap
  // failure, which the allocator reports by other means.
  (void)mbedtls_mpi_read_binary(&v_, be, 8);
}

BigInt::~BigInt() { mbedtls_mpi_free(&v_); }

BigInt::BigInt(const BigInt& o) {
  mbedtls_mpi_init(&v_);
  (void)mbedtls_mpi_copy(&v_, &o.v_);
}

BigInt& BigInt::operator=(const BigInt& o) {
  if (this != &o) (void)mbedtls_mpi_copy(&v_, &o.v_);
  return *this;
}

BigInt::BigInt(BigInt&& o) noexcept {
  mbedtls_mpi_init(&v_);
  mbedtls_mpi_swap(&v_, &o.v_);
}

BigInt& BigInt::operator=(BigInt&& o) noexcept {
  if (this != &o) {
    mbedtls_mpi_swap(&v_, &o.v_);
    mbedtls_mpi_free(&o.v_);  // wipes what *this held before
    mbedtls_mpi_init(&o.v_);
  }
  return *this;
}

absl::StatusOr<BigInt> BigInt::FromBigEndian(ByteView b) {
  if (b.size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("big integer of ", b.size(), " bytes is too long"));
  }
  BigInt r;
  int rc = mbedtls_mpi_read_binary(&r.v_, b.data(), b.size());
  if (rc != 0) return MbedtlsError(rc, "BigInt::FromBigEndian");
  return r;
}

absl::StatusOr<BigInt> BigInt::FromDecimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 20000) {
    return absl::InvalidArgumentError("BigInt::FromDecimal: need 1..20000 digits");
  }
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] < '0' || digits[i] > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("BigInt::FromDecimal: not a digit at offset ", i));
    }
  }
  std::string s(digits);
  BigInt r;
  int rc = mbedtls_mpi_read_string(&r.v_, 10, s.c_str());
  if (rc != 0) return MbedtlsError(rc, "BigInt::FromDecimal");
  return r;
}

absl::StatusOr<BigInt> BigInt::Random(RandomSource& rng, size_t bytes) {
  if (bytes > kMaxBytes) return absl::InvalidArgumentError("random big integer too long");
  Bytes buf(bytes);
  rng.Fill(MutableByteView(buf.data(), buf.size()));
  absl::StatusOr<BigInt> r = FromBigEndian(buf);
  SecureWipe(MutableByteView(buf.data(), buf.size()));
  return r;
}

Bytes BigInt::ToBigEndian() const {
  Bytes out(mbedtls_mpi_size(&v_));
  (void)mbedtls_mpi_write_binary(&v_, out.data(), out.size());
  return out;
}

absl::StatusOr<Bytes> BigInt::ToBigEndian(size_t len) const {
  size_t need = mbedtls_mpi_size(&v_);
  if (need > len) {
    return absl::OutOfRangeError(
        absl::StrCat("big integer needs ", need, " bytes, only ", len, " allowed"));
  }
  Bytes out(len);
  int rc = mbedtls_mpi_write_binary(&v_, out.data(), out.size());
  if (rc != 0) return MbedtlsError(rc, "BigInt::ToBigEndian");
  return out;
}

size_t BigInt::BitLength() const { return mbedtls_mpi_bitlen(&v_); }
bool BigInt::IsZero() const { return mbedtls_mpi_cmp_int(&v_, 0) == 0; }
bool BigInt::IsOdd() const { return mbedtls_mpi_get_bit(&v_, 0) == 1; }
bool BigInt::Bit(size_t i) const { return mbedtls_mpi_get_bit(&v_, i) == 1; }

absl::StatusOr<uint64_t> BigInt::ToUint64() const {
  if (BitLength() > 64) return absl::OutOfRangeError("big integer exceeds 64 bits");
  uint8_t be[8];
  (void)mbedtls_mpi_write_binary(&v_, be, 8);
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = r << 8 | be[i];
  return r;
}

int BigInt::Compare(const BigInt& o) const { return mbedtls_mpi_cmp_mpi(&v_, &o.v_); }
int BigInt::Compare(uint64_t v) const { return Compare(BigInt(v)); }

absl::StatusOr<uint32_t> BigInt::ModSmall(uint32_t m) const {
  if (m == 0) return absl::InvalidArgumentError("BigInt::ModSmall: modulus is zero");
  mbedtls_mpi_uint r = 0;
  int rc = mbedtls_mpi_mod_int(&r, &v_, static_cast<mbedtls_mpi_sint>(m));
  if (rc != 0) return MbedtlsError(rc, "BigInt::ModSmall");
  return static_cast<uint32_t>(r);
}

absl::StatusOr<BigInt> BigInt::Add(const BigInt& a, const BigInt& b) {
  BigInt r;
  int rc = mbedtls_mpi_add_mpi(&r.v_, &a.v_, &b.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::Add");
  return r;
}

absl::StatusOr<BigInt> BigInt::Sub(const BigInt& a, const BigInt& b) {
  if (a < b) return absl::OutOfRangeError("BigInt::Sub: result would be negative");
  BigInt r;
  int rc = mbedtls_mpi_sub_mpi(&r.v_, &a.v_, &b.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::Sub");
  return r;
}

absl::StatusOr<BigInt> BigInt::Mul(const BigInt& a, const BigInt& b) {
  BigInt r;
  int rc = mbedtls_mpi_mul_mpi(&r.v_, &a.v_, &b.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::Mul");
  return r;
}

absl::StatusOr<BigInt> BigInt::Mod(const BigInt& a, const BigInt& m) {
  if (m.IsZero()) return absl::InvalidArgumentError("BigInt::Mod: modulus is zero");
  BigInt r;
  int rc = mbedtls_mpi_mod_mpi(&r.v_, &a.v_, &m.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::Mod");
  return r;
}

absl::StatusOr<BigInt> BigInt::ShiftRight(const BigInt& a, size_t bits) {
  BigInt r(a);
  int rc = mbedtls_mpi_shift_r(&r.v_, bits);
  if (rc != 0) return MbedtlsError(rc, "BigInt::ShiftRight");
  return r;
}

absl::StatusOr<BigInt> BigInt::ShiftLeft(const BigInt& a, size_t bits) {
  if (bits > 8 * kMaxBytes) return absl::InvalidArgumentError("BigInt::ShiftLeft: too far");
  BigInt r(a);
  int rc = mbedtls_mpi_shift_l(&r.v_, bits);
  if (rc != 0) return MbedtlsError(rc, "BigInt::ShiftLeft");
  return r;
}

absl::StatusOr<BigInt> BigInt::ModMul(const BigInt& a, const BigInt& b, const BigInt& m) {
  absl::StatusOr<BigInt> p = Mul(a, b);
  if (!p.ok()) return p.status();
  return Mod(*p, m);
}

absl::StatusOr<BigInt> BigInt::ModSub(const BigInt& a, const BigInt& b, const BigInt& m) {
  if (m.IsZero()) return absl::InvalidArgumentError("BigInt::ModSub: modulus is zero");
  BigInt r;
  int rc = mbedtls_mpi_sub_mpi(&r.v_, &a.v_, &b.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::ModSub");
  // mbedtls_mpi_mod_mpi returns the non-negative residue for negative input.
  BigInt out;
  rc = mbedtls_mpi_mod_mpi(&out.v_, &r.v_, &m.v_);
  if (rc != 0) return MbedtlsError(rc, "BigInt::ModSub");
  return out;
}

absl::StatusOr<BigInt> BigInt::ModAdd(const BigInt& a, const BigInt& b, const BigInt& m) {
  absl::StatusOr<BigInt> s = Add(a, b);
  if (!s.ok()) return s.status();
  return Mod(*s, m);
}

absl::StatusOr<BigInt> BigInt::ModExp(const BigInt& base, const BigInt& exp, const BigInt& m) {
  if (m.Compare(1) <= 0 || !m.IsOdd()) {
    return absl::InvalidArgumentError("BigInt::ModExp: modulus must be odd and > 1");
  }
  BigInt r;
  int rc = mbedtls_mpi_exp_mod(&r.v_, &base.v_, &exp.v_, &m.v_, nullptr);
  if (rc != 0) return MbedtlsError(rc, "BigInt::ModExp");
  return r;
}

absl::StatusOr<bool> BigInt::IsProbablePrime(int rounds, RandomSource& rng) const {
  if (rounds < 1) return absl::InvalidArgumentError("IsProbablePrime: rounds must be >= 1");
  int rc = mbedtls_mpi_is_prime_ext(&v_, rounds, MbedtlsRandom, &rng);
  if (rc == 0) return true;
  if (rc == MBEDTLS_ERR_MPI_NOT_ACCEPTABLE) return false;
  return MbedtlsError(rc, "BigInt::IsProbablePrime");
}

}  // namespace mtcore::crypto
