// The TypeScript declarations of the browser client (mtcore_client.d.mts,
// mtcore.d.mts): an app that uses them compiles under tsc --strict and the
// misuses in typings_check.mts do not; every name they declare exists in the
// JavaScript module.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

test('typings_check.mts compiles under tsc --strict, its misuses do not', () => {
  const tsc = path.resolve('external/npm/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022,dom',
    path.join(here, 'typings_check.mts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});

test('every name the declarations export exists in mtcore_client.mjs', async () => {
  const declared = readFileSync(path.join(here, 'mtcore_client.d.mts'), 'utf8');
  const values = [...declared.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(values.sort(), ['MtcoreClient', 'MtcoreError', 'fromBase64', 'toBase64', 'toTlJson']);
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
});
