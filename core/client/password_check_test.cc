#include "core/client/password_check.h"

#include <string>

#include "core/crypto/pubkey/srp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

std::string Str(ByteView b) { return std::string(b.begin(), b.end()); }
ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// An account with `password`, as a DC would describe it, and the DC's side
// of the check.
struct Account {
  crypto::DeterministicRandom rng{11};
  crypto::SafePrimeCache primes;
  std::string salt1 = "salt-one-0123456", salt2 = "salt-two-0123456";
  std::unique_ptr<crypto::SrpServer> server;
  tl::account_Password info;

  explicit Account(const std::string& password) {
    absl::StatusOr<crypto::DhGroup> group =
        crypto::DhGroup::Create(crypto::TelegramDhPrime(), 3, primes, rng);
    EXPECT_TRUE(group.ok()) << group.status();
    absl::StatusOr<Bytes> v = crypto::SrpMakeVerifier(*group, View(password), View(salt1), View(salt2));
    EXPECT_TRUE(v.ok()) << v.status();
    absl::StatusOr<crypto::SrpServer> s =
        crypto::SrpServer::Start(*group, View(salt1), View(salt2), *v, rng);
    EXPECT_TRUE(s.ok()) << s.status();
    server = std::make_unique<crypto::SrpServer>(*std::move(s));
    tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow algo;
    algo.salt1 = salt1;
    algo.salt2 = salt2;
    algo.g = 3;
    algo.p = Str(crypto::TelegramDhPrime());
    tl::account_password pw;
    pw.has_password = true;
    pw.current_algo = std::move(algo);
    pw.srp_B = Str(server->g_b());
    pw.srp_id = 77;
    info = std::move(pw);
  }
};

TEST(PasswordCheckTest, TheRightPasswordPassesTheDcsCheckAndAWrongOneFails) {
  Account account("correct horse");
  crypto::DeterministicRandom rng(3);
  crypto::SafePrimeCache primes;
  absl::StatusOr<tl::inputCheckPasswordSRP> proof =
      ProvePassword(account.info, "correct horse", primes, rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(proof->srp_id, 77);
  EXPECT_EQ(proof->A.size(), 256u);
  EXPECT_TRUE(account.server->Verify(View(proof->A), View(proof->M1)).ok());

  absl::StatusOr<tl::inputCheckPasswordSRP> wrong =
      ProvePassword(account.info, "battery staple", primes, rng);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_EQ(account.server->Verify(View(wrong->A), View(wrong->M1)).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PasswordCheckTest, WhatCannotBeProvenIsNamed) {
  Account account("pw");
  crypto::DeterministicRandom rng(4);
  crypto::SafePrimeCache primes;

  tl::account_Password none = tl::account_password{};
  EXPECT_EQ(ProvePassword(none, "pw", primes, rng).status().code(),
            absl::StatusCode::kFailedPrecondition);

  tl::account_Password unknown = account.info;
  unknown.As<tl::account_password>()->current_algo = tl::passwordKdfAlgoUnknown{};
  absl::Status s = ProvePassword(unknown, "pw", primes, rng).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(s.message(), HasSubstr("passwordKdfAlgoUnknown"));

  tl::account_Password no_b = account.info;
  no_b.As<tl::account_password>()->srp_B.reset();
  EXPECT_EQ(ProvePassword(no_b, "pw", primes, rng).status().code(), absl::StatusCode::kDataLoss);

  // A prime that is not safe: the DH checks refuse it, named.
  tl::account_Password bad_p = account.info;
  auto* algo = bad_p.As<tl::account_password>()
                   ->current_algo
                   .As<tl::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
  algo->p[255] ^= 2;  // still odd, no longer Telegram's (and not a safe prime)
  s = ProvePassword(bad_p, "pw", primes, rng).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("2FA password: dh_prime"));

  // srp_B out of range.
  tl::account_Password bad_b = account.info;
  bad_b.As<tl::account_password>()->srp_B = std::string(256, '\0');
  s = ProvePassword(bad_b, "pw", primes, rng).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("srp_B"));
}

}  // namespace
}  // namespace mtcore::client
