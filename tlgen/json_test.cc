#include "tlgen/json.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mtcore::tlgen {
namespace {

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<JsonValue> v = ParseJson(text);
  if (v.ok()) return "";
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(v.status().message());
}

TEST(ParseJson, AllKinds) {
  absl::StatusOr<JsonValue> v = ParseJson(
      R"( {"a": [1, -2.5e1, 0], "b": {"c": true, "d": false, "e": null}, "s": "x\"\\\/\n\u00e9\ud83d\ude00"} )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, JsonValue::Kind::kObject);
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->array.size(), 3u);
  EXPECT_EQ(a->array[0].number, 1);
  EXPECT_EQ(a->array[1].number, -25);
  EXPECT_EQ(a->array[0].offset, 8u);
  const JsonValue* b = v->Find("b");
  EXPECT_TRUE(b->Find("c")->boolean);
  EXPECT_EQ(b->Find("d")->kind, JsonValue::Kind::kBool);
  EXPECT_FALSE(b->Find("d")->boolean);
  EXPECT_EQ(b->Find("e")->kind, JsonValue::Kind::kNull);
  EXPECT_EQ(v->Find("s")->string, "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v->Find("missing"), nullptr);
  EXPECT_EQ(a->Find("x"), nullptr);
}

TEST(ParseJson, LargeIntegersAreExact) {
  absl::StatusOr<JsonValue> v = ParseJson("[4294967295, 3300522427]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->array[0].number, 4294967295.0);
  EXPECT_EQ(static_cast<uint32_t>(v->array[1].number), 3300522427u);
}

TEST(ParseJson, Errors) {
  EXPECT_EQ(ErrorOf(""), "1:1 (offset 0): unexpected end of input, expected a value");
  EXPECT_EQ(ErrorOf("[1,]"), "1:4 (offset 3): unexpected character ']'");
  EXPECT_EQ(ErrorOf("{\"a\" 1}"), "1:6 (offset 5): expected ':' after key");
  EXPECT_EQ(ErrorOf("{\n  \"a\": \"x"), "2:8 (offset 9): unterminated string");
  EXPECT_EQ(ErrorOf("[1 2]"), "1:4 (offset 3): expected ',' or ']' in array");
  EXPECT_EQ(ErrorOf("{\"a\":1 \"b\":2}"), "1:8 (offset 7): expected ',' or '}' in object");
  EXPECT_EQ(ErrorOf("{1:2}"), "1:2 (offset 1): expected a string key");
  EXPECT_EQ(ErrorOf("01"), "1:1 (offset 0): leading zero in number");
  EXPECT_EQ(ErrorOf("-"), "1:1 (offset 0): invalid number");
  EXPECT_EQ(ErrorOf("1."), "1:1 (offset 0): invalid number");
  EXPECT_EQ(ErrorOf("tru"), "1:1 (offset 0): invalid literal");
  EXPECT_EQ(ErrorOf("\"\\x\""), "1:2 (offset 1): invalid escape sequence");
  EXPECT_EQ(ErrorOf("\"\\ud800\""), "1:2 (offset 1): unpaired surrogate");
  EXPECT_EQ(ErrorOf("\"\\u12g4\""), "1:6 (offset 5): invalid hex digit in \\u escape");
  EXPECT_EQ(ErrorOf("\"a\nb\""), "1:3 (offset 2): control character in string");
  EXPECT_EQ(ErrorOf("[] x"), "1:4 (offset 3): unexpected data after the JSON value");
}

TEST(ParseJson, NestingLimit) {
  std::string ok(kMaxJsonDepth, '[');
  ok += std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(ok).ok());
  std::string deep(kMaxJsonDepth + 1, '[');
  deep += std::string(kMaxJsonDepth + 1, ']');
  EXPECT_EQ(ErrorOf(deep), absl::StrCat("1:", kMaxJsonDepth + 1, " (offset ", kMaxJsonDepth,
                                        "): nesting is too deep"));
}

TEST(JsonValue, KindName) {
  EXPECT_EQ(JsonValue::KindName(JsonValue::Kind::kArray), "array");
  EXPECT_EQ(JsonValue::KindName(JsonValue::Kind::kObject), "object");
}

}  // namespace
}  // namespace mtcore::tlgen
