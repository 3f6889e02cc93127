#include "core/client/password_check.h"

#include <string>

#include "core/client/srp_test_account.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

using testing::SrpTestAccount;

TEST(PasswordCheckTest, TheRightPasswordPassesTheDcsCheckAndAWrongOneFails) {
  SrpTestAccount account("correct horse");
  crypto::DeterministicRandom rng(3);
  crypto::SafePrimeCache primes;
  absl::StatusOr<tl::inputCheckPasswordSRP> proof =
      ProvePassword(account.info, "correct horse", primes, rng);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(proof->srp_id, account.srp_id());
  EXPECT_EQ(proof->A.size(), 256u);
  EXPECT_TRUE(account.Verify(*proof).ok());

  absl::StatusOr<tl::inputCheckPasswordSRP> wrong =
      ProvePassword(account.info, "battery staple", primes, rng);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_EQ(account.Verify(*wrong).code(), absl::StatusCode::kPermissionDenied);
}

TEST(PasswordCheckTest, WhatCannotBeProvenIsNamed) {
  SrpTestAccount account("pw");
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
