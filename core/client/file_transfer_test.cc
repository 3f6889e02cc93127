#include "core/client/file_transfer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/scripted_sink.h"
#include "core/crypto/md5.h"
#include "core/crypto/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;

using FakeSink = testing::ScriptedSink;
using testing::ResultEvent;

ClientEvent True(uint64_t id) { return ResultEvent(id, *tl::Serialize(true)); }
ClientEvent FileEvent(uint64_t id, std::string bytes) {
  tl::upload_file f;
  f.type = tl::storage_filePartial{};
  f.bytes = std::move(bytes);
  return ResultEvent(id, *tl::Serialize(tl::upload_File(std::move(f))));
}
ClientEvent RpcError(uint64_t id, int32_t code, std::string message) {
  return testing::RpcErrorEvent(id, code, std::move(message));
}
ClientEvent Failed(uint64_t id, absl::Status status) {
  return testing::FailedEvent(id, std::move(status));
}

Bytes Pattern(size_t n, uint8_t seed = 7) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 131 + seed) ^ (i >> 9));
  return b;
}

std::unique_ptr<FileUpload> MakeUpload(Bytes data, UploadOptions options = {}) {
  crypto::DeterministicRandom rng(5);
  absl::StatusOr<std::unique_ptr<FileUpload>> up = FileUpload::Create(std::move(data), options, rng);
  EXPECT_TRUE(up.ok()) << up.status();
  return up.ok() ? *std::move(up) : nullptr;
}

TEST(FileUploadTest, ASmallFileGoesInPartsAndEndsInAnInputFile) {
  const Bytes data = Pattern(1'500'000);
  std::vector<int64_t> progress;
  UploadOptions options;
  options.file_name = "photo.bin";
  options.on_progress = [&](const TransferProgress& p) { progress.push_back(p.bytes_done); };
  std::unique_ptr<FileUpload> up = MakeUpload(data, options);
  ASSERT_NE(up, nullptr);
  EXPECT_FALSE(up->big());
  EXPECT_EQ(up->total_parts(), 3);
  FakeSink sink;
  up->Start(sink);
  ASSERT_EQ(sink.open.size(), 3u);
  Bytes joined;
  std::set<int32_t> parts;
  while (!sink.open.empty()) {
    const uint64_t id = sink.TakeOldest();
    auto part = sink.Decode<tl::upload_saveFilePart>(id);
    EXPECT_EQ(part.file_id, up->file_id());
    parts.insert(part.file_part);
    EXPECT_EQ(part.bytes.size(), part.file_part < 2 ? 524288u : 1'500'000u - 2 * 524288u);
    joined.insert(joined.end(), part.bytes.begin(), part.bytes.end());
    EXPECT_FALSE(up->done());
    EXPECT_TRUE(up->OnEvent(True(id), sink));
  }
  EXPECT_EQ(parts, (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(joined, data);
  ASSERT_TRUE(up->done());
  ASSERT_TRUE(up->result().ok()) << up->result().status();
  const auto* f = up->result()->As<tl::inputFile>();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->id, up->file_id());
  EXPECT_EQ(f->parts, 3);
  EXPECT_EQ(f->name, "photo.bin");
  EXPECT_EQ(f->md5_checksum, crypto::Md5Hex(crypto::Md5(data)));
  EXPECT_EQ(progress, (std::vector<int64_t>{524288, 1048576, 1'500'000}));
  EXPECT_EQ(up->progress().requests_sent, 3);
  EXPECT_EQ(up->progress().answers, 3);
}

TEST(FileUploadTest, OverTenMebibytesGoesAsABigFileWithItsTotalParts) {
  const Bytes data = Pattern((size_t{10} << 20) + 1);
  UploadOptions options;
  options.max_in_flight = 2;
  std::unique_ptr<FileUpload> up = MakeUpload(data, options);
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->big());
  EXPECT_EQ(up->total_parts(), 21);
  FakeSink sink;
  up->Start(sink);
  size_t most_open = 0;
  int answered = 0;
  while (!sink.open.empty()) {
    most_open = std::max(most_open, sink.open.size());
    const uint64_t id = sink.TakeOldest();
    auto part = sink.Decode<tl::upload_saveBigFilePart>(id);
    EXPECT_EQ(part.file_total_parts, 21);
    EXPECT_EQ(part.file_part, answered);
    EXPECT_EQ(part.bytes.size(), part.file_part < 20 ? 524288u : 1u);
    ASSERT_TRUE(up->OnEvent(True(id), sink));
    ++answered;
  }
  EXPECT_EQ(most_open, 2u) << "never more parts unanswered than max_in_flight";
  ASSERT_TRUE(up->done());
  ASSERT_TRUE(up->result().ok()) << up->result().status();
  const auto* f = up->result()->As<tl::inputFileBig>();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->parts, 21);
}

TEST(FileUploadTest, RefusesWhatTelegramWouldRefuse) {
  crypto::DeterministicRandom rng(1);
  UploadOptions odd;
  odd.part_size = 1000;
  EXPECT_EQ(FileUpload::Create(Pattern(10), odd, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
  UploadOptions not_dividing;
  not_dividing.part_size = 3072;
  EXPECT_THAT(FileUpload::Create(Pattern(10), not_dividing, rng).status().message(),
              HasSubstr("divides 524288"));
  EXPECT_THAT(FileUpload::Create(Bytes(), {}, rng).status().message(), HasSubstr("empty"));
  UploadOptions tiny;
  tiny.part_size = 1024;
  EXPECT_THAT(FileUpload::Create(Pattern(4000 * 1024 + 1), tiny, rng).status().message(),
              HasSubstr("4001 parts"));
  EXPECT_TRUE(FileUpload::Create(Pattern(4000 * 1024), tiny, rng).ok());
}

TEST(FileUploadTest, PremiumAccountsMayUploadUpTo8000Parts) {
  crypto::DeterministicRandom rng(1);
  UploadOptions premium;
  premium.part_size = 1024;
  premium.max_parts = 8000;
  absl::StatusOr<std::unique_ptr<FileUpload>> up =
      FileUpload::Create(Pattern(8000 * 1024), premium, rng);
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ((*up)->total_parts(), 8000);
  EXPECT_THAT(FileUpload::Create(Pattern(8000 * 1024 + 1), premium, rng).status().message(),
              HasSubstr("8001 parts; at most 8000"));
  UploadOptions lower;
  lower.part_size = 1024;
  lower.max_parts = 10;
  EXPECT_THAT(FileUpload::Create(Pattern(10 * 1024 + 1), lower, rng).status().message(),
              HasSubstr("11 parts; at most 10"));
  for (int32_t bad : {0, -1, 8001}) {
    UploadOptions o;
    o.max_parts = bad;
    EXPECT_THAT(FileUpload::Create(Pattern(10), o, rng).status().message(),
                HasSubstr("must be in 1..8000"))
        << bad;
  }
}

TEST(FileUploadTest, ATransientErrorSendsThePartAgainABoundedNumberOfTimes) {
  UploadOptions options;
  options.part_size = 1024;
  options.max_retries_per_part = 2;
  std::unique_ptr<FileUpload> up = MakeUpload(Pattern(2048), options);
  FakeSink sink;
  up->Start(sink);
  ASSERT_EQ(sink.open.size(), 2u);
  const uint64_t first = sink.TakeOldest();
  EXPECT_TRUE(up->OnEvent(RpcError(first, 500, "INTERNAL"), sink));
  uint64_t again = sink.open.back();
  EXPECT_EQ(sink.Decode<tl::upload_saveFilePart>(again).file_part, 0);
  sink.open.pop_back();
  EXPECT_TRUE(up->OnEvent(Failed(again, absl::UnavailableError("connection reset")), sink));
  again = sink.open.back();
  sink.open.pop_back();
  EXPECT_FALSE(up->done());
  EXPECT_TRUE(up->OnEvent(RpcError(again, -503, "Timeout"), sink));
  ASSERT_TRUE(up->done()) << "two retries were allowed";
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(up->result().status().message(), HasSubstr("part 0 of 2"));
  EXPECT_THAT(up->result().status().message(), HasSubstr("-503 Timeout"));
  EXPECT_THAT(up->result().status().message(), HasSubstr("after 2 retries"));
  EXPECT_EQ(up->progress().retries, 2);
  // Part 1, still in flight, was cancelled; its answer is swallowed.
  ASSERT_EQ(sink.cancelled.size(), 1u);
  EXPECT_TRUE(up->OnEvent(Failed(sink.cancelled[0], absl::CancelledError("")), sink));
  EXPECT_FALSE(up->OnEvent(True(sink.cancelled[0]), sink)) << "swallowed once only";
}

TEST(FileUploadTest, APermanentErrorEndsTheUploadOnceNamingThePart) {
  UploadOptions options;
  options.part_size = 1024;
  std::unique_ptr<FileUpload> up = MakeUpload(Pattern(5000), options);
  FakeSink sink;
  up->Start(sink);
  ASSERT_EQ(sink.open.size(), 4u);
  EXPECT_TRUE(up->OnEvent(True(sink.TakeOldest()), sink));
  const uint64_t second = sink.TakeOldest();
  EXPECT_TRUE(up->OnEvent(RpcError(second, 400, "FILE_PART_SIZE_INVALID"), sink));
  ASSERT_TRUE(up->done());
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(up->result().status().message(),
              HasSubstr("part 1 of 5: rpc error 400 FILE_PART_SIZE_INVALID"));
  EXPECT_EQ(sink.cancelled.size(), 3u) << "the parts in flight are given up";
  for (uint64_t id : sink.cancelled) EXPECT_TRUE(up->OnEvent(True(id), sink));
  EXPECT_EQ(sink.sent.size(), 5u) << "nothing more is sent";
  EXPECT_FALSE(up->OnEvent(True(999), sink)) << "someone else's answer";
  ClientEvent update;
  update.kind = ClientEvent::Kind::kUpdate;
  EXPECT_FALSE(up->OnEvent(update, sink));
}

TEST(FileUploadTest, CancelEndsItWithCancelledAndSwallowsLateAnswers) {
  std::unique_ptr<FileUpload> up = MakeUpload(Pattern(600'000));
  FakeSink sink;
  up->Start(sink);
  ASSERT_EQ(sink.open.size(), 2u);
  up->Cancel(sink);
  ASSERT_TRUE(up->done());
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.cancelled.size(), 2u);
  up->Cancel(sink);
  EXPECT_EQ(sink.cancelled.size(), 2u);
  EXPECT_TRUE(up->OnEvent(True(sink.cancelled[0]), sink));
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kCancelled) << "still the one result";
}

TEST(FileUploadTest, ASinkThatRefusesEndsTheUpload) {
  std::unique_ptr<FileUpload> up = MakeUpload(Pattern(100));
  FakeSink sink;
  sink.refuse = true;
  up->Start(sink);
  ASSERT_TRUE(up->done());
  EXPECT_THAT(up->result().status().message(), HasSubstr("part 0 not sent: sink refuses"));
}

// ---------------------------------------------------------------------------

tl::InputFileLocation Location() {
  tl::inputDocumentFileLocation l;
  l.id = 42;
  l.access_hash = 43;
  l.file_reference = "ref";
  return l;
}

std::unique_ptr<FileDownload> MakeDownload(DownloadOptions options) {
  absl::StatusOr<std::unique_ptr<FileDownload>> d = FileDownload::Create(Location(), options);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *std::move(d) : nullptr;
}

std::string Slice(const Bytes& b, int64_t offset, int32_t limit) {
  if (offset >= static_cast<int64_t>(b.size())) return "";
  const size_t end = std::min(b.size(), static_cast<size_t>(offset + limit));
  return std::string(b.begin() + offset, b.begin() + end);
}

TEST(FileDownloadTest, AKnownSizeIsFetchedInAlignedWindowsAndReassembledInOrder) {
  const Bytes file = Pattern(1'572'964);  // 1.5 MiB + 100
  DownloadOptions options;
  options.size = static_cast<int64_t>(file.size());
  std::vector<int64_t> progress;
  options.on_progress = [&](const TransferProgress& p) { progress.push_back(p.bytes_done); };
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  ASSERT_EQ(sink.open.size(), 4u) << "windows at 0, 512K, 1M, 1.5M";
  // Answered newest first: nothing is complete until the first arrives.
  std::vector<uint64_t> ids = sink.open;
  std::reverse(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    auto get = sink.Decode<tl::upload_getFile>(id);
    EXPECT_FALSE(get.precise);
    EXPECT_EQ(get.offset % 4096, 0);
    EXPECT_EQ(1048576 % get.limit, 0);
    EXPECT_EQ(get.offset / 1048576, (get.offset + get.limit - 1) / 1048576);
    EXPECT_EQ(get.location, Location());
    EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
  }
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), file);
  EXPECT_EQ(progress, (std::vector<int64_t>{0, 0, 0, 1'572'964}));
  EXPECT_EQ(sink.sent.size(), 4u);
  // The bytes can be moved out instead of copied.
  EXPECT_EQ(d->TakeBytes(), file);
  ASSERT_TRUE(d->result().ok());
  EXPECT_TRUE(d->result()->empty());
}

TEST(FileDownloadTest, AResumedDownloadStartsAtItsOffsetAndCountsInFileOffsets) {
  constexpr int32_t kWindow = 65536;
  const Bytes file = Pattern(7 * kWindow + 321);
  const int64_t kOffset = 3 * kWindow;  // what an earlier attempt kept
  for (bool known_size : {true, false}) {
    for (bool streaming : {true, false}) {
      SCOPED_TRACE(absl::StrCat(known_size ? "known size" : "unknown size",
                                streaming ? ", on_data" : ", collected"));
      DownloadOptions options;
      options.window_size = kWindow;
      options.max_in_flight = 2;
      options.offset = kOffset;
      if (known_size) options.size = static_cast<int64_t>(file.size());
      Bytes streamed;
      int64_t next = kOffset;
      if (streaming) {
        options.on_data = [&](int64_t offset, ByteView chunk) {
          EXPECT_EQ(offset, next) << "the file's offsets, from where it resumed";
          next += static_cast<int64_t>(chunk.size());
          streamed.insert(streamed.end(), chunk.begin(), chunk.end());
          return absl::OkStatus();
        };
      }
      std::unique_ptr<FileDownload> d = MakeDownload(options);
      EXPECT_EQ(d->progress().bytes_done, kOffset) << "the kept bytes count as done";
      FakeSink sink;
      d->Start(sink);
      std::vector<int64_t> asked;
      while (!d->done()) {
        ASSERT_FALSE(sink.open.empty());
        const uint64_t id = sink.TakeOldest();
        auto get = sink.Decode<tl::upload_getFile>(id);
        asked.push_back(get.offset);
        ASSERT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
      }
      ASSERT_TRUE(d->result().ok()) << d->result().status();
      const Bytes rest(file.begin() + kOffset, file.end());
      EXPECT_EQ(streaming ? streamed : *d->result(), rest);
      ASSERT_FALSE(asked.empty());
      EXPECT_EQ(asked.front(), kOffset) << "nothing before the offset is asked for";
      EXPECT_EQ(*std::min_element(asked.begin(), asked.end()), kOffset);
      EXPECT_EQ(d->progress().bytes_done, static_cast<int64_t>(file.size()));
    }
  }
}

TEST(FileDownloadTest, AnOffsetMustBeAWindowBoundaryWithinTheFile) {
  DownloadOptions options;
  options.window_size = 65536;
  options.size = 200000;
  for (int64_t bad : {int64_t{-65536}, int64_t{4096}, int64_t{65537}, int64_t{262144}}) {
    options.offset = bad;
    absl::StatusOr<std::unique_ptr<FileDownload>> d = FileDownload::Create(Location(), options);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr(absl::StrCat("offset ", bad))) << bad;
  }
  // Past max_bytes when the size is unknown.
  options.size = -1;
  options.max_bytes = 65536;
  options.offset = 131072;
  EXPECT_EQ(FileDownload::Create(Location(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  // At the end of a known size: done at once, nothing asked.
  options.max_bytes = DownloadOptions().max_bytes;
  options.size = 131072;
  options.offset = 131072;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok());
  EXPECT_TRUE(d->result()->empty());
  EXPECT_TRUE(sink.sent.empty());
  // Past the end of a file of unknown size: one empty window ends it.
  options.size = -1;
  options.offset = 4 * 65536;
  d = MakeDownload(options);
  d->Start(sink);
  ASSERT_FALSE(sink.open.empty());
  while (!d->done()) {
    const uint64_t id = sink.TakeOldest();
    ASSERT_TRUE(d->OnEvent(FileEvent(id, ""), sink));
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_TRUE(d->result()->empty());
}

TEST(FileDownloadTest, AnUnknownSizeEndsAtTheFirstShortWindow) {
  const Bytes file = Pattern(3 * 65536 + 5);
  DownloadOptions options;
  options.window_size = 65536;
  options.max_in_flight = 3;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  while (!d->done()) {
    ASSERT_FALSE(sink.open.empty());
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), file);
  EXPECT_EQ(sink.cancelled.size(), 2u) << "the windows past the end are given up";
}

TEST(FileDownloadTest, AShortWindowGivesUpTheWindowsPastItAtOnce) {
  DownloadOptions options;
  options.window_size = 4096;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const std::vector<uint64_t> ids = sink.open;
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_TRUE(d->OnEvent(FileEvent(ids[1], std::string(100, 'b')), sink));
  EXPECT_FALSE(d->done()) << "the first window is still missing";
  EXPECT_EQ(sink.cancelled, (std::vector<uint64_t>{ids[2], ids[3]}));
  EXPECT_TRUE(d->OnEvent(FileEvent(ids[0], std::string(4096, 'a')), sink));
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(d->result()->size(), 4196u);
  EXPECT_TRUE(d->OnEvent(FileEvent(ids[3], ""), sink)) << "a given-up window's answer is swallowed";
}

TEST(FileDownloadTest, AnExactMultipleEndsAtAnEmptyWindow) {
  const Bytes file = Pattern(2 * 4096);
  DownloadOptions options;
  options.window_size = 4096;
  options.max_in_flight = 1;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  while (!d->done()) {
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink);
  }
  ASSERT_TRUE(d->result().ok());
  EXPECT_EQ(*d->result(), file);
  EXPECT_EQ(sink.sent.size(), 3u);
}

TEST(FileDownloadTest, APartLongerThanAskedIsAProtocolError) {
  DownloadOptions options;
  options.window_size = 4096;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  EXPECT_TRUE(d->OnEvent(FileEvent(sink.TakeOldest(), std::string(4097, 'x')), sink));
  ASSERT_TRUE(d->done());
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(d->result().status().message(),
              HasSubstr("window at offset 0 (limit 4096): the DC sent 4097 bytes, more than the 4096 asked"));
}

TEST(FileDownloadTest, AShortWindowBeforeAKnownEndIsAProtocolError) {
  DownloadOptions options;
  options.window_size = 4096;
  options.size = 10000;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  EXPECT_TRUE(d->OnEvent(FileEvent(sink.TakeOldest(), std::string(100, 'x')), sink));
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(d->result().status().message(), HasSubstr("needs 4096"));
}

TEST(FileDownloadTest, DataPastAShortWindowIsAProtocolError) {
  DownloadOptions options;
  options.window_size = 4096;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const uint64_t first = sink.TakeOldest();
  const uint64_t second = sink.TakeOldest();
  const uint64_t third = sink.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(third, std::string(4096, 'c')), sink));
  EXPECT_TRUE(d->OnEvent(FileEvent(second, std::string(10, 'b')), sink));
  ASSERT_TRUE(d->done());
  EXPECT_THAT(d->result().status().message(), HasSubstr("past the end of the file"));
  EXPECT_TRUE(d->OnEvent(FileEvent(first, std::string(4096, 'a')), sink)) << "given up, swallowed";
}

TEST(FileDownloadTest, AnEmptyWindowPastTheEndMayComeBeforeTheShortOneThatEndsIt) {
  DownloadOptions options;
  options.window_size = 4096;
  options.max_in_flight = 3;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const uint64_t first = sink.TakeOldest(), second = sink.TakeOldest(), third = sink.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(third, ""), sink));
  EXPECT_TRUE(d->OnEvent(FileEvent(second, std::string(10, 'b')), sink));
  EXPECT_FALSE(d->done());
  EXPECT_TRUE(d->OnEvent(FileEvent(first, std::string(4096, 'a')), sink));
  ASSERT_TRUE(d->done());
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(d->result()->size(), 4096u + 10u);
}

TEST(FileDownloadTest, UnboundedDataIsRefusedAtMaxBytes) {
  DownloadOptions options;
  options.window_size = 4096;
  options.max_bytes = 3 * 4096;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  while (!d->done()) d->OnEvent(FileEvent(sink.TakeOldest(), std::string(4096, 'z')), sink);
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(d->result().status().message(),
              HasSubstr("window at offset 12288 (limit 4096): the file is larger than max_bytes 12288"));
  EXPECT_EQ(sink.sent.size(), 4u) << "the window at max_bytes is asked for: it must be empty";
}

// Answers every request in order with `file`'s bytes until `d` is done.
void Serve(FileDownload& d, FakeSink& sink, const Bytes& file) {
  while (!d.done() && !sink.open.empty()) {
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    EXPECT_TRUE(d.OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
  }
}

TEST(FileDownloadTest, AFileOfExactlyMaxBytesIsAccepted) {
  for (int in_flight : {1, 4}) {
    const Bytes file = Pattern(3 * 4096);
    DownloadOptions options;
    options.window_size = 4096;
    options.max_in_flight = in_flight;
    options.max_bytes = 3 * 4096;
    std::unique_ptr<FileDownload> d = MakeDownload(options);
    FakeSink sink;
    d->Start(sink);
    Serve(*d, sink, file);
    ASSERT_TRUE(d->done());
    ASSERT_TRUE(d->result().ok()) << in_flight << ": " << d->result().status();
    EXPECT_EQ(*d->result(), file);
    EXPECT_EQ(sink.sent.size(), 4u) << "three full windows and the empty one that ends the file";
  }
  // max_bytes inside a window: up to it is fine, one byte more is not.
  for (int64_t n : {10000, 10001}) {
    const Bytes file = Pattern(static_cast<size_t>(n));
    DownloadOptions options;
    options.window_size = 4096;
    options.max_bytes = 10000;
    std::unique_ptr<FileDownload> d = MakeDownload(options);
    FakeSink sink;
    d->Start(sink);
    Serve(*d, sink, file);
    ASSERT_TRUE(d->done());
    if (n == 10000) {
      ASSERT_TRUE(d->result().ok()) << d->result().status();
      EXPECT_EQ(*d->result(), file);
    } else {
      EXPECT_EQ(d->result().status().code(), absl::StatusCode::kResourceExhausted);
    }
  }
}

TEST(FileDownloadTest, SizesAreCheckedAndAHugeSizeTakesNoMemoryUpFront) {
  DownloadOptions negative;
  negative.size = -2;
  EXPECT_THAT(FileDownload::Create(Location(), negative).status().message(),
              HasSubstr("size -2"));
  DownloadOptions negative_max;
  negative_max.max_bytes = -1;
  EXPECT_EQ(FileDownload::Create(Location(), negative_max).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A size near 2^63 (a DC's claim): no overflow computing the last window,
  // no reserve of that much memory (it would throw or abort).
  DownloadOptions huge;
  huge.size = std::numeric_limits<int64_t>::max();
  huge.max_bytes = std::numeric_limits<int64_t>::max();
  std::unique_ptr<FileDownload> d = MakeDownload(huge);
  ASSERT_NE(d, nullptr);
  FakeSink sink;
  d->Start(sink);
  ASSERT_EQ(sink.open.size(), 4u);
  EXPECT_EQ(sink.Decode<tl::upload_getFile>(sink.open[3]).offset, 3 * 524288);
  EXPECT_TRUE(d->OnEvent(FileEvent(sink.TakeOldest(), std::string(524288, 'a')), sink));
  EXPECT_EQ(d->progress().bytes_done, 524288);
  EXPECT_EQ(d->progress().bytes_total, std::numeric_limits<int64_t>::max());
  d->Cancel(sink);
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kCancelled);
  // Windows of a size just past a multiple: the last is the partial one.
  const Bytes file = Pattern(2 * 4096 + 1);
  DownloadOptions odd;
  odd.window_size = 4096;
  odd.size = 2 * 4096 + 1;
  std::unique_ptr<FileDownload> e = MakeDownload(odd);
  FakeSink sink2;
  e->Start(sink2);
  EXPECT_EQ(sink2.open.size(), 3u);
  Serve(*e, sink2, file);
  ASSERT_TRUE(e->result().ok()) << e->result().status();
  EXPECT_EQ(*e->result(), file);
}

TEST(FileDownloadTest, FileMigrateAndAnExpiredReferenceEndItClearly) {
  DownloadOptions options;
  options.size = 100;
  std::unique_ptr<FileDownload> moved = MakeDownload(options);
  FakeSink sink;
  moved->Start(sink);
  EXPECT_TRUE(moved->OnEvent(RpcError(sink.TakeOldest(), 303, "FILE_MIGRATE_4"), sink));
  EXPECT_EQ(moved->result().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(moved->result().status().message(),
              HasSubstr("FILE_MIGRATE_4: the file is on DC 4; downloading from another DC needs "
                        "DownloadOptions::follow_file_migrate"));

  std::unique_ptr<FileDownload> expired = MakeDownload(options);
  expired->Start(sink);
  EXPECT_TRUE(expired->OnEvent(RpcError(sink.TakeOldest(), 400, "FILE_REFERENCE_EXPIRED"), sink));
  EXPECT_EQ(expired->result().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired->result().status().message(), HasSubstr("fresh file_reference"));
}

TEST(FileDownloadTest, ATransientErrorAsksForTheWindowAgain) {
  const Bytes file = Pattern(5000);
  DownloadOptions options;
  options.window_size = 4096;
  options.size = 5000;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const uint64_t first = sink.TakeOldest();
  EXPECT_TRUE(d->OnEvent(RpcError(first, 500, "INTERNAL_SERVER_ERROR"), sink));
  while (!d->done()) {
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink);
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), file);
  EXPECT_EQ(d->progress().retries, 1);
}

TEST(FileDownloadTest, CancelEndsItOnce) {
  DownloadOptions options;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  d->Cancel(sink);
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.cancelled.size(), 4u);
  EXPECT_TRUE(d->OnEvent(FileEvent(sink.cancelled[0], "abc"), sink));
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kCancelled);
}

TEST(FileDownloadTest, RefusesWindowsTelegramWouldRefuse) {
  for (int32_t w : {0, 1000, 12288, 2097152}) {
    DownloadOptions options;
    options.window_size = w;
    EXPECT_EQ(FileDownload::Create(Location(), options).status().code(),
              absl::StatusCode::kInvalidArgument)
        << w;
  }
  EXPECT_EQ(FileDownload::Create(tl::InputFileLocation(), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FileDownloadTest, ADocumentOnAnotherDcIsNotDownloaded) {
  tl::document doc;
  doc.id = 1;
  doc.access_hash = 2;
  doc.file_reference = "r";
  doc.size = 12345;
  doc.dc_id = 4;
  EXPECT_EQ(DownloadOfDocument(doc, 2).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<DocumentDownload> here = DownloadOfDocument(doc, 4);
  ASSERT_TRUE(here.ok());
  EXPECT_EQ(here->options.size, 12345);
  const auto* l = here->location.As<tl::inputDocumentFileLocation>();
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->file_reference, "r");
  doc.size = -5;
  EXPECT_EQ(DownloadOfDocument(doc, 4).status().code(), absl::StatusCode::kDataLoss);
}

TEST(FileDownloadTest, ADocumentOnAnotherDcIsPlannedThereWhenMovesAreFollowed) {
  tl::document doc;
  doc.id = 1;
  doc.access_hash = 2;
  doc.file_reference = "r";
  doc.size = 12345;
  doc.dc_id = 4;
  DownloadOptions options;
  options.follow_file_migrate = true;
  absl::StatusOr<DocumentDownload> there = DownloadOfDocument(doc, 2, options);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_EQ(there->options.dc, 4);
  absl::StatusOr<std::unique_ptr<FileDownload>> d =
      FileDownload::Create(there->location, there->options);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->dc(), 4) << "the caller can start on DC 4's sink at once";
  options.dc = 1001;
  EXPECT_EQ(FileDownload::Create(there->location, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Two clients' sinks: request ids apart, as a DcConnection's are.
TEST(FileDownloadTest, FileMigrateFollowedKeepsWhatArrivedAndAsksTheRestOnTheOtherDc) {
  const Bytes file = Pattern(5 * 4096 + 100);
  DownloadOptions options;
  options.window_size = 4096;
  options.size = static_cast<int64_t>(file.size());
  options.max_in_flight = 3;
  options.follow_file_migrate = true;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink home, dc4;
  dc4.last_id = uint64_t{4} << 48;
  d->Start(home);
  ASSERT_EQ(home.open.size(), 3u);
  // Window 0 arrives on the home DC; window 1 says FILE_MIGRATE_4; window 2
  // is still in flight there.
  const uint64_t w0 = home.TakeOldest(), w1 = home.TakeOldest(), w2 = home.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, Slice(file, 0, 4096)), home));
  EXPECT_TRUE(d->OnEvent(RpcError(w1, 303, "FILE_MIGRATE_4"), home));
  EXPECT_FALSE(d->done());
  EXPECT_EQ(d->needs_dc(), 4);
  EXPECT_EQ(d->dc(), 4);
  // Window 2, and window 3 (sent when window 0 arrived), given up there.
  EXPECT_EQ(home.cancelled.size(), 2u);
  EXPECT_EQ(home.cancelled[0], w2);
  EXPECT_TRUE(home.open.empty());
  EXPECT_EQ(d->progress().bytes_done, 4096) << "window 0 kept";
  // Its late answer (any) is swallowed, not taken as data.
  EXPECT_TRUE(d->OnEvent(RpcError(w2, 303, "FILE_MIGRATE_4"), home));
  EXPECT_EQ(d->needs_dc(), 4);
  d->Continue(dc4);
  EXPECT_FALSE(d->needs_dc().has_value());
  std::set<int64_t> offsets;
  while (!d->done()) {
    ASSERT_FALSE(dc4.open.empty());
    const uint64_t id = dc4.TakeOldest();
    auto get = dc4.Decode<tl::upload_getFile>(id);
    offsets.insert(get.offset);
    EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), dc4));
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(*d->result(), file);
  EXPECT_EQ(offsets.count(0), 0u) << "byte 0 is not asked again";
  EXPECT_EQ(offsets, (std::set<int64_t>{4096, 8192, 12288, 16384, 20480}));
  EXPECT_TRUE(home.open.empty());
  EXPECT_EQ(d->dc_switches(), 1);
}

TEST(FileDownloadTest, FileMigrateFollowedIsBoundedAndCancelWhilePausedEndsItOnce) {
  DownloadOptions options;
  options.window_size = 4096;
  options.size = 10000;
  options.max_in_flight = 1;
  options.follow_file_migrate = true;
  options.max_dc_switches = 1;
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink home, dc4;
  dc4.last_id = uint64_t{4} << 48;
  d->Start(home);
  EXPECT_TRUE(d->OnEvent(RpcError(home.TakeOldest(), 303, "FILE_MIGRATE_4"), home));
  d->Continue(dc4);
  // DC 4 sends it on again: past max_dc_switches, the download ends.
  EXPECT_TRUE(d->OnEvent(RpcError(dc4.TakeOldest(), 303, "FILE_MIGRATE_5"), dc4));
  ASSERT_TRUE(d->done());
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d->result().status().message(), HasSubstr("FILE_MIGRATE_5"));

  std::unique_ptr<FileDownload> paused = MakeDownload(options);
  paused->Start(home);
  EXPECT_TRUE(paused->OnEvent(RpcError(home.TakeOldest(), 303, "FILE_MIGRATE_3"), home));
  ASSERT_EQ(paused->needs_dc(), 3);
  paused->Cancel(home);
  ASSERT_TRUE(paused->done());
  EXPECT_EQ(paused->result().status().code(), absl::StatusCode::kCancelled);
  paused->Continue(dc4);
  EXPECT_TRUE(dc4.open.empty()) << "nothing is sent once it ended";

  // Without follow_file_migrate a pause never happens (the old behaviour).
  options.follow_file_migrate = false;
  std::unique_ptr<FileDownload> plain = MakeDownload(options);
  plain->Start(home);
  EXPECT_TRUE(plain->OnEvent(RpcError(home.TakeOldest(), 303, "FILE_MIGRATE_4"), home));
  EXPECT_TRUE(plain->done());
  plain = MakeDownload(options);
  plain->set_follow_file_migrate(true);
  plain->Start(home);
  EXPECT_TRUE(plain->OnEvent(RpcError(home.TakeOldest(), 303, "FILE_MIGRATE_4"), home));
  EXPECT_EQ(plain->needs_dc(), 4);
}


// ---------------------------------------------------------------------------
// Streaming

// The byte at `i` of a file that is never held whole (PatternSource's).
uint8_t PatternByte(int64_t i) { return static_cast<uint8_t>((i * 131 + 7) ^ (i >> 9)); }

// What a PatternSource was asked (it lives on after the upload drops it).
struct SourceLog {
  std::vector<int32_t> reads;
  bool destroyed = false;
  int32_t fail_at = -1;
  int32_t short_at = -1;
};

// An UploadSource that makes its bytes on demand, logs each read, and fails
// (or gives a short part) where the log says.
class PatternSource final : public UploadSource {
 public:
  PatternSource(int64_t size, SourceLog& log) : size_(size), log_(log) {}
  ~PatternSource() override { log_.destroyed = true; }
  int64_t size() const override { return size_; }
  absl::StatusOr<Bytes> ReadPart(int32_t part, int64_t offset, int32_t length) override {
    log_.reads.push_back(part);
    if (part == log_.fail_at) return absl::InternalError("disk read error");
    if (part == log_.short_at) --length;
    Bytes b(static_cast<size_t>(length));
    for (int32_t i = 0; i < length; ++i) b[i] = PatternByte(offset + i);
    return b;
  }

 private:
  int64_t size_;
  SourceLog& log_;
};

std::unique_ptr<FileUpload> MakeStreamingUpload(std::unique_ptr<UploadSource> source,
                                                UploadOptions options) {
  crypto::DeterministicRandom rng(5);
  absl::StatusOr<std::unique_ptr<FileUpload>> up =
      FileUpload::Create(std::move(source), std::move(options), rng);
  EXPECT_TRUE(up.ok()) << up.status();
  return up.ok() ? *std::move(up) : nullptr;
}

TEST(FileUploadStreamTest, A30MebibyteFileIsReadPartByPartAndNeverHeldWhole) {
  const int64_t size = (int64_t{30} << 20) + 777;
  SourceLog log;
  auto owned = std::make_unique<PatternSource>(size, log);
  UploadOptions options;
  options.max_in_flight = 3;
  std::unique_ptr<FileUpload> up = MakeStreamingUpload(std::move(owned), options);
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->big());
  EXPECT_EQ(up->total_parts(), 61);
  EXPECT_TRUE(log.reads.empty()) << "nothing is read before it is sent";
  FakeSink sink;
  up->Start(sink);
  EXPECT_EQ(log.reads, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(up->buffered_bytes(), 3 * kMaxUploadPartSize);
  int64_t most = 0;
  int64_t checked = 0;
  while (!sink.open.empty()) {
    // Newest first: acknowledgements out of order.
    const uint64_t id = sink.open.back();
    sink.open.pop_back();
    auto part = sink.Decode<tl::upload_saveBigFilePart>(id);
    const int64_t offset = int64_t{part.file_part} * kMaxUploadPartSize;
    for (size_t i = 0; i < part.bytes.size(); ++i) {
      if (static_cast<uint8_t>(part.bytes[i]) != PatternByte(offset + i)) {
        FAIL() << "part " << part.file_part << " byte " << i;
      }
    }
    checked += static_cast<int64_t>(part.bytes.size());
    sink.sent.erase(id);  // (the test's own copy)
    ASSERT_TRUE(up->OnEvent(True(id), sink));
    most = std::max(most, up->buffered_bytes());
    EXPECT_LE(up->buffered_bytes(), 3 * kMaxUploadPartSize);
  }
  ASSERT_TRUE(up->done());
  ASSERT_TRUE(up->result().ok()) << up->result().status();
  EXPECT_EQ(checked, size);
  EXPECT_EQ(most, 3 * kMaxUploadPartSize) << "the bound is reached, never passed";
  EXPECT_EQ(up->buffered_bytes(), 0);
  EXPECT_TRUE(log.destroyed) << "the source is released once the upload ends";
  std::vector<int32_t> reads = log.reads;
  std::sort(reads.begin(), reads.end());
  ASSERT_EQ(reads.size(), 61u) << "each part read once";
  for (int32_t i = 0; i < 61; ++i) EXPECT_EQ(reads[i], i);
}

TEST(FileUploadStreamTest, ARetrySendsTheKeptPartWithoutReadingItAgain) {
  SourceLog log;
  auto owned = std::make_unique<PatternSource>(5000, log);
  UploadOptions options;
  options.part_size = 1024;
  options.max_in_flight = 2;
  std::unique_ptr<FileUpload> up = MakeStreamingUpload(std::move(owned), options);
  FakeSink sink;
  up->Start(sink);
  const uint64_t first = sink.TakeOldest();
  const Bytes sent_first = sink.sent.at(first);
  EXPECT_TRUE(up->OnEvent(RpcError(first, 500, "INTERNAL"), sink));
  EXPECT_TRUE(up->OnEvent(Failed(sink.TakeOldest(), absl::UnavailableError("reset")), sink));
  ASSERT_EQ(sink.open.size(), 2u);
  EXPECT_EQ(sink.sent.at(sink.open[0]), sent_first) << "the same part 0, from the kept bytes";
  EXPECT_EQ(log.reads, (std::vector<int32_t>{0, 1})) << "no part read twice";
  while (!sink.open.empty()) ASSERT_TRUE(up->OnEvent(True(sink.TakeOldest()), sink));
  ASSERT_TRUE(up->done());
  ASSERT_TRUE(up->result().ok()) << up->result().status();
  EXPECT_EQ(log.reads, (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(up->progress().retries, 2);
  EXPECT_EQ(up->progress().bytes_done, 5000);
  // The checksum is of the file's bytes once each, retries or not.
  Bytes file(5000);
  for (int64_t i = 0; i < 5000; ++i) file[i] = PatternByte(i);
  EXPECT_EQ(up->result()->As<tl::inputFile>()->md5_checksum, crypto::Md5Hex(crypto::Md5(file)));
}

TEST(FileUploadTest, WithoutMd5ChecksumTheInputFileCarriesNone) {
  UploadOptions options;
  options.md5_checksum = false;
  std::unique_ptr<FileUpload> up = MakeUpload(Pattern(1000), options);
  ASSERT_NE(up, nullptr);
  FakeSink sink;
  up->Start(sink);
  ASSERT_TRUE(up->OnEvent(True(sink.TakeOldest()), sink));
  ASSERT_TRUE(up->done());
  ASSERT_TRUE(up->result().ok()) << up->result().status();
  EXPECT_EQ(up->result()->As<tl::inputFile>()->md5_checksum, "");
}

TEST(FileUploadStreamTest, ASourceErrorEndsTheUploadNamingThePartAndReleasesTheSource) {
  SourceLog log;
  log.fail_at = 3;
  auto owned = std::make_unique<PatternSource>(10 * 1024, log);
  UploadOptions options;
  options.part_size = 1024;
  options.max_in_flight = 3;
  std::unique_ptr<FileUpload> up = MakeStreamingUpload(std::move(owned), options);
  FakeSink sink;
  up->Start(sink);
  ASSERT_EQ(sink.open.size(), 3u);
  const uint64_t p1 = sink.open[1], p2 = sink.open[2];
  // Part 0 acknowledged: part 3 is read, and the read fails.
  ASSERT_TRUE(up->OnEvent(True(sink.TakeOldest()), sink));
  ASSERT_TRUE(up->done());
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(up->result().status().message(), HasSubstr("part 3 of 10"));
  EXPECT_THAT(up->result().status().message(), HasSubstr("disk read error"));
  EXPECT_EQ(sink.cancelled, (std::vector<uint64_t>{p1, p2})) << "the parts in flight given up";
  EXPECT_TRUE(log.destroyed) << "the source (a file) is closed once the upload ends";
  EXPECT_EQ(up->buffered_bytes(), 0);
  // Their answers are still swallowed, and change nothing.
  EXPECT_TRUE(up->OnEvent(True(p1), sink));
  EXPECT_TRUE(up->OnEvent(RpcError(p2, 400, "FILE_PART_INVALID"), sink));
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kInternal);

  // A source that gives fewer bytes than asked (a file that shrank).
  SourceLog shrunk_log;
  shrunk_log.short_at = 0;
  auto shrunk = std::make_unique<PatternSource>(4 * 1024, shrunk_log);
  up = MakeStreamingUpload(std::move(shrunk), options);
  up->Start(sink);
  ASSERT_TRUE(up->done());
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(up->result().status().message(), HasSubstr("part 0 of 4 (1024 bytes at 0): the source gave 1023 bytes"));

  crypto::DeterministicRandom rng(1);
  EXPECT_THAT(FileUpload::Create(std::make_unique<PatternSource>(0, shrunk_log), {}, rng).status().message(),
              HasSubstr("empty"));
  EXPECT_EQ(FileUpload::Create(std::unique_ptr<UploadSource>(), {}, rng).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FileUploadStreamTest, CancelDropsThePartsAndTheSource) {
  SourceLog log;
  UploadOptions options;
  options.part_size = 1024;
  std::unique_ptr<FileUpload> up =
      MakeStreamingUpload(std::make_unique<PatternSource>(9000, log), options);
  FakeSink sink;
  up->Start(sink);
  EXPECT_EQ(up->buffered_bytes(), 4 * 1024);
  up->Cancel(sink);
  EXPECT_EQ(up->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(up->buffered_bytes(), 0);
  EXPECT_TRUE(log.destroyed);
  EXPECT_EQ(sink.cancelled.size(), 4u);
  for (uint64_t id : sink.cancelled) EXPECT_TRUE(up->OnEvent(True(id), sink));
}

// What a consumer received: contiguous chunks, checked as they come.
struct Received {
  Bytes bytes;
  int calls = 0;
  absl::Status Take(int64_t offset, ByteView chunk) {
    ++calls;
    EXPECT_EQ(offset, static_cast<int64_t>(bytes.size())) << "in order, no gap, no repeat";
    EXPECT_FALSE(chunk.empty());
    bytes.insert(bytes.end(), chunk.begin(), chunk.end());
    return absl::OkStatus();
  }
};

TEST(FileDownloadStreamTest, ChunksGoOutInOrderAndAtMostTheWindowsInFlightAreHeld) {
  constexpr int32_t kWindow = 4096;
  constexpr int kInFlight = 4;
  const Bytes file = Pattern(200 * kWindow + 123);  // 50 times the windows in flight
  for (bool known_size : {true, false}) {
    SCOPED_TRACE(known_size ? "known size" : "unknown size");
    Received got;
    DownloadOptions options;
    options.window_size = kWindow;
    options.max_in_flight = kInFlight;
    if (known_size) options.size = static_cast<int64_t>(file.size());
    options.on_data = [&](int64_t offset, ByteView chunk) { return got.Take(offset, chunk); };
    std::unique_ptr<FileDownload> d = MakeDownload(options);
    FakeSink sink;
    d->Start(sink);
    int64_t most = 0;
    size_t most_open = 0;
    while (!d->done()) {
      ASSERT_FALSE(sink.open.empty());
      most_open = std::max(most_open, sink.open.size());
      // Newest first: the oldest window is always the gap the others wait behind.
      const uint64_t id = sink.open.back();
      sink.open.pop_back();
      auto get = sink.Decode<tl::upload_getFile>(id);
      EXPECT_LE(get.offset, static_cast<int64_t>(got.bytes.size()) + (kInFlight - 1) * kWindow)
          << "never asked far ahead of what was delivered";
      ASSERT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
      EXPECT_LE(d->buffered_bytes(), int64_t{kInFlight + 1} * kWindow);
      most = std::max(most, d->buffered_bytes());
    }
    ASSERT_TRUE(d->result().ok()) << d->result().status();
    EXPECT_TRUE(d->result()->empty()) << "the bytes went to on_data, not into the result";
    EXPECT_EQ(got.bytes, file);
    EXPECT_EQ(most, int64_t{kInFlight - 1} * kWindow) << "three windows behind the gap at most";
    EXPECT_LE(most_open, static_cast<size_t>(kInFlight));
    EXPECT_EQ(d->progress().bytes_done, static_cast<int64_t>(file.size()));
    EXPECT_EQ(d->buffered_bytes(), 0);
  }
}

TEST(FileDownloadStreamTest, AWindowThatKeepsFailingHoldsTheOthersBackNotTheMemory) {
  constexpr int32_t kWindow = 4096;
  const Bytes file = Pattern(40 * kWindow);
  Received got;
  DownloadOptions options;
  options.window_size = kWindow;
  options.max_in_flight = 3;
  options.max_retries_per_window = 10;
  options.on_data = [&](int64_t offset, ByteView chunk) { return got.Take(offset, chunk); };
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  // Window 0 fails again and again while the others are answered at once.
  for (int round = 0; round < 5; ++round) {
    std::vector<uint64_t> open = sink.open;
    sink.open.clear();
    for (uint64_t id : open) {
      auto get = sink.Decode<tl::upload_getFile>(id);
      if (get.offset == 0) {
        EXPECT_TRUE(d->OnEvent(RpcError(id, 500, "INTERNAL"), sink));
      } else {
        EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
      }
    }
    ASSERT_EQ(sink.open.size(), 1u) << "only window 0 again: the others wait for it";
    EXPECT_EQ(d->buffered_bytes(), 2 * kWindow);
    EXPECT_EQ(got.calls, 0);
  }
  while (!d->done()) {
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    ASSERT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
    EXPECT_LE(d->buffered_bytes(), 2 * kWindow);
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(got.bytes, file);
  EXPECT_EQ(d->progress().retries, 5);
}

TEST(FileDownloadStreamTest, AConsumerErrorEndsTheDownloadAndLateAnswersAreSwallowed) {
  constexpr int32_t kWindow = 4096;
  const Bytes file = Pattern(20 * kWindow);
  int calls = 0;
  DownloadOptions options;
  options.window_size = kWindow;
  options.size = static_cast<int64_t>(file.size());
  options.on_data = [&](int64_t offset, ByteView) {
    ++calls;
    if (offset == kWindow) return absl::ResourceExhaustedError("No space left on device");
    return absl::OkStatus();
  };
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  ASSERT_EQ(sink.open.size(), 4u);
  const uint64_t w0 = sink.open[0], w1 = sink.open[1], w2 = sink.open[2], w3 = sink.open[3];
  sink.open.clear();
  // Window 2 waits behind 0 and 1; 0 is delivered; 1's delivery fails.
  EXPECT_TRUE(d->OnEvent(FileEvent(w2, Slice(file, 2 * kWindow, kWindow)), sink));
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, Slice(file, 0, kWindow)), sink));
  EXPECT_FALSE(d->done());
  const std::vector<uint64_t> later = sink.open;  // sent as window 0 went out
  EXPECT_TRUE(d->OnEvent(FileEvent(w1, Slice(file, kWindow, kWindow)), sink));
  ASSERT_TRUE(d->done());
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(d->result().status().message(),
              HasSubstr("the consumer of 4096 bytes at offset 4096: No space left on device"));
  EXPECT_EQ(calls, 2) << "window 2 is never delivered";
  EXPECT_EQ(d->buffered_bytes(), 0);
  std::vector<uint64_t> expected = {w3};
  expected.insert(expected.end(), later.begin(), later.end());
  std::sort(expected.begin(), expected.end());
  std::vector<uint64_t> cancelled = sink.cancelled;
  std::sort(cancelled.begin(), cancelled.end());
  EXPECT_EQ(cancelled, expected) << "everything in flight given up";
  for (uint64_t id : cancelled) {
    EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, 3 * kWindow, kWindow)), sink));
  }
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(FileDownloadStreamTest, CancelStopsTheDeliveries) {
  constexpr int32_t kWindow = 4096;
  const Bytes file = Pattern(10 * kWindow);
  Received got;
  DownloadOptions options;
  options.window_size = kWindow;
  options.on_data = [&](int64_t offset, ByteView chunk) { return got.Take(offset, chunk); };
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const uint64_t w0 = sink.TakeOldest(), w1 = sink.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(w1, Slice(file, kWindow, kWindow)), sink));
  EXPECT_EQ(d->buffered_bytes(), kWindow);
  d->Cancel(sink);
  EXPECT_EQ(d->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(d->buffered_bytes(), 0);
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, Slice(file, 0, kWindow)), sink));
  EXPECT_EQ(got.calls, 0) << "nothing delivered after the end";
}

TEST(FileDownloadStreamTest, FileMigrateFollowedDeliversEveryByteOnceAcrossTheMove) {
  constexpr int32_t kWindow = 4096;
  const Bytes file = Pattern(12 * kWindow + 5);
  Received got;
  DownloadOptions options;
  options.window_size = kWindow;
  options.size = static_cast<int64_t>(file.size());
  options.max_in_flight = 3;
  options.follow_file_migrate = true;
  options.on_data = [&](int64_t offset, ByteView chunk) { return got.Take(offset, chunk); };
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink home, dc4;
  dc4.last_id = uint64_t{4} << 48;
  d->Start(home);
  ASSERT_EQ(home.open.size(), 3u);
  // Window 0 delivered and window 2 waiting behind window 1, which says
  // FILE_MIGRATE_4.
  const uint64_t w0 = home.TakeOldest(), w1 = home.TakeOldest(), w2 = home.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, Slice(file, 0, kWindow)), home));
  EXPECT_TRUE(d->OnEvent(FileEvent(w2, Slice(file, 2 * kWindow, kWindow)), home));
  EXPECT_EQ(got.bytes.size(), static_cast<size_t>(kWindow));
  EXPECT_TRUE(d->OnEvent(RpcError(w1, 303, "FILE_MIGRATE_4"), home));
  ASSERT_EQ(d->needs_dc(), 4);
  EXPECT_EQ(d->buffered_bytes(), kWindow) << "window 2 kept through the pause";
  for (uint64_t id : home.cancelled) {
    EXPECT_TRUE(d->OnEvent(FileEvent(id, Slice(file, 3 * kWindow, kWindow)), home));
  }
  d->Continue(dc4);
  std::set<int64_t> offsets;
  while (!d->done()) {
    ASSERT_FALSE(dc4.open.empty());
    const uint64_t id = dc4.open.back();  // newest first here too
    dc4.open.pop_back();
    auto get = dc4.Decode<tl::upload_getFile>(id);
    offsets.insert(get.offset);
    ASSERT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), dc4));
    EXPECT_LE(d->buffered_bytes(), 4 * kWindow);
  }
  ASSERT_TRUE(d->result().ok()) << d->result().status();
  EXPECT_EQ(got.bytes, file);
  EXPECT_EQ(offsets.count(0), 0u);
  EXPECT_EQ(offsets.count(2 * kWindow), 0u) << "a window kept is not asked again";
  EXPECT_TRUE(home.open.empty());
}

TEST(FileDownloadStreamTest, WithoutAConsumerTheBytesHeldAreThePrefixCollected) {
  const Bytes file = Pattern(3 * 4096 + 1);
  DownloadOptions options;
  options.window_size = 4096;
  options.size = static_cast<int64_t>(file.size());
  std::unique_ptr<FileDownload> d = MakeDownload(options);
  FakeSink sink;
  d->Start(sink);
  const uint64_t w0 = sink.TakeOldest();
  EXPECT_TRUE(d->OnEvent(FileEvent(w0, Slice(file, 0, 4096)), sink));
  EXPECT_EQ(d->buffered_bytes(), 4096);
  while (!d->done()) {
    const uint64_t id = sink.TakeOldest();
    auto get = sink.Decode<tl::upload_getFile>(id);
    ASSERT_TRUE(d->OnEvent(FileEvent(id, Slice(file, get.offset, get.limit)), sink));
  }
  ASSERT_TRUE(d->result().ok());
  EXPECT_EQ(*d->result(), file);
}

}  // namespace
}  // namespace mtcore::client
