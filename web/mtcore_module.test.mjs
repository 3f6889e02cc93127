// Loads the deployable module (mtcore.mjs + mtcore.wasm) as a page would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href);

async function load() {
  // Hand the .wasm bytes over explicitly, as a bundler or a page with a custom fetch would.
  const wasmBinary = readFileSync(path.join(here, 'mtcore.wasm'));
  return createModule({ wasmBinary });
}

test('the module reports a wasm32 build with its dependency versions', async () => {
  const m = await load();
  const info = m.UTF8ToString(m._mtcore_build_info());
  assert.match(info, /^target: wasm32-emscripten$/m);
  assert.match(info, /^mbedtls: 2\.28\.3$/m);
  assert.match(info, /^abseil: 20220623\.1$/m);
});

test('the crypto self-check passes inside the module', async () => {
  const m = await load();
  assert.equal(m.UTF8ToString(m._mtcore_self_check()), '');
});

test('the .wasm file is a WebAssembly binary', () => {
  const bytes = readFileSync(path.join(here, 'mtcore.wasm'));
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
});
