#include "tlgen/load.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mtcore::tlgen {
namespace {

TEST(LoadSchemaFile, TlByExtension) {
  absl::StatusOr<Schema> schema = LoadSchemaFile("tlgen/testdata/tiny.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->layer, 3);
  EXPECT_EQ(schema->Count(Category::kConstructor), 1);
  EXPECT_EQ(schema->Count(Category::kFunction), 1);
  EXPECT_EQ(schema->definitions[1].location.ToString(), "tlgen/testdata/tiny.tl:4:1");
}

TEST(LoadSchemaFile, Errors) {
  absl::StatusOr<Schema> missing = LoadSchemaFile("tlgen/testdata/missing.tl");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "tlgen/testdata/missing.tl: cannot open file");
  absl::StatusOr<Schema> unknown = LoadSchemaFile("tlgen/testdata/tiny.txt");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "tlgen/testdata/tiny.txt: unknown schema format (expected a .tl or .json file)");
}

TEST(ParseSchemaText, DispatchesOnExtension) {
  absl::StatusOr<Schema> json = ParseSchemaText(R"({"l": 5, "e": []})", "x.json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->layer, 5);
  absl::StatusOr<Schema> tl = ParseSchemaText("// LAYER 6\n", "x.tl");
  ASSERT_TRUE(tl.ok()) << tl.status();
  EXPECT_EQ(tl->layer, 6);
  EXPECT_EQ(ParseSchemaText("a = A", "x.tl").status().message(),
            "x.tl:1:6: expected ';' after the result type of 'a', found end of file");
}

}  // namespace
}  // namespace mtcore::tlgen
