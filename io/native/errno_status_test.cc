#include "io/native/errno_status.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace mtcore::io {
namespace {

TEST(ErrnoStatusTest, MessageNamesContextTextAndNumber) {
  absl::Status s = ErrnoStatus(ECONNREFUSED, "connect to 127.0.0.1:9");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "connect to 127.0.0.1:9: Connection refused (errno 111)");
}

TEST(ErrnoStatusTest, CodesByKind) {
  EXPECT_EQ(ErrnoToStatusCode(ECONNRESET), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrnoToStatusCode(ETIMEDOUT), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrnoToStatusCode(EMFILE), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatusCode(EAFNOSUPPORT), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrnoToStatusCode(EADDRINUSE), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrnoToStatusCode(EACCES), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatusCode(EIO), absl::StatusCode::kInternal);
  // Files (io/native/file_io.h).
  EXPECT_EQ(ErrnoToStatusCode(ENOENT), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatusCode(ENOSPC), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatusCode(EFBIG), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatusCode(EISDIR), absl::StatusCode::kFailedPrecondition);
}

TEST(ErrnoStatusTest, TextOfUnknownErrnoStillHasNumber) {
  EXPECT_NE(ErrnoText(99999).find("(errno 99999)"), std::string::npos);
}

}  // namespace
}  // namespace mtcore::io
