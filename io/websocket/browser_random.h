// The WebAssembly CSPRNG: Mbed TLS CTR_DRBG (AES-256) seeded and reseeded
// from the JavaScript host's `crypto.getRandomValues` (browsers, and node 20+
// where `globalThis.crypto` is the Web Crypto object).
//
// The wasm build's RandomSource for core/. Single-threaded, like the wasm
// module itself.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<BrowserRandom> rng, BrowserRandom::Create());
//   Bytes nonce = crypto::RandomBytes(*rng, 16);
#ifndef MTCORE_IO_WEBSOCKET_BROWSER_RANDOM_H_
#define MTCORE_IO_WEBSOCKET_BROWSER_RANDOM_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "mbedtls/ctr_drbg.h"

namespace mtcore::io {

class BrowserRandom final : public crypto::RandomSource {
 public:
  // Seeds a new generator from crypto.getRandomValues. Unavailable if the
  // host has no Web Crypto.
  static absl::StatusOr<std::unique_ptr<BrowserRandom>> Create();

  ~BrowserRandom() override;
  BrowserRandom(const BrowserRandom&) = delete;
  BrowserRandom& operator=(const BrowserRandom&) = delete;

  // Fills `out` from the DRBG. If a reseed fails (the host's crypto vanished)
  // it never returns weak bytes: the program aborts.
  void Fill(MutableByteView out) override;

 private:
  BrowserRandom();
  mbedtls_ctr_drbg_context drbg_;
};

// Fills `out` straight from crypto.getRandomValues (in the 65536-byte pieces
// it accepts). Unavailable if the host has no Web Crypto.
absl::Status GetHostRandomBytes(MutableByteView out);

}  // namespace mtcore::io

#endif  // MTCORE_IO_WEBSOCKET_BROWSER_RANDOM_H_
