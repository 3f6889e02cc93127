// Drives the update-gap engine with whatever the bytes say: pushed Updates,
// difference answers (well-formed or not, asked for or not), failures,
// state resets and time jumps with timeouts. It must never crash, every
// answer it does not expect must be an error, and its buffers must stay
// within their caps (small here, so the overflow paths run).
//
// Input: a sequence of ops, one byte each (op % 8), some followed by a
// chunk (2-byte little-endian length, then that many bytes of TL):
//   0 chunk: OnUpdates(Updates)          4 chunk: SetState(updates.State)
//   1 chunk: OnDifference                5 OnDifferenceFailed
//   2 chunk: OnChannelDifference (the    6 OnChannelDifferenceFailed (same)
//     channel last asked for)            7 RequestDifference
//   3 byte: time advances byte * 37 ms, then OnTimeout if due
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/updates/update_gap_engine.h"
#include "tl/api.h"

namespace {

using mtcore::ByteView;
namespace tl = mtcore::tl;
namespace up = mtcore::updates;

struct Input {
  const uint8_t* p;
  size_t n;
  bool Byte(uint8_t& b) {
    if (n == 0) return false;
    b = *p++;
    --n;
    return true;
  }
  ByteView Chunk() {
    uint8_t lo = 0, hi = 0;
    Byte(lo);
    Byte(hi);
    size_t len = std::min<size_t>(n, lo | (hi << 8));
    ByteView v(p, len);
    p += len;
    n -= len;
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  up::UpdateGapConfig config;
  config.max_buffered_updates = 64;
  config.max_buffered_channel_updates = 64;
  config.max_channels = 8;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  up::UpdateGapEngine engine(config, now);
  int64_t channel = 0;
  Input in{data, size};
  uint8_t op = 0;
  while (in.Byte(op)) {
    switch (op % 8) {
      case 0:
        if (auto u = tl::Parse<tl::Updates>(in.Chunk()); u.ok()) {
          (void)engine.OnUpdates(std::move(*u), now);
        }
        break;
      case 1:
        if (auto d = tl::Parse<tl::updates_Difference>(in.Chunk()); d.ok()) {
          (void)engine.OnDifference(*d, now);
        }
        break;
      case 2:
        if (auto d = tl::Parse<tl::updates_ChannelDifference>(in.Chunk()); d.ok()) {
          (void)engine.OnChannelDifference(channel, *d, now);
        }
        break;
      case 3: {
        uint8_t b = 0;
        in.Byte(b);
        now += absl::Milliseconds(37) * b;
        if (engine.NextDeadline() <= now) engine.OnTimeout(now);
        if (engine.NextDeadline() <= now) std::abort();  // every due timer fired
        break;
      }
      case 4:
        if (auto s = tl::Parse<tl::updates_State>(in.Chunk()); s.ok()) {
          (void)engine.SetState(*s, now);
        }
        break;
      case 5:
        engine.OnDifferenceFailed(now);
        break;
      case 6:
        engine.OnChannelDifferenceFailed(channel, now);
        break;
      case 7:
        engine.RequestDifference(now);
        break;
    }
    if (engine.buffered_updates() > config.max_buffered_updates) std::abort();
    if (engine.buffered_channel_updates() > config.max_buffered_channel_updates) std::abort();
    while (auto e = engine.PollEvent()) {
      if (e->kind == up::UpdateEvent::Kind::kUpdate && (!e->update || !e->entities)) std::abort();
      if (e->kind == up::UpdateEvent::Kind::kGetChannelDifference) channel = e->channel_id;
      if (e->kind == up::UpdateEvent::Kind::kGetState) {
        // Answer at once with a fixed state half of the time.
        if (op & 0x80) (void)engine.SetState(tl::updates_state{.pts = 10, .qts = 5, .seq = 1}, now);
      }
    }
  }
  return 0;
}
