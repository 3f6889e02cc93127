// api_json_samples: writes a TypeScript module that assigns the JSON the
// browser client's codec writes (DynamicCodec::ToJson) for random objects of
// every constructor and method of a schema to the generated declarations'
// types (mtcore_api.d.mts): constructors as results (`tl.user`, Out mode),
// method calls as requests (`fn.messages.sendMessage`, In mode). tsc --strict
// over it (//web:typings_test) checks that the declarations accept what the
// codec really writes. Every sample is also read back with FromJson.
//
// Usage:
//   api_json_samples --schema=API_SCHEMA --out=FILE.mts [--seed=N] [--per_definition=K]
//
// Values are made from the schema alone: random scalars (strings sometimes
// not UTF-8, doubles sometimes NaN or infinite), flags set at random, vectors
// of up to 2 items and any constructor of a boxed type near the top; deeper,
// optional fields are left out, vectors are empty and boxed fields take the
// constructor of least height, so every object is finite.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tl/dynamic/codec.h"
#include "tlgen/definition.h"
#include "tlgen/gen/ts_generator.h"
#include "tlgen/load.h"

namespace {

using mtcore::tl::dynamic::Field;
using mtcore::tl::dynamic::Object;
using mtcore::tl::dynamic::Value;
using mtcore::tlgen::Category;
using mtcore::tlgen::Definition;
using mtcore::tlgen::Param;
using mtcore::tlgen::TypeRef;

constexpr int kShallow = 2;
constexpr int kInfinite = 1 << 20;

class Samples {
 public:
  Samples(const mtcore::tlgen::Schema& schema, uint64_t seed) : rng_(seed) {
    for (const Definition& d : schema.definitions) {
      if (d.category == Category::kFunction) continue;
      ctors_of_[d.result.name].push_back(&d);
      ctor_named_[d.name] = &d;
    }
    // Height: the depth of the smallest object of a type, following only the
    // fields that must be present (required and not a vector).
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& [type, ctors] : ctors_of_) {
        int best = kInfinite;
        for (const Definition* c : ctors) best = std::min(best, CtorHeight(*c));
        int& h = type_height_[type];
        if (h == 0) h = kInfinite;
        if (best < h) {
          h = best;
          changed = true;
        }
      }
    }
  }

  Value ObjectFor(const Definition& d, int depth) {
    Object o(d.name);
    std::map<std::string, uint32_t> words;
    for (const Param& p : d.params) {
      if (p.IsFlagsField()) {
        words[p.name] = depth < kShallow ? static_cast<uint32_t>(rng_()) : 0;
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

 private:
  bool Required(const Param& p) const { return !p.flag && !p.IsFlagsField(); }

  int CtorHeight(const Definition& d) {
    int h = 1;
    for (const Param& p : d.params) {
      if (!Required(p) || p.type.IsVector() || p.type.generic_ref) continue;
      auto t = type_height_.find(p.type.name);
      if (t != type_height_.end()) h = std::max(h, t->second == kInfinite ? kInfinite : 1 + t->second);
      auto c = ctor_named_.find(p.type.name);
      if (c != ctor_named_.end() && p.type.bare) {
        auto ct = type_height_.find(c->second->result.name);
        if (ct != type_height_.end()) h = std::max(h, ct->second == kInfinite ? kInfinite : 1 + ct->second);
      }
    }
    return h;
  }

  template <size_t N>
  std::array<uint8_t, N> RandomArray() {
    std::array<uint8_t, N> a;
    for (uint8_t& b : a) b = static_cast<uint8_t>(rng_());
    return a;
  }

  std::string RandomText() {
    static constexpr const char* kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "\n", "é", "€", "😀",
                                              "</script>", "\x01"};
    std::string s;
    int n = static_cast<int>(rng_() % 6);
    for (int i = 0; i < n; ++i) s += kPieces[rng_() % std::size(kPieces)];
    if (rng_() % 8 == 0) s += "\xff";  // not UTF-8: written as {"$bytes": ...}
    return s;
  }

  std::string RandomBytes() {
    std::string s(rng_() % 5, '\0');
    for (char& c : s) c = static_cast<char>(rng_());
    return s;
  }

  Value Make(const Definition& d, const TypeRef& t, int depth) {
    if (t.generic_ref) return Value(Object("help.getConfig"));
    const std::string& n = t.name;
    if (t.IsVector()) {
      std::vector<Value> items;
      int count = depth < kShallow ? static_cast<int>(rng_() % 3) : 0;
      for (int i = 0; i < count; ++i) items.push_back(Make(d, t.args[0], depth + 1));
      return Value(std::move(items));
    }
    if (n == "int" || n == "#") return Value(static_cast<int32_t>(rng_()));
    if (n == "long") return Value(static_cast<int64_t>(rng_()));
    if (n == "double") {
      switch (rng_() % 8) {
        case 0: return Value(std::numeric_limits<double>::quiet_NaN());
        case 1: return Value(-std::numeric_limits<double>::infinity());
        default: return Value(static_cast<double>(static_cast<int32_t>(rng_())) / 7.0);
      }
    }
    if (n == "string") return Value(RandomText());
    if (n == "bytes") return Value(RandomBytes());
    if (n == "int128") return Value(RandomArray<16>());
    if (n == "int256") return Value(RandomArray<32>());
    if (n == "Bool" || n == "true") return Value(rng_() % 2 == 0);
    const Definition* ctor = nullptr;
    if (auto c = ctor_named_.find(n); c != ctor_named_.end() && t.bare) {
      ctor = c->second;
    } else if (auto cs = ctors_of_.find(n); cs != ctors_of_.end()) {
      const std::vector<const Definition*>& ctors = cs->second;
      if (depth < kShallow) {
        ctor = ctors[rng_() % ctors.size()];
      } else {
        ctor = *std::min_element(ctors.begin(), ctors.end(), [&](const Definition* a, const Definition* b) {
          return CtorHeight(*a) < CtorHeight(*b);
        });
      }
    }
    if (ctor == nullptr) return Value();  // a type without constructors: the codec says why
    return ObjectFor(*ctor, depth);
  }

  std::mt19937_64 rng_;
  std::map<std::string, std::vector<const Definition*>> ctors_of_;
  std::map<std::string, const Definition*> ctor_named_;
  std::map<std::string, int> type_height_;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "api_json_samples: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string schema_path, out;
  uint64_t seed = 1;
  int per_definition = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (absl::StartsWith(a, "--schema=")) {
      schema_path = a.substr(9);
    } else if (absl::StartsWith(a, "--out=")) {
      out = a.substr(6);
    } else if (absl::StartsWith(a, "--seed=")) {
      if (!absl::SimpleAtoi(a.substr(7), &seed)) return Fail("bad " + a);
    } else if (absl::StartsWith(a, "--per_definition=")) {
      if (!absl::SimpleAtoi(a.substr(17), &per_definition)) return Fail("bad " + a);
    } else {
      return Fail("unknown argument " + a);
    }
  }
  if (schema_path.empty() || out.empty()) return Fail("usage: api_json_samples --schema=FILE --out=FILE");
  auto schema = mtcore::tlgen::LoadSchemaFile(schema_path);
  if (!schema.ok()) return Fail(std::string(schema.status().message()));
  auto codec = mtcore::tl::dynamic::DynamicCodec::Create(*schema);
  if (!codec.ok()) return Fail(std::string(codec.status().message()));
  Samples samples(*schema, seed);
  std::string text = absl::StrCat(
      "// Generated by //web:api_json_samples (web/api_json_samples.cc): what the codec\n"
      "// writes for random objects, typed by mtcore_api.d.mts. Do not edit.\n"
      "import type { fn, tl } from './mtcore_api.mjs';\n\n");
  int n = 0;
  for (const Definition& d : schema->definitions) {
    bool method = d.category == Category::kFunction;
    for (int i = 0; i < per_definition; ++i) {
      Value v = samples.ObjectFor(d, 0);
      auto json = codec->ToJson(v, method ? "Function" : d.result.ToString());
      if (!json.ok()) return Fail(absl::StrCat(d.name, ": ", json.status().message()));
      auto back = codec->FromJson(*json, method ? "Function" : d.result.ToString());
      if (!back.ok()) return Fail(absl::StrCat(d.name, ": ", back.status().message()));
      absl::StrAppend(&text, "export const s", n++, ": ",
                      mtcore::tlgen::TsName(method ? "fn" : "tl", d.name), " = ", *json, ";\n");
    }
  }
  std::ofstream f(out, std::ios::binary);
  f << text;
  f.close();
  if (!f) return Fail("cannot write " + out);
  return 0;
}
