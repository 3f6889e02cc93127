// The 2FA password proof (core.telegram.org/api/srp): from what
// account.getPassword returned and the password the user typed, the
// inputCheckPasswordSRP that auth.checkPassword (log-in) and the methods
// asking for the current password take. The SRP math and every check of p,
// g and srp_B are core/crypto/pubkey/srp.h's. Sans-I/O: entropy comes from
// `rng`.
//
// Example:
//   tl::account_Password info = ... account.getPassword's answer ...;
//   MTCORE_ASSIGN_OR_RETURN(tl::inputCheckPasswordSRP proof,
//                           ProvePassword(info, "hunter2", primes, rng));
//   tl::auth_checkPassword check;
//   check.password = std::move(proof);
#ifndef MTCORE_CORE_CLIENT_PASSWORD_CHECK_H_
#define MTCORE_CORE_CLIENT_PASSWORD_CHECK_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/random.h"
#include "tl/api.h"

namespace mtcore::client {

// FailedPrecondition if the account has no password; Unimplemented for a
// key derivation algorithm other than
// passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow (named);
// DataLoss if srp_B or srp_id is missing; the SRP checks' errors ("dh_prime:
// ...", "g: ...", "srp_B: ...") otherwise. `primes` keeps the verdict on p
// (a client keeps one for all its checks).
absl::StatusOr<tl::inputCheckPasswordSRP> ProvePassword(const tl::account_Password& info,
                                                        std::string_view password,
                                                        crypto::SafePrimeCache& primes,
                                                        crypto::RandomSource& rng);

}  // namespace mtcore::client

#endif  // MTCORE_CORE_CLIENT_PASSWORD_CHECK_H_
