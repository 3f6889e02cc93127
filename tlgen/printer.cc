#include "tlgen/printer.h"

#include "absl/strings/str_cat.h"

namespace mtcore::tlgen {

std::string PrintDefinition(const Definition& definition) {
  std::string out = absl::StrCat(definition.name, "#", absl::Hex(definition.id));
  for (const GenericParam& g : definition.generic_params) {
    absl::StrAppend(&out, " {", g.name, ":", g.type, "}");
  }
  for (const Param& p : definition.params) absl::StrAppend(&out, " ", p.ToString());
  absl::StrAppend(&out, " = ", definition.result.ToString(), ";");
  return out;
}

std::string PrintTl(const Schema& schema) {
  std::string out;
  for (const BuiltinLine& line : schema.builtins) absl::StrAppend(&out, line.text, ";\n");
  if (!schema.builtins.empty()) out += '\n';
  Category section = Category::kConstructor;
  for (const Definition& d : schema.definitions) {
    if (d.category != section) {
      section = d.category;
      out += section == Category::kFunction ? "\n---functions---\n\n" : "\n---types---\n\n";
    }
    absl::StrAppend(&out, PrintDefinition(d), "\n");
  }
  if (schema.layer > 0) absl::StrAppend(&out, "\n// LAYER ", schema.layer, "\n");
  return out;
}

}  // namespace mtcore::tlgen
