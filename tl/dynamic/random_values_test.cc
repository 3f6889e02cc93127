// RandomValues over a tiny schema: every constructor and method yields a
// Value the codec encodes and decodes back, generation ends on recursive
// types, and the options are respected.
#include "tl/dynamic/random_values.h"

#include <cmath>
#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {
namespace {

constexpr char kTiny[] = R"(
node#10000001 flags:# leaf:flags.0?true value:double name:string next:Node children:Vector<Node> extra:flags.1?Node = Node;
nodeEnd#10000002 key:int128 hash:int256 ok:Bool = Node;
tree#10000003 root:Node weights:Vector<long> = Tree;
---functions---
getTree#20000001 id:int = Tree;
invokeWrapped#20000002 {X:Type} flags:# silent:flags.0?true query:!X = X;
)";

tlgen::Schema Tiny() {
  absl::StatusOr<tlgen::Schema> schema = tlgen::ParseSchemaText(kTiny, "tiny.tl");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *std::move(schema);
}

// Largest nesting of objects in v (1 for an object without object fields).
int Depth(const Value& v) {
  int d = 0;
  if (v.kind() == Value::Kind::kObject) {
    for (const Field& f : v.object().fields) d = std::max(d, Depth(f.value));
    return d + 1;
  }
  if (v.kind() == Value::Kind::kVector) {
    for (const Value& item : v.vector()) d = std::max(d, Depth(item));
  }
  return d;
}

void ForEach(const Value& v, const std::function<void(const Value&)>& f) {
  f(v);
  if (v.kind() == Value::Kind::kObject) {
    for (const Field& field : v.object().fields) ForEach(field.value, f);
  } else if (v.kind() == Value::Kind::kVector) {
    for (const Value& item : v.vector()) ForEach(item, f);
  }
}

TEST(RandomValues, EveryDefinitionEncodesAndEnds) {
  tlgen::Schema schema = Tiny();
  absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(schema);
  ASSERT_TRUE(codec.ok()) << codec.status();
  for (bool json : {false, true}) {
    RandomValues random(schema, 7, {.json_text = json, .nonfinite_doubles = json});
    for (int round = 0; round < 50; ++round) {
      for (const tlgen::Definition& d : schema.definitions) {
        bool function = d.category == tlgen::Category::kFunction;
        std::string type = function ? "Function" : d.result.ToString();
        Value v = random.ObjectFor(d, 0);
        SCOPED_TRACE(v.ToString());
        // The recursive Node: at most shallow_depth levels of free choice,
        // then the least-height constructor (nodeEnd).
        EXPECT_LE(Depth(v), 3 + 2 + 3);
        absl::StatusOr<Bytes> encoded = codec->Encode(v, type);
        ASSERT_TRUE(encoded.ok()) << encoded.status();
        if (json) continue;  // NaN != NaN
        absl::StatusOr<Value> decoded = codec->Decode(*encoded, type);
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        EXPECT_EQ(*decoded, v);
      }
    }
  }
}

TEST(RandomValues, HeightsPreferTheNonRecursiveConstructor) {
  tlgen::Schema schema = Tiny();
  RandomValues random(schema, 1);
  for (const tlgen::Definition& d : schema.definitions) {
    if (d.name == "nodeEnd") {
      EXPECT_EQ(random.Height(d), 1);
    }
    if (d.name == "node") {
      EXPECT_EQ(random.Height(d), 2);
    }
    if (d.name == "tree") {
      EXPECT_EQ(random.Height(d), 2);
    }
  }
}

TEST(RandomValues, OptionsAreRespected) {
  tlgen::Schema schema = Tiny();
  const tlgen::Definition* tree = nullptr;
  const tlgen::Definition* wrapped = nullptr;
  for (const tlgen::Definition& d : schema.definitions) {
    if (d.name == "tree") tree = &d;
    if (d.name == "invokeWrapped") wrapped = &d;
  }
  ASSERT_NE(tree, nullptr);
  ASSERT_NE(wrapped, nullptr);

  // shallow_depth 0: no vector items, no free choice, no deep flags.
  RandomValues flat(schema, 3, {.shallow_depth = 0, .deep_flags = false});
  for (int i = 0; i < 20; ++i) {
    Value v = flat.ObjectFor(*tree);
    ASSERT_EQ(v.object().constructor, "tree");
    ForEach(v, [](const Value& x) {
      if (x.kind() == Value::Kind::kVector) {
        EXPECT_TRUE(x.vector().empty());
      }
      if (x.kind() == Value::Kind::kObject) {
        EXPECT_NE(x.object().constructor, "node");
      }
    });
  }

  // max_vector_items and doubles that are sometimes not finite.
  RandomValues wide(schema, 5, {.shallow_depth = 2, .max_vector_items = 1, .nonfinite_doubles = true});
  bool nonfinite = false;
  for (int i = 0; i < 200; ++i) {
    ForEach(wide.ObjectFor(*tree), [&](const Value& x) {
      if (x.kind() == Value::Kind::kVector) {
        EXPECT_LE(x.vector().size(), 1u);
      }
      if (x.kind() == Value::Kind::kDouble && !std::isfinite(*x.if_double())) nonfinite = true;
    });
  }
  EXPECT_TRUE(nonfinite);

  // Generic params: a random method, or always the fixed call.
  RandomValues fixed(schema, 9, {.random_generic_calls = false});
  RandomValues any(schema, 9);
  bool other = false;
  for (int i = 0; i < 20; ++i) {
    Value f = fixed.ObjectFor(*wrapped);
    EXPECT_EQ(f.object().fields.back().value.object().constructor, "help.getConfig");
    Value a = any.ObjectFor(*wrapped);
    if (a.object().fields.back().value.object().constructor != "help.getConfig") {
      other = true;
    }
  }
  EXPECT_TRUE(other);
}

}  // namespace
}  // namespace mtcore::tl::dynamic
