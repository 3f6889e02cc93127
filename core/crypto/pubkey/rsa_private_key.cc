#include "core/crypto/pubkey/rsa_private_key.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "mbedtls/pk.h"
#include "mbedtls/rsa.h"

namespace mtcore::crypto {

struct RsaPrivateKey::Impl {
  Impl() { mbedtls_pk_init(&pk); }
  ~Impl() { mbedtls_pk_free(&pk); }  // zeroizes the key material
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  mbedtls_rsa_context* rsa() const { return mbedtls_pk_rsa(pk); }
  mbedtls_pk_context pk;
};

RsaPrivateKey::RsaPrivateKey(std::unique_ptr<Impl> impl, RsaPublicKey pub)
    : impl_(std::move(impl)), public_(std::move(pub)) {}
RsaPrivateKey::RsaPrivateKey(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey& RsaPrivateKey::operator=(RsaPrivateKey&&) noexcept = default;
RsaPrivateKey::~RsaPrivateKey() = default;

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::FromImpl(std::unique_ptr<Impl> impl) {
  BigInt n, e;
  int rc = mbedtls_rsa_export(impl->rsa(), n.get(), nullptr, nullptr, nullptr, e.get());
  if (rc != 0) return MbedtlsError(rc, "RSA private key export");
  MTCORE_ASSIGN_OR_RETURN(RsaPublicKey pub, RsaPublicKey::FromComponents(n, e));
  return RsaPrivateKey(std::move(impl), std::move(pub));
}

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::Generate(RandomSource& rng, int bits) {
  if (bits < 1024 || bits > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA key generation: ", bits, " bits, need 1024..4096"));
  }
  auto impl = std::make_unique<Impl>();
  int rc = mbedtls_pk_setup(&impl->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
  if (rc != 0) return MbedtlsError(rc, "RSA key generation setup");
  rc = mbedtls_rsa_gen_key(impl->rsa(), MbedtlsRandom, &rng, static_cast<unsigned>(bits), 65537);
  if (rc != 0) return MbedtlsError(rc, "RSA key generation");
  return FromImpl(std::move(impl));
}

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::FromPem(std::string_view pem) {
  if (pem.size() > 65536) return absl::InvalidArgumentError("RSA private PEM: too long");
  // Mbed TLS wants PEM NUL-terminated, with the NUL counted in the length.
  SecretBytes text(pem.size() + 1);
  std::copy(pem.begin(), pem.end(), text.data());
  auto impl = std::make_unique<Impl>();
  int rc = mbedtls_pk_parse_key(&impl->pk, text.data(), text.size(), nullptr, 0);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA private PEM: cannot parse (Mbed TLS error -0x", absl::Hex(-rc), ")"));
  }
  if (mbedtls_pk_get_type(&impl->pk) != MBEDTLS_PK_RSA) {
    return absl::InvalidArgumentError("RSA private PEM: not an RSA key");
  }
  return FromImpl(std::move(impl));
}

absl::StatusOr<std::string> RsaPrivateKey::ToPem() const {
  SecretBytes buf(16384);
  int rc = mbedtls_pk_write_key_pem(&impl_->pk, buf.data(), buf.size());
  if (rc != 0) return MbedtlsError(rc, "RSA private PEM export");
  const char* s = reinterpret_cast<const char*>(buf.data());
  return std::string(s);
}

absl::StatusOr<SecretBytes> RsaPrivateKey::RawDecrypt(ByteView c, RandomSource& rng) const {
  size_t len = public_.ModulusBytes();
  if (c.size() != len) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA decrypt: ciphertext is ", c.size(), " bytes, need ", len));
  }
  MTCORE_ASSIGN_OR_RETURN(BigInt cv, BigInt::FromBigEndian(c));
  if (cv >= public_.n()) {
    return absl::InvalidArgumentError("RSA decrypt: ciphertext is not less than the modulus");
  }
  SecretBytes out(len);
  int rc = mbedtls_rsa_private(impl_->rsa(), MbedtlsRandom, &rng, c.data(), out.data());
  if (rc != 0) return MbedtlsError(rc, "RSA decrypt");
  return out;
}

}  // namespace mtcore::crypto
