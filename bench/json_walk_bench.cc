// What the browser client (web::JsonClient) spends on one page of a history
// walk, on the layer-228 messages.messages that mtcute serialized (100
// messages with entities + 5 users, 27,016 bytes):
//   - BM_WalkPageTypedParse: the typed parse client::HistoryWalk makes of
//     the answer (its offsets, its entries);
//   - BM_WalkPageJsonPerEntry: the page's JSON as JsonClient writes it: each
//     message and user serialized back to TL, decoded by the dynamic codec
//     and written as JSON (the answer parsed once more, typed, for its users);
//   - BM_WalkPageJsonOneDecode: the same JSON from one dynamic decode of the
//     answer, each element written as JSON (BM_WalkPageDynamicDecode: the
//     decode alone).
//
//   ./bazelw run -c opt //bench:json_walk_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "tl/api.h"
#include "tl/dynamic/api_codec_for_tests.h"
#include "tl/dynamic/codec.h"

namespace {

using mtcore::Bytes;
namespace tl = mtcore::tl;

const Bytes& Page() {
  static const Bytes* bytes = [] {
    std::ifstream f("tl/testdata/tl_mtcute_228.bin", std::ios::binary);
    auto* b = new Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (b->size() != 27016) {
      std::fprintf(stderr, "tl/testdata/tl_mtcute_228.bin: expected 27016 bytes, got %zu\n",
                   b->size());
      std::abort();
    }
    return b;
  }();
  return *bytes;
}

// A generated TL handle as JSON of `type`, as JsonClient converts one.
template <class T>
bool AppendJson(const tl::dynamic::DynamicCodec& codec, const T& handle, std::string_view type,
                std::string& out) {
  absl::StatusOr<Bytes> bytes = tl::Serialize(handle);
  if (!bytes.ok()) return false;
  absl::StatusOr<tl::dynamic::Value> value = codec.Decode(*bytes, type);
  if (!value.ok()) return false;
  absl::StatusOr<std::string> json = codec.ToJson(*value, type);
  if (!json.ok()) return false;
  out += *json;
  out += ',';
  return true;
}

void BM_WalkPageTypedParse(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<tl::messages_Messages> m = tl::Parse<tl::messages_Messages>(Page());
    if (!m.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 100);
}
BENCHMARK(BM_WalkPageTypedParse);

void BM_WalkPageJsonPerEntry(benchmark::State& state) {
  const tl::dynamic::DynamicCodec& codec = tl::dynamic::ApiCodecForTests();
  absl::StatusOr<tl::messages_Messages> walked = tl::Parse<tl::messages_Messages>(Page());
  if (!walked.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  const auto* entries = walked->As<tl::messages_messages>();
  if (entries == nullptr || entries->messages.size() != 100) {
    state.SkipWithError("not 100 messages");
    return;
  }
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    for (const tl::Message& m : entries->messages) {  // the walk's entries
      if (!AppendJson(codec, m, "Message", out)) state.SkipWithError("message");
    }
    absl::StatusOr<tl::messages_Messages> again = tl::Parse<tl::messages_Messages>(Page());
    if (!again.ok()) state.SkipWithError("parse failed");
    for (const tl::User& u : again->As<tl::messages_messages>()->users) {
      if (!AppendJson(codec, u, "User", out)) state.SkipWithError("user");
    }
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(int64_t(state.iterations()) * 100);
}
BENCHMARK(BM_WalkPageJsonPerEntry);

// Of which the dynamic decode alone.
void BM_WalkPageDynamicDecode(benchmark::State& state) {
  const tl::dynamic::DynamicCodec& codec = tl::dynamic::ApiCodecForTests();
  for (auto _ : state) {
    absl::StatusOr<tl::dynamic::Value> page = codec.Decode(Page(), "messages.Messages");
    if (!page.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 100);
}
BENCHMARK(BM_WalkPageDynamicDecode);

void BM_WalkPageJsonOneDecode(benchmark::State& state) {
  const tl::dynamic::DynamicCodec& codec = tl::dynamic::ApiCodecForTests();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    absl::StatusOr<tl::dynamic::Value> page = codec.Decode(Page(), "messages.Messages");
    if (!page.ok() || !page->is_object()) {
      state.SkipWithError("decode failed");
      break;
    }
    for (const char* field : {"messages", "users"}) {
      const tl::dynamic::Value* list = page->if_object()->Get(field);
      if (list == nullptr || list->if_vector() == nullptr) {
        state.SkipWithError("no list");
        break;
      }
      const std::string_view type = field[0] == 'm' ? "Message" : "User";
      for (const tl::dynamic::Value& v : *list->if_vector()) {
        absl::StatusOr<std::string> json = codec.ToJson(v, type);
        if (!json.ok()) state.SkipWithError("json");
        out += json.ok() ? *json : "";
        out += ',';
      }
    }
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(int64_t(state.iterations()) * 100);
}
BENCHMARK(BM_WalkPageJsonOneDecode);

}  // namespace
