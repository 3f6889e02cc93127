#include "tl/dynamic/random_values.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

namespace mtcore::tl::dynamic {

using tlgen::Definition;
using tlgen::TypeRef;

RandomValues::RandomValues(const tlgen::Schema& schema, uint64_t seed, RandomValueOptions options)
    : options_(options), rng_(seed) {
  for (const Definition& d : schema.definitions) {
    if (d.category == tlgen::Category::kFunction) {
      if (d.generic_params.empty()) functions_.push_back(&d);
      if (d.name == "help.getConfig") get_config_ = &d;
      continue;
    }
    ctors_of_[d.result.name].push_back(&d);
    ctor_named_[d.name] = &d;
  }
  ComputeHeights();
}

int RandomValues::Height(const Definition& ctor) const {
  auto it = height_.find(&ctor);
  return it == height_.end() ? 1 : it->second;
}

Value RandomValues::ObjectFor(const Definition& d, int depth) {
  Object o(d.name);
  std::map<std::string, uint32_t> words;
  for (const tlgen::Param& p : d.params) {
    if (p.IsFlagsField()) {
      bool random = options_.deep_flags || depth < options_.shallow_depth;
      words[p.name] = random ? static_cast<uint32_t>(Next()) : 0;
      continue;
    }
    if (p.flag) {
      bool set = (words[p.flag->field] >> p.flag->bit) & 1;
      if (p.IsTrueFlag()) {
        o.fields.push_back(Field{p.name, Value(set)});
        continue;
      }
      if (!set) continue;
    }
    o.fields.push_back(Field{p.name, Make(d, p.type, depth + 1)});
  }
  return Value(std::move(o));
}

std::string RandomValues::RandomBytes() {
  size_t n;
  if (options_.json_text) {
    n = Next() % 5;
  } else {
    // Mostly short; sometimes past 253 bytes (the 4-byte length form).
    n = Next() % 8 == 0 ? 254 + Next() % 300 : Next() % 40;
  }
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(Next());
  return s;
}

std::string RandomValues::RandomText() {
  static constexpr const char* kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "é", "€", "😀",
                                            "</script>", "\x01"};
  std::string s;
  int n = static_cast<int>(Next() % 6);
  for (int i = 0; i < n; ++i) s += kPieces[Next() % std::size(kPieces)];
  if (Next() % 8 == 0) s += "\xff";  // not UTF-8: written to JSON as {"$bytes": ...}
  return s;
}

const Definition* RandomValues::Pick(const std::string& type, int depth) {
  auto it = ctors_of_.find(type);
  if (it == ctors_of_.end()) return nullptr;
  const std::vector<const Definition*>& ctors = it->second;
  if (depth < options_.shallow_depth) return ctors[Next() % ctors.size()];
  const Definition* best = ctors[0];
  for (const Definition* d : ctors) {
    if (height_[d] < height_[best]) best = d;
  }
  return best;
}

Value RandomValues::Make(const Definition& owner, const TypeRef& t, int depth) {
  if (t.generic_ref || owner.IsGenericParam(t.name)) {
    if (options_.random_generic_calls && !functions_.empty()) {
      const Definition* f = functions_[Next() % functions_.size()];
      return ObjectFor(*f, options_.shallow_depth);  // a shallow call: no deep recursion
    }
    if (get_config_ != nullptr) return ObjectFor(*get_config_, options_.shallow_depth);
    return Value(Object("help.getConfig"));
  }
  if (t.IsVector()) {
    int n = depth < options_.shallow_depth
                ? static_cast<int>(Next() % (static_cast<uint64_t>(options_.max_vector_items) + 1))
                : 0;
    std::vector<Value> items;
    for (int i = 0; i < n; ++i) items.push_back(Make(owner, t.args[0], depth));
    return Value(std::move(items));
  }
  const std::string& n = t.name;
  if (n == "int" || n == "#") return Value(static_cast<int32_t>(Next()));
  if (n == "long") return Value(static_cast<int64_t>(Next()));
  if (n == "double") {
    if (options_.nonfinite_doubles) {
      switch (Next() % 8) {
        case 0: return Value(std::numeric_limits<double>::quiet_NaN());
        case 1: return Value(-std::numeric_limits<double>::infinity());
        default: return Value(static_cast<double>(static_cast<int32_t>(Next())) / 7.0);
      }
    }
    double d;
    do {
      uint64_t bits = Next();
      std::memcpy(&d, &bits, sizeof d);
    } while (!std::isfinite(d));
    return Value(d);
  }
  if (n == "string") return Value(options_.json_text ? RandomText() : RandomBytes());
  if (n == "bytes") return Value(RandomBytes());
  if (n == "int128" || n == "int256") {
    Int256 a;
    for (uint8_t& b : a) b = static_cast<uint8_t>(Next());
    if (n == "int256") return Value(a);
    Int128 h;
    std::memcpy(h.data(), a.data(), 16);
    return Value(h);
  }
  if (n == "Bool" || n == "true") return Value(Next() % 2 == 1);
  const Definition* ctor = nullptr;
  if (auto it = ctor_named_.find(n); t.bare && it != ctor_named_.end()) {
    ctor = it->second;
  } else if (t.bare) {
    auto cs = ctors_of_.find(n);
    if (cs != ctors_of_.end()) ctor = cs->second[0];
  } else {
    ctor = Pick(n, depth);
  }
  if (ctor == nullptr) return Value();  // a type without constructors: the codec says why
  return ObjectFor(*ctor, depth);
}

// height(ctor) = 1 + max height of the types its required fields need
// (vectors may be empty); height(type) = min over its constructors.
void RandomValues::ComputeHeights() {
  constexpr int kInf = 1 << 20;
  for (auto& [type, ctors] : ctors_of_) {
    for (const Definition* d : ctors) height_[d] = kInf;
  }
  auto type_height = [&](const TypeRef& t) {
    if (t.bare) {
      if (auto c = ctor_named_.find(t.name); c != ctor_named_.end()) return height_[c->second];
    }
    auto it = ctors_of_.find(t.name);
    if (it == ctors_of_.end()) return 0;
    int best = kInf;
    for (const Definition* d : it->second) best = std::min(best, height_[d]);
    return best;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& [d, h] : height_) {
      int mine = 1;
      for (const tlgen::Param& p : d->params) {
        if (p.flag || p.IsFlagsField() || p.type.IsVector() || p.type.generic_ref) continue;
        mine = std::max(mine, 1 + type_height(p.type));
      }
      mine = std::min(mine, kInf);
      if (mine < h) {
        h = mine;
        changed = true;
      }
    }
  }
}

}  // namespace mtcore::tl::dynamic
