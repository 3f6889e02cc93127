// The runtime's generic parts, exercised through a small hand-written schema
// shaped exactly like generated code:
//
//   circle#11111111 flags:# radius:int label:flags.0?string filled:flags.1?true = Shape;
//   group#22222222 items:Vector<Shape> ids:Vector<long> = Shape;
//   getShape#33333333 id:long = Shape;
#include "tl/values.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::tl {
namespace {

using ::testing::HasSubstr;

class Shape;

struct circle {
  static constexpr uint32_t kId = 0x11111111;
  static constexpr const char* kName = "circle";
  static constexpr size_t kMinBareSize = 8;
  using Type = Shape;
  int32_t radius = 0;
  std::optional<std::string> label;
  bool filled = false;

  void SizeBare(Sizer& s) const {
    s.Add(8);
    if (label) SizeValue(s, *label);
  }
  void WriteBare(Writer& w) const {
    w.WriteUint32((label ? 1u : 0u) | (filled ? 2u : 0u));
    WriteValue(w, radius);
    if (label) WriteValue(w, *label);
  }
  void ReadBare(Reader& r) {
    uint32_t flags = r.ReadUint32();
    ReadValue(r, radius);
    if (flags & 1) ReadValue(r, label.emplace());
    filled = (flags & 2) != 0;
  }
  void PrintTo(Printer& p) const {
    p.Begin(kName);
    p.Field("radius");
    PrintValue(p, radius);
    if (label) {
      p.Field("label");
      PrintValue(p, *label);
    }
    if (filled) {
      p.Field("filled");
      PrintValue(p, filled);
    }
    p.End();
  }
  friend bool operator==(const circle&, const circle&) = default;
};

struct group;

class Shape : public AnyObject {
 public:
  static constexpr const char* kName = "Shape";
  Shape() = default;
  Shape(std::nullptr_t) {}
  template <class C, std::enable_if_t<std::is_same_v<typename C::Type, Shape>, int> = 0>
  Shape(C c) : AnyObject(std::move(c)) {}
  Shape(AdoptTag t, Object* o) : AnyObject(t, o) {}
  static Shape ReadBoxed(Reader& r);
};

struct group {
  static constexpr uint32_t kId = 0x22222222;
  static constexpr const char* kName = "group";
  static constexpr size_t kMinBareSize = 16;
  using Type = Shape;
  std::vector<Shape> items;
  std::vector<int64_t> ids;

  void SizeBare(Sizer& s) const {
    SizeValue(s, items);
    SizeValue(s, ids);
  }
  void WriteBare(Writer& w) const {
    WriteValue(w, items);
    WriteValue(w, ids);
  }
  void ReadBare(Reader& r) {
    ReadValue(r, items);
    ReadValue(r, ids);
  }
  void PrintTo(Printer& p) const {
    p.Begin(kName);
    p.Field("items");
    PrintValue(p, items);
    p.Field("ids");
    PrintValue(p, ids);
    p.End();
  }
  friend bool operator==(const group&, const group&) = default;
};

struct getShape {
  static constexpr uint32_t kId = 0x33333333;
  static constexpr const char* kName = "getShape";
  static constexpr size_t kMinBareSize = 8;
  using Result = Shape;
  int64_t id = 0;
  void SizeBare(Sizer& s) const { s.Add(8); }
  void WriteBare(Writer& w) const { w.WriteInt64(id); }
  void ReadBare(Reader& r) { id = r.ReadInt64(); }
  void PrintTo(Printer& p) const {
    p.Begin(kName);
    p.Field("id");
    PrintValue(p, id);
    p.End();
  }
  friend bool operator==(const getShape&, const getShape&) = default;
};

template <class C>
Object* ReadNode(Reader& r) {
  auto* n = new Node<C>;
  n->value.ReadBare(r);
  return n;
}

Shape Shape::ReadBoxed(Reader& r) {
  DepthGuard guard(r);
  if (!guard.entered()) return {};
  uint32_t id = r.ReadUint32();
  switch (id) {
    case circle::kId:
      return Shape(AdoptTag{}, ReadNode<circle>(r));
    case group::kId:
      return Shape(AdoptTag{}, ReadNode<group>(r));
    default:
      r.FailUnknownConstructor(id, kName, id == getShape::kId ? getShape::kName : nullptr);
      return {};
  }
}

Shape Sample() {
  return group{.items = {circle{.radius = 3, .label = "sun", .filled = true},
                         circle{.radius = -1},
                         group{.ids = {7}}},
               .ids = {1, 2, 3}};
}

TEST(HandleTest, EmptyHandle) {
  Shape s;
  EXPECT_FALSE(s);
  EXPECT_EQ(s.id(), 0u);
  EXPECT_STREQ(s.name(), "");
  EXPECT_EQ(s.As<circle>(), nullptr);
  EXPECT_EQ(s, Shape(nullptr));
  EXPECT_EQ(to_string(s), "null");
}

TEST(HandleTest, HoldsDowncastsCopiesDeeplyAndCompares) {
  Shape a = circle{.radius = 5};
  ASSERT_TRUE(a);
  EXPECT_EQ(a.id(), circle::kId);
  EXPECT_STREQ(a.name(), "circle");
  ASSERT_NE(a.As<circle>(), nullptr);
  EXPECT_EQ(a.As<group>(), nullptr);
  EXPECT_TRUE(a.Is<circle>());

  Shape b = a;  // deep copy
  EXPECT_EQ(a, b);
  EXPECT_NE(a.get(), b.get());
  b.As<circle>()->radius = 6;
  EXPECT_NE(a, b);
  EXPECT_EQ(a.As<circle>()->radius, 5);

  Shape c = std::move(b);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move): moved-from handles are empty
  EXPECT_EQ(c.As<circle>()->radius, 6);
  c = a;
  EXPECT_EQ(c, a);
  EXPECT_NE(a, Shape(group{}));
  EXPECT_NE(a, Shape());
}

TEST(HandleTest, AnyObjectAndAnyFunction) {
  AnyObject o = circle{.radius = 1};
  EXPECT_EQ(o.id(), circle::kId);
  AnyFunction f = getShape{.id = 9};
  EXPECT_EQ(f.id(), getShape::kId);
  EXPECT_EQ(f.As<getShape>()->id, 9);
}

TEST(ValuesTest, RoundTripsNestedObjects) {
  Shape s = Sample();
  absl::StatusOr<Bytes> wire = Serialize(s);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(wire->size(), SerializedSize(s));
  // group id, items vector, circle: id flags radius "sun", ...
  EXPECT_EQ(HexEncode(ByteView(wire->data(), 16)), "2222222215c4b51c0300000011111111");
  absl::StatusOr<Shape> back = Parse<Shape>(*wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->As<group>()->items[0].As<circle>()->label, "sun");
  EXPECT_TRUE(back->As<group>()->items[0].As<circle>()->filled);
  EXPECT_EQ(back->As<group>()->ids, (std::vector<int64_t>{1, 2, 3}));
}

TEST(ValuesTest, SerializesStructsBoxedAndPlainValues) {
  circle c{.radius = 2};
  EXPECT_EQ(HexEncode(*Serialize(c)), "111111110000000002000000");
  absl::StatusOr<circle> back = Parse<circle>(*Serialize(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
  absl::StatusOr<circle> wrong = Parse<circle>(*Serialize(group{}));
  EXPECT_EQ(std::string(wrong.status().message()),
            "TL: unknown constructor 0x22222222 at offset 0: expected type circle");

  std::vector<int64_t> ids = {5, -1};
  EXPECT_EQ(HexEncode(*Serialize(ids)),
            "15c4b51c020000000500000000000000ffffffffffffffff");
  EXPECT_EQ(*Parse<std::vector<int64_t>>(*Serialize(ids)), ids);
  EXPECT_EQ(HexEncode(*Serialize(true)), "b5757299");
  EXPECT_EQ(*Parse<bool>(*Serialize(false)), false);
  EXPECT_EQ(*Parse<std::string>(*Serialize(std::string("hey"))), "hey");
}

TEST(ValuesTest, ParseResultUsesTheFunctionsResultType) {
  getShape q{.id = 4};
  EXPECT_EQ(HexEncode(*Serialize(q)), "333333330400000000000000");
  absl::StatusOr<Shape> r = ParseResult<getShape>(*Serialize(Shape(circle{.radius = 8})));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->As<circle>()->radius, 8);
  // A function id where a Shape is expected names it.
  absl::StatusOr<Shape> bad = ParseResult<getShape>(*Serialize(q));
  EXPECT_EQ(std::string(bad.status().message()),
            "TL: unexpected constructor 0x33333333 (getShape) at offset 0: expected type Shape");
}

TEST(ValuesTest, EmptyRequiredHandleFailsToSerialize) {
  Shape s = group{.items = {Shape()}};
  absl::StatusOr<Bytes> wire = Serialize(s);
  EXPECT_EQ(std::string(wire.status().message()),
            "TL: cannot serialize: a required boxed value is empty");
  EXPECT_EQ(SerializedSize(s), 0u);
  Sizer sz;
  SizeRequired(sz, Shape(), "group.items is not set");
  EXPECT_STREQ(sz.error(), "group.items is not set");
}

TEST(ValuesTest, SerializeToReusesTheBuffer) {
  Bytes out;
  ASSERT_TRUE(SerializeTo(Sample(), out).ok());
  Bytes first = out;
  ASSERT_TRUE(SerializeTo(Sample(), out).ok());
  EXPECT_EQ(out, first);
}

TEST(ValuesTest, EveryTruncationFailsCleanly) {
  Bytes wire = *Serialize(Sample());
  for (size_t n = 0; n < wire.size(); ++n) {
    absl::StatusOr<Shape> r = Parse<Shape>(ByteView(wire.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    // Either a read ran out of input or a vector count no longer fits.
    EXPECT_THAT(std::string(r.status().message()),
                ::testing::AnyOf(HasSubstr("TL: truncated input"), HasSubstr("does not fit")))
        << n;
  }
  absl::StatusOr<Shape> extra = Parse<Shape>(Concat({wire, Bytes{0, 0, 0, 0}}));
  EXPECT_THAT(std::string(extra.status().message()), HasSubstr("4 trailing bytes"));
}

TEST(ValuesTest, NestingDepthIsLimited) {
  // Each group level is 12 bytes (id + vector header): the 11th object is at 120.
  Shape deep = circle{};
  for (int i = 0; i < 10; ++i) deep = group{.items = {deep}};
  Bytes wire = *Serialize(deep);
  EXPECT_TRUE(Parse<Shape>(wire, /*max_depth=*/11).ok());
  absl::StatusOr<Shape> r = Parse<Shape>(wire, /*max_depth=*/10);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("objects nested deeper than 10 levels at offset 120"));
}

TEST(ValuesTest, HostileVectorCountsAreRejectedBeforeAllocating) {
  // group{items: vector with count 0x7fffffff}
  Bytes wire = *HexDecode("2222222215c4b51cffffff7f");
  absl::StatusOr<Shape> r = Parse<Shape>(wire);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("vector count 2147483647 at offset 8 does not fit"));
  // ids: Vector<long> claims 2 elements but 12 bytes follow -> rejected at 8-byte units.
  Bytes ids = *HexDecode("2222222215c4b51c0000000015c4b51c02000000" "000000000000000000000000");
  EXPECT_THAT(std::string(Parse<Shape>(ids).status().message()),
              HasSubstr("vector count 2 at offset 16 does not fit in the input (at least 8"));
}

TEST(PrinterTest, TlLikeText) {
  EXPECT_EQ(to_string(Sample()),
            "group{items: [circle{radius: 3, label: \"sun\", filled: true}, circle{radius: -1}, "
            "group{items: [], ids: [7]}], ids: [1, 2, 3]}");
  EXPECT_EQ(to_string(std::string("a\"\\\n\x01й")), "\"a\\\"\\\\\\n\\x01й\"");
  Int128 x{};
  x[0] = 0xab;
  EXPECT_EQ(to_string(x), "0xab000000000000000000000000000000");
  EXPECT_EQ(to_string(std::optional<int32_t>()), "none");
  EXPECT_EQ(to_string(1.25), "1.25");
  EXPECT_EQ(to_string(getShape{.id = -3}), "getShape{id: -3}");
}

}  // namespace
}  // namespace mtcore::tl
