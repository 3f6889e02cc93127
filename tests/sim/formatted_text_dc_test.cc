// Formatted text end to end: Alice's client sends HTML (parsed by core/text,
// built into messages.sendMessage by client::SendText, a mention named
// through her peer cache) to the bot through the simulated DC; the bot's
// client receives the message with its entities as Telegram delivers them,
// and renders them back to the same HTML and to MarkdownV2.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/client.h"
#include "core/client/formatted_message.h"
#include "core/text/html.h"
#include "core/text/markdown.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using client::Client;
using client::ClientEvent;
using client::PeerKind;

class FormattedTextDcTest : public ::testing::Test {
 protected:
  // Keeps incoming messages; drops other events.
  std::function<void(ClientEvent)> Keep(std::vector<tl::message>& into) {
    return [&into](ClientEvent e) {
      if (e.kind != ClientEvent::Kind::kUpdate) return;
      const auto* u = e.update.As<tl::updateNewMessage>();
      if (u == nullptr) return;
      if (const auto* m = u->message.As<tl::message>(); m != nullptr && !m->out) into.push_back(*m);
    };
  }
  void Drain(Client& c, std::vector<tl::message>& into) {
    const auto keep = Keep(into);
    while (std::optional<ClientEvent> e = c.PollEvent()) keep(*std::move(e));
  }

  sim::SimDc dc_{777};
};

TEST_F(FormattedTextDcTest, HtmlSentByOneClientArrivesAsEntitiesAtTheOther) {
  std::vector<tl::message> bot_got, alice_got;
  std::unique_ptr<Client> bot = dc_.MakeClient();
  const int bot_id = dc_.AddClient(*bot);
  std::unique_ptr<Client> alice = dc_.MakeClient();
  const int alice_id = dc_.AddClient(*alice);

  tl::auth_importBotAuthorization bot_login;
  bot_login.api_id = 1;
  bot_login.api_hash = "sim";
  bot_login.bot_auth_token = dc::WorldConfig::BotToken(dc_.bot());
  absl::StatusOr<tl::auth_Authorization> b = dc_.Invoke(*bot, bot_id, bot_login, Keep(bot_got));
  ASSERT_TRUE(b.ok()) << b.status();
  const int64_t bot_user = b->As<tl::auth_authorization>()->user.As<tl::user>()->id;

  const dc::WorldConfig::User* user = dc_.alice();
  ASSERT_NE(user, nullptr);
  tl::auth_sendCode send_code;
  send_code.phone_number = user->phone;
  send_code.api_id = 1;
  send_code.api_hash = "sim";
  send_code.settings = tl::codeSettings{};
  absl::StatusOr<tl::auth_SentCode> sent = dc_.Invoke(*alice, alice_id, send_code, Keep(alice_got));
  ASSERT_TRUE(sent.ok()) << sent.status();
  tl::auth_signIn sign_in;
  sign_in.phone_number = user->phone;
  sign_in.phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash;
  sign_in.phone_code = user->login_code.empty() ? dc_.world().config().login_code : user->login_code;
  absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*alice, alice_id, sign_in, Keep(alice_got));
  ASSERT_TRUE(a.ok()) << a.status();

  tl::contacts_resolveUsername resolve;
  resolve.username = dc_.bot().username;
  ASSERT_TRUE(dc_.Invoke(*alice, alice_id, resolve, Keep(alice_got), [&] { Drain(*bot, bot_got); }).ok());
  ASSERT_TRUE(alice->peers().Knows(PeerKind::kUser, bot_user));

  // Alice writes HTML with a mention of the bot, an emoji before it (two
  // UTF-16 units) and a pre block with a language.
  const std::string html = absl::StrCat(
      "<b>Hello</b> \xf0\x9f\x91\x8b <a href=\"tg://user?id=", bot_user,
      "\">bot</a>, <i>see <u>this</u></i>: <a href=\"https://core.telegram.org/api/entities\">entities</a>\n"
      "<pre><code class=\"language-cpp\">int x = 1 &lt; 2;</code></pre>\n<blockquote expandable>quoted</blockquote>");
  absl::StatusOr<text::FormattedText> formatted = text::ParseHtml(html);
  ASSERT_TRUE(formatted.ok()) << formatted.status();
  absl::StatusOr<tl::InputPeer> to = alice->peers().InputPeerOf(PeerKind::kUser, bot_user);
  ASSERT_TRUE(to.ok()) << to.status();
  absl::StatusOr<tl::messages_sendMessage> m = client::SendText(*to, *formatted, alice->peers(), 4242);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<tl::Updates> done = dc_.Invoke(*alice, alice_id, *m, Keep(alice_got), [&] { Drain(*bot, bot_got); });
  ASSERT_TRUE(done.ok()) << done.status();

  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Drain(*bot, bot_got);
        Drain(*alice, alice_got);
        return !bot_got.empty();
      },
      absl::Seconds(30)));
  ASSERT_EQ(bot_got.size(), 1u);
  text::FormattedText received = client::ReceivedText(bot_got[0]);
  EXPECT_EQ(received, *formatted);  // the mention as messageEntityMentionName, as parsed
  EXPECT_NE(received.entities[1].As<tl::messageEntityMentionName>(), nullptr);
  absl::StatusOr<std::string> back = text::ToHtml(received);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, html);
  absl::StatusOr<std::string> md = text::ToMarkdownV2(received);
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(*md, absl::StrCat("*Hello* \xf0\x9f\x91\x8b [bot](tg://user?id=", bot_user,
                              "), _see __this__**_: [entities](https://core.telegram.org/api/entities)\n"
                              "```cpp\nint x = 1 < 2;\n```\n>quoted||"));
}

}  // namespace
}  // namespace mtcore
