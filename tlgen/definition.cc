#include "tlgen/definition.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace mtcore::tlgen {
namespace {

std::string_view NamespaceOf(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
}

std::string_view ShortNameOf(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

}  // namespace

bool IsValidTlName(std::string_view name) {
  if (name.empty()) return false;
  bool at_part_start = true;
  for (char c : name) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (at_part_start) {
      if (!alpha) return false;
      at_part_start = false;
    } else if (c == '.') {
      at_part_start = true;
    } else if (!alpha && !digit && c != '_') {
      return false;
    }
  }
  return !at_part_start;
}

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  return absl::StrCat(file, ":", line, ":", column);
}

TypeRef TypeRef::Named(std::string name) {
  TypeRef ref;
  std::string_view short_name = ShortNameOf(name);
  ref.bare = short_name.empty() || !(short_name[0] >= 'A' && short_name[0] <= 'Z');
  ref.name = std::move(name);
  return ref;
}

bool TypeRef::IsVector() const {
  return (name == "Vector" || name == "vector") && args.size() == 1;
}

std::string_view TypeRef::Namespace() const { return NamespaceOf(name); }

std::string_view TypeRef::ShortName() const { return ShortNameOf(name); }

std::string TypeRef::ToString() const {
  std::string out;
  if (generic_ref) out += '!';
  std::string_view short_name = ShortName();
  if (bare && !short_name.empty() && short_name[0] >= 'A' && short_name[0] <= 'Z') {
    out += '%';
  }
  out += name;
  if (!args.empty()) {
    out += '<';
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) out += ',';
      out += args[i].ToString();
    }
    out += '>';
  }
  return out;
}

std::string Param::ToString() const {
  std::string out = absl::StrCat(name, ":");
  if (flag) absl::StrAppend(&out, flag->field, ".", flag->bit, "?");
  out += type.ToString();
  return out;
}

std::string_view Definition::Namespace() const { return NamespaceOf(name); }

std::string_view Definition::ShortName() const { return ShortNameOf(name); }

const Param* Definition::FindParam(std::string_view param_name) const {
  for (const Param& p : params) {
    if (p.name == param_name) return &p;
  }
  return nullptr;
}

bool Definition::IsGenericParam(std::string_view param_name) const {
  for (const GenericParam& g : generic_params) {
    if (g.name == param_name) return true;
  }
  return false;
}

bool operator==(const Definition& a, const Definition& b) {
  return a.name == b.name && a.id == b.id && a.explicit_id == b.explicit_id &&
         a.generic_params == b.generic_params && a.params == b.params &&
         a.result == b.result && a.category == b.category;
}

int Schema::Count(Category category) const {
  int n = 0;
  for (const Definition& d : definitions) n += d.category == category;
  return n;
}

const Definition* Schema::Find(std::string_view name, Category category) const {
  for (const Definition& d : definitions) {
    if (d.category == category && d.name == name) return &d;
  }
  return nullptr;
}

const Definition* Schema::FindById(uint32_t id) const {
  for (const Definition& d : definitions) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

std::vector<const Definition*> Schema::ConstructorsOf(std::string_view type_name) const {
  std::vector<const Definition*> out;
  for (const Definition& d : definitions) {
    if (d.category == Category::kConstructor && d.result.name == type_name) out.push_back(&d);
  }
  return out;
}

}  // namespace mtcore::tlgen
