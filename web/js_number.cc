#include "web/js_number.h"

#include "absl/strings/str_cat.h"

namespace mtcore::web {
namespace {

// Whether `v` is a whole number in lo..kMaxSafeInteger (false for NaN: every
// comparison with it is false, so no cast of it happens).
bool WholeIn(double v, double lo) {
  return v >= lo && v <= kMaxSafeInteger && v == static_cast<double>(static_cast<int64_t>(v));
}

}  // namespace

absl::StatusOr<uint64_t> IdFromJs(double id, std::string_view what) {
  if (!WholeIn(id, 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no ", what, " id ", id, ": ids are whole numbers from 1 to 2^53 - 1"));
  }
  return static_cast<uint64_t>(id);
}

absl::StatusOr<int64_t> ByteCountFromJs(double size, std::string_view what, bool unknown_ok) {
  if ((unknown_ok && size == -1) || WholeIn(size, 0)) return static_cast<int64_t>(size);
  return absl::InvalidArgumentError(absl::StrCat(what, ": a size of ", size, " bytes"));
}

absl::StatusOr<int64_t> IntFromJs(double v, std::string_view what, int64_t lo, int64_t hi) {
  if (v >= static_cast<double>(lo) && v <= static_cast<double>(hi) && v >= -kMaxSafeInteger &&
      v <= kMaxSafeInteger && v == static_cast<double>(static_cast<int64_t>(v))) {
    return static_cast<int64_t>(v);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", v, ": not a whole number from ", lo, " to ", hi));
}

}  // namespace mtcore::web
