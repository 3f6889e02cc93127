#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "schema/api_schema_path.h"
#include "tlgen/id.h"
#include "tlgen/load.h"

namespace mtcore::tlgen {
namespace {

constexpr char kMtprotoTl[] = "schema/mtproto.tl";
constexpr char kMtpJson[] = "external/mtcute_schema/package/tl/mtp-schema.json";

// Definitions not of the JSON's kind anywhere: mtcute's mtp-schema.json has
// every MTProto definition as "class", so match by name in either category.
const Definition* FindAny(const Schema& schema, const std::string& name) {
  const Definition* d = schema.Find(name, Category::kConstructor);
  return d != nullptr ? d : schema.Find(name, Category::kFunction);
}

TEST(MtprotoSchema, MatchesMtcuteIdsAndParams) {
  absl::StatusOr<Schema> ours = LoadSchemaFile(kMtprotoTl);
  ASSERT_TRUE(ours.ok()) << ours.status();
  absl::StatusOr<Schema> mtcute = LoadSchemaFile(kMtpJson);
  ASSERT_TRUE(mtcute.ok()) << mtcute.status();
  ASSERT_EQ(mtcute->definitions.size(), 42u);
  for (const Definition& theirs : mtcute->definitions) {
    const Definition* mine = FindAny(*ours, theirs.name);
    ASSERT_NE(mine, nullptr) << theirs.name << " is missing from " << kMtprotoTl;
    EXPECT_EQ(mine->id, theirs.id) << theirs.name;
    EXPECT_EQ(mine->params, theirs.params) << theirs.name;
    EXPECT_EQ(mine->result, theirs.result) << theirs.name;
  }
}

TEST(MtprotoSchema, HasEverythingTheClientUses) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kMtprotoTl);
  ASSERT_TRUE(schema.ok()) << schema.status();
  for (const char* name :
       {"resPQ", "p_q_inner_data", "p_q_inner_data_dc", "p_q_inner_data_temp",
        "p_q_inner_data_temp_dc", "bind_auth_key_inner", "server_DH_params_fail",
        "server_DH_params_ok", "server_DH_inner_data", "client_DH_inner_data", "dh_gen_ok",
        "dh_gen_retry", "dh_gen_fail", "destroy_auth_key_ok", "destroy_auth_key_none",
        "destroy_auth_key_fail", "rpc_result", "rpc_error", "rpc_answer_unknown",
        "rpc_answer_dropped_running", "rpc_answer_dropped", "future_salt", "future_salts", "pong",
        "destroy_session_ok", "destroy_session_none", "new_session_created", "msg_container",
        "message", "msg_copy", "gzip_packed", "msgs_ack", "bad_msg_notification",
        "bad_server_salt", "msg_resend_req", "msgs_state_req", "msgs_state_info", "msgs_all_info",
        "msg_detailed_info", "msg_new_detailed_info", "http_wait", "ipPort", "ipPortSecret",
        "accessPointRule", "help.configSimple"}) {
    EXPECT_NE(schema->Find(name, Category::kConstructor), nullptr) << name;
  }
  for (const char* name : {"req_pq", "req_pq_multi", "req_DH_params", "set_client_DH_params",
                           "rpc_drop_answer", "get_future_salts", "ping", "ping_delay_disconnect",
                           "destroy_session", "destroy_auth_key"}) {
    EXPECT_NE(schema->Find(name, Category::kFunction), nullptr) << name;
  }
  EXPECT_EQ(schema->Count(Category::kConstructor), 45);
  EXPECT_EQ(schema->Count(Category::kFunction), 10);
  EXPECT_EQ(schema->builtins.size(), 7u);
  // `message` has no explicit id in the spec; ours is written out and equals
  // the CRC32.
  EXPECT_EQ(schema->Find("message", Category::kConstructor)->id, 0x5bb8e511u);
}

TEST(MtprotoSchema, IdMismatchesAreTheKnownOnes) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kMtprotoTl);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::set<std::string> mismatched;
  for (const IdMismatch& m : VerifyIds(*schema)) mismatched.insert(m.name);
  EXPECT_EQ(mismatched, (std::set<std::string>{"msg_container", "ipPortSecret",
                                               "accessPointRule", "help.configSimple"}));
}

constexpr char kSecretTl[] = "schema/secret.tl";

TEST(SecretSchema, IdsAreTheirCrc32ExceptTheKnownOne) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kSecretTl);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::set<std::string> mismatched;
  for (const IdMismatch& m : VerifyIds(*schema)) mismatched.insert(m.name);
  // Layer 143 changed decryptedMessageMediaDocument.size to long under a new
  // id that is not the CRC32 of the new line (see schema/README.md).
  EXPECT_EQ(mismatched, (std::set<std::string>{"decryptedMessageMediaDocument"}));
  EXPECT_EQ(schema->Find("decryptedMessageMediaDocument", Category::kConstructor)->id,
            0x6abd9782u);
}

TEST(SecretSchema, HasTheCurrentLayer) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kSecretTl);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->layer, 144);
  EXPECT_EQ(schema->Count(Category::kConstructor), 67);
  EXPECT_EQ(schema->Count(Category::kFunction), 0);
  // The current version of each message constructor, by id.
  const std::pair<const char*, uint32_t> current[] = {
      {"decryptedMessage", 0x91cc4674u},           {"decryptedMessageService", 0x73164160u},
      {"decryptedMessageLayer", 0x1be31789u},      {"decryptedMessageMediaPhoto", 0xf1fa8d78u},
      {"decryptedMessageMediaVideo", 0x970c8c0eu}, {"decryptedMessageMediaAudio", 0x57e0a9cbu},
      {"documentAttributeAudio", 0x9852f9c6u},     {"documentAttributeVideo", 0x0ef02ce6u},
      {"documentAttributeSticker", 0x3a556302u},   {"messageEntityCustomEmoji", 0xc8cf05f8u},
  };
  for (const auto& [name, id] : current) {
    const Definition* d = schema->Find(name, Category::kConstructor);
    ASSERT_NE(d, nullptr) << name;
    EXPECT_EQ(d->id, id) << name;
  }
  for (const char* name :
       {"decryptedMessageActionSetMessageTTL", "decryptedMessageActionReadMessages",
        "decryptedMessageActionDeleteMessages", "decryptedMessageActionScreenshotMessages",
        "decryptedMessageActionFlushHistory", "decryptedMessageActionResend",
        "decryptedMessageActionNotifyLayer", "decryptedMessageActionTyping",
        "decryptedMessageActionRequestKey", "decryptedMessageActionAcceptKey",
        "decryptedMessageActionAbortKey", "decryptedMessageActionCommitKey",
        "decryptedMessageActionNoop", "decryptedMessageMediaEmpty",
        "decryptedMessageMediaGeoPoint", "decryptedMessageMediaContact",
        "decryptedMessageMediaExternalDocument", "decryptedMessageMediaVenue",
        "decryptedMessageMediaWebPage", "photoCachedSize", "fileLocation",
        "inputStickerSetShortName", "messageEntitySpoiler", "sendMessageUploadRoundAction"}) {
    EXPECT_NE(schema->Find(name, Category::kConstructor), nullptr) << name;
  }
}

TEST(ApiSchemaFlag, SelectedSchemaLoads) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kApiSchemaPath);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_GT(schema->layer, 0);
  EXPECT_NE(schema->Find("messages.sendMessage", Category::kFunction), nullptr);
}

}  // namespace
}  // namespace mtcore::tlgen
