// File transfer (core/client/file_transfer.h) between two typed clients and
// the simulated DC, in virtual time: Alice uploads a file (small, and big
// over 10 MiB) and sends it to Bob as a document; Bob receives the message
// as an update and downloads the document; the bytes are identical. Then the
// same (a small file with every push dropped, a big one) with connections
// cut at random, checking that every request of a transfer is answered
// exactly once as the transfer sees it; requests a transfer gave up (windows
// past the end, parts in flight when a part failed) answered once to it and
// never to the application; and the errors a real DC gives (an expired file
// reference, FILE_MIGRATE from a login imported on another DC, a refused
// part, a used-up upload, 500s that are retried). The big case prints its
// wall-clock MB/s. Downloads from another DC: Carol, whose account lives on
// DC 4, downloads documents Alice sent on DC 2 through one DcConnection to
// DC 2 (the login exported and imported once for two downloads), also
// through cut connections, while her home client keeps working; a failed
// import or export ends the download with one clear error; DC 2 forgetting
// its keys mid-download costs one more export and import and nothing else,
// a refused re-import or a login lost again and again ends it with one
// clear error, and the next download gets a new connection. Streaming:
// a file of 20 MiB that is never held whole (made part by part by an
// UploadSource, checked chunk by chunk by on_data) goes up and down through
// cut connections, each transfer holding at most its parts or windows in
// flight.
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/client/cdn_connection.h"
#include "core/client/client.h"
#include "core/client/dc_connection.h"
#include "core/client/file_transfer.h"
#include "core/crypto/mtproto_kdf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dc/world.h"
#include "tests/sim/sim_dc_fixture.h"
#include "tl/api.h"

namespace mtcore {
namespace {

namespace tl = ::mtcore::tl;
using client::Client;
using client::ClientEvent;
using client::ClientSink;
using client::FileDownload;
using client::FileUpload;
using client::DownloadOfDocument;
using ::testing::HasSubstr;

// Bytes that do not compress (the session would try gzip on text).
Bytes FileContent(size_t n, uint64_t seed) {
  crypto::DeterministicRandom rng(seed);
  return crypto::RandomBytes(rng, n);
}

// The byte at `i` of a file made on the fly from `seed` (never held whole;
// does not compress).
uint8_t GeneratedByte(uint64_t seed, int64_t i) {
  uint64_t z = seed + static_cast<uint64_t>(i / 8) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<uint8_t>(z >> (8 * (i % 8)));
}

// An UploadSource that makes each part when asked, counting the reads.
class GeneratedSource final : public client::UploadSource {
 public:
  GeneratedSource(int64_t size, uint64_t seed, int* reads) : size_(size), seed_(seed), reads_(reads) {}
  int64_t size() const override { return size_; }
  absl::StatusOr<Bytes> ReadPart(int32_t, int64_t offset, int32_t length) override {
    ++*reads_;
    Bytes b(static_cast<size_t>(length));
    for (int32_t i = 0; i < length; ++i) b[i] = GeneratedByte(seed_, offset + i);
    return b;
  }

 private:
  int64_t size_;
  uint64_t seed_;
  int* reads_;
};

// A ClientSink that remembers every request id it sent.
class CountingSink final : public client::RequestSink {
 public:
  explicit CountingSink(Client& c) : inner_(c) {}
  absl::StatusOr<uint64_t> Send(Bytes function) override {
    absl::StatusOr<uint64_t> id = inner_.Send(std::move(function));
    if (id.ok()) sent_.push_back(*id);
    return id;
  }
  void Cancel(uint64_t id) override { inner_.Cancel(id); }
  const std::vector<uint64_t>& sent() const { return sent_; }

 private:
  ClientSink inner_;
  std::vector<uint64_t> sent_;
};

// A logged-in client in the simulator, and the documents it received.
struct Party {
  std::unique_ptr<Client> client;
  int id = 0;
  int64_t user_id = 0;
  std::vector<tl::document> documents;  // received in messages, in order
  std::vector<std::string> captions;
  std::vector<std::string> texts;  // received messages without a document
  std::map<uint64_t, int> consumed;  // request id -> answers a transfer consumed
  // Answers to a transfer's requests that the transfer did not take (they
  // would have reached the application).
  std::vector<uint64_t> leaked;

  void Take(ClientEvent e) {
    if (e.kind != ClientEvent::Kind::kUpdate) return;
    const auto* u = e.update.As<tl::updateNewMessage>();
    if (u == nullptr) return;
    const auto* m = u->message.As<tl::message>();
    if (m == nullptr || m->out) return;
    const auto* media = m->media.As<tl::messageMediaDocument>();
    if (media == nullptr) {
      texts.push_back(m->message);
      return;
    }
    if (const auto* d = media->document.As<tl::document>()) {
      documents.push_back(*d);
      captions.push_back(m->message);
    }
  }
  void Drain() {
    while (std::optional<ClientEvent> e = client->PollEvent()) Take(*std::move(e));
  }
  std::function<void(ClientEvent)> Sink() {
    return [this](ClientEvent e) { Take(std::move(e)); };
  }
};

sim::SimDcOptions BobWithoutPassword() {
  sim::SimDcOptions options;
  for (dc::WorldConfig::User& u : options.world.users) {
    if (u.username == "bob") u.password.clear();  // a code login, as Alice's
  }
  return options;
}

class FileTransferDcTest : public ::testing::Test {
 protected:
  explicit FileTransferDcTest(sim::SimDcOptions options = BobWithoutPassword())
      : dc_(/*seed=*/4242, std::move(options)) {}

  absl::StatusOr<int64_t> LogIn(Party& p, const std::string& username) {
    const dc::WorldConfig::User* user = nullptr;
    for (const dc::WorldConfig::User& u : dc_.world().config().users) {
      if (u.username == username) user = &u;
    }
    if (user == nullptr) return absl::NotFoundError(username);
    p.client = dc_.MakeClient();
    p.id = dc_.AddClient(*p.client);
    tl::auth_sendCode send_code;
    send_code.phone_number = user->phone;
    send_code.api_id = 1;
    send_code.api_hash = "sim";
    send_code.settings = tl::codeSettings{};
    absl::StatusOr<tl::auth_SentCode> sent = dc_.Invoke(*p.client, p.id, send_code, p.Sink());
    if (!sent.ok()) return sent.status();
    tl::auth_signIn sign_in;
    sign_in.phone_number = user->phone;
    sign_in.phone_code_hash = sent->As<tl::auth_sentCode>()->phone_code_hash;
    sign_in.phone_code = user->login_code.empty() ? dc_.world().config().login_code : user->login_code;
    absl::StatusOr<tl::auth_Authorization> a = dc_.Invoke(*p.client, p.id, sign_in, p.Sink());
    if (!a.ok()) return a.status();
    return a->As<tl::auth_authorization>()->user.As<tl::user>()->id;
  }

  void SetUp() override {
    absl::StatusOr<int64_t> a = LogIn(alice_, "alice");
    ASSERT_TRUE(a.ok()) << a.status();
    alice_.user_id = *a;
    absl::StatusOr<int64_t> b = LogIn(bob_, "bob");
    ASSERT_TRUE(b.ok()) << b.status();
    bob_.user_id = *b;
    ASSERT_TRUE(dc_.sim().RunUntil(
        [&] {
          alice_.Drain();
          bob_.Drain();
          return alice_.client->updates()->has_state() && bob_.client->updates()->has_state();
        },
        absl::Seconds(30)));
    tl::contacts_resolveUsername resolve;
    resolve.username = "bob";
    absl::StatusOr<tl::contacts_ResolvedPeer> r =
        dc_.Invoke(*alice_.client, alice_.id, resolve, alice_.Sink(), [&] { bob_.Drain(); });
    ASSERT_TRUE(r.ok()) << r.status();
    absl::StatusOr<tl::InputPeer> peer =
        alice_.client->peers().InputPeerOf(tl::Peer(tl::peerUser{.user_id = bob_.user_id}));
    ASSERT_TRUE(peer.ok()) << peer.status();
    to_bob_ = *peer;
  }

  // Runs `transfer` on `p`'s client until it is done (false: not within
  // `limit` of virtual time). Other events of `p` go to p.Take; the other
  // party keeps draining.
  template <class Transfer>
  bool Run(Party& p, Transfer& transfer, CountingSink& sink, absl::Duration limit) {
    transfer.Start(sink);
    dc_.sim().Kick(p.id);
    return dc_.sim().RunUntil(
        [&] {
          Feed(p, transfer, sink);
          return transfer.done();
        },
        limit);
  }

  // Offers `p`'s events to `transfer` (the other party drains its own).
  template <class Transfer>
  void Feed(Party& p, Transfer& transfer, CountingSink& sink) {
    Party& other = &p == &alice_ ? bob_ : alice_;
    other.Drain();
    const size_t before = sink.sent().size();
    while (std::optional<ClientEvent> e = p.client->PollEvent()) {
      const uint64_t id = e->request_id;
      if (transfer.OnEvent(*e, sink)) {
        ++p.consumed[id];
        continue;
      }
      const bool answer = e->kind == ClientEvent::Kind::kResult ||
                          e->kind == ClientEvent::Kind::kRpcError ||
                          e->kind == ClientEvent::Kind::kRequestFailed;
      if (answer && std::find(sink.sent().begin(), sink.sent().end(), id) != sink.sent().end()) {
        p.leaked.push_back(id);
      }
      p.Take(*std::move(e));
    }
    if (sink.sent().size() != before) dc_.sim().Kick(p.id);
  }

  // After `transfer` is done: runs virtual time until every request it sent
  // (those it gave up on included) has been answered to it, then a minute
  // more; each must have been answered exactly once, none to the application.
  template <class Transfer>
  void ExpectEverySentRequestSettles(Party& p, Transfer& transfer, CountingSink& sink) {
    ASSERT_TRUE(transfer.done());
    const bool settled = dc_.sim().RunUntil(
        [&] {
          Feed(p, transfer, sink);
          for (uint64_t id : sink.sent()) {
            if (p.consumed[id] == 0 && std::find(p.leaked.begin(), p.leaked.end(), id) == p.leaked.end()) {
              return false;
            }
          }
          return true;
        },
        absl::Minutes(2));
    EXPECT_TRUE(settled) << "some request was never answered";
    dc_.sim().RunFor(absl::Minutes(1));
    Feed(p, transfer, sink);
    for (uint64_t id : sink.sent()) EXPECT_EQ(p.consumed[id], 1) << "request " << id;
    EXPECT_THAT(p.leaked, ::testing::IsEmpty());
  }

  // Alice uploads `data` and sends it to Bob; the sent document is returned.
  absl::StatusOr<tl::InputFile> Upload(const Bytes& data, client::UploadOptions options,
                                       absl::Duration limit = absl::Minutes(10)) {
    crypto::DeterministicRandom rng(data.size());
    absl::StatusOr<std::unique_ptr<FileUpload>> up = FileUpload::Create(data, options, rng);
    if (!up.ok()) return up.status();
    CountingSink sink(*alice_.client);
    const absl::Time wall_start = absl::Now();
    const absl::Time start = dc_.sim().now();
    if (!Run(alice_, **up, sink, limit)) return absl::DeadlineExceededError("upload did not end");
    last_wall_ = absl::Now() - wall_start;
    last_virtual_ = dc_.sim().now() - start;
    last_retries_ = (*up)->progress().retries;
    ExpectEachAnsweredOnce(alice_, sink);
    return (*up)->result();
  }

  absl::Status SendToBob(tl::InputFile file, const std::string& caption) {
    return SendTo(to_bob_, std::move(file), caption);
  }

  absl::Status SendTo(const tl::InputPeer& to, tl::InputFile file, const std::string& caption) {
    tl::inputMediaUploadedDocument media;
    media.file = std::move(file);
    media.mime_type = "application/octet-stream";
    tl::messages_sendMedia send;
    send.peer = to;
    send.media = std::move(media);
    send.message = caption;
    send.random_id = ++random_id_;
    return dc_.Invoke(*alice_.client, alice_.id, send, alice_.Sink(), [&] { bob_.Drain(); }).status();
  }

  // Runs until Bob has received `n` documents.
  bool BobReceives(size_t n) {
    return dc_.sim().RunUntil(
        [&] {
          alice_.Drain();
          bob_.Drain();
          return bob_.documents.size() >= n;
        },
        absl::Minutes(2));
  }

  absl::StatusOr<Bytes> BobDownloads(const tl::document& doc, client::DownloadOptions options = {},
                                     absl::Duration limit = absl::Minutes(10)) {
    return Downloads(bob_, doc, bob_.client->dc(), std::move(options), limit);
  }

  // `p` downloads `doc`; `client_dc` as for DownloadOfDocument (0: no check).
  absl::StatusOr<Bytes> Downloads(Party& p, const tl::document& doc, int client_dc,
                                  client::DownloadOptions options = {},
                                  absl::Duration limit = absl::Minutes(10)) {
    absl::StatusOr<client::DocumentDownload> what =
        client::DownloadOfDocument(doc, client_dc, options);
    if (!what.ok()) return what.status();
    absl::StatusOr<std::unique_ptr<FileDownload>> down =
        FileDownload::Create(what->location, what->options);
    if (!down.ok()) return down.status();
    CountingSink sink(*p.client);
    const absl::Time wall_start = absl::Now();
    if (!Run(p, **down, sink, limit)) return absl::DeadlineExceededError("download did not end");
    last_wall_ = absl::Now() - wall_start;
    ExpectEachAnsweredOnce(p, sink);
    return (*down)->result();
  }

  // Every request the transfer sent reached it exactly once (also those it
  // gave up on), including anything arriving late.
  void ExpectEachAnsweredOnce(Party& p, const CountingSink& sink) {
    for (uint64_t id : sink.sent()) {
      EXPECT_EQ(p.consumed[id], 1) << "request " << id;
    }
  }

  static double MBps(size_t bytes, absl::Duration d) {
    return static_cast<double>(bytes) / 1e6 / std::max(absl::ToDoubleSeconds(d), 1e-9);
  }

  sim::SimDc dc_;
  Party alice_, bob_;
  tl::InputPeer to_bob_;
  int64_t random_id_ = 5000;
  absl::Duration last_wall_, last_virtual_;
  int64_t last_retries_ = 0;
};

TEST_F(FileTransferDcTest, ASmallAndABigFileReachBobByteForByte) {
  const Bytes small = FileContent(1'572'864 + 1234, 1);         // ~1.5 MiB: inputFile
  const Bytes big = FileContent((size_t{11} << 20) + 4321, 2);  // ~11 MiB: inputFileBig

  std::vector<int64_t> progress;
  client::UploadOptions options;
  options.file_name = "small.bin";
  options.on_progress = [&](const client::TransferProgress& p) { progress.push_back(p.bytes_done); };
  absl::StatusOr<tl::InputFile> small_file = Upload(small, options);
  ASSERT_TRUE(small_file.ok()) << small_file.status();
  ASSERT_NE(small_file->As<tl::inputFile>(), nullptr);
  EXPECT_EQ(small_file->As<tl::inputFile>()->parts, 4);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), static_cast<int64_t>(small.size()));
  ASSERT_TRUE(SendToBob(*small_file, "small").ok());

  options.file_name = "big.bin";
  options.on_progress = nullptr;
  absl::StatusOr<tl::InputFile> big_file = Upload(big, options);
  ASSERT_TRUE(big_file.ok()) << big_file.status();
  ASSERT_NE(big_file->As<tl::inputFileBig>(), nullptr);
  EXPECT_EQ(big_file->As<tl::inputFileBig>()->parts, 23);
  std::cout << "upload of " << big.size() << " bytes: " << MBps(big.size(), last_wall_)
            << " MB/s wall clock (" << absl::FormatDuration(last_wall_) << "), "
            << absl::FormatDuration(last_virtual_) << " of virtual time\n";
  ASSERT_TRUE(SendToBob(*big_file, "big").ok());

  ASSERT_TRUE(BobReceives(2));
  EXPECT_EQ(bob_.captions, (std::vector<std::string>{"small", "big"}));
  const tl::document& first = bob_.documents[0];
  EXPECT_EQ(first.size, static_cast<int64_t>(small.size()));
  EXPECT_EQ(first.dc_id, 2);
  absl::StatusOr<Bytes> got_small = BobDownloads(first);
  ASSERT_TRUE(got_small.ok()) << got_small.status();
  EXPECT_TRUE(*got_small == small);
  absl::StatusOr<Bytes> got_big = BobDownloads(bob_.documents[1]);
  ASSERT_TRUE(got_big.ok()) << got_big.status();
  EXPECT_TRUE(*got_big == big) << got_big->size() << " bytes";
  std::cout << "download of " << big.size() << " bytes: " << MBps(big.size(), last_wall_)
            << " MB/s wall clock (" << absl::FormatDuration(last_wall_) << ")\n";
}

TEST_F(FileTransferDcTest, CutConnectionsAndDroppedPushesLoseAndRepeatNothing) {
  const Bytes data = FileContent(1'572'864 + 999, 3);
  // Deliveries of at most 16 KiB, connections broken at about every 25th
  // (often inside a part), and every push dropped: Bob learns of the
  // message only through getDifference.
  sim::LinkOptions& alice_link = dc_.sim().link_options(alice_.id);
  sim::LinkOptions& bob_link = dc_.sim().link_options(bob_.id);
  alice_link.max_chunk = bob_link.max_chunk = 16384;
  alice_link.close_probability = bob_link.close_probability = 1.0 / 25;
  alice_link.jitter = bob_link.jitter = absl::Milliseconds(30);
  dc_.world().DropPushes(1.0);

  client::UploadOptions options;
  options.part_size = 131072;  // more parts, more cuts between them
  options.max_in_flight = 3;
  absl::StatusOr<tl::InputFile> file = Upload(data, options);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(SendToBob(*file, "through the storm").ok());
  // The difference comes after a push Bob does see: send him a text too.
  dc_.world().DropPushes(0);
  tl::messages_sendMessage hello;
  hello.peer = to_bob_;
  hello.message = "did you get it?";
  hello.random_id = ++random_id_;
  ASSERT_TRUE(dc_.Invoke(*alice_.client, alice_.id, hello, alice_.Sink()).ok());
  ASSERT_TRUE(BobReceives(1));
  client::DownloadOptions down;
  down.window_size = 131072;
  absl::StatusOr<Bytes> got = BobDownloads(bob_.documents[0], down);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  EXPECT_GT(dc_.sim().stats().fault_closes, 10u) << "the connections did break";
  std::cout << "through " << dc_.sim().stats().fault_closes << " cut connections\n";
  // Late answers would still reach the transfers' bookkeeping: there are none.
  dc_.sim().RunFor(absl::Minutes(1));
  alice_.Drain();
  bob_.Drain();
  for (const auto& [id, n] : alice_.consumed) EXPECT_EQ(n, 1) << id;
  for (const auto& [id, n] : bob_.consumed) EXPECT_EQ(n, 1) << id;
}

TEST_F(FileTransferDcTest, ABigFileGoesThroughCutConnectionsToo) {
  const Bytes data = FileContent((size_t{10} << 20) + 5000, 7);
  sim::LinkOptions& alice_link = dc_.sim().link_options(alice_.id);
  sim::LinkOptions& bob_link = dc_.sim().link_options(bob_.id);
  alice_link.max_chunk = bob_link.max_chunk = 65536;
  alice_link.close_probability = bob_link.close_probability = 1.0 / 40;
  client::UploadOptions options;
  options.part_size = 131072;
  absl::StatusOr<tl::InputFile> file = Upload(data, options);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_NE(file->As<tl::inputFileBig>(), nullptr);
  const uint64_t cuts_up = dc_.sim().stats().fault_closes;
  ASSERT_TRUE(SendToBob(*file, "big, through the storm").ok());
  ASSERT_TRUE(BobReceives(1));
  client::DownloadOptions down;
  down.window_size = 262144;
  absl::StatusOr<Bytes> got = BobDownloads(bob_.documents[0], down);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  // (How many cuts fall where depends on the seeded draws of the whole run,
  // the DC's included: a few for the download are enough to mean it.)
  EXPECT_GT(cuts_up, 10u);
  EXPECT_GT(dc_.sim().stats().fault_closes, cuts_up + 3) << "the download's connections broke too";
  std::cout << "big file: " << cuts_up << " cuts up, "
            << dc_.sim().stats().fault_closes - cuts_up << " after\n";
}

TEST_F(FileTransferDcTest, TwentyMebibytesStreamThroughCutConnectionsHoldingOnlyWhatIsInFlight) {
  constexpr int64_t kSize = (int64_t{20} << 20) + 4097;
  constexpr uint64_t kSeed = 20;
  constexpr int32_t kPart = 262144;
  constexpr int32_t kWindow = 262144;
  constexpr int kInFlight = 4;
  sim::LinkOptions& alice_link = dc_.sim().link_options(alice_.id);
  sim::LinkOptions& bob_link = dc_.sim().link_options(bob_.id);
  alice_link.max_chunk = bob_link.max_chunk = 65536;
  alice_link.close_probability = bob_link.close_probability = 1.0 / 40;
  const absl::Time wall_start = absl::Now();

  // Up: each part made when it is sent, never the whole file.
  int reads = 0;
  client::UploadOptions options;
  options.part_size = kPart;
  options.max_in_flight = kInFlight;
  options.file_name = "stream.bin";
  crypto::DeterministicRandom rng(kSeed);
  absl::StatusOr<std::unique_ptr<FileUpload>> up =
      FileUpload::Create(std::make_unique<GeneratedSource>(kSize, kSeed, &reads), options, rng);
  ASSERT_TRUE(up.ok()) << up.status();
  CountingSink up_sink(*alice_.client);
  int64_t most_up = 0;
  (*up)->Start(up_sink);
  dc_.sim().Kick(alice_.id);
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Feed(alice_, **up, up_sink);
        most_up = std::max(most_up, (*up)->buffered_bytes());
        return (*up)->done();
      },
      absl::Minutes(30)));
  ASSERT_TRUE((*up)->result().ok()) << (*up)->result().status();
  ExpectEachAnsweredOnce(alice_, up_sink);
  ASSERT_NE((*up)->result()->As<tl::inputFileBig>(), nullptr);
  EXPECT_EQ(reads, (*up)->total_parts()) << "each part read once: retries send the kept bytes";
  EXPECT_LE(most_up, int64_t{kInFlight} * kPart);
  EXPECT_GT(most_up, 0);
  const uint64_t cuts_up = dc_.sim().stats().fault_closes;
  EXPECT_GT(cuts_up, 10u) << "the connections did break";

  ASSERT_TRUE(SendToBob(*(*up)->result(), "streamed").ok());
  ASSERT_TRUE(BobReceives(1));
  const tl::document& doc = bob_.documents[0];
  EXPECT_EQ(doc.size, kSize);

  // Down: each chunk checked as it arrives, never the whole file.
  int64_t delivered = 0;
  int64_t wrong = 0;
  client::DownloadOptions down;
  down.window_size = kWindow;
  down.max_in_flight = kInFlight;
  down.on_data = [&](int64_t offset, ByteView chunk) {
    if (offset != delivered) return absl::InternalError(absl::StrCat("chunk at ", offset));
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] != GeneratedByte(kSeed, offset + static_cast<int64_t>(i))) ++wrong;
    }
    delivered += static_cast<int64_t>(chunk.size());
    return absl::OkStatus();
  };
  absl::StatusOr<client::DocumentDownload> plan =
      DownloadOfDocument(doc, bob_.client->dc(), std::move(down));
  ASSERT_TRUE(plan.ok()) << plan.status();
  absl::StatusOr<std::unique_ptr<FileDownload>> d =
      FileDownload::Create(plan->location, std::move(plan->options));
  ASSERT_TRUE(d.ok()) << d.status();
  CountingSink down_sink(*bob_.client);
  int64_t most_down = 0;
  (*d)->Start(down_sink);
  dc_.sim().Kick(bob_.id);
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Feed(bob_, **d, down_sink);
        most_down = std::max(most_down, (*d)->buffered_bytes());
        return (*d)->done();
      },
      absl::Minutes(30)));
  ASSERT_TRUE((*d)->result().ok()) << (*d)->result().status();
  ExpectEachAnsweredOnce(bob_, down_sink);
  EXPECT_TRUE((*d)->result()->empty()) << "the bytes went to on_data";
  EXPECT_EQ(delivered, kSize);
  EXPECT_EQ(wrong, 0) << "every byte identical";
  EXPECT_LE(most_down, int64_t{kInFlight + 1} * kWindow);
  EXPECT_GT(dc_.sim().stats().fault_closes, cuts_up + 10);
  std::cout << "streamed " << kSize << " bytes up and down in "
            << absl::FormatDuration(absl::Now() - wall_start) << " wall clock, through "
            << cuts_up << " cuts up and " << dc_.sim().stats().fault_closes - cuts_up
            << " down; most held: " << most_up << " bytes up (" << kInFlight << " parts of "
            << kPart << "), " << most_down << " bytes down\n";
}

TEST_F(FileTransferDcTest, AnExpiredReferenceAndAFileOnAnotherDcEndTheDownloadClearly) {
  absl::StatusOr<tl::InputFile> file = Upload(FileContent(10'000, 4), {});
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(SendToBob(*file, "x").ok());
  ASSERT_TRUE(BobReceives(1));

  tl::document stale = bob_.documents[0];
  stale.file_reference = "stale";
  absl::StatusOr<Bytes> expired = BobDownloads(stale);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired.status().message(), HasSubstr("FILE_REFERENCE_EXPIRED"));

  // Bob's login imported on DC 4 (a second client there): the DC-2
  // document is not served on DC 4, the DC answers FILE_MIGRATE_2.
  absl::StatusOr<tl::auth_ExportedAuthorization> exported = dc_.Invoke(
      *bob_.client, bob_.id, tl::auth_exportAuthorization{.dc_id = 4}, bob_.Sink());
  ASSERT_TRUE(exported.ok()) << exported.status();
  client::ClientConfig on_dc4;
  on_dc4.engine.dc_id = 4;
  Party bob4;
  bob4.client = dc_.MakeClient(on_dc4);
  ASSERT_NE(bob4.client, nullptr);
  bob4.id = dc_.AddClient(*bob4.client);
  const auto* e = exported->As<tl::auth_exportedAuthorization>();
  ASSERT_NE(e, nullptr);
  tl::auth_importAuthorization import;
  import.id = e->id;
  import.bytes = e->bytes;
  absl::StatusOr<tl::auth_Authorization> imported =
      dc_.Invoke(*bob4.client, bob4.id, import, bob4.Sink());
  ASSERT_TRUE(imported.ok()) << imported.status();
  // (client_dc 0: past DownloadOfDocument's own check, to the DC's.)
  absl::StatusOr<Bytes> moved = Downloads(bob4, bob_.documents[0], /*client_dc=*/0);
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(moved.status().message(), HasSubstr("FILE_MIGRATE_2: the file is on DC 2"));
  EXPECT_EQ(bob4.client->dc(), 4) << "a FILE_MIGRATE does not move the client";
  EXPECT_EQ(DownloadOfDocument(bob_.documents[0], bob4.client->dc()).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "DownloadOfDocument refuses it before asking";

  // The document is still there for a correct request.
  absl::StatusOr<Bytes> fine = BobDownloads(bob_.documents[0]);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(fine->size(), 10'000u);
}

TEST_F(FileTransferDcTest, RequestsGivenUpAreAnsweredOnceAndNeverReachTheApp) {
  // A download of unknown size over ~1.3 windows, four windows at a time:
  // the two past the end are given up when the short window arrives.
  const Bytes data = FileContent(131072 + 40'000, 11);
  client::UploadOptions up;
  up.part_size = 65536;
  absl::StatusOr<tl::InputFile> file = Upload(data, up);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(SendToBob(*file, "short").ok());
  ASSERT_TRUE(BobReceives(1));
  client::DownloadOptions options;
  options.window_size = 131072;
  options.max_in_flight = 4;
  options.size = -1;
  auto down = FileDownload::Create(client::DownloadOfDocument(bob_.documents[0], 2)->location, options);
  ASSERT_TRUE(down.ok()) << down.status();
  CountingSink down_sink(*bob_.client);
  ASSERT_TRUE(Run(bob_, **down, down_sink, absl::Minutes(2)));
  ASSERT_TRUE((*down)->result().ok()) << (*down)->result().status();
  EXPECT_TRUE(*(*down)->result() == data);
  ASSERT_GE(down_sink.sent().size(), 4u);
  EXPECT_LE((*down)->progress().answers + 2, static_cast<int64_t>(down_sink.sent().size()))
      << "at least the windows at 2 and 3 were given up in flight";
  ExpectEverySentRequestSettles(bob_, **down, down_sink);

  // An upload, four parts at a time, whose first part the DC refuses for
  // good: the three others in flight are given up.
  dc_.world().ForceError("upload.saveFilePart", 1, 400, "FILE_PART_TOO_BIG");
  client::UploadOptions options_up;
  options_up.part_size = 4096;
  options_up.max_in_flight = 4;
  crypto::DeterministicRandom rng(12);
  auto upload = FileUpload::Create(FileContent(10 * 4096, 12), options_up, rng);
  ASSERT_TRUE(upload.ok()) << upload.status();
  CountingSink up_sink(*alice_.client);
  ASSERT_TRUE(Run(alice_, **upload, up_sink, absl::Minutes(2)));
  EXPECT_THAT((*upload)->result().status().message(), HasSubstr("FILE_PART_TOO_BIG"));
  EXPECT_EQ(up_sink.sent().size(), 4u) << "no part is sent after the failure";
  ExpectEverySentRequestSettles(alice_, **upload, up_sink);
}

TEST_F(FileTransferDcTest, AfterFilePartMissingTheWholeFileIsUploadedAgain) {
  const Bytes data = FileContent(20'000, 13);
  client::UploadOptions options;
  options.part_size = 8192;
  absl::StatusOr<tl::InputFile> file = Upload(data, options);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(SendToBob(*file, "first").ok());
  // The DC used the upload up: sending the same InputFile again names the
  // missing part; the FileUpload kept nothing, a new one sends it all.
  absl::Status again = SendToBob(*file, "again");
  EXPECT_THAT(again.message(), HasSubstr("FILE_PART_0_MISSING"));
  absl::StatusOr<tl::InputFile> second = Upload(data, options);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(SendToBob(*second, "again").ok());
  ASSERT_TRUE(BobReceives(2));
  EXPECT_EQ(bob_.captions, (std::vector<std::string>{"first", "again"}));
  absl::StatusOr<Bytes> got = BobDownloads(bob_.documents[1]);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
}

TEST_F(FileTransferDcTest, ThePartErrorsOfTheDcEndTheUploadNamingThePart) {
  // A DC that refuses the third part for good.
  client::UploadOptions options;
  options.part_size = 4096;
  options.max_in_flight = 1;
  crypto::DeterministicRandom rng(9);
  auto up = FileUpload::Create(FileContent(3 * 4096, 5), options, rng);
  ASSERT_TRUE(up.ok());
  CountingSink sink(*alice_.client);
  // Two parts go through; then the DC answers FILE_PART_TOO_BIG.
  (*up)->Start(sink);
  dc_.sim().Kick(alice_.id);
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        while (std::optional<ClientEvent> e = alice_.client->PollEvent()) {
          const uint64_t id = e->request_id;
          if ((*up)->OnEvent(*e, sink)) {
            ++alice_.consumed[id];
            if ((*up)->progress().answers == 2) {
              dc_.world().ForceError("upload.saveFilePart", 1, 400, "FILE_PART_TOO_BIG");
            }
            dc_.sim().Kick(alice_.id);
          }
        }
        return (*up)->done();
      },
      absl::Minutes(1)));
  EXPECT_EQ((*up)->result().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT((*up)->result().status().message(),
              HasSubstr("part 2 of 3: rpc error 400 FILE_PART_TOO_BIG"));
  ExpectEachAnsweredOnce(alice_, sink);
}

TEST_F(FileTransferDcTest, ATransientDcErrorIsRetriedAndTheUploadFinishes) {
  dc_.world().ForceError("upload.saveFilePart", 2, 500, "INTERNAL_SERVER_ERROR");
  client::UploadOptions options;
  options.part_size = 4096;
  absl::StatusOr<tl::InputFile> file = Upload(FileContent(5 * 4096, 6), options);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(last_retries_, 2);
  ASSERT_TRUE(SendToBob(*file, "after retries").ok());
  ASSERT_TRUE(BobReceives(1));
  absl::StatusOr<Bytes> got = BobDownloads(bob_.documents[0]);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == FileContent(5 * 4096, 6));
}

// Carol lives on DC 4; Alice's documents are stored on DC 2.
class CrossDcDownloadTest : public FileTransferDcTest {
 protected:
  // An authorised connection of Carol's to another DC, and what came back
  // on it.
  struct Media {
    std::unique_ptr<client::DcConnection> conn;
    int id = 0;
    std::unique_ptr<CountingSink> sink;
    std::map<uint64_t, int> consumed;
    std::vector<uint64_t> leaked;
    uint64_t kicked_export = 0;  // the last export Carol's client was kicked for
  };

  void SetUp() override {
    FileTransferDcTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<int64_t> c = LogIn(carol_, "carol");
    ASSERT_TRUE(c.ok()) << c.status();
    carol_.user_id = *c;
    ASSERT_EQ(carol_.client->dc(), 4) << "followed PHONE_MIGRATE_4 home";
    ASSERT_TRUE(dc_.sim().RunUntil(
        [&] {
          Drain();
          carol_.Drain();
          return carol_.client->updates()->has_state();
        },
        absl::Seconds(30)));
    tl::contacts_resolveUsername resolve;
    resolve.username = "carol";
    absl::StatusOr<tl::contacts_ResolvedPeer> r =
        dc_.Invoke(*alice_.client, alice_.id, resolve, alice_.Sink(), [&] {
          bob_.Drain();
          carol_.Drain();
        });
    ASSERT_TRUE(r.ok()) << r.status();
    absl::StatusOr<tl::InputPeer> peer =
        alice_.client->peers().InputPeerOf(tl::Peer(tl::peerUser{.user_id = carol_.user_id}));
    ASSERT_TRUE(peer.ok()) << peer.status();
    to_carol_ = *peer;
  }

  void Drain() {
    alice_.Drain();
    bob_.Drain();
  }

  // Alice uploads `data` and sends it to Carol, who receives it.
  absl::StatusOr<tl::document> SendToCarol(const Bytes& data, const std::string& caption) {
    client::UploadOptions options;
    options.part_size = 131072;
    absl::StatusOr<tl::InputFile> file = Upload(data, options);
    if (!file.ok()) return file.status();
    absl::Status sent = SendTo(to_carol_, *file, caption);
    if (!sent.ok()) return sent;
    const size_t n = carol_.documents.size() + 1;
    if (!dc_.sim().RunUntil(
            [&] {
              Drain();
              carol_.Drain();
              return carol_.documents.size() >= n;
            },
            absl::Minutes(2))) {
      return absl::DeadlineExceededError("Carol did not receive the document");
    }
    return carol_.documents.back();
  }

  // Carol's connection to `dc`, made (exported and imported) the first time.
  Media& MediaTo(int dc) {
    auto it = media_.find(dc);
    if (it != media_.end()) return it->second;
    Media& m = media_[dc];
    absl::StatusOr<std::unique_ptr<client::DcConnection>> conn =
        client::DcConnection::Create(*carol_.client, dc, dc_.sim().rng(), dc_.sim().now());
    EXPECT_TRUE(conn.ok()) << conn.status();
    m.conn = *std::move(conn);
    ++connections_made_;
    m.id = dc_.AddClient(*m.conn, media_link_);
    m.sink = std::make_unique<CountingSink>(m.conn->client());
    m.kicked_export = m.conn->export_request_id();
    dc_.sim().Kick(carol_.id);  // the export
    return m;
  }

  // Forgets Carol's connection to `dc` (one that failed), so the next
  // download makes a new one, as the runners do.
  void DropMedia(int dc) {
    dc_.sim().RemoveClient(media_.at(dc).id);
    media_.erase(dc);
  }

  // Offers Carol's events (home and every connection) to `d`; follows a
  // move it asks for; the rest go to carol_.Take / other_answers_.
  void Feed(client::FileDownload& d, CountingSink& home) {
    Drain();
    for (auto& [dc, m] : media_) {
      // A connection that lost its login exported it again on Carol's
      // client (inside a simulator callback of the connection's): send it.
      const uint64_t x = m.conn->export_request_id();
      if (x != 0 && x != m.kicked_export) {
        m.kicked_export = x;
        dc_.sim().Kick(carol_.id);
      }
    }
    const size_t home_before = home.sent().size();
    while (std::optional<ClientEvent> e = carol_.client->PollEvent()) {
      bool export_answer = false;
      for (auto& [dc, m] : media_) {
        if (m.conn->OnHomeEvent(*e)) {
          export_answer = true;
          EXPECT_TRUE(e->body.empty() || std::all_of(e->body.begin(), e->body.end(),
                                                      [](uint8_t b) { return b == 0; }))
              << "the exported login is wiped from the event";
          dc_.sim().Kick(m.id);  // the import
          break;
        }
      }
      if (export_answer) continue;
      const uint64_t id = e->request_id;
      if (d.OnEvent(*e, home)) {
        ++carol_.consumed[id];
        continue;
      }
      const bool answer = e->kind == ClientEvent::Kind::kResult ||
                          e->kind == ClientEvent::Kind::kRpcError ||
                          e->kind == ClientEvent::Kind::kRequestFailed;
      if (answer && std::find(home.sent().begin(), home.sent().end(), id) != home.sent().end()) {
        carol_.leaked.push_back(id);
      } else if (answer) {
        other_answers_[id] = *e;
      }
      carol_.Take(*std::move(e));
    }
    if (home.sent().size() != home_before) dc_.sim().Kick(carol_.id);
    for (auto& [dc, m] : media_) {
      const size_t before = m.sink->sent().size();
      while (std::optional<ClientEvent> e = m.conn->client().PollEvent()) {
        const uint64_t id = e->request_id;
        if (d.OnEvent(*e, *m.sink)) {
          ++m.consumed[id];
          continue;
        }
        if (std::find(m.sink->sent().begin(), m.sink->sent().end(), id) != m.sink->sent().end()) {
          m.leaked.push_back(id);
        } else if (e->kind == ClientEvent::Kind::kUpdate) {
          ++media_updates_;
        }
      }
      if (m.sink->sent().size() != before) dc_.sim().Kick(m.id);
    }
    if (std::optional<int> dc = d.needs_dc(); dc.has_value()) {
      Media& m = MediaTo(*dc);
      d.Continue(*m.sink);
      dc_.sim().Kick(m.id);
    }
  }

  // Carol downloads `doc`, starting on its DC at once (`up_front`) or on
  // her home DC (which answers FILE_MIGRATE_2). `on_step` runs meanwhile.
  absl::StatusOr<Bytes> CarolDownloads(const tl::document& doc, bool up_front,
                                       client::DownloadOptions options = {},
                                       const std::function<void()>& on_step = nullptr) {
    options.follow_file_migrate = true;
    absl::StatusOr<client::DocumentDownload> what =
        client::DownloadOfDocument(doc, carol_.client->dc(), options);
    if (!what.ok()) return what.status();
    absl::StatusOr<std::unique_ptr<FileDownload>> down =
        FileDownload::Create(what->location, what->options);
    if (!down.ok()) return down.status();
    FileDownload& d = **down;
    CountingSink home(*carol_.client);
    if (up_front && d.dc() != carol_.client->dc()) {
      Media& m = MediaTo(d.dc());
      d.Start(*m.sink);
      dc_.sim().Kick(m.id);
    } else {
      d.Start(home);
      dc_.sim().Kick(carol_.id);
    }
    if (!dc_.sim().RunUntil(
            [&] {
              if (on_step) on_step();
              Feed(d, home);
              return d.done();
            },
            absl::Minutes(10))) {
      return absl::DeadlineExceededError("download did not end");
    }
    // Every request it sent, on either DC, answered to it once, never to
    // the app (late answers included).
    dc_.sim().RunUntil(
        [&] {
          Feed(d, home);
          for (uint64_t id : home.sent()) {
            if (carol_.consumed[id] == 0) return false;
          }
          for (auto& [dc, m] : media_) {
            for (uint64_t id : m.sink->sent()) {
              if (m.consumed[id] == 0) return false;
            }
          }
          return true;
        },
        absl::Minutes(2));
    for (uint64_t id : home.sent()) EXPECT_EQ(carol_.consumed[id], 1) << "home request " << id;
    EXPECT_THAT(carol_.leaked, ::testing::IsEmpty());
    for (auto& [dc, m] : media_) {
      for (uint64_t id : m.sink->sent()) EXPECT_EQ(m.consumed[id], 1) << "DC " << dc << " request " << id;
      EXPECT_THAT(m.leaked, ::testing::IsEmpty());
    }
    last_switches_ = d.dc_switches();
    return d.result();
  }

  Party carol_;
  tl::InputPeer to_carol_;
  std::map<int, Media> media_;
  sim::LinkOptions media_link_;
  int connections_made_ = 0;
  int media_updates_ = 0;
  int last_switches_ = 0;
  std::map<uint64_t, ClientEvent> other_answers_;  // Carol's home answers, not the download's
};

TEST_F(CrossDcDownloadTest, CarolOnDc4DownloadsTwoDocumentsFromDc2ThroughOneImportedLogin) {
  const Bytes first = FileContent(600'000, 21);
  const Bytes second = FileContent(1'572'864 + 77, 22);
  absl::StatusOr<tl::document> doc1 = SendToCarol(first, "one");
  ASSERT_TRUE(doc1.ok()) << doc1.status();
  absl::StatusOr<tl::document> doc2 = SendToCarol(second, "two");
  ASSERT_TRUE(doc2.ok()) << doc2.status();
  EXPECT_EQ(doc1->dc_id, 2);
  EXPECT_EQ(carol_.client->dc(), 4);

  // The first starts at home: FILE_MIGRATE_2 moves it to a new connection.
  // Meanwhile Alice writes to Carol, and Carol asks her home DC something.
  const int64_t inits_before = dc_.world().stats().init_connections;
  uint64_t home_call = 0;
  bool sent_hello = false;
  client::DownloadOptions options;
  options.window_size = 131072;
  absl::StatusOr<Bytes> got1 = CarolDownloads(*doc1, /*up_front=*/false, options, [&] {
    if (media_.empty() || media_.begin()->second.conn->state() != client::DcConnection::State::kReady ||
        sent_hello) {
      return;
    }
    sent_hello = true;
    tl::messages_sendMessage hello;
    hello.peer = to_carol_;
    hello.message = "while you download";
    hello.random_id = ++random_id_;
    EXPECT_TRUE(alice_.client->Invoke(hello).ok());
    dc_.sim().Kick(alice_.id);
    home_call = *carol_.client->Invoke(tl::help_getNearestDc{});
    dc_.sim().Kick(carol_.id);
  });
  ASSERT_TRUE(got1.ok()) << got1.status();
  EXPECT_TRUE(*got1 == first);
  EXPECT_EQ(last_switches_, 1);
  ASSERT_EQ(media_.count(2), 1u);
  EXPECT_EQ(media_.at(2).conn->state(), client::DcConnection::State::kReady);
  // The connection's key (new, on DC 2) is logged in as Carol.
  std::optional<engine::StoredAuthKey> key = media_.at(2).conn->client().engine().auth_key();
  ASSERT_TRUE(key.has_value());
  absl::StatusOr<crypto::AuthKeyIdBytes> key_id = crypto::AuthKeyId(key->key);
  ASSERT_TRUE(key_id.ok());
  EXPECT_EQ(dc_.world().LoggedInAccount(2, absl::little_endian::Load64(key_id->data())),
            carol_.user_id);
  EXPECT_GE(dc_.world().stats().init_connections - inits_before, 1)
      << "the import went inside initConnection";

  // The home client kept working.
  ASSERT_TRUE(sent_hello);
  ASSERT_TRUE(dc_.sim().RunUntil(
      [&] {
        Drain();
        carol_.Drain();
        return !carol_.texts.empty();
      },
      absl::Minutes(1)));
  EXPECT_EQ(carol_.texts.back(), "while you download");
  ASSERT_EQ(other_answers_.count(home_call), 1u);
  EXPECT_EQ(other_answers_.at(home_call).kind, ClientEvent::Kind::kResult);

  // The second starts on DC 2 at once, through the same connection.
  absl::StatusOr<Bytes> got2 = CarolDownloads(*doc2, /*up_front=*/true, options);
  ASSERT_TRUE(got2.ok()) << got2.status();
  EXPECT_TRUE(*got2 == second);
  EXPECT_EQ(last_switches_, 0);
  EXPECT_EQ(connections_made_, 1) << "one export and one import for both downloads";
  EXPECT_EQ(media_updates_, 0) << "no updates on the connection to DC 2";
  EXPECT_EQ(media_.at(2).conn->client().stats().updates_dropped_before_login, 0u)
      << "invokeWithoutUpdates: the DC pushes nothing to that session";
}

TEST_F(CrossDcDownloadTest, CutConnectionsOnBothDcsLoseAndRepeatNothing) {
  const Bytes data = FileContent(1'572'864 + 999, 23);
  absl::StatusOr<tl::document> doc = SendToCarol(data, "storm");
  ASSERT_TRUE(doc.ok()) << doc.status();
  sim::LinkOptions& home = dc_.sim().link_options(carol_.id);
  home.max_chunk = 16384;
  home.close_probability = 1.0 / 25;
  media_link_.max_chunk = 16384;
  media_link_.close_probability = 1.0 / 25;
  media_link_.jitter = absl::Milliseconds(30);
  const uint64_t cuts_before = dc_.sim().stats().fault_closes;
  client::DownloadOptions options;
  options.window_size = 131072;
  absl::StatusOr<Bytes> got = CarolDownloads(*doc, /*up_front=*/false, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(connections_made_, 1);
  EXPECT_GT(dc_.sim().stats().fault_closes, cuts_before + 5) << "the connections did break";
  std::cout << "cross-DC download through " << dc_.sim().stats().fault_closes - cuts_before
            << " cut connections\n";
}

TEST_F(CrossDcDownloadTest, AFailedImportOrExportEndsTheDownloadWithOneClearError) {
  absl::StatusOr<tl::document> doc = SendToCarol(FileContent(300'000, 24), "x");
  ASSERT_TRUE(doc.ok()) << doc.status();
  client::DownloadOptions options;
  options.window_size = 65536;

  dc_.world().ForceError("auth.importAuthorization", 1, 400, "AUTH_BYTES_INVALID");
  absl::StatusOr<Bytes> refused = CarolDownloads(*doc, /*up_front=*/true, options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(refused.status().message(), HasSubstr("DC 2"));
  EXPECT_THAT(refused.status().message(), HasSubstr("AUTH_BYTES_INVALID"));
  EXPECT_EQ(media_.at(2).conn->state(), client::DcConnection::State::kFailed);
  // A second download through that connection fails the same way, at once.
  absl::StatusOr<Bytes> again = CarolDownloads(*doc, /*up_front=*/true, options);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(again.status().message(), HasSubstr("AUTH_BYTES_INVALID"));
  EXPECT_EQ(connections_made_, 1);

  // The home client is unaffected.
  absl::StatusOr<tl::NearestDc> nearest =
      dc_.Invoke(*carol_.client, carol_.id, tl::help_getNearestDc{}, carol_.Sink());
  EXPECT_TRUE(nearest.ok()) << nearest.status();

  // A fresh connection whose export fails.
  dc_.sim().RemoveClient(media_.at(2).id);
  media_.clear();
  dc_.world().ForceError("auth.exportAuthorization", 1, 400, "DC_ID_INVALID");
  absl::StatusOr<Bytes> no_export = CarolDownloads(*doc, /*up_front=*/false, options);
  EXPECT_EQ(no_export.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(no_export.status().message(), HasSubstr("auth.exportAuthorization(dc_id=2)"));
  EXPECT_THAT(no_export.status().message(), HasSubstr("DC_ID_INVALID"));
  EXPECT_EQ(connections_made_, 2);

  // And with a working one the document comes.
  dc_.sim().RemoveClient(media_.at(2).id);
  media_.clear();
  absl::StatusOr<Bytes> fine = CarolDownloads(*doc, /*up_front=*/false, options);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE(*fine == FileContent(300'000, 24));
}

// The auth key id of Carol's connection to `dc` now.
uint64_t KeyIdOf(client::DcConnection& conn) {
  std::optional<engine::StoredAuthKey> key = conn.client().engine().auth_key();
  if (!key.has_value()) return 0;
  absl::StatusOr<crypto::AuthKeyIdBytes> id = crypto::AuthKeyId(key->key);
  return id.ok() ? absl::little_endian::Load64(id->data()) : 0;
}

TEST_F(CrossDcDownloadTest, DcTwoForgettingItsKeysMidDownloadCostsOneMoreExportAndImport) {
  const Bytes data = FileContent(1'572'864 + 5, 25);
  absl::StatusOr<tl::document> doc = SendToCarol(data, "forgotten");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const int64_t exported_before = dc_.world().stats().authorizations_exported;
  const int64_t imported_before = dc_.world().stats().authorizations_imported;
  client::DownloadOptions options;
  options.window_size = 131072;
  uint64_t old_key = 0;
  absl::StatusOr<Bytes> got = CarolDownloads(*doc, /*up_front=*/true, options, [&] {
    if (old_key != 0 || media_.empty()) return;
    Media& m = media_.begin()->second;
    if (m.conn->state() != client::DcConnection::State::kReady || m.consumed.size() < 3) return;
    // Three windows in: DC 2 forgets every key and the logins on them. The
    // connection's next packet gets -404, its engine makes a new key and
    // sends the windows in flight again, which that key's session answers
    // 401 AUTH_KEY_UNREGISTERED.
    old_key = KeyIdOf(*m.conn);
    dc_.data_centre().ForgetAuthKeys();
  });
  ASSERT_NE(old_key, 0u) << "the keys were forgotten mid-download";
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == data);
  client::DcConnection& conn = *media_.at(2).conn;
  EXPECT_EQ(conn.state(), client::DcConnection::State::kReady);
  EXPECT_EQ(conn.client().stats().login_reimports, 1u);
  EXPECT_EQ(dc_.world().stats().authorizations_exported - exported_before, 2)
      << "the first export and exactly one more";
  EXPECT_EQ(dc_.world().stats().authorizations_imported - imported_before, 2);
  EXPECT_EQ(connections_made_, 1);
  // The new key (the old one is gone with DC 2's memory) is Carol's.
  const uint64_t new_key = KeyIdOf(conn);
  EXPECT_NE(new_key, old_key);
  EXPECT_EQ(dc_.world().LoggedInAccount(2, new_key), carol_.user_id);

  // The connection stays good for the next download, with no more imports.
  absl::StatusOr<Bytes> again = CarolDownloads(*doc, /*up_front=*/true, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == data);
  EXPECT_EQ(dc_.world().stats().authorizations_imported - imported_before, 2);
  EXPECT_EQ(connections_made_, 1);
}

TEST_F(CrossDcDownloadTest, ARefusedReimportEndsTheDownloadOnceAndTheNextGetsANewConnection) {
  const Bytes data = FileContent(1'048'576 + 11, 26);
  absl::StatusOr<tl::document> doc = SendToCarol(data, "refused");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const int64_t exported_before = dc_.world().stats().authorizations_exported;
  client::DownloadOptions options;
  options.window_size = 131072;
  bool forgotten = false;
  absl::StatusOr<Bytes> refused = CarolDownloads(*doc, /*up_front=*/true, options, [&] {
    if (forgotten || media_.empty()) return;
    Media& m = media_.begin()->second;
    if (m.conn->state() != client::DcConnection::State::kReady || m.consumed.size() < 2) return;
    forgotten = true;
    dc_.data_centre().ForgetAuthKeys();
    dc_.world().ForceError("auth.importAuthorization", 1, 400, "AUTH_BYTES_INVALID");
  });
  ASSERT_TRUE(forgotten);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("DC 2"));
  EXPECT_THAT(refused.status().message(), HasSubstr("AUTH_BYTES_INVALID"));
  EXPECT_EQ(media_.at(2).conn->state(), client::DcConnection::State::kFailed);
  EXPECT_EQ(media_.at(2).conn->client().stats().login_reimports, 1u);
  EXPECT_EQ(dc_.world().stats().authorizations_exported - exported_before, 2);

  // The next download replaces the failed connection and gets the file.
  DropMedia(2);
  absl::StatusOr<Bytes> fine = CarolDownloads(*doc, /*up_front=*/true, options);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE(*fine == data);
  EXPECT_EQ(connections_made_, 2);
}

TEST_F(CrossDcDownloadTest, ALoginLostAgainAndAgainEndsTheConnectionAfterABoundedNumberOfImports) {
  const Bytes data = FileContent(600'000, 27);
  absl::StatusOr<tl::document> doc = SendToCarol(data, "again");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const int64_t imported_before = dc_.world().stats().authorizations_imported;
  client::DownloadOptions options;
  options.window_size = 65536;
  bool broken = false;
  absl::StatusOr<Bytes> lost = CarolDownloads(*doc, /*up_front=*/true, options, [&] {
    if (broken || media_.empty()) return;
    Media& m = media_.begin()->second;
    if (m.conn->state() != client::DcConnection::State::kReady || m.consumed.size() < 2) return;
    // DC 2 keeps the key but answers as if it had no login on it, however
    // often the login is imported again.
    broken = true;
    dc_.world().ForceError("upload.getFile", 1000, 401, "AUTH_KEY_UNREGISTERED");
  });
  dc_.world().ForceError("upload.getFile", 0, 401, "AUTH_KEY_UNREGISTERED");
  ASSERT_TRUE(broken);
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnauthenticated) << lost.status();
  EXPECT_THAT(lost.status().message(), HasSubstr("DC 2"));
  EXPECT_THAT(lost.status().message(), HasSubstr("AUTH_KEY_UNREGISTERED"));
  client::DcConnection& conn = *media_.at(2).conn;
  EXPECT_EQ(conn.state(), client::DcConnection::State::kFailed);
  const int max = conn.client().config().max_login_reimports;
  EXPECT_EQ(conn.client().stats().login_reimports, static_cast<uint64_t>(max));
  EXPECT_EQ(dc_.world().stats().authorizations_imported - imported_before, 1 + max)
      << "the first import and one per lost login, then no more";
  // Nothing more goes out on it.
  const int64_t imports_then = dc_.world().stats().authorizations_imported;
  dc_.sim().RunFor(absl::Minutes(1));
  EXPECT_EQ(dc_.world().stats().authorizations_imported, imports_then);

  DropMedia(2);
  absl::StatusOr<Bytes> fine = CarolDownloads(*doc, /*up_front=*/true, options);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_TRUE(*fine == data);
  EXPECT_EQ(connections_made_, 2);
}

// ---------------------------------------------------------------------------
// CDN downloads (core.telegram.org/cdn): the world redirects documents of at
// least 1 MiB to its CDN DC (sim::kCdnDc, its own RSA key).

sim::SimDcOptions WithCdn() {
  sim::SimDcOptions options = BobWithoutPassword();
  options.cdn = true;
  options.world.cdn.min_document_size = int64_t{1} << 20;
  return options;
}

class CdnDownloadDcTest : public FileTransferDcTest {
 protected:
  CdnDownloadDcTest() : FileTransferDcTest(WithCdn()) {}

  // Alice sends Bob a document of `size` bytes; Bob's copy of it.
  tl::document SendBob(size_t size, uint64_t seed, Bytes* content) {
    *content = FileContent(size, seed);
    absl::StatusOr<tl::InputFile> f = Upload(*content, {});
    EXPECT_TRUE(f.ok()) << f.status();
    EXPECT_TRUE(SendToBob(*f, "cdn").ok());
    EXPECT_TRUE(BobReceives(bob_.documents.size() + 1));
    return bob_.documents.back();
  }

  // Bob's client on the CDN DC, made as an app makes it: the keys from
  // help.getCdnConfig (asked on Bob's DC), a client of its own (no login).
  absl::Status ConnectCdn(int dc, client::FileDownload& d, CountingSink& main) {
    absl::StatusOr<tl::CdnConfig> config = dc_.Invoke(
        *bob_.client, bob_.id, tl::help_getCdnConfig{}, [&](ClientEvent e) {
          if (d.OnEvent(e, main)) {
            ++bob_.consumed[e.request_id];
          } else {
            bob_.Take(std::move(e));
          }
        });
    if (!config.ok()) return config.status();
    absl::StatusOr<std::vector<crypto::RsaPublicKey>> keys = client::CdnKeys(*config, dc);
    if (!keys.ok()) return keys.status();
    EXPECT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].Fingerprint(), dc_.cdn_public_key().Fingerprint());
    // (Not SimDc::MakeClient: that one trusts the main DCs' key.)
    absl::StatusOr<std::unique_ptr<Client>> made =
        Client::Create(client::CdnClientConfig(bob_.client->config(), dc, *keys), dc_.sim().rng(),
                       dc_.sim().now(), bob_.client->engine().ServerUnixNs(dc_.sim().now()));
    if (!made.ok()) return made.status();
    cdn_.client = *std::move(made);
    cdn_.id = dc_.AddClient(*cdn_.client);
    cdn_sink_ = std::make_unique<CountingSink>(*cdn_.client);
    return absl::OkStatus();
  }

  // Bob downloads `doc` with allow_cdn, connecting to the CDN DC when
  // redirected; every request on both DCs answered once.
  absl::StatusOr<Bytes> BobDownloadsViaCdn(const tl::document& doc,
                                           client::DownloadOptions options = {}) {
    options.allow_cdn = true;
    absl::StatusOr<client::DocumentDownload> what =
        client::DownloadOfDocument(doc, bob_.client->dc(), options);
    if (!what.ok()) return what.status();
    absl::StatusOr<std::unique_ptr<FileDownload>> made =
        FileDownload::Create(what->location, what->options);
    if (!made.ok()) return made.status();
    download_ = *std::move(made);
    FileDownload& d = *download_;
    CountingSink main(*bob_.client);
    d.Start(main);
    dc_.sim().Kick(bob_.id);
    while (!d.done()) {
      const bool moved = dc_.sim().RunUntil(
          [&] {
            Feed(bob_, d, main);
            if (cdn_.client != nullptr) Feed(cdn_, d, *cdn_sink_);
            return d.done() || d.needs_cdn_dc().has_value();
          },
          absl::Minutes(10));
      if (!moved) return absl::DeadlineExceededError("the download did not end");
      if (d.done()) break;
      if (cdn_.client == nullptr) {
        absl::Status connected = ConnectCdn(*d.needs_cdn_dc(), d, main);
        if (!connected.ok()) return connected;
      }
      EXPECT_EQ(cdn_.client->dc(), *d.needs_cdn_dc());
      d.ContinueOnCdn(*cdn_sink_);
      dc_.sim().Kick(cdn_.id);
    }
    ExpectEverySentRequestSettles(bob_, d, main);
    if (cdn_.client != nullptr) ExpectEverySentRequestSettles(cdn_, d, *cdn_sink_);
    return d.result();
  }

  Party cdn_;  // Bob's client on the CDN DC
  std::unique_ptr<CountingSink> cdn_sink_;
  std::unique_ptr<FileDownload> download_;
};

TEST_F(CdnDownloadDcTest, AMultiMebibyteDocumentComesThroughTheCdnByteForByte) {
  Bytes content;
  const tl::document doc = SendBob((size_t{5} << 20) + 777, 11, &content);
  // help.getConfig lists the CDN DC with the cdn flag.
  absl::StatusOr<tl::Config> config =
      dc_.Invoke(*bob_.client, bob_.id, tl::help_getConfig{}, bob_.Sink());
  ASSERT_TRUE(config.ok()) << config.status();
  int cdn_options = 0;
  for (const tl::DcOption& o : config->As<tl::config>()->dc_options) {
    if (o.As<tl::dcOption>()->cdn) {
      ++cdn_options;
      EXPECT_EQ(o.As<tl::dcOption>()->id, sim::kCdnDc);
    }
  }
  EXPECT_EQ(cdn_options, 1);

  const int64_t imports = dc_.world().stats().authorizations_imported;
  absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content) << "the bytes differ";
  EXPECT_EQ(download_->cdn_dc(), sim::kCdnDc);
  EXPECT_FALSE(download_->cdn_fell_back());
  const dc::World::Stats& stats = dc_.world().stats();
  EXPECT_EQ(stats.cdn_redirects, 4) << "each getFile in flight before the first answer";
  EXPECT_EQ(stats.cdn_windows, 11) << "5 MiB + 777 bytes in windows of 512 KiB";
  EXPECT_EQ(stats.cdn_hash_requests, 0) << "the redirect carried every hash";
  EXPECT_EQ(stats.authorizations_imported, imports) << "a CDN needs no login";
  EXPECT_FALSE(dc_.world().LoggedInAccount(sim::kCdnDc, 0).has_value());

  // A second download reuses the CDN client (a new redirect, a new token).
  absl::StatusOr<Bytes> again = BobDownloadsViaCdn(doc);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == content);
  EXPECT_EQ(dc_.world().stats().cdn_redirects, 8);
}

TEST_F(CdnDownloadDcTest, MissingHashesAreFetchedFromTheFilesDc) {
  dc_.world().cdn_faults().hashes_in_redirect = 3;
  Bytes content;
  const tl::document doc = SendBob((size_t{3} << 20) + 5, 12, &content);
  client::DownloadOptions options;
  Bytes delivered;
  options.on_data = [&](int64_t, ByteView chunk) {
    delivered.insert(delivered.end(), chunk.begin(), chunk.end());
    return absl::OkStatus();
  };
  absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(delivered == content) << "the bytes differ";
  EXPECT_GT(dc_.world().stats().cdn_hash_requests, 0);
  EXPECT_EQ(download_->cdn_hash_requests(), dc_.world().stats().cdn_hash_requests);
}

TEST_F(CdnDownloadDcTest, TheCdnAsksForAReuploadFirst) {
  dc_.world().cdn_faults().reupload_needed_first = true;
  Bytes content;
  const tl::document doc = SendBob((size_t{2} << 20) + 99, 13, &content);
  absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == content);
  const dc::World::Stats& stats = dc_.world().stats();
  EXPECT_GE(stats.cdn_reupload_requests, 1);
  EXPECT_EQ(stats.cdn_reuploads, download_->cdn_reuploads());
  EXPECT_GE(stats.cdn_reuploads, 1);
  EXPECT_EQ(stats.cdn_windows, 5);
}

TEST_F(CdnDownloadDcTest, TamperedBytesFailTheDownloadAndNoneIsDelivered) {
  dc_.world().cdn_faults().tamper_bytes = true;
  Bytes content;
  const tl::document doc = SendBob((size_t{2} << 20) + 1, 14, &content);
  for (bool streaming : {true, false}) {
    SCOPED_TRACE(streaming);
    client::DownloadOptions options;
    Bytes delivered;
    if (streaming) {
      options.on_data = [&](int64_t, ByteView chunk) {
        delivered.insert(delivered.end(), chunk.begin(), chunk.end());
        return absl::OkStatus();
      };
    }
    absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc, options);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr("CDN DC 203"));
    EXPECT_THAT(got.status().message(), HasSubstr("do not match the file's SHA-256 hash"));
    EXPECT_TRUE(delivered.empty()) << "every window was tampered: not a byte goes out";
  }
}

TEST_F(CdnDownloadDcTest, AnInvalidTokenFallsBackToTheFilesDc) {
  Bytes content;
  const tl::document doc = SendBob((size_t{3} << 20) + 4096, 15, &content);
  client::DownloadOptions options;
  options.max_in_flight = 2;
  Bytes delivered;
  options.on_data = [&](int64_t, ByteView chunk) {
    delivered.insert(delivered.end(), chunk.begin(), chunk.end());
    // After the first window, the token stops working everywhere.
    dc_.world().cdn_faults().tokens_invalid = true;
    return absl::OkStatus();
  };
  absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc, options);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(delivered == content) << "the bytes differ";
  EXPECT_TRUE(download_->cdn_fell_back());
  EXPECT_GE(dc_.world().stats().cdn_windows, 1);
  EXPECT_LT(dc_.world().stats().cdn_windows, 7);
}

TEST_F(CdnDownloadDcTest, SmallDocumentsAndDownloadsWithoutAllowCdnComeFromTheFilesDc) {
  Bytes small;
  const tl::document doc = SendBob(300'000, 16, &small);
  absl::StatusOr<Bytes> got = BobDownloadsViaCdn(doc);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == small);
  Bytes big;
  const tl::document big_doc = SendBob((size_t{1} << 20) + 3, 17, &big);
  absl::StatusOr<Bytes> plain = BobDownloads(big_doc);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_TRUE(*plain == big);
  EXPECT_EQ(dc_.world().stats().cdn_redirects, 0);
  EXPECT_EQ(cdn_.client, nullptr);
}

}  // namespace
}  // namespace mtcore
