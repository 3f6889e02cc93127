#include "tests/dc/world_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtcore::dc {
namespace {

using ::testing::HasSubstr;

std::string Base() {
  return "dc 2 127.0.0.1 10443\n"
         "user id=1 phone=+15550000001 first_name=Ann dc=2\n";
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<WorldConfig> c = ParseWorldConfig(text);
  return c.ok() ? "(parsed)" : std::string(c.status().message());
}

TEST(WorldConfigTest, DefaultWorldHasWhatTheBriefPromises) {
  WorldConfig c = DefaultWorldConfig();
  ASSERT_EQ(c.dcs.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.dcs[i].id, i + 1);
    EXPECT_EQ(c.dcs[i].address, "127.0.0.1");
  }
  ASSERT_EQ(c.users.size(), 3u);
  EXPECT_EQ(c.users[1].first_name, "Bob");
  EXPECT_EQ(c.users[1].password, "hunter2");
  EXPECT_EQ(c.users[1].password_hint, "the usual");
  EXPECT_EQ(c.users[2].dc, 4);
  ASSERT_EQ(c.bots.size(), 1u);
  EXPECT_EQ(WorldConfig::BotToken(c.bots[0]), "7001:AAEchoBotSecret0123456789");
  EXPECT_EQ(c.bots[0].first_name, "Echo Bot");
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].members, (std::vector<int64_t>{1001, 1002, 7001}));
  ASSERT_EQ(c.channels.size(), 2u);
  EXPECT_FALSE(c.channels[0].megagroup);
  EXPECT_TRUE(c.channels[1].megagroup);
  EXPECT_EQ(c.seed, 1u);
  EXPECT_EQ(c.default_schema, "external/mtcute_schema/package/tl/api-schema.json");
}

TEST(WorldConfigTest, ParsesEveryStatement) {
  absl::StatusOr<WorldConfig> c = ParseWorldConfig(
      "# comment\n"
      "seed 99   # trailing comment\n"
      "dc 1 ::1 443\n"
      "dc 2 10.0.0.2 8443\n"
      "schema tests/dc/testdata/world_layer_old.tl\n"
      "default_schema api.json\n"
      "mtproto_schema mt.tl\n"
      "flood_sends_per_second 0\n"
      "difference_limit 5\n"
      "difference_too_long 20\n"
      "login_code 424242\n"
      "user id=10 phone=+1 555 first_name=\"Ann Marie\" last_name=O\\\"Neil dc=1 password=\"p w#x\"\n"
      "bot id=20 username=b secret=S dc=2\n"
      "group id=30 title=\"G # 1\" creator=10 members=20\n"
      "channel id=40 title=C creator=20 megagroup\n");
  // "+1 555" is two words: the second is an unexpected word.
  EXPECT_FALSE(c.ok());
  c = ParseWorldConfig(
      "seed 99   # trailing comment\n"
      "dc 1 ::1 443\n"
      "dc 2 10.0.0.2 8443\n"
      "dc_address 2 ::2 8443\n"
      "dc_address 2 10.0.0.3 8444 media_only\n"
      "schema tests/dc/testdata/world_layer_old.tl\n"
      "schema gramjs.tl 198\n"
      "default_schema api.json\n"
      "mtproto_schema mt.tl\n"
      "flood_sends_per_second 0\n"
      "difference_limit 5\n"
      "difference_too_long 20\n"
      "login_code 424242\n"
      "user id=10 phone=+1555 first_name=\"Ann Marie\" last_name=\"O\\\"Neil\" dc=1 password=\"p w#x\"\n"
      "bot id=20 username=b secret=S dc=2\n"
      "group id=30 title=\"G # 1\" creator=10 members=20\n"
      "channel id=40 title=C creator=20 megagroup\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->seed, 99u);
  ASSERT_EQ(c->dcs.size(), 2u);
  EXPECT_EQ(c->dcs[0].address, "::1");
  EXPECT_EQ(c->dcs[1].port, 8443);
  ASSERT_EQ(c->dc_addresses.size(), 2u);
  EXPECT_EQ(c->dc_addresses[0].id, 2);
  EXPECT_EQ(c->dc_addresses[0].address, "::2");
  EXPECT_FALSE(c->dc_addresses[0].media_only);
  EXPECT_EQ(c->dc_addresses[1].port, 8444);
  EXPECT_TRUE(c->dc_addresses[1].media_only);
  ASSERT_EQ(c->schemas.size(), 2u);
  EXPECT_EQ(c->schemas[0].path, "tests/dc/testdata/world_layer_old.tl");
  EXPECT_EQ(c->schemas[0].layer, 0);
  EXPECT_EQ(c->schemas[1].path, "gramjs.tl");
  EXPECT_EQ(c->schemas[1].layer, 198);
  EXPECT_EQ(c->default_schema, "api.json");
  EXPECT_EQ(c->mtproto_schema, "mt.tl");
  EXPECT_EQ(c->flood_sends_per_second, 0);
  EXPECT_EQ(c->difference_limit, 5);
  EXPECT_EQ(c->difference_too_long, 20);
  EXPECT_EQ(c->login_code, "424242");
  ASSERT_EQ(c->users.size(), 1u);
  EXPECT_EQ(c->users[0].phone, "1555");
  EXPECT_EQ(c->users[0].first_name, "Ann Marie");
  EXPECT_EQ(c->users[0].last_name, "O\"Neil");
  EXPECT_EQ(c->users[0].password, "p w#x");
  EXPECT_EQ(c->bots[0].first_name, "b");  // defaults to the username
  EXPECT_EQ(c->groups[0].title, "G # 1");
  EXPECT_EQ(c->groups[0].members, (std::vector<int64_t>{10, 20}));  // creator added
  EXPECT_EQ(c->channels[0].members, (std::vector<int64_t>{20}));
  EXPECT_TRUE(c->channels[0].megagroup);
}

TEST(WorldConfigTest, ErrorsNameTheLineAndField) {
  EXPECT_EQ(ErrorOf(Base() + "user id=2 phone=2 first_name=B dc=two\n"),
            "line 3: user: field 'dc': not an integer: 'two'");
  EXPECT_EQ(ErrorOf(Base() + "user id=2 phone=2 dc=2\n"), "line 3: user: field 'first_name': missing");
  EXPECT_EQ(ErrorOf(Base() + "user id=2 phone=2 first_name=B dc=2 nmae=x\n"),
            "line 3: user: unknown field 'nmae'");
  EXPECT_EQ(ErrorOf(Base() + "user id=2 phone=2a first_name=B dc=2\n"),
            "line 3: user: field 'phone': digits only (got '2a')");
  EXPECT_EQ(ErrorOf("\n\nfrobnicate 1\n"), "line 3: frobnicate: unknown keyword");
  EXPECT_EQ(ErrorOf("dc 9 1.2.3.4 1\n"), "line 1: dc: id: must be 1..5 (got 9)");
  EXPECT_EQ(ErrorOf("dc 1 1.2.3.4\n"), "line 1: dc: expected: dc ID ADDRESS PORT");
  EXPECT_EQ(ErrorOf("dc 1 1.2.3.4 70000\n"), "line 1: dc: port: must be 1..65535 (got 70000)");
  EXPECT_EQ(ErrorOf("dc 1 a 1\ndc 1 b 2\n"), "line 2: dc: DC 1 declared twice");
  EXPECT_EQ(ErrorOf("dc_address 1 ::1\n"),
            "line 1: dc_address: expected: dc_address ID ADDRESS PORT [media_only]");
  EXPECT_EQ(ErrorOf("dc_address 1 ::1 443 cdn\n"),
            "line 1: dc_address: expected: dc_address ID ADDRESS PORT [media_only]");
  EXPECT_EQ(ErrorOf("dc_address 1 ::1 0\n"), "line 1: dc_address: port: must be 1..65535 (got '0')");
  EXPECT_EQ(ErrorOf("seed x\n"), "line 1: seed: not an integer: 'x'");
  EXPECT_EQ(ErrorOf("schema a.tl x\n"), "line 1: schema: layer: not a positive integer: 'x'");
  EXPECT_EQ(ErrorOf("schema\n"), "line 1: schema: expected: schema PATH [LAYER]");
  EXPECT_EQ(ErrorOf("seed 1 2\n"), "line 1: seed: takes exactly one value");
  EXPECT_EQ(ErrorOf(Base() + "user id=3 phone=\"3 first_name=C dc=2\n"), "line 3: unterminated quoted value");
  EXPECT_EQ(ErrorOf(Base() + "channel id=40 title=C creator=1\n"),
            "line 3: channel: needs exactly one of 'broadcast' or 'megagroup'");
  EXPECT_EQ(ErrorOf(Base() + "channel id=40 title=C creator=1 megagroup huge\n"),
            "line 3: channel: unexpected word 'huge'");
  EXPECT_EQ(ErrorOf(Base() + "group id=30 title=G creator=1 members=1,x\n"),
            "line 3: group: field 'members': not an id: 'x'");
  EXPECT_EQ(ErrorOf(Base() + "bot id=5 username=b secret=a:b dc=2\n"),
            "line 3: bot: field 'secret': must not contain ':'");
  EXPECT_EQ(ErrorOf(Base() + "user id=2 id=3 phone=2 first_name=B dc=2\n"),
            "line 3: user: field 'id' given twice");
}

TEST(WorldConfigTest, CrossReferenceErrors) {
  EXPECT_THAT(ErrorOf(Base() + "user id=1 phone=2 first_name=B dc=2\n"), HasSubstr("user 1: id used twice"));
  EXPECT_THAT(ErrorOf(Base() + "user id=2 phone=15550000001 first_name=B dc=2\n"),
              HasSubstr("user 2: phone used twice"));
  EXPECT_THAT(ErrorOf(Base() + "user id=2 phone=2 first_name=B dc=3\n"),
              HasSubstr("user 2: home DC 3 is not declared"));
  EXPECT_THAT(ErrorOf(Base() + "group id=30 title=G creator=1 members=99\n"),
              HasSubstr("group 30: member 99 is not a user or bot"));
  EXPECT_THAT(ErrorOf(Base() + "channel id=40 title=C creator=77 broadcast\n"),
              HasSubstr("channel 40: creator 77 is not a user or bot"));
  EXPECT_THAT(ErrorOf(Base() + "bot id=5 username=B secret=s dc=2\nuser id=6 phone=6 first_name=x username=b dc=2\n"),
              HasSubstr("bot 5: username 'B' used twice"));
  EXPECT_THAT(ErrorOf(Base() + "dc_address 4 ::1 443\n"),
              HasSubstr("dc_address ::1: DC 4 is not declared"));
  EXPECT_THAT(ErrorOf(Base() + "difference_limit 10\ndifference_too_long 5\n"),
              HasSubstr("difference_too_long: must be >= difference_limit"));
}

TEST(WorldConfigTest, LoadFileNamesThePath) {
  absl::StatusOr<WorldConfig> c = LoadWorldConfigFile("no/such/world.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "no/such/world.conf: cannot open");
}

}  // namespace
}  // namespace mtcore::dc
