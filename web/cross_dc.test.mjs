// Downloads of files stored on another DC in the browser client
// (web/mtcore.mjs + mtcore_client.mjs) under node, over WebSocket against
// the native testdc: the bot lives on DC 4, Alice on DC 2, so the documents
// the bot sends her are stored on DC 4. Her client opens a second WebSocket
// to url(4) and runs a connection there beside her own (the login exported
// on DC 2, imported on DC 4). testdc refuses the first import
// (--fault_force_error): that download fails with one clear error and the
// next one connects again. Then: the same bytes by the document's dc_id,
// chunk by chunk with backpressure and through a cut of the DC-4 socket,
// and by location through FILE_MIGRATE_4, all over one connection, while
// Alice's updates keep coming on DC 2; a DC that cannot be dialled fails
// the download naming it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { TestDc } from '../tests/peers/testdc.mjs';
import { API_ID, API_HASH, ALICE, BOT, HOME_DC, OTHER_DC, worldConfig } from '../tests/peers/world.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = path.resolve(process.env.MTCORE_API_SCHEMA || 'external/mtcute_schema/package/tl/api-schema.json');

let dc;
let lib;
let module;
let schema;
let wsUrls;
let bot;
let alice;
let toAlice;  // the bot's InputPeer of Alice
const aliceEvents = [];
const aliceMessages = [];  // updateNewMessage messages Alice received
const sockets = [];        // every WebSocket Alice's client made: {url, ws}

// node's WebSocket, each instance remembered.
class TrackedWebSocket extends WebSocket {
  constructor(url, protocol) {
    super(url, protocol);
    sockets.push({ url, ws: this });
  }
}

function make(options = {}) {
  return lib.MtcoreClient.create({
    module, schema, dc: HOME_DC, rsaKey: dc.pem, apiId: API_ID, url: (n) => wsUrls[n],
    reconnectDelayMs: 20, ...options,
  });
}

async function logInAlice(client) {
  const sent = await client.invoke({ _: 'auth.sendCode', phone_number: ALICE.phone, api_id: API_ID,
    api_hash: API_HASH, settings: { _: 'codeSettings' } });
  await client.invoke({ _: 'auth.signIn', phone_number: ALICE.phone, phone_code_hash: sent.phone_code_hash,
    phone_code: ALICE.code });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves once `check()` is true (polled), or rejects after `ms`.
async function until(check, what, ms = 20000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test.before(async () => {
  dc = new TestDc();
  await dc.start([
    `--config=${dc.writeFile('world.conf', worldConfig({ homes: { [BOT.id]: OTHER_DC } }))}`,
    '--fault_force_error=auth.importAuthorization:1:400:AUTH_BYTES_INVALID',
  ]);
  const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href);
  lib = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  wsUrls = {};
  for (const [id, a] of dc.dcs) wsUrls[id] = `ws://${a.host}:${a.port}/apiws`;
  module = await createModule({ wasmBinary: readFileSync(path.join(here, 'mtcore.wasm')) });
  schema = readFileSync(SCHEMA, 'utf8');

  bot = await make();
  await bot.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID, api_hash: API_HASH,
    bot_auth_token: BOT.token });
  assert.equal(bot.dc, OTHER_DC, 'the bot followed USER_MIGRATE_4 home');

  alice = await make({ WebSocket: TrackedWebSocket });
  alice.onEvent((e) => aliceEvents.push(e));
  alice.onUpdate((u) => {
    if (u.update._ === 'updateNewMessage') aliceMessages.push(u.update.message);
  });
  await logInAlice(alice);
  assert.equal(alice.dc, HOME_DC);
  const resolved = await bot.invoke({ _: 'contacts.resolveUsername', username: ALICE.username });
  const user = resolved.users.find((u) => u.id === String(ALICE.id));
  toAlice = { _: 'inputPeerUser', user_id: user.id, access_hash: user.access_hash };
});

test.after(async () => {
  alice?.close();
  bot?.close();
  if (dc) await dc.stop();
});

// `size` bytes of a pattern that differs at every offset of a window.
function fileOf(size) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; ++i) data[i] = (i * 29 + Math.floor(i / 5003)) & 0xff;
  return data;
}

// The bot uploads `data` and sends it to Alice; the Document as Alice got it.
async function botSendsAlice(data, caption) {
  const file = await bot.uploadFile(data, { fileName: `${caption}.bin` });
  await bot.invoke({
    _: 'messages.sendMedia', peer: toAlice,
    media: { _: 'inputMediaUploadedDocument', file, mime_type: 'application/octet-stream', attributes: [] },
    message: caption, random_id: String(Date.now()),
  });
  await until(() => aliceMessages.some((m) => m.message === caption), `Alice's message ${caption}`);
  return aliceMessages.find((m) => m.message === caption).media.document;
}

const opened = () => aliceEvents.filter((e) => e.type === 'dcConnectionOpened');
const mediaSockets = () => sockets.filter((s) => s.url === wsUrls[OTHER_DC]);

test('node: a refused import ends the download with one clear error; the next one connects again', async () => {
  const data = fileOf(600_000);
  const document = await botSendsAlice(data, 'refused');
  assert.equal(document.dc_id, OTHER_DC, 'stored on the bot\'s DC');

  await assert.rejects(alice.downloadDocument(document), (e) => {
    assert.equal(e.code, 0);
    assert.match(e.message, /DC 4/);
    assert.match(e.message, /AUTH_BYTES_INVALID/);
    return true;
  });
  await until(() => aliceEvents.some((e) => e.type === 'dcConnectionClosed'), 'the connection closed');
  const closed = aliceEvents.find((e) => e.type === 'dcConnectionClosed');
  assert.equal(closed.dc, OTHER_DC);
  assert.match(closed.message, /AUTH_BYTES_INVALID/);
  assert.deepEqual(opened().map((e) => e.dc), [OTHER_DC]);
  assert.ok(aliceEvents.some((e) => e.type === 'connected' && e.mediaDc === OTHER_DC),
    'the DC-4 socket reports itself with mediaDc');
  assert.ok(!aliceEvents.some((e) => e.type === 'fatal'));

  // The home client goes on, and a second try makes a new connection.
  const me = await alice.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  assert.equal(me[0].id, String(ALICE.id));
  const again = await alice.downloadDocument(document);
  assert.deepEqual(again, data, 'the same bytes');
  assert.equal(opened().length, 2);
  assert.equal(alice.dc, HOME_DC);
});

test('node: documents on DC 4 come through one reused connection, by dc_id and FILE_MIGRATE_4, while updates flow', async () => {
  const data = fileOf((2 << 20) + 4321);  // 5 windows of 512 KiB
  const document = await botSendsAlice(data, 'far');
  const before = opened().length;

  // Whole, with an update from the bot arriving on DC 2 meanwhile.
  const whole = alice.downloadDocument(document);
  await bot.invoke({ _: 'messages.sendMessage', peer: toAlice, message: 'meanwhile', random_id: String(Date.now()) });
  await until(() => aliceMessages.some((m) => m.message === 'meanwhile'), 'the update on DC 2');
  assert.deepEqual(await whole, data, 'the same bytes');

  // Chunk by chunk with a slow consumer (backpressure), the DC-4 socket cut
  // after the first chunk: it is dialled again and nothing is lost or
  // delivered twice.
  const got = new Uint8Array(data.length);
  const offsets = [];
  const cutAt = mediaSockets().length;
  let expected = 0;
  const size = await alice.downloadDocument(document, {
    onData: async (offset, bytes) => {
      assert.equal(offset, expected, 'in order, once');
      expected += bytes.length;
      offsets.push(offset);
      got.set(bytes, offset);
      if (offsets.length === 1) mediaSockets().at(-1).ws.close();
      await sleep(15);
    },
  });
  assert.equal(size, data.length);
  assert.deepEqual(got, data);
  assert.ok(offsets.length >= 5, `${offsets.length} chunks`);
  assert.ok(mediaSockets().length > cutAt, 'the DC-4 socket was dialled again');
  assert.ok(aliceEvents.some((e) => e.type === 'disconnected' && e.mediaDc === OTHER_DC));

  // By location (no DC given): DC 2 answers FILE_MIGRATE_4 and the download
  // moves to the connection to DC 4; also as a stream.
  const location = { _: 'inputDocumentFileLocation', id: document.id, access_hash: document.access_hash,
    file_reference: lib.fromBase64(document.file_reference), thumb_size: '' };
  assert.deepEqual(await alice.downloadFile(location, { size: data.length }), data);
  const chunks = [];
  for await (const chunk of alice.downloadStream(location)) chunks.push(chunk);
  assert.deepEqual(new Uint8Array(await new Blob(chunks).arrayBuffer()), data);

  assert.equal(opened().length, before, 'every download reused the connection to DC 4');
  assert.equal(alice.dc, HOME_DC, 'the home client stays home');
  const me = await alice.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  assert.equal(me[0].id, String(ALICE.id));
});

test('node: a DC that cannot be dialled fails the download naming it', async () => {
  const data = fileOf(100_000);
  const document = await botSendsAlice(data, 'unreachable');
  const events = [];
  const lonely = await make({
    url: (n) => (n === OTHER_DC ? 'ws://127.0.0.1:1/apiws' : wsUrls[n]), dcDialAttempts: 2,
  });
  try {
    lonely.onEvent((e) => events.push(e));
    await logInAlice(lonely);
    await assert.rejects(lonely.downloadDocument(document), /could not connect to DC 4/);
    assert.equal(events.filter((e) => e.type === 'dialFailed' && e.mediaDc === OTHER_DC).length, 2);
    assert.ok(events.some((e) => e.type === 'dcConnectionClosed' && e.dc === OTHER_DC));
    // Its own connection is untouched.
    const me = await lonely.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(me[0].id, String(ALICE.id));
  } finally {
    lonely.close();
  }
});
