// ClientRunner against the simulated DCs (testdc) over loopback TCP: a user
// whose account lives on DC 4 downloads documents stored on DC 2, the runner
// opening (once) an authorised connection to DC 2 by itself; files streamed
// from disk and to disk (UploadFile, DownloadToFile), with a source that
// fails to read and a destination that fails to write.
#include "io/native/client_runner.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/client/file_transfer.h"
#include "core/crypto/pubkey/rsa_private_key.h"
#include "core/crypto/pubkey/test_keys.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/native/event_loop.h"
#include "io/native/file_io.h"
#include "io/native/runner_test_steps.h"
#include "io/native/test_files.h"
#include "tests/dc/data_centre.h"
#include "tests/dc/testdc_server.h"
#include "tests/dc/world.h"
#include "tests/dc/world_test_client.h"
#include "tl/api.h"
#include "tl/secret.h"

namespace mtcore::io {
namespace {

namespace tl = ::mtcore::tl;
using ::testing::HasSubstr;
using ::mtcore::io::testing::Exists;
using ::mtcore::io::testing::FileSizeLimit;
using ::mtcore::io::testing::ReadFile;
using ::mtcore::io::testing::TempPath;
using ::mtcore::io::testing::WriteFile;

constexpr absl::Duration kTimeout = absl::Seconds(30);


Bytes FileContent(size_t n, uint64_t seed) {
  crypto::DeterministicRandom rng(seed);
  return crypto::RandomBytes(rng, n);
}

class ClientRunnerDcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<crypto::RsaPrivateKey> key =
        crypto::RsaPrivateKey::FromPem(crypto::testing::kTestPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<crypto::RsaPrivateKey>(*std::move(key));
    absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
    absl::Status started = testing::StartLoopbackDcs(*loop_, *key_, rng_, {}, server_, config_,
                                                     world_, cluster_);
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    alice_.reset();
    carol_.reset();
    server_.reset();  // connections before the cluster and the world
    cluster_.reset();
    world_.reset();
  }

  // A runner on DC `dc`, not logged in.
  absl::StatusOr<std::unique_ptr<ClientRunner>> NewRunner(int dc, bool dc_address = true) {
    client::ClientConfig c;
    c.engine.dc_id = static_cast<int16_t>(dc);
    c.engine.server_keys = {key_->public_key()};
    c.api_id = 1;
    absl::StatusOr<std::unique_ptr<client::Client>> cl =
        client::Client::Create(std::move(c), rng_, loop_->Now(), absl::ToUnixNanos(absl::Now()));
    if (!cl.ok()) return cl.status();
    ClientRunner::DcAddressFn where;
    if (dc_address) {
      where = [this](int dc) -> std::vector<HostPort> {
        if (dc < 1 || static_cast<size_t>(dc) > server_->addresses().size()) return {};
        return {server_->addresses()[static_cast<size_t>(dc - 1)]};
      };
    }
    return ClientRunner::Connect(*loop_, *std::move(cl),
                                 server_->addresses().at(static_cast<size_t>(dc - 1)), rng_, {},
                                 std::move(where));
  }

  // A runner logged in as `username`, on the account's DC. With
  // `dc_address`, the runner knows where every DC is; without, only what
  // help.getConfig says.
  absl::StatusOr<std::unique_ptr<ClientRunner>> LogIn(const std::string& username,
                                                      bool dc_address = true) {
    absl::StatusOr<const dc::WorldConfig::User*> user = testing::ConfiguredUser(config_, username);
    if (!user.ok()) return user.status();
    absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner((*user)->dc, dc_address);
    if (!r.ok()) return r.status();
    absl::Status in = testing::SignInWithCode(**r, config_, **user, kTimeout);
    if (!in.ok()) return in;
    return r;
  }

  // Alice uploads `data` (or sent `file`) and sends it to Carol; Carol's document.
  absl::StatusOr<tl::document> AliceSendsCarol(const Bytes& data) {
    return testing::SendDocument(*alice_, *carol_, "carol", data, rng_, kTimeout);
  }
  absl::StatusOr<tl::document> AliceSendsCarol(const tl::InputFile& file) {
    return testing::SendDocument(*alice_, *carol_, "carol", file, rng_, kTimeout);
  }

  // Alice and Carol logged in.
  void LogInBoth() {
    absl::StatusOr<std::unique_ptr<ClientRunner>> alice = LogIn("alice");
    ASSERT_TRUE(alice.ok()) << alice.status();
    alice_ = *std::move(alice);
    absl::StatusOr<std::unique_ptr<ClientRunner>> carol = LogIn("carol");
    ASSERT_TRUE(carol.ok()) << carol.status();
    carol_ = *std::move(carol);
  }

  crypto::DeterministicRandom rng_{77};
  std::unique_ptr<crypto::RsaPrivateKey> key_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<dc::TestDcServer> server_;
  dc::WorldConfig config_;
  std::unique_ptr<dc::World> world_;
  std::unique_ptr<dc::Cluster> cluster_;
  std::unique_ptr<ClientRunner> alice_, carol_;
};

TEST_F(ClientRunnerDcTest, AUserOnDc4DownloadsDocumentsStoredOnDc2ThroughOneConnection) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> alice = LogIn("alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  alice_ = *std::move(alice);
  absl::StatusOr<std::unique_ptr<ClientRunner>> carol = LogIn("carol");
  ASSERT_TRUE(carol.ok()) << carol.status();
  carol_ = *std::move(carol);
  ASSERT_EQ(carol_->client().dc(), 4);

  const Bytes first = FileContent(1'300'000, 1);
  absl::StatusOr<tl::document> doc1 = AliceSendsCarol(first);
  ASSERT_TRUE(doc1.ok()) << doc1.status();
  EXPECT_EQ(doc1->dc_id, 2);
  // Download(): up front on DC 2 (the document says where it is).
  absl::StatusOr<Bytes> got1 = carol_->Download(*doc1, kTimeout);
  ASSERT_TRUE(got1.ok()) << got1.status();
  EXPECT_TRUE(*got1 == first);
  EXPECT_EQ(carol_->connections_made(), 1);

  // RunTransfer() of a download that does not know the DC: FILE_MIGRATE_2
  // from DC 4 moves it, through the same connection.
  const Bytes second = FileContent(700'000, 2);
  absl::StatusOr<tl::document> doc2 = AliceSendsCarol(second);
  ASSERT_TRUE(doc2.ok()) << doc2.status();
  absl::StatusOr<client::DocumentDownload> plan = client::DownloadOfDocument(*doc2, 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  plan->options.dc = 0;
  absl::StatusOr<std::unique_ptr<client::FileDownload>> down =
      client::FileDownload::Create(plan->location, plan->options);
  ASSERT_TRUE(down.ok()) << down.status();
  ASSERT_TRUE(carol_->RunTransfer(**down, kTimeout).ok());
  ASSERT_TRUE((*down)->result().ok()) << (*down)->result().status();
  EXPECT_TRUE(*(*down)->result() == second);
  EXPECT_EQ((*down)->dc_switches(), 1);
  EXPECT_EQ(carol_->connections_made(), 1) << "one export and import for both";
  absl::StatusOr<client::DcConnection*> conn = carol_->ConnectionTo(2);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->state(), client::DcConnection::State::kReady);

  // The home client still works, and requests can go through the
  // connection too.
  absl::StatusOr<tl::NearestDc> nearest = carol_->Call(tl::help_getNearestDc{}, kTimeout);
  ASSERT_TRUE(nearest.ok()) << nearest.status();
  absl::StatusOr<uint64_t> id = (*conn)->client().Invoke(tl::help_getNearestDc{});
  ASSERT_TRUE(id.ok());
  absl::StatusOr<client::ClientEvent> answer = carol_->Await(*id, kTimeout);
  ASSERT_TRUE(answer.ok()) << answer.status();
  absl::StatusOr<tl::NearestDc> there = client::Client::Result<tl::help_getNearestDc>(*answer);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(there->As<tl::nearestDc>()->this_dc, 2);
}

TEST_F(ClientRunnerDcTest, AnAwaitThatTimesOutCancelsTheRequestOnTheConnectionThatHasIt) {
  LogInBoth();
  absl::StatusOr<client::DcConnection*> conn = carol_->ConnectionTo(2);
  ASSERT_TRUE(conn.ok()) << conn.status();
  // The connection is usable (its import done) before the timed-out call.
  absl::StatusOr<uint64_t> first = (*conn)->client().Invoke(tl::help_getNearestDc{});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(carol_->Await(*first, kTimeout).ok());

  // No answer can cross loopback in no time: the wait ends at once.
  absl::StatusOr<uint64_t> id = (*conn)->client().Invoke(tl::help_getNearestDc{});
  ASSERT_TRUE(id.ok());
  absl::StatusOr<client::ClientEvent> late = carol_->Await(*id, absl::ZeroDuration());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded) << late.status();
  // Cancelled there (not on the home client, which never had it): a
  // second cancel finds nothing, and no answer is kept for it.
  EXPECT_FALSE((*conn)->client().Cancel(*id));
  ASSERT_TRUE(carol_->RunFor(absl::Milliseconds(300)).ok());
  EXPECT_EQ(carol_->Await(*id, absl::Milliseconds(200)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // The connection still answers.
  absl::StatusOr<uint64_t> after = (*conn)->client().Invoke(tl::help_getNearestDc{});
  ASSERT_TRUE(after.ok());
  absl::StatusOr<client::ClientEvent> answer = carol_->Await(*after, kTimeout);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(client::Client::Result<tl::help_getNearestDc>(*answer).ok());
}

TEST_F(ClientRunnerDcTest, AHistoryAndTheDialogListAreWalkedPageByPage) {
  LogInBoth();
  // Alice sends Carol 130 messages.
  absl::StatusOr<tl::user> carol = testing::ResolveUser(*alice_, "carol", kTimeout);
  ASSERT_TRUE(carol.ok()) << carol.status();
  constexpr int kSent = 130;
  for (int i = 0; i < kSent; ++i) {
    tl::messages_sendMessage send;
    send.peer = tl::inputPeerUser{carol->id, carol->access_hash.value_or(0)};
    send.message = absl::StrCat("note ", i);
    send.random_id = static_cast<int64_t>(crypto::RandomU64(rng_));
    ASSERT_TRUE(alice_->Call(send, kTimeout).ok()) << i;
  }
  // Carol reads them back, newest first, 50 per page.
  absl::StatusOr<tl::user> alice = testing::ResolveUser(*carol_, "alice", kTimeout);
  ASSERT_TRUE(alice.ok()) << alice.status();
  client::HistoryOptions history;
  history.peer = tl::inputPeerUser{alice->id, alice->access_hash.value_or(0)};
  history.page_size = 50;
  std::vector<std::string> texts;
  int32_t last_id = 0;
  absl::Status walked = carol_->ForEachMessage(
      history,
      [&](const tl::Message& m) {
        const tl::message* x = m.As<tl::message>();
        EXPECT_NE(x, nullptr);
        if (x == nullptr) return false;
        if (last_id != 0) {
          EXPECT_LT(x->id, last_id) << "newest first, each once";
        }
        last_id = x->id;
        texts.push_back(x->message);
        return true;
      },
      kTimeout);
  ASSERT_TRUE(walked.ok()) << walked;
  ASSERT_EQ(texts.size(), static_cast<size_t>(kSent));
  for (int i = 0; i < kSent; ++i) EXPECT_EQ(texts[i], absl::StrCat("note ", kSent - 1 - i));
  // The senders reached the peer cache with the pages.
  EXPECT_TRUE(carol_->client().peers().Knows(client::PeerKind::kUser, alice->id));

  // Stopping early: the walk ends there, the connection stays usable.
  int seen = 0;
  ASSERT_TRUE(carol_
                  ->ForEachMessage(history, [&](const tl::Message&) { return ++seen < 10; },
                                   kTimeout)
                  .ok());
  EXPECT_EQ(seen, 10);

  // The dialog list: Alice's is the most recent.
  std::vector<int64_t> dialog_users;
  absl::Status listed = carol_->ForEachDialog(
      {.page_size = 1},
      [&](const client::DialogEntry& d) {
        const tl::dialog* x = d.dialog.As<tl::dialog>();
        EXPECT_NE(x, nullptr);
        if (x == nullptr) return false;
        if (const tl::peerUser* u = x->peer.As<tl::peerUser>()) dialog_users.push_back(u->user_id);
        return true;
      },
      kTimeout);
  ASSERT_TRUE(listed.ok()) << listed;
  ASSERT_FALSE(dialog_users.empty());
  EXPECT_EQ(dialog_users.front(), alice->id);
  EXPECT_EQ(std::count(dialog_users.begin(), dialog_users.end(), alice->id), 1);

  // A peer the DC refuses: the walk's error, naming the page.
  client::HistoryOptions wrong;
  wrong.peer = tl::inputPeerUser{alice->id, 12345};
  absl::Status refused = carol_->ForEachMessage(wrong, [](const tl::Message&) { return true; },
                                                kTimeout);
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr("history: page below message 0"));

  // A search in that chat: the notes ending in 7, newest first, 4 per page.
  client::SearchOptions search;
  search.peer = history.peer;
  search.query = "7";
  search.page_size = 4;
  std::vector<std::string> found;
  ASSERT_TRUE(carol_
                  ->ForEachFound(search,
                                 [&](const tl::Message& m) {
                                   found.push_back(m.As<tl::message>()->message);
                                   return true;
                                 },
                                 kTimeout)
                  .ok());
  std::vector<std::string> expected;
  for (int i = kSent - 1; i >= 0; --i) {
    if (absl::StrCat(i).find('7') != std::string::npos) expected.push_back(absl::StrCat("note ", i));
  }
  EXPECT_EQ(found, expected);

  // The supergroup's members, two per page, each once, with their users.
  absl::StatusOr<tl::contacts_ResolvedPeer> devs =
      carol_->Call(tl::contacts_resolveUsername{.username = "mtcore_devs"}, kTimeout);
  ASSERT_TRUE(devs.ok()) << devs.status();
  const tl::channel& ch = *devs->As<tl::contacts_resolvedPeer>()->chats[0].As<tl::channel>();
  std::vector<std::string> members;
  ASSERT_TRUE(carol_
                  ->ForEachMember({.channel = tl::inputChannel{ch.id, ch.access_hash.value_or(0)},
                                   .page_size = 2},
                                  [&](const client::ParticipantEntry& e) {
                                    const tl::user* u = e.user.As<tl::user>();
                                    members.push_back(u != nullptr ? *u->first_name : "?");
                                    return true;
                                  },
                                  kTimeout)
                  .ok());
  EXPECT_EQ(members, (std::vector<std::string>{"Echo Bot", "Carol", "Bob", "Alice"}));
}

TEST_F(ClientRunnerDcTest, ASecretChatCarriesTextsBetweenTwoRunnersOnTwoDcs) {
  LogInBoth();  // Alice on DC 2, Carol on DC 4
  using Kind = client::SecretChatEvent::Kind;
  EXPECT_EQ(alice_->StartSecretChat(tl::inputUserSelf{}).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "not enabled";
  alice_->EnableSecretChats();
  carol_->EnableSecretChats();
  absl::StatusOr<tl::user> carol = testing::ResolveUser(*alice_, "carol", kTimeout);
  ASSERT_TRUE(carol.ok()) << carol.status();
  absl::StatusOr<uint64_t> op =
      alice_->StartSecretChat(tl::inputUser{carol->id, carol->access_hash.value_or(0)});
  ASSERT_TRUE(op.ok()) << op.status();
  // (One loop runs both: Alice's runner takes her DH config and asks.)
  ASSERT_TRUE(alice_->RunFor(absl::Seconds(1)).ok());
  absl::StatusOr<client::SecretChatEvent> asked = carol_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(asked.ok()) << asked.status();
  ASSERT_EQ(asked->kind, Kind::kRequested);
  EXPECT_EQ(asked->peer_user, 1001);
  const int32_t chat = asked->chat_id;
  ASSERT_TRUE(carol_->AcceptSecretChat(chat, kTimeout).ok());
  absl::StatusOr<client::SecretChatEvent> ready = alice_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(ready.ok()) << ready.status();
  ASSERT_EQ(ready->kind, Kind::kReady);
  EXPECT_EQ(ready->operation, *op);
  EXPECT_EQ(ready->chat_id, chat);
  EXPECT_EQ(alice_->secret_chats()->chat(chat)->key_fingerprint(),
            carol_->secret_chats()->chat(chat)->key_fingerprint());

  ASSERT_TRUE(alice_->SendSecretText(chat, "hello, end to end").ok());
  absl::StatusOr<client::SecretChatEvent> got = carol_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->kind, Kind::kMessage);
  EXPECT_EQ(got->message->message.As<tl::secret::decryptedMessage>()->message, "hello, end to end");
  ASSERT_TRUE(carol_->SendSecretText(chat, "and back").ok());
  got = alice_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->kind, Kind::kMessage);
  EXPECT_EQ(got->message->message.As<tl::secret::decryptedMessage>()->message, "and back");

  // Carol closes it: both sides see it end.
  ASSERT_TRUE(carol_->DiscardSecretChat(chat, /*delete_history=*/true).ok());
  absl::StatusOr<client::SecretChatEvent> closed = carol_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->kind, Kind::kDiscarded);
  closed = alice_->NextSecretEvent(kTimeout);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->kind, Kind::kDiscarded);
  EXPECT_EQ(alice_->SendSecretText(chat, "gone?").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(alice_->NextSecretEvent(absl::Milliseconds(200)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(ClientRunnerDcTest, ATwoFactorAccountProvesItsPasswordWithCheckPassword) {
  absl::StatusOr<const dc::WorldConfig::User*> bob = testing::ConfiguredUser(config_, "bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  ASSERT_FALSE((*bob)->password.empty());
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner((*bob)->dc);
  ASSERT_TRUE(r.ok()) << r.status();
  absl::Status code = testing::SignInWithCode(**r, config_, **bob, kTimeout);
  EXPECT_THAT(code.message(), HasSubstr("SESSION_PASSWORD_NEEDED"));
  absl::StatusOr<tl::auth_Authorization> wrong = (*r)->CheckPassword("not it", kTimeout);
  EXPECT_THAT(wrong.status().message(), HasSubstr("PASSWORD_HASH_INVALID"));
  absl::StatusOr<tl::auth_Authorization> me = (*r)->CheckPassword((*bob)->password, kTimeout);
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(me->As<tl::auth_authorization>()->user.As<tl::user>()->id, (*bob)->id);
  EXPECT_EQ((*r)->client().peers().self(), (*bob)->id);
}

TEST_F(ClientRunnerDcTest, AFailedImportEndsTheDownloadAndTheNextOneGetsANewConnection) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> alice = LogIn("alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  alice_ = *std::move(alice);
  absl::StatusOr<std::unique_ptr<ClientRunner>> carol = LogIn("carol");
  ASSERT_TRUE(carol.ok()) << carol.status();
  carol_ = *std::move(carol);
  const Bytes data = FileContent(200'000, 3);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(data);
  ASSERT_TRUE(doc.ok()) << doc.status();
  world_->ForceError("auth.importAuthorization", 1, 400, "AUTH_BYTES_INVALID");
  absl::StatusOr<Bytes> refused = carol_->Download(*doc, kTimeout);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), HasSubstr("AUTH_BYTES_INVALID"));
  absl::StatusOr<Bytes> fine = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE(*fine == data);
  EXPECT_EQ(carol_->connections_made(), 2);
}

TEST_F(ClientRunnerDcTest, ADcWithoutAKnownAddressIsReportedAndTheDownloadEnds) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> alice = LogIn("alice");
  ASSERT_TRUE(alice.ok()) << alice.status();
  alice_ = *std::move(alice);
  absl::StatusOr<std::unique_ptr<ClientRunner>> carol = LogIn("carol", /*dc_address=*/false);
  ASSERT_TRUE(carol.ok()) << carol.status();
  carol_ = *std::move(carol);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(FileContent(10'000, 4));
  ASSERT_TRUE(doc.ok()) << doc.status();
  absl::StatusOr<Bytes> nowhere = carol_->Download(*doc, kTimeout);
  EXPECT_EQ(nowhere.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(nowhere.status().message(), HasSubstr("no address known for DC 2"));
  // help.getConfig tells the client where the DCs are.
  ASSERT_TRUE(carol_->Call(tl::help_getConfig{}, kTimeout).ok());
  absl::StatusOr<Bytes> found = carol_->Download(*doc, kTimeout);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 10'000u);
}

TEST_F(ClientRunnerDcTest, AFileOfSomeMebibytesGoesFromDiskToDiskAcrossDcs) {
  LogInBoth();
  const std::string from = TempPath("upload-me.bin");
  const Bytes data = FileContent((size_t{3} << 20) + 12'345, 5);
  WriteFile(from, data);
  absl::StatusOr<tl::InputFile> file = alice_->UploadFile(from, kTimeout);
  ASSERT_TRUE(file.ok()) << file.status();
  const auto* small = file->As<tl::inputFile>();
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->parts, 7);
  EXPECT_EQ(small->name, "upload-me.bin") << "the path's name by default";
  absl::StatusOr<tl::document> doc = AliceSendsCarol(*file);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->size, static_cast<int64_t>(data.size()));

  // Carol (DC 4) to disk: the document is on DC 2; small windows so that
  // many chunks are written.
  const std::string to = TempPath("downloaded.bin");
  client::DownloadOptions options;
  options.window_size = 65536;
  int64_t last_done = 0;
  options.on_progress = [&](const client::TransferProgress& p) {
    last_done = p.bytes_done;
  };
  ASSERT_TRUE(carol_->DownloadToFile(*doc, to, kTimeout, options).ok());
  EXPECT_TRUE(ReadFile(to) == data);
  EXPECT_FALSE(Exists(to + ".part"));
  EXPECT_EQ(last_done, static_cast<int64_t>(data.size())) << "progress reported to the end";

  // A location without a DC: FILE_MIGRATE_2 moves the streaming download
  // mid-way; the file replaces the one written before.
  tl::inputDocumentFileLocation l;
  l.id = doc->id;
  l.access_hash = doc->access_hash;
  l.file_reference = doc->file_reference;
  client::DownloadOptions unknown_dc;
  unknown_dc.size = doc->size;
  const std::string again = TempPath("downloaded-again.bin");
  WriteFile(again, Bytes{'o', 'l', 'd'});
  ASSERT_TRUE(carol_->DownloadToFile(tl::InputFileLocation(l), again, kTimeout, unknown_dc).ok());
  EXPECT_TRUE(ReadFile(again) == data);
  EXPECT_EQ(carol_->connections_made(), 1);
}

TEST_F(ClientRunnerDcTest, ASourceThatFailsToReadEndsTheUploadNamingThePart) {
  LogInBoth();
  absl::StatusOr<tl::InputFile> missing = alice_->UploadFile(TempPath("no-such-file"), kTimeout);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no-such-file for reading"));

  // The file shrinks after it was opened: part 3 (of 512 KiB parts) is gone.
  const std::string path = TempPath("shrinks.bin");
  WriteFile(path, FileContent(size_t{4} << 20, 6));
  absl::StatusOr<std::unique_ptr<FileUploadSource>> source = FileUploadSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_EQ(::truncate(path.c_str(), 1'200'000), 0);
  client::UploadOptions options;
  options.max_in_flight = 2;
  absl::StatusOr<std::unique_ptr<client::FileUpload>> up =
      client::FileUpload::Create(*std::move(source), options, rng_);
  ASSERT_TRUE(up.ok()) << up.status();
  ASSERT_TRUE(alice_->RunTransfer(**up, kTimeout).ok());
  ASSERT_TRUE((*up)->done());
  EXPECT_EQ((*up)->result().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT((*up)->result().status().message(), HasSubstr("part 2 of 8"));
  EXPECT_THAT((*up)->result().status().message(), HasSubstr("ends at 1200000"));
  // The client goes on.
  EXPECT_TRUE(alice_->Call(tl::help_getNearestDc{}, kTimeout).ok());
}

TEST_F(ClientRunnerDcTest, AResumedDownloadToFileAsksOnlyForWhatTheFailedAttemptLacked) {
  LogInBoth();
  const Bytes data = FileContent(size_t{3} << 20, 9);  // six 512 KiB windows
  absl::StatusOr<tl::document> doc = AliceSendsCarol(data);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string to = TempPath("resumed-download.bin");
  client::DownloadOptions options;
  int64_t asked = 0;
  options.on_progress = [&](const client::TransferProgress& p) { asked = p.requests_sent; };
  // The disk fills up 100,000 bytes into the third window.
  absl::Status first;
  {
    FileSizeLimit limit((1 << 20) + 100'000);
    ASSERT_TRUE(limit.ok());
    first = carol_->DownloadToFile(*doc, to, kTimeout, options, ClientRunner::PartialFile::kResume);
  }
  EXPECT_EQ(first.code(), absl::StatusCode::kResourceExhausted) << first;
  EXPECT_FALSE(Exists(to));
  ASSERT_TRUE(Exists(to + ".part")) << "kept for the next attempt";
  const Bytes kept = ReadFile(to + ".part");
  ASSERT_GE(kept.size(), size_t{1} << 20);
  EXPECT_TRUE(std::equal(kept.begin(), kept.begin() + (1 << 20), data.begin()));

  // The next attempt starts at 1 MiB: four windows asked, not six.
  asked = 0;
  ASSERT_TRUE(
      carol_->DownloadToFile(*doc, to, kTimeout, options, ClientRunner::PartialFile::kResume).ok());
  EXPECT_TRUE(ReadFile(to) == data);
  EXPECT_FALSE(Exists(to + ".part"));
  EXPECT_EQ(asked, 4);
  // Resuming a finished file starts over (there is no partial file).
  ASSERT_TRUE(
      carol_->DownloadToFile(*doc, to, kTimeout, options, ClientRunner::PartialFile::kResume).ok());
  EXPECT_EQ(asked, 6);
  EXPECT_TRUE(ReadFile(to) == data);
}

TEST_F(ClientRunnerDcTest, APartialFileOfAnotherFileIsNotResumed) {
  LogInBoth();
  // Two files of the same size: only the partial file's identity tells
  // them apart.
  const Bytes first_data = FileContent(size_t{2} << 20, 21);
  const Bytes second_data = FileContent(size_t{2} << 20, 22);
  absl::StatusOr<tl::document> first_doc = AliceSendsCarol(first_data);
  ASSERT_TRUE(first_doc.ok()) << first_doc.status();
  absl::StatusOr<tl::document> second_doc = AliceSendsCarol(second_data);
  ASSERT_TRUE(second_doc.ok()) << second_doc.status();
  const std::string to = TempPath("one-path-two-files.bin");
  client::DownloadOptions options;
  int64_t asked = 0;
  options.on_progress = [&](const client::TransferProgress& p) { asked = p.requests_sent; };
  absl::Status cut;
  {
    FileSizeLimit limit((1 << 20) + 100'000);
    ASSERT_TRUE(limit.ok());
    cut = carol_->DownloadToFile(*first_doc, to, kTimeout, options,
                                 ClientRunner::PartialFile::kResume);
  }
  ASSERT_EQ(cut.code(), absl::StatusCode::kResourceExhausted) << cut;
  ASSERT_GE(ReadFile(to + ".part").size(), size_t{1} << 20);
  ASSERT_TRUE(Exists(to + ".part.id"));

  // Another file to the same path: all four windows, none of the first's bytes.
  asked = 0;
  ASSERT_TRUE(carol_
                  ->DownloadToFile(*second_doc, to, kTimeout, options,
                                   ClientRunner::PartialFile::kResume)
                  .ok());
  EXPECT_EQ(asked, 4);
  EXPECT_TRUE(ReadFile(to) == second_data);
  EXPECT_FALSE(Exists(to + ".part"));
  EXPECT_FALSE(Exists(to + ".part.id")) << "removed with the partial file";

  // A partial file with no identity beside it (another program's, or one
  // left by a kDiscard download killed mid-way) is not trusted either.
  WriteFile(to + ".part", Bytes(first_data.begin(), first_data.begin() + (1 << 20)));
  asked = 0;
  ASSERT_TRUE(carol_
                  ->DownloadToFile(*second_doc, to, kTimeout, options,
                                   ClientRunner::PartialFile::kResume)
                  .ok());
  EXPECT_EQ(asked, 4);
  EXPECT_TRUE(ReadFile(to) == second_data);
}

TEST_F(ClientRunnerDcTest, ADestinationThatFailsToWriteEndsTheDownloadAndLeavesNothing) {
  LogInBoth();
  const Bytes data = FileContent(size_t{3} << 20, 7);
  absl::StatusOr<tl::document> doc = AliceSendsCarol(data);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const std::string to = TempPath("too-big.bin");
  absl::Status written;
  {
    // Files written by this process stop at 1 MiB (EFBIG, SIGXFSZ ignored).
    FileSizeLimit limit(1 << 20);
    ASSERT_TRUE(limit.ok());
    written = carol_->DownloadToFile(*doc, to, kTimeout);
  }
  EXPECT_EQ(written.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(written.message(), HasSubstr("the consumer of"));
  EXPECT_THAT(written.message(), HasSubstr("File too large"));
  EXPECT_FALSE(Exists(to));
  EXPECT_FALSE(Exists(to + ".part")) << "the partial file is removed";
  // Nowhere to write at all.
  EXPECT_EQ(carol_->DownloadToFile(*doc, TempPath("no-such-dir/x.bin"), kTimeout).code(),
            absl::StatusCode::kNotFound);
  // And the same download then works.
  ASSERT_TRUE(carol_->DownloadToFile(*doc, to, kTimeout).ok());
  EXPECT_TRUE(ReadFile(to) == data);
}

}  // namespace
}  // namespace mtcore::io

namespace mtcore::io {
namespace {

// The token of a tg://login?token=<base64url> URL.
std::string TokenOfUrl(const std::string& url) {
  const std::string prefix = "tg://login?token=";
  if (url.compare(0, prefix.size(), prefix) != 0) return "";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : url.substr(prefix.size())) {
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char* at = std::strchr(alphabet, c);
    if (c == '\0' || at == nullptr) return "";
    acc = (acc << 6) | static_cast<uint32_t>(at - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

TEST_F(ClientRunnerDcTest, LogInWithQrFollowsTheAccountToItsDc) {
  // Carol (DC 4) scans with an app already logged in: a session of hers
  // straight on the world, the DC's clock being this machine's.
  int64_t now_ns = absl::ToUnixNanos(absl::Now());
  dc::WorldClient phone(*world_, 4, 0xca201, &now_ns);
  auto sent = phone.Call(tl::auth_sendCode{
      .phone_number = "15550001003", .api_id = 1, .api_hash = "test", .settings = tl::codeSettings{}});
  ASSERT_TRUE(sent.ok()) << sent.error();
  ASSERT_TRUE(phone
                  .Call(tl::auth_signIn{
                      .phone_number = "15550001003",
                      .phone_code_hash = sent.value->As<tl::auth_sentCode>()->phone_code_hash,
                      .phone_code = "33333"})
                  .ok());

  absl::StatusOr<std::unique_ptr<ClientRunner>> app = NewRunner(2);
  ASSERT_TRUE(app.ok()) << app.status();
  std::vector<std::string> urls;
  std::string accept_error = "not scanned";
  absl::StatusOr<tl::auth_authorization> me = (*app)->LogInWithQr(
      {.api_id = 1, .api_hash = "test"},
      [&](const std::string& url) {
        urls.push_back(url);
        now_ns = absl::ToUnixNanos(absl::Now());
        auto accepted = phone.Call(tl::auth_acceptLoginToken{.token = TokenOfUrl(url)});
        accept_error = accepted.error();
      },
      kTimeout);
  ASSERT_TRUE(me.ok()) << me.status();
  EXPECT_EQ(accept_error, "");
  ASSERT_EQ(urls.size(), 1u);
  EXPECT_EQ(me->user.As<tl::user>()->id, 1003);
  EXPECT_EQ((*app)->client().dc(), 4);  // moved, with a new key there
  EXPECT_EQ((*app)->client().peers().self(), 1003);
  // Logged in there: it can write.
  tl::contacts_resolveUsername resolve;
  resolve.username = "alice";
  absl::StatusOr<tl::contacts_ResolvedPeer> alice = (*app)->Call(resolve, kTimeout);
  ASSERT_TRUE(alice.ok()) << alice.status();
  tl::messages_sendMessage hello;
  hello.peer = *(*app)->client().peers().InputPeerOf(client::PeerKind::kUser, 1001);
  hello.message = "hi, from a QR login";
  hello.random_id = 5;
  EXPECT_TRUE((*app)->Call(hello, kTimeout).ok());
}

TEST_F(ClientRunnerDcTest, LogInWithPhoneAsksForTheCodeAndThePasswordUntilTheyAreRight) {
  // Bob (a 2FA account of DC 2) from DC 4: PHONE_MIGRATE_2 followed, a wrong
  // code, the code by SMS instead, the right one, a wrong password, the
  // right one.
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner(4);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> asked;
  int codes = 0, passwords = 0;
  ClientRunner::PhoneLoginPrompts prompts;
  prompts.code = [&](const client::SentCodeInfo& how,
                     const absl::Status& refused) -> absl::StatusOr<std::string> {
    asked.push_back(absl::StrCat("code by ", how.type, " (then ", how.next_type, ") ",
                                 refused.message()));
    switch (codes++) {
      case 0: return std::string("99999");
      case 1: return std::string();  // another way, please
      default: return std::string("22222");
    }
  };
  prompts.password = [&](const std::string& hint,
                         const absl::Status& refused) -> absl::StatusOr<std::string> {
    asked.push_back(absl::StrCat("password (", hint, ") ", refused.message()));
    return std::string(passwords++ == 0 ? "hunter3" : "hunter2");
  };
  absl::StatusOr<tl::auth_authorization> bob = (*r)->LogInWithPhone(
      {.phone = "+1 555 000 1002", .api_id = 1, .api_hash = "test"}, prompts, kTimeout);
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->user.As<tl::user>()->id, 1002);
  EXPECT_EQ((*r)->client().dc(), 2) << "moved to the account's DC";
  EXPECT_THAT(asked,
              ::testing::ElementsAre(
                  "code by app (then sms) ",
                  "code by app (then sms) auth.signIn: rpc error 400 PHONE_CODE_INVALID",
                  "code by sms (then ) ", "password (the usual) ",
                  "password (the usual) auth.checkPassword: rpc error 400 PASSWORD_HASH_INVALID"));
  EXPECT_TRUE((*r)->Call(tl::updates_getState{}, kTimeout).ok()) << "logged in";
}

TEST_F(ClientRunnerDcTest, LogInWithPhoneSignsUpANewNumberAndUsesAFutureAuthToken) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner(2);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> asked;
  ClientRunner::PhoneLoginPrompts prompts;
  prompts.code = [&](const client::SentCodeInfo& how,
                     const absl::Status&) -> absl::StatusOr<std::string> {
    asked.push_back(absl::StrCat("code by ", how.type));
    return config_.login_code;
  };
  int names = 0;
  prompts.sign_up = [&](const std::optional<tl::help_termsOfService>&,
                        const absl::Status& refused)
      -> absl::StatusOr<std::pair<std::string, std::string>> {
    asked.push_back(absl::StrCat("name ", refused.message()));
    switch (names++) {
      case 0: return std::make_pair(std::string(), std::string("Doe"));
      case 1: return std::make_pair(std::string(65, 'x'), std::string("Doe"));
      default: return std::make_pair(std::string("Dan"), std::string("Doe"));
    }
  };
  const client::PhoneLoginOptions dan{.phone = "+44 7700 900999", .api_id = 1, .api_hash = "test"};
  absl::StatusOr<tl::auth_authorization> made = (*r)->LogInWithPhone(dan, prompts, kTimeout);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*made->user.As<tl::user>()->first_name, "Dan");
  EXPECT_THAT(asked, ::testing::ElementsAre(
                         "code by sms", "name ", "name phone login: an empty first name",
                         "name auth.signUp: rpc error 400 FIRSTNAME_INVALID"));
  ASSERT_TRUE(made->future_auth_token.has_value());

  // The next login of the number, with its future auth token: no code.
  absl::StatusOr<std::unique_ptr<ClientRunner>> again = NewRunner(2);
  ASSERT_TRUE(again.ok()) << again.status();
  asked.clear();
  client::PhoneLoginOptions with_token = dan;
  with_token.future_auth_tokens = {*made->future_auth_token};
  absl::StatusOr<tl::auth_authorization> quick =
      (*again)->LogInWithPhone(with_token, prompts, kTimeout);
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->user.As<tl::user>()->id, made->user.As<tl::user>()->id);
  EXPECT_TRUE(asked.empty()) << "nothing asked";
  EXPECT_TRUE((*again)->Call(tl::updates_getState{}, kTimeout).ok()) << "logged in";

  // A prompt that gives up ends the login with its error; a 2FA account
  // without a password prompt is named.
  absl::StatusOr<std::unique_ptr<ClientRunner>> third = NewRunner(2);
  ASSERT_TRUE(third.ok()) << third.status();
  ClientRunner::PhoneLoginPrompts give_up;
  give_up.code = [](const client::SentCodeInfo&, const absl::Status&) -> absl::StatusOr<std::string> {
    return absl::CancelledError("the user closed the dialog");
  };
  EXPECT_EQ((*third)
                ->LogInWithPhone({.phone = "15550001001", .api_id = 1, .api_hash = "t"}, give_up,
                                 kTimeout)
                .status(),
            absl::CancelledError("the user closed the dialog"));
  ClientRunner::PhoneLoginPrompts code_only;
  code_only.code = [](const client::SentCodeInfo&, const absl::Status&) -> absl::StatusOr<std::string> {
    return std::string("22222");
  };
  absl::Status no_password =
      (*third)
          ->LogInWithPhone({.phone = "15550001002", .api_id = 1, .api_hash = "t"}, code_only,
                           kTimeout)
          .status();
  EXPECT_EQ(no_password.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_password.message(), HasSubstr("SESSION_PASSWORD_NEEDED"));
}

TEST_F(ClientRunnerDcTest, LogInWithPhoneSetsUpALoginEmailWhenTheDcAsks) {
  // The world again, Carol (DC 4) having to set up a login email.
  server_.reset();
  cluster_.reset();
  world_.reset();
  ASSERT_TRUE(testing::StartLoopbackDcs(*loop_, *key_, rng_, {}, server_, config_, world_, cluster_,
                                        [](dc::TestDcServer&, dc::WorldConfig& config) {
                                          config.users[2].login_email = "setup";
                                          return absl::OkStatus();
                                        })
                  .ok());
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner(2);
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<std::string> asked;
  ClientRunner::PhoneLoginPrompts prompts;
  prompts.code = [&](const client::SentCodeInfo& how,
                     const absl::Status& refused) -> absl::StatusOr<std::string> {
    asked.push_back(absl::StrCat("code by ", how.type, " to ", how.pattern, " ", refused.message()));
    return std::string(asked.size() == 3 ? "00000" : "33333");
  };
  prompts.email = [&](const client::EmailSetupInfo&,
                      const absl::Status& refused) -> absl::StatusOr<std::string> {
    asked.push_back(absl::StrCat("email ", refused.message()));
    return std::string(asked.size() == 1 ? "carol@mail.invalid" : "carol@example.com");
  };
  absl::StatusOr<tl::auth_authorization> carol = (*r)->LogInWithPhone(
      {.phone = "+1 555 000 1003", .api_id = 1, .api_hash = "test"}, prompts, kTimeout);
  ASSERT_TRUE(carol.ok()) << carol.status();
  EXPECT_EQ(carol->user.As<tl::user>()->id, 1003);
  EXPECT_EQ((*r)->client().dc(), 4);
  EXPECT_THAT(asked,
              ::testing::ElementsAre(
                  "email ",
                  "email account.sendVerifyEmailCode: rpc error 400 EMAIL_NOT_ALLOWED",
                  "code by email_code to c***@example.com ",
                  "code by email_code to c***@example.com account.verifyEmail: rpc error 400 "
                  "CODE_INVALID",
                  "code by email_code to c***@example.com "));
  EXPECT_TRUE((*r)->Call(tl::updates_getState{}, kTimeout).ok()) << "logged in";

  // The next login sends the code to that address; without an email
  // prompt, a login the DC asks to set one up for is named.
  absl::StatusOr<std::unique_ptr<ClientRunner>> again = NewRunner(4);
  ASSERT_TRUE(again.ok()) << again.status();
  asked.clear();
  ASSERT_TRUE((*again)
                  ->LogInWithPhone({.phone = "15550001003", .api_id = 1, .api_hash = "test"},
                                   prompts, kTimeout)
                  .ok());
  EXPECT_THAT(asked, ::testing::ElementsAre("code by email_code to c***@example.com "));
}

TEST_F(ClientRunnerDcTest, LogInWithPhoneWithoutAnEmailPromptNamesTheEmailSetUp) {
  server_.reset();
  cluster_.reset();
  world_.reset();
  ASSERT_TRUE(testing::StartLoopbackDcs(*loop_, *key_, rng_, {}, server_, config_, world_, cluster_,
                                        [](dc::TestDcServer&, dc::WorldConfig& config) {
                                          config.users[0].login_email = "setup";
                                          return absl::OkStatus();
                                        })
                  .ok());
  absl::StatusOr<std::unique_ptr<ClientRunner>> r = NewRunner(2);
  ASSERT_TRUE(r.ok()) << r.status();
  ClientRunner::PhoneLoginPrompts code_only;
  code_only.code = [](const client::SentCodeInfo&, const absl::Status&) -> absl::StatusOr<std::string> {
    return std::string("11111");
  };
  absl::Status s = (*r)->LogInWithPhone({.phone = "15550001001", .api_id = 1, .api_hash = "t"},
                                        code_only, kTimeout)
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("set up a login email"));
}

TEST_F(ClientRunnerDcTest, LogInWithQrGivesUpAfterItsTimeout) {
  absl::StatusOr<std::unique_ptr<ClientRunner>> app = NewRunner(2);
  ASSERT_TRUE(app.ok()) << app.status();
  int shown = 0;
  absl::StatusOr<tl::auth_authorization> me = (*app)->LogInWithQr(
      {.api_id = 1, .api_hash = "test"}, [&](const std::string&) { ++shown; },
      absl::Milliseconds(500));
  EXPECT_EQ(me.status().code(), absl::StatusCode::kDeadlineExceeded) << me.status();
  EXPECT_EQ(shown, 1);
  EXPECT_EQ((*app)->client().peers().self(), 0);
  // Without credentials it does not start.
  EXPECT_EQ((*app)->LogInWithQr({}, nullptr, kTimeout).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtcore::io
