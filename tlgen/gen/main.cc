// tlgen_cpp: writes the C++ sources of //tl:api (or of a standalone schema
// such as //tl:secret) from TL schema files.
//
// Usage:
//   tlgen_cpp --api=API_SCHEMA --mtproto=MTPROTO_SCHEMA --out=DIR
//             [--source_files=N] [--testing_files=M]
//   tlgen_cpp --schema=SCHEMA --namespace=NS --out=DIR
//             [--source_files=N] [--testing_files=M]
//
// Schemas are `.tl` text or mtcute `.json` (see tlgen/load.h). The API
// schema's definitions go to namespace mtcore::tl, the MTProto schema's to
// mtcore::tl::mtproto. With --schema, the one schema is a standalone output:
// definitions and lookup tables in mtcore::tl::NS, files NS.h, NS_0.cc ...
// Writes the files GeneratedFileNames() lists into DIR.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "tlgen/gen/cpp_generator.h"
#include "tlgen/load.h"

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tlgen_cpp: %s\n", msg.c_str());
  return 1;
}

int Write(const std::vector<mtcore::tlgen::CppSchemaInput>& inputs,
          const mtcore::tlgen::CppGeneratorOptions& options, const std::string& out) {
  auto files = mtcore::tlgen::GenerateCpp(inputs, options);
  if (!files.ok()) return Fail(std::string(files.status().message()));
  for (const auto& [name, text] : *files) {
    std::string path = out + "/" + name;
    std::ofstream f(path, std::ios::binary);
    f << text;
    f.close();
    if (!f) return Fail("cannot write " + path);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string api, mtproto, out, schema, ns;
  mtcore::tlgen::CppGeneratorOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag, std::string& dst) {
      std::string prefix = std::string(flag) + "=";
      if (!absl::StartsWith(a, prefix)) return false;
      dst = a.substr(prefix.size());
      return true;
    };
    std::string n;
    if (value("--api", api) || value("--mtproto", mtproto) || value("--out", out) ||
        value("--schema", schema) || value("--namespace", ns)) {
      continue;
    }
    if (value("--source_files", n)) {
      if (!absl::SimpleAtoi(n, &options.source_files)) return Fail("bad --source_files " + n);
      continue;
    }
    if (value("--testing_files", n)) {
      if (!absl::SimpleAtoi(n, &options.testing_files)) return Fail("bad --testing_files " + n);
      continue;
    }
    return Fail("unknown argument " + a);
  }
  std::vector<mtcore::tlgen::CppSchemaInput> inputs;
  const bool standalone = !schema.empty() || !ns.empty();
  if (standalone) {
    if (schema.empty() || ns.empty() || out.empty() || !api.empty() || !mtproto.empty()) {
      return Fail("usage: tlgen_cpp --schema=FILE --namespace=NS --out=DIR");
    }
    auto loaded = mtcore::tlgen::LoadSchemaFile(schema);
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    inputs.resize(1);
    inputs[0].schema = *std::move(loaded);
    inputs[0].cpp_namespace = ns;
    options.file_stem = ns;
    options.tables_namespace = ns;
    return Write(inputs, options, out);
  }
  if (api.empty() || mtproto.empty() || out.empty()) {
    return Fail("usage: tlgen_cpp --api=FILE --mtproto=FILE --out=DIR");
  }
  inputs.resize(2);
  auto api_schema = mtcore::tlgen::LoadSchemaFile(api);
  if (!api_schema.ok()) return Fail(std::string(api_schema.status().message()));
  inputs[0].schema = *std::move(api_schema);
  auto mtp_schema = mtcore::tlgen::LoadSchemaFile(mtproto);
  if (!mtp_schema.ok()) return Fail(std::string(mtp_schema.status().message()));
  inputs[1].schema = *std::move(mtp_schema);
  inputs[1].cpp_namespace = "mtproto";
  return Write(inputs, options, out);
}
