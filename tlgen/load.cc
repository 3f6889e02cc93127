#include "tlgen/load.h"

#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "tlgen/json_reader.h"
#include "tlgen/parser.h"

namespace mtcore::tlgen {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot read file"));
  if (static_cast<uint64_t>(size) > kMaxSchemaFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": file is larger than ", kMaxSchemaFileSize, " bytes"));
  }
  in.seekg(0, std::ios::beg);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read file"));
  }
  return text;
}

absl::StatusOr<Schema> ParseSchemaText(std::string_view text, std::string_view file_name) {
  if (absl::EndsWith(file_name, ".json")) return ReadMtcuteJson(text, file_name);
  if (absl::EndsWith(file_name, ".tl")) return ParseTl(text, file_name);
  return absl::InvalidArgumentError(
      absl::StrCat(file_name, ": unknown schema format (expected a .tl or .json file)"));
}

absl::StatusOr<Schema> LoadSchemaFile(const std::string& path) {
  if (!absl::EndsWith(path, ".json") && !absl::EndsWith(path, ".tl")) {
    return ParseSchemaText("", path);
  }
  MTCORE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseSchemaText(text, path);
}

}  // namespace mtcore::tlgen
