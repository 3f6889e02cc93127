#include "tl/reader.h"

#include "absl/strings/str_format.h"

namespace mtcore::tl {

void Reader::SetError(ErrorKind kind, const char* what, uint64_t a, uint64_t b) {
  if (kind_ == ErrorKind::kNone) {
    kind_ = kind;
    error_offset_ = offset();
    error_what_ = what;
    error_a_ = a;
    error_b_ = b;
  }
  p_ = end_;
}

void Reader::FailTruncated(const char* what, size_t need) {
  SetError(ErrorKind::kTruncated, what, need, remaining());
}

void Reader::FailTooDeep() {
  SetError(ErrorKind::kTooDeep, "object", static_cast<uint64_t>(max_depth_));
}

void Reader::Fail(const char* what) { SetError(ErrorKind::kOther, what); }

void Reader::FailUnknownConstructor(uint32_t id, const char* expected_type,
                                    const char* found_name) {
  if (!ok()) return;
  // The id was already consumed: report the offset where it starts.
  if (offset() >= 4) p_ -= 4;
  SetError(ErrorKind::kUnknownConstructor, expected_type, id);
  error_found_ = found_name;
}

bool Reader::ReadBool() {
  uint32_t id = ReadUint32();
  if (ABSL_PREDICT_TRUE(id == kBoolTrueId)) return true;
  if (ABSL_PREDICT_TRUE(id == kBoolFalseId)) return false;
  if (ok()) FailUnknownConstructor(id, "Bool");
  return false;
}

ByteView Reader::ReadBytesViewSlow() {
  size_t left = remaining();
  if (ABSL_PREDICT_FALSE(left < 1)) return FailTruncated("bytes", 1), ByteView();
  size_t len = p_[0];
  size_t header = 1;
  if (ABSL_PREDICT_FALSE(len >= 254)) {
    if (len == 255) {
      SetError(ErrorKind::kBadLength, "bytes", 255);
      return ByteView();
    }
    if (left < 4) return FailTruncated("bytes", 4), ByteView();
    len = size_t{p_[1]} | size_t{p_[2]} << 8 | size_t{p_[3]} << 16;
    header = 4;
  }
  size_t total = (header + len + 3) & ~size_t{3};
  if (ABSL_PREDICT_FALSE(left < total)) return FailTruncated("bytes", total), ByteView();
  ByteView v(p_ + header, len);
  p_ += total;
  return v;
}

ByteView Reader::ReadRaw(size_t n) {
  if (ABSL_PREDICT_FALSE(remaining() < n)) return FailTruncated("raw bytes", n), ByteView();
  ByteView v(p_, n);
  p_ += n;
  return v;
}

uint32_t Reader::ReadVectorHeader(size_t min_element_size) {
  if (ABSL_PREDICT_FALSE(end_ - p_ < 8)) return FailTruncated("vector", 8), 0;
  uint32_t id = LoadLe32(p_);
  if (ABSL_PREDICT_FALSE(id != kVectorId)) {
    SetError(ErrorKind::kBadVector, "vector", id);
    return 0;
  }
  p_ += 4;
  return ReadVectorCount(min_element_size);
}

uint32_t Reader::ReadVectorCount(size_t min_element_size) {
  if (ABSL_PREDICT_FALSE(end_ - p_ < 4)) return FailTruncated("vector count", 4), 0;
  uint32_t n = LoadLe32(p_);
  size_t unit = min_element_size < 1 ? 1 : min_element_size;
  if (ABSL_PREDICT_FALSE(n > (remaining() - 4) / unit)) {
    SetError(ErrorKind::kVectorTooLong, "vector", n, unit);
    // SetError moved to the end; report the bytes that were left.
    return 0;
  }
  p_ += 4;
  return n;
}

absl::Status Reader::status() const {
  const size_t at = error_offset_;
  switch (kind_) {
    case ErrorKind::kNone:
      return absl::OkStatus();
    case ErrorKind::kTruncated:
      return absl::InvalidArgumentError(absl::StrFormat(
          "TL: truncated input at offset %d: expected %s (%d bytes), %d bytes left", at,
          error_what_, error_a_, error_b_));
    case ErrorKind::kUnknownConstructor:
      if (error_found_ != nullptr) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "TL: unexpected constructor 0x%08x (%s) at offset %d: expected type %s",
            error_a_, error_found_, at, error_what_));
      }
      return absl::InvalidArgumentError(
          absl::StrFormat("TL: unknown constructor 0x%08x at offset %d: expected type %s",
                          error_a_, at, error_what_));
    case ErrorKind::kTooDeep:
      return absl::InvalidArgumentError(absl::StrFormat(
          "TL: objects nested deeper than %d levels at offset %d", error_a_, at));
    case ErrorKind::kBadVector:
      return absl::InvalidArgumentError(absl::StrFormat(
          "TL: expected vector id 0x1cb5c415 at offset %d, got 0x%08x", at, error_a_));
    case ErrorKind::kVectorTooLong:
      return absl::InvalidArgumentError(absl::StrFormat(
          "TL: vector count %d at offset %d does not fit in the input (at least %d "
          "bytes per element)",
          error_a_, at, error_b_));
    case ErrorKind::kBadLength:
      return absl::InvalidArgumentError(absl::StrFormat(
          "TL: invalid bytes length prefix 0x%02x at offset %d", error_a_, at));
    case ErrorKind::kOther:
      return absl::InvalidArgumentError(
          absl::StrFormat("TL: %s at offset %d", error_what_, at));
  }
  return absl::InternalError("TL: unknown reader state");
}

absl::Status Reader::Finish() const {
  if (!ok()) return status();
  if (p_ != end_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "TL: %d trailing bytes after the object at offset %d", remaining(), offset()));
  }
  return absl::OkStatus();
}

}  // namespace mtcore::tl
