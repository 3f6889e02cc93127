// The baseline for api_probe: the same program shape with only the TL
// runtime (a vector of longs instead of any object).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "tl/values.h"

int main() {
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  absl::StatusOr<std::vector<int64_t>> v =
      mtcore::tl::Parse<std::vector<int64_t>>(mtcore::AsBytes(in));
  std::vector<int64_t> copy = v.ok() ? *v : std::vector<int64_t>{};
  absl::StatusOr<mtcore::Bytes> wire = mtcore::tl::Serialize(copy);
  std::printf("%s %zu\n", mtcore::tl::to_string(copy).c_str(), wire.ok() ? wire->size() : 0);
  return 0;
}
