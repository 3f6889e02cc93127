// Fuzz target: every framing decoder, both senders, arbitrary bytes in
// arbitrary splits. The first byte picks framing and sender, the second the
// split size. Decoding must never crash and every frame must be well formed.
#include <cstdlib>

#include "core/transport/framing.h"

using mtcore::ByteView;
using mtcore::transport::Frame;
using mtcore::transport::FrameDecoder;
using mtcore::transport::Framing;
using mtcore::transport::Sender;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Framing framing = static_cast<Framing>(data[0] & 3);
  Sender sender = (data[0] & 4) ? Sender::kServer : Sender::kClient;
  size_t step = 1 + data[1];
  data += 2;
  size -= 2;
  FrameDecoder dec(framing, sender, /*max_packet_size=*/1 << 16);
  for (size_t at = 0; at < size; at += step) {
    size_t n = std::min(step, size - at);
    if (!dec.Feed(ByteView(data + at, n)).ok()) break;
    while (auto f = dec.Next()) {
      if (f->kind == Frame::Kind::kPacket && (f->payload.empty() || f->payload.size() > (1 << 16))) {
        std::abort();
      }
      if (f->kind == Frame::Kind::kTransportError && f->transport_error >= 0) std::abort();
      if (f->kind == Frame::Kind::kQuickAck && (f->quick_ack_token & 0x80000000u) == 0) std::abort();
    }
  }
  return 0;
}
