// Fuzz target for the world's two untrusted inputs: config text
// (ParseWorldConfig) and query bytes (World::Handle).
//
// Input: byte 0 picks the mode; the rest is
//   mode 0: config text;
//   mode 1: queries from a session that is not logged in;
//   mode 2: queries from a session logged in as the default world's bot, a
//           second session of the same bot and a user session see the pushes;
//   mode 3: queries from a session that is not logged in but whose QR login
//           token a user accepted (the next byte picks Alice, on the same
//           DC, or Carol, on DC 4): auth.exportLoginToken reaches the
//           accepted token's login (or loginTokenMigrateTo), and
//           acceptLoginToken / importLoginToken the rest;
//   mode 4: queries from Alice (DC 2) with a secret chat open with Carol
//           (DC 4; she accepted it and sent one encrypted message, so
//           Alice's qts is 1): the secret-chat methods, getDifference's qts,
//           receivedQueue and encrypted files reach a real chat;
//   mode 5: queries from a session that is not logged in whose phone login
//           of Alice (made to need a login email first) is pending: the
//           first record is the address for account.sendVerifyEmailCode,
//           the second the code for account.verifyEmail (both with the
//           login's hash), then raw queries;
// where queries are [u16 little-endian length][bytes] records, each handed to
// Handle in turn. Every reply must be an rpc_error or a non-empty result.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "core/base/bytes.h"
#include "tests/dc/world.h"
#include "tests/dc/world_config.h"
#include "tests/dc/world_test_client.h"
#include "tl/api.h"

namespace {

using mtcore::Bytes;
using mtcore::ByteView;
using namespace mtcore::dc;  // NOLINT

void Check(const RpcReply& r) {
  if (!r.is_error() && r.result.empty()) std::abort();
  if (r.is_error() && r.error_message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 6;
  ByteView rest(data + 1, size - 1);
  if (mode == 0) {
    (void)ParseWorldConfig(std::string(rest.begin(), rest.end()));
    return 0;
  }
  WorldConfig config = DefaultWorldConfig();
  config.flood_sends_per_second = 5;
  config.difference_limit = 3;
  config.difference_too_long = 10;
  if (mode == 5) config.users[0].login_email = "setup";  // Alice, DC 2
  absl::StatusOr<std::unique_ptr<World>> world = World::Create(config);
  if (!world.ok()) std::abort();  // the default world always loads
  int64_t now = 1764000000LL * 1000000000LL;
  WorldClient caller(**world, 2, 0xb07, &now, 1);
  WorldClient twin(**world, 2, 0xb07, &now, 2);
  WorldClient user(**world, 2, 0xa11ce, &now, 3);
  if (mode == 2) {
    mtcore::tl::auth_importBotAuthorization login;
    login.api_id = 1;
    login.api_hash = "h";
    login.bot_auth_token = "7001:AAEchoBotSecret0123456789";
    if (!caller.Call(login).ok()) std::abort();
    // The user half: Alice logs in with her code.
    auto sent = user.Call(mtcore::tl::auth_sendCode{.phone_number = "15550001001", .api_id = 1,
                                                     .api_hash = "h", .settings = mtcore::tl::codeSettings{}});
    if (!sent.ok()) std::abort();
    auto in = user.Call(mtcore::tl::auth_signIn{
        .phone_number = "15550001001",
        .phone_code_hash = sent.value->As<mtcore::tl::auth_sentCode>()->phone_code_hash,
        .phone_code = "11111"});
    if (!in.ok()) std::abort();
  }
  // Lives as long as the world's other sessions: pushes reach it.
  std::optional<WorldClient> accepting;
  std::optional<WorldClient> carol;
  if (mode == 4) {
    auto log_in = [](WorldClient& c, const std::string& phone, const std::string& code) {
      auto sent = c.Call(mtcore::tl::auth_sendCode{
          .phone_number = phone, .api_id = 1, .api_hash = "h", .settings = mtcore::tl::codeSettings{}});
      if (!sent.ok()) std::abort();
      auto in = c.Call(mtcore::tl::auth_signIn{
          .phone_number = phone,
          .phone_code_hash = sent.value->As<mtcore::tl::auth_sentCode>()->phone_code_hash,
          .phone_code = code});
      if (!in.ok()) std::abort();
    };
    log_in(caller, "15550001001", "11111");
    WorldClient& c = carol.emplace(**world, 4, 0xca401, &now, 5);
    log_in(c, "15550001003", "33333");
    auto resolved = caller.Call(mtcore::tl::contacts_resolveUsername{.username = "carol"});
    if (!resolved.ok()) std::abort();
    const auto& u = *resolved.value->As<mtcore::tl::contacts_resolvedPeer>()->users[0].As<mtcore::tl::user>();
    auto waiting = caller.Call(mtcore::tl::messages_requestEncryption{
        .user_id = mtcore::tl::inputUser{.user_id = u.id, .access_hash = *u.access_hash},
        .random_id = 1,
        .g_a = std::string(256, '\x42')});
    if (!waiting.ok()) std::abort();
    const auto* w = waiting.value->As<mtcore::tl::encryptedChatWaiting>();
    if (w == nullptr) std::abort();
    const mtcore::tl::inputEncryptedChat chat{.chat_id = w->id, .access_hash = w->access_hash};
    if (!c.Call(mtcore::tl::messages_acceptEncryption{
                     .peer = chat, .g_b = std::string(256, '\x24'), .key_fingerprint = 7})
             .ok()) {
      std::abort();
    }
    if (!c.Call(mtcore::tl::messages_sendEncrypted{.peer = chat, .random_id = 1, .data = "abcd"}).ok()) {
      std::abort();
    }
    caller.session().TakePushes();
    c.session().TakePushes();
  }
  if (mode == 3 && !rest.empty()) {
    const bool carol = rest[0] % 2 == 1;
    rest = rest.subspan(1);
    mtcore::tl::auth_exportLoginToken x{.api_id = 1, .api_hash = "h", .except_ids = {}};
    auto token = caller.Call(x);
    if (!token.ok()) std::abort();
    WorldClient& acceptor = accepting.emplace(**world, carol ? 4 : 2, 0xacce97, &now, 4);
    const std::string phone = carol ? "15550001003" : "15550001001";
    auto sent = acceptor.Call(mtcore::tl::auth_sendCode{
        .phone_number = phone, .api_id = 1, .api_hash = "h", .settings = mtcore::tl::codeSettings{}});
    if (!sent.ok()) std::abort();
    auto in = acceptor.Call(mtcore::tl::auth_signIn{
        .phone_number = phone,
        .phone_code_hash = sent.value->As<mtcore::tl::auth_sentCode>()->phone_code_hash,
        .phone_code = carol ? "33333" : "11111"});
    if (!in.ok()) std::abort();
    auto accepted = acceptor.Call(mtcore::tl::auth_acceptLoginToken{
        .token = token.value->As<mtcore::tl::auth_loginToken>()->token});
    if (!accepted.ok()) std::abort();
    caller.session().TakePushes();
  }
  // Takes the next [u16 length][bytes] record of `rest` (empty at the end).
  const auto next_record = [&rest]() -> std::string {
    if (rest.size() < 2) return "";
    const size_t len = rest[0] | (size_t{rest[1]} << 8);
    rest = rest.subspan(2);
    ByteView r = rest.subspan(0, std::min(len, rest.size()));
    rest = rest.subspan(r.size());
    return std::string(r.begin(), r.end());
  };
  if (mode == 5) {
    auto sent = caller.Call(mtcore::tl::auth_sendCode{.phone_number = "15550001001", .api_id = 1,
                                                       .api_hash = "h",
                                                       .settings = mtcore::tl::codeSettings{}});
    if (!sent.ok()) std::abort();
    const auto* code = sent.value->As<mtcore::tl::auth_sentCode>();
    if (code == nullptr || !code->type.Is<mtcore::tl::auth_sentCodeTypeSetUpEmailRequired>()) {
      std::abort();
    }
    const mtcore::tl::EmailVerifyPurpose purpose = mtcore::tl::emailVerifyPurposeLoginSetup{
        .phone_number = "15550001001", .phone_code_hash = code->phone_code_hash};
    Check(caller.Raw(*mtcore::tl::Serialize(
        mtcore::tl::account_sendVerifyEmailCode{.purpose = purpose, .email = next_record()})));
    Check(caller.Raw(*mtcore::tl::Serialize(mtcore::tl::account_verifyEmail{
        .purpose = purpose,
        .verification = mtcore::tl::emailVerificationCode{.code = next_record()}})));
  }
  while (rest.size() >= 2) {
    size_t len = rest[0] | (size_t{rest[1]} << 8);
    rest = rest.subspan(2);
    ByteView query = rest.subspan(0, len);
    rest = rest.subspan(query.size());
    Check(caller.Raw(query));
    twin.session().TakePushes();
    user.session().TakePushes();
    if (accepting.has_value()) accepting->session().TakePushes();
    if (carol.has_value()) carol->session().TakePushes();
  }
  return 0;
}
