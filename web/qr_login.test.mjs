// QR login in the browser client (logInWithQr of mtcore_client.mjs over the
// module's QrLogin) under node, over WebSocket against the native testdc: a
// new client shows a tg://login URL, a second client logged in as the
// account accepts its token (auth.acceptLoginToken) and the first resolves
// logged in and writes a message: on the same DC, and on the account's DC
// (loginTokenMigrateTo: the home socket re-dialled there); a 2FA account
// ends in passwordNeeded, then proves the password with checkPassword()
// (SRP in the module; a wrong one refused first); a schema that cannot read
// the authorization resolves all the same ($unreadable, with its bytes);
// abort, bad options and close() reject with clear errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, HOME_DC, OTHER_DC, worldConfig } from '../tests/peers/world.mjs';
import { logInUser, startTestDcEnv } from './testdc_env.mjs';

// An account living on another DC than the one the new client dials.
const CAROL = { id: 1003, phone: '15550001003', code: '33333', username: 'carol' };

let env;
let lib;
const connect = (options) => env.connect(options);

// A client logged in as `user` with its code (and its 2FA password).
async function logIn(user) {
  const c = await connect();
  await logInUser(c, user);
  return c;
}

// The token of a tg://login?token=<base64url> URL.
function tokenOfUrl(url) {
  assert.match(url, /^tg:\/\/login\?token=[A-Za-z0-9_-]+$/);
  return new Uint8Array(Buffer.from(url.slice('tg://login?token='.length), 'base64url'));
}

// `scanner` accepts the first URL `app` shows; the login's promise and the URLs shown.
function scanLogin(app, scanner, options = {}) {
  const urls = [];
  const accepted = [];
  const login = app.logInWithQr({
    ...options,
    onUrl: (url, expiresAt) => {
      urls.push({ url, expiresAt });
      if (urls.length === 1) {
        accepted.push(scanner.invoke({ _: 'auth.acceptLoginToken', token: tokenOfUrl(url) }));
      }
    },
  });
  return { login, urls, accepted };
}

test.before(async () => {
  const config = worldConfig() +
    `user id=${CAROL.id} phone=${CAROL.phone} first_name=Carol last_name=White username=${CAROL.username} ` +
    `dc=${OTHER_DC} code=${CAROL.code}\n`;
  env = await startTestDcEnv({ config });
  ({ lib } = env);
});

test.after(async () => {
  if (env) await env.stop();
});

test('node: Alice scans the URL with her logged-in client; the new client is logged in and writes', async () => {
  const alice = await logIn(ALICE);
  const app = await connect();
  try {
    const before = Date.now();
    const { login, urls, accepted } = scanLogin(app, alice, { exceptIds: [BOB.id, String(CAROL.id), 7001n] });
    const me = await login;
    assert.equal(me._, 'auth.authorization');
    assert.equal(me.user.id, String(ALICE.id));
    assert.equal(urls.length, 1);
    // Valid for 30 s of the DC's clock.
    assert.ok(urls[0].expiresAt > before + 25000 && urls[0].expiresAt < Date.now() + 31000, String(urls[0].expiresAt));
    const auth = await accepted[0];
    assert.equal(auth._, 'authorization');
    assert.equal(app.dc, HOME_DC);
    // Logged in: it writes to Bob.
    const resolved = await app.invoke({ _: 'contacts.resolveUsername', username: BOB.username });
    const bob = resolved.users.find((u) => u.id === String(BOB.id));
    const sent = await app.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: bob.id,
      access_hash: bob.access_hash }, message: 'hello from a QR login', random_id: 4242n });
    assert.match(sent._, /^updateShortSentMessage|updates$/);
    // The token is spent; a second login is refused (logged in).
    await assert.rejects(alice.invoke({ _: 'auth.acceptLoginToken', token: tokenOfUrl(urls[0].url) }),
      /AUTH_TOKEN_ALREADY_ACCEPTED/);
    await assert.rejects(app.logInWithQr({ onUrl: () => {} }), /logged in already/);
  } finally {
    app.close();
    alice.close();
  }
});

test('node: Carol lives on another DC: the new client moves there (its socket re-dialled) and writes', async () => {
  const carol = await logIn(CAROL);
  assert.equal(carol.dc, OTHER_DC, 'Carol followed PHONE_MIGRATE to her home DC');
  const app = await connect();
  const connected = [];
  app.onEvent((e) => {
    if (e.type === 'connected' && e.mediaDc === undefined) connected.push(e.dc);
  });
  try {
    const { login } = scanLogin(app, carol);
    const me = await login;
    assert.equal(me.user.id, String(CAROL.id));
    assert.equal(app.dc, OTHER_DC);
    assert.deepEqual(connected, [HOME_DC, OTHER_DC]);
    const resolved = await app.invoke({ _: 'contacts.resolveUsername', username: ALICE.username });
    const alice = resolved.users.find((u) => u.id === String(ALICE.id));
    await app.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: alice.id,
      access_hash: alice.access_hash }, message: 'hi from DC 4', random_id: 4243n });
  } finally {
    app.close();
    carol.close();
  }
});

test('node: a 2FA account ends in passwordNeeded, then the password is proved with SRP', async () => {
  const bob = await logIn(BOB);
  const app = await connect();
  try {
    const { login } = scanLogin(app, bob);
    const error = await login.then(() => assert.fail('logged in without the password'), (e) => e);
    assert.ok(error instanceof lib.MtcoreError, String(error));
    assert.equal(error.passwordNeeded, true);
    assert.equal(error.code, 401);
    assert.equal(error.errorMessage, 'SESSION_PASSWORD_NEEDED');
    const pw = await app.invoke({ _: 'account.getPassword' });
    assert.equal(pw.hint, BOB.hint);
    // The SRP proof is made in the module (core/client/password_check).
    const wrong = await app.checkPassword(`${BOB.password}!`).then(
      () => assert.fail('a wrong password was accepted'), (e) => e);
    assert.ok(wrong instanceof lib.MtcoreError, String(wrong));
    assert.equal(wrong.errorMessage, 'PASSWORD_HASH_INVALID');
    await assert.rejects(app.checkPassword(42), /the password must be a string/);
    const me = await app.checkPassword(BOB.password);
    assert.equal(me.user.id, String(BOB.id));
    await app.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  } finally {
    app.close();
    bob.close();
  }
});

test('node: a schema that cannot read the authorization still resolves the login, with its bytes', async () => {
  // The page's schema with `user` under another id, in a module of its own
  // (a module's clients share their schema).
  const schema = JSON.parse(env.schema);
  const user = schema.e.find((d) => d.kind === 'class' && d.name === 'user');
  user.id = (user.id ^ 0x01000000) >>> 0;
  const other = await env.createModule({ wasmBinary: env.wasmBinary });
  const alice = await logIn(ALICE);
  const app = await connect({ module: other, schema: JSON.stringify(schema) });
  try {
    const { login } = scanLogin(app, alice);
    const me = await login;
    assert.equal(me._, '$unreadable');
    assert.equal(me.userId, String(ALICE.id));
    assert.match(me.reason, /^the schema cannot read the auth\.Authorization: /);
    const bytes = lib.fromBase64(me.bytes);
    // auth.authorization#2ea2c0d4, little-endian, then its fields.
    assert.deepEqual([...bytes.subarray(0, 4)], [0xd4, 0xc0, 0xa2, 0x2e]);
    // Logged in indeed: a call that returns no user works.
    const config = await app.invoke({ _: 'help.getConfig' });
    assert.equal(config._, 'config');
    // A call whose answer holds a user: it ran, so the rejection says so and
    // carries the answer (a Vector<User>: 1cb5c415, one element).
    const unread = await app.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] })
      .then(() => assert.fail('the schema read a user it cannot read'), (e) => e);
    assert.ok(unread instanceof lib.MtcoreError);
    assert.equal(unread.code, 0);
    assert.equal(unread.executed, true);
    assert.equal(unread.resultType, 'Vector<User>');
    assert.match(unread.message, /^cannot read the result as Vector<User>: /);
    assert.deepEqual([...unread.resultBytes.subarray(0, 8)], [0x15, 0xc4, 0xb5, 0x1c, 1, 0, 0, 0]);
    const cancelled = await app.invoke({ _: 'help.getConfig' }, { signal: AbortSignal.abort() })
      .then(() => assert.fail('an aborted call resolved'), (e) => e);
    assert.equal(cancelled.executed, false);
    await assert.rejects(app.logInWithQr({ onUrl: () => {} }), /logged in already/);
  } finally {
    app.close();
    alice.close();
  }
});

test('node: abort, a throwing onUrl, bad options and close() end the login with clear errors', async () => {
  const app = await connect();
  try {
    await assert.rejects(app.logInWithQr({}), /onUrl\(url, expiresAt\) is required/);
    await assert.rejects(app.logInWithQr({ onUrl: () => {}, exceptIds: [-5] }), /exceptIds: number -5 is not a user id/);
    await assert.rejects(app.logInWithQr({ onUrl: () => {}, exceptIds: 'x' }), /exceptIds is an array/);
    await assert.rejects(app.logInWithQr({ onUrl: () => {}, apiHash: '' }), /api_id and api_hash are required/);

    // Aborted once the URL is shown.
    const controller = new AbortController();
    let shown = 0;
    const aborted = app.logInWithQr({ signal: controller.signal, onUrl: () => {
      ++shown;
      controller.abort();
    } });
    await assert.rejects(app.logInWithQr({ onUrl: () => {} }), /running already/);
    await assert.rejects(aborted, (e) => e instanceof lib.MtcoreError && e.code === 0 && e.message === 'cancelled');
    assert.equal(shown, 1);

    // onUrl throws: the login is cancelled saying so.
    await assert.rejects(app.logInWithQr({ onUrl: () => { throw new Error('no canvas'); } }),
      /logInWithQr: onUrl failed: Error: no canvas/);

    // close() while it waits for a scan.
    let closed;
    const waiting = new Promise((resolve) => {
      closed = app.logInWithQr({ onUrl: resolve });
    });
    await waiting;
    app.close();
    await assert.rejects(closed, /the client is closed/);
    await assert.rejects(app.logInWithQr({ onUrl: () => {} }), /the client is closed/);
  } finally {
    app.close();
  }
});
