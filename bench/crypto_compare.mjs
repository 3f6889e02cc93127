// Crypto throughput of mtcore beside the peers, in one run:
//   - mtcore native (//bench:crypto_bench, Google Benchmark JSON) beside
//     OpenSSL 3 measured by the same binary (AES_ige_encrypt, EVP SHA-256,
//     BN_mod_exp);
//   - mtcore as WebAssembly (//bench:wasm_crypto_bench under this node)
//     beside @mtcute/wasm 0.30.3 (its SIMD build when node has SIMD) and
//     GramJS 2.26.22 (npm `telegram`: @cryptography/aes IGE, node's
//     createHash for SHA-256);
//   - PQ factorization and 2048-bit modexp beside mtcute (@mtcute/core
//     factorizePQSync, @fuman/utils bigint) and GramJS (Factorizator,
//     big-integer), when cheap.
// AES-256-IGE encrypt/decrypt and SHA-256 on 64 KiB; MB/s (1 MB = 1e6 B),
// medians of REPS reps of ~TARGET s; every peer runs in its own node process
// and is checked against node:crypto first (IGE rebuilt from AES-256-ECB).
// The node parts (ours as wasm, mtcute, GramJS) take turns ROUNDS times and
// each keeps its best median, so a burst of load on a shared machine does not
// land on one side only.
//
//   ./bazelw run -c opt //bench:crypto_compare      (REPS=N, TARGET=seconds, ROUNDS=N)
//
// Arguments (filled in by the Bazel target): crypto_bench, wasm_crypto_bench.
// The harness and the one-process-per-part runner are compare_runner.mjs.
import { spawnSync } from 'node:child_process';
import { createHash, createCipheriv } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

import {
  CLOCK, REPS, TARGET, args, bench as benchBoth, external, importReal, runGoogleBenchmark, runMain, runPart, runs,
} from './compare_runner.mjs';

const PQRUNS = Number(process.env.PQRUNS || 31);
const ROUNDS = Number(process.env.ROUNDS || 3);
const [cryptoBench, wasmBench] = args;

// --- inputs (as ../shared/bench/peers/harness.cjs) ------------------------------------
const N = 65536;
function fill(n, seed) {
  const b = Buffer.alloc(n);
  seed >>>= 0;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    b[i] = seed >>> 24;
  }
  return b;
}
const key = fill(32, 1), iv = fill(32, 2), input = fill(1 << 20, 3);
const buf = input.subarray(0, N);
const bench = (fn, bytesPerIter) => benchBoth(fn, bytesPerIter).median;  // MB/s

// Reference IGE from node's AES-256-ECB, one block at a time.
function igeEncryptRef(data) {
  const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  const out = Buffer.alloc(data.length);
  let c = iv.subarray(0, 16), p = iv.subarray(16, 32);
  for (let i = 0; i < data.length; i += 16) {
    const x = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) x[j] = data[i + j] ^ c[j];
    const y = ecb.update(x);
    for (let j = 0; j < 16; j++) out[i + j] = y[j] ^ p[j];
    c = out.subarray(i, i + 16);
    p = data.subarray(i, i + 16);
  }
  return out;
}
const ref1k = igeEncryptRef(input.subarray(0, 1024));
const refSha = createHash('sha256').update(buf).digest();
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
function check(name, enc, dec, sha) {
  const e = Buffer.from(enc(input.subarray(0, 1024)));
  if (!e.equals(ref1k)) throw new Error(`${name}: IGE output differs from node:crypto`);
  if (!Buffer.from(dec(e)).equals(input.subarray(0, 1024))) throw new Error(`${name}: IGE decrypt does not round-trip`);
  if (!Buffer.from(sha(buf)).equals(refSha)) throw new Error(`${name}: SHA-256 differs from node:crypto`);
}

// 2048-bit modexp inputs (the Telegram DH prime; a and g_a from the LCG).
const DH_PRIME = BigInt('0xC71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530' +
  'F4DBFA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F642477FE96BB2A941D5B' +
  'CD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754FD17ED95' +
  '0D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE92985' +
  '1F0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B');
const EXP_A = BigInt('0x' + fill(256, 7).toString('hex')) % DH_PRIME;
const G_A = BigInt('0x' + fill(256, 8).toString('hex')) % DH_PRIME;
const PQ = 1724114033281923457n, PQ_P = 1229739323n, PQ_Q = 1402015859n;
const modPowRef = (b, e, m) => {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
};

// --- parts, each in its own process --------------------------------------------------
async function partMtcute() {
  const wasm = await importReal(external('npm', '@mtcute/wasm/index.js'));
  const flavor = wasm.SIMD_AVAILABLE ? 'mtcute-simd.wasm' : 'mtcute.wasm';
  wasm.initSync(readFileSync(external('npm', `@mtcute/wasm/${flavor}`)));
  const version = JSON.parse(readFileSync(external('npm', '@mtcute/wasm/package.json'), 'utf8')).version;
  check('mtcute', (d) => wasm.ige256Encrypt(d, key, iv), (d) => wasm.ige256Decrypt(d, key, iv), (d) => wasm.sha256(d));
  const r = { impl: `@mtcute/wasm ${version} (${flavor})`,
    enc: bench((k) => { for (let i = 0; i < k; i++) wasm.ige256Encrypt(buf, key, iv); }, N),
    dec: bench((k) => { for (let i = 0; i < k; i++) wasm.ige256Decrypt(buf, key, iv); }, N),
    sha: bench((k) => { for (let i = 0; i < k; i++) wasm.sha256(buf); }, N) };
  const { factorizePQSync } = await importReal(external('npm', '@mtcute/core/utils.js'));
  const { bigint } = await importReal(external('npm', '@fuman/utils/index.js'));
  const { randomFillSync } = await import('node:crypto');
  const cp = { randomFill: (b) => randomFillSync(b), randomBytes: (n) => randomFillSync(new Uint8Array(n)) };
  const pq = bigint.toBytes(PQ);
  const [p, q] = factorizePQSync(cp, pq);
  if (bigint.fromBytes(p) !== PQ_P || bigint.fromBytes(q) !== PQ_Q) throw new Error('mtcute: factorizePQSync is wrong');
  if (bigint.modPowBinary(G_A, EXP_A, DH_PRIME) !== modPowRef(G_A, EXP_A, DH_PRIME)) throw new Error('mtcute: modPow is wrong');
  r.math = `@mtcute/core ${JSON.parse(readFileSync(external('npm', '@mtcute/core/package.json'), 'utf8')).version} (@fuman bigint)`;
  r.pq_ms = runs(() => factorizePQSync(cp, pq), PQRUNS * 3);
  r.modexp_ms = runs(() => bigint.modPowBinary(G_A, EXP_A, DH_PRIME), 15);
  return r;
}

async function partGramjs() {
  const require = createRequire(realpathSync(external('npm', 'telegram/package.json')));
  const { IGE } = require('telegram/crypto/IGE');
  const { Factorizator } = require('telegram/crypto/Factorizator');
  const Helpers = require('telegram/Helpers');
  const bigInt = require('big-integer');
  const version = require('telegram/package.json').version;
  check('GramJS', (d) => new IGE(key, iv).encryptIge(d), (d) => new IGE(key, iv).decryptIge(d), (d) => Helpers.sha256(d));
  const r = { impl: `GramJS ${version}`,
    enc: bench((k) => { for (let i = 0; i < k; i++) new IGE(key, iv).encryptIge(buf); }, N),
    dec: bench((k) => { for (let i = 0; i < k; i++) new IGE(key, iv).decryptIge(buf); }, N),
    sha: bench((k) => { for (let i = 0; i < k; i++) Helpers.sha256(buf); }, N) };
  const pq = bigInt(PQ.toString());
  const f = Factorizator.factorize(pq);
  if (f.p.toString() !== PQ_P.toString() || f.q.toString() !== PQ_Q.toString()) throw new Error('GramJS: factorize is wrong');
  const P = bigInt(DH_PRIME.toString(16), 16), A = bigInt(EXP_A.toString(16), 16), GA = bigInt(G_A.toString(16), 16);
  if (Helpers.modExp(GA, A, P).toString(16) !== modPowRef(G_A, EXP_A, DH_PRIME).toString(16)) throw new Error('GramJS: modExp is wrong');
  r.math = `GramJS ${version} (big-integer)`;
  r.pq_ms = runs(() => Factorizator.factorize(pq), PQRUNS);
  r.modexp_ms = runs(() => Helpers.modExp(GA, A, P), 15);
  return r;
}

async function partWasm() {  // our wasm benchmark under this node
  const r = spawnSync(process.execPath, [wasmBench, `--reps=${REPS}`, `--target=${TARGET}`, '--only=64KiB', `--clock=${CLOCK}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`wasm_crypto_bench failed (exit ${r.status})`);
  const lines = r.stdout.split('\n');
  const checkLine = lines.find((l) => l.startsWith('# check sha256(ige256Encrypt(1KiB))'));
  if (!checkLine || checkLine.split(' ').pop() !== sha256hex(ref1k)) throw new Error('mtcore wasm: IGE output differs from node:crypto');
  const mbps = (op) => {
    const l = lines.find((x) => x.split(/\s+/)[1] === op);
    if (!l) throw new Error(`wasm_crypto_bench printed no ${op}`);
    return Number(l.match(/median\s+([\d.]+)/)[1]);
  };
  return { impl: 'mtcore wasm (emscripten, -O3)', enc: mbps('ige256Encrypt'), dec: mbps('ige256Decrypt'), sha: mbps('sha256') };
}

function runNative() {
  const filter = '^BM_(AesIge(En|De)crypt/65536|OpenSslAesIge(En|De)crypt/65536|Sha256/65536|OpenSslSha256/65536|' +
    'FactorizePq|HandshakeMath|HandshakeModExp2048|HandshakeModExp2048OpenSsl)$';
  const json = runGoogleBenchmark(cryptoBench, [`--benchmark_filter=${filter}`, `--benchmark_repetitions=${REPS}`,
    '--benchmark_report_aggregates_only=true', `--benchmark_min_time=${TARGET}`]);
  const get = (name) => {
    const b = json.benchmarks.find((x) => x.name === `${name}_median`);
    if (!b) throw new Error(`crypto_bench: no ${name}`);
    return b;
  };
  const mbps = (name) => get(name).bytes_per_second / 1e6;
  const ms = (name) => {
    const b = get(name);
    return b.real_time * { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[b.time_unit];
  };
  return {
    ours: { impl: 'mtcore native (AES-NI, SHA-NI)', enc: mbps('BM_AesIgeEncrypt/65536'), dec: mbps('BM_AesIgeDecrypt/65536'),
      sha: mbps('BM_Sha256/65536'), pq_ms: get('BM_FactorizePq').median_us / 1e3, modexp_ms: ms('BM_HandshakeModExp2048'),
      handshake_ms: ms('BM_HandshakeMath'), math: 'mtcore native' },
    openssl: { impl: 'OpenSSL 3 (AES_ige_encrypt, EVP)', enc: mbps('BM_OpenSslAesIgeEncrypt/65536'),
      dec: mbps('BM_OpenSslAesIgeDecrypt/65536'), sha: mbps('BM_OpenSslSha256/65536'),
      modexp_ms: ms('BM_HandshakeModExp2048OpenSsl'), math: 'OpenSSL 3 (BN_mod_exp)' },
    note: `${json.context.num_cpus} cpus, ${json.context.mhz_per_cpu} MHz nominal`,
  };
}

function report(native, wasm, mtcute, gramjs) {
  const f = (x) => (x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(9);
  const g = (x) => (x === undefined ? '-' : x.toFixed(2)).padStart(9);
  const r = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2) + 'x').padStart(9);
  console.log(`# AES-256-IGE and SHA-256 on 64 KiB, MB/s (1e6 B/s), medians of ${REPS} reps (node parts: best of ${ROUNDS} rounds, ${CLOCK} clock); node ${process.version}; ${native.note}`);
  console.log(`${'implementation'.padEnd(36)} ${'IGE enc'.padStart(9)} ${'IGE dec'.padStart(9)} ${'SHA-256'.padStart(9)}`);
  for (const x of [native.ours, native.openssl, wasm, mtcute, gramjs]) {
    console.log(`${x.impl.padEnd(36)} ${f(x.enc)} ${f(x.dec)} ${f(x.sha)}`);
  }
  console.log(`\n${'ratio (higher = ours faster)'.padEnd(36)} ${'IGE enc'.padStart(9)} ${'IGE dec'.padStart(9)} ${'SHA-256'.padStart(9)}`);
  for (const [name, a, b] of [['native / OpenSSL', native.ours, native.openssl], ['wasm / @mtcute/wasm', wasm, mtcute],
    ['wasm / GramJS', wasm, gramjs]]) {
    console.log(`${name.padEnd(36)} ${r(a.enc, b.enc)} ${r(a.dec, b.dec)} ${r(a.sha, b.sha)}`);
  }
  console.log(`\n# PQ (63-bit pq, median of single runs) and one 2048-bit modexp (g_a^b mod p), ms`);
  console.log(`${'implementation'.padEnd(36)} ${'PQ'.padStart(9)} ${'modexp'.padStart(9)}`);
  for (const x of [native.ours, native.openssl, mtcute, gramjs]) console.log(`${x.math.padEnd(36)} ${g(x.pq_ms)} ${g(x.modexp_ms)}`);
  console.log(`${'ratio native / mtcute (time)'.padEnd(36)} ${r(native.ours.pq_ms, mtcute.pq_ms)} ${r(native.ours.modexp_ms, mtcute.modexp_ms)}`);
  console.log(`${'ratio native / OpenSSL (time)'.padEnd(36)} ${'-'.padStart(9)} ${r(native.ours.modexp_ms, native.openssl.modexp_ms)}`);
  console.log(`mtcore handshake math (RSA_PAD + DH checks + 2 modexps): ${native.ours.handshake_ms.toFixed(2)} ms`);
  const ok = (c) => (c ? 'met' : 'NOT met');
  console.log(`\ntargets: native IGE >= 850 MB/s: ${ok(native.ours.enc >= 850 && native.ours.dec >= 850)}; ` +
    `native SHA-256 >= 1200: ${ok(native.ours.sha >= 1200)}; wasm IGE >= 1.5x @mtcute/wasm: ` +
    `${ok(wasm.enc >= 1.5 * mtcute.enc && wasm.dec >= 1.5 * mtcute.dec)}; wasm SHA-256 >= @mtcute/wasm: ${ok(wasm.sha >= mtcute.sha)}; ` +
    `PQ <= 1 ms: ${ok(native.ours.pq_ms <= 1)}; handshake <= 15 ms: ${ok(native.ours.handshake_ms <= 15)}`);
}

await runMain({ wasm: partWasm, mtcute: partMtcute, gramjs: partGramjs }, async () => {
  const native = runNative();
  const best = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ['wasm', 'mtcute', 'gramjs']) {
      const r = runPart(name);
      const b = best[name];
      if (!b) {
        best[name] = r;
        continue;
      }
      for (const k of ['enc', 'dec', 'sha']) b[k] = Math.max(b[k], r[k]);
      for (const k of ['pq_ms', 'modexp_ms']) if (r[k] !== undefined) b[k] = Math.min(b[k], r[k]);
    }
  }
  report(native, best.wasm, best.mtcute, best.gramjs);
});
