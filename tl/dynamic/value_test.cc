// The dynamic value model: builders, typed getters and their errors,
// equality and the TL-like text form.
#include "tl/dynamic/value.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mtcore::tl::dynamic {
namespace {

TEST(ValueTest, KindsAndAccessors) {
  EXPECT_EQ(Value().kind(), Value::Kind::kNull);
  EXPECT_EQ(Value(5).kind(), Value::Kind::kInt32);
  EXPECT_EQ(Value(int64_t{5}).kind(), Value::Kind::kInt64);
  EXPECT_EQ(Value(0.5).kind(), Value::Kind::kDouble);
  EXPECT_EQ(Value(true).kind(), Value::Kind::kBool);
  EXPECT_EQ(Value("x").kind(), Value::Kind::kBytes);
  EXPECT_EQ(Value(Int128{}).kind(), Value::Kind::kInt128);
  EXPECT_EQ(Value(Int256{}).kind(), Value::Kind::kInt256);
  EXPECT_EQ(Value(std::vector<Value>{}).kind(), Value::Kind::kVector);
  EXPECT_EQ(Value(Object("x")).kind(), Value::Kind::kObject);
  EXPECT_EQ(Value::KindName(Value::Kind::kInt256), "int256");
  EXPECT_EQ(*Value(7).if_int32(), 7);
  EXPECT_EQ(Value(7).if_int64(), nullptr);
  EXPECT_EQ(*Value("ab").if_bytes(), "ab");
}

TEST(ObjectTest, SetReplacesAndKeepsOrder) {
  Object o("user");
  o.Set("id", int64_t{1}).Set("first_name", "Ann").Set("id", int64_t{2});
  ASSERT_EQ(o.fields.size(), 2u);
  EXPECT_EQ(o.fields[0].name, "id");
  EXPECT_EQ(*o.GetInt64("id"), 2);
  EXPECT_TRUE(o.Has("first_name"));
  EXPECT_TRUE(o.Remove("first_name"));
  EXPECT_FALSE(o.Remove("first_name"));
  EXPECT_FALSE(o.Has("first_name"));
}

TEST(ObjectTest, TypedGettersReportMissingAndWrongKinds) {
  Object o("message");
  o.Set("id", 5).Set("message", "hi").Set("entities", std::vector<Value>{Value(1)});
  o.Set("peer_id", Object("peerUser")).Set("out", true).Set("ttl", 0.25);
  EXPECT_EQ(*o.GetInt32("id"), 5);
  EXPECT_EQ(*o.GetInt64("id"), 5);  // int32 widens
  EXPECT_EQ(*o.GetBytes("message"), "hi");
  EXPECT_EQ((*o.GetVector("entities"))->size(), 1u);
  EXPECT_EQ((*o.GetObject("peer_id"))->constructor, "peerUser");
  EXPECT_TRUE(*o.GetBool("out"));
  EXPECT_EQ(*o.GetDouble("ttl"), 0.25);

  absl::StatusOr<int32_t> missing = o.GetInt32("date");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "message: no field 'date'");
  absl::StatusOr<std::string> wrong = o.GetBytes("id");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(), "message.id: expected bytes, got int32");
  EXPECT_EQ(o.GetInt32("message").status().message(), "message.message: expected int32, got bytes");
}

TEST(ValueTest, EqualityIsDeepAndOrderSensitive) {
  Object a("x");
  a.Set("p", 1).Set("q", std::vector<Value>{Value("s")});
  Object b = a;
  EXPECT_EQ(Value(a), Value(b));
  b.Set("p", 2);
  EXPECT_NE(Value(a), Value(b));
  Object c("x");
  c.Set("q", std::vector<Value>{Value("s")}).Set("p", 1);
  EXPECT_NE(Value(a), Value(c));
  EXPECT_NE(Value(1), Value(int64_t{1}));  // kinds differ
}

TEST(ValueTest, ToStringIsTlLike) {
  Object o("message");
  Int128 n{};
  n[0] = 0xab;
  o.Set("id", 5).Set("out", true).Set("message", "a\"b\n\x01").Set("big", int64_t{-3});
  o.Set("v", std::vector<Value>{Value(1), Value(Object("peerSelf"))}).Set("n", n).Set("x", Value());
  EXPECT_EQ(Value(o).ToString(),
            "message{id: 5, out: true, message: \"a\\\"b\\n\\x01\", big: -3, "
            "v: [1, peerSelf{}], n: 0xab000000000000000000000000000000, x: null}");
  EXPECT_EQ(Value(0.5).ToString(), "0.5");
}

}  // namespace
}  // namespace mtcore::tl::dynamic
