// Loads the deployable module (mtcore.mjs + mtcore.wasm) as a page would.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCipheriv } from 'node:crypto';
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
  // The peer (or the network) ends it.
  drop(code = 1006) { this.readyState = 3; this.onclose({ code, reason: '' }); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

test('transfer and request ids from JavaScript are checked before the module casts them', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  const client = await MtcoreClient.create({  // loads the schema
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  });
  const h = m._mtcore_client_new(2, 0, 1, 0, 0, Date.now(), Date.now(), 0, 0, 0);
  assert.ok(h > 0);
  const error = () => m.UTF8ToString(m._mtcore_last_error());
  const cString = (text) => {
    const p = m._malloc(m.lengthBytesUTF8(text) + 1);
    m.stringToUTF8(text, p, m.lengthBytesUTF8(text) + 1);
    return p;
  };
  const message = cString('why');
  try {
    for (const bad of [NaN, Infinity, -Infinity, 0, -1, 1.5, 2 ** 53, 2 ** 60]) {
      const named = new RegExp(`no transfer id ${Number.isNaN(bad) ? 'nan' : ''}.*: ids are whole numbers from 1 to 2\\^53 - 1`);
      const calls = {
        take_download: () => m._mtcore_client_take_download(h, bad),
        take_chunk: () => m._mtcore_client_take_chunk(h, bad),
        upload_wanted: () => m._mtcore_client_upload_wanted(h, bad),
        upload_push: () => m._mtcore_client_upload_push(h, bad, 0, message, 3),
        upload_fail: () => m._mtcore_client_upload_fail(h, bad, 0, message),
      };
      for (const [name, call] of Object.entries(calls)) {
        assert.equal(call(), -1, `${name}(${bad})`);
        assert.match(error(), named, `${name}(${bad})`);
      }
      const flags = {
        cancel_transfer: () => m._mtcore_client_cancel_transfer(h, bad),
        pause_transfer: () => m._mtcore_client_pause_transfer(h, bad, 1),
        fail_transfer: () => m._mtcore_client_fail_transfer(h, bad, message),
      };
      for (const [name, call] of Object.entries(flags)) {
        assert.equal(call(), 0, `${name}(${bad}): not running`);
        assert.match(error(), named, `${name}(${bad})`);
      }
      assert.equal(m._mtcore_client_cancel(h, bad), 0);
      assert.match(error(), /no request id .*: ids are whole numbers/);
    }
    // A well-formed id of no transfer is still just unknown.
    assert.equal(m._mtcore_client_take_download(h, 12), -1);
    assert.match(error(), /no finished download 12/);
    assert.equal(m._mtcore_client_cancel_transfer(h, 12), 0);
    // Upload sizes too: a fraction is no size.
    const name = cString('a.bin');
    assert.equal(m._mtcore_client_upload_start(h, 1.5, name, 524288), -1);
    assert.match(error(), /upload: a size of 1.5 bytes/);
    m._free(name);
  } finally {
    m._free(message);
    m._mtcore_client_free(h);
    client.close();
  }
});

test('failed dials are reported and retried with backoff; a throwing listener changes nothing', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  const events = [];
  const thrown = [];
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: (dc) => `wss://dc${dc}/apiws`,
    reconnectDelayMs: 5, onListenerError: (e) => thrown.push(e.message),
  });
  try {
    client.onEvent(() => { throw new Error('listener bug'); });
    client.onEvent((e) => events.push(e.type));
    const first = FakeWebSocket.last;
    first.drop();  // never opened
    assert.deepEqual(events, ['dialFailed']);
    await sleep(30);
    const second = FakeWebSocket.last;
    assert.notEqual(second, first, 'dialled again');
    second.open();
    assert.ok(events.includes('connected'));
    assert.ok(second.sent.length >= 1, 'the engine still sent its init after a listener threw');
    assert.ok(thrown.length >= 2 && thrown.every((t) => t === 'listener bug'));
    second.drop();
    assert.equal(events.at(-1), 'disconnected');
    await sleep(30);
    assert.notEqual(FakeWebSocket.last, second, 'dialled again after a drop');
  } finally {
    client.close();
  }
  const last = FakeWebSocket.last;
  await sleep(30);
  assert.equal(FakeWebSocket.last, last, 'no dial after close()');
});

test('a call can time out or be aborted; it rejects once, with code 0', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  });
  try {
    await assert.rejects(client.invoke({ _: 'help.getNearestDc' }, { timeoutMs: 20 }),
      (e) => e.code === 0 && /timed out after 20 ms/.test(e.message));
    const abort = new AbortController();
    const call = client.invoke({ _: 'help.getConfig' }, { signal: abort.signal });
    abort.abort();
    await assert.rejects(call, (e) => e.code === 0 && /cancelled/.test(e.message));
    await assert.rejects(client.invoke({ _: 'help.getConfig' }, { signal: abort.signal }), /cancelled/);
    const cyclic = { _: 'help.getConfig' };
    cyclic.self = cyclic;
    await assert.rejects(client.invoke(cyclic), /invoke: .*circular/);
  } finally {
    client.close();
  }
  assert.throws(() => client.snapshot(), /closed/);
  assert.equal(client.dc, -1);
});

test('calls may give longs as BigInt and bytes as typed arrays; results give them back as strings', async () => {
  const { MtcoreClient, toTlJson, toBase64, fromBase64 } = await import(
    pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const bytes = new Uint8Array([0, 255, 1, 2, 0x80]);
  assert.equal(toBase64(bytes), 'AP8BAoA=');
  assert.deepEqual(fromBase64('AP8BAoA='), bytes);
  assert.equal(toBase64(new Uint8Array(0)), '');
  const big = new Uint8Array(200000).map((_, i) => i * 7);
  assert.deepEqual(fromBase64(toBase64(big)), big, 'long arrays go through in chunks');
  assert.throws(() => fromBase64('not base64!'));
  const view = new Uint8Array([9, 0, 255, 1, 2, 0x80, 9]).subarray(1, 6);
  assert.deepEqual(JSON.parse(toTlJson({
    random_id: -5n, id: [1n, 2n ** 63n - 1n], a: bytes, b: view, c: bytes.buffer.slice(0),
    d: Buffer.from(bytes), e: new DataView(bytes.buffer), s: 'text', n: 5,
  })), {
    random_id: '-5', id: ['1', '9223372036854775807'], a: { $bytes: 'AP8BAoA=' }, b: { $bytes: 'AP8BAoA=' },
    c: { $bytes: 'AP8BAoA=' }, d: { $bytes: 'AP8BAoA=' }, e: { $bytes: 'AP8BAoA=' }, s: 'text', n: 5,
  });

  const m = await load();
  const schema = readFileSync(path.resolve('external/mtcute_schema/package/tl/api-schema.json'), 'utf8');
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: () => 'wss://x/apiws',
  });
  try {
    // Encoded at once (a bad field would reject here): the call waits for the DC.
    const call = client.invoke({
      _: 'messages.getBotCallbackAnswer', peer: { _: 'inputPeerUser', user_id: 5n, access_hash: -1n },
      msg_id: 7, data: bytes,
    });
    let settled = false;
    call.then(() => { settled = true; }, () => { settled = true; });
    await sleep(10);
    assert.equal(settled, false, 'accepted and waiting for the DC');
    client.close();
    await assert.rejects(call, /closed/);
  } finally {
    client.close();
  }
});

test('bytes the engine cannot read end the connection: transportFailed, then a new dial', async () => {
  const { m, MtcoreClient, schema } = await clientModule();
  const events = [];
  const client = await MtcoreClient.create({
    module: m, schema, dc: 2, WebSocket: FakeWebSocket, url: (dc) => `wss://dc${dc}/apiws`,
    reconnectDelayMs: 5,
  });
  try {
    client.onEvent((e) => events.push(e));
    const call = client.invoke({ _: 'help.getNearestDc' });
    const ws = FakeWebSocket.last;
    ws.open();
    // obfuscated2: the DC's direction is keyed by the client's init reversed
    // (bytes 8..56: key, then IV). A packet of length zero, which no framing
    // allows, is what the DC "sends".
    const reversed = Buffer.from(ws.sent[0].subarray(8, 56)).reverse();
    const dcStream = createCipheriv('aes-256-ctr', reversed.subarray(0, 32), reversed.subarray(32, 48));
    const garbage = dcStream.update(Buffer.alloc(4));
    ws.onmessage({ data: garbage.buffer.slice(garbage.byteOffset, garbage.byteOffset + 4) });
    const failed = events.find((e) => e.type === 'transportFailed');
    assert.ok(failed, JSON.stringify(events));
    assert.match(failed.message, /zero-length packet/);
    assert.equal(ws.readyState, 3, 'the connection was closed');
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf('disconnected') > types.indexOf('transportFailed'), types.join(','));
    assert.match(events.find((e) => e.type === 'disconnected').why, /transport error: .*zero-length/);
    await sleep(30);
    const next = FakeWebSocket.last;
    assert.notEqual(next, ws, 'dialled again');
    next.open();
    assert.ok(next.sent.length >= 1, 'the new connection starts with a new init');
    assert.notDeepEqual(next.sent[0].subarray(0, 64), ws.sent[0].subarray(0, 64));
    client.close();
    await assert.rejects(call, /closed/, 'the call was still waiting, not lost');
  } finally {
    client.close();
  }
});
