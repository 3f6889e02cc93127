// Steps the ClientRunner tests take against the simulated DC (tests/dc):
// logging a configured user in with its login code, and resolving a
// username. Test-only.
#ifndef MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_
#define MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "io/native/client_runner.h"
#include "tests/dc/world_config.h"
#include "tl/api.h"

namespace mtcore::io::testing {

// The user of `config` named @`username`; NotFound if there is none.
inline absl::StatusOr<const dc::WorldConfig::User*> ConfiguredUser(const dc::WorldConfig& config,
                                                                   const std::string& username) {
  for (const dc::WorldConfig::User& u : config.users) {
    if (u.username == username) return &u;
  }
  return absl::NotFoundError(absl::StrCat("no user @", username, " in the world config"));
}

// Logs `user` in on `runner` (auth.sendCode, then auth.signIn with its code;
// a migration on the way is the runner's). The user must have no 2FA
// password.
inline absl::Status SignInWithCode(ClientRunner& runner, const dc::WorldConfig& config,
                                   const dc::WorldConfig::User& user, absl::Duration timeout) {
  tl::auth_sendCode send_code;
  send_code.phone_number = user.phone;
  send_code.api_id = 1;
  send_code.api_hash = "test";
  send_code.settings = tl::codeSettings{};
  absl::StatusOr<tl::auth_SentCode> sent = runner.Call(send_code, timeout);
  if (!sent.ok()) return sent.status();
  tl::auth_signIn sign_in;
  sign_in.phone_number = user.phone;
  sign_in.phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash;
  sign_in.phone_code = user.login_code.empty() ? config.login_code : user.login_code;
  return runner.Call(sign_in, timeout).status();
}

// @`username` as `runner` resolves it (contacts.resolveUsername).
inline absl::StatusOr<tl::user> ResolveUser(ClientRunner& runner, const std::string& username,
                                            absl::Duration timeout) {
  tl::contacts_resolveUsername resolve;
  resolve.username = username;
  absl::StatusOr<tl::contacts_ResolvedPeer> r = runner.Call(resolve, timeout);
  if (!r.ok()) return r.status();
  const tl::contacts_resolvedPeer* peer = r->As<tl::contacts_resolvedPeer>();
  if (peer->users.empty() || peer->users[0].As<tl::user>() == nullptr) {
    return absl::NotFoundError(absl::StrCat("@", username, " resolved to no user"));
  }
  return *peer->users[0].As<tl::user>();
}

}  // namespace mtcore::io::testing

#endif  // MTCORE_IO_NATIVE_RUNNER_TEST_STEPS_H_
