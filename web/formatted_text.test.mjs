// Formatted text in the browser client (web/mtcore.mjs + mtcore_client.mjs)
// under node, over WebSocket against the simulated DCs (the native testdc):
// Alice sends HTML and MarkdownV2 with sendText(), the bot reads the
// entities back from its update (UTF-16 offsets, as JavaScript counts) and
// renders them to the same HTML, then answers with text + entities that
// mention Alice by id. The formatter's pure functions, and their errors,
// beside it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { TestDc } from '../tests/peers/testdc.mjs';
import { API_ID, API_HASH, ALICE, BOT, HOME_DC, worldConfig } from '../tests/peers/world.mjs';
import { nextUpdate } from './quickstart.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = path.resolve(process.env.MTCORE_API_SCHEMA || 'external/mtcute_schema/package/tl/api-schema.json');

let dc;
let module;
let schema;
let lib;

test.before(async () => {
  dc = new TestDc();
  await dc.start([`--config=${dc.writeFile('world.conf', worldConfig())}`]);
  const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href);
  lib = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  module = await createModule({ wasmBinary: readFileSync(path.join(here, 'mtcore.wasm')) });
  schema = readFileSync(SCHEMA, 'utf8');
});

test.after(async () => {
  if (dc) await dc.stop();
});

function make() {
  return lib.MtcoreClient.create({
    module, schema, dc: HOME_DC, rsaKey: dc.pem, apiId: API_ID,
    url: (n) => `ws://${dc.dcs.get(n).host}:${dc.dcs.get(n).port}/apiws`,
  });
}

test('the formatter: HTML and MarkdownV2 to {text, entities} and back, errors naming the byte', () => {
  const fmt = lib.createTextFormatter({ module, schema });
  const html = '<b>bold</b> \u{1F44B} <a href="tg://user?id=1001">Alice</a> &amp; <i>it</i>';
  const parsed = fmt.parseHtml(html);
  assert.equal(parsed.text, 'bold \u{1F44B} Alice & it');
  assert.deepEqual(parsed.entities, [
    { _: 'messageEntityBold', offset: 0, length: 4 },
    { _: 'messageEntityMentionName', offset: 8, length: 5, user_id: '1001' },
    { _: 'messageEntityItalic', offset: 16, length: 2 },
  ]);
  // The offsets are JavaScript string indices (UTF-16 units).
  const mention = parsed.entities[1];
  assert.equal(parsed.text.slice(mention.offset, mention.offset + mention.length), 'Alice');
  assert.equal(fmt.toHtml(parsed.text, parsed.entities), html);
  assert.equal(fmt.toMarkdownV2(parsed.text, parsed.entities),
    '*bold* \u{1F44B} [Alice](tg://user?id=1001) & _it_');
  assert.deepEqual(fmt.parseMarkdownV2('*bold* \u{1F44B} [Alice](tg://user?id=1001) & _it_'), parsed);
  // Entities given with bigint ids, and kinds the formats cannot write
  // (an URL Telegram found by itself) left out.
  assert.equal(fmt.toHtml('see https://x', [{ _: 'messageEntityUrl', offset: 4, length: 9 },
    { _: 'messageEntityCustomEmoji', offset: 0, length: 3, document_id: 5368324170671202286n }]),
  '<tg-emoji emoji-id="5368324170671202286">see</tg-emoji> https://x');
  assert.equal(fmt.toHtml('plain'), 'plain');
  assert.deepEqual(fmt.parseHtml('a\u0000b'), { text: 'a\u0000b', entities: [] }, 'a NUL is text');

  const threw = (fn, re) => assert.throws(fn, (e) => e instanceof lib.MtcoreError && e.code === 0 && re.test(e.message));
  threw(() => fmt.parseHtml('ok <x>no</x>'), /^parseHtml: INVALID_ARGUMENT: HTML at byte 3: /);
  threw(() => fmt.parseHtml('\u{1F44B} <b>x'), /HTML at byte \d+: /);
  threw(() => fmt.parseMarkdownV2('a.b'), /^parseMarkdownV2: .*MarkdownV2 at byte 1: /);
  threw(() => fmt.toHtml('hi', [{ _: 'messageEntityBold', offset: 1, length: 5 }]), /^toHtml: .*outside the text/);
  threw(() => fmt.toHtml('\u{1F44B}', [{ _: 'messageEntityBold', offset: 0, length: 1 }]), /splits a surrogate pair/);
  threw(() => fmt.toMarkdownV2('hi', [{ _: 'inputPeerSelf' }]), /^toMarkdownV2: .*entities: /);
  threw(() => fmt.parseHtml(5), /^parseHtml: not a string/);
});

test('sendText: HTML from Alice arrives at the bot with its entities; the bot answers with a mention', async () => {
  const bot = await make();
  const alice = await make();
  const fmt = lib.createTextFormatter({ module, schema });
  try {
    await bot.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID, api_hash: API_HASH,
      bot_auth_token: BOT.token });
    const sent = await alice.invoke({ _: 'auth.sendCode', phone_number: ALICE.phone, api_id: API_ID,
      api_hash: API_HASH, settings: { _: 'codeSettings' } });
    await alice.invoke({ _: 'auth.signIn', phone_number: ALICE.phone, phone_code_hash: sent.phone_code_hash,
      phone_code: ALICE.code });
    const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: BOT.username });
    const botUser = resolved.users[0];
    const botPeer = { _: 'inputPeerUser', user_id: BigInt(botUser.id), access_hash: BigInt(botUser.access_hash) };

    // HTML with an astral character before the entities, sent with another
    // field of messages.sendMessage.
    const html = '\u{1F600} <b>Hello</b>, <i>formatted <u>world</u></i> <code>x &lt; y</code>';
    const botGot = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' ? u : null));
    const result = await alice.sendText(botPeer, { html }, { silent: true, timeoutMs: 20000 });
    assert.ok(result._.startsWith('update'), JSON.stringify(result));
    const got = await botGot;
    const message = got.update.message;
    assert.equal(message.message, '\u{1F600} Hello, formatted world x < y');
    assert.deepEqual(message.entities, [
      { _: 'messageEntityBold', offset: 3, length: 5 },
      { _: 'messageEntityItalic', offset: 10, length: 15 },
      { _: 'messageEntityUnderline', offset: 20, length: 5 },
      { _: 'messageEntityCode', offset: 26, length: 5 },
    ]);
    assert.equal(message.message.slice(3, 8), 'Hello', 'UTF-16 offsets: the emoji counts two');
    assert.equal(fmt.toHtml(message.message, message.entities), html, 'rendered back to the same HTML');

    // MarkdownV2 goes the same way.
    const botGotMd = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' ? u.update.message : null));
    await alice.sendText(botPeer, { markdown: '||secret|| and ~gone~' });
    const md = await botGotMd;
    assert.equal(fmt.toMarkdownV2(md.message, md.entities), '||secret|| and ~gone~');

    // The bot answers with text + entities mentioning Alice by id (bigint):
    // it goes out with the access hash the bot's client learnt.
    const aliceUser = got.users.find((u) => u.id === message.from_id.user_id);
    const aliceGot = nextUpdate(alice, (u) => (u.update._ === 'updateNewMessage' ? u.update.message : null));
    await bot.sendText({ _: 'inputPeerUser', user_id: aliceUser.id, access_hash: aliceUser.access_hash },
      { text: 'thanks Alice', entities: [{ _: 'messageEntityMentionName', offset: 7, length: 5, user_id: BigInt(ALICE.id) }] },
      { random_id: 12345n });
    const reply = await aliceGot;
    assert.equal(reply.message, 'thanks Alice');
    assert.deepEqual(reply.entities, [{ _: 'messageEntityMentionName', offset: 7, length: 5, user_id: String(ALICE.id) }]);
    assert.equal(fmt.toHtml(reply.message, reply.entities), `thanks <a href="tg://user?id=${ALICE.id}">Alice</a>`);

    // What cannot be sent rejects once, with code 0 and why; the client goes on.
    const rejects = (p, re) => assert.rejects(p, (e) => e instanceof lib.MtcoreError && e.code === 0 && re.test(e.message));
    await rejects(alice.sendText(botPeer, { html: '<b>open' }), /sendText: HTML at byte \d+: /);
    await rejects(alice.sendText(botPeer, { markdown: 'a.b' }), /sendText: MarkdownV2 at byte 1: /);
    await rejects(alice.sendText(botPeer, { html: '' }), /sendText: the message text is empty/);
    await rejects(alice.sendText(botPeer, { html: 'a', markdown: 'b' }), /sendText: give one string/);
    await rejects(alice.sendText(botPeer, 'just a string'), /sendText: give \{html\}/);
    await rejects(alice.sendText(botPeer, { text: 'hi', entities: [{ _: 'messageEntityBold', offset: 0, length: 9 }] }),
      /sendText: entities: .*outside the text/);
    await rejects(alice.sendText(botPeer, { text: 'hi', entities: [{ _: 'messageEntityMentionName', offset: 0,
      length: 2, user_id: 987654n }] }), /sendText: cannot mention user 987654/);
    await rejects(alice.sendText(botPeer, { html: 'x' }, { message: 'y' }), /sendText: the text and its entities come from/);
    const me = await alice.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(me[0].id, String(ALICE.id));
  } finally {
    bot.close();
    alice.close();
  }
});
