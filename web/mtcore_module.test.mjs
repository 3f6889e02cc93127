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

// The browser client's driver with a stand-in WebSocket: what it sends when
// the socket opens, and the errors of bad input.
class FakeWebSocket {
  static last = null;
  constructor(url, protocol) {
    this.url = url;
    this.protocol = protocol;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.last = this;
  }
  send(bytes) { this.sent.push(new Uint8Array(bytes)); }
  close() { this.readyState = 3; }
  open() { this.readyState = 1; this.onopen(); }
}

async function clientModule() {
  const { MtcoreClient } = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const schema = readFileSync(path.resolve('external/mtcute_schema/package/tl/api-schema.json'), 'utf8');
  return { m: await load(), MtcoreClient, schema };
}

test('a client with Telegram\'s production key dials url(dc) and opens with an obfuscated init', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, apiId: 1, WebSocket: FakeWebSocket,
    url: (dc) => `wss://dc${dc}.example/apiws`,
  });
  try {
    const ws = FakeWebSocket.last;
    assert.equal(ws.url, 'wss://dc2.example/apiws');
    assert.equal(ws.protocol, 'binary');
    assert.equal(ws.sent.length, 0, 'nothing before the socket opens');
    const call = client.invoke({ _: 'help.getNearestDc' });
    ws.open();
    assert.ok(ws.sent.length >= 1);
    // The 64-byte obfuscated2 init, then req_pq_multi in the obfuscated stream.
    assert.ok(ws.sent[0].length >= 64 + 40, `first message: ${ws.sent[0].length} bytes`);
    client.close();
    await assert.rejects(call, /closed/);
  } finally {
    client.close();
  }
});

test('bad input to the browser client is a clear error', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  await assert.rejects(MtcoreClient.create({
    module: m, schema, dc: 2, rsaKey: '-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n',
    WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  }), /create the client: .*(PEM|RSA|DER|key)/i);
  await assert.rejects(MtcoreClient.create({
    module: m, schema, dc: 0, WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  }), /bad DC id 0/);
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  });
  try {
    await assert.rejects(client.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerSelf' } }),
      /invoke: .*(message|random_id)/);
    await assert.rejects(client.invoke({ _: 'user' }), /'user' is a constructor/);
    await assert.rejects(client.invoke({ _: 'contacts.resolveUsername', username: 5 }), /invoke/);
  } finally {
    client.close();
  }
});
