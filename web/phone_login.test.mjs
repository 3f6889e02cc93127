// Phone login in the browser client (logInWithPhone of mtcore_client.mjs over
// the module's PhoneLogin) under node, over WebSocket against the native
// testdc: a 2FA account dialled on another DC (PHONE_MIGRATE: the home socket
// re-dialled) is asked for the code (a wrong one, then by SMS, then the
// right one) and the password (a wrong one, then the right one) and writes a
// message; a new number signs up and its future auth token logs the next
// client in without a code; an account the DC asks to set up a login email
// for gets onEmail (a refused address, a refused Google token, a good
// address), then the mailed code and the login code by email; a throwing
// prompt, abort, bad options and close() reject with clear errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOB, HOME_DC, OTHER_DC, worldConfig } from '../tests/peers/world.mjs';
import { startTestDcEnv } from './testdc_env.mjs';

let env;
let lib;
const connect = (options) => env.connect(options);

test.before(async () => {
  // Dora and Eli have to set up a login email first.
  const setup = (id, name) =>
    `user id=${id} phone=1555000${id} first_name=${name} dc=${HOME_DC} code=44444 login_email=setup\n`;
  env = await startTestDcEnv({ config: worldConfig() + setup(1009, 'Dora') + setup(1010, 'Eli') });
  ({ lib } = env);
});

test.after(async () => {
  if (env) await env.stop();
});

test('node: Bob (2FA) from another DC is asked for the code and the password until right, then writes', async () => {
  const app = await connect({ dc: OTHER_DC });
  const asked = [];
  try {
    let codes = 0;
    let passwords = 0;
    const me = await app.logInWithPhone({
      phone: `+${BOB.phone}`,
      onCode: async (how, refused) => {
        asked.push(`code ${how.type}/${how.nextType}/${how.length}/${how.timeout} ${refused}`);
        return ['99999', '', BOB.code][codes++];
      },
      onPassword: (hint, refused) => {
        asked.push(`password (${hint}) ${refused}`);
        return passwords++ === 0 ? 'hunter3' : BOB.password;
      },
    });
    assert.equal(me._, 'auth.authorization');
    assert.equal(me.user.id, String(BOB.id));
    assert.equal(typeof me.future_auth_token, 'string');
    assert.equal(app.dc, HOME_DC, 'moved to the account\'s DC');
    assert.deepEqual(asked, [
      'code app/sms/5/30 ',
      'code app/sms/5/30 auth.signIn: rpc error 400 PHONE_CODE_INVALID',
      'code sms//5/-1 ',
      'password (the usual) ',
      'password (the usual) auth.checkPassword: rpc error 400 PASSWORD_HASH_INVALID',
    ]);
    const resolved = await app.invoke({ _: 'contacts.resolveUsername', username: ALICE.username });
    const alice = resolved.users.find((u) => u.id === String(ALICE.id));
    const sent = await app.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: alice.id,
      access_hash: alice.access_hash }, message: 'hello from a phone login', random_id: 4343n });
    assert.match(sent._, /^updateShortSentMessage|updates$/);
    await assert.rejects(app.logInWithPhone({ phone: BOB.phone, onCode: () => '1' }), /logged in already/);
  } finally {
    app.close();
  }
});

test('node: a new number signs up; its future auth token logs the next client in without a code', async () => {
  const phone = '+44 7700 900777';
  const first = await connect();
  const names = [];
  let token;
  try {
    const me = await first.logInWithPhone({
      phone,
      onCode: () => '12345',
      onSignUp: (terms, refused) => {
        names.push(refused);
        return names.length === 1 ? { firstName: '' } : { firstName: 'Dana', lastName: 'Doe' };
      },
    });
    assert.equal(me.user.first_name, 'Dana');
    assert.deepEqual(names, ['', 'phone login: an empty first name']);
    token = me.future_auth_token;
  } finally {
    first.close();
  }
  const second = await connect();
  try {
    const me = await second.logInWithPhone({
      phone, futureAuthTokens: [token], onCode: () => { throw new Error('no code expected'); },
    });
    assert.equal(me.user.first_name, 'Dana');
    const self = await second.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
    assert.equal(self[0].first_name, 'Dana');
  } finally {
    second.close();
  }
});

test('node: a login email is set up when the DC asks (onEmail), then codes come by email', async () => {
  const app = await connect();
  const asked = [];
  try {
    const emails = ['dora@mail.invalid', { provider: 'google', token: 'id-token' }, 'dora@example.com'];
    const me = await app.logInWithPhone({
      phone: '+1 555 000 1009',
      onEmail: (allowed, refused) => {
        asked.push(`email ${allowed.googleAllowed}/${allowed.appleAllowed} ${refused}`);
        return emails[asked.length - 1];
      },
      onCode: (how, refused) => {
        asked.push(`code ${how.type} ${how.pattern} ${refused}`);
        return '44444';
      },
    });
    assert.equal(me.user.id, '1009');
    assert.deepEqual(asked, [
      'email false/false ',
      'email false/false account.sendVerifyEmailCode: rpc error 400 EMAIL_NOT_ALLOWED',
      'email false/false phone login: the DC does not allow signing in with Google here',
      'code email_code d***@example.com ',
      'code email_code d***@example.com ',
    ]);
  } finally {
    app.close();
  }
  // Without onEmail such a login rejects, naming what the DC asks for.
  const other = await connect();
  try {
    await assert.rejects(other.logInWithPhone({ phone: '+1 555 000 1010', onCode: () => '44444' }),
      /^Error: logInWithPhone: the DC asks to set up a login email first \(give onEmail\)$/);
  } finally {
    other.close();
  }
});

test('node: a 2FA account without onPassword, a throwing prompt, abort, bad options and close() reject clearly', async () => {
  const app = await connect();
  try {
    await assert.rejects(app.logInWithPhone({ phone: BOB.phone }), /onCode\(how, refused\) is required/);
    await assert.rejects(app.logInWithPhone({ phone: 15550001002, onCode: () => '' }), /phone is a string/);
    await assert.rejects(app.logInWithPhone({ phone: BOB.phone, onCode: () => '1', futureAuthTokens: ['%%'] }),
      /futureAuthTokens is an array of base64 strings/);
    // No onPassword: passwordNeeded, then checkPassword() on the same client.
    const needed = await app.logInWithPhone({ phone: BOB.phone, onCode: () => BOB.code }).catch((e) => e);
    assert.ok(needed instanceof lib.MtcoreError);
    assert.equal(needed.passwordNeeded, true);
    // A prompt that throws ends the login.
    const other = await connect();
    try {
      await assert.rejects(
        other.logInWithPhone({ phone: ALICE.phone, onCode: async () => { throw new Error('dialog closed'); } }),
        /code prompt failed: Error: dialog closed/);
      // Abort while the prompt waits.
      const controller = new AbortController();
      const login = other.logInWithPhone({
        phone: ALICE.phone, signal: controller.signal,
        onCode: () => { controller.abort(); return new Promise(() => {}); },
      });
      await assert.rejects(login, /cancelled/);
      // close() while a login waits for its prompt.
      const pending = other.logInWithPhone({ phone: ALICE.phone, onCode: () => new Promise(() => {}) });
      await new Promise((r) => setTimeout(r, 200));
      other.close();
      await assert.rejects(pending, /the client is closed/);
    } finally {
      other.close();
    }
    const me = await app.checkPassword(BOB.password);
    assert.equal(me.user.id, String(BOB.id));
  } finally {
    app.close();
  }
});
