// Arbitrary bytes into every service-message parser: errors, never crashes,
// and every view stays inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/session/service_messages.h"

namespace {
void CheckInside(mtcore::ByteView inner, const uint8_t* data, size_t size) {
  if (inner.empty()) return;
  if (inner.data() < data || inner.data() + inner.size() > data + size) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mtcore::session;
  mtcore::ByteView in(data, size);
  if (auto r = ParseRpcResult(in); r.ok()) CheckInside(r->result, data, size);
  (void)ParseRpcError(in);
  if (auto c = ParseContainer(in); c.ok()) {
    for (const ContainerItem& i : *c) CheckInside(i.body, data, size);
  }
  if (auto g = ParseGzipPacked(in); g.ok()) CheckInside(*g, data, size);
  (void)ParseMsgIdList(in, ids::kMsgsAck);
  (void)ParseBadMsgNotification(in);
  (void)ParseNewSessionCreated(in);
  (void)ParsePong(in);
  (void)ParseFutureSalts(in);
  if (auto s = ParseMsgsStateInfo(in); s.ok()) CheckInside(s->info, data, size);
  (void)ParseMsgsAllInfo(in);
  (void)ParseMsgDetailedInfo(in);
  (void)ParseDestroySessionResult(in);
  return 0;
}
