// Test helper: an account with a 2FA password as a DC describes it
// (account.getPassword's answer, with a fresh SRP challenge) and the DC's
// side of the check (crypto::SrpServer), for tests of ProvePassword and of
// the logins that use it. Test-only.
#ifndef MTCORE_CORE_CLIENT_SRP_TEST_ACCOUNT_H_
#define MTCORE_CORE_CLIENT_SRP_TEST_ACCOUNT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/bytes.h"
#include "core/crypto/pubkey/dh.h"
#include "core/crypto/pubkey/srp.h"
#include "core/crypto/random.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client::testing {

inline std::string Str(ByteView b) { return std::string(b.begin(), b.end()); }
inline ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class SrpTestAccount {
 public:
  explicit SrpTestAccount(const std::string& password, std::string hint = "")
      : hint_(std::move(hint)) {
    absl::StatusOr<crypto::DhGroup> group =
        crypto::DhGroup::Create(crypto::TelegramDhPrime(), 3, primes_, rng_);
    EXPECT_TRUE(group.ok()) << group.status();
    group_ = std::make_unique<crypto::DhGroup>(*std::move(group));
    absl::StatusOr<Bytes> v =
        crypto::SrpMakeVerifier(*group_, View(password), View(salt1_), View(salt2_));
    EXPECT_TRUE(v.ok()) << v.status();
    verifier_ = *std::move(v);
    NewChallenge();
  }

  // A new challenge (srp_B, srp_id), as each account.getPassword gives.
  void NewChallenge() {
    absl::StatusOr<crypto::SrpServer> s =
        crypto::SrpServer::Start(*group_, View(salt1_), View(salt2_), verifier_, rng_);
    EXPECT_TRUE(s.ok()) << s.status();
    server_ = std::make_unique<crypto::SrpServer>(*std::move(s));
    tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow algo;
    algo.salt1 = salt1_;
    algo.salt2 = salt2_;
    algo.g = 3;
    algo.p = Str(crypto::TelegramDhPrime());
    tl::account_password pw;
    pw.has_password = true;
    pw.current_algo = std::move(algo);
    pw.srp_B = Str(server_->g_b());
    pw.srp_id = ++srp_id_;
    if (!hint_.empty()) pw.hint = hint_;
    pw.new_algo = tl::passwordKdfAlgoUnknown{};
    pw.new_secure_algo = tl::securePasswordKdfAlgoUnknown{};
    info = std::move(pw);
  }

  // The DC's check of a proof against the current challenge.
  absl::Status Verify(const tl::inputCheckPasswordSRP& proof) const {
    if (proof.srp_id != srp_id_) return absl::PermissionDeniedError("another challenge's srp_id");
    return server_->Verify(View(proof.A), View(proof.M1));
  }

  int64_t srp_id() const { return srp_id_; }

  tl::account_Password info;  // account.getPassword's answer

 private:
  crypto::DeterministicRandom rng_{11};
  crypto::SafePrimeCache primes_;
  std::string salt1_ = "salt-one-0123456", salt2_ = "salt-two-0123456";
  std::string hint_;
  std::unique_ptr<crypto::DhGroup> group_;
  Bytes verifier_;
  std::unique_ptr<crypto::SrpServer> server_;
  int64_t srp_id_ = 76;
};

}  // namespace mtcore::client::testing

#endif  // MTCORE_CORE_CLIENT_SRP_TEST_ACCOUNT_H_
