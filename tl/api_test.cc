// Tests of the generated API (//tl:api) through its public surface: golden
// bytes made by mtcute, a random round trip of every constructor and function,
// truncation, lookup tables, flag and error handling.
#include "tl/api.h"

#include <fstream>
#include <iterator>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api_testing.h"

namespace mtcore::tl {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Bytes ReadTestFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The object /work/shared/bench/peers/tlobj.cjs describes (what mtcute
// serialized into tl/testdata/tl_mtcute_228.bin).
std::string Text(int i) {
  return "Message #" + std::to_string(i) +
         ": The quick brown fox jumps over the lazy dog. Привет, мир! 🚀 see "
         "https://example.com/path?q=" +
         std::to_string(i) + " and @someuser";
}

messages_Messages GoldenObject() {
  messages_messages m;
  for (int i = 0; i < 100; ++i) {
    message msg;
    msg.id = 1000 + i;
    msg.out = (i & 1) == 1;
    msg.peer_id = peerUser{.user_id = 777000 + i % 5};
    msg.from_id = peerUser{.user_id = 777000 + i % 5};
    msg.date = 1700000000 + i;
    msg.message = Text(i);
    msg.entities = std::vector<MessageEntity>{
        messageEntityBold{.offset = 0, .length = 10},
        messageEntityItalic{.offset = 14, .length = 20},
        messageEntityTextUrl{
            .offset = 35, .length = 8, .url = "https://telegram.org/blog/" + std::to_string(i)},
        messageEntityUrl{.offset = 74, .length = 32},
    };
    m.messages.push_back(std::move(msg));
  }
  for (int i = 0; i < 5; ++i) {
    user u;
    u.id = 777000 + i;
    u.access_hash = 1234567890123456789;
    u.first_name = "First" + std::to_string(i);
    u.last_name = "Last" + std::to_string(i);
    u.username = "user" + std::to_string(i);
    m.users.push_back(std::move(u));
  }
  return m;
}

TEST(GoldenTest, MtcuteMessagesParseIntoTheHandBuiltObjectAndReserializeIdentically) {
  Bytes golden = ReadTestFile("tl/testdata/tl_mtcute_228.bin");
  ASSERT_EQ(golden.size(), 27016u);
  absl::StatusOr<messages_Messages> parsed = Parse<messages_Messages>(golden);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  messages_Messages expected = GoldenObject();
  const auto* got = parsed->As<messages_messages>();
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->messages.size(), 100u);
  const message* m7 = got->messages[7].As<message>();
  ASSERT_NE(m7, nullptr);
  EXPECT_EQ(m7->message, Text(7));
  EXPECT_TRUE(m7->out);
  EXPECT_EQ(m7->peer_id.As<peerUser>()->user_id, 777002);
  EXPECT_EQ((*m7->entities)[2].As<messageEntityTextUrl>()->url, "https://telegram.org/blog/7");
  EXPECT_EQ(got->users[3].As<user>()->username, "user3");
  EXPECT_EQ(*parsed, expected);

  absl::StatusOr<Bytes> again = Serialize(*parsed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, golden);
  EXPECT_EQ(*Serialize(expected), golden);
  EXPECT_EQ(SerializedSize(expected), golden.size());
}

TEST(GoldenTest, EveryTruncationFailsCleanly) {
  Bytes golden = ReadTestFile("tl/testdata/tl_mtcute_228.bin");
  ASSERT_FALSE(golden.empty());
  for (size_t n = 0; n < golden.size(); n += (n < 512 ? 1 : 97)) {
    absl::StatusOr<messages_Messages> r = Parse<messages_Messages>(ByteView(golden.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(GoldenTest, ToStringIsReadable) {
  messages_Messages m = GoldenObject();
  std::string s = to_string(m);
  EXPECT_THAT(s, StartsWith("messages.messages{messages: [message{id: 1000, from_id: "));
  EXPECT_THAT(to_string(m.As<messages_messages>()->messages[1]),
              StartsWith("message{out: true, id: 1001, from_id: peerUser{user_id: 777001}, "
                         "peer_id: peerUser{user_id: 777001}, date: 1700000001, message: "
                         "\"Message #1: The quick"));
}

TEST(TablesTest, LookUpByIdAndName) {
  const TlInfo* info = FindTlInfo(0x1d73e7ea);
  ASSERT_NE(info, nullptr);
  EXPECT_STREQ(info->name, "messages.messages");
  EXPECT_STREQ(info->type, "messages.Messages");
  EXPECT_FALSE(info->is_function);
  EXPECT_EQ(FindTlInfoByName("messages.messages"), info);
  const TlInfo* fn = FindTlInfoByName("messages.getHistory");
  ASSERT_NE(fn, nullptr);
  EXPECT_TRUE(fn->is_function);
  EXPECT_EQ(fn->id, messages_getHistory::kId);
  EXPECT_STREQ(ConstructorName(kBoolTrueId), "boolTrue");
  EXPECT_STREQ(ConstructorName(kVectorId), "vector");
  EXPECT_STREQ(ConstructorName(mtproto::resPQ::kId), "resPQ");
  EXPECT_EQ(ConstructorName(0x12345678), nullptr);
  EXPECT_EQ(FindTlInfoByName("noSuchThing"), nullptr);
  // "message" names both the API constructor and MTProto's; the API's wins.
  EXPECT_EQ(FindTlInfoByName("message")->id, message::kId);
  EXPECT_STREQ(ConstructorName(mtproto::message::kId), "message");
  // Sorted and unique by id; every name resolves back to its entry.
  absl::Span<const TlInfo> all = AllTlInfos();
  EXPECT_GT(all.size(), 2400u);
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      ASSERT_LT(all[i - 1].id, all[i].id);
    }
    ASSERT_NE(FindTlInfoByName(all[i].name), nullptr) << all[i].name;
    EXPECT_STREQ(FindTlInfoByName(all[i].name)->name, all[i].name);
  }
}

TEST(ErrorsTest, UnknownAndUnexpectedConstructorsAreNamed) {
  Bytes u = *Serialize(User(user{.id = 1}));
  absl::StatusOr<Message> r = Parse<Message>(u);
  EXPECT_EQ(std::string(r.status().message()),
            "TL: unexpected constructor 0xb1b8cc83 (user) at offset 0: expected type Message");
  EXPECT_EQ(user::kId, 0xb1b8cc83u);
  Bytes junk = {0x78, 0x56, 0x34, 0x12};
  EXPECT_EQ(std::string(Parse<Message>(junk).status().message()),
            "TL: unknown constructor 0x12345678 at offset 0: expected type Message");
  // Nested: the offset of the bad id inside messages.messages.
  Bytes bad = *Serialize(messages_Messages(messages_messages{.messages = {messageEmpty{.id = 1}}}));
  bad[12] ^= 0xff;  // first byte of the messageEmpty id
  EXPECT_THAT(std::string(Parse<messages_Messages>(bad).status().message()),
              HasSubstr("at offset 12: expected type Message"));
}

TEST(ErrorsTest, FlagsSharedByFieldsMustAgree) {
  message m{.peer_id = peerUser{.user_id = 1}};
  m.views = 5;  // views and forwards share flags.10
  absl::StatusOr<Bytes> r = Serialize(m);
  EXPECT_EQ(std::string(r.status().message()),
            "TL: cannot serialize: message: fields views, forwards share flags.10 and must be "
            "all set or all unset");
  m.forwards = 6;
  EXPECT_TRUE(Serialize(m).ok());
}

TEST(ErrorsTest, MissingRequiredObjectIsNamed) {
  message m;  // peer_id not set
  EXPECT_EQ(std::string(Serialize(m).status().message()),
            "TL: cannot serialize: message.peer_id is not set");
}

TEST(ErrorsTest, DeepNestingIsRejected) {
  RichText t = textPlain{.text = "x"};
  for (int i = 0; i < 80; ++i) t = textBold{.text = t};
  Bytes wire = *Serialize(t);
  absl::StatusOr<RichText> r = Parse<RichText>(wire);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nested deeper than 64 levels"));
  EXPECT_TRUE(Parse<RichText>(wire, /*max_depth=*/100).ok());
}

TEST(FunctionsTest, ResultTypesAndGenericWrappers) {
  static_assert(std::is_same_v<help_getConfig::Result, Config>);
  static_assert(std::is_same_v<messages_getHistory::Result, messages_Messages>);
  static_assert(std::is_same_v<invokeWithLayer<help_getConfig>::Result, Config>);
  static_assert(
      std::is_same_v<invokeWithLayer<initConnection<help_getConfig>>::Result, Config>);
  static_assert(std::is_same_v<invokeWithLayer<>::Result, AnyObject>);

  invokeWithLayer<help_getConfig> typed{.layer = 228};
  Bytes wire = *Serialize(typed);
  EXPECT_EQ(HexEncode(wire), "0d0d9bdae4000000" "6b18f9c4");
  // The same bytes parse as the type-erased form (query: AnyFunction).
  absl::StatusOr<AnyFunction> any = Parse<AnyFunction>(wire);
  ASSERT_TRUE(any.ok()) << any.status();
  const auto* w = any->As<invokeWithLayer<>>();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->layer, 228);
  EXPECT_TRUE(w->query.Is<help_getConfig>());
  EXPECT_EQ(*Serialize(*any), wire);
  invokeWithLayer<> erased{.layer = 228, .query = help_getConfig{}};
  EXPECT_EQ(*Serialize(erased), wire);
}

// Every constructor and function: random values (random flag words, so every
// combination of optional fields is reachable), serialize, parse through the
// type-erased reader, compare, re-serialize identically; and every truncation
// of one sample fails cleanly.
TEST(PropertyTest, EveryDefinitionRoundTrips) {
  int checked = 0;
  for (const TlInfo& info : AllTlInfos()) {
    if (!info.has_struct) continue;
    for (uint64_t iteration = 0; iteration < 6; ++iteration) {
      testing::Rng rng(info.id * 1000003ull + iteration);
      AnyObject value = testing::RandomObject(info.id, rng);
      ASSERT_TRUE(value) << info.name;
      ASSERT_EQ(value.id(), info.id);
      absl::StatusOr<Bytes> wire = Serialize(value);
      ASSERT_TRUE(wire.ok()) << info.name << ": " << wire.status() << "\n" << to_string(value);
      ASSERT_EQ(wire->size(), SerializedSize(value));
      Reader r(*wire);
      AnyObject back = info.is_function ? AnyObject(AnyFunction::ReadBoxed(r))
                                        : AnyObject::ReadBoxed(r);
      ASSERT_TRUE(r.Finish().ok()) << info.name << ": " << r.Finish() << "\n"
                                   << to_string(value);
      ASSERT_EQ(back, value) << info.name << "\n" << to_string(value) << "\n" << to_string(back);
      ASSERT_EQ(*Serialize(back), *wire) << info.name;
      ASSERT_THAT(to_string(back), StartsWith(std::string(info.name) + "{"));
      if (iteration == 0) {
        size_t step = wire->size() > 400 ? wire->size() / 200 : 1;
        for (size_t n = 0; n < wire->size(); n += step) {
          Reader t(ByteView(wire->data(), n));
          AnyObject partial =
              info.is_function ? AnyObject(AnyFunction::ReadBoxed(t)) : AnyObject::ReadBoxed(t);
          ASSERT_FALSE(t.Finish().ok()) << info.name << " prefix " << n;
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 6 * 2400);
}

}  // namespace
}  // namespace mtcore::tl
