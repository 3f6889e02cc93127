#include "tlgen/definition.h"

#include "gtest/gtest.h"

namespace mtcore::tlgen {
namespace {

TEST(TypeRef, NamedDerivesBareness) {
  EXPECT_TRUE(TypeRef::Named("int").bare);
  EXPECT_TRUE(TypeRef::Named("vector").bare);
  EXPECT_TRUE(TypeRef::Named("#").bare);
  EXPECT_TRUE(TypeRef::Named("storage.fileJpeg").bare);
  EXPECT_FALSE(TypeRef::Named("Bool").bare);
  EXPECT_FALSE(TypeRef::Named("messages.Chats").bare);
}

TEST(TypeRef, ToStringAndParts) {
  TypeRef vec = TypeRef::Named("Vector");
  vec.args.push_back(TypeRef::Named("long"));
  EXPECT_TRUE(vec.IsVector());
  EXPECT_EQ(vec.ToString(), "Vector<long>");

  TypeRef bare_vec = TypeRef::Named("vector");
  TypeRef message = TypeRef::Named("Message");
  message.bare = true;
  bare_vec.args.push_back(message);
  EXPECT_EQ(bare_vec.ToString(), "vector<%Message>");

  TypeRef x = TypeRef::Named("X");
  x.generic_ref = true;
  EXPECT_EQ(x.ToString(), "!X");
  EXPECT_FALSE(x.IsVector());

  TypeRef chats = TypeRef::Named("messages.Chats");
  EXPECT_EQ(chats.Namespace(), "messages");
  EXPECT_EQ(chats.ShortName(), "Chats");
  EXPECT_EQ(TypeRef::Named("int").Namespace(), "");
}

Definition MakePing() {
  Definition d;
  d.name = "ping";
  d.id = 0x7abe77ec;
  d.explicit_id = true;
  d.params.push_back({"ping_id", TypeRef::Named("long"), std::nullopt});
  d.result = TypeRef::Named("Pong");
  d.category = Category::kFunction;
  return d;
}

TEST(Definition, EqualityIgnoresLocation) {
  Definition a = MakePing();
  Definition b = MakePing();
  b.location = {"other.tl", 7, 3};
  EXPECT_EQ(a, b);
  b.params[0].flag = FlagRef{"flags", 1};
  EXPECT_FALSE(a == b);
}

TEST(Definition, Accessors) {
  Definition d = MakePing();
  EXPECT_EQ(d.FindParam("ping_id")->type.name, "long");
  EXPECT_EQ(d.FindParam("nope"), nullptr);
  EXPECT_EQ(d.Namespace(), "");
  EXPECT_EQ(d.ShortName(), "ping");
  EXPECT_FALSE(d.IsGenericParam("X"));
  Param flags{"flags", TypeRef::Named("#"), std::nullopt};
  EXPECT_TRUE(flags.IsFlagsField());
  Param silent{"silent", TypeRef::Named("true"), FlagRef{"flags", 5}};
  EXPECT_TRUE(silent.IsTrueFlag());
  EXPECT_EQ(silent.ToString(), "silent:flags.5?true");
}

TEST(Schema, Lookups) {
  Schema schema;
  schema.definitions.push_back(MakePing());
  Definition pong;
  pong.name = "pong";
  pong.id = 0x347773c5;
  pong.result = TypeRef::Named("Pong");
  schema.definitions.push_back(pong);

  EXPECT_EQ(schema.Find("ping", Category::kFunction)->id, 0x7abe77ecu);
  EXPECT_EQ(schema.Find("ping", Category::kConstructor), nullptr);
  EXPECT_EQ(schema.FindById(0x347773c5)->name, "pong");
  EXPECT_EQ(schema.FindById(1), nullptr);
  ASSERT_EQ(schema.ConstructorsOf("Pong").size(), 1u);
  EXPECT_EQ(schema.ConstructorsOf("Pong")[0]->name, "pong");
  EXPECT_EQ(schema.Count(Category::kFunction), 1);
  EXPECT_EQ(schema.Count(Category::kConstructor), 1);
}

TEST(IsValidTlName, Rules) {
  EXPECT_TRUE(IsValidTlName("messages.sendMessage"));
  EXPECT_TRUE(IsValidTlName("P_Q_inner_data"));
  EXPECT_TRUE(IsValidTlName("int128"));
  EXPECT_FALSE(IsValidTlName(""));
  EXPECT_FALSE(IsValidTlName("messages."));
  EXPECT_FALSE(IsValidTlName(".x"));
  EXPECT_FALSE(IsValidTlName("flags.0"));
  EXPECT_FALSE(IsValidTlName("_x"));
  EXPECT_FALSE(IsValidTlName("a-b"));
}

TEST(SourceLocation, ToString) {
  EXPECT_EQ((SourceLocation{"a.tl", 3, 4}).ToString(), "a.tl:3:4");
  EXPECT_EQ((SourceLocation{"a.json", 0, 0}).ToString(), "a.json");
}

}  // namespace
}  // namespace mtcore::tlgen
