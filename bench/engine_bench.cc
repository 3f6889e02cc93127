// Engine benchmarks: what a small RPC and a 512 KiB file part cost the
// client's CPU to send (Send + PullOutput) and to receive (OnBytes +
// PollEvent), transport and encryption included, network excluded.
//
//   ./bazelw run -c opt //bench:engine_bench -- --benchmark_format=json
//
// Targets (issue #5): under 5 us per small RPC each way, native.
#include <malloc.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "bench/engine_fixture.h"

namespace mtcore::bench {
namespace {

constexpr size_t kSmallQuery = 64;    // e.g. messages.sendMessage with short text
constexpr size_t kSmallResult = 96;   // e.g. updateShortSentMessage
constexpr size_t kUploadPart = 512 * 1024;

void SendLoop(benchmark::State& state, size_t size, bool no_gzip, size_t batch) {
  EngineFixture f;
  Bytes query = f.Query(size);
  Bytes small_result = f.Query(kSmallResult);
  std::vector<Bytes> outs(batch);
  session::SendOptions opts;
  opts.no_gzip = no_gzip;
  size_t k = 0;
  for (auto _ : state) {
    f.engine().Send(query, opts);
    outs[k].clear();
    f.engine().PullOutput(outs[k]);
    benchmark::DoNotOptimize(outs[k].data());
    if (++k == batch) {
      // Answer what was sent, so the in-flight table stays small (not timed).
      state.PauseTiming();
      for (const Bytes& out : outs) {
        for (int64_t id : f.RequestIds(out)) {
          (void)f.engine().OnBytes(f.Answer(id, small_result), f.now());
        }
      }
      while (f.engine().PollEvent()) {
      }
      Bytes acks;
      f.engine().PullOutput(acks);
      (void)f.RequestIds(acks);
      k = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.SetItemsProcessed(state.iterations());
}

void BM_SendSmallRpc(benchmark::State& state) { SendLoop(state, kSmallQuery, false, 1024); }
BENCHMARK(BM_SendSmallRpc);

void BM_SendUploadPart(benchmark::State& state) { SendLoop(state, kUploadPart, true, 8); }
BENCHMARK(BM_SendUploadPart);

void ReceiveLoop(benchmark::State& state, size_t result_size, size_t batch) {
  EngineFixture f;
  Bytes result = f.Query(result_size);
  std::vector<Bytes> wires;
  size_t next = 0;
  Bytes out;
  for (auto _ : state) {
    if (next == wires.size()) {
      state.PauseTiming();
      wires.clear();
      next = 0;
      for (size_t i = 0; i < batch; ++i) f.engine().Send(f.Query(kSmallQuery));
      out.clear();
      f.engine().PullOutput(out);
      for (int64_t id : f.RequestIds(out)) wires.push_back(f.Answer(id, result));
      // The acks owed for the previous batch go out (not timed).
      state.ResumeTiming();
    }
    absl::Status s = f.engine().OnBytes(wires[next++], f.now());
    std::optional<engine::EngineEvent> e = f.engine().PollEvent();
    if (!s.ok() || !e.has_value() || e->kind != engine::EngineEvent::Kind::kResult) {
      state.SkipWithError("the engine did not deliver the result");
      break;
    }
    benchmark::DoNotOptimize(e->body.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(result_size));
  state.SetItemsProcessed(state.iterations());
}

void BM_ReceiveSmallRpc(benchmark::State& state) { ReceiveLoop(state, kSmallResult, 256); }
BENCHMARK(BM_ReceiveSmallRpc);

void BM_ReceiveUploadPart(benchmark::State& state) { ReceiveLoop(state, kUploadPart, 4); }
BENCHMARK(BM_ReceiveUploadPart);

// Heap held per idle session: N engines with an auth key, each having done
// one RPC (answered) and holding nothing in flight, measured with
// mallinfo2() (the scripted server side of each fixture is included, so
// this is an upper bound for the client alone).
void BM_IdleSessionMemory(benchmark::State& state) {
  constexpr int kSessions = 200;
  for (auto _ : state) {
    size_t before = mallinfo2().uordblks;
    std::vector<std::unique_ptr<EngineFixture>> fixtures;
    for (int i = 0; i < kSessions; ++i) {
      auto f = std::make_unique<EngineFixture>();
      Bytes out;
      f->engine().Send(f->Query(kSmallQuery));
      f->engine().PullOutput(out);
      for (int64_t id : f->RequestIds(out)) (void)f->engine().OnBytes(f->Answer(id, f->Query(kSmallResult)), f->now());
      while (f->engine().PollEvent()) {
      }
      Bytes acks;
      f->engine().PullOutput(acks);
      fixtures.push_back(std::move(f));
    }
    size_t after = mallinfo2().uordblks;
    state.counters["heap_bytes_per_session"] =
        static_cast<double>(after - before) / kSessions;
  }
}
BENCHMARK(BM_IdleSessionMemory)->Iterations(1);

// Heap the client holds for upload parts in flight: kParts parts of 512 KiB
// handed to Send (the caller gives its buffer up), sent with PullOutput and
// not yet answered. steady: held per part once the output is gone (the
// ideal is one copy, 512 KiB); peak: the highest point while sending,
// output and encryption buffers included. mallinfo2(), client only (the
// fixture's server side decodes nothing here).
void BM_UploadPartsInFlightMemory(benchmark::State& state) {
  constexpr int kParts = 8;
  for (auto _ : state) {
    EngineFixture f;
    Bytes part = f.Query(kUploadPart);
    session::SendOptions opts;
    opts.no_gzip = true;
    const size_t in_flight = f.engine().requests_in_flight();
    const size_t before = mallinfo2().uordblks;
    size_t peak = 0;
    auto sample = [&] { peak = std::max(peak, mallinfo2().uordblks - before); };
    for (int i = 0; i < kParts; ++i) {
      f.engine().Send(Bytes(part), opts);
      sample();
      Bytes out;
      f.engine().PullOutput(out);
      sample();
      benchmark::DoNotOptimize(out.data());
    }
    const size_t steady = mallinfo2().uordblks - before;
    if (f.engine().requests_in_flight() != in_flight + kParts) {
      state.SkipWithError("the parts are not all in flight");
      break;
    }
    state.counters["steady_KiB_per_part"] = static_cast<double>(steady) / 1024 / kParts;
    state.counters["peak_KiB"] = static_cast<double>(peak) / 1024;
  }
}
BENCHMARK(BM_UploadPartsInFlightMemory)->Iterations(1);

}  // namespace
}  // namespace mtcore::bench
