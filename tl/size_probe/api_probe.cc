// A wasm binary that references the whole generated API (every constructor's
// and function's read, write, size, print, copy and compare code, through
// the type-erased readers), for measuring what //tl:api adds to a binary:
//   ./bazelw build --config=wasm -c opt --copt=-Oz --linkopt=-Oz
//       //tl/size_probe:api_probe //tl/size_probe:runtime_probe   (one line)
// and compare the gzipped .wasm sizes.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "tl/api.h"

int main() {
  std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  mtcore::tl::Reader r(mtcore::AsBytes(in));
  mtcore::tl::AnyObject o = in.size() % 2 ? mtcore::tl::AnyObject(mtcore::tl::AnyFunction::ReadBoxed(r))
                                          : mtcore::tl::AnyObject::ReadBoxed(r);
  mtcore::tl::AnyObject copy = o;
  absl::StatusOr<mtcore::Bytes> wire = mtcore::tl::Serialize(copy);
  std::printf("%s %d %zu %s\n", mtcore::tl::to_string(o).c_str(), int(copy == o),
              wire.ok() ? wire->size() : 0, mtcore::tl::ConstructorName(o.id()));
  return 0;
}
