#include "tlgen/id.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace mtcore::tlgen {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// `Vector<long>` -> "Vector long"; `!X` and `%T` keep their prefix.
void AppendType(const TypeRef& type, std::string& out) {
  if (type.generic_ref) out += '!';
  std::string_view short_name = type.ShortName();
  if (type.bare && !short_name.empty() && short_name[0] >= 'A' && short_name[0] <= 'Z') {
    out += '%';
  }
  out += type.name;
  for (const TypeRef& arg : type.args) {
    out += ' ';
    AppendType(arg, out);
  }
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string CanonicalForm(const Definition& definition) {
  std::string out = definition.name;
  for (const GenericParam& g : definition.generic_params) {
    absl::StrAppend(&out, " ", g.name, ":", g.type);
  }
  for (const Param& p : definition.params) {
    if (p.IsTrueFlag()) continue;
    absl::StrAppend(&out, " ", p.name, ":");
    if (p.flag) absl::StrAppend(&out, p.flag->field, ".", p.flag->bit, "?");
    if (p.type.name == "bytes" && p.type.args.empty() && !p.type.generic_ref) {
      out += "string";
    } else {
      AppendType(p.type, out);
    }
  }
  out += " = ";
  AppendType(definition.result, out);
  return out;
}

uint32_t ComputeId(const Definition& definition) { return Crc32(CanonicalForm(definition)); }

std::vector<IdMismatch> VerifyIds(const Schema& schema) {
  std::vector<IdMismatch> out;
  for (const Definition& d : schema.definitions) {
    if (!d.explicit_id) continue;
    uint32_t computed = ComputeId(d);
    if (computed != d.id) out.push_back({d.name, d.location, d.id, computed});
  }
  return out;
}

}  // namespace mtcore::tlgen
