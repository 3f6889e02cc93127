// FileDownload's CDN path (DownloadOptions::allow_cdn) against scripted
// sinks: the file's DC on one, the CDN DC on the other, answered by hand.
#include <algorithm>
#include <string>
#include <vector>

#include "core/client/cdn_file.h"
#include "core/client/file_transfer.h"
#include "core/client/scripted_sink.h"
#include "core/crypto/sha.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/api.h"

namespace mtcore::client {
namespace {

using ::testing::HasSubstr;
using testing::ResultEvent;
using testing::RpcErrorEvent;
using testing::ScriptedSink;

constexpr int kCdnDc = 203;
constexpr int32_t kPart = kCdnHashPartSize;

Bytes Pattern(size_t n, uint8_t seed = 9) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 151 + seed) ^ (i >> 11));
  return b;
}

tl::InputFileLocation Location() {
  tl::inputDocumentFileLocation l;
  l.id = 42;
  l.access_hash = 43;
  l.file_reference = "ref";
  return l;
}

// The file as its DC and a CDN DC know it: the plain bytes, the key, iv and
// token of the redirect, and the hash of every 128 KiB part.
struct CdnFile {
  explicit CdnFile(size_t size) : plain(Pattern(size)) {}
  Bytes plain;
  std::string key = std::string(32, 'k');
  std::string iv = std::string(16, 'v');
  std::string token = "token-1";

  std::vector<tl::FileHash> Hashes(int64_t from = 0, int count = 1 << 20) const {
    std::vector<tl::FileHash> out;
    for (int64_t o = from; o < static_cast<int64_t>(plain.size()) && count-- > 0; o += kPart) {
      tl::fileHash h;
      h.offset = o;
      h.limit = kPart;
      const size_t n = std::min<size_t>(kPart, plain.size() - static_cast<size_t>(o));
      crypto::Sha256Digest d = crypto::Sha256(ByteView(plain).subspan(o, n));
      h.hash.assign(d.begin(), d.end());
      out.push_back(tl::FileHash(std::move(h)));
    }
    return out;
  }
  ClientEvent Redirect(uint64_t id, int hashes = 1 << 20) const {
    tl::upload_fileCdnRedirect r;
    r.dc_id = kCdnDc;
    r.file_token = token;
    r.encryption_key = key;
    r.encryption_iv = iv;
    r.file_hashes = Hashes(0, hashes);
    return ResultEvent(id, *tl::Serialize(tl::upload_File(std::move(r))));
  }
  // The CDN's (encrypted) bytes for a request; `tamper_at` flips a byte.
  ClientEvent Serve(uint64_t id, const tl::upload_getCdnFile& get, int64_t tamper_at = -1) const {
    EXPECT_EQ(get.file_token, token);
    Bytes window;
    if (get.offset < static_cast<int64_t>(plain.size())) {
      const size_t end = std::min(plain.size(), static_cast<size_t>(get.offset + get.limit));
      window.assign(plain.begin() + get.offset, plain.begin() + end);
    }
    EXPECT_TRUE(DecryptCdnBytes(AsBytes(key), AsBytes(iv), get.offset, MutableByteView(window)).ok());
    if (tamper_at >= get.offset && tamper_at < get.offset + static_cast<int64_t>(window.size())) {
      window[static_cast<size_t>(tamper_at - get.offset)] ^= 0x40;
    }
    tl::upload_cdnFile f;
    f.bytes.assign(window.begin(), window.end());
    return ResultEvent(id, *tl::Serialize(tl::upload_CdnFile(std::move(f))));
  }
  ClientEvent HashesAnswer(uint64_t id, int64_t from, int count) const {
    return ResultEvent(id, *tl::Serialize(Hashes(from, count)));
  }
};

// A download with allow_cdn started on `main`, its first getFile answered
// with the redirect (carrying `hashes` hashes), continued on `cdn`.
struct Cdn {
  explicit Cdn(size_t size, DownloadOptions options = {}, int hashes = 1 << 20,
               bool known_size = true)
      : file(size) {
    options.allow_cdn = true;
    options.size = known_size ? static_cast<int64_t>(size) : -1;
    auto d = FileDownload::Create(Location(), std::move(options));
    EXPECT_TRUE(d.ok()) << d.status();
    download = *std::move(d);
    cdn.last_id = 1'000'000;  // (another client's request ids)
    download->Start(main);
    const uint64_t first = main.TakeOldest();
    auto get = main.Decode<tl::upload_getFile>(first);
    EXPECT_TRUE(get.cdn_supported);
    EXPECT_TRUE(download->OnEvent(file.Redirect(first, hashes), main));
    EXPECT_EQ(download->needs_cdn_dc(), kCdnDc);
    EXPECT_TRUE(main.open.empty()) << "the other windows are given up on the file's DC";
    download->ContinueOnCdn(cdn);
    EXPECT_FALSE(download->needs_cdn_dc().has_value());
  }
  // Answers the CDN's oldest open request.
  void ServeOne(int64_t tamper_at = -1) {
    const uint64_t id = cdn.TakeOldest();
    EXPECT_TRUE(download->OnEvent(file.Serve(id, cdn.Decode<tl::upload_getCdnFile>(id), tamper_at), cdn));
  }
  CdnFile file;
  ScriptedSink main;
  ScriptedSink cdn;
  std::unique_ptr<FileDownload> download;
};

TEST(FileDownloadCdnTest, ARedirectTurnsItIntoACheckedCdnDownload) {
  std::vector<std::pair<int64_t, size_t>> chunks;
  Bytes delivered;
  DownloadOptions options;
  options.on_data = [&](int64_t offset, ByteView chunk) {
    chunks.emplace_back(offset, chunk.size());
    delivered.insert(delivered.end(), chunk.begin(), chunk.end());
    return absl::OkStatus();
  };
  Cdn c(3 * 524288 + 1000, options);
  EXPECT_EQ(c.download->cdn_dc(), kCdnDc);
  ASSERT_EQ(c.cdn.open.size(), 4u);
  // Answered newest first: nothing is delivered before the first window.
  std::vector<uint64_t> ids = c.cdn.open;
  c.cdn.open.clear();
  std::reverse(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    auto get = c.cdn.Decode<tl::upload_getCdnFile>(id);
    EXPECT_EQ(get.limit, 524288);
    EXPECT_TRUE(c.download->OnEvent(c.file.Serve(id, get), c.cdn));
    if (id != ids.back()) {
      EXPECT_TRUE(chunks.empty());
    }
  }
  ASSERT_TRUE(c.download->done());
  ASSERT_TRUE(c.download->result().ok()) << c.download->result().status();
  EXPECT_EQ(delivered, c.file.plain);
  EXPECT_EQ(chunks.front().first, 0);
  EXPECT_EQ(c.main.sent.size(), 4u) << "the first getFile and the three given up";
  EXPECT_EQ(c.main.cancelled.size(), 3u);
  EXPECT_EQ(c.download->cdn_hash_requests(), 0);
  EXPECT_EQ(c.download->buffered_bytes(), 0);
}

TEST(FileDownloadCdnTest, MissingHashesAreAskedFromTheFilesDcAndTheWindowWaitsUnchecked) {
  Bytes delivered;
  DownloadOptions options;
  options.max_in_flight = 2;
  options.on_data = [&](int64_t, ByteView chunk) {
    delivered.insert(delivered.end(), chunk.begin(), chunk.end());
    return absl::OkStatus();
  };
  Cdn c(4 * 524288, options, /*hashes=*/4);  // the first window's parts only
  c.ServeOne();
  EXPECT_EQ(delivered.size(), 524288u);
  c.ServeOne();  // window 2: no hashes yet
  EXPECT_EQ(delivered.size(), 524288u) << "nothing unchecked is delivered";
  ASSERT_EQ(c.main.open.size(), 1u);
  auto ask = c.main.Decode<tl::upload_getCdnFileHashes>(c.main.open[0]);
  EXPECT_EQ(ask.file_token, c.file.token);
  EXPECT_EQ(ask.offset, 524288);
  EXPECT_EQ(c.download->buffered_bytes(), 524288);
  // Still two windows open (one waiting, one in flight), never more.
  EXPECT_EQ(c.cdn.open.size(), 1u);
  const uint64_t id = c.main.TakeOldest();
  EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(id, 524288, 8), c.main));
  EXPECT_EQ(delivered.size(), 2u * 524288);
  while (!c.download->done()) {
    if (!c.cdn.open.empty()) {
      c.ServeOne();
    } else {
      ASSERT_FALSE(c.main.open.empty());
      const uint64_t h = c.main.TakeOldest();
      auto more = c.main.Decode<tl::upload_getCdnFileHashes>(h);
      EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(h, more.offset, 8), c.main));
    }
  }
  ASSERT_TRUE(c.download->result().ok()) << c.download->result().status();
  EXPECT_EQ(delivered, c.file.plain);
  EXPECT_EQ(c.download->cdn_hash_requests(), 2) << "8 parts at 512K, then 8 at 1.5M";
}

TEST(FileDownloadCdnTest, TamperedBytesEndItWithDataLossAndAreNeverDelivered) {
  for (bool streaming : {true, false}) {
    Bytes delivered;
    DownloadOptions options;
    options.max_in_flight = 1;
    if (streaming) {
      options.on_data = [&](int64_t, ByteView chunk) {
        delivered.insert(delivered.end(), chunk.begin(), chunk.end());
        return absl::OkStatus();
      };
    }
    Cdn c(3 * 524288, options);
    c.ServeOne();
    c.ServeOne(/*tamper_at=*/524288 + 200000);
    ASSERT_TRUE(c.download->done());
    EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(c.download->result().status().message(),
                HasSubstr("CDN DC 203: window at offset 524288"));
    EXPECT_THAT(c.download->result().status().message(),
                HasSubstr("the 131072 bytes at offset 655360 do not match the file's SHA-256 hash"));
    if (streaming) {
      EXPECT_EQ(delivered, Bytes(c.file.plain.begin(), c.file.plain.begin() + 524288));
    }
    EXPECT_TRUE(c.cdn.open.empty());
    EXPECT_EQ(c.download->buffered_bytes(), 0);
  }
}

TEST(FileDownloadCdnTest, ACdnThatCutsTheFileShortIsCaught) {
  DownloadOptions options;
  options.max_in_flight = 1;
  Cdn c(2 * 524288, options);
  c.ServeOne();
  // The second window, cut after two parts: right bytes, too few of them.
  const uint64_t id = c.cdn.TakeOldest();
  CdnFile shorter = c.file;
  shorter.plain.resize(524288 + 2 * kPart);
  EXPECT_TRUE(c.download->OnEvent(shorter.Serve(id, c.cdn.Decode<tl::upload_getCdnFile>(id)), c.cdn));
  ASSERT_TRUE(c.download->done());
  EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kDataLoss);
}

TEST(FileDownloadCdnTest, AnUnknownSizeEndingOnAPartBoundaryIsConfirmedByTheFilesDc) {
  for (bool cut_by_cdn : {false, true}) {
    SCOPED_TRACE(cut_by_cdn);
    DownloadOptions options;
    options.max_in_flight = 1;
    // The real file: one window and one part, or one window and three parts.
    // The redirect carries the hashes of the parts the CDN serves, no more.
    Cdn c(524288 + (cut_by_cdn ? 3 : 1) * kPart, options, /*hashes=*/5, /*known_size=*/false);
    c.ServeOne();
    const uint64_t id = c.cdn.TakeOldest();
    CdnFile served = c.file;
    served.plain.resize(524288 + kPart);  // (the CDN cuts it after one part)
    EXPECT_TRUE(
        c.download->OnEvent(served.Serve(id, c.cdn.Decode<tl::upload_getCdnFile>(id)), c.cdn));
    ASSERT_FALSE(c.download->done());
    ASSERT_EQ(c.main.open.size(), 1u);
    const uint64_t h = c.main.TakeOldest();
    EXPECT_EQ(c.main.Decode<tl::upload_getCdnFileHashes>(h).offset, 524288 + kPart);
    EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(h, 524288 + kPart, 8), c.main));
    ASSERT_TRUE(c.download->done());
    if (cut_by_cdn) {
      EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kDataLoss);
      EXPECT_THAT(c.download->result().status().message(), HasSubstr("cut short"));
    } else {
      ASSERT_TRUE(c.download->result().ok()) << c.download->result().status();
      EXPECT_EQ(*c.download->result(), c.file.plain);
    }
  }
}

TEST(FileDownloadCdnTest, ReuploadNeededAsksTheFilesDcThenTheCdnAgain) {
  DownloadOptions options;
  options.max_in_flight = 1;
  Cdn c(524288 + 5000, options, /*hashes=*/0);
  uint64_t id = c.cdn.TakeOldest();
  tl::upload_cdnFileReuploadNeeded r;
  r.request_token = "req-1";
  EXPECT_TRUE(c.download->OnEvent(
      ResultEvent(id, *tl::Serialize(tl::upload_CdnFile(std::move(r)))), c.cdn));
  ASSERT_EQ(c.main.open.size(), 1u);
  auto re = c.main.Decode<tl::upload_reuploadCdnFile>(c.main.open[0]);
  EXPECT_EQ(re.file_token, c.file.token);
  EXPECT_EQ(re.request_token, "req-1");
  EXPECT_TRUE(c.cdn.open.empty());
  id = c.main.TakeOldest();
  EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(id, 0, 100), c.main));
  ASSERT_EQ(c.cdn.open.size(), 1u) << "the CDN is asked again";
  while (!c.download->done() && !c.cdn.open.empty()) c.ServeOne();
  ASSERT_TRUE(c.download->done());
  ASSERT_TRUE(c.download->result().ok()) << c.download->result().status();
  EXPECT_EQ(*c.download->result(), c.file.plain);
  EXPECT_EQ(c.download->cdn_reuploads(), 1);
  EXPECT_EQ(c.download->cdn_hash_requests(), 0) << "the reupload brought every hash";
}

TEST(FileDownloadCdnTest, ReuploadsAreBounded) {
  DownloadOptions options;
  options.max_in_flight = 1;
  options.max_cdn_reuploads = 2;
  Cdn c(524288, options);
  for (int i = 0;; ++i) {
    ASSERT_LE(i, 3);
    const uint64_t id = c.cdn.TakeOldest();
    tl::upload_cdnFileReuploadNeeded r;
    r.request_token = "again";
    EXPECT_TRUE(c.download->OnEvent(
        ResultEvent(id, *tl::Serialize(tl::upload_CdnFile(std::move(r)))), c.cdn));
    if (c.download->done()) break;
    const uint64_t re = c.main.TakeOldest();
    EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(re, 0, 4), c.main));
  }
  EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(c.download->result().status().message(), HasSubstr("max_cdn_reuploads"));
  EXPECT_EQ(c.download->cdn_reuploads(), 2);
}

TEST(FileDownloadCdnTest, AnInvalidTokenFallsBackToTheFilesDcKeepingWhatWasChecked) {
  for (const char* where : {"cdn", "reupload", "hashes"}) {
    SCOPED_TRACE(where);
    DownloadOptions options;
    options.max_in_flight = 2;
    const int hashes = std::string(where) == "hashes" ? 4 : 1 << 20;
    Cdn c(3 * 524288 + 77, options, hashes);
    c.ServeOne();  // window 0 checked and kept
    const uint64_t id = c.cdn.TakeOldest();
    if (std::string(where) == "cdn") {
      EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(id, 400, "FILE_TOKEN_INVALID"), c.cdn));
    } else if (std::string(where) == "reupload") {
      tl::upload_cdnFileReuploadNeeded r;
      r.request_token = "req";
      EXPECT_TRUE(c.download->OnEvent(
          ResultEvent(id, *tl::Serialize(tl::upload_CdnFile(std::move(r)))), c.cdn));
      const uint64_t re = c.main.TakeOldest();
      EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(re, 400, "REQUEST_TOKEN_INVALID"), c.main));
    } else {
      c.download->OnEvent(c.file.Serve(id, c.cdn.Decode<tl::upload_getCdnFile>(id)), c.cdn);
      const uint64_t h = c.main.TakeOldest();
      c.main.Decode<tl::upload_getCdnFileHashes>(h);
      EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(h, 400, "FILE_TOKEN_INVALID"), c.main));
    }
    EXPECT_TRUE(c.download->cdn_fell_back());
    EXPECT_EQ(c.download->cdn_dc(), 0);
    EXPECT_TRUE(c.cdn.open.empty()) << "the CDN's windows are given up";
    // The rest comes from the file's DC, plainly, without cdn_supported.
    while (!c.download->done()) {
      ASSERT_FALSE(c.main.open.empty());
      const uint64_t g = c.main.TakeOldest();
      auto get = c.main.Decode<tl::upload_getFile>(g);
      EXPECT_FALSE(get.cdn_supported);
      EXPECT_NE(get.offset, 0) << "window 0 was kept";
      tl::upload_file f;
      f.type = tl::storage_filePartial{};
      const size_t end = std::min(c.file.plain.size(), static_cast<size_t>(get.offset + get.limit));
      f.bytes.assign(c.file.plain.begin() + get.offset, c.file.plain.begin() + end);
      EXPECT_TRUE(c.download->OnEvent(ResultEvent(g, *tl::Serialize(tl::upload_File(std::move(f)))),
                                      c.main));
    }
    ASSERT_TRUE(c.download->result().ok()) << c.download->result().status();
    EXPECT_EQ(*c.download->result(), c.file.plain);
  }
}

TEST(FileDownloadCdnTest, BadRedirectsAndOtherCdnErrorsEndItClearly) {
  CdnFile file(524288);
  auto start = [&](bool allow_cdn) {
    DownloadOptions options;
    options.allow_cdn = allow_cdn;
    options.size = 524288;
    return *FileDownload::Create(Location(), options);
  };
  {  // a redirect to a download that did not ask for one
    ScriptedSink main;
    auto d = start(false);
    d->Start(main);
    const uint64_t id = main.TakeOldest();
    EXPECT_FALSE(main.Decode<tl::upload_getFile>(id).cdn_supported);
    EXPECT_TRUE(d->OnEvent(file.Redirect(id), main));
    EXPECT_EQ(d->result().status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(d->result().status().message(), HasSubstr("without cdn_supported"));
  }
  {  // a key that cannot be AES-256
    ScriptedSink main;
    auto d = start(true);
    d->Start(main);
    const uint64_t id = main.TakeOldest();
    CdnFile bad = file;
    bad.key = "short";
    EXPECT_TRUE(d->OnEvent(bad.Redirect(id), main));
    EXPECT_EQ(d->result().status().code(), absl::StatusCode::kDataLoss);
    EXPECT_FALSE(d->needs_cdn_dc().has_value());
  }
  {  // a malformed hash
    ScriptedSink main;
    auto d = start(true);
    d->Start(main);
    const uint64_t id = main.TakeOldest();
    tl::upload_fileCdnRedirect r;
    r.dc_id = kCdnDc;
    r.file_token = "t";
    r.encryption_key = file.key;
    r.encryption_iv = file.iv;
    tl::fileHash h;
    h.limit = kPart;
    h.hash = "not 32 bytes";
    r.file_hashes.push_back(tl::FileHash(h));
    EXPECT_TRUE(d->OnEvent(ResultEvent(id, *tl::Serialize(tl::upload_File(std::move(r)))), main));
    EXPECT_EQ(d->result().status().code(), absl::StatusCode::kDataLoss);
  }
  {  // a CDN error other than FILE_TOKEN_INVALID, after retries of transient ones
    DownloadOptions options;
    options.max_in_flight = 1;
    options.max_retries_per_window = 1;
    Cdn c(524288, options);
    uint64_t id = c.cdn.TakeOldest();
    EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(id, 500, "INTERNAL"), c.cdn));
    ASSERT_EQ(c.cdn.open.size(), 1u) << "sent again to the CDN";
    id = c.cdn.TakeOldest();
    EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(id, 400, "LIMIT_INVALID"), c.cdn));
    EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(c.download->result().status().message(), HasSubstr("CDN DC 203"));
  }
  {  // the file's DC gives no hash for the part asked for
    DownloadOptions options;
    options.max_in_flight = 1;
    Cdn c(2 * 524288, options, /*hashes=*/4);
    c.ServeOne();
    c.ServeOne();
    const uint64_t h = c.main.TakeOldest();
    EXPECT_TRUE(c.download->OnEvent(c.file.HashesAnswer(h, 0, 2), c.main));
    EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(c.download->result().status().message(),
                HasSubstr("the file's DC has no hash for the part at offset 524288"));
  }
}

TEST(FileDownloadCdnTest, WindowsMustBeWholeHashParts) {
  DownloadOptions options;
  options.allow_cdn = true;
  options.window_size = 65536;
  EXPECT_EQ(FileDownload::Create(Location(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.window_size = 131072;
  EXPECT_TRUE(FileDownload::Create(Location(), options).ok());
}

TEST(FileDownloadCdnTest, CancelGivesUpTheRequestsOnBothDcs) {
  DownloadOptions options;
  options.max_in_flight = 2;
  Cdn c(4 * 524288, options, /*hashes=*/4);
  c.ServeOne();
  c.ServeOne();  // waits for hashes: one request on the file's DC
  ASSERT_EQ(c.main.open.size(), 1u);
  ASSERT_EQ(c.cdn.open.size(), 1u);
  const uint64_t late_cdn = c.cdn.open[0];
  const uint64_t late_main = c.main.open[0];
  c.download->Cancel(c.main);
  EXPECT_EQ(c.download->result().status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(c.main.open.empty());
  EXPECT_TRUE(c.cdn.open.empty());
  // Their answers are still swallowed.
  EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(late_cdn, 500, "X"), c.cdn));
  EXPECT_TRUE(c.download->OnEvent(RpcErrorEvent(late_main, 500, "X"), c.main));
  EXPECT_FALSE(c.download->OnEvent(RpcErrorEvent(424242, 500, "X"), c.main));
}

}  // namespace
}  // namespace mtcore::client
