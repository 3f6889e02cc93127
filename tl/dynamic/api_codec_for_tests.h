// The layer-228 API schema (@mtcute/core's api-schema.json, a data dependency
// of the test) as a DynamicCodec, loaded once; aborts with the reason if the
// file is missing or does not load. For fuzz targets and tests.
#ifndef MTCORE_TL_DYNAMIC_API_CODEC_FOR_TESTS_H_
#define MTCORE_TL_DYNAMIC_API_CODEC_FOR_TESTS_H_

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "tl/dynamic/codec.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {

inline const DynamicCodec& ApiCodecForTests() {
  static const DynamicCodec* codec = [] {
    auto schema =
        mtcore::tlgen::LoadSchemaFile("external/mtcute_schema/package/tl/api-schema.json");
    if (!schema.ok()) {
      std::fprintf(stderr, "%s\n", schema.status().ToString().c_str());
      std::abort();
    }
    auto c = DynamicCodec::Create(*schema);
    if (!c.ok()) {
      std::fprintf(stderr, "%s\n", c.status().ToString().c_str());
      std::abort();
    }
    return new DynamicCodec(*std::move(c));
  }();
  return *codec;
}

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_API_CODEC_FOR_TESTS_H_
