// Long lists walked page by page in the browser client (iterHistory,
// iterDialogs of mtcore_client.mjs over the module's HistoryWalk /
// DialogWalk) under node, over WebSocket against the native testdc: the bot
// sends Alice 130 messages, she walks them newest first in pages of 50 (each
// once, in order, with the senders named), stops early (the walk cancelled,
// the client goes on), searches them (iterSearch), lists her dialogs one
// per page and her channel's members (iterMembers); bad options and a
// peer the DC refuses reject the loop with a clear error, and so do an
// aborted signal (with its reason) and close().
import test from 'node:test';
import assert from 'node:assert/strict';
import { API_ID, API_HASH, ALICE, BOT } from '../tests/peers/world.mjs';
import { logInUser, startTestDcEnv } from './testdc_env.mjs';

const SENT = 130;

let env;
let lib;
let alice;
let bot;
let botPeer;  // the bot, as Alice names it
const connect = (options) => env.connect(options);

test.before(async () => {
  env = await startTestDcEnv();
  ({ lib } = env);
  alice = await connect();
  await logInUser(alice, ALICE);
  const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: BOT.username });
  const user = resolved.users.find((u) => u.id === String(BOT.id));
  botPeer = { _: 'inputPeerUser', user_id: user.id, access_hash: user.access_hash };
  bot = await connect();
  await bot.invoke({ _: 'auth.importBotAuthorization', flags: 0, api_id: API_ID, api_hash: API_HASH,
    bot_auth_token: BOT.token });
});

test.after(async () => {
  alice?.close();
  bot?.close();
  if (env) await env.stop();
});

test('node: 130 messages come back newest first in pages of 50, each once; stopping early cancels the walk', async (t) => {
  const resolved = await bot.invoke({ _: 'contacts.resolveUsername', username: ALICE.username });
  const a = resolved.users.find((u) => u.id === String(ALICE.id));
  const alicePeer = { _: 'inputPeerUser', user_id: a.id, access_hash: a.access_hash };
  for (let i = 0; i < SENT; ++i) {
    await bot.invoke({ _: 'messages.sendMessage', peer: alicePeer, message: `note ${i}`, random_id: String(1000 + i) });
  }

  const started = performance.now();
  const texts = [];
  const ids = [];
  const pages = new Set();  // the entries of a page share its users
  for await (const { message, users, entryErrors } of alice.iterHistory(botPeer, { pageSize: 50 })) {
    assert.equal(message._, 'message');
    assert.equal(entryErrors, undefined, 'everything readable');
    texts.push(message.message);
    ids.push(message.id);
    pages.add(users);
    // The sender is named among the page's users.
    assert.ok(users.some((u) => u.id === message.from_id?.user_id || u.id === message.peer_id.user_id));
  }
  const ms = performance.now() - started;
  assert.equal(texts.length, SENT);
  assert.deepEqual(texts, Array.from({ length: SENT }, (_, i) => `note ${SENT - 1 - i}`));
  for (let i = 1; i < ids.length; ++i) assert.ok(ids[i] < ids[i - 1], 'newest first, each once');
  assert.equal(pages.size, 3, '50 + 50 + 30');
  t.diagnostic(`${SENT} messages in ${pages.size} pages: ${Math.round(ms)} ms`);

  // Breaking out after 10: the walk is cancelled, the client goes on.
  let seen = 0;
  const first = new Set();
  for await (const { message, users } of alice.iterHistory(botPeer, { pageSize: 50 })) {
    first.add(users);
    if (++seen === 10) break;
    assert.equal(message.message, `note ${SENT - seen}`);
  }
  assert.equal(seen, 10);
  assert.equal(first.size, 1, 'one page asked for');
  const again = [];
  for await (const { message } of alice.iterHistory(botPeer, { pageSize: 20, maxMessages: 25, offsetId: ids[9] })) {
    again.push(message.message);
  }
  assert.deepEqual(again, Array.from({ length: 25 }, (_, i) => `note ${SENT - 11 - i}`));
  const config = await alice.invoke({ _: 'help.getConfig' });
  assert.equal(config._, 'config');
});

test('node: a search finds the matches newest first page by page; a channel lists its members', async () => {
  const found = [];
  for await (const { message, users } of alice.iterSearch(botPeer, { query: 'NOTE 12', pageSize: 3 })) {
    found.push(message.message);
    assert.ok(users.some((u) => u.id === String(BOT.id)), 'the sender named');
  }
  assert.deepEqual(found, ['note 129', 'note 128', 'note 127', 'note 126', 'note 125', 'note 124',
    'note 123', 'note 122', 'note 121', 'note 120', 'note 12']);
  const fromBot = [];
  for await (const { message } of alice.iterSearch(botPeer, {
    query: 'note 5', from: { _: 'inputPeerSelf' }, filter: { _: 'inputMessagesFilterEmpty' },
  })) fromBot.push(message.message);
  assert.deepEqual(fromBot, [], 'Alice sent none of them');
  await assert.rejects(async () => {
    for await (const _ of alice.iterSearch(botPeer, { query: 1 })) break;
  }, /^Error: iterSearch: query is a string, not number 1$/);

  // Alice's broadcast channel: its members, one per page, with their users.
  const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: 'mtcore_news' });
  const news = resolved.chats[0];
  const channel = { _: 'inputChannel', channel_id: news.id, access_hash: news.access_hash };
  const members = [];
  for await (const { participant, user } of alice.iterMembers(channel, { pageSize: 1 })) {
    members.push(`${participant._} ${user.first_name}`);
  }
  assert.deepEqual(members, ['channelParticipant Bob', 'channelParticipantCreator Alice']);
  const admins = [];
  for await (const { user } of alice.iterMembers(channel, { filter: { _: 'channelParticipantsAdmins' } })) {
    admins.push(user.first_name);
  }
  assert.deepEqual(admins, ['Alice']);
  // Bob may not list a broadcast channel's members: the DC's refusal.
  await assert.rejects(async () => {
    for await (const _ of bot.iterMembers(channel)) break;
  }, /members: page from member 0: .*CHANNEL_PRIVATE|CHANNEL_INVALID/);
});

test('node: the dialog list comes one dialog per page, the latest first with its top message', async () => {
  const dialogs = [];
  const pages = new Set();
  for await (const d of alice.iterDialogs({ pageSize: 1 })) {
    assert.equal(d.dialog._, 'dialog');
    dialogs.push(d);
    pages.add(d.users);
  }
  assert.ok(dialogs.length >= 1);
  assert.equal(pages.size, dialogs.length, 'one dialog per page');
  const top = dialogs[0];
  assert.deepEqual(top.dialog.peer, { _: 'peerUser', user_id: String(BOT.id) });
  assert.equal(top.message.message, `note ${SENT - 1}`);
  assert.ok(top.users.some((u) => u.id === String(BOT.id) && u.username === BOT.username));
  const keys = dialogs.map((d) => JSON.stringify(d.dialog.peer));
  assert.equal(new Set(keys).size, keys.length, 'each dialog once');
});

async function rejection(iterable) {
  try {
    for await (const entry of iterable) void entry;
  } catch (e) {
    return e;
  }
  assert.fail('the walk did not fail');
}

test('node: bad options and a peer the DC refuses reject the loop with a clear error', async () => {
  const refused = await rejection(alice.iterHistory({ _: 'inputPeerUser', user_id: String(BOT.id), access_hash: '12345' }));
  assert.ok(refused instanceof lib.MtcoreError);
  assert.equal(refused.code, 0);
  assert.match(refused.message, /history: page below message 0/);
  assert.match((await rejection(alice.iterHistory(botPeer, { pageSize: 0 }))).message, /history: page size 0 is outside 1\.\.100/);
  assert.match((await rejection(alice.iterHistory(botPeer, { pageSize: 101 }))).message, /page size 101/);
  assert.match((await rejection(alice.iterHistory(botPeer, { page_size: 5 }))).message,
    /iterHistory: no option page_size \(there are pageSize, maxMessages, offsetId, minId, signal\)/);
  assert.match((await rejection(alice.iterHistory(botPeer, { signal: {} }))).message,
    /iterHistory: signal is an AbortSignal, not object/);
  assert.match((await rejection(alice.iterHistory(botPeer, { pageSize: '50' }))).message, /pageSize is a number, not string/);
  assert.match((await rejection(alice.iterHistory(botPeer, { maxMessages: 1.5 }))).message, /history: maxMessages 1\.5: not a whole number/);
  assert.match((await rejection(alice.iterHistory(botPeer, { offsetId: NaN }))).message, /history: offsetId nan/);
  assert.match((await rejection(alice.iterHistory(undefined))).message, /iterHistory: the peer is an InputPeer object/);
  assert.match((await rejection(alice.iterHistory({ _: 'inputUserSelf' }))).message, /history: peer: /);
  assert.match((await rejection(alice.iterDialogs({ maxDialogs: -2 }))).message, /dialogs: max_dialogs -2/);
  assert.match((await rejection(alice.iterDialogs({ folderId: 2 ** 40 }))).message, /dialogs: folderId/);
  assert.match((await rejection(alice.iterDialogs(null))).message, /iterDialogs: the options are an object/);
  // Nothing wanted: no messages, no error.
  for await (const entry of alice.iterHistory(botPeer, { maxMessages: 0 })) assert.fail(`got ${entry}`);
  assert.equal((await alice.invoke({ _: 'help.getConfig' }))._, 'config');
});

test('node: a signal ends a walk with its reason: between pages, with a page in flight, before it starts', async () => {
  // Between pages: the entries of the page in hand are dropped.
  const between = new AbortController();
  const seen = [];
  await assert.rejects((async () => {
    for await (const { message } of alice.iterHistory(botPeer, { pageSize: 10, signal: between.signal })) {
      seen.push(message.message);
      if (seen.length === 3) between.abort(new Error('the user left'));
    }
  })(), (e) => {
    assert.ok(e instanceof lib.MtcoreError);
    assert.equal(e.code, 0);
    assert.equal(e.message, 'iterHistory: cancelled: Error: the user left');
    assert.equal(e.cause, between.signal.reason, 'the abort reason is the cause');
    return true;
  });
  assert.deepEqual(seen, [`note ${SENT - 1}`, `note ${SENT - 2}`, `note ${SENT - 3}`], 'nothing after the abort');

  // With its request in flight: next() rejects at once, the answer is dropped.
  const inFlight = new AbortController();
  const walk = alice.iterDialogs({ pageSize: 1, signal: inFlight.signal })[Symbol.asyncIterator]();
  const next = walk.next();  // the first page is asked for
  inFlight.abort();
  await assert.rejects(next, /iterDialogs: cancelled: AbortError: /);
  assert.deepEqual(await walk.next(), { value: undefined, done: true });
  const history = alice.iterHistory(botPeer, { pageSize: 2, signal: inFlight.signal });
  await assert.rejects(rejection(history).then((e) => { throw e; }), /iterHistory: cancelled: AbortError/,
    'an aborted signal starts no walk');

  // Neither left anything behind: the next walks get their own pages, and a
  // signal aborted after a walk ended changes nothing.
  const late = new AbortController();
  const again = [];
  for await (const { message } of alice.iterHistory(botPeer, { pageSize: 2, maxMessages: 3, signal: late.signal })) {
    again.push(message.message);
  }
  late.abort();
  assert.deepEqual(again, [`note ${SENT - 1}`, `note ${SENT - 2}`, `note ${SENT - 3}`]);
  let dialogs = 0;
  for await (const d of alice.iterDialogs({ pageSize: 1 })) dialogs += d.dialog._ === 'dialog' ? 1 : 0;
  assert.ok(dialogs >= 1);
  assert.equal((await alice.invoke({ _: 'help.getConfig' }))._, 'config');
});

test('node: close() rejects the walks it interrupts', async () => {
  const second = await connect({ snapshot: alice.snapshot() });
  const walk = second.iterHistory(botPeer, { pageSize: 5 })[Symbol.asyncIterator]();
  const first = await walk.next();
  assert.equal(first.value.message.message, `note ${SENT - 1}`);
  for (let i = 1; i < 5; ++i) await walk.next();  // the page in hand, all taken
  const next = walk.next();  // waits for the next page
  second.close();
  await assert.rejects(next, /the client is closed/);
  assert.deepEqual(await walk.next(), { value: undefined, done: true });
  await assert.rejects(rejection(second.iterDialogs()).then((e) => { throw e; }), /iterDialogs: the client is closed/);
});
