#include "tlgen/gen/cpp_generator.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tlgen/parser.h"

namespace mtcore::tlgen {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<std::map<std::string, std::string>> Generate(const std::string& tl,
                                                            int files = 2) {
  absl::StatusOr<Schema> s = ParseTl(tl, "test.tl");
  if (!s.ok()) return s.status();
  std::vector<CppSchemaInput> in(1);
  in[0].schema = *s;
  CppGeneratorOptions o;
  o.source_files = files;
  o.testing_files = 1;
  return GenerateCpp(in, o);
}

constexpr char kSchema[] = R"(
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
peerUser#59511722 user_id:long = Peer;
peerChat#36c6019a chat_id:long = Peer;
messages.note#11111111 flags:# pinned:flags.0?true views:flags.1?int forwards:flags.1?int
    peer:Peer from:flags.2?Peer default:string ok:Bool = messages.Note;
---functions---
messages.getNote#22222222 peer:Peer ids:Vector<long> = messages.Note;
invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;
)";

TEST(CppGeneratorTest, ProducesTheListedFiles) {
  auto files = Generate(kSchema, 3);
  ASSERT_TRUE(files.ok()) << files.status();
  CppGeneratorOptions o;
  o.source_files = 3;
  o.testing_files = 1;
  std::vector<std::string> names = GeneratedFileNames(o);
  ASSERT_EQ(files->size(), names.size());
  for (const std::string& n : names) EXPECT_EQ(files->count(n), 1u) << n;
}

TEST(CppGeneratorTest, NamingFieldsAndTypes) {
  auto files = Generate(kSchema);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& h = files->at("api.h");
  EXPECT_THAT(h, HasSubstr("class Peer : public ::mtcore::tl::AnyObject {"));
  EXPECT_THAT(h, HasSubstr("class messages_Note : public ::mtcore::tl::AnyObject {"));
  EXPECT_THAT(h, HasSubstr("struct messages_note {\n  static constexpr uint32_t kId = 0x11111111u;"));
  EXPECT_THAT(h, HasSubstr("  bool pinned = false;\n  std::optional<int32_t> views;\n"));
  EXPECT_THAT(h, HasSubstr("  ::mtcore::tl::Peer peer;\n  ::mtcore::tl::Peer from;\n"));
  EXPECT_THAT(h, HasSubstr("  std::string default_;\n  bool ok = false;\n"));
  EXPECT_THAT(h, HasSubstr("using Result = ::mtcore::tl::messages_Note;"));
  EXPECT_THAT(h, HasSubstr("std::vector<int64_t> ids;"));
  // Generic functions are templates over the query type.
  EXPECT_THAT(h, HasSubstr("template <class X = ::mtcore::tl::AnyFunction>\nstruct invokeWithLayer {"));
  EXPECT_THAT(h, HasSubstr("using Result = typename X::Result;"));
  // Built-in Bool constructors get no struct (Bool is `bool`).
  EXPECT_THAT(h, Not(HasSubstr("struct boolTrue")));
  EXPECT_THAT(files->at("api_tables.cc"),
              HasSubstr("{0x997275b5u, \"boolTrue\", \"Bool\", false, false},"));
  EXPECT_THAT(files->at("api_tables.cc"),
              HasSubstr("{0x11111111u, \"messages.note\", \"messages.Note\", false, true},"));
}

TEST(CppGeneratorTest, FlagsAreComputedOnWriteAndCheckedForSharedBits) {
  auto files = Generate(kSchema, 1);
  ASSERT_TRUE(files.ok()) << files.status();
  const std::string& cc = files->at("api_0.cc");
  EXPECT_THAT(cc, HasSubstr("if (this->pinned) tl_flags_flags |= 0x1u;"));
  EXPECT_THAT(cc, HasSubstr("if (this->views.has_value()) tl_flags_flags |= 0x2u;"));
  EXPECT_THAT(cc, HasSubstr("if (static_cast<bool>(this->from)) tl_flags_flags |= 0x4u;"));
  EXPECT_THAT(cc, HasSubstr("this->pinned = (tl_flags_flags & 0x1u) != 0;"));
  EXPECT_THAT(cc, HasSubstr("fields views, forwards share flags.1 and must be all set or all unset"));
  EXPECT_THAT(cc, HasSubstr("SizeRequired(tl_s, this->peer, \"messages.note.peer is not set\")"));
  EXPECT_THAT(cc, HasSubstr("tl_r.FailUnknownConstructor(tl_id, \"Peer\""));
}

TEST(CppGeneratorTest, ErrorsNameTheDefinition) {
  auto unknown = Generate("foo#01020304 x:Bar = Foo;\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("test.tl:1:1: foo: unknown type Bar"));

  auto clash = Generate("a_b#01020304 = T;\na.b#01020305 = T;\n");
  EXPECT_THAT(std::string(clash.status().message()),
              HasSubstr("C++ name a_b is used by both a_b and a.b"));

  auto ambiguous = Generate("x#01020304 = T;\ny#01020305 = T;\nz#01020306 v:%T = Z;\n");
  EXPECT_THAT(std::string(ambiguous.status().message()),
              HasSubstr("bare type %T has 2 constructors"));

  auto runtime = Generate("object#01020304 = Object2;\nreader#01020305 = Reader;\n");
  EXPECT_THAT(std::string(runtime.status().message()),
              HasSubstr("C++ name Reader clashes with the TL runtime"));

  auto dup = Generate("x#01020304 = T;\ny#01020304 = T;\n");
  EXPECT_THAT(std::string(dup.status().message()),
              HasSubstr("constructor id 0x01020304 is also used by x"));
}

absl::StatusOr<std::map<std::string, std::string>> GenerateStandalone(const std::string& tl) {
  absl::StatusOr<Schema> s = ParseTl(tl, "e2e.tl");
  if (!s.ok()) return s.status();
  std::vector<CppSchemaInput> in(1);
  in[0].schema = *s;
  in[0].cpp_namespace = "e2e";
  CppGeneratorOptions o;
  o.source_files = 1;
  o.testing_files = 1;
  o.file_stem = "e2e";
  o.tables_namespace = "e2e";
  return GenerateCpp(in, o);
}

constexpr char kStandalone[] = R"(
peerUser#59511722 user_id:long = Peer;
peerChat#36c6019a chat_id:long = Peer;
note#11111111 peer:Peer ids:Vector<long> = Note;
)";

TEST(CppGeneratorTest, StandaloneOutputHasItsOwnFilesAndTables) {
  auto files = GenerateStandalone(kStandalone);
  ASSERT_TRUE(files.ok()) << files.status();
  CppGeneratorOptions o;
  o.source_files = 1;
  o.testing_files = 1;
  o.file_stem = "e2e";
  std::vector<std::string> names = GeneratedFileNames(o);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("e2e.h", "e2e_0.cc", "e2e_tables.cc",
                                                     "e2e_testing.h", "e2e_testing_0.cc",
                                                     "e2e_testing_tables.cc"));
  ASSERT_EQ(files->size(), names.size());
  for (const std::string& n : names) EXPECT_EQ(files->count(n), 1u) << n;

  const std::string& h = files->at("e2e.h");
  EXPECT_THAT(h, HasSubstr("#ifndef MTCORE_TL_E2E_H_\n#define MTCORE_TL_E2E_H_\n"));
  EXPECT_THAT(h, HasSubstr("namespace mtcore::tl::e2e {\n// Boxed type Peer: peerUser, peerChat\nclass Peer : public ::mtcore::tl::AnyObject {"));
  EXPECT_THAT(h, HasSubstr("  ::mtcore::tl::e2e::Peer peer;\n"));
  // The lookup tables are declared in the schema's own namespace, so the
  // output links beside //tl:api (which has mtcore::tl::FindTlInfo ...).
  EXPECT_THAT(h, HasSubstr("}  // namespace mtcore::tl\n\nnamespace mtcore::tl::e2e {\n\n"
                           "// One constructor or function of any compiled-in schema.\n"
                           "struct TlInfo {"));
  EXPECT_THAT(h, HasSubstr("}  // namespace mtcore::tl::e2e\n\n#endif  // MTCORE_TL_E2E_H_\n"));
  EXPECT_THAT(files->at("e2e_0.cc"), HasSubstr("#include \"tl/e2e.h\""));
  EXPECT_THAT(files->at("e2e_0.cc"),
              HasSubstr("tl_r.FailUnknownConstructor(tl_id, \"Peer\", "
                        "::mtcore::tl::e2e::ConstructorName(tl_id));"));
  const std::string& tables = files->at("e2e_tables.cc");
  EXPECT_THAT(tables, HasSubstr("namespace mtcore::tl::e2e {\nnamespace {\n"));
  EXPECT_THAT(tables, HasSubstr("{0x11111111u, \"note\", \"Note\", false, true},"));
  // The readers of the runtime's AnyObject / AnyFunction belong to //tl:api.
  EXPECT_THAT(tables, Not(HasSubstr("AnyObject::ReadBoxed")));
  EXPECT_THAT(tables, Not(HasSubstr("AnyFunction::ReadBoxed")));

  const std::string& th = files->at("e2e_testing.h");
  EXPECT_THAT(th, HasSubstr("#include \"tl/e2e.h\""));
  EXPECT_THAT(th, Not(HasSubstr("AnyObject& v);")));
  EXPECT_THAT(th, HasSubstr("namespace mtcore::tl::e2e::testing {\n\nusing ::mtcore::tl::testing::Rng;\n"));
  EXPECT_THAT(th, HasSubstr("#endif  // MTCORE_TL_E2E_TESTING_H_\n"));
  const std::string& tt = files->at("e2e_testing_tables.cc");
  EXPECT_THAT(tt, HasSubstr("namespace mtcore::tl::e2e::testing {\n"));
  EXPECT_THAT(tt, HasSubstr("case 0x11111111u: return MakeRandom<::mtcore::tl::e2e::note>(rng);"));
  EXPECT_THAT(tt, Not(HasSubstr("AnyObject& v)")));
}

TEST(CppGeneratorTest, PrimaryOutputKeepsTheRuntimeReaders) {
  auto files = Generate(kSchema, 1);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(files->at("api.h"), HasSubstr("#ifndef MTCORE_TL_API_H_\n"));
  EXPECT_THAT(files->at("api.h"), HasSubstr("}  // namespace mtcore::tl\n\n#endif  // MTCORE_TL_API_H_\n"));
  EXPECT_THAT(files->at("api_tables.cc"), HasSubstr("AnyObject AnyObject::ReadBoxed(Reader& tl_r) {"));
  EXPECT_THAT(files->at("api_tables.cc"), HasSubstr("namespace mtcore::tl {\nnamespace {\n"));
  EXPECT_THAT(files->at("api_testing.h"),
              HasSubstr("template <> void FillRandom(Rng& rng, int depth, AnyObject& v);\n"));
  EXPECT_THAT(files->at("api_0.cc"), HasSubstr("::mtcore::tl::ConstructorName(tl_id));"));
}

TEST(CppGeneratorTest, StandaloneOutputRejectsObjectFieldsAndGenerics) {
  auto object = GenerateStandalone("box#01020304 body:Object = Box;\n");
  ASSERT_FALSE(object.ok());
  EXPECT_THAT(std::string(object.status().message()),
              HasSubstr("e2e.tl:1:1: box: an Object field in a standalone schema"));
  auto generic = GenerateStandalone(
      "x#01020304 = T;\n---functions---\nwrap#01020305 {X:Type} q:!X = X;\n");
  ASSERT_FALSE(generic.ok());
  EXPECT_THAT(std::string(generic.status().message()),
              HasSubstr("wrap: a generic definition in a standalone schema"));
  CppGeneratorOptions o;
  o.file_stem = "";
  std::vector<CppSchemaInput> in(1);
  EXPECT_FALSE(GenerateCpp(in, o).ok());
}

}  // namespace
}  // namespace mtcore::tlgen
