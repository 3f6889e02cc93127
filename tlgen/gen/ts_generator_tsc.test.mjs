// The declarations tlgen_ts writes for testdata/ts_tricky.tl compile under
// tsc --strict, with an app (ts_tricky_check.mts) whose misuses do not.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

test('ts_tricky.d.mts and ts_tricky_check.mts compile under tsc --strict', () => {
  const tsc = path.resolve('external/npm/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2022',
    path.join(here, 'ts_tricky.d.mts'), path.join(here, 'ts_tricky_check.mts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
});
