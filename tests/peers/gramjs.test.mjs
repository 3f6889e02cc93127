// GramJS (npm `telegram` 2.26.22, layer 198) against mtcore's testdc over
// loopback TCP, on each of its TCP transports: full, abridged, obfuscated.
//
// Per transport: a fresh testdc (its own RSA key, injected into GramJS's key
// table at run time), a bot client and a user client, and the flows
//   connect() -> help.getConfig, help.getNearestDc, bot login, the bot sends a
//   message, user login, an update pushed to the bot, one pushed to the user,
//   the chat's history, a basic-group message pushed to the user, a 2FA login (account.getPassword + SRP auth.checkPassword), a bot login
//   begun on another DC (USER_MIGRATE_2),
// each one test case asserting the objects GramJS returns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { step, need, uniqueText, waitFor } from './peer_steps.mjs';
import { TestDc, requireFromNodeModules } from './testdc.mjs';
import { ALICE, API_HASH, API_ID, BOB, BOT, GROUP, HOME_DC, OTHER_DC, worldConfig } from './world.mjs';

const req = requireFromNodeModules();
const { TelegramClient, Api } = req('telegram');
const { MemorySession } = req('telegram/sessions');
const { ConnectionTCPFull, ConnectionTCPAbridged, ConnectionTCPObfuscated } = req('telegram/network');
const { Logger, LogLevel } = req('telegram/extensions/Logger');
const { NewMessage } = req('telegram/events');
const { LAYER } = req('telegram/tl/AllTLObjects');
const RSA = req('telegram/crypto/RSA');
const bigInt = req('big-integer');
const GRAMJS_API_TL = req('telegram/tl/apiTl.js');

const TRANSPORTS = [
  ['full', ConnectionTCPFull],
  ['abridged', ConnectionTCPAbridged],
  ['obfuscated', ConnectionTCPObfuscated],
];

// GramJS keeps the server keys it trusts in a map keyed by the signed decimal
// fingerprint; testdc's key goes in beside Telegram's.
function trustTestDcKey(key) {
  RSA._serverKeys.set(key.fingerprintSigned.toString(), { n: bigInt(key.n.toString()), e: Number(key.e) });
}

// GramJS's main connection always dials port 80 (443 for WSS) whatever the
// session says, so each connection class is wrapped to dial the address
// testdc printed for the DC GramJS asks for.
function loopback(Base, dc) {
  const Cls = class extends Base {
    constructor(opts) {
      const a = dc.addr(opts.dcId);
      super({ ...opts, ip: a.host, port: a.port });
    }
  };
  Object.defineProperty(Cls, 'name', { value: Base.name });
  return Cls;
}

function newClient(dc, Connection, dcId = HOME_DC) {
  const session = new MemorySession();  // StringSession.save() cannot store ports above 32767
  const first = dc.addr(dcId);
  session.setDC(dcId, first.host, first.port);
  const client = new TelegramClient(session, API_ID, API_HASH, {
    connection: loopback(Connection, dc),
    // GramJS turns g_ab into the auth key with getByteArray(), which drops a
    // leading zero byte: about one handshake in 256 derives a 255-byte key and
    // fails with "Step 3 invalid new nonce hash" (against real Telegram too).
    // Its own connection retries (a new handshake) get past that.
    connectionRetries: 5,
    retryDelay: 100,
    autoReconnect: false,
    timeout: 10,
    baseLogger: new Logger(LogLevel.WARN),
  });
  return client;
}

const idOf = (v) => (v === undefined || v === null ? v : v.toString());

assert.equal(LAYER, 198, 'the installed GramJS is not the layer-198 version these tests were written for');

for (const [transport, Connection] of TRANSPORTS) {
  describe(`GramJS ${transport}`, () => {
    const dc = new TestDc();
    let bot;    // TelegramClient logged in as BOT
    let alice;  // TelegramClient logged in as ALICE
    let bob;    // TelegramClient logged in as BOB (2FA)
    let migrated;  // TelegramClient that began on OTHER_DC
    let botUserToAlice;  // the message the bot sent
    const chat = [];     // texts sent between the bot and Alice, oldest first

    before(async () => {
      // GramJS's own schema text, with the layer it speaks, for testdc.
      const schema = dc.writeFile(`gramjs-layer${LAYER}.tl`, `${GRAMJS_API_TL}\n// LAYER ${LAYER}\n`);
      const config = dc.writeFile('world.conf', worldConfig({ schemas: [schema] }));
      await dc.start([`--config=${config}`]);
      trustTestDcKey(dc.key);
    });

    after(async () => {
      for (const c of [bot, alice, bob, migrated]) {
        if (c) await step(dc, 'GramJS destroy()', () => c.destroy()).catch(() => {});
      }
      await dc.stop();
    });

    it('connect() creates an auth key; help.getConfig lists the testdc DCs', async () => {
      bot = newClient(dc, Connection);
      const ok = await step(dc, 'connect()', () => bot.connect());
      assert.equal(ok, true);
      assert.ok(bot.connected, 'client reports not connected');
      const key = bot.session.getAuthKey();
      assert.ok(key && key.getKey() && key.getKey().length === 256, 'no 2048-bit auth key after connect()');
      const config = await step(dc, 'help.getConfig', () => bot.invoke(new Api.help.GetConfig()));
      assert.ok(config instanceof Api.Config, `help.getConfig returned ${config?.className}`);
      assert.equal(config.thisDc, HOME_DC);
      for (let id = 1; id <= 5; id++) {
        const a = dc.addr(id);
        const opt = config.dcOptions.find((o) => o.id === id && !o.ipv6 && !o.mediaOnly);
        assert.ok(opt, `config.dcOptions has no IPv4 entry for DC ${id}`);
        assert.equal(`${opt.ipAddress}:${opt.port}`, `${a.host}:${a.port}`, `DC ${id} address in help.getConfig`);
      }
    });

    it('help.getNearestDc', async () => {
      need(bot, 'connected client');
      const nearest = await step(dc, 'help.getNearestDc', () => bot.invoke(new Api.help.GetNearestDc()));
      assert.ok(nearest instanceof Api.NearestDc, `help.getNearestDc returned ${nearest?.className}`);
      assert.equal(nearest.thisDc, HOME_DC);
      assert.ok(nearest.nearestDc >= 1 && nearest.nearestDc <= 5, `nearestDc ${nearest.nearestDc}`);
      assert.equal(typeof nearest.country, 'string');
    });

    it('bot login: start({botAuthToken}) and getMe()', async () => {
      need(bot, 'connected client');
      await step(dc, 'start({botAuthToken})', () => bot.start({ botAuthToken: BOT.token }));
      const me = await step(dc, 'getMe() (users.getUsers [inputUserSelf])', () => bot.getMe());
      assert.ok(me instanceof Api.User, `getMe returned ${me?.className}`);
      assert.equal(idOf(me.id), String(BOT.id));
      assert.equal(me.bot, true);
      assert.equal(me.self, true);
      assert.equal(me.firstName, BOT.firstName);
      assert.equal(me.username, BOT.username);
      assert.equal(await bot.isBot(), true);
    });

    it('the bot sends a message (contacts.resolveUsername, messages.sendMessage)', async () => {
      need(bot, 'logged-in bot');
      const peer = await step(dc, `getEntity('${ALICE.username}')`, () => bot.getEntity(ALICE.username));
      assert.ok(peer instanceof Api.User, `resolved ${peer?.className}`);
      assert.equal(idOf(peer.id), String(ALICE.id));
      assert.equal(peer.firstName, ALICE.firstName);
      const text = uniqueText(`hello from the bot over ${transport}`);
      chat.push(text);
      const msg = await step(dc, 'sendMessage', () => bot.sendMessage(ALICE.username, { message: text }));
      assert.ok(msg instanceof Api.Message, `sendMessage returned ${msg?.className}`);
      assert.ok(msg.id > 0, `message id ${msg.id}`);
      assert.equal(msg.message, text);
      assert.equal(msg.out, true);
      assert.equal(idOf(msg.peerId?.userId), String(ALICE.id));
      botUserToAlice = msg;
    });

    it('user login: auth.sendCode, auth.signIn with the code', async () => {
      alice = newClient(dc, Connection);
      await step(dc, 'connect() (user)', () => alice.connect());
      const errors = [];
      const user = await step(dc, 'signInUser', () => alice.signInUser({ apiId: API_ID, apiHash: API_HASH }, {
        phoneNumber: `+${ALICE.phone}`,
        phoneCode: async () => ALICE.code,
        password: async () => { throw new Error('the DC asked for a 2FA password Alice does not have'); },
        onError: async (e) => { errors.push(e); return true; },
      }).catch((e) => { throw errors.length ? errors[0] : e; }));
      assert.ok(user instanceof Api.User, `auth.signIn returned user ${user?.className}`);
      assert.equal(idOf(user.id), String(ALICE.id));
      assert.equal(user.firstName, ALICE.firstName);
      assert.equal(user.lastName, ALICE.lastName);
      assert.equal(user.username, ALICE.username);
      assert.equal(user.bot, false);
      const me = await step(dc, 'getMe() (user)', () => alice.getMe());
      assert.equal(idOf(me.id), String(ALICE.id));
      assert.equal(me.self, true);
    });

    it('the bot receives the user\'s message as an update pushed by the DC', async () => {
      need(bot, 'logged-in bot');
      need(alice, 'logged-in user');
      const text = uniqueText(`hello bot, Alice over ${transport}`);
      chat.push(text);
      const got = waitFor((event) => (event.message?.message === text ? event.message : undefined));
      bot.addEventHandler(got.feed, new NewMessage({}));
      const sent = await step(dc, 'user sendMessage to the bot', () => alice.sendMessage(BOT.username, { message: text }));
      assert.ok(sent instanceof Api.Message);
      assert.equal(sent.message, text);
      assert.equal(idOf(sent.peerId?.userId), String(BOT.id));
      const incoming = await step(dc, 'bot waits for the pushed update', () => got.promise);
      assert.ok(incoming instanceof Api.Message, `update carried ${incoming?.className}`);
      assert.equal(incoming.message, text);
      assert.equal(incoming.out, false);
      assert.ok(incoming.id > 0);
      assert.equal(idOf(incoming.senderId), String(ALICE.id));
      assert.equal(idOf(incoming.peerId?.userId), String(ALICE.id));
      bot.removeEventHandler(got.feed, new NewMessage({}));
    });

    it('the user receives the bot\'s reply as an update pushed by the DC', async () => {
      need(bot, 'logged-in bot');
      need(alice, 'logged-in user');
      need(botUserToAlice, 'the bot\'s first message');
      const text = uniqueText(`reply from the bot over ${transport}`);
      chat.push(text);
      const got = waitFor((event) => (event.message?.message === text ? event.message : undefined));
      alice.addEventHandler(got.feed, new NewMessage({}));
      const sent = await step(dc, 'bot sendMessage to the user', () => bot.sendMessage(ALICE.username, { message: text }));
      assert.ok(sent.id > botUserToAlice.id, `message ids in the bot's chat with Alice grow (${botUserToAlice.id} then ${sent.id})`);
      const incoming = await step(dc, 'user waits for the pushed update', () => got.promise);
      assert.ok(incoming instanceof Api.Message, `update carried ${incoming?.className}`);
      assert.equal(incoming.message, text);
      assert.equal(incoming.out, false);
      assert.equal(idOf(incoming.senderId), String(BOT.id));
      assert.equal(idOf(incoming.peerId?.userId), String(BOT.id));
    });

    it('messages.getHistory: the user reads her chat with the bot, newest first', async () => {
      need(alice, 'logged-in user');
      assert.equal(chat.length, 3, 'the three messages of the earlier steps were not all sent');
      const history = await step(dc, 'getMessages (messages.getHistory)', () => alice.getMessages(BOT.username, { limit: 10 }));
      assert.deepEqual(Array.from(history, (m) => m.message), [...chat].reverse());
      assert.deepEqual(Array.from(history, (m) => m.out), [false, true, false]);
      for (const m of history) {
        assert.ok(m instanceof Api.Message);
        assert.equal(idOf(m.peerId?.userId), String(BOT.id));
      }
      assert.ok(history[0].id > history[1].id && history[1].id > history[2].id, 'ids are not newest first');
    });

    it('a basic-group message from the bot reaches the user as a pushed update', async () => {
      need(bot, 'logged-in bot');
      need(alice, 'logged-in user');
      const group = new Api.InputPeerChat({ chatId: bigInt(GROUP.id) });
      const text = uniqueText(`to the group over ${transport}`);
      const got = waitFor((event) => (event.message?.message === text ? event.message : undefined));
      alice.addEventHandler(got.feed, new NewMessage({}));
      const sent = await step(dc, 'bot sendMessage to the group', () => bot.sendMessage(group, { message: text }));
      assert.ok(sent instanceof Api.Message, `sendMessage returned ${sent?.className}`);
      assert.equal(sent.message, text);
      assert.equal(idOf(sent.peerId?.chatId), String(GROUP.id));
      const incoming = await step(dc, 'user waits for the group update', () => got.promise);
      assert.equal(incoming.message, text);
      assert.equal(incoming.out, false);
      assert.equal(idOf(incoming.peerId?.chatId), String(GROUP.id));
      assert.equal(idOf(incoming.senderId), String(BOT.id));
      const chat = await step(dc, 'user getEntity(group)', () => alice.getEntity(new Api.PeerChat({ chatId: bigInt(GROUP.id) })));
      assert.ok(chat instanceof Api.Chat, `group entity ${chat?.className}`);
      assert.equal(chat.title, GROUP.title);
    });

    it('user login with 2FA: account.getPassword, SRP auth.checkPassword', async () => {
      bob = newClient(dc, Connection);
      await step(dc, 'connect() (2FA user)', () => bob.connect());
      const errors = [];
      let hint;
      const user = await step(dc, 'signInUser with password', () => bob.signInUser({ apiId: API_ID, apiHash: API_HASH }, {
        phoneNumber: `+${BOB.phone}`,
        phoneCode: async () => BOB.code,
        password: async (h) => { hint = h; return BOB.password; },
        onError: async (e) => { errors.push(e); return true; },
      }).catch((e) => { throw errors.length ? errors[0] : e; }));
      assert.equal(hint, BOB.hint, 'the password hint GramJS was given');
      assert.ok(user instanceof Api.User, `auth.checkPassword returned user ${user?.className}`);
      assert.equal(idOf(user.id), String(BOB.id));
      assert.equal(user.firstName, BOB.firstName);
      assert.equal(user.username, BOB.username);
      const me = await step(dc, 'getMe() (2FA user)', () => bob.getMe());
      assert.equal(idOf(me.id), String(BOB.id));
    });

    it(`bot login begun on DC ${OTHER_DC} follows USER_MIGRATE_${HOME_DC}`, async () => {
      migrated = newClient(dc, Connection, OTHER_DC);
      await step(dc, `connect() to DC ${OTHER_DC}`, () => migrated.connect());
      assert.equal(migrated.session.dcId, OTHER_DC);
      await step(dc, 'start({botAuthToken}) from another DC', () => migrated.start({ botAuthToken: BOT.token }));
      assert.equal(migrated.session.dcId, HOME_DC, 'GramJS did not move to the bot\'s home DC');
      const me = await step(dc, 'getMe() after migrating', () => migrated.getMe());
      assert.equal(idOf(me.id), String(BOT.id));
      assert.equal(me.bot, true);
      const nearest = await step(dc, 'help.getNearestDc after migrating', () => migrated.invoke(new Api.help.GetNearestDc()));
      assert.equal(nearest.thisDc, HOME_DC);
    });
  });
}
