#include "core/transport/framing.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "zlib.h"

namespace mtcore::transport {

namespace {

constexpr uint32_t kAbridgedTag = 0xefefefefu;
constexpr uint32_t kIntermediateTag = 0xeeeeeeeeu;
constexpr uint32_t kPaddedTag = 0xddddddddu;
constexpr size_t kFullOverhead = 12;  // length + seqno + crc

uint32_t Crc32(const uint8_t* data, size_t size) {
  return static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size)));
}

void AppendLe32(Bytes& out, uint32_t v) {
  size_t at = out.size();
  out.resize(at + 4);
  StoreLe32(out.data() + at, v);
}

}  // namespace

const char* FramingName(Framing framing) {
  switch (framing) {
    case Framing::kAbridged:
      return "abridged";
    case Framing::kIntermediate:
      return "intermediate";
    case Framing::kPaddedIntermediate:
      return "padded intermediate";
    case Framing::kFull:
      return "full";
  }
  return "unknown";
}

Bytes Preamble(Framing framing) {
  switch (framing) {
    case Framing::kAbridged:
      return {0xef};
    case Framing::kIntermediate:
      return {0xee, 0xee, 0xee, 0xee};
    case Framing::kPaddedIntermediate:
      return {0xdd, 0xdd, 0xdd, 0xdd};
    case Framing::kFull:
      return {};
  }
  return {};
}

std::optional<uint32_t> ObfuscationTag(Framing framing) {
  switch (framing) {
    case Framing::kAbridged:
      return kAbridgedTag;
    case Framing::kIntermediate:
      return kIntermediateTag;
    case Framing::kPaddedIntermediate:
      return kPaddedTag;
    case Framing::kFull:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Framing> FramingFromTag(uint32_t tag) {
  switch (tag) {
    case kAbridgedTag:
      return Framing::kAbridged;
    case kIntermediateTag:
      return Framing::kIntermediate;
    case kPaddedTag:
      return Framing::kPaddedIntermediate;
    default:
      return std::nullopt;
  }
}

SniffResult SniffPreamble(ByteView b) {
  SniffResult r;
  if (b.empty()) return r;
  if (b[0] == 0xef) {
    r.kind = SniffResult::Kind::kPlain;
    r.framing = Framing::kAbridged;
    r.preamble_size = 1;
    return r;
  }
  if (b.size() < 8) return r;
  uint32_t first = LoadLe32(b.data());
  if (first == kIntermediateTag || first == kPaddedTag) {
    r.kind = SniffResult::Kind::kPlain;
    r.framing = first == kIntermediateTag ? Framing::kIntermediate : Framing::kPaddedIntermediate;
    r.preamble_size = 4;
    return r;
  }
  // Full framing: the first frame's length, then sequence number 0. An
  // obfuscated2 init never has zero in bytes 4..8 (clients exclude it).
  uint32_t second = LoadLe32(b.data() + 4);
  if (second == 0 && first >= kFullOverhead + 4 && first % 4 == 0 &&
      first <= kDefaultMaxPacketSize + kFullOverhead) {
    r.kind = SniffResult::Kind::kPlain;
    r.framing = Framing::kFull;
    r.preamble_size = 0;
    return r;
  }
  r.kind = SniffResult::Kind::kObfuscated;
  return r;
}

absl::Status FrameEncoder::EncodePacket(ByteView packet, const EncodeOptions& options,
                                        Bytes& out) {
  if (packet.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(FramingName(framing_), ": empty packet"));
  }
  if (packet.size() % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        FramingName(framing_), ": packet length ", packet.size(), " is not a multiple of 4"));
  }
  if (!options.padding.empty() && framing_ != Framing::kPaddedIntermediate) {
    return absl::InvalidArgumentError(
        absl::StrCat(FramingName(framing_), ": padding is only for padded intermediate"));
  }
  if (options.padding.size() > 15) {
    return absl::InvalidArgumentError(
        absl::StrCat("padded intermediate: ", options.padding.size(), " bytes of padding (at most 15)"));
  }
  const uint32_t quick_ack = options.request_quick_ack ? 0x80000000u : 0;
  switch (framing_) {
    case Framing::kAbridged: {
      size_t words = packet.size() / 4;
      if (words >= (1u << 24)) {
        return absl::InvalidArgumentError(
            absl::StrCat("abridged: packet length ", packet.size(), " does not fit 24 bits of words"));
      }
      uint8_t flag = options.request_quick_ack ? 0x80 : 0;
      if (words < 0x7f) {
        out.push_back(uint8_t(words) | flag);
      } else {
        out.push_back(0x7f | flag);
        out.push_back(uint8_t(words));
        out.push_back(uint8_t(words >> 8));
        out.push_back(uint8_t(words >> 16));
      }
      out.insert(out.end(), packet.begin(), packet.end());
      return absl::OkStatus();
    }
    case Framing::kIntermediate:
    case Framing::kPaddedIntermediate: {
      size_t total = packet.size() + options.padding.size();
      if (total >= 0x80000000u) {
        return absl::InvalidArgumentError(absl::StrCat(FramingName(framing_), ": packet too long"));
      }
      AppendLe32(out, uint32_t(total) | quick_ack);
      out.insert(out.end(), packet.begin(), packet.end());
      out.insert(out.end(), options.padding.begin(), options.padding.end());
      return absl::OkStatus();
    }
    case Framing::kFull: {
      if (packet.size() + kFullOverhead >= 0x80000000u) {
        return absl::InvalidArgumentError("full: packet too long");
      }
      size_t start = out.size();
      AppendLe32(out, uint32_t(packet.size() + kFullOverhead));
      AppendLe32(out, full_seqno_++);
      out.insert(out.end(), packet.begin(), packet.end());
      AppendLe32(out, Crc32(out.data() + start, out.size() - start));
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown framing");
}

absl::Status FrameEncoder::EncodeQuickAck(uint32_t token, Bytes& out) {
  if ((token & 0x80000000u) == 0) {
    return absl::InvalidArgumentError("quick ack token must have its top bit set");
  }
  size_t at = out.size();
  out.resize(at + 4);
  if (framing_ == Framing::kAbridged) {
    StoreBe32(out.data() + at, token);  // byte-swapped, so the first byte has 0x80
  } else {
    StoreLe32(out.data() + at, token);
  }
  return absl::OkStatus();
}

absl::Status FrameEncoder::EncodeTransportError(int32_t code, Bytes& out) {
  if (code >= 0) {
    return absl::InvalidArgumentError(absl::StrCat("transport error code ", code, " is not negative"));
  }
  uint8_t body[4];
  StoreLe32(body, static_cast<uint32_t>(code));
  return EncodePacket(ByteView(body, 4), {}, out);
}

FrameDecoder::FrameDecoder(Framing framing, Sender sender, size_t max_packet_size)
    : framing_(framing), sender_(sender), max_packet_size_(max_packet_size) {}

absl::Status FrameDecoder::Fail(absl::Status status) {
  error_ = std::move(status);
  buffer_.clear();
  consumed_ = 0;
  return error_;
}

absl::Status FrameDecoder::CheckLength(size_t length) const {
  if (length == 0) {
    return absl::DataLossError(absl::StrCat(FramingName(framing_), ": zero-length packet"));
  }
  if (length > max_packet_size_) {
    return absl::ResourceExhaustedError(absl::StrCat(FramingName(framing_), ": packet length ",
                                                     length, " exceeds the limit ",
                                                     max_packet_size_));
  }
  if (framing_ != Framing::kPaddedIntermediate && length % 4 != 0) {
    return absl::DataLossError(absl::StrCat(FramingName(framing_), ": packet length ", length,
                                            " is not a multiple of 4"));
  }
  return absl::OkStatus();
}

void FrameDecoder::EmitQuickAck(uint32_t token) {
  Frame f;
  f.kind = Frame::Kind::kQuickAck;
  f.quick_ack_token = token;
  frames_.push_back(std::move(f));
  consumed_ += 4;
}

void FrameDecoder::EmitPacket(const uint8_t* data, size_t size, bool quick_ack_requested) {
  Frame f;
  // From the server, a packet too short to be an MTProto message (which starts
  // with an 8-byte auth_key_id) is a transport error: a negative int32.
  if (sender_ == Sender::kServer && size < 8) {
    f.kind = Frame::Kind::kTransportError;
    f.transport_error = static_cast<int32_t>(LoadLe32(data));
  } else {
    f.kind = Frame::Kind::kPacket;
    f.payload.assign(data, data + size);
    f.quick_ack_requested = quick_ack_requested;
  }
  frames_.push_back(std::move(f));
}

absl::StatusOr<bool> FrameDecoder::DecodeAbridged() {
  const uint8_t* p = buffer_.data() + consumed_;
  size_t avail = buffer_.size() - consumed_;
  if (avail < 1) return false;
  uint8_t first = p[0];
  bool quick_ack = false;
  if (first & 0x80) {
    if (sender_ == Sender::kServer) {
      if (avail < 4) return false;
      EmitQuickAck(LoadBe32(p));
      return true;
    }
    quick_ack = true;
    first &= 0x7f;
  }
  size_t header = 1;
  size_t words = first;
  if (first == 0x7f) {
    if (avail < 4) return false;
    header = 4;
    words = size_t(p[1]) | size_t(p[2]) << 8 | size_t(p[3]) << 16;
  }
  size_t length = words * 4;
  absl::Status s = CheckLength(length);
  if (!s.ok()) return s;
  if (avail < header + length) return false;
  if (sender_ == Sender::kServer && length == 4 && static_cast<int32_t>(LoadLe32(p + header)) >= 0) {
    return absl::DataLossError("abridged: 4-byte packet that is not a transport error code");
  }
  EmitPacket(p + header, length, quick_ack);
  consumed_ += header + length;
  return true;
}

absl::StatusOr<bool> FrameDecoder::DecodeIntermediate() {
  const uint8_t* p = buffer_.data() + consumed_;
  size_t avail = buffer_.size() - consumed_;
  if (avail < 4) return false;
  uint32_t word = LoadLe32(p);
  bool quick_ack = false;
  if (word & 0x80000000u) {
    if (sender_ == Sender::kServer) {
      EmitQuickAck(word);
      return true;
    }
    quick_ack = true;
    word &= 0x7fffffffu;
  }
  size_t length = word;
  absl::Status s = CheckLength(length);
  if (!s.ok()) return s;
  if (length < 4) {
    return absl::DataLossError(
        absl::StrCat(FramingName(framing_), ": packet length ", length, " is shorter than 4"));
  }
  if (avail < 4 + length) return false;
  if (sender_ == Sender::kServer && length < 8 &&
      static_cast<int32_t>(LoadLe32(p + 4)) >= 0) {
    return absl::DataLossError(absl::StrCat(
        FramingName(framing_), ": ", length, "-byte packet that is not a transport error code"));
  }
  // Padded intermediate: the padding stays in the payload; the MTProto layer
  // knows its own length and ignores what follows.
  EmitPacket(p + 4, length, quick_ack);
  consumed_ += 4 + length;
  return true;
}

absl::StatusOr<bool> FrameDecoder::DecodeFull() {
  const uint8_t* p = buffer_.data() + consumed_;
  size_t avail = buffer_.size() - consumed_;
  if (avail < 4) return false;
  uint32_t total = LoadLe32(p);
  if (total & 0x80000000u) {
    if (sender_ == Sender::kServer) {
      EmitQuickAck(total);
      return true;
    }
    return absl::DataLossError(absl::StrCat("full: length ", total, " has its top bit set"));
  }
  if (total < kFullOverhead + 4) {
    return absl::DataLossError(absl::StrCat("full: frame length ", total, " is shorter than 16"));
  }
  absl::Status s = CheckLength(total - kFullOverhead);
  if (!s.ok()) return s;
  if (avail < total) return false;
  uint32_t seqno = LoadLe32(p + 4);
  if (seqno != full_seqno_) {
    return absl::DataLossError(
        absl::StrCat("full: sequence number ", seqno, ", expected ", full_seqno_));
  }
  uint32_t want_crc = LoadLe32(p + total - 4);
  uint32_t got_crc = Crc32(p, total - 4);
  if (want_crc != got_crc) {
    return absl::DataLossError(absl::StrCat("full: CRC32 mismatch in frame ", seqno));
  }
  size_t length = total - kFullOverhead;
  if (sender_ == Sender::kServer && length == 4 && static_cast<int32_t>(LoadLe32(p + 8)) >= 0) {
    return absl::DataLossError("full: 4-byte packet that is not a transport error code");
  }
  ++full_seqno_;
  EmitPacket(p + 8, length, false);
  consumed_ += total;
  return true;
}

absl::StatusOr<bool> FrameDecoder::DecodeOne() {
  switch (framing_) {
    case Framing::kAbridged:
      return DecodeAbridged();
    case Framing::kIntermediate:
    case Framing::kPaddedIntermediate:
      return DecodeIntermediate();
    case Framing::kFull:
      return DecodeFull();
  }
  return absl::InternalError("unknown framing");
}

absl::Status FrameDecoder::Feed(ByteView bytes) {
  if (!error_.ok()) return error_;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  while (true) {
    absl::StatusOr<bool> got = DecodeOne();
    if (!got.ok()) return Fail(got.status());
    if (!*got) break;
  }
  // Drop consumed bytes; keep only the incomplete frame's prefix.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + consumed_);
    consumed_ = 0;
  }
  return absl::OkStatus();
}

std::optional<Frame> FrameDecoder::Next() {
  if (frames_.empty()) return std::nullopt;
  Frame f = std::move(frames_.front());
  frames_.pop_front();
  return f;
}

}  // namespace mtcore::transport
