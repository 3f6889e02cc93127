#include "tlgen/json_reader.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tlgen/parser.h"

namespace mtcore::tlgen {
namespace {

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<Schema> schema = ReadMtcuteJson(text, "s.json");
  if (schema.ok()) return "";
  EXPECT_EQ(schema.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(schema.status().message());
}

// The JSON form and the .tl form of the same definitions are equal.
TEST(ReadMtcuteJson, MatchesTlText) {
  absl::StatusOr<Schema> json = ReadMtcuteJson(R"({"l": 228, "u": {}, "e": [
    {"kind": "class", "name": "inputPeerUser", "id": 3723011404, "type": "InputPeer",
     "comment": "ignored",
     "arguments": [{"name": "user_id", "type": "int53"}, {"name": "access_hash", "type": "long"}]},
    {"kind": "method", "name": "messages.getHistory", "id": 1, "type": "messages.Messages",
     "arguments": [{"name": "flags", "type": "#"},
                   {"name": "silent", "type": "true", "typeModifiers": {"predicate": "flags.0"}},
                   {"name": "ids", "type": "long",
                    "typeModifiers": {"isVector": true, "predicate": "flags.1"}}]},
    {"kind": "method", "name": "invokeWithLayer", "id": 3667594509, "type": "X",
     "generics": [{"name": "X", "type": "Type"}],
     "arguments": [{"name": "layer", "type": "int"}, {"name": "query", "type": "!X"}]},
    {"kind": "method", "name": "users.getUsers", "id": 227648840, "type": "User",
     "typeModifiers": {"isVector": true, "constructorId": 1},
     "arguments": [{"name": "id", "type": "InputUser", "typeModifiers": {"isVector": true}}]}
  ]})", "s.json");
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<Schema> text = ParseTl(
      "inputPeerUser#dde8a54c user_id:long access_hash:long = InputPeer;\n"
      "---functions---\n"
      "messages.getHistory#1 flags:# silent:flags.0?true ids:flags.1?Vector<long> = "
      "messages.Messages;\n"
      "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n"
      "users.getUsers#d91a548 id:Vector<InputUser> = Vector<User>;\n"
      "// LAYER 228",
      "s.tl");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(json->layer, 228);
  EXPECT_EQ(json->definitions, text->definitions);
  EXPECT_EQ(json->definitions[0].location.ToString(), "s.json:2:5");
}

TEST(ReadMtcuteJson, MtprotoForm) {
  absl::StatusOr<Schema> json = ReadMtcuteJson(R"([
    {"kind": "class", "name": "mt_future_salts", "id": 2924480661, "type": "FutureSalts",
     "arguments": [{"name": "req_msg_id", "type": "long"}, {"name": "now", "type": "int"},
                   {"name": "salts", "type": "mt_future_salt",
                    "typeModifiers": {"isBareVector": true, "isBareType": true,
                                      "constructorId": 155834844}}]},
    {"kind": "class", "name": "mt_msg_container", "id": 1945237724, "type": "MessageContainer",
     "arguments": [{"name": "messages", "type": "Message",
                    "typeModifiers": {"isBareVector": true, "isBareType": true}}]}
  ])", "m.json");
  ASSERT_TRUE(json.ok()) << json.status();
  absl::StatusOr<Schema> text = ParseTl(
      "future_salts#ae500895 req_msg_id:long now:int salts:vector<future_salt> = FutureSalts;\n"
      "msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n",
      "m.tl");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(json->layer, 0);
  EXPECT_EQ(json->definitions, text->definitions);
}

TEST(ReadMtcuteJson, Errors) {
  EXPECT_EQ(ErrorOf("[1,"), "s.json:1:4 (offset 3): unexpected end of input, expected a value");
  EXPECT_EQ(ErrorOf("{\"l\": 1}"), "s.json:1:1 (offset 0): missing \"e\" (the list of definitions)");
  EXPECT_EQ(ErrorOf("{\"l\": -1, \"e\": []}"),
            "s.json:1:7 (offset 6): \"l\" (the layer) must be an integer in 0..4294967295");
  EXPECT_EQ(ErrorOf("\"x\""), "s.json:1:1 (offset 0): expected an array of definitions, found string");
  EXPECT_EQ(ErrorOf("[[]]"), "s.json:1:2 (offset 1): a definition must be an object, found array");
  EXPECT_EQ(ErrorOf(R"([{"kind": "enum", "name": "a", "id": 1, "type": "A"}])"),
            "s.json:1:11 (offset 10): unknown kind 'enum': expected \"class\" or \"method\"");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "id": 1, "type": "A"}])"),
            "s.json:1:2 (offset 1): missing \"name\"");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "type": "A"}])"),
            "s.json:1:2 (offset 1): missing \"id\" of 'a'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1.5, "type": "A"}])"),
            "s.json:1:39 (offset 38): \"id\" must be an integer in 0..4294967295");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 4294967296, "type": "A"}])"),
            "s.json:1:39 (offset 38): \"id\" must be an integer in 0..4294967295");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "1a", "id": 1, "type": "A"}])"),
            "s.json:1:28 (offset 27): invalid definition name '1a'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": 5}])"),
            "s.json:1:50 (offset 49): \"type\" must be a string, found number");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A<"}])"),
            "s.json:1:50 (offset 49): invalid type 'A<'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A",
                        "arguments": [{"name": "q", "type": "!X"}]}])"),
            "s.json:2:61 (offset 114): undeclared generic 'X'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A",
                        "arguments": [{"name": "q", "type": "int",
                                       "typeModifiers": {"predicate": "flags.0"}}]}])"),
            "s.json:3:71 (offset 191): unknown flag field 'flags'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A",
                        "arguments": [{"name": "flags", "type": "#"}, {"name": "q", "type": "int",
                                       "typeModifiers": {"predicate": "flags.32"}}]}])"),
            "s.json:3:71 (offset 223): invalid flag bit '32' (expected 0..31)");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A",
                        "arguments": [{"name": "x", "type": "int"}, {"name": "x", "type": "int"}]}])"),
            "s.json:2:69 (offset 122): duplicate argument 'x' in 'a'");
  EXPECT_EQ(ErrorOf(R"([{"kind": "class", "name": "a", "id": 1, "type": "A",
                        "arguments": [{"name": "x", "type": "int",
                                       "typeModifiers": {"isVector": 1}}]}])"),
            "s.json:3:70 (offset 190): \"isVector\" must be a bool");
}

}  // namespace
}  // namespace mtcore::tlgen
