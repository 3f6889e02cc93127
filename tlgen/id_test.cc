#include "tlgen/id.h"

#include "gtest/gtest.h"
#include "tlgen/parser.h"

namespace mtcore::tlgen {
namespace {

Definition ParseOne(std::string_view line) {
  absl::StatusOr<Schema> schema = ParseTl(line, "t.tl");
  EXPECT_TRUE(schema.ok()) << schema.status();
  if (!schema.ok() || schema->definitions.empty()) return {};
  return schema->definitions[0];
}

TEST(Crc32, KnownVectors) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32("boolTrue = Bool"), 0x997275b5u);
}

TEST(CanonicalForm, Rules) {
  // Explicit id removed, generics unbraced, true flags dropped, bytes -> string,
  // Vector<T> -> "Vector T".
  EXPECT_EQ(CanonicalForm(ParseOne(
                "f#1 {X:Type} flags:# a:flags.0?true b:bytes c:flags.1?bytes d:Vector<bytes> "
                "e:!X = Vector<X>;")),
            "f X:Type flags:# b:string c:flags.1?string d:Vector bytes e:!X = Vector X");
  EXPECT_EQ(CanonicalForm(ParseOne("m#1 messages:vector<%Message> = M;")),
            "m messages:vector %Message = M");
}

TEST(ComputeId, RealConstructors) {
  EXPECT_EQ(ComputeId(ParseOne("boolTrue = Bool;")), 0x997275b5u);
  EXPECT_EQ(ComputeId(ParseOne(
                "resPQ nonce:int128 server_nonce:int128 pq:bytes "
                "server_public_key_fingerprints:Vector<long> = ResPQ;")),
            0x05162463u);
  EXPECT_EQ(ComputeId(ParseOne("invokeWithLayer {X:Type} layer:int query:!X = X;")), 0xda9b0d0du);
  EXPECT_EQ(ComputeId(ParseOne("gzip_packed packed_data:bytes = Object;")), 0x3072cfa1u);
  // A flags.N?true parameter does not contribute.
  EXPECT_EQ(ComputeId(ParseOne(
                "inputMediaUploadedPhoto flags:# spoiler:flags.2?true file:InputFile "
                "stickers:flags.0?Vector<InputDocument> ttl_seconds:flags.1?int = InputMedia;")),
            0x1e287d04u);
}

TEST(VerifyIds, ReportsMismatchesWithoutFailing) {
  absl::StatusOr<Schema> schema = ParseTl(
      "boolTrue#997275b5 = Bool;\n"
      "msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n"
      "noId = NoId;\n",
      "t.tl");
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::vector<IdMismatch> mismatches = VerifyIds(*schema);
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(mismatches[0].name, "msg_container");
  EXPECT_EQ(mismatches[0].explicit_id, 0x73f1f8dcu);
  EXPECT_EQ(mismatches[0].computed_id, 0x29c1636du);
  EXPECT_EQ(mismatches[0].location.ToString(), "t.tl:2:1");
}

}  // namespace
}  // namespace mtcore::tlgen
