// DynamicCodec against the real layer-228 schema: the messages.messages
// mtcute serialized (tl/dynamic/testdata/tl_mtcute_228.bin, the object
// /work/shared/bench/peers/tlobj.cjs describes), requests wrapped in
// invokeWithLayer/initConnection, MTProto service objects, JSON, truncation
// and hostile input.
#include "tl/dynamic/codec.h"

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tlgen/load.h"

namespace mtcore::tl::dynamic {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kApiJson[] = "external/mtcute_schema/package/tl/api-schema.json";
constexpr char kMtprotoTl[] = "schema/mtproto.tl";
constexpr char kGolden[] = "tl/dynamic/testdata/tl_mtcute_228.bin";

Bytes ReadTestFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string Text(int i) {
  return "Message #" + std::to_string(i) +
         ": The quick brown fox jumps over the lazy dog. Привет, мир! 🚀 see "
         "https://example.com/path?q=" +
         std::to_string(i) + " and @someuser";
}

// One codec for the whole suite: API layer 228 + MTProto.
class Layer228 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<tlgen::Schema> api = tlgen::LoadSchemaFile(kApiJson);
    ASSERT_TRUE(api.ok()) << api.status();
    absl::StatusOr<tlgen::Schema> mtproto = tlgen::LoadSchemaFile(kMtprotoTl);
    ASSERT_TRUE(mtproto.ok()) << mtproto.status();
    const tlgen::Schema* both[] = {&*api, &*mtproto};
    absl::StatusOr<DynamicCodec> codec = DynamicCodec::Create(both);
    ASSERT_TRUE(codec.ok()) << codec.status();
    codec_ = new DynamicCodec(*std::move(codec));
  }
  static void TearDownTestSuite() {
    delete codec_;
    codec_ = nullptr;
  }
  const DynamicCodec& codec() { return *codec_; }

  static DynamicCodec* codec_;
};
DynamicCodec* Layer228::codec_ = nullptr;

TEST_F(Layer228, GoldenMessagesDecodeAndReencodeIdentically) {
  Bytes golden = ReadTestFile(kGolden);
  ASSERT_EQ(golden.size(), 27016u);
  EXPECT_EQ(codec().layer(), 228);
  absl::StatusOr<Value> v = codec().Decode(golden, "messages.Messages");
  ASSERT_TRUE(v.ok()) << v.status();
  const Object& m = v->object();
  EXPECT_EQ(m.constructor, "messages.messages");
  absl::StatusOr<const std::vector<Value>*> messages = m.GetVector("messages");
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ((*messages)->size(), 100u);
  const Object& m7 = (**messages)[7].object();
  EXPECT_EQ(m7.constructor, "message");
  EXPECT_EQ(*m7.GetBytes("message"), Text(7));
  EXPECT_EQ(*m7.GetInt32("id"), 1007);
  EXPECT_EQ(*m7.GetBool("out"), true);
  EXPECT_EQ(*m7.GetInt32("date"), 1700000007);
  EXPECT_FALSE(m7.Has("flags"));  // # fields are computed, never stored
  EXPECT_FALSE(m7.Has("reply_to"));  // absent optional field
  const Object* peer = *m7.GetObject("peer_id");
  EXPECT_EQ(peer->constructor, "peerUser");
  EXPECT_EQ(*peer->GetInt64("user_id"), 777002);
  const std::vector<Value>* entities = *m7.GetVector("entities");
  ASSERT_EQ(entities->size(), 4u);
  EXPECT_EQ((*entities)[2].object().constructor, "messageEntityTextUrl");
  EXPECT_EQ(*(*entities)[2].object().GetBytes("url"), "https://telegram.org/blog/7");

  const std::vector<Value>* users = *m.GetVector("users");
  ASSERT_EQ(users->size(), 5u);
  const Object& u3 = (*users)[3].object();
  EXPECT_EQ(u3.constructor, "user");
  EXPECT_EQ(*u3.GetBytes("username"), "user3");
  EXPECT_EQ(*u3.GetInt64("id"), 777003);
  EXPECT_EQ(*u3.GetInt64("access_hash"), 1234567890123456789);

  absl::StatusOr<Bytes> again = codec().Encode(*v);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, golden);
  absl::StatusOr<Bytes> typed = codec().Encode(*v, "messages.Messages");
  ASSERT_TRUE(typed.ok()) << typed.status();
  EXPECT_EQ(*typed, golden);
}

TEST_F(Layer228, GoldenSpeed) {
  Bytes golden = ReadTestFile(kGolden);
  ASSERT_FALSE(golden.empty());
  constexpr int kRounds = 200;
  Value v;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) v = *codec().Decode(golden, "messages.Messages");
  double decode_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  start = std::chrono::steady_clock::now();
  size_t total = 0;
  for (int i = 0; i < kRounds; ++i) total += codec().Encode(v)->size();
  double encode_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(total, golden.size() * kRounds);
  double mb = golden.size() * kRounds / 1e6;
  std::printf("dynamic codec, 27 KB messages.messages: decode %.1f MB/s, encode %.1f MB/s\n",
              mb / decode_s, mb / encode_s);
}

TEST_F(Layer228, EveryTruncationFailsCleanly) {
  Bytes golden = ReadTestFile(kGolden);
  ASSERT_FALSE(golden.empty());
  for (size_t n = 0; n < golden.size(); n += (n < 600 ? 1 : 89)) {
    absl::StatusOr<Value> r = codec().Decode(ByteView(golden.data(), n), "messages.Messages");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_THAT(r.status().message(), StartsWith("TL: ")) << n;
  }
}

TEST_F(Layer228, RequestInWrappersDecodesToNestedCalls) {
  Object send("messages.sendMessage");
  send.Set("peer", Object("inputPeerSelf"));
  send.Set("message", "hello");
  send.Set("random_id", int64_t{42});
  send.Set("silent", true);
  Object init("initConnection");
  init.Set("api_id", 1)
      .Set("device_model", "pc")
      .Set("system_version", "linux")
      .Set("app_version", "1.0")
      .Set("system_lang_code", "en")
      .Set("lang_pack", "")
      .Set("lang_code", "en")
      .Set("query", std::move(send));
  Object layer("invokeWithLayer");
  layer.Set("layer", 228).Set("query", std::move(init));
  Value request(std::move(layer));

  absl::StatusOr<Bytes> bytes = codec().Encode(request);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(LoadLe32(bytes->data()), codec().FindFunction("invokeWithLayer")->id);
  absl::StatusOr<Value> back = codec().Decode(*bytes, "Function");
  ASSERT_TRUE(back.ok()) << back.status();
  const Object* inner = *(*back->object().GetObject("query"))->GetObject("query");
  EXPECT_EQ(inner->constructor, "messages.sendMessage");
  EXPECT_EQ(*inner->GetBytes("message"), "hello");
  EXPECT_EQ(*inner->GetBool("silent"), true);
  EXPECT_EQ(*inner->GetBool("background"), false);  // every true flag comes back as a bool
  EXPECT_EQ(*inner->GetInt64("random_id"), 42);

  // A request is not a constructor of a type: asking for Updates fails,
  // naming the method.
  absl::StatusOr<Value> as_updates = codec().Decode(*bytes, "Updates");
  ASSERT_FALSE(as_updates.ok());
  EXPECT_EQ(as_updates.status().message(),
            absl::StrFormat("TL: unexpected constructor 0x%08x (invokeWithLayer) at offset 0: "
                            "expected type Updates",
                            LoadLe32(bytes->data())));
}

TEST_F(Layer228, MtprotoObjectsAndTypesStaySeparate) {
  // mtproto.tl's `message` (a bare Message of msg_container) and the API's
  // `message` share a name; each schema resolves its own.
  Object ping("ping");
  ping.Set("ping_id", int64_t{7});
  Object inner("message");
  inner.Set("msg_id", int64_t{1}).Set("seqno", 2).Set("bytes", 12).Set("body", std::move(ping));
  Object container("msg_container");
  container.Set("messages", std::vector<Value>{Value(std::move(inner))});
  absl::StatusOr<Bytes> bytes = codec().Encode(Value(container), "MessageContainer");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 4u + 4 + 8 + 4 + 4 + 4 + 8);
  absl::StatusOr<Value> back = codec().Decode(*bytes, "MessageContainer");
  ASSERT_TRUE(back.ok()) << back.status();
  // `body:Object` holds a call (ping is a function of mtproto.tl).
  EXPECT_EQ(*back, Value(container));
  EXPECT_EQ(back->ToString(),
            "msg_container{messages: [message{msg_id: 1, seqno: 2, bytes: 12, body: "
            "ping{ping_id: 7}}]}");
}

TEST_F(Layer228, RpcResultCarriesAnyApiObject) {
  Object user("user");
  user.Set("id", int64_t{5}).Set("first_name", "Ann");
  Object result("rpc_result");
  result.Set("req_msg_id", int64_t{99}).Set("result", std::move(user));
  absl::StatusOr<Bytes> bytes = codec().Encode(Value(result));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> back = codec().Decode(*bytes, "RpcResult");
  ASSERT_TRUE(back.ok()) << back.status();
  const Object* got = *back->object().GetObject("result");
  EXPECT_EQ(got->constructor, "user");
  EXPECT_EQ(*got->GetBytes("first_name"), "Ann");
  EXPECT_EQ(*got->GetBool("bot"), false);
}

TEST_F(Layer228, VectorAndPrimitiveTopLevelTypes) {
  Value ids(std::vector<Value>{Value(int64_t{1}), Value(int64_t{-2})});
  absl::StatusOr<Bytes> bytes = codec().Encode(ids, "Vector<long>");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(HexEncode(*bytes), "15c4b51c020000000100000000000000feffffffffffffff");
  EXPECT_EQ(*codec().Decode(*bytes, "Vector<long>"), ids);
  absl::StatusOr<Bytes> b = codec().Encode(Value(true), "Bool");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(HexEncode(*b), "b5757299");
  absl::StatusOr<Value> bare = codec().Decode(*HexDecode("0100000002000000"), "vector<int>");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(*bare, Value(std::vector<Value>{Value(2)}));
}

// --- Errors -------------------------------------------------------------------

TEST_F(Layer228, UnknownConstructorNamesIdOffsetAndType) {
  absl::StatusOr<Value> r = codec().Decode(*HexDecode("efbeadde"), "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "TL: unknown constructor 0xdeadbeef at offset 0: expected type User");
  // A known constructor of another type, nested: the offset is where it is.
  Object peer("peerUser");
  peer.Set("user_id", int64_t{1});
  Bytes bytes = *codec().Encode(Value(peer));
  r = codec().Decode(bytes, "InputPeer");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("(peerUser) at offset 0: expected type InputPeer"));
}

TEST_F(Layer228, TrailingBytesAreRejected) {
  Bytes b = *codec().Encode(Value(Object("inputPeerSelf")));
  b.push_back(0);
  absl::StatusOr<Value> r = codec().Decode(b, "InputPeer");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL: 1 trailing bytes after the object at offset 4");
}

TEST_F(Layer228, HugeVectorCountIsRejectedBeforeAllocating) {
  // Vector<long> claiming 2^31 elements with 8 bytes of input left.
  absl::StatusOr<Value> r =
      codec().Decode(*HexDecode("15c4b51c000000800000000000000000"), "Vector<long>");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("vector count 2147483648 at offset 4"));
}

TEST_F(Layer228, DeepNestingIsBounded) {
  // textBold#6724abc4 text:RichText nested 100 times.
  const tlgen::Definition* bold = codec().FindConstructor("textBold");
  ASSERT_NE(bold, nullptr);
  Bytes b;
  for (int i = 0; i < 100; ++i) {
    b.resize(b.size() + 4);
    StoreLe32(&b[b.size() - 4], bold->id);
  }
  b.resize(b.size() + 4);
  StoreLe32(&b[b.size() - 4], codec().FindConstructor("textEmpty")->id);
  absl::StatusOr<Value> r = codec().Decode(b, "RichText");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("nested deeper than 64 levels"));
  DecodeOptions deep;
  deep.max_depth = 200;
  EXPECT_TRUE(codec().Decode(b, "RichText", deep).ok());
}

TEST_F(Layer228, EncodeErrorsNameThePath) {
  Object m("messages.messages");
  Object msg("message");
  msg.Set("id", "not a number");
  m.Set("messages", std::vector<Value>{Value(std::move(msg))});
  m.Set("chats", std::vector<Value>{}).Set("users", std::vector<Value>{}).Set("topics", std::vector<Value>{});
  absl::StatusOr<Bytes> r = codec().Encode(Value(m));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "TL encode: messages.messages.messages[0]: message.id: expected int, got bytes");

  Object user("user");
  user.Set("id", int64_t{1}).Set("nickname", "x");
  r = codec().Encode(Value(user));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL encode: user has no field 'nickname'");

  Object peer("inputPeerUser");
  peer.Set("user_id", int64_t{1});
  r = codec().Encode(Value(peer));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL encode: inputPeerUser.access_hash: missing");

  r = codec().Encode(Value(Object("userFoo")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "TL encode: unknown constructor 'userFoo' (expected Object or Function)");

  r = codec().Encode(Value(Object("inputPeerSelf")), "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "TL encode: 'inputPeerSelf' is a constructor of InputPeer, not User");

  r = codec().Encode(Value(1), "Nonexistent");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "unknown type 'Nonexistent'");

  r = codec().Encode(Value(int64_t{1} << 40), "int");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "TL encode: 1099511627776 does not fit in int");
}

TEST_F(Layer228, SharedFlagBitsMustAgree) {
  // stickerSet: thumbs, thumb_dc_id and thumb_version all use flags.4.
  const tlgen::Definition* set = codec().FindConstructor("stickerSet");
  ASSERT_NE(set, nullptr);
  ASSERT_EQ(set->FindParam("thumb_dc_id")->flag->bit, set->FindParam("thumb_version")->flag->bit);
  Object o("stickerSet");
  o.Set("id", int64_t{1}).Set("access_hash", int64_t{2}).Set("title", "t").Set("short_name", "s");
  o.Set("count", 0).Set("hash", 0).Set("thumb_dc_id", 2);
  absl::StatusOr<Bytes> r = codec().Encode(Value(o));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("stickerSet.thumbs: absent, but bit 4 of flags"));
  o.Set("thumbs", std::vector<Value>{}).Set("thumb_version", 3);
  r = codec().Encode(Value(o));
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<Value> back = codec().Decode(*r, "StickerSet");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back->object().GetInt32("thumb_version"), 3);
}

// --- JSON ---------------------------------------------------------------------

TEST_F(Layer228, GoldenJsonRoundTrip) {
  Bytes golden = ReadTestFile(kGolden);
  Value v = *codec().Decode(golden, "messages.Messages");
  absl::StatusOr<std::string> json = codec().ToJson(v);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, StartsWith("{\"_\":\"messages.messages\",\"messages\":[{\"_\":\"message\","
                                "\"out\":false,"));
  EXPECT_THAT(*json, HasSubstr("\"access_hash\":\"1234567890123456789\""));
  EXPECT_THAT(*json, HasSubstr("\"message\":\"Message #7: The quick brown fox"));
  absl::StatusOr<Value> back = codec().FromJson(*json, "messages.Messages");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(*codec().Encode(*back), golden);
}

TEST_F(Layer228, JsonEncodingsOfSpecialValues) {
  Object o("inputFile");  // id:long parts:int name:string md5_checksum:string
  o.Set("id", int64_t{-5}).Set("parts", 3).Set("name", std::string("a\xff", 2)).Set("md5_checksum", "\"q\"\n");
  absl::StatusOr<std::string> json = codec().ToJson(Value(o));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json,
            "{\"_\":\"inputFile\",\"id\":\"-5\",\"parts\":3,\"name\":{\"$bytes\":\"Yf8=\"},"
            "\"md5_checksum\":\"\\\"q\\\"\\n\"}");
  EXPECT_EQ(*codec().FromJson(*json, "InputFile"), Value(o));

  Object r("req_pq_multi");
  Int128 nonce{};
  nonce[0] = 0xab;
  r.Set("nonce", nonce);
  json = codec().ToJson(Value(r));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, "{\"_\":\"req_pq_multi\",\"nonce\":\"ab000000000000000000000000000000\"}");
  EXPECT_EQ(*codec().FromJson(*json, "Function"), Value(r));

  // bytes are base64; long accepts exact numbers; doubles keep all digits.
  absl::StatusOr<Value> photo = codec().FromJson(
      R"({"_":"photoStrippedSize","type":"i","bytes":"AQID"})", "PhotoSize");
  ASSERT_TRUE(photo.ok()) << photo.status();
  EXPECT_EQ(*photo->object().GetBytes("bytes"), std::string("\1\2\3"));
  absl::StatusOr<Value> geo = codec().FromJson(
      R"({"_":"geoPoint","long":0.1,"lat":-1e300,"access_hash":123})", "GeoPoint");
  ASSERT_TRUE(geo.ok()) << geo.status();
  EXPECT_EQ(*geo->object().GetInt64("access_hash"), 123);
  EXPECT_EQ(*geo->object().GetDouble("long"), 0.1);
  EXPECT_EQ(*codec().FromJson(*codec().ToJson(*geo), "GeoPoint"), *geo);
}

TEST_F(Layer228, JsonErrorsNamePositions) {
  absl::StatusOr<Value> r = codec().FromJson(R"({"_":"user","id":"x"})", "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON 1:18 (offset 17): \"x\" is not a valid long");
  r = codec().FromJson(R"({"_":"user","nick":1})", "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JSON 1:20 (offset 19): user has no field 'nick'");
  r = codec().FromJson(R"({"id":1})", "User");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "JSON 1:1 (offset 0): missing \"_\" (the constructor of User)");
  r = codec().FromJson(R"({"_":"inputPeerChat","chat_id":1.5})", "InputPeer");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("1.5 is not a valid long"));
  r = codec().FromJson(R"({"_":"peerUser","user_id":1})", "User");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("'peerUser' is a constructor of Peer, not User"));
}

// {"_":"jsonArray","value":[...]} around `inner`, `n` times (two JSON levels
// each).
std::string JsonArrays(int n, std::string inner) {
  for (int i = 0; i < n; ++i) inner = R"({"_":"jsonArray","value":[)" + inner + "]}";
  return inner;
}

// ToJson counted only objects (and allowed 65 of them), so a Value that
// Decode accepts could become JSON text that FromJson rejects as too deep.
TEST_F(Layer228, ToJsonNeverWritesJsonTooDeepForFromJson) {
  // 1 array + 31 x 2 + 1 object = 64 levels: the deepest FromJson reads.
  std::string ok = "[" + JsonArrays(31, R"({"_":"jsonString","value":"x"})") + "]";
  absl::StatusOr<Value> v = codec().FromJson(ok, "Vector<JSONValue>");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*codec().ToJson(*v, "Vector<JSONValue>"), ok);

  // 40 objects and 40 arrays: fine for Decode (64 objects), not for JSON.
  Value deep = Value(Object("jsonNull"));
  for (int i = 0; i < 40; ++i) {
    Object a("jsonArray");
    a.Set("value", std::vector<Value>{std::move(deep)});
    deep = Value(std::move(a));
  }
  absl::StatusOr<Bytes> wire = codec().Encode(deep, "JSONValue");
  ASSERT_TRUE(wire.ok()) << wire.status();
  ASSERT_TRUE(codec().Decode(*wire, "JSONValue").ok());
  absl::StatusOr<std::string> json = codec().ToJson(deep, "JSONValue");
  ASSERT_FALSE(json.ok()) << "FromJson says: "
                          << codec().FromJson(*json, "JSONValue").status();
  EXPECT_THAT(json.status().message(), HasSubstr("nested too deep for JSON"));
}

// A JSON string with raw bytes that are not UTF-8 was accepted for a TL
// string; ToJson then wrote it as {"$bytes": ...}, one level deeper, so at
// the nesting limit the round trip failed. Raw bytes must use $bytes.
TEST_F(Layer228, FromJsonRejectsStringsThatAreNotUtf8) {
  std::string deep =
      "[" + JsonArrays(31, "{\"_\":\"jsonString\",\"value\":\"\xff\"}") + "]";
  absl::StatusOr<Value> v = codec().FromJson(deep, "Vector<JSONValue>");
  ASSERT_FALSE(v.ok()) << "ToJson gives " << codec().ToJson(*v, "Vector<JSONValue>").status();
  EXPECT_THAT(v.status().message(), HasSubstr("not valid UTF-8"));
  v = codec().FromJson("{\"_\":\"jsonString\",\"value\":\"a\xc3\"}", "JSONValue");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("1:27 (offset 26): string is not valid UTF-8"));
  v = codec().FromJson(R"({"_":"jsonString","value":{"$bytes":"YcM="}})", "JSONValue");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v->object().GetBytes("value"), "a\xc3");
  // Escaped and raw UTF-8 (including 4-byte sequences) still read.
  v = codec().FromJson("{\"_\":\"jsonString\",\"value\":\"\\ud83d\\ude80 \xf0\x9f\x9a\x80\"}",
                       "JSONValue");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v->object().GetBytes("value"), "\xf0\x9f\x9a\x80 \xf0\x9f\x9a\x80");
}

}  // namespace
}  // namespace mtcore::tl::dynamic
