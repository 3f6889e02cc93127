// The native OS-backed CSPRNG: Mbed TLS CTR_DRBG (AES-256) seeded and
// periodically reseeded from getrandom(2).
//
// This is the RandomSource production code hands to core/ on Linux. It is
// thread-safe (one mutex around the DRBG) and fork-aware: a child process
// reseeds before its first draw, so parent and child never share output.
//
// Example:
//   MTCORE_ASSIGN_OR_RETURN(std::unique_ptr<SystemRandom> rng, SystemRandom::Create());
//   Bytes nonce = crypto::RandomBytes(*rng, 16);
#ifndef MTCORE_IO_NATIVE_SYSTEM_RANDOM_H_
#define MTCORE_IO_NATIVE_SYSTEM_RANDOM_H_

#include <sys/types.h>

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/random.h"
#include "mbedtls/ctr_drbg.h"

namespace mtcore::io {

class SystemRandom final : public crypto::RandomSource {
 public:
  // Seeds a new generator from getrandom(2). Fails (Unavailable) only if the
  // kernel cannot supply entropy.
  static absl::StatusOr<std::unique_ptr<SystemRandom>> Create();

  ~SystemRandom() override;
  SystemRandom(const SystemRandom&) = delete;
  SystemRandom& operator=(const SystemRandom&) = delete;

  // Fills `out` from the DRBG. If the DRBG cannot reseed (the kernel stopped
  // giving entropy), it never returns weak bytes: the process aborts.
  void Fill(MutableByteView out) override;

 private:
  SystemRandom();

  std::mutex mu_;
  mbedtls_ctr_drbg_context drbg_;
  pid_t pid_;  // the process that last seeded the DRBG
};

// Reads `out.size()` bytes straight from getrandom(2), retrying on EINTR and
// short reads. Errors name the errno.
absl::Status GetRandomBytes(MutableByteView out);

}  // namespace mtcore::io

#endif  // MTCORE_IO_NATIVE_SYSTEM_RANDOM_H_
