// Layer adaptation: one layer-neutral "world" object written for an old and a
// new layer (tl/dynamic/testdata/layer_old.tl and layer_new.tl), where `user`
// and `message` have other ids and other fields.
#include <string>

#include "core/base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {
namespace {

using ::testing::HasSubstr;

DynamicCodec Load(const std::string& name) {
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile("tl/dynamic/testdata/" + name);
  EXPECT_TRUE(schema.ok()) << schema.status();
  absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(*schema);
  EXPECT_TRUE(codec.ok()) << codec.status();
  return *std::move(codec);
}

// What the simulated DC knows about a user: a superset of both layers, plus
// a field no layer has.
Value WorldUser() {
  Object status("userStatusOnline");
  status.Set("expires", 1700000000);
  Object emoji("emojiStatus");
  emoji.Set("document_id", int64_t{42});
  Object u("user");
  u.Set("id", int64_t{777000})
      .Set("access_hash", int64_t{-9})
      .Set("first_name", "Ann")
      .Set("premium", true)
      .Set("bot", false)
      .Set("status", std::move(status))
      .Set("emoji_status", std::move(emoji))
      .Set("world_only_note", "kept by the DC, never sent");
  return Value(std::move(u));
}

class AdaptTest : public ::testing::Test {
 protected:
  DynamicCodec old_ = Load("layer_old.tl");
  DynamicCodec new_ = Load("layer_new.tl");
};

TEST_F(AdaptTest, DropsFieldsTheOldLayerLacks) {
  absl::StatusOr<Bytes> bytes = old_.Encode(WorldUser(), "User", {.adapt = true});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(LoadLe32(bytes->data()), 0xa0000001u);  // the old layer's `user`
  absl::StatusOr<Value> got = old_.Decode(*bytes, "User");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ToString(),
            "user{bot: false, id: 777000, access_hash: -9, first_name: \"Ann\", "
            "status: userStatusOnline{expires: 1700000000}}");
  // Adapt() gives the same Value without the caller decoding.
  absl::StatusOr<Value> adapted = old_.Adapt(WorldUser(), "User");
  ASSERT_TRUE(adapted.ok()) << adapted.status();
  EXPECT_EQ(*adapted, *got);
}

TEST_F(AdaptTest, FillsNeutralDefaultsTheWorldLacks) {
  Object u("user");
  u.Set("id", int64_t{5}).Set("first_name", "Bob");
  absl::StatusOr<Value> got = new_.Adapt(Value(u), "User");
  ASSERT_TRUE(got.ok()) << got.status();
  // Required fields get 0 / empty / the constructor with fewest fields
  // (userStatusEmpty, although userStatusOnline comes first); optional ones
  // stay absent.
  EXPECT_EQ(got->ToString(),
            "user{bot: false, premium: false, id: 5, first_name: \"Bob\", "
            "status: userStatusEmpty{}, color: 0, usernames: []}");
  absl::StatusOr<Bytes> bytes = new_.Encode(Value(u), "User", {.adapt = true});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(LoadLe32(bytes->data()), 0xc0000002u);
}

TEST_F(AdaptTest, NestedObjectsAndVectorsAreAdaptedToo) {
  Object from("peerUser");
  from.Set("user_id", int64_t{777000});
  Object msg("message");
  msg.Set("id", 1).Set("out", true).Set("from_id", from).Set("peer_id", from);
  msg.Set("date", 1700000000).Set("message", "hi").Set("views", 10).Set("edit_hide", true);
  Object box("messages.messages");
  box.Set("messages", std::vector<Value>{Value(msg)});
  box.Set("users", std::vector<Value>{WorldUser()});
  box.Set("chats", std::vector<Value>{});

  absl::StatusOr<Value> old_box = old_.Adapt(Value(box), "messages.Messages");
  ASSERT_TRUE(old_box.ok()) << old_box.status();
  EXPECT_EQ(old_box->ToString(),
            "messages.messages{messages: [message{out: true, id: 1, from_id: "
            "peerUser{user_id: 777000}, peer_id: peerUser{user_id: 777000}, date: 1700000000, "
            "message: \"hi\"}], users: [user{bot: false, id: 777000, access_hash: -9, "
            "first_name: \"Ann\", status: userStatusOnline{expires: 1700000000}}]}");

  absl::StatusOr<Value> new_box = new_.Adapt(Value(box), "messages.Messages");
  ASSERT_TRUE(new_box.ok()) << new_box.status();
  const Object& m = new_box->object().GetVector("messages").value()->at(0).object();
  EXPECT_EQ(*m.GetInt32("views"), 10);
  EXPECT_EQ(m.Get("reply_peer")->ToString(), "peerUser{user_id: 0}");
  const Object& u = new_box->object().GetVector("users").value()->at(0).object();
  EXPECT_EQ(*u.GetBool("premium"), true);
  EXPECT_EQ(u.Get("emoji_status")->ToString(), "emojiStatus{document_id: 42}");
  EXPECT_EQ(*new_box->object().GetVector("topics").value(), std::vector<Value>{});
}

TEST_F(AdaptTest, StrictEncodingRefusesWhatAdaptationFixes) {
  absl::StatusOr<Bytes> r = old_.Encode(WorldUser(), "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL encode: user has no field 'premium'");
  Object u("user");
  u.Set("id", int64_t{5});
  r = new_.Encode(Value(u), "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL encode: user.status: missing");
}

TEST_F(AdaptTest, ConstructorsTheLayerDoesNotKnowAreNamed) {
  Object u("user");
  u.Set("id", int64_t{5}).Set("status", Object("userStatusHidden"));
  absl::StatusOr<Bytes> r = old_.Encode(Value(u), "User", {.adapt = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "TL encode: user.status: unknown constructor 'userStatusHidden' (expected "
            "UserStatus)");
  r = old_.Encode(Value(Object("channel")), "", {.adapt = true});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("unknown constructor 'channel'"));
}

TEST_F(AdaptTest, RequestsFromAnOldClientReadIntoTheNewWorld) {
  // An old client calls users.getFullUser inside invokeWithLayer(198).
  Object call("users.getFullUser");
  call.Set("id", int64_t{777000});
  Object wrapped("invokeWithLayer");
  wrapped.Set("layer", 198).Set("query", std::move(call));
  absl::StatusOr<Bytes> request = old_.Encode(Value(wrapped));
  ASSERT_TRUE(request.ok()) << request.status();
  absl::StatusOr<Value> got = old_.Decode(*request, "Function");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got->object().GetInt32("layer"), 198);
  EXPECT_EQ(got->ToString(),
            "invokeWithLayer{layer: 198, query: users.getFullUser{id: 777000}}");
  // The reply is built in the world and written for the client's layer.
  absl::StatusOr<Bytes> reply = old_.Encode(WorldUser(), "User", {.adapt = true});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(LoadLe32(reply->data()), 0xa0000001u);
}

TEST_F(AdaptTest, OptionalFieldsSharingAFlagBitAreCompletedTogether) {
  // In layer_new.tl flags2 holds only stories_max_id; setting it writes the
  // second flags word.
  Object u("user");
  u.Set("id", int64_t{1}).Set("stories_max_id", 9);
  absl::StatusOr<Value> got = new_.Adapt(Value(u), "User");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got->object().GetInt32("stories_max_id"), 9);
}

}  // namespace
}  // namespace mtcore::tl::dynamic
