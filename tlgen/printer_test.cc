#include "tlgen/printer.h"

#include "gtest/gtest.h"
#include "tlgen/parser.h"

namespace mtcore::tlgen {
namespace {

constexpr std::string_view kSchema =
    "int ? = Int;\n"
    "/* comment */ boolTrue = Bool;\n"
    "msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n"
    "a#1 flags:# b:flags.3?true c:flags.4?Vector<messages.Chats> = a.A;\n"
    "---functions---\n"
    "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n"
    "---types---\n"
    "d#0000000d = D;\n"
    "// LAYER 7\n";

TEST(PrintTl, CanonicalText) {
  absl::StatusOr<Schema> schema = ParseTl(kSchema, "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(PrintTl(*schema),
            "int ? = Int;\n"
            "\n"
            "boolTrue#997275b5 = Bool;\n"
            "msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n"
            "a#1 flags:# b:flags.3?true c:flags.4?Vector<messages.Chats> = a.A;\n"
            "\n---functions---\n\n"
            "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n"
            "\n---types---\n\n"
            "d#d = D;\n"
            "\n// LAYER 7\n");
}

TEST(PrintTl, RoundTrips) {
  absl::StatusOr<Schema> schema = ParseTl(kSchema, "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::string printed = PrintTl(*schema);
  absl::StatusOr<Schema> again = ParseTl(printed, "printed.tl");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->layer, 7);
  // The id of boolTrue was computed, it is explicit after printing.
  schema->definitions[0].explicit_id = true;
  EXPECT_EQ(again->definitions, schema->definitions);
  EXPECT_EQ(again->builtins, schema->builtins);
  EXPECT_EQ(PrintTl(*again), printed);
}

TEST(PrintTl, FunctionsFirstStartsWithSection) {
  absl::StatusOr<Schema> schema = ParseTl("---functions---\nping#7abe77ec ping_id:long = Pong;", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(PrintTl(*schema), "\n---functions---\n\nping#7abe77ec ping_id:long = Pong;\n");
}

TEST(PrintDefinition, OneLine) {
  absl::StatusOr<Schema> schema = ParseTl("resPQ#05162463 nonce:int128 = ResPQ;", "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(PrintDefinition(schema->definitions[0]), "resPQ#5162463 nonce:int128 = ResPQ;");
}

}  // namespace
}  // namespace mtcore::tlgen
