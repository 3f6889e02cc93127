// Fuzz target: the FakeTLS parsers on arbitrary bytes: the proxy's ClientHello
// check, the client's ServerHello check, and the record reader in pieces.
#include <cstdlib>

#include "core/transport/fake_tls.h"

using namespace mtcore;
using namespace mtcore::transport;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t kKey[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t kRandom[32] = {};
  ByteView in(data, size);
  auto hello = ParseFakeTlsClientHello(in, ByteView(kKey, 16), 1767225600);
  if (hello.ok() && hello->has_value() && (*hello)->size > size) std::abort();
  auto server = CheckFakeTlsServerHello(in, ByteView(kRandom, 32), ByteView(kKey, 16));
  if (server.ok() && *server > size) std::abort();
  TlsRecordReader reader;
  Bytes out;
  size_t step = size > 0 ? 1 + data[0] % 64 : 1;
  for (size_t at = 0; at < size; at += step) {
    if (!reader.Feed(in.subspan(at, step), out).ok()) break;
  }
  if (out.size() > size) std::abort();
  return 0;
}
