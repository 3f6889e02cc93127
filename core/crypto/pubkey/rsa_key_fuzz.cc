// Fuzzes the RSA public-key parsers: the input is tried as PEM text and as DER.
// Any input must give a key or an error, never a crash, hang or huge allocation;
// a parsed key must survive re-encoding unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/crypto/pubkey/rsa_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mtcore::ByteView;
  using mtcore::crypto::RsaPublicKey;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<RsaPublicKey> pem = mtcore::crypto::ParseRsaPublicKeyPem(text);
  if (pem.ok()) {
    absl::StatusOr<RsaPublicKey> again = mtcore::crypto::ParseRsaPublicKeyPem(pem->ToSpkiPem());
    if (!again.ok() || again->n() != pem->n() || again->e() != pem->e()) abort();
    (void)pem->Fingerprint();
  }
  absl::StatusOr<RsaPublicKey> der = mtcore::crypto::ParseRsaPublicKeyDer(ByteView(data, size));
  if (der.ok()) {
    absl::StatusOr<RsaPublicKey> again = mtcore::crypto::ParseRsaPublicKeyDer(der->ToPkcs1Der());
    if (!again.ok() || again->n() != der->n() || again->e() != der->e()) abort();
  }
  return 0;
}
