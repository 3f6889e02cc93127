// tlgen_ts: writes TypeScript declarations (a .d.mts file) of a TL schema for
// the browser client's JSON form (see ts_generator.h).
//
// Usage:
//   tlgen_ts --schema=API_SCHEMA --out=FILE
//
// The schema is `.tl` text or mtcute `.json` (see tlgen/load.h).
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "tlgen/gen/ts_generator.h"
#include "tlgen/load.h"

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tlgen_ts: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string schema_path, out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (absl::StartsWith(a, "--schema=")) {
      schema_path = a.substr(9);
    } else if (absl::StartsWith(a, "--out=")) {
      out = a.substr(6);
    } else {
      return Fail("unknown argument " + a);
    }
  }
  if (schema_path.empty() || out.empty()) return Fail("usage: tlgen_ts --schema=FILE --out=FILE");
  auto schema = mtcore::tlgen::LoadSchemaFile(schema_path);
  if (!schema.ok()) return Fail(std::string(schema.status().message()));
  mtcore::tlgen::TsGeneratorOptions options;
  size_t slash = schema_path.rfind('/');
  options.source_name = slash == std::string::npos ? schema_path : schema_path.substr(slash + 1);
  auto text = mtcore::tlgen::GenerateTs(*schema, options);
  if (!text.ok()) return Fail(std::string(text.status().message()));
  std::ofstream f(out, std::ios::binary);
  f << *text;
  f.close();
  if (!f) return Fail("cannot write " + out);
  return 0;
}
