// Every Update constructor of the selected API layer that carries a sequence
// number (pts_count, qts, or pts) is classified by the update-gap engine: a
// new layer's sequenced update cannot be delivered unchecked by mistake.
#include <set>
#include <string>

#include "core/updates/update_gap_engine.h"
#include "gtest/gtest.h"
#include "schema/api_schema_path.h"
#include "tlgen/load.h"

namespace mtcore::updates {
namespace {

bool HasParam(const tlgen::Definition& d, const std::string& name) {
  for (const tlgen::Param& p : d.params) {
    if (p.name == name) return true;
  }
  return false;
}

TEST(SchemaCompleteness, EverySequencedUpdateHasABox) {
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiSchemaPath);
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::set<std::string> sequenced;
  for (const tlgen::Definition* d : schema->ConstructorsOf("Update")) {
    // mtcute's JSON adds mtcute.dummyUpdate, its own in-process marker that
    // never comes from Telegram.
    if (d->name.rfind("mtcute.", 0) == 0) continue;
    bool pts = HasParam(*d, "pts_count") || HasParam(*d, "pts");
    bool qts = HasParam(*d, "qts");
    if (!pts && !qts) continue;
    sequenced.insert(d->name);
    UpdateBox box = BoxOfConstructor(d->id);
    EXPECT_NE(box, UpdateBox::kNone) << d->name << " (layer " << schema->layer
                                     << ") has a sequence number but no box";
    if (qts) {
      EXPECT_EQ(box, UpdateBox::kQts) << d->name;
    }
    if (pts && box != UpdateBox::kChannelTooLong) {
      EXPECT_TRUE(box == UpdateBox::kCommonPts || box == UpdateBox::kChannelPts) << d->name;
    }
  }
  // Sanity: the layer has the well-known ones.
  EXPECT_TRUE(sequenced.count("updateNewMessage"));
  EXPECT_TRUE(sequenced.count("updateNewChannelMessage"));
  EXPECT_TRUE(sequenced.count("updateBotStopped"));
  EXPECT_GE(sequenced.size(), 30u);
}

TEST(SchemaCompleteness, UnsequencedUpdatesHaveNoBox) {
  absl::StatusOr<tlgen::Schema> schema = tlgen::LoadSchemaFile(kApiSchemaPath);
  ASSERT_TRUE(schema.ok()) << schema.status();
  for (const tlgen::Definition* d : schema->ConstructorsOf("Update")) {
    if (HasParam(*d, "pts_count") || HasParam(*d, "pts") || HasParam(*d, "qts")) continue;
    if (d->name.rfind("mtcute.", 0) == 0) continue;
    EXPECT_EQ(BoxOfConstructor(d->id), UpdateBox::kNone) << d->name;
  }
}

}  // namespace
}  // namespace mtcore::updates
