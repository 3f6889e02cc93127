#include "io/native/system_random.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mtcore::io {
namespace {

constexpr char kPersonalization[] = "mtcore.SystemRandom";

int EntropyCallback(void* /*unused*/, unsigned char* out, size_t len) {
  return GetRandomBytes(MutableByteView(out, len)).ok()
             ? 0
             : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

[[noreturn]] void DieNoEntropy(int code) {
  std::fprintf(stderr, "mtcore SystemRandom: CTR_DRBG failed (-0x%04x); refusing to continue\n",
               -code);
  std::abort();
}

}  // namespace

absl::Status GetRandomBytes(MutableByteView out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("getrandom failed: ", std::strerror(errno), " (errno ", errno, ")"));
    }
    done += size_t(n);
  }
  return absl::OkStatus();
}

SystemRandom::SystemRandom() : pid_(getpid()) { mbedtls_ctr_drbg_init(&drbg_); }

SystemRandom::~SystemRandom() { mbedtls_ctr_drbg_free(&drbg_); }  // zeroizes the state

absl::StatusOr<std::unique_ptr<SystemRandom>> SystemRandom::Create() {
  std::unique_ptr<SystemRandom> rng(new SystemRandom());
  int rc = mbedtls_ctr_drbg_seed(&rng->drbg_, &EntropyCallback, nullptr,
                                 reinterpret_cast<const unsigned char*>(kPersonalization),
                                 sizeof(kPersonalization) - 1);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("seeding CTR_DRBG from getrandom failed (Mbed TLS error -0x",
                     absl::Hex(-rc), ")"));
  }
  return rng;
}

void SystemRandom::Fill(MutableByteView out) {
  std::lock_guard<std::mutex> lock(mu_);
  const pid_t pid = getpid();
  if (pid != pid_) {  // forked: never continue the parent's stream
    if (int rc = mbedtls_ctr_drbg_reseed(&drbg_, nullptr, 0); rc != 0) DieNoEntropy(rc);
    pid_ = pid;
  }
  size_t done = 0;
  while (done < out.size()) {
    size_t n = std::min<size_t>(out.size() - done, MBEDTLS_CTR_DRBG_MAX_REQUEST);
    if (int rc = mbedtls_ctr_drbg_random(&drbg_, out.data() + done, n); rc != 0) {
      DieNoEntropy(rc);
    }
    done += n;
  }
}

}  // namespace mtcore::io
