#include "tests/dc/world_config.h"

#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"

namespace mtcore::dc {

const char kDefaultWorldConfigText[] = R"(# The built-in simulated world.
seed 1
dc 1 127.0.0.1 10441
dc 2 127.0.0.1 10442
dc 3 127.0.0.1 10443
dc 4 127.0.0.1 10444
dc 5 127.0.0.1 10445
flood_sends_per_second 30
difference_limit 100
difference_too_long 1000
login_code 12345
user id=1001 phone=15550001001 first_name=Alice last_name=Smith username=alice dc=2 code=11111
user id=1002 phone=15550001002 first_name=Bob last_name=Jones username=bob dc=2 code=22222 password=hunter2 hint="the usual"
user id=1003 phone=15550001003 first_name=Carol last_name=White username=carol dc=4 code=33333
bot id=7001 username=echo_bot first_name="Echo Bot" secret=AAEchoBotSecret0123456789 dc=2
group id=3001 title=Friends creator=1001 members=1001,1002,7001
channel id=4001 title=News username=mtcore_news creator=1001 members=1001,1002 broadcast
channel id=4002 title=Devs username=mtcore_devs creator=1001 members=1001,1002,1003,7001 megagroup
)";

std::string WorldConfig::BotToken(const Bot& bot) { return absl::StrCat(bot.id, ":", bot.secret); }

const WorldConfig::Dc* WorldConfig::FindDc(int id) const {
  for (const Dc& dc : dcs) {
    if (dc.id == id) return &dc;
  }
  return nullptr;
}

namespace {

// One statement: the keyword, positional values and key=value fields.
struct Statement {
  int line = 0;
  std::string keyword;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::string> bare_words;  // positional words after the first field
};

absl::Status LineError(int line, std::string_view keyword, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", keyword, ": ", what));
}

// Splits a line into words; "quoted words" may hold spaces, \" and \\.
absl::StatusOr<std::vector<std::string>> Tokenize(std::string_view line, int line_no) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') break;
    std::string word;
    bool quoted_any = false;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      if (line[i] == '"') {
        quoted_any = true;
        ++i;
        bool closed = false;
        while (i < line.size()) {
          if (line[i] == '\\' && i + 1 < line.size()) {
            word.push_back(line[i + 1]);
            i += 2;
          } else if (line[i] == '"') {
            closed = true;
            ++i;
            break;
          } else {
            word.push_back(line[i++]);
          }
        }
        if (!closed) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_no, ": unterminated quoted value"));
        }
      } else if (line[i] == '#' && !quoted_any && word.empty()) {
        break;
      } else {
        word.push_back(line[i++]);
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

absl::StatusOr<std::vector<Statement>> SplitStatements(std::string_view text) {
  std::vector<Statement> out;
  int line_no = 0;
  for (std::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    MTCORE_ASSIGN_OR_RETURN(std::vector<std::string> words, Tokenize(line, line_no));
    if (words.empty()) continue;
    Statement s;
    s.line = line_no;
    s.keyword = words[0];
    for (size_t i = 1; i < words.size(); ++i) {
      size_t eq = words[i].find('=');
      if (eq != std::string::npos && eq > 0) {
        s.fields.emplace_back(words[i].substr(0, eq), words[i].substr(eq + 1));
      } else if (s.fields.empty()) {
        s.positional.push_back(words[i]);
      } else {
        s.bare_words.push_back(words[i]);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Reads the fields of one entity statement, checking names and types.
class FieldReader {
 public:
  explicit FieldReader(const Statement& s) : s_(s) {}

  absl::Status Error(std::string_view field, std::string_view what) const {
    return LineError(s_.line, s_.keyword, absl::StrCat("field '", field, "': ", what));
  }

  const std::string* Find(std::string_view name) {
    used_.insert(std::string(name));
    for (const auto& [k, v] : s_.fields) {
      if (k == name) return &v;
    }
    return nullptr;
  }

  absl::Status String(std::string_view name, bool required, std::string& out) {
    const std::string* v = Find(name);
    if (v == nullptr) return required ? Error(name, "missing") : absl::OkStatus();
    if (required && v->empty()) return Error(name, "empty");
    out = *v;
    return absl::OkStatus();
  }

  template <typename Int>
  absl::Status Integer(std::string_view name, bool required, Int& out) {
    const std::string* v = Find(name);
    if (v == nullptr) return required ? Error(name, "missing") : absl::OkStatus();
    if (!absl::SimpleAtoi(*v, &out)) return Error(name, absl::StrCat("not an integer: '", *v, "'"));
    return absl::OkStatus();
  }

  absl::Status IdList(std::string_view name, std::vector<int64_t>& out) {
    const std::string* v = Find(name);
    if (v == nullptr || v->empty()) return absl::OkStatus();
    for (std::string_view part : absl::StrSplit(*v, ',')) {
      int64_t id = 0;
      if (!absl::SimpleAtoi(part, &id)) {
        return Error(name, absl::StrCat("not an id: '", part, "'"));
      }
      out.push_back(id);
    }
    return absl::OkStatus();
  }

  // Every field and bare word must be one this statement knows.
  absl::Status Finish(const std::vector<std::string>& allowed_words = {}) const {
    for (const auto& [k, v] : s_.fields) {
      if (!used_.count(k)) return LineError(s_.line, s_.keyword, absl::StrCat("unknown field '", k, "'"));
    }
    std::set<std::string> seen;
    for (const auto& [k, v] : s_.fields) {
      if (!seen.insert(k).second) {
        return LineError(s_.line, s_.keyword, absl::StrCat("field '", k, "' given twice"));
      }
    }
    for (const std::string& w : s_.bare_words) {
      bool ok = false;
      for (const std::string& a : allowed_words) ok = ok || a == w;
      if (!ok) return LineError(s_.line, s_.keyword, absl::StrCat("unexpected word '", w, "'"));
    }
    if (!s_.positional.empty()) {
      return LineError(s_.line, s_.keyword,
                       absl::StrCat("unexpected word '", s_.positional[0], "' (fields are key=value)"));
    }
    return absl::OkStatus();
  }

 private:
  const Statement& s_;
  std::set<std::string> used_;
};

absl::Status OneValue(const Statement& s, std::string& out) {
  if (s.positional.size() != 1 || !s.fields.empty() || !s.bare_words.empty()) {
    return LineError(s.line, s.keyword, "takes exactly one value");
  }
  out = s.positional[0];
  return absl::OkStatus();
}

template <typename Int>
absl::Status OneInteger(const Statement& s, Int& out) {
  std::string v;
  MTCORE_RETURN_IF_ERROR(OneValue(s, v));
  if (!absl::SimpleAtoi(v, &out)) return LineError(s.line, s.keyword, absl::StrCat("not an integer: '", v, "'"));
  return absl::OkStatus();
}

absl::Status ParseStatement(const Statement& s, WorldConfig& c) {
  const std::string& k = s.keyword;
  if (k == "seed") return OneInteger(s, c.seed);
  if (k == "default_schema") return OneValue(s, c.default_schema);
  if (k == "mtproto_schema") return OneValue(s, c.mtproto_schema);
  if (k == "schema") {
    if (s.positional.empty() || s.positional.size() > 2 || !s.fields.empty() || !s.bare_words.empty()) {
      return LineError(s.line, k, "expected: schema PATH [LAYER]");
    }
    WorldConfig::SchemaFile file{s.positional[0], 0};
    if (s.positional.size() == 2 && (!absl::SimpleAtoi(s.positional[1], &file.layer) || file.layer <= 0)) {
      return LineError(s.line, k, absl::StrCat("layer: not a positive integer: '", s.positional[1], "'"));
    }
    c.schemas.push_back(std::move(file));
    return absl::OkStatus();
  }
  if (k == "flood_sends_per_second") return OneInteger(s, c.flood_sends_per_second);
  if (k == "difference_limit") return OneInteger(s, c.difference_limit);
  if (k == "difference_too_long") return OneInteger(s, c.difference_too_long);
  if (k == "login_code") return OneValue(s, c.login_code);
  if (k == "dc") {
    if (s.positional.size() != 3 || !s.fields.empty() || !s.bare_words.empty()) {
      return LineError(s.line, k, "expected: dc ID ADDRESS PORT");
    }
    WorldConfig::Dc dc;
    if (!absl::SimpleAtoi(s.positional[0], &dc.id)) {
      return LineError(s.line, k, absl::StrCat("id: not an integer: '", s.positional[0], "'"));
    }
    dc.address = s.positional[1];
    if (!absl::SimpleAtoi(s.positional[2], &dc.port)) {
      return LineError(s.line, k, absl::StrCat("port: not an integer: '", s.positional[2], "'"));
    }
    if (dc.id < 1 || dc.id > 5) return LineError(s.line, k, absl::StrCat("id: must be 1..5 (got ", dc.id, ")"));
    if (dc.port < 1 || dc.port > 65535) {
      return LineError(s.line, k, absl::StrCat("port: must be 1..65535 (got ", dc.port, ")"));
    }
    if (c.FindDc(dc.id) != nullptr) return LineError(s.line, k, absl::StrCat("DC ", dc.id, " declared twice"));
    c.dcs.push_back(std::move(dc));
    return absl::OkStatus();
  }
  if (k == "dc_address") {
    const bool media = s.positional.size() == 4 && s.positional[3] == "media_only";
    if ((s.positional.size() != 3 && !media) || !s.fields.empty() || !s.bare_words.empty()) {
      return LineError(s.line, k, "expected: dc_address ID ADDRESS PORT [media_only]");
    }
    WorldConfig::DcAddress a;
    a.media_only = media;
    if (!absl::SimpleAtoi(s.positional[0], &a.id)) {
      return LineError(s.line, k, absl::StrCat("id: not an integer: '", s.positional[0], "'"));
    }
    a.address = s.positional[1];
    if (!absl::SimpleAtoi(s.positional[2], &a.port) || a.port < 1 || a.port > 65535) {
      return LineError(s.line, k, absl::StrCat("port: must be 1..65535 (got '", s.positional[2], "')"));
    }
    c.dc_addresses.push_back(std::move(a));
    return absl::OkStatus();
  }
  FieldReader f(s);
  if (k == "user") {
    WorldConfig::User u;
    MTCORE_RETURN_IF_ERROR(f.Integer("id", true, u.id));
    MTCORE_RETURN_IF_ERROR(f.String("phone", true, u.phone));
    MTCORE_RETURN_IF_ERROR(f.String("first_name", true, u.first_name));
    MTCORE_RETURN_IF_ERROR(f.String("last_name", false, u.last_name));
    MTCORE_RETURN_IF_ERROR(f.String("username", false, u.username));
    MTCORE_RETURN_IF_ERROR(f.Integer("dc", true, u.dc));
    MTCORE_RETURN_IF_ERROR(f.String("code", false, u.login_code));
    MTCORE_RETURN_IF_ERROR(f.String("password", false, u.password));
    MTCORE_RETURN_IF_ERROR(f.String("hint", false, u.password_hint));
    MTCORE_RETURN_IF_ERROR(f.String("login_email", false, u.login_email));
    MTCORE_RETURN_IF_ERROR(f.Finish());
    if (!u.login_email.empty() && u.login_email != "setup" &&
        u.login_email.find('@') == std::string::npos) {
      return f.Error("login_email", absl::StrCat("an address or 'setup' (got '", u.login_email, "')"));
    }
    if (!u.phone.empty() && u.phone[0] == '+') u.phone.erase(0, 1);
    for (char ch : u.phone) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) {
        return f.Error("phone", absl::StrCat("digits only (got '", u.phone, "')"));
      }
    }
    c.users.push_back(std::move(u));
    return absl::OkStatus();
  }
  if (k == "bot") {
    WorldConfig::Bot b;
    MTCORE_RETURN_IF_ERROR(f.Integer("id", true, b.id));
    MTCORE_RETURN_IF_ERROR(f.String("username", true, b.username));
    MTCORE_RETURN_IF_ERROR(f.String("first_name", false, b.first_name));
    MTCORE_RETURN_IF_ERROR(f.String("secret", true, b.secret));
    MTCORE_RETURN_IF_ERROR(f.Integer("dc", true, b.dc));
    MTCORE_RETURN_IF_ERROR(f.Finish());
    if (b.first_name.empty()) b.first_name = b.username;
    if (b.secret.find(':') != std::string::npos) return f.Error("secret", "must not contain ':'");
    c.bots.push_back(std::move(b));
    return absl::OkStatus();
  }
  if (k == "group") {
    WorldConfig::Group g;
    MTCORE_RETURN_IF_ERROR(f.Integer("id", true, g.id));
    MTCORE_RETURN_IF_ERROR(f.String("title", true, g.title));
    MTCORE_RETURN_IF_ERROR(f.Integer("creator", true, g.creator));
    MTCORE_RETURN_IF_ERROR(f.IdList("members", g.members));
    MTCORE_RETURN_IF_ERROR(f.Finish());
    c.groups.push_back(std::move(g));
    return absl::OkStatus();
  }
  if (k == "channel") {
    WorldConfig::Channel ch;
    MTCORE_RETURN_IF_ERROR(f.Integer("id", true, ch.id));
    MTCORE_RETURN_IF_ERROR(f.String("title", true, ch.title));
    MTCORE_RETURN_IF_ERROR(f.String("username", false, ch.username));
    MTCORE_RETURN_IF_ERROR(f.Integer("creator", true, ch.creator));
    MTCORE_RETURN_IF_ERROR(f.IdList("members", ch.members));
    MTCORE_RETURN_IF_ERROR(f.Finish({"broadcast", "megagroup"}));
    int kinds = 0;
    for (const std::string& w : s.bare_words) {
      ++kinds;
      ch.megagroup = w == "megagroup";
    }
    if (kinds != 1) return LineError(s.line, k, "needs exactly one of 'broadcast' or 'megagroup'");
    c.channels.push_back(std::move(ch));
    return absl::OkStatus();
  }
  return LineError(s.line, k, "unknown keyword");
}

void AddCreator(int64_t creator, std::vector<int64_t>& members) {
  for (int64_t m : members) {
    if (m == creator) return;
  }
  members.insert(members.begin(), creator);
}

}  // namespace

absl::Status ValidateWorldConfig(const WorldConfig& c) {
  auto fail = [](std::string_view what) { return absl::InvalidArgumentError(std::string(what)); };
  if (c.flood_sends_per_second < 0) return fail("flood_sends_per_second: must be >= 0");
  if (c.difference_limit < 1) return fail("difference_limit: must be >= 1");
  if (c.difference_too_long < c.difference_limit) {
    return fail("difference_too_long: must be >= difference_limit");
  }
  if (c.login_code.empty()) return fail("login_code: empty");
  std::set<int64_t> ids, people;
  std::set<std::string> usernames, phones;
  auto claim_id = [&](std::string_view what, int64_t id) -> absl::Status {
    if (id <= 0) return fail(absl::StrCat(what, " ", id, ": id must be positive"));
    if (!ids.insert(id).second) return fail(absl::StrCat(what, " ", id, ": id used twice"));
    return absl::OkStatus();
  };
  auto claim_username = [&](std::string_view what, int64_t id, const std::string& name) -> absl::Status {
    if (name.empty()) return absl::OkStatus();
    if (!usernames.insert(absl::AsciiStrToLower(name)).second) {
      return fail(absl::StrCat(what, " ", id, ": username '", name, "' used twice"));
    }
    return absl::OkStatus();
  };
  auto check_dc = [&](std::string_view what, int64_t id, int dc) -> absl::Status {
    if (c.FindDc(dc) == nullptr) return fail(absl::StrCat(what, " ", id, ": home DC ", dc, " is not declared"));
    return absl::OkStatus();
  };
  for (const auto& u : c.users) {
    MTCORE_RETURN_IF_ERROR(claim_id("user", u.id));
    MTCORE_RETURN_IF_ERROR(claim_username("user", u.id, u.username));
    MTCORE_RETURN_IF_ERROR(check_dc("user", u.id, u.dc));
    if (u.phone.empty()) return fail(absl::StrCat("user ", u.id, ": phone empty"));
    if (!phones.insert(u.phone).second) return fail(absl::StrCat("user ", u.id, ": phone used twice"));
    people.insert(u.id);
  }
  for (const auto& a : c.dc_addresses) {
    if (c.FindDc(a.id) == nullptr) {
      return fail(absl::StrCat("dc_address ", a.address, ": DC ", a.id, " is not declared"));
    }
  }
  for (const auto& b : c.bots) {
    MTCORE_RETURN_IF_ERROR(claim_id("bot", b.id));
    MTCORE_RETURN_IF_ERROR(claim_username("bot", b.id, b.username));
    MTCORE_RETURN_IF_ERROR(check_dc("bot", b.id, b.dc));
    people.insert(b.id);
  }
  auto check_members = [&](std::string_view what, int64_t id, int64_t creator,
                           const std::vector<int64_t>& members) -> absl::Status {
    if (!people.count(creator)) return fail(absl::StrCat(what, " ", id, ": creator ", creator, " is not a user or bot"));
    std::set<int64_t> seen;
    for (int64_t m : members) {
      if (!people.count(m)) return fail(absl::StrCat(what, " ", id, ": member ", m, " is not a user or bot"));
      if (!seen.insert(m).second) return fail(absl::StrCat(what, " ", id, ": member ", m, " listed twice"));
    }
    return absl::OkStatus();
  };
  for (const auto& g : c.groups) {
    MTCORE_RETURN_IF_ERROR(claim_id("group", g.id));
    MTCORE_RETURN_IF_ERROR(check_members("group", g.id, g.creator, g.members));
  }
  for (const auto& ch : c.channels) {
    MTCORE_RETURN_IF_ERROR(claim_id("channel", ch.id));
    MTCORE_RETURN_IF_ERROR(claim_username("channel", ch.id, ch.username));
    MTCORE_RETURN_IF_ERROR(check_members("channel", ch.id, ch.creator, ch.members));
  }
  return absl::OkStatus();
}

absl::StatusOr<WorldConfig> ParseWorldConfig(std::string_view text) {
  MTCORE_ASSIGN_OR_RETURN(std::vector<Statement> statements, SplitStatements(text));
  WorldConfig c;
  for (const Statement& s : statements) {
    MTCORE_RETURN_IF_ERROR(ParseStatement(s, c));
  }
  for (auto& g : c.groups) AddCreator(g.creator, g.members);
  for (auto& ch : c.channels) AddCreator(ch.creator, ch.members);
  MTCORE_RETURN_IF_ERROR(ValidateWorldConfig(c));
  return c;
}

absl::StatusOr<WorldConfig> LoadWorldConfigFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  absl::StatusOr<WorldConfig> c = ParseWorldConfig(text);
  if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", c.status().message()));
  return c;
}

WorldConfig DefaultWorldConfig() {
  absl::StatusOr<WorldConfig> c = ParseWorldConfig(kDefaultWorldConfigText);
  // The built-in text is covered by world_config_test; it always parses.
  return c.ok() ? *std::move(c) : WorldConfig{};
}

}  // namespace mtcore::dc
