#include "core/client/password_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/crypto/pubkey/srp.h"

namespace mtcore::client {
namespace {

ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

absl::StatusOr<tl::inputCheckPasswordSRP> ProvePassword(const tl::account_Password& info,
                                                        std::string_view password,
                                                        crypto::SafePrimeCache& primes,
                                                        crypto::RandomSource& rng) {
  const tl::account_password* pw = info.As<tl::account_password>();
  if (pw == nullptr) return absl::DataLossError("2FA password: no account.password");
  if (!pw->has_password || !pw->current_algo) {
    return absl::FailedPreconditionError("2FA password: the account has none");
  }
  const auto* algo =
      pw->current_algo.As<tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
  if (algo == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("2FA password: key derivation ", pw->current_algo.name(), " is not supported"));
  }
  if (!pw->srp_B.has_value() || !pw->srp_id.has_value()) {
    return absl::DataLossError("2FA password: account.password without srp_B or srp_id");
  }
  if (algo->g < 0) return absl::DataLossError(absl::StrCat("2FA password: g ", algo->g));
  const crypto::SrpParams params{View(algo->salt1), View(algo->salt2),
                                 static_cast<uint32_t>(algo->g), View(algo->p), View(*pw->srp_B)};
  const ByteView typed(reinterpret_cast<const uint8_t*>(password.data()), password.size());
  absl::StatusOr<crypto::SrpClientProof> proof = crypto::SrpClientProve(params, typed, primes, rng);
  if (!proof.ok()) {
    return absl::Status(proof.status().code(),
                        absl::StrCat("2FA password: ", proof.status().message()));
  }
  tl::inputCheckPasswordSRP check;
  check.srp_id = *pw->srp_id;
  check.A.assign(proof->g_a.begin(), proof->g_a.end());
  check.M1.assign(proof->m1.begin(), proof->m1.end());
  return check;
}

}  // namespace mtcore::client
