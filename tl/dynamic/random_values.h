// Random Values for every constructor and method of a schema, built from the
// schema alone (independently of the codec's tables): for property tests
// (random_test) and for samples of what the codec writes (//web:api_json_samples).
//
// Below `shallow_depth` nesting, boxed fields pick any constructor and vectors
// hold up to `max_vector_items` items; deeper, vectors are empty and boxed
// fields take the constructor of least height (the depth of its smallest
// object, following only the fields that must be present), so generation
// ends even on recursive types.
#ifndef MTCORE_TL_DYNAMIC_RANDOM_VALUES_H_
#define MTCORE_TL_DYNAMIC_RANDOM_VALUES_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tl/dynamic/value.h"
#include "tlgen/definition.h"

namespace mtcore::tl::dynamic {

struct RandomValueOptions {
  // Nesting below which boxed fields pick any constructor and vectors may
  // hold items.
  int shallow_depth = 3;
  // Vectors above shallow_depth hold 0..max_vector_items items.
  int max_vector_items = 3;
  // Flags words random at every depth; if false, flags words at or below
  // shallow_depth are 0 (optional fields left out, true flags false).
  bool deep_flags = true;
  // Generic `!X` params: a call of a random non-generic method; if false, the
  // call help.getConfig.
  bool random_generic_calls = true;
  // Strings and bytes: if true, short strings of JSON-tricky pieces (quotes,
  // backslashes, control characters, non-ASCII, sometimes not UTF-8) and
  // bytes of up to 4; if false, random bytes, sometimes past 253 (the 4-byte
  // length form).
  bool json_text = false;
  // Doubles: if true, sometimes NaN or -infinity, otherwise small fractions;
  // if false, any finite bit pattern.
  bool nonfinite_doubles = false;
};

class RandomValues {
 public:
  // `schema` must outlive this object.
  RandomValues(const tlgen::Schema& schema, uint64_t seed, RandomValueOptions options = {});

  // A random object of constructor or method `d` at nesting `depth` (0: top).
  Value ObjectFor(const tlgen::Definition& d, int depth = 0);

  // Height of a constructor (1 for one without required object fields).
  int Height(const tlgen::Definition& ctor) const;

 private:
  uint64_t Next() { return rng_(); }
  std::string RandomBytes();
  std::string RandomText();
  const tlgen::Definition* Pick(const std::string& type, int depth);
  Value Make(const tlgen::Definition& owner, const tlgen::TypeRef& t, int depth);
  void ComputeHeights();

  RandomValueOptions options_;
  std::mt19937_64 rng_;
  std::map<std::string, std::vector<const tlgen::Definition*>> ctors_of_;
  std::map<std::string, const tlgen::Definition*> ctor_named_;
  std::map<const tlgen::Definition*, int> height_;
  std::vector<const tlgen::Definition*> functions_;
  const tlgen::Definition* get_config_ = nullptr;
};

}  // namespace mtcore::tl::dynamic

#endif  // MTCORE_TL_DYNAMIC_RANDOM_VALUES_H_
