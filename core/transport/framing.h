// MTProto transport framing: abridged, intermediate, padded intermediate, full.
//
// Pure codecs for both directions, so the client engine and the simulated DC
// share them. An encoder turns MTProto packets into stream bytes; a decoder
// takes stream bytes in any split (down to one byte at a time) and yields
// frames: a packet, a quick ack, or a transport error (a 4-byte negative code
// such as -404 sent by the server in place of a packet).
//
// The one-time protocol preamble (0xef, 0xeeeeeeee, 0xdddddddd; none for full)
// is not part of the frames: `Preamble()` gives it to a client that connects
// without obfuscation, and under obfuscated2 it travels inside the 64-byte
// init instead. A server recognises the framing from the first bytes with
// `SniffPreamble()`.
//
// Example (client side, intermediate):
//   FrameEncoder enc(Framing::kIntermediate);
//   Bytes wire = Preamble(Framing::kIntermediate);
//   MTCORE_RETURN_IF_ERROR(enc.EncodePacket(packet, {}, wire));
//   FrameDecoder dec(Framing::kIntermediate, Sender::kServer);
//   MTCORE_RETURN_IF_ERROR(dec.Feed(bytes_from_socket));
//   while (std::optional<Frame> f = dec.Next()) { ... }
#ifndef MTCORE_CORE_TRANSPORT_FRAMING_H_
#define MTCORE_CORE_TRANSPORT_FRAMING_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"

namespace mtcore::transport {

enum class Framing : uint8_t {
  kAbridged,
  kIntermediate,
  kPaddedIntermediate,
  kFull,
};

// "abridged", "intermediate", "padded intermediate", "full".
const char* FramingName(Framing framing);

// Who sent the bytes a decoder reads. Quick-ack bits mean different things in
// each direction (a request from the client, the ack token from the server).
enum class Sender : uint8_t { kClient, kServer };

// Bytes a client sends once before its first packet when the connection is
// not obfuscated: ef (abridged), ee ee ee ee (intermediate), dd dd dd dd
// (padded intermediate), nothing (full).
Bytes Preamble(Framing framing);

// The 4-byte protocol tag that obfuscated2 puts at offset 56 of its init:
// efefefef, eeeeeeee, dddddddd. Full framing has no tag (nullopt).
std::optional<uint32_t> ObfuscationTag(Framing framing);

// The framing a tag announces, or nullopt for an unknown tag.
std::optional<Framing> FramingFromTag(uint32_t tag);

// What the first bytes of a connection (server side) say.
struct SniffResult {
  enum class Kind {
    kNeedMoreBytes,  // fewer bytes than needed to decide
    kPlain,          // an unobfuscated framing; `framing` and `preamble_size` set
    kObfuscated,     // anything else: a 64-byte obfuscated2 init follows
  };
  Kind kind = Kind::kNeedMoreBytes;
  Framing framing = Framing::kFull;
  size_t preamble_size = 0;  // bytes to skip before the first frame
};
// Looks at the first bytes a client sent. Full framing is recognised by its
// first frame: a plausible length followed by sequence number 0.
SniffResult SniffPreamble(ByteView first_bytes);

// The default limit on one packet's payload (16 MiB); larger lengths are an
// error before any memory is allocated for them.
inline constexpr size_t kDefaultMaxPacketSize = 16u << 20;

// One decoded frame.
struct Frame {
  enum class Kind {
    kPacket,          // `payload` holds one MTProto packet
    kQuickAck,        // from the server: `quick_ack_token` (top bit set)
    kTransportError,  // from the server: `transport_error` (negative, e.g. -404)
  };
  Kind kind = Kind::kPacket;
  Bytes payload;
  // On packets from a client: the client asked for a quick ack.
  bool quick_ack_requested = false;
  uint32_t quick_ack_token = 0;
  int32_t transport_error = 0;
};

// Options for one outgoing packet.
struct EncodeOptions {
  // Ask the server for a quick ack (client to server only).
  bool request_quick_ack = false;
  // Padded intermediate only: the random padding (0..15 bytes) to append. The
  // caller draws it from its random source; the codec never reads one.
  ByteView padding;
};

// Frames outgoing packets. Keeps the sequence number of full framing.
class FrameEncoder {
 public:
  explicit FrameEncoder(Framing framing) : framing_(framing) {}

  // Appends `packet` framed to `out`. Errors (InvalidArgument): an empty
  // packet, a length that is not a multiple of 4 (every framing but padded
  // intermediate needs one), a packet over 2^24*4 bytes for abridged, more
  // than 15 bytes of padding or padding on another framing.
  absl::Status EncodePacket(ByteView packet, const EncodeOptions& options, Bytes& out);

  // Server side: a quick ack (`token` must have its top bit set) or a
  // transport error (`code` must be negative). Appended to `out`.
  absl::Status EncodeQuickAck(uint32_t token, Bytes& out);
  absl::Status EncodeTransportError(int32_t code, Bytes& out);

  Framing framing() const { return framing_; }

 private:
  Framing framing_;
  uint32_t full_seqno_ = 0;
};

// Reassembles frames from stream bytes fed in any split.
//
// Errors are sticky: after Feed() returns an error the connection's stream is
// unusable (the caller must close it); later calls return the same error.
// Every error is a DataLossError or ResourceExhaustedError naming the framing
// and what was wrong (bad CRC, wrong sequence number, oversized length, ...).
class FrameDecoder {
 public:
  FrameDecoder(Framing framing, Sender sender, size_t max_packet_size = kDefaultMaxPacketSize);

  // Consumes `bytes`; complete frames become available through Next().
  absl::Status Feed(ByteView bytes);

  // The next complete frame, if any.
  std::optional<Frame> Next();

  // Bytes held for an incomplete frame.
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  // Tries to cut one frame from the buffer; returns false when more bytes are needed.
  absl::StatusOr<bool> DecodeOne();
  absl::StatusOr<bool> DecodeAbridged();
  absl::StatusOr<bool> DecodeIntermediate();
  absl::StatusOr<bool> DecodeFull();
  absl::Status Fail(absl::Status status);
  absl::Status CheckLength(size_t length) const;
  void EmitPacket(const uint8_t* data, size_t size, bool quick_ack_requested);
  // Queues a 4-byte quick ack from the server and consumes it.
  void EmitQuickAck(uint32_t token);

  Framing framing_;
  Sender sender_;
  size_t max_packet_size_;
  Bytes buffer_;
  size_t consumed_ = 0;
  uint32_t full_seqno_ = 0;
  absl::Status error_;
  std::deque<Frame> frames_;
};

}  // namespace mtcore::transport

#endif  // MTCORE_CORE_TRANSPORT_FRAMING_H_
