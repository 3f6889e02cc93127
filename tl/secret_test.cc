// Tests of the generated end-to-end schema (//tl:secret) through its public
// surface: hand-built bytes, a random round trip of every constructor,
// truncation, lookup tables, and linking beside //tl:api (names that exist
// in both schemas stay apart).
#include "tl/secret.h"

#include <functional>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"
#include "tl/secret_testing.h"

namespace mtcore::tl {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Bytes Hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

TEST(SecretSchemaTest, LayerWrapperBytes) {
  secret::decryptedMessageLayer layer;
  layer.random_bytes = std::string(15, '\x01');
  layer.layer = 144;
  layer.in_seq_no = 2;
  layer.out_seq_no = 5;
  layer.message = secret::decryptedMessageService{
      .random_id = 0x0102030405060708,
      .action = secret::decryptedMessageActionNotifyLayer{.layer = 144}};
  absl::StatusOr<Bytes> wire = Serialize(secret::DecryptedMessageLayer(layer));
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(*wire, Hex("8917e31b"                          // decryptedMessageLayer
                       "0f010101010101010101010101010101"  // random_bytes (15)
                       "90000000"                          // layer 144
                       "02000000"                          // in_seq_no
                       "05000000"                          // out_seq_no
                       "60411673"                          // decryptedMessageService
                       "0807060504030201"                  // random_id
                       "838804f3"                          // NotifyLayer
                       "90000000"));
  absl::StatusOr<secret::DecryptedMessageLayer> back = Parse<secret::DecryptedMessageLayer>(*wire);
  ASSERT_TRUE(back.ok()) << back.status();
  const auto* l = back->As<secret::decryptedMessageLayer>();
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(*l, layer);
}

TEST(SecretSchemaTest, MessageWithMediaAndEntities) {
  secret::decryptedMessage m;
  m.silent = true;
  m.random_id = -5;
  m.ttl = 10;
  m.message = "hi *there*";
  m.entities = std::vector<secret::MessageEntity>{
      secret::messageEntityBold{.offset = 3, .length = 7},
      secret::messageEntityCustomEmoji{.offset = 0, .length = 2, .document_id = 77}};
  secret::decryptedMessageMediaDocument doc;
  doc.mime_type = "image/webp";
  doc.size = 5'000'000'000;  // long since layer 143
  doc.key = std::string(32, 'k');
  doc.iv = std::string(32, 'i');
  doc.attributes = {secret::documentAttributeSticker{
                        .alt = ":)", .stickerset = secret::inputStickerSetShortName{.short_name = "s"}},
                    secret::documentAttributeAudio{.voice = true, .duration = 3, .waveform = "wv"}};
  m.media = doc;
  absl::StatusOr<Bytes> wire = Serialize(secret::DecryptedMessage(m));
  ASSERT_TRUE(wire.ok()) << wire.status();
  absl::StatusOr<secret::DecryptedMessage> back = Parse<secret::DecryptedMessage>(*wire);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_NE(back->As<secret::decryptedMessage>(), nullptr);
  EXPECT_EQ(*back->As<secret::decryptedMessage>(), m);
  EXPECT_THAT(to_string(*back), HasSubstr("documentAttributeSticker{alt: \":)\""));
  // flags: silent (5), entities (7), media (9).
  EXPECT_EQ((*wire)[4], 0xa0);
  EXPECT_EQ((*wire)[5], 0x02);
}

TEST(SecretSchemaTest, UnknownConstructorIsNamedWithTheExpectedType) {
  // An API-schema entity the end-to-end schema does not have.
  Bytes wire = *Serialize(MessageEntity(messageEntityPhone{.offset = 1, .length = 2}));
  absl::StatusOr<secret::MessageEntity> r = Parse<secret::MessageEntity>(wire);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("MessageEntity"));
}

TEST(SecretSchemaTest, TablesAreTheSecretSchemasOwn) {
  const secret::TlInfo* layer = secret::FindTlInfoByName("decryptedMessageLayer");
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ(layer->id, 0x1be31789u);
  EXPECT_STREQ(secret::ConstructorName(0x91cc4674u), "decryptedMessage");
  EXPECT_EQ(FindTlInfo(0x1be31789u), nullptr);  // not an API constructor
  // The same TL name in both schemas, with each schema's id.
  EXPECT_EQ(secret::FindTlInfoByName("messageEntityBold")->id, 0xbd610bc9u);
  EXPECT_EQ(secret::messageEntityBold::kId, messageEntityBold::kId);  // same definition
  EXPECT_NE(secret::documentAttributeSticker::kId, documentAttributeSticker::kId);
  EXPECT_NE(secret::messageEntityBlockquote::kId, messageEntityBlockquote::kId);
  int with_struct = 0;
  for (const secret::TlInfo& info : secret::AllTlInfos()) with_struct += info.has_struct ? 1 : 0;
  EXPECT_EQ(with_struct, 67);
}

// Reads a boxed value of the TL type `type` (no type-erased reader exists for
// a standalone schema: it is read by the handle of its type).
AnyObject ReadAs(const std::string& type, Reader& r) {
  static const auto* readers = new std::map<std::string, std::function<AnyObject(Reader&)>>{
      {"DecryptedMessage", [](Reader& r) -> AnyObject { return secret::DecryptedMessage::ReadBoxed(r); }},
      {"DecryptedMessageLayer",
       [](Reader& r) -> AnyObject { return secret::DecryptedMessageLayer::ReadBoxed(r); }},
      {"DecryptedMessageMedia",
       [](Reader& r) -> AnyObject { return secret::DecryptedMessageMedia::ReadBoxed(r); }},
      {"DecryptedMessageAction",
       [](Reader& r) -> AnyObject { return secret::DecryptedMessageAction::ReadBoxed(r); }},
      {"SendMessageAction", [](Reader& r) -> AnyObject { return secret::SendMessageAction::ReadBoxed(r); }},
      {"DocumentAttribute", [](Reader& r) -> AnyObject { return secret::DocumentAttribute::ReadBoxed(r); }},
      {"InputStickerSet", [](Reader& r) -> AnyObject { return secret::InputStickerSet::ReadBoxed(r); }},
      {"PhotoSize", [](Reader& r) -> AnyObject { return secret::PhotoSize::ReadBoxed(r); }},
      {"FileLocation", [](Reader& r) -> AnyObject { return secret::FileLocation::ReadBoxed(r); }},
      {"MessageEntity", [](Reader& r) -> AnyObject { return secret::MessageEntity::ReadBoxed(r); }},
  };
  auto it = readers->find(type);
  if (it == readers->end()) return {};
  return it->second(r);
}

TEST(SecretSchemaTest, EveryConstructorRoundTrips) {
  int checked = 0;
  for (const secret::TlInfo& info : secret::AllTlInfos()) {
    if (!info.has_struct) continue;
    for (uint64_t iteration = 0; iteration < 20; ++iteration) {
      testing::Rng rng(info.id * 1000003ull + iteration);
      AnyObject value = secret::testing::RandomObject(info.id, rng);
      ASSERT_TRUE(value) << info.name;
      ASSERT_EQ(value.id(), info.id);
      absl::StatusOr<Bytes> wire = Serialize(value);
      ASSERT_TRUE(wire.ok()) << info.name << ": " << wire.status() << "\n" << to_string(value);
      ASSERT_EQ(wire->size(), SerializedSize(value));
      Reader r(*wire);
      AnyObject back = ReadAs(info.type, r);
      ASSERT_TRUE(r.Finish().ok()) << info.name << ": " << r.Finish();
      ASSERT_EQ(back, value) << info.name << "\n" << to_string(value) << "\n" << to_string(back);
      ASSERT_EQ(*Serialize(back), *wire) << info.name;
      ASSERT_THAT(to_string(back), StartsWith(std::string(info.name) + "{"));
      if (iteration == 0) {
        for (size_t n = 0; n < wire->size(); ++n) {
          Reader t(ByteView(wire->data(), n));
          AnyObject partial = ReadAs(info.type, t);
          ASSERT_FALSE(t.Finish().ok()) << info.name << " prefix " << n;
        }
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 67 * 20);
}

}  // namespace
}  // namespace mtcore::tl
