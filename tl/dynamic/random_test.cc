// Property tests over every constructor and method of layer 228: a random
// Value per definition (built from the schema alone, independently of the
// codec's tables) encodes, decodes back to the same Value, converts to JSON
// and back, and every truncation of its encoding fails cleanly.
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {
namespace {

using tlgen::Definition;
using tlgen::TypeRef;

constexpr char kApiJson[] = "external/mtcute_schema/package/tl/api-schema.json";

// Random Values for a schema. Below kShallow nesting, boxed fields pick any
// constructor and vectors hold up to 3 items; deeper, vectors are empty and
// boxed fields pick the constructor of least height, so generation ends.
class RandomValues {
 public:
  static constexpr int kShallow = 3;

  RandomValues(const tlgen::Schema& schema, uint64_t seed) : rng_(seed) {
    for (const Definition& d : schema.definitions) {
      if (d.category == tlgen::Category::kFunction) {
        if (d.generic_params.empty()) functions_.push_back(&d);
        continue;
      }
      ctors_of_[d.result.name].push_back(&d);
      ctor_named_[d.name] = &d;
    }
    ComputeHeights();
  }

  Value ObjectFor(const Definition& d, int depth) {
    Object o(d.name);
    std::map<std::string, uint32_t> words;
    for (const tlgen::Param& p : d.params) {
      if (p.IsFlagsField()) {
        words[p.name] = static_cast<uint32_t>(rng_());
        continue;
      }
      if (p.flag) {
        bool set = (words[p.flag->field] >> p.flag->bit) & 1;
        if (p.IsTrueFlag()) {
          o.fields.push_back(Field{p.name, Value(set)});
          continue;
        }
        if (!set) continue;
      }
      o.fields.push_back(Field{p.name, Make(d, p.type, depth + 1)});
    }
    return Value(std::move(o));
  }

 private:
  uint64_t Next() { return rng_(); }

  std::string RandomBytes() {
    // Mostly short; sometimes past 253 bytes (the 4-byte length form).
    size_t n = Next() % 8 == 0 ? 254 + Next() % 300 : Next() % 40;
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(Next());
    return s;
  }

  const Definition* Pick(const std::string& type, int depth) {
    const std::vector<const Definition*>& ctors = ctors_of_.at(type);
    if (depth < kShallow) return ctors[Next() % ctors.size()];
    const Definition* best = ctors[0];
    for (const Definition* d : ctors) {
      if (height_[d] < height_[best]) best = d;
    }
    return best;
  }

  Value Make(const Definition& owner, const TypeRef& t, int depth) {
    if (t.generic_ref || owner.IsGenericParam(t.name)) {
      const Definition* f = functions_[Next() % functions_.size()];
      return ObjectFor(*f, kShallow);  // a shallow call: no deep recursion
    }
    if (t.IsVector()) {
      size_t n = depth < kShallow ? Next() % 4 : 0;
      std::vector<Value> items;
      for (size_t i = 0; i < n; ++i) items.push_back(Make(owner, t.args[0], depth));
      return Value(std::move(items));
    }
    const std::string& n = t.name;
    if (n == "int") return Value(static_cast<int32_t>(Next()));
    if (n == "long") return Value(static_cast<int64_t>(Next()));
    if (n == "double") {
      double d;
      do {
        uint64_t bits = Next();
        std::memcpy(&d, &bits, sizeof d);
      } while (!std::isfinite(d));
      return Value(d);
    }
    if (n == "string" || n == "bytes") return Value(RandomBytes());
    if (n == "int128" || n == "int256") {
      Int256 a;
      for (uint8_t& b : a) b = static_cast<uint8_t>(Next());
      if (n == "int256") return Value(a);
      Int128 h;
      std::memcpy(h.data(), a.data(), 16);
      return Value(h);
    }
    if (n == "Bool") return Value(Next() % 2 == 1);
    if (t.bare) {
      auto it = ctor_named_.find(n);
      const Definition* d = it != ctor_named_.end() ? it->second : ctors_of_.at(n)[0];
      return ObjectFor(*d, depth);
    }
    return ObjectFor(*Pick(n, depth), depth);
  }

  // height(ctor) = 1 + max height of the types its required boxed fields
  // need (vectors may be empty); height(type) = min over its constructors.
  void ComputeHeights() {
    constexpr int kInf = 1 << 20;
    for (auto& [type, ctors] : ctors_of_) {
      for (const Definition* d : ctors) height_[d] = kInf;
    }
    auto type_height = [&](const std::string& type) {
      auto it = ctors_of_.find(type);
      if (it == ctors_of_.end()) return 0;
      int best = kInf;
      for (const Definition* d : it->second) best = std::min(best, height_[d]);
      return best;
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& [d, h] : height_) {
        int mine = 1;
        for (const tlgen::Param& p : d->params) {
          if (p.flag || p.type.IsVector() || p.type.generic_ref) continue;
          mine = std::max(mine, 1 + type_height(p.type.name));
        }
        mine = std::min(mine, kInf);
        if (mine < h) {
          h = mine;
          changed = true;
        }
      }
    }
  }

  std::mt19937_64 rng_;
  std::map<std::string, std::vector<const Definition*>> ctors_of_;
  std::map<std::string, const Definition*> ctor_named_;
  std::map<const Definition*, int> height_;
  std::vector<const Definition*> functions_;
};

TEST(RandomRoundTrip, EveryDefinitionOfLayer228) {
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(*schema);
  ASSERT_TRUE(codec.ok()) << codec.status();
  RandomValues random(*schema, 228);

  auto start = std::chrono::steady_clock::now();
  size_t objects = 0, bytes = 0, truncations = 0;
  for (int round = 0; round < 1; ++round) {
    for (const Definition& d : schema->definitions) {
      bool function = d.category == tlgen::Category::kFunction;
      std::string type = function ? "Function" : d.result.ToString();
      Value v = random.ObjectFor(d, 0);
      SCOPED_TRACE(absl::StrCat(d.name, " as ", type, ": ", v.ToString().substr(0, 300)));

      absl::StatusOr<Bytes> encoded = codec->Encode(v, type);
      ASSERT_TRUE(encoded.ok()) << encoded.status();
      absl::StatusOr<Value> decoded = codec->Decode(*encoded, type);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      ASSERT_EQ(*decoded, v);
      ASSERT_EQ(*codec->Encode(v), *encoded);  // by name alone

      absl::StatusOr<std::string> json = codec->ToJson(v, type);
      ASSERT_TRUE(json.ok()) << json.status();
      absl::StatusOr<Value> from_json = codec->FromJson(*json, type);
      ASSERT_TRUE(from_json.ok()) << from_json.status() << "\n" << *json;
      ASSERT_EQ(*from_json, v) << *json;

      // Every truncation of short encodings, a sample of long ones.
      size_t step = encoded->size() <= 256 ? 1 : encoded->size() / 32;
      for (size_t n = 0; n < encoded->size(); n += step) {
        absl::StatusOr<Value> r = codec->Decode(ByteView(encoded->data(), n), type);
        ASSERT_FALSE(r.ok()) << n;
        ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
        ++truncations;
      }
      ++objects;
      bytes += encoded->size();
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu random objects (%zu bytes), %zu truncations in %.2f s\n", objects, bytes,
              truncations, seconds);
  EXPECT_EQ(objects, schema->definitions.size());
}

}  // namespace
}  // namespace mtcore::tl::dynamic
