// Property tests over every constructor and method of layer 228: a random
// Value per definition (built from the schema alone, independently of the
// codec's tables) encodes, decodes back to the same Value, converts to JSON
// and back, and every truncation of its encoding fails cleanly.
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tl/dynamic/codec.h"
#include "tl/dynamic/random_values.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {
namespace {

using tlgen::Definition;

constexpr char kApiJson[] = "external/mtcute_schema/package/tl/api-schema.json";

TEST(RandomRoundTrip, EveryDefinitionOfLayer228) {
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(*schema);
  ASSERT_TRUE(codec.ok()) << codec.status();
  // Vectors of up to 3 items and any constructor above depth 3; random flags
  // at every depth, random calls for !X, long bytes, any finite double.
  RandomValues random(*schema, 228, {.shallow_depth = 3, .max_vector_items = 3});

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
