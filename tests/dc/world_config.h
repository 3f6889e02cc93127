// What the simulated Telegram world (tests/dc/world.h) contains: DC
// addresses, accounts, bots, basic groups, channels, the TL schemas it speaks,
// its seed and its limits. Parsed from a small line-based text format or taken
// from DefaultWorldConfig().
//
// Text format: one statement per line, a word starting with `#` (outside
// quotes) starts a comment,
// blank lines are ignored. A statement is a keyword followed by positional
// values or `key=value` fields; a value with spaces is written in double
// quotes ("Echo Bot", with \" and \\ escapes). Every error names the line and
// the field.
//
//   seed 42                          # everything random derives from it
//   dc 2 127.0.0.1 10443             # id address port (1..5; IPv6 allowed)
//   dc_address 2 ::1 10443           # more addresses help.getConfig lists for
//   dc_address 2 127.0.0.1 10452 media_only  # DC 2 (after the `dc` one)
//   schema testdata/layer_227.json   # another layer: .tl or mtcute .json,
//                                    # its layer taken from the file
//   schema gramjs_api.tl 198         # ... or given (a .tl without `// LAYER`)
//   default_schema PATH              # the default layer's API schema
//   mtproto_schema PATH              # schema/mtproto.tl, loaded with each layer
//   flood_sends_per_second 30        # messages.sendMessage per account; 0 = off
//   difference_limit 100             # updates per getDifference slice
//   difference_too_long 1000         # further behind than this: *TooLong
//   login_code 12345                 # code for accounts that set none (and sign-ups)
//   user id=1001 phone=15550001001 first_name=Alice last_name=Smith ...
//        ... username=alice dc=2 code=11111 password=hunter2 hint="usual"
//        ... login_email=alice@example.com   # codes by email ('setup': the next
//                                            # login sets up a login email first)
//   bot id=7001 username=echo_bot first_name="Echo Bot" secret=AAE... dc=2
//   group id=3001 title=Friends creator=1001 members=1001,1002,7001
//   channel id=4001 title=News username=news creator=1001 members=1001,1002 broadcast
//   channel id=4002 title=Devs creator=1001 members=1001,1002,7001 megagroup
//
// (A statement is one line; the `...` above only wraps this comment.)
// Required: user id, phone, first_name, dc; bot id, username, secret, dc;
// group id, title, creator; channel id, title, creator and exactly one of
// `broadcast` / `megagroup`. A bot's token is "<id>:<secret>". Creators are
// members. Ids are unique across users, bots, groups and channels; members
// must be users or bots; every home DC must be declared with `dc`.
//
// Example:
//   absl::StatusOr<WorldConfig> c = ParseWorldConfig(text);
//   // "line 7: user: field 'dc': not an integer: 'two'"
#ifndef MTCORE_TESTS_DC_WORLD_CONFIG_H_
#define MTCORE_TESTS_DC_WORLD_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mtcore::dc {

struct WorldConfig {
  struct Dc {
    int id = 0;
    std::string address;  // numeric IPv4 or IPv6
    int port = 0;
  };
  struct User {
    int64_t id = 0;
    std::string phone;  // digits only, no '+'
    std::string first_name;
    std::string last_name;
    std::string username;  // without '@'; may be empty
    int dc = 0;            // home DC
    std::string login_code;  // empty: WorldConfig::login_code
    std::string password;    // empty: no 2FA
    std::string password_hint;
    // The account's login email: codes go there (auth.sentCodeTypeEmailCode)
    // instead of the apps; "setup": the next login must set one up first
    // (auth.sentCodeTypeSetUpEmailRequired, then account.sendVerifyEmailCode /
    // verifyEmail). Empty: none.
    std::string login_email;
  };
  struct Bot {
    int64_t id = 0;
    std::string username;
    std::string first_name;
    std::string secret;  // the token is "<id>:<secret>"
    int dc = 0;
  };
  struct Group {
    int64_t id = 0;
    std::string title;
    int64_t creator = 0;
    std::vector<int64_t> members;  // creator included
  };
  struct Channel {
    int64_t id = 0;
    std::string title;
    std::string username;
    int64_t creator = 0;
    std::vector<int64_t> members;  // creator included
    bool megagroup = false;        // false: broadcast (only the creator posts)
  };

  struct SchemaFile {
    std::string path;
    int layer = 0;  // 0: the layer the file names
  };

  // Another address a declared DC advertises (`dc_address`).
  struct DcAddress {
    int id = 0;
    std::string address;  // numeric IPv4 or IPv6
    int port = 0;
    bool media_only = false;  // dcOption.media_only: for downloads
  };

  uint64_t seed = 1;
  std::vector<Dc> dcs;
  // help.getConfig lists them after the `dc` ones, in this order.
  std::vector<DcAddress> dc_addresses;
  // The default layer: the API schema and the MTProto schema, as paths
  // relative to the current directory (a test's runfiles root).
  std::string default_schema = "external/mtcute_schema/package/tl/api-schema.json";
  std::string mtproto_schema = "schema/mtproto.tl";
  // Further layers, each loaded together with mtproto_schema.
  std::vector<SchemaFile> schemas;
  int flood_sends_per_second = 30;
  int difference_limit = 100;
  int difference_too_long = 1000;
  // Files (set in code only, not in the text format): the bytes of
  // unfinished uploads one account may keep, each part counted as at least
  // 1 KiB (beyond it the least recently written of its other uploads goes;
  // an upload bigger on its own is refused), how many unfinished uploads it
  // may keep (a new one beyond that pushes the least recently written out),
  // and the bytes of all sent documents (the oldest go first).
  size_t upload_bytes_per_account = size_t{32} << 20;
  size_t uploads_per_account = 64;
  size_t document_bytes = size_t{256} << 20;
  // A CDN DC (core.telegram.org/cdn; set in code only): dc_id 0 means none.
  // Its address goes into help.getConfig as a dcOption with the cdn flag,
  // its RSA public key (PKCS#1 PEM) into help.getCdnConfig; the DC program
  // or the test serves it with that key (a DataCentre with that id). With
  // one, upload.getFile with cdn_supported answers upload.fileCdnRedirect
  // for documents of at least min_document_size bytes.
  struct Cdn {
    int dc_id = 0;
    std::string address;
    int port = 0;
    std::string public_key_pem;
    int64_t min_document_size = 0;
    // (What the CDN does beyond that is World::cdn_faults().)
  };
  Cdn cdn;
  std::string login_code = "12345";
  std::vector<User> users;
  std::vector<Bot> bots;
  std::vector<Group> groups;
  std::vector<Channel> channels;

  // The "<id>:<secret>" token of `bot`.
  static std::string BotToken(const Bot& bot);
  // The DC entry for `id`, or nullptr.
  const Dc* FindDc(int id) const;
};

// Parses the text format above and validates it (ValidateWorldConfig).
// InvalidArgumentError "line N: <keyword>: ..." on the first problem.
absl::StatusOr<WorldConfig> ParseWorldConfig(std::string_view text);

// Reads and parses a config file; errors are prefixed with the path.
absl::StatusOr<WorldConfig> LoadWorldConfigFile(const std::string& path);

// The cross-reference checks ParseWorldConfig runs (unique ids, known
// members and creators, declared home DCs, valid ranges), for configs built
// in code. InvalidArgumentError naming the entity and field.
absl::Status ValidateWorldConfig(const WorldConfig& config);

// The built-in world (also the text kDefaultWorldConfigText):
//   DCs 1..5 at 127.0.0.1:10441..10445 (placeholders the DC program replaces
//     with its real listening addresses);
//   users 1001 Alice Smith @alice +15550001001 (DC 2, code 11111),
//         1002 Bob Jones @bob +15550001002 (DC 2, code 22222, 2FA password
//           "hunter2", hint "the usual"),
//         1003 Carol White @carol +15550001003 (DC 4, code 33333);
//   bot 7001 @echo_bot "Echo Bot", token "7001:AAEchoBotSecret0123456789", DC 2;
//   basic group 3001 "Friends" (creator 1001; 1001, 1002, 7001);
//   broadcast channel 4001 "News" @mtcore_news (creator 1001; 1001, 1002);
//   supergroup 4002 "Devs" @mtcore_devs (creator 1001; 1001, 1002, 1003, 7001);
//   seed 1, 30 sends per second, slices of 100, too long beyond 1000.
WorldConfig DefaultWorldConfig();
extern const char kDefaultWorldConfigText[];

}  // namespace mtcore::dc

#endif  // MTCORE_TESTS_DC_WORLD_CONFIG_H_
