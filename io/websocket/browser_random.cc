#include "io/websocket/browser_random.h"

#include <emscripten.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

// Returns 0 on success, -1 if the host has no crypto.getRandomValues.
EM_JS(int, mtcore_host_random_fill, (unsigned char* buf, size_t len), {
  var c = globalThis.crypto;
  if (!c || typeof c.getRandomValues !== 'function') return -1;
  for (var off = 0; off < len; off += 65536) {
    var end = Math.min(len, off + 65536);
    c.getRandomValues(HEAPU8.subarray(buf + off, buf + end));
  }
  return 0;
});

namespace mtcore::io {
namespace {

constexpr char kPersonalization[] = "mtcore.BrowserRandom";

int EntropyCallback(void* /*unused*/, unsigned char* out, size_t len) {
  return GetHostRandomBytes(MutableByteView(out, len)).ok()
             ? 0
             : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

}  // namespace

absl::Status GetHostRandomBytes(MutableByteView out) {
  if (out.empty()) return absl::OkStatus();
  if (mtcore_host_random_fill(out.data(), out.size()) != 0) {
    return absl::UnavailableError("crypto.getRandomValues is not available in this host");
  }
  return absl::OkStatus();
}

BrowserRandom::BrowserRandom() { mbedtls_ctr_drbg_init(&drbg_); }

BrowserRandom::~BrowserRandom() { mbedtls_ctr_drbg_free(&drbg_); }  // zeroizes the state

absl::StatusOr<std::unique_ptr<BrowserRandom>> BrowserRandom::Create() {
  std::unique_ptr<BrowserRandom> rng(new BrowserRandom());
  int rc = mbedtls_ctr_drbg_seed(&rng->drbg_, &EntropyCallback, nullptr,
                                 reinterpret_cast<const unsigned char*>(kPersonalization),
                                 sizeof(kPersonalization) - 1);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "seeding CTR_DRBG from crypto.getRandomValues failed (Mbed TLS error -0x",
        absl::Hex(-rc), ")"));
  }
  return rng;
}

void BrowserRandom::Fill(MutableByteView out) {
  size_t done = 0;
  while (done < out.size()) {
    size_t n = out.size() - done;
    if (n > MBEDTLS_CTR_DRBG_MAX_REQUEST) n = MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (int rc = mbedtls_ctr_drbg_random(&drbg_, out.data() + done, n); rc != 0) {
      std::fprintf(stderr, "mtcore BrowserRandom: CTR_DRBG failed (-0x%04x)\n", -rc);
      std::abort();
    }
    done += n;
  }
}

}  // namespace mtcore::io
