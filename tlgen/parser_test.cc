#include "tlgen/parser.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mtcore::tlgen {
namespace {

// The error message of parsing `text` as "t.tl" (empty if it parsed).
std::string ErrorOf(std::string_view text) {
  absl::StatusOr<Schema> schema = ParseTl(text, "t.tl");
  if (schema.ok()) return "";
  EXPECT_EQ(schema.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(schema.status().message());
}

TEST(ParseTl, ConstructorWithExplicitId) {
  absl::StatusOr<Schema> schema = ParseTl("boolTrue#997275b5 = Bool;", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->definitions.size(), 1u);
  const Definition& d = schema->definitions[0];
  EXPECT_EQ(d.name, "boolTrue");
  EXPECT_EQ(d.id, 0x997275b5u);
  EXPECT_TRUE(d.explicit_id);
  EXPECT_TRUE(d.params.empty());
  EXPECT_EQ(d.result, TypeRef::Named("Bool"));
  EXPECT_FALSE(d.result.bare);
  EXPECT_EQ(d.category, Category::kConstructor);
  EXPECT_EQ(d.location.ToString(), "t.tl:1:1");
  EXPECT_EQ(schema->layer, 0);
}

TEST(ParseTl, ComputesMissingIds) {
  absl::StatusOr<Schema> schema =
      ParseTl("boolTrue = Bool;\nmessage msg_id:long seqno:int bytes:int body:Object = Message;",
              "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->definitions.size(), 2u);
  EXPECT_EQ(schema->definitions[0].id, 0x997275b5u);
  EXPECT_FALSE(schema->definitions[0].explicit_id);
  EXPECT_EQ(schema->definitions[1].id, 0x5bb8e511u);
}

TEST(ParseTl, SectionsCommentsAndLayer) {
  absl::StatusOr<Schema> schema = ParseTl(
      "// comment\n"
      "/* block\n comment */ pong#347773c5 msg_id:long ping_id:long = Pong; // trailing\n"
      "---functions---\n"
      "ping#7abe77ec ping_id:long = Pong;\n"
      "---types---\n"
      "boolFalse#bc799737 = Bool;\n"
      "// LAYER 228\n",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->layer, 228);
  ASSERT_EQ(schema->definitions.size(), 3u);
  EXPECT_EQ(schema->definitions[0].category, Category::kConstructor);
  EXPECT_EQ(schema->definitions[0].location.ToString(), "t.tl:3:13");
  EXPECT_EQ(schema->definitions[1].category, Category::kFunction);
  EXPECT_EQ(schema->definitions[1].name, "ping");
  EXPECT_EQ(schema->definitions[2].category, Category::kConstructor);
  EXPECT_EQ(schema->Count(Category::kFunction), 1);
  EXPECT_EQ(schema->Count(Category::kConstructor), 2);
}

TEST(ParseTl, FlagsAndTrueFlags) {
  absl::StatusOr<Schema> schema = ParseTl(
      "messages.getHistory#1 flags:# silent:flags.0?true peer:InputPeer "
      "flags2:# top:flags2.31?Vector<long> = messages.Messages;",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const Definition& d = schema->definitions[0];
  EXPECT_EQ(d.Namespace(), "messages");
  EXPECT_EQ(d.ShortName(), "getHistory");
  ASSERT_EQ(d.params.size(), 5u);
  EXPECT_TRUE(d.params[0].IsFlagsField());
  EXPECT_TRUE(d.params[0].type.bare);
  EXPECT_TRUE(d.params[1].IsTrueFlag());
  EXPECT_EQ(d.params[1].flag, (FlagRef{"flags", 0}));
  EXPECT_FALSE(d.params[2].flag.has_value());
  EXPECT_TRUE(d.params[3].IsFlagsField());
  EXPECT_EQ(d.params[4].flag, (FlagRef{"flags2", 31}));
  EXPECT_TRUE(d.params[4].type.IsVector());
  EXPECT_EQ(d.params[4].type.args[0], TypeRef::Named("long"));
  EXPECT_EQ(d.params[4].ToString(), "top:flags2.31?Vector<long>");
  EXPECT_EQ(d.result.name, "messages.Messages");
  EXPECT_EQ(d.result.Namespace(), "messages");
}

TEST(ParseTl, AnyHashFieldNameCanHoldFlags) {
  absl::StatusOr<Schema> schema = ParseTl("a#1 my_bits:# x:my_bits.3?int = A;", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->definitions[0].params[1].flag, (FlagRef{"my_bits", 3}));
}

TEST(ParseTl, BareTypesAndVectors) {
  absl::StatusOr<Schema> schema = ParseTl(
      "msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n"
      "future_salts#ae500895 req_msg_id:long now:int salts:vector<future_salt> = FutureSalts;",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const TypeRef& messages = schema->definitions[0].params[0].type;
  EXPECT_EQ(messages.name, "vector");
  EXPECT_TRUE(messages.bare);
  EXPECT_TRUE(messages.IsVector());
  EXPECT_EQ(messages.args[0].name, "Message");
  EXPECT_TRUE(messages.args[0].bare);
  EXPECT_EQ(messages.ToString(), "vector<%Message>");
  const TypeRef& salts = schema->definitions[1].params[2].type;
  EXPECT_TRUE(salts.args[0].bare);
  EXPECT_EQ(salts.ToString(), "vector<future_salt>");
}

TEST(ParseTl, Generics) {
  absl::StatusOr<Schema> schema = ParseTl(
      "---functions---\n"
      "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n"
      "f#2 {X:Type} {Y:Type} a:Vector<X> b:!Y = Vector<Y>;",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const Definition& d = schema->definitions[0];
  ASSERT_EQ(d.generic_params.size(), 1u);
  EXPECT_EQ(d.generic_params[0], (GenericParam{"X", "Type"}));
  EXPECT_TRUE(d.params[1].type.generic_ref);
  EXPECT_EQ(d.params[1].type.name, "X");
  EXPECT_EQ(d.params[1].ToString(), "query:!X");
  EXPECT_EQ(d.result.name, "X");
  EXPECT_FALSE(d.result.generic_ref);
  EXPECT_TRUE(d.IsGenericParam("X"));
  EXPECT_EQ(schema->definitions[1].generic_params.size(), 2u);
  EXPECT_EQ(schema->definitions[1].result.ToString(), "Vector<Y>");
}

TEST(ParseTl, BuiltinsAreRecordedNotDefined) {
  absl::StatusOr<Schema> schema = ParseTl(
      "int ? = Int;\n"
      "vector {t:Type} # [ t ] = Vector t;\n"
      "int128 4*[ int ] = Int128;\n"
      "true#3fedd339 = True;\n",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->builtins.size(), 3u);
  EXPECT_EQ(schema->builtins[0].text, "int ? = Int");
  EXPECT_EQ(schema->builtins[1].text, "vector {t:Type} # [ t ] = Vector t");
  EXPECT_EQ(schema->builtins[1].location.ToString(), "t.tl:2:1");
  EXPECT_EQ(schema->builtins[2].text, "int128 4*[ int ] = Int128");
  ASSERT_EQ(schema->definitions.size(), 1u);
  EXPECT_EQ(schema->definitions[0].name, "true");
}

TEST(ParseTl, ScalarTypes) {
  absl::StatusOr<Schema> schema = ParseTl(
      "s#1 a:int b:long c:double d:string e:bytes f:int128 g:int256 h:Bool i:true = S;", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const auto& p = schema->definitions[0].params;
  ASSERT_EQ(p.size(), 9u);
  const char* names[] = {"int", "long", "double", "string", "bytes", "int128", "int256", "Bool", "true"};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(p[i].type.name, names[i]);
  EXPECT_FALSE(p[7].type.bare);
  EXPECT_TRUE(p[0].type.bare);
}

TEST(ParseTl, EmptyInputIsAnEmptySchema) {
  absl::StatusOr<Schema> schema = ParseTl("  // nothing\n/* here */\n", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_TRUE(schema->definitions.empty());
}

TEST(ParseTlErrors, UnterminatedComment) {
  EXPECT_EQ(ErrorOf("a = A;\n  /* never closed\n"), "t.tl:2:3: unterminated comment");
}

TEST(ParseTlErrors, MissingEquals) {
  EXPECT_EQ(ErrorOf("a#1 x:int;"), "t.tl:1:10: missing '=' in the definition of 'a', found ';'");
  EXPECT_EQ(ErrorOf("a x:int"), "t.tl:1:8: missing '=' in the definition of 'a', found end of file");
}

TEST(ParseTlErrors, BadIdHex) {
  EXPECT_EQ(ErrorOf("a#12xz = A;"),
            "t.tl:1:3: invalid constructor id '12xz': expected 1 to 8 hex digits");
  EXPECT_EQ(ErrorOf("a#123456789 = A;"),
            "t.tl:1:3: invalid constructor id '123456789': expected 1 to 8 hex digits");
  EXPECT_EQ(ErrorOf("a# = A;"), "t.tl:1:2: missing constructor id after '#'");
}

TEST(ParseTlErrors, UnknownFlagField) {
  EXPECT_EQ(ErrorOf("a flags:# x:flag.0?int = A;"),
            "t.tl:1:13: unknown flag field 'flag': no earlier 'flag:#' parameter");
  EXPECT_EQ(ErrorOf("a x:flags.0?int flags:# = A;"),
            "t.tl:1:5: unknown flag field 'flags': no earlier 'flags:#' parameter");
  // A field that is not a '#' cannot hold flags.
  EXPECT_EQ(ErrorOf("a flags:int x:flags.0?int = A;"),
            "t.tl:1:15: unknown flag field 'flags': no earlier 'flags:#' parameter");
}

TEST(ParseTlErrors, BadFlagBit) {
  EXPECT_EQ(ErrorOf("a flags:# x:flags.32?int = A;"), "t.tl:1:13: flag bit 32 out of range 0..31");
  EXPECT_EQ(ErrorOf("a flags:# x:flags.x?int = A;"), "t.tl:1:13: invalid flag bit 'x'");
  EXPECT_EQ(ErrorOf("a flags:# x:flags?int = A;"),
            "t.tl:1:13: invalid flag reference 'flags': expected FIELD.BIT before '?'");
}

TEST(ParseTlErrors, UndeclaredGeneric) {
  EXPECT_EQ(ErrorOf("f {X:Type} q:!Y = X;"),
            "t.tl:1:15: undeclared generic 'Y': declare it with {Y:Type}");
}

TEST(ParseTlErrors, EmptyName) {
  EXPECT_EQ(ErrorOf("#1cb5c415 = A;"), "t.tl:1:1: empty definition name before '#'");
  EXPECT_EQ(ErrorOf("x = X;\n = A;"), "t.tl:2:2: empty definition name before '='");
  EXPECT_EQ(ErrorOf("messages. = A;"), "t.tl:1:1: invalid definition name 'messages.'");
}

TEST(ParseTlErrors, OtherErrors) {
  EXPECT_EQ(ErrorOf("a x:int = A"), "t.tl:1:12: expected ';' after the result type of 'a', found end of file");
  EXPECT_EQ(ErrorOf("a x int = A;"), "t.tl:1:5: expected ':' after parameter 'x', found 'int'");
  EXPECT_EQ(ErrorOf("a x:int x:int = A;"), "t.tl:1:9: duplicate parameter 'x'");
  EXPECT_EQ(ErrorOf("a x:Vector<int = A;"),
            "t.tl:1:16: expected '>' or ',' in the arguments of 'Vector', found '='");
  EXPECT_EQ(ErrorOf("a x:int = A; $"), "t.tl:1:14: unexpected character '$'");
  EXPECT_EQ(ErrorOf("a x:int = \xff;"), "t.tl:1:11: unexpected byte 0xff");
  EXPECT_EQ(ErrorOf("---function---\n"), "t.tl:1:1: unknown section '---function---'");
  EXPECT_EQ(ErrorOf("a = A;\n--functions"),
            "t.tl:2:1: unexpected character '-'");
  EXPECT_EQ(ErrorOf("{X:Type} a = A;"), "t.tl:1:1: expected a definition name, found '{'");
  EXPECT_EQ(ErrorOf("f {X:Type} = !X;"), "t.tl:1:14: a result type cannot be a '!' generic reference");
  EXPECT_EQ(ErrorOf("a x:flags.0 = A;"), "t.tl:1:5: invalid type name 'flags.0'");
  EXPECT_EQ(ErrorOf("a flags:# x:flags.0?# = A;"), "t.tl:1:21: expected a type, found '#'");
  EXPECT_EQ(ErrorOf("int ? = Int"), "t.tl:1:12: expected ';' to end the declaration of 'int', found end of file");
  EXPECT_EQ(ErrorOf("a x:V<V<V<V<V<V<V<V<V<V<V<V<V<V<V<V<V<V<int>>>>>>>>>>>>>>>>>> = A;"),
            "t.tl:1:39: type nesting is too deep");
}

}  // namespace
}  // namespace mtcore::tlgen
