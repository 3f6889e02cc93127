// The TypeScript declarations of the browser client (mtcore_client.d.mts,
// mtcore.d.mts, the generated mtcore_api.d.mts): they compile on their own,
// the JSON the codec writes for random objects of every constructor and method
// fits them (api_json_samples.mts), apps that use them (typings_check.mts,
// typings_api_check.mts: typed calls and results) compile under tsc --strict
// and their misuses do not; every name they declare exists in the JavaScript
// module.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

function tsc(...files) {
  const compiler = path.resolve('external/npm/typescript/bin/tsc');
  const started = performance.now();
  const r = spawnSync(process.execPath, [compiler, '--noEmit', '--strict', '--target', 'es2022',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom',
    ...files.map((f) => path.join(here, f))], { encoding: 'utf8' });
  return { ...r, ms: performance.now() - started };
}

test('the generated layer-228 declarations compile on their own', (t) => {
  const text = readFileSync(path.join(here, 'mtcore_api.d.mts'), 'utf8');
  const interfaces = text.match(/^ +export interface /gm).length;
  const methods = text.slice(text.indexOf('interface $Methods {')).match(/^  '[\w.]+': \{ request/gm).length;
  assert.match(text, /^export type Layer = 228;$/m);
  assert.ok(interfaces > 2000 && methods > 700, `${interfaces} interfaces, ${methods} methods`);
  const r = tsc('mtcore_api.d.mts');
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
  t.diagnostic(`mtcore_api.d.mts: ${Buffer.byteLength(text)} bytes, ${interfaces} interfaces (${methods} methods); ` +
    `tsc --strict ${Math.round(r.ms)} ms`);
});

test('what the codec writes for every constructor and method fits the generated types', (t) => {
  const samples = readFileSync(path.join(here, 'api_json_samples.mts'), 'utf8');
  const count = samples.match(/^export const s\d+: /gm).length;
  assert.ok(count > 4000, `${count} samples`);
  const r = tsc('api_json_samples.mts');
  assert.equal(r.status, 0, `tsc:\n${r.stdout.slice(0, 20000)}${r.stderr}`);
  t.diagnostic(`${count} samples (${Buffer.byteLength(samples)} bytes): tsc --strict ${Math.round(r.ms)} ms`);
});

test('apps compile under tsc --strict, their misuses do not', (t) => {
  const r = tsc('typings_check.mts', 'typings_api_check.mts');
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
  t.diagnostic(`tsc --strict of two apps: ${Math.round(r.ms)} ms`);
});

test('every name the declarations export exists in mtcore_client.mjs', async () => {
  const declared = readFileSync(path.join(here, 'mtcore_client.d.mts'), 'utf8');
  const values = [...declared.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(values.sort(),
    ['MtcoreClient', 'MtcoreError', 'createTextFormatter', 'fromBase64', 'toBase64', 'toTlJson']);
  const js = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  assert.deepEqual(Object.keys(js).sort(), values.sort());
  const body = declared.slice(declared.indexOf('export class MtcoreClient'));
  const members = [...body.slice(0, body.indexOf('\n}')).matchAll(/^  (?:static |readonly )?(\w+)[<(:]/gm)]
    .map((m) => m[1]);
  assert.ok(members.length >= 7, members.join(','));
  for (const name of members) {
    const has = name === 'create' ? typeof js.MtcoreClient.create === 'function'
      : name in js.MtcoreClient.prototype;
    assert.ok(has, `MtcoreClient.${name} is declared but not defined`);
  }
  // And the other way: every public member of the JavaScript is declared.
  const defined = [...Object.getOwnPropertyNames(js.MtcoreClient.prototype).filter((n) => n !== 'constructor'),
    ...Object.getOwnPropertyNames(js.MtcoreClient).filter((n) => typeof js.MtcoreClient[n] === 'function')];
  for (const name of defined) assert.ok(members.includes(name), `MtcoreClient.${name} is defined but not declared`);
  const error = declared.slice(declared.indexOf('export class MtcoreError'));
  const errorMembers = [...error.slice(0, error.indexOf('\n}')).matchAll(/^  (?:readonly )?(\w+)[(:]/gm)].map((m) => m[1]);
  for (const name of Object.keys(new js.MtcoreError(401, 'SESSION_PASSWORD_NEEDED'))) {
    assert.ok(errorMembers.includes(name), `MtcoreError.${name} is defined but not declared`);
  }
});

test('every entry point mtcore.d.mts declares is exported by the module', () => {
  const declared = readFileSync(path.join(here, 'mtcore.d.mts'), 'utf8');
  const names = [...declared.matchAll(/^  (_mtcore_\w+)\(/gm)].map((m) => m[1]);
  assert.ok(names.length >= 2, names.join(','));
  const build = readFileSync(path.join(here, 'BUILD'), 'utf8');
  for (const name of names) assert.ok(build.includes(`"${name}",`), `${name} is declared but not exported`);
});
