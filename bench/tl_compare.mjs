// TL (de)serialization of the benchmark messages.messages (100 messages with
// text and 4 entities each, 5 users; 27,016 bytes at layer 228), measured in
// one run for: mtcore native (//bench:tl_bench, Google Benchmark JSON), mtcore
// as WebAssembly under this node (tl_wasm_bench_module), mtcute 0.31.0
// (@mtcute/tl-runtime with the layer-228 maps of @mtcute/core 0.31.0) and
// GramJS 2.26.22 (npm `telegram`, its own layer). Prints MB/s (1 MB = 1e6
// bytes, medians) and the ratios ours/peer.
//
//   ./bazelw run -c opt //bench:tl_compare            (REPS=N, TARGET=seconds per rep)
//
// Arguments (filled in by the Bazel target): tl_bench binary, the module's
// .mjs and .wasm. Runs from the runfiles tree; each implementation in its own
// node process (compare_runner.mjs).
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { CLOCK, REPS, TARGET, args, bench, external, importReal, median, runGoogleBenchmark, runMain, runPart } from './compare_runner.mjs';

const [tlBench, ...wasmFiles] = args;
const wasmMjs = wasmFiles.find((f) => f.endsWith('.mjs'));
const wasmBin = wasmFiles.find((f) => f.endsWith('.wasm'));
const golden = readFileSync('tl/testdata/tl_mtcute_228.bin');

// --- the shared object (../shared/bench/peers/tlobj.cjs) ------------------------
const N_MSG = 100, N_USERS = 5;
const text = (i) => `Message #${i}: The quick brown fox jumps over the lazy dog. Привет, мир! 🚀 see https://example.com/path?q=${i} and @someuser`;
const entities = (i) => [
  { t: 'bold', offset: 0, length: 10 },
  { t: 'italic', offset: 14, length: 20 },
  { t: 'textUrl', offset: 35, length: 8, url: `https://telegram.org/blog/${i}` },
  { t: 'url', offset: 74, length: 32 },
];

const results = [];  // { impl, serialize, parse, note }

await runMain({ wasm: partWasm, mtcute: partMtcute, gramjs: partGramjs }, async () => {
  // --- mtcore native (Google Benchmark) ----------------------------------------
  const json = runGoogleBenchmark(tlBench, [`--benchmark_repetitions=${REPS}`, `--benchmark_min_time=${TARGET}`]);
  const mbps = (name) => {
    const v = json.benchmarks.filter((b) => b.run_name === name && b.run_type === 'iteration').map((b) => b.bytes_per_second / 1e6);
    return { median: median(v), best: Math.max(...v) };
  };
  results.push({ impl: 'mtcore native (gcc, -c opt)', serialize: mbps('BM_TlSerializeMessages'), parse: mbps('BM_TlParseMessages'),
    note: `${json.context.num_cpus} cpus, ${json.context.mhz_per_cpu} MHz nominal` });
  for (const name of ['wasm', 'mtcute', 'gramjs']) results.push(runPart(name));
  report();
});

// --- mtcore as WebAssembly under node ---------------------------------------------
async function partWasm() {
  const { default: createModule } = await import(pathToFileURL(path.resolve(wasmMjs)).href);
  const m = await createModule({ wasmBinary: readFileSync(wasmBin) });
  const p = m._malloc(golden.length);
  m.HEAPU8.set(golden, p);
  if (m._mtcore_tl_bench_load(p, golden.length) !== 0) throw new Error('wasm: the golden bytes do not parse');
  m._free(p);
  const check = (rc, what) => { if (rc !== 0) throw new Error(`wasm ${what} failed`); };
  return { impl: 'mtcore wasm (emscripten -O3, node)',
    serialize: bench((k) => check(m._mtcore_tl_bench_serialize(k), 'serialize'), golden.length),
    parse: bench((k) => check(m._mtcore_tl_bench_parse(k), 'parse'), golden.length),
    note: `${readFileSync(wasmBin).length} B module` };
}

// --- mtcute 0.31.0 at layer 228 -------------------------------------------------------
async function partMtcute() {
  const { TlBinaryWriter, TlBinaryReader } = await importReal(external('npm', '@mtcute/tl-runtime/index.js'));
  const { default: Long } = await importReal(external('npm', 'long/index.js'));
  const { __tlWriterMap } = await importReal(external('mtcute_schema', 'package/tl/binary/writer.js'));
  const { __tlReaderMap } = await importReal(external('mtcute_schema', 'package/tl/binary/reader.js'));
  const ent = (e) => (e.t === 'bold' ? { _: 'messageEntityBold', offset: e.offset, length: e.length }
    : e.t === 'italic' ? { _: 'messageEntityItalic', offset: e.offset, length: e.length }
    : e.t === 'textUrl' ? { _: 'messageEntityTextUrl', offset: e.offset, length: e.length, url: e.url }
    : { _: 'messageEntityUrl', offset: e.offset, length: e.length });
  const obj = { _: 'messages.messages',
    messages: Array.from({ length: N_MSG }, (_, i) => ({ _: 'message', id: 1000 + i, out: (i & 1) === 1,
      peerId: { _: 'peerUser', userId: 777000 + (i % N_USERS) }, fromId: { _: 'peerUser', userId: 777000 + (i % N_USERS) },
      date: 1700000000 + i, message: text(i), entities: entities(i).map(ent) })),
    topics: [], chats: [],
    users: Array.from({ length: N_USERS }, (_, i) => ({ _: 'user', id: 777000 + i, accessHash: Long.fromString('1234567890123456789'),
      firstName: 'First' + i, lastName: 'Last' + i, username: 'user' + i })) };
  const bytes = TlBinaryWriter.serializeObject(__tlWriterMap, obj);
  if (!Buffer.from(bytes).equals(golden)) throw new Error('mtcute: serialized bytes differ from tl/testdata/tl_mtcute_228.bin');
  return { impl: 'mtcute 0.31.0 (layer 228, node)',
    serialize: bench((k) => { for (let i = 0; i < k; i++) TlBinaryWriter.serializeObject(__tlWriterMap, obj); }, bytes.length),
    parse: bench((k) => { for (let i = 0; i < k; i++) TlBinaryReader.deserializeObject(__tlReaderMap, bytes); }, bytes.length),
    note: `${bytes.length} B, same bytes as ours` };
}

// --- GramJS 2.26.22 (its own layer) -------------------------------------------------------
async function partGramjs() {
  const require = createRequire(realpathSync(external('npm', 'telegram/package.json')));
  const { Api } = require('telegram');
  const { BinaryReader } = require('telegram/extensions');
  const { LAYER } = require('telegram/tl/AllTLObjects');
  const bigInt = require('big-integer');
  const version = require('telegram/package.json').version;
  const ent = (e) => (e.t === 'bold' ? new Api.MessageEntityBold({ offset: e.offset, length: e.length })
    : e.t === 'italic' ? new Api.MessageEntityItalic({ offset: e.offset, length: e.length })
    : e.t === 'textUrl' ? new Api.MessageEntityTextUrl({ offset: e.offset, length: e.length, url: e.url })
    : new Api.MessageEntityUrl({ offset: e.offset, length: e.length }));
  const obj = new Api.messages.Messages({
    messages: Array.from({ length: N_MSG }, (_, i) => new Api.Message({
      id: 1000 + i, out: (i & 1) === 1, peerId: new Api.PeerUser({ userId: bigInt(777000 + (i % N_USERS)) }),
      fromId: new Api.PeerUser({ userId: bigInt(777000 + (i % N_USERS)) }), date: 1700000000 + i,
      message: text(i), entities: entities(i).map(ent) })),
    chats: [],
    users: Array.from({ length: N_USERS }, (_, i) => new Api.User({ id: bigInt(777000 + i), accessHash: bigInt('1234567890123456789'),
      firstName: 'First' + i, lastName: 'Last' + i, username: 'user' + i })),
  });
  const bytes = obj.getBytes();
  const back = new BinaryReader(bytes).tgReadObject();
  if (back.messages.length !== N_MSG || back.messages[7].message !== text(7) || back.users[3].username !== 'user3') {
    throw new Error('GramJS: round trip failed');
  }
  return { impl: `GramJS ${version} (layer ${LAYER}, node)`,
    serialize: bench((k) => { for (let i = 0; i < k; i++) obj.getBytes(); }, bytes.length),
    parse: bench((k) => { for (let i = 0; i < k; i++) new BinaryReader(bytes).tgReadObject(); }, bytes.length),
    note: `${bytes.length} B at its layer` };
}

// --- report ----------------------------------------------------------------------------------
function report() {
  const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(7);
  const cell = (m) => `${f(m.median)} ${f(m.best)}`;
  const r = (x) => (x.toFixed(x >= 10 ? 0 : 2) + 'x').padStart(7);
  console.log(`# TL messages.messages, ${golden.length} bytes; MB/s (1e6 B/s): median and best of ${REPS} reps (${CLOCK} clock); node ${process.version}`);
  console.log(`${''.padEnd(34)} ${'serialize'.padEnd(15)} ${'parse'.padEnd(15)}`);
  console.log(`${'implementation'.padEnd(34)} ${'median'.padStart(7)} ${'best'.padStart(7)} ${'median'.padStart(7)} ${'best'.padStart(7)}  note`);
  for (const x of results) console.log(`${x.impl.padEnd(34)} ${cell(x.serialize)} ${cell(x.parse)}  ${x.note}`);
  const [nat, wasm, mtcute, gramjs] = results;
  console.log(`\n${'ratio (ours / peer)'.padEnd(34)} ${'serialize'.padEnd(15)} ${'parse'.padEnd(15)}`);
  for (const [ours, peer] of [[nat, mtcute], [nat, gramjs], [wasm, mtcute], [wasm, gramjs]]) {
    const name = `${ours === nat ? 'native' : 'wasm'} / ${peer === mtcute ? 'mtcute' : 'GramJS'}`;
    const q = (k) => `${r(ours[k].median / peer[k].median)} ${r(ours[k].best / peer[k].best)}`;
    console.log(`${name.padEnd(34)} ${q('serialize')} ${q('parse')}`);
  }
  const ok = (c) => (c ? 'met' : 'NOT met');
  console.log(`\ntargets (medians): native >= 1500 MB/s: serialize ${ok(nat.serialize.median >= 1500)}, parse ${ok(nat.parse.median >= 1500)};` +
    ` wasm >= 2x mtcute: serialize ${ok(wasm.serialize.median >= 2 * mtcute.serialize.median)}, parse ${ok(wasm.parse.median >= 2 * mtcute.parse.median)}`);
}
