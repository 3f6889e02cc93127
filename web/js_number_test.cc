#include "web/js_number.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace mtcore::web {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(JsNumberTest, AnIdIsAWholeNumberFromOneToTwoToThe53MinusOne) {
  EXPECT_EQ(*TransferIdFromJs(1), 1u);
  EXPECT_EQ(*TransferIdFromJs(4096), 4096u);
  EXPECT_EQ(*TransferIdFromJs(kMaxSafeInteger), 9007199254740991u);
  for (double bad : {kNaN, kInf, -kInf, 0.0, -0.0, -1.0, 1.5, 0.25, kMaxSafeInteger + 1,
                     std::ldexp(1.0, 60), 1e300}) {
    absl::StatusOr<uint64_t> id = TransferIdFromJs(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find("no transfer id "), std::string::npos)
        << id.status();
  }
  absl::StatusOr<uint64_t> request = IdFromJs(kNaN, "request");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message(),
            "no request id nan: ids are whole numbers from 1 to 2^53 - 1");
}

TEST(JsNumberTest, AByteCountIsAWholeNumberOrMinusOneWhenThatMeansUnknown) {
  EXPECT_EQ(*ByteCountFromJs(0, "download", false), 0);
  EXPECT_EQ(*ByteCountFromJs(700000, "download", false), 700000);
  EXPECT_EQ(*ByteCountFromJs(kMaxSafeInteger, "upload", false), 9007199254740991);
  EXPECT_EQ(*ByteCountFromJs(-1, "download", true), -1);
  absl::StatusOr<int64_t> minus_one = ByteCountFromJs(-1, "upload", false);
  ASSERT_FALSE(minus_one.ok());
  EXPECT_EQ(minus_one.status().message(), "upload: a size of -1 bytes");
  for (double bad : {kNaN, kInf, -kInf, -2.0, 1.5, kMaxSafeInteger + 1, std::ldexp(1.0, 60)}) {
    absl::StatusOr<int64_t> n = ByteCountFromJs(bad, "download", true);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("download: a size of "), std::string::npos);
  }
}

TEST(JsNumberTest, AnOptionIsAWholeNumberInItsRange) {
  EXPECT_EQ(*IntFromJs(50, "history: pageSize", -2147483648LL, 2147483647), 50);
  EXPECT_EQ(*IntFromJs(-1, "history: maxMessages", -1, 10), -1);
  EXPECT_EQ(*IntFromJs(2147483647, "x", -2147483648LL, 2147483647), 2147483647);
  for (double bad : {kNaN, kInf, -kInf, 2.5, 2147483648.0, -2147483649.0, 1e300}) {
    absl::StatusOr<int64_t> n = IntFromJs(bad, "history: pageSize", -2147483648LL, 2147483647);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find("history: pageSize "), std::string::npos) << n.status();
  }
  EXPECT_EQ(IntFromJs(2.5, "dialogs: folderId", 0, 1).status().message(),
            "dialogs: folderId 2.5: not a whole number from 0 to 1");
}

}  // namespace
}  // namespace mtcore::web
