// Perfect Forward Secrecy in the browser client (web/mtcore.mjs +
// mtcore_client.mjs) under node, over WebSocket against the simulated DCs
// (the native testdc, which binds temporary keys with auth.bindTempAuthKey
// and refuses an unbound key the login): the quickstart's conversation with
// `pfs: true`, every connection's session over a bound temporary key; a
// snapshot that resumes with the permanent key and binds a new temporary
// one; a short-lived key renewed while calls go on.
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
let createModule;
let config;

test.before(async () => {
  dc = new TestDc();
  await dc.start([`--config=${dc.writeFile('world.conf', worldConfig())}`]);
  ({ default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href));
  lib = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const wsUrls = {};
  for (const [id, a] of dc.dcs) wsUrls[id] = `ws://${a.host}:${a.port}/apiws`;
  config = {
    rsaKey: dc.pem, wsUrls, apiId: API_ID, apiHash: API_HASH, homeDc: HOME_DC, otherDc: OTHER_DC,
    bot: { token: BOT.token, username: BOT.username }, alice: { phone: ALICE.phone, code: ALICE.code },
  };
});

test.after(async () => {
  if (dc) await dc.stop();
});

const wasmBinary = () => readFileSync(path.join(here, 'mtcore.wasm'));

// Resolves with the first event of `client` that `accept` takes.
function nextEvent(client, accept) {
  return new Promise((resolve) => {
    const stop = client.onEvent((e) => {
      if (accept(e)) {
        stop();
        resolve(e);
      }
    });
  });
}

test('node: the quickstart with pfs: every session runs over a bound temporary key', async () => {
  const { runQuickstart } = await import(pathToFileURL(path.join(here, 'quickstart.mjs')).href);
  const started = Math.floor(Date.now() / 1000);
  const report = await runQuickstart({
    createModule, moduleOptions: { wasmBinary: wasmBinary() }, MtcoreClient: lib.MtcoreClient, config,
    schema: readFileSync(SCHEMA, 'utf8'), clientOptions: { pfs: { tempKeyLifetimeS: 3600 } },
  });
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.botId, String(BOT.id));
  assert.equal(report.aliceId, String(ALICE.id));
  assert.equal(report.aliceDc, HOME_DC, 'Alice followed PHONE_MIGRATE to her home DC, with PFS there too');
  assert.equal(report.fileBytes, 700000);
  const of = (who, type) => report.events.filter((e) => e.client === who && e.type === type);
  // The bot: one permanent key, one temporary key bound to it, expiring an
  // hour from now by the DC's clock.
  assert.equal(of('bot', 'authKeyReady').length, 1, JSON.stringify(report.events));
  const [bound] = of('bot', 'tempKeyBound');
  assert.ok(bound, JSON.stringify(report.events));
  assert.ok(Math.abs(bound.expiresAt - (started + 3600)) < 60, `expiresAt ${bound.expiresAt}, now ${started}`);
  // Alice: a permanent key and a bound temporary key on DC 4, then on DC 2.
  assert.equal(of('alice', 'authKeyReady').length, 2, JSON.stringify(report.events));
  assert.equal(of('alice', 'tempKeyBound').length, 2, JSON.stringify(report.events));
  assert.deepEqual(report.events.filter((e) => e.type === 'bindFailed' || e.type === 'engine'), []);
  console.log(`steps: ${JSON.stringify(report.steps)}`);
});

test('node: a pfs client saved with snapshot() resumes with its permanent key and binds a new temporary key', async () => {
  const module = await createModule({ wasmBinary: wasmBinary() });
  const schema = readFileSync(SCHEMA, 'utf8');
  const make = (options = {}) => lib.MtcoreClient.create({
    module, schema, dc: HOME_DC, rsaKey: dc.pem, apiId: API_ID, url: (n) => config.wsUrls[n], pfs: true, ...options,
  });
  const first = await make();
  const events = [];
  first.onEvent((e) => events.push(e.type));
  const login = await first.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID,
    api_hash: API_HASH, bot_auth_token: BOT.token });
  assert.equal(login.user.id, String(BOT.id));
  assert.deepEqual(events.filter((t) => t === 'authKeyReady' || t === 'tempKeyBound'), ['authKeyReady', 'tempKeyBound']);
  const saved = first.snapshot();
  first.close();

  const second = await make({ snapshot: saved });
  const again = [];
  second.onEvent((e) => again.push(e));
  try {
    const me = await second.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(me[0].id, String(BOT.id), 'the login belongs to the permanent key');
    assert.ok(!again.some((e) => e.type === 'authKeyReady'), 'no new permanent key');
    assert.equal(again.filter((e) => e.type === 'tempKeyBound').length, 1, JSON.stringify(again));
  } finally {
    second.close();
  }
  await assert.rejects(make({ pfs: { tempKeyLifetimeS: 1.5 } }), /pfs.tempKeyLifetimeS must be a whole number/);
  await assert.rejects(make({ pfs: { tempKeyLifetimeS: 1 } }), /PFS temporary key lives at least 2 s/);
});

test('node: a short-lived temporary key is renewed while calls go on, each answered once', async () => {
  const module = await createModule({ wasmBinary: wasmBinary() });
  const client = await lib.MtcoreClient.create({
    module, schema: readFileSync(SCHEMA, 'utf8'), dc: HOME_DC, rsaKey: dc.pem, apiId: API_ID,
    url: (n) => config.wsUrls[n], pfs: { tempKeyLifetimeS: 4, renewBeforeS: 2 },
  });
  const bound = [];
  client.onEvent((e) => { if (e.type === 'tempKeyBound') bound.push(e); });
  try {
    await client.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID, api_hash: API_HASH,
      bot_auth_token: BOT.token });
    const renewed = nextEvent(client, (e) => e.type === 'tempKeyBound');
    // Calls every 100 ms across the renewal: each one resolves, once.
    const calls = [];
    const timer = setInterval(() => {
      calls.push(client.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] }, { timeoutMs: 15000 }));
    }, 100);
    let next;
    try {
      next = await Promise.race([renewed,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no renewal in 10 s: ${JSON.stringify(bound)}`)), 10000))]);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      clearInterval(timer);
    }
    const results = await Promise.all(calls);
    assert.ok(results.length >= 10, `${results.length} calls`);
    for (const r of results) assert.equal(r[0].id, String(BOT.id), 'still logged in over the new key');
    assert.ok(bound.length >= 2, JSON.stringify(bound));
    assert.ok(next.expiresAt > bound[0].expiresAt, JSON.stringify(bound));
  } finally {
    client.close();
  }
});
