// mtcore's WebAssembly client (web/mtcore.mjs + web/mtcore_client.mjs) over
// WebSocket against the simulated DCs (the native testdc, which accepts
// WebSocket on every DC port): the quickstart's conversation
// (web/quickstart.mjs), first under node (its WebSocket), then in a real
// headless Chromium tab (web/quickstart.html), which posts its report back.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import { TestDc } from '../tests/peers/testdc.mjs';
import { API_ID, API_HASH, ALICE, BOT, HOME_DC, OTHER_DC, worldConfig } from '../tests/peers/world.mjs';
import { nextUpdate } from './quickstart.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = path.resolve(process.env.MTCORE_API_SCHEMA || 'external/mtcute_schema/package/tl/api-schema.json');

let dc;
let config;

// Where each DC of a running testdc takes WebSocket connections.
function wsUrlsOf(testdc) {
  const urls = {};
  for (const [id, a] of testdc.dcs) urls[id] = `ws://${a.host}:${a.port}/apiws`;
  return urls;
}

test.before(async () => {
  dc = new TestDc();
  await dc.start([`--config=${dc.writeFile('world.conf', worldConfig())}`]);
  config = {
    rsaKey: dc.pem, wsUrls: wsUrlsOf(dc), apiId: API_ID, apiHash: API_HASH, homeDc: HOME_DC, otherDc: OTHER_DC,
    bot: { token: BOT.token, username: BOT.username }, alice: { phone: ALICE.phone, code: ALICE.code },
  };
});

test.after(async () => {
  if (dc) await dc.stop();
});

// The module, the driver and the scenario, as a page imports them.
async function clientModules() {
  const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href);
  const { MtcoreClient, MtcoreError } = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const { runQuickstart } = await import(pathToFileURL(path.join(here, 'quickstart.mjs')).href);
  return { createModule, MtcoreClient, MtcoreError, runQuickstart };
}

// The quickstart's conversation under node against the DCs `cfg` names.
async function quickstartInNode(cfg, options = {}) {
  const { createModule, MtcoreClient, runQuickstart } = await clientModules();
  return runQuickstart({
    createModule, moduleOptions: { wasmBinary: readFileSync(path.join(here, 'mtcore.wasm')) },
    MtcoreClient, config: cfg, schema: readFileSync(SCHEMA, 'utf8'), ...options,
  });
}

// A loaded module and a maker of clients for the DCs `config` names (home DC
// unless `options` say otherwise).
async function clientFactory() {
  const { createModule, MtcoreClient, MtcoreError } = await clientModules();
  const module = await createModule({ wasmBinary: readFileSync(path.join(here, 'mtcore.wasm')) });
  const schema = readFileSync(SCHEMA, 'utf8');
  const make = (options = {}) => MtcoreClient.create({
    module, schema, dc: HOME_DC, rsaKey: config.rsaKey, apiId: API_ID, url: (n) => config.wsUrls[n],
    ...options,
  });
  return { make, MtcoreError };
}

// The bot and Alice, both logged in; Alice has resolved the bot's user.
async function botAndAlice(make) {
  const bot = await make();
  const alice = await make();
  await bot.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID, api_hash: API_HASH,
    bot_auth_token: BOT.token });
  const sent = await alice.invoke({ _: 'auth.sendCode', phone_number: ALICE.phone, api_id: API_ID,
    api_hash: API_HASH, settings: { _: 'codeSettings' } });
  await alice.invoke({ _: 'auth.signIn', phone_number: ALICE.phone, phone_code_hash: sent.phone_code_hash,
    phone_code: ALICE.code });
  const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: BOT.username });
  return { bot, alice, botUser: resolved.users[0] };
}

function checkReport(report, { withFile = true } = {}) {
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.botId, String(BOT.id));
  assert.equal(report.aliceId, String(ALICE.id));
  assert.equal(report.aliceDc, HOME_DC, 'Alice followed PHONE_MIGRATE to her home DC');
  assert.equal(report.rpcError?.code, 400, JSON.stringify(report.rpcError));
  assert.ok(report.snapshotBytes > 256, 'the bot can be saved: auth key and login');
  assert.ok(report.events.some((e) => e.client === 'alice' && e.type === 'connected' && e.dc === HOME_DC),
    'Alice reconnected to DC 2 after the migration');
  assert.equal(report.steps.length, withFile ? 10 : 8, JSON.stringify(report.steps));
  if (withFile) assert.equal(report.fileBytes, 700000, 'the file went up and came back down');
}

test('node: the quickstart over WebSocket with the wasm client', async () => {
  assert.equal(typeof WebSocket, 'function', 'node needs --experimental-websocket (NODE_OPTIONS)');
  const report = await quickstartInNode(config);
  checkReport(report);
  assert.equal(report.ranIn, 'node');
});

test('node: the same over connections the DC keeps cutting (each closes after 1,500 bytes sent)', async () => {
  const faulty = new TestDc();
  try {
    await faulty.start([`--config=${faulty.writeFile('world.conf', worldConfig())}`,
      '--fault_close_after_bytes=1500']);
    // No file: a 512 KiB download window never fits in 1,500 bytes.
    const report = await quickstartInNode({ ...config, rsaKey: faulty.pem, wsUrls: wsUrlsOf(faulty) },
      { withFile: false });
    checkReport(report, { withFile: false });
    const reconnects = report.events.filter((e) => e.type === 'disconnected').length;
    assert.ok(reconnects >= 3, `the DC cut the connections (${reconnects} disconnects seen)`);
    console.log(`${reconnects} disconnects; steps: ${JSON.stringify(report.steps)}`);
  } finally {
    await faulty.stop();
  }
});

test('node: a bot saved with snapshot() resumes without a new key or login', async () => {
  const { make, MtcoreError } = await clientFactory();
  const first = await make();
  const events = [];
  first.onEvent((e) => events.push(e.type));
  const login = await first.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID,
    api_hash: API_HASH, bot_auth_token: BOT.token });
  assert.equal(login.user.id, String(BOT.id));
  assert.ok(events.includes('authKeyReady'));
  const saved = first.snapshot();
  first.close();
  await assert.rejects(first.invoke({ _: 'help.getNearestDc' }), MtcoreError);

  const second = await make({ snapshot: saved });
  const again = [];
  second.onEvent((e) => again.push(e.type));
  try {
    const me = await second.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(me.length, 1);
    assert.equal(me[0].id, String(BOT.id), 'still logged in as the bot');
    assert.ok(!again.includes('authKeyReady'), `no new auth key: ${again}`);
    await assert.rejects(second.invoke({ _: 'no.suchMethod' }), /not a method|unknown/i);
  } finally {
    second.close();
  }
});

test('node: updates reach every listener in order while a listener calls invoke()', async () => {
  const { make } = await clientFactory();
  const { bot, alice, botUser } = await botAndAlice(make);
  try {
    const texts = [];
    const answered = [];
    let done;
    const allThree = new Promise((r) => { done = r; });
    bot.onUpdate((u) => {  // replies from inside the listener
      if (u.update._ !== 'updateNewMessage') return;
      answered.push(bot.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] }));
    });
    bot.onUpdate((u) => {
      if (u.update._ !== 'updateNewMessage') return;
      texts.push(u.update.message.message);
      if (texts.length === 3) done();
    });
    const tag = Date.now();
    await Promise.all([1, 2, 3].map((n) => alice.invoke({
      _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: botUser.id, access_hash: botUser.access_hash },
      message: `m${n} ${tag}`, random_id: String(tag + n),
    })));
    await allThree;
    assert.deepEqual(texts, [1, 2, 3].map((n) => `m${n} ${tag}`));
    const results = await Promise.all(answered);
    assert.equal(results.length, 3);
  } finally {
    bot.close();
    alice.close();
  }
});

test('node: bytes and longs from JavaScript values: a callback button pressed and answered', async () => {
  const { make } = await clientFactory();
  const { fromBase64 } = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const { bot, alice, botUser } = await botAndAlice(make);
  try {
    const botPeer = { _: 'inputPeerUser', user_id: BigInt(botUser.id), access_hash: BigInt(botUser.access_hash) };

    // Alice writes first, so the bot learns her access hash; her text given
    // as UTF-8 bytes arrives as that text.
    const botGotHello = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' ? u : null));
    await alice.invoke({ _: 'messages.sendMessage', peer: botPeer,
      message: new TextEncoder().encode('/start \u2713'), random_id: 1n });
    const hello = await botGotHello;
    assert.equal(hello.update.message.message, '/start \u2713');
    const aliceUser = hello.users.find((u) => u.id === hello.update.message.from_id.user_id);

    // The bot answers with a button whose data is bytes no string could carry.
    const data = new Uint8Array([0, 0xff, 0xfe, 0x80, 0x0a, 0x22]);
    const aliceGotButton = nextUpdate(alice,
      (u) => (u.update._ === 'updateNewMessage' && u.update.message.reply_markup ? u.update.message : null));
    await bot.invoke({
      _: 'messages.sendMessage', message: 'press it', random_id: 2n ** 62n + 3n,
      peer: { _: 'inputPeerUser', user_id: BigInt(aliceUser.id), access_hash: BigInt(aliceUser.access_hash) },
      reply_markup: { _: 'replyInlineMarkup', rows: [{ _: 'keyboardButtonRow', buttons: [
        { _: 'keyboardButtonCallback', text: 'Press', data }] }] },
    });
    const withButton = await aliceGotButton;
    const button = withButton.reply_markup.rows[0].buttons[0];
    assert.equal(button.data, 'AP/+gAoi', 'bytes come back as base64');
    assert.deepEqual(fromBase64(button.data), data);

    // Alice presses it (bytes given back as a Uint8Array); the bot sees the
    // query with the same bytes and answers it (query_id given as a BigInt).
    const botGotQuery = nextUpdate(bot, (u) => (u.update._ === 'updateBotCallbackQuery' ? u.update : null));
    const press = { _: 'messages.getBotCallbackAnswer', peer: botPeer, msg_id: withButton.id,
      data: fromBase64(button.data) };
    await assert.rejects(alice.invoke(press), (e) => e.code === 400 && e.errorMessage === 'BOT_RESPONSE_TIMEOUT');
    const query = await botGotQuery;
    assert.deepEqual(fromBase64(query.data), data);
    assert.equal(await bot.invoke({ _: 'messages.setBotCallbackAnswer', query_id: BigInt(query.query_id),
      message: 'pressed', cache_time: 0 }), true);
    const answer = await alice.invoke(press);
    assert.equal(answer._, 'messages.botCallbackAnswer');
    assert.equal(answer.message, 'pressed');
  } finally {
    bot.close();
    alice.close();
  }
});

test('node: a file from JavaScript: uploaded with progress, sent, downloaded by the bot; a cancel ends one', async () => {
  const { make } = await clientFactory();
  const { bot, alice, botUser } = await botAndAlice(make);
  try {
    const data = new Uint8Array(1_300_000).map((_, i) => (i * 131 + (i >> 10)) & 0xff);
    const progress = [];
    const file = await alice.uploadFile(data, { fileName: 'photo.raw', onProgress: (p) => progress.push(p) });
    assert.equal(file._, 'inputFile');
    assert.equal(file.parts, 3, '512 KiB parts');
    assert.equal(file.name, 'photo.raw');
    assert.ok(progress.length >= 3, JSON.stringify(progress));
    assert.deepEqual(progress.at(-1), { done: data.length, total: data.length });
    assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1].done), 'progress only grows');

    const botGot = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' && u.update.message.media ? u : null));
    await alice.invoke({
      _: 'messages.sendMedia', peer: { _: 'inputPeerUser', user_id: botUser.id, access_hash: botUser.access_hash },
      media: { _: 'inputMediaUploadedDocument', file, mime_type: 'application/octet-stream', attributes: [] },
      message: 'here', random_id: 77n,
    });
    const update = await botGot;
    const document = update.update.message.media.document;
    assert.equal(document.size, String(data.length));
    const got = await bot.downloadDocument(document);
    assert.ok(got instanceof Uint8Array);
    assert.equal(got.length, data.length);
    assert.ok(got.every((b, i) => b === data[i]), 'the same bytes');

    // A cancelled upload rejects once, with code 0, and the client goes on.
    const abort = new AbortController();
    const big = alice.uploadFile(new Uint8Array(4 << 20), { signal: abort.signal });
    abort.abort();
    await assert.rejects(big, (e) => e.code === 0 && /cancelled/.test(e.message));
    await assert.rejects(alice.uploadFile(new Uint8Array(0)), /upload: .*empty/i);
    await assert.rejects(bot.downloadDocument({ _: 'documentEmpty', id: '1' }), /not a document/);
    const me = await alice.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(me[0].id, String(ALICE.id));
  } finally {
    bot.close();
    alice.close();
  }
});

test('node: a DC that cannot be reached: failed dials are events, calls time out', async () => {
  const { make } = await clientFactory();
  const events = [];
  const client = await make({ url: () => 'ws://127.0.0.1:9/apiws', reconnectDelayMs: 20 });
  client.onEvent((e) => events.push(e.type));
  try {
    await assert.rejects(client.invoke({ _: 'help.getNearestDc' }, { timeoutMs: 500 }), /timed out/);
    assert.ok(events.filter((t) => t === 'dialFailed').length >= 2, events.join(','));
    assert.ok(!events.includes('connected'));
  } finally {
    client.close();
  }
});

// Serves the page, the module and the config; resolves `report` with what
// the page posts.
function servePage() {
  let deliver;
  const report = new Promise((resolve) => { deliver = resolve; });
  const files = {
    '/quickstart.html': ['text/html', path.join(here, 'quickstart.html')],
    '/quickstart.mjs': ['text/javascript', path.join(here, 'quickstart.mjs')],
    '/quickstart_worker.mjs': ['text/javascript', path.join(here, 'quickstart_worker.mjs')],
    '/mtcore_client.mjs': ['text/javascript', path.join(here, 'mtcore_client.mjs')],
    '/mtcore.mjs': ['text/javascript', path.join(here, 'mtcore.mjs')],
    '/mtcore.wasm': ['application/wasm', path.join(here, 'mtcore.wasm')],
    '/api-schema.json': ['application/json', SCHEMA],
  };
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { res.writeHead(204).end(); deliver(JSON.parse(body)); });
      return;
    }
    if (req.url === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(config));
      return;
    }
    const entry = files[req.url.split('?')[0]];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': entry[0] }).end(readFileSync(entry[1]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, report })));
}

// Opens quickstart.html`query` in headless Chromium; resolves with what the page posts.
async function quickstartInChromium(query = '') {
  const { server, report } = await servePage();
  const profile = mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'chromium-'));
  const url = `http://127.0.0.1:${server.address().port}/quickstart.html${query}`;
  const child = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, url],
  { env: { ...process.env, HOME: profile }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  let timer;
  try {
    const got = await Promise.race([
      report,
      exited.then((code) => { throw new Error(`chromium exited (${code}) before the page reported:\n${stderr}`); }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no report from the page in 90 s:\n${stderr}`)), 90000);
      }),
    ]);
    return got;
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
    server.closeAllConnections?.();
    server.close();
  }
}

test('Chromium: the quickstart page over WebSocket', async () => {
  const report = await quickstartInChromium();
  checkReport(report);
  assert.equal(report.ranIn, 'the browser');
});

test('Chromium: the same with the clients in a dedicated worker', async () => {
  const report = await quickstartInChromium('?worker');
  checkReport(report);
  assert.equal(report.ranIn, 'a worker');
});
