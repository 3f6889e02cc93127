// The node side shared by the compare runners (tl_compare.mjs,
// crypto_compare.mjs): settings from the environment, finding files in the
// Bazel runfiles, the timing harness, running a Google Benchmark binary for
// its JSON, and running each implementation in its own node process.
//
// A runner calls runMain(parts, main): started with `--part=NAME` as its
// first argument it runs parts[NAME]() and prints its result as one JSON
// line; started without, it runs main(), which calls runPart(NAME) to start
// itself again for each part and read that line back. One node process per
// implementation, so one's JIT, GC heap or wasm compilation does not slow
// down another.
//
//   import { runMain, runPart, bench, REPS } from './compare_runner.mjs';
//   await runMain({ mtcute: partMtcute }, async () => report(runPart('mtcute')));
import { spawnSync } from 'node:child_process';
import { realpathSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// Repetitions per measurement and seconds per repetition (REPS, TARGET).
export const REPS = Number(process.env.REPS || 7);
export const TARGET = Number(process.env.TARGET || 0.15);

// `--part=NAME` when this process runs one part, else null.
export const part = process.argv[2]?.startsWith('--part=') ? process.argv[2].slice(7) : null;
// The runner's own arguments (those the Bazel target passes), without --part.
export const args = process.argv.slice(part ? 3 : 2);

// A file of an external repository, in the runfiles tree (`bazel run`) or
// under external/ (run from the execroot).
const runfiles = path.resolve('..');
export function external(repo, file) {
  for (const p of [path.join(runfiles, repo, file), path.join('external', repo, file)]) if (existsSync(p)) return p;
  throw new Error(`missing ${repo}/${file} in the runfiles`);
}
// Imports a module by its real path (so its own relative imports resolve).
export const importReal = (p) => import(pathToFileURL(realpathSync(p)).href);

// The clock every node-side measurement uses (CLOCK): `cpu` (default) is the
// process's CPU time, so time spent preempted by other builds on a busy
// machine does not count, the way Google Benchmark's bytes_per_second (CPU
// time) works for the native side; `wall` is elapsed time.
export const CLOCK = process.env.CLOCK || 'cpu';
if (CLOCK !== 'cpu' && CLOCK !== 'wall') throw new Error(`CLOCK must be cpu or wall, not ${CLOCK}`);
export const now = CLOCK === 'wall'
  ? () => Number(process.hrtime.bigint()) / 1e9
  : () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
export const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

// MB/s (1e6 B/s) of fn(k), which runs the operation k times on bytesPerIter
// bytes: the iteration count is calibrated to TARGET seconds, then REPS
// repetitions are timed. Returns the median and the best repetition.
export function bench(fn, bytesPerIter) {
  let it = 1;
  let t;
  for (;;) {
    const s = now();
    fn(it);
    t = now() - s;
    if (t > 0.03) break;
    it *= 2;
  }
  const iters = Math.floor(it * (TARGET / t)) + 1;
  const v = [];
  for (let r = 0; r < REPS; r++) {
    const s = now();
    fn(iters);
    v.push((bytesPerIter * iters) / (now() - s) / 1e6);
  }
  return { median: median(v), best: Math.max(...v) };
}

// The median in ms of n single calls of fn, after 3 warm-up calls.
export function runs(fn, n) {
  for (let i = 0; i < 3; i++) fn();
  const v = [];
  for (let i = 0; i < n; i++) {
    const s = now();
    fn();
    v.push((now() - s) * 1e3);
  }
  return median(v);
}

// Runs this script again with --part=NAME; returns the JSON of its last line.
export function runPart(name) {
  const r = spawnSync(process.execPath, [process.argv[1], `--part=${name}`, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`part ${name} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// Runs a Google Benchmark binary with --benchmark_format=json and `flags`;
// returns the parsed JSON.
export function runGoogleBenchmark(binary, flags) {
  const r = spawnSync(binary, ['--benchmark_format=json', ...flags], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${path.basename(binary)} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The entry point: one part (its result as a JSON line) or main().
export async function runMain(parts, main) {
  if (part) {
    if (!parts[part]) throw new Error(`unknown part ${part}`);
    console.log(JSON.stringify(await parts[part]()));
  } else {
    await main();
  }
}
