// UnwrapInvoke: the function inside invokeWithLayer / initConnection /
// invokeWithoutUpdates, with the optional proxy and JSON params, and the
// refusals for malformed wrappers.
#include "tests/dc/invoke_wrappers.h"

#include <string>

#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::dc {
namespace {

tl::auth_bindTempAuthKey Bind() {
  tl::auth_bindTempAuthKey b;
  b.perm_auth_key_id = 0x1122334455667788;
  b.nonce = 42;
  b.expires_at = 1700000000;
  b.encrypted_message = std::string(72, 'x');
  return b;
}

template <typename F>
tl::initConnection<F> Init(const F& f) {
  tl::initConnection<F> i;
  i.api_id = 1;
  i.device_model = "test";
  i.system_version = "1";
  i.app_version = "1";
  i.system_lang_code = "en";
  i.lang_pack = "";
  i.lang_code = "en";
  i.query = f;
  return i;
}

TEST(UnwrapInvokeTest, ABareFunctionIsItself) {
  const Bytes bind = *tl::Serialize(Bind());
  absl::StatusOr<WrappedQuery> q = UnwrapInvoke(bind);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->function_id, tl::auth_bindTempAuthKey::kId);
  EXPECT_EQ(q->wrappers, 0);
  EXPECT_EQ(Bytes(q->query.begin(), q->query.end()), bind);
}

TEST(UnwrapInvokeTest, TheFunctionInsideEveryWrapper) {
  const Bytes bind = *tl::Serialize(Bind());
  tl::invokeWithLayer<tl::initConnection<tl::auth_bindTempAuthKey>> layered;
  layered.layer = 228;
  layered.query = Init(Bind());
  tl::invokeWithoutUpdates<tl::invokeWithLayer<tl::initConnection<tl::auth_bindTempAuthKey>>> all;
  all.query = layered;
  all.query.query.proxy = tl::inputClientProxy{.address = "10.0.0.1", .port = 443};
  tl::jsonObject params;
  params.value.push_back(tl::jsonObjectValue{.key = "tz_offset", .value = tl::jsonNumber{.value = 3600}});
  params.value.push_back(tl::jsonObjectValue{
      .key = "list", .value = tl::jsonArray{.value = {tl::jsonString{.value = "a"}, tl::jsonNull{}}}});
  all.query.query.params = params;
  struct Case {
    std::string name;
    Bytes bytes;
    int wrappers;
  } cases[] = {
      {"invokeWithLayer(initConnection)", *tl::Serialize(layered), 2},
      {"invokeWithoutUpdates(invokeWithLayer(initConnection(proxy, params)))",
       *tl::Serialize(all), 3},
  };
  for (const Case& c : cases) {
    absl::StatusOr<WrappedQuery> q = UnwrapInvoke(c.bytes);
    ASSERT_TRUE(q.ok()) << c.name << ": " << q.status();
    EXPECT_EQ(q->function_id, tl::auth_bindTempAuthKey::kId) << c.name;
    EXPECT_EQ(q->wrappers, c.wrappers) << c.name;
    EXPECT_EQ(Bytes(q->query.begin(), q->query.end()), bind) << c.name;
  }
}

TEST(UnwrapInvokeTest, MalformedWrappersAreRefusedWithTheirName) {
  tl::invokeWithLayer<tl::initConnection<tl::auth_bindTempAuthKey>> layered;
  layered.layer = 228;
  layered.query = Init(Bind());
  Bytes full = *tl::Serialize(layered);
  // Every cut inside the wrappers' fields fails; none crashes.
  const size_t inner_at = full.size() - tl::Serialize(Bind())->size();
  for (size_t n = 0; n < inner_at + 4; ++n) {
    absl::StatusOr<WrappedQuery> q = UnwrapInvoke(ByteView(full.data(), n));
    EXPECT_FALSE(q.ok()) << n;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << n;
  }
  // An initConnection whose flags promise a proxy that is not there.
  Bytes no_proxy = full;
  no_proxy[12] |= 1;  // after invokeWithLayer (8 bytes) and initConnection's id
  absl::StatusOr<WrappedQuery> q = UnwrapInvoke(no_proxy);
  EXPECT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("initConnection"), std::string::npos) << q.status();
  // Wrappers nested deeper than any client does.
  Bytes deep;
  for (int i = 0; i <= kMaxInvokeWrappers; ++i) {
    for (int b = 0; b < 4; ++b) deep.push_back(static_cast<uint8_t>(kInvokeWithoutUpdatesId >> (8 * b)));
  }
  const Bytes bind = *tl::Serialize(Bind());
  deep.insert(deep.end(), bind.begin(), bind.end());
  q = UnwrapInvoke(deep);
  EXPECT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("wrappers"), std::string::npos) << q.status();
}

}  // namespace
}  // namespace mtcore::dc
