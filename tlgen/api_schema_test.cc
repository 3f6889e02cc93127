// The real layer-228 schema (mtcute's api-schema.json and mtp-schema.json):
// it must read, print, parse back to the same definitions, and every id must
// be the CRC32 of its canonical form except for a short known list.
#include <ctime>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tlgen/id.h"
#include "tlgen/load.h"
#include "tlgen/parser.h"
#include "tlgen/printer.h"

namespace mtcore::tlgen {
namespace {

constexpr char kApiJson[] = "external/mtcute_schema/package/tl/api-schema.json";
constexpr char kMtpJson[] = "external/mtcute_schema/package/tl/mtp-schema.json";

// mtcute entries whose ids are not the CRC32 of the line as written:
//  - the two *Legacy constructors are mtcute additions that keep ids of
//    older layers, where the definitions had other parameters;
//  - mtcute.customMethod is mtcute's own escape hatch, not a Telegram method.
const std::set<std::string> kKnownApiMismatches = {
    "inputPeerPhotoFileLocationLegacy",
    "inputStickerSetThumbLegacy",
    "mtcute.customMethod",
};

// The time bounds below catch a reader that went quadratic, not a slow
// machine: they count the process's CPU time (other builds preempting the
// test do not), and sanitizer builds (unoptimised, instrumented: several
// times slower) get 4x the bound.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr double kBoundScale = 4.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr double kBoundScale = 4.0;
#else
constexpr double kBoundScale = 1.0;
#endif
#else
constexpr double kBoundScale = 1.0;
#endif

std::clock_t CpuNow() { return std::clock(); }

double CpuSecondsSince(std::clock_t start) {
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

TEST(ApiSchema, ReadsLayer228) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kApiJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->layer, 228);
  EXPECT_EQ(schema->Count(Category::kConstructor), 1644);
  EXPECT_EQ(schema->Count(Category::kFunction), 808);
  const Definition* send = schema->Find("messages.sendMessage", Category::kFunction);
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->result.name, "Updates");
  // mtcute leaves out the built-ins (boolTrue, vector, ...).
  EXPECT_EQ(schema->FindById(0x997275b5), nullptr);
  const Definition* self = schema->FindById(0x7da07ec9);
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->name, "inputPeerSelf");
  // int53 is read as long.
  const Definition* user = schema->Find("inputPeerUser", Category::kConstructor);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->params[0].type.name, "long");
}

TEST(ApiSchema, IdsAreCrc32OfCanonicalForm) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kApiJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::set<std::string> mismatched;
  for (const IdMismatch& m : VerifyIds(*schema)) mismatched.insert(m.name);
  EXPECT_EQ(mismatched, kKnownApiMismatches);
}

TEST(ApiSchema, PrintParseRoundTrip) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kApiJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::string text = PrintTl(*schema);

  std::clock_t start = CpuNow();
  absl::StatusOr<Schema> parsed = ParseTl(text, "api.tl");
  double seconds = CpuSecondsSince(start);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_LT(seconds, 1.0 * kBoundScale) << "parsing layer 228 took " << seconds << " s";
  std::printf("parsed %zu definitions (%zu bytes of .tl) in %.1f ms\n", parsed->definitions.size(),
              text.size(), seconds * 1000);

  EXPECT_EQ(parsed->layer, 228);
  ASSERT_EQ(parsed->definitions.size(), schema->definitions.size());
  for (size_t i = 0; i < parsed->definitions.size(); ++i) {
    EXPECT_EQ(parsed->definitions[i], schema->definitions[i])
        << PrintDefinition(schema->definitions[i]) << " vs "
        << PrintDefinition(parsed->definitions[i]);
  }
  EXPECT_EQ(PrintTl(*parsed), text);

  // Ids computed from the printed text (ids dropped) match, except the
  // known list.
  std::set<std::string> mismatched;
  for (const Definition& d : parsed->definitions) {
    if (ComputeId(d) != d.id) mismatched.insert(d.name);
  }
  EXPECT_EQ(mismatched, kKnownApiMismatches);
}

TEST(ApiSchema, JsonReadIsFast) {
  std::clock_t start = CpuNow();
  absl::StatusOr<Schema> schema = LoadSchemaFile(kApiJson);
  double seconds = CpuSecondsSince(start);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_LT(seconds, 1.0 * kBoundScale);
  std::printf("read api-schema.json in %.1f ms\n", seconds * 1000);
}

TEST(MtpSchema, ReadsAndIdsMatch) {
  absl::StatusOr<Schema> schema = LoadSchemaFile(kMtpJson);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->definitions.size(), 42u);
  EXPECT_TRUE(VerifyIds(*schema).empty());
  const Definition* salts = schema->Find("future_salts", Category::kConstructor);
  ASSERT_NE(salts, nullptr);
  EXPECT_EQ(salts->params[2].type.ToString(), "vector<future_salt>");
  absl::StatusOr<Schema> parsed = ParseTl(PrintTl(*schema), "mtp.tl");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->definitions, schema->definitions);
}

}  // namespace
}  // namespace mtcore::tlgen
