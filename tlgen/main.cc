// tlgen: the TL schema tool.
//
//   tlgen --check FILE           parse FILE (.tl or .json); print
//                                "layer=N constructors=C functions=F", exit 0,
//                                or the first error "FILE:LINE:COL: message",
//                                exit 1. Explicit ids that differ from their
//                                CRC32 are listed on stderr and counted in a
//                                second line "id_mismatches=K".
//   tlgen --from-json FILE --print
//   tlgen --from-tl FILE --print
//   tlgen --print FILE           print the canonical .tl text of FILE.
//
// Relative paths are relative to $BUILD_WORKING_DIRECTORY when set (so
// `./bazelw run //tlgen -- --check schema/mtproto.tl` works from the repo).
//
// Adding a mode: write `int RunX(const Schema&, const Options&)` and add a row
// to kModes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "absl/status/statusor.h"
#include "tlgen/definition.h"
#include "tlgen/id.h"
#include "tlgen/json_reader.h"
#include "tlgen/load.h"
#include "tlgen/parser.h"
#include "tlgen/printer.h"

namespace mtcore::tlgen {
namespace {

enum class Format { kByExtension, kJson, kTl };

struct Options {
  std::string mode;   // a kModes name
  std::string input;  // as given on the command line
  Format format = Format::kByExtension;
};

int RunCheck(const Schema& schema, const Options&) {
  std::printf("layer=%d constructors=%d functions=%d\n", schema.layer,
              schema.Count(Category::kConstructor), schema.Count(Category::kFunction));
  std::vector<IdMismatch> mismatches = VerifyIds(schema);
  for (const IdMismatch& m : mismatches) {
    std::fprintf(stderr, "%s: warning: id of '%s' is #%08x, its CRC32 is #%08x\n",
                 m.location.ToString().c_str(), m.name.c_str(), m.explicit_id, m.computed_id);
  }
  if (!mismatches.empty()) std::printf("id_mismatches=%zu\n", mismatches.size());
  return 0;
}

int RunPrint(const Schema& schema, const Options&) {
  std::string text = PrintTl(schema);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

struct Mode {
  std::string_view name;
  int (*run)(const Schema&, const Options&);
};

constexpr Mode kModes[] = {
    {"check", RunCheck},
    {"print", RunPrint},
};

int Usage() {
  std::fprintf(stderr,
               "usage: tlgen --check FILE\n"
               "       tlgen [--from-json FILE | --from-tl FILE] --print\n"
               "       tlgen --print FILE\n"
               "FILE is a .tl schema or an mtcute JSON schema (.json).\n");
  return 2;
}

// `bazel run` starts us in the runfiles tree; go back to the user's
// directory so relative paths (and the paths in messages) are theirs.
void EnterUserDirectory() {
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (cwd != nullptr && *cwd != '\0' && chdir(cwd) != 0) {
    std::fprintf(stderr, "tlgen: cannot enter %s\n", cwd);
  }
}

// Fills `options` from argv; false on a usage error.
bool ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto take_input = [&](Format format) {
      if (i + 1 >= argc || !options.input.empty()) return false;
      options.input = argv[++i];
      options.format = format;
      return true;
    };
    bool ok;
    if (arg == "--from-json") {
      ok = take_input(Format::kJson);
    } else if (arg == "--from-tl") {
      ok = take_input(Format::kTl);
    } else if (arg.substr(0, 2) == "--" && options.mode.empty()) {
      options.mode = std::string(arg.substr(2));
      // "--check FILE" / "--print FILE": the next non-flag argument is the input.
      ok = true;
      if (i + 1 < argc && argv[i + 1][0] != '-' && options.input.empty()) options.input = argv[++i];
    } else if (arg[0] != '-' && options.input.empty()) {
      options.input = std::string(arg);
      ok = true;
    } else {
      ok = false;
    }
    if (!ok) return false;
  }
  return !options.mode.empty() && !options.input.empty();
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseArgs(argc, argv, options)) return Usage();
  const Mode* mode = nullptr;
  for (const Mode& m : kModes) {
    if (m.name == options.mode) mode = &m;
  }
  if (mode == nullptr) {
    std::fprintf(stderr, "tlgen: unknown mode --%s\n", options.mode.c_str());
    return Usage();
  }
  absl::StatusOr<Schema> schema;
  EnterUserDirectory();
  const std::string& path = options.input;
  if (options.format == Format::kByExtension) {
    schema = LoadSchemaFile(path);
  } else {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) {
      schema = text.status();
    } else if (options.format == Format::kJson) {
      schema = ReadMtcuteJson(*text, path);
    } else {
      schema = ParseTl(*text, path);
    }
  }
  if (!schema.ok()) {
    std::fprintf(stderr, "%s\n", std::string(schema.status().message()).c_str());
    return 1;
  }
  return mode->run(*schema, options);
}

}  // namespace
}  // namespace mtcore::tlgen

int main(int argc, char** argv) { return mtcore::tlgen::Main(argc, argv); }
