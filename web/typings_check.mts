// Compiled by //web:typings_test with tsc --strict: how a TypeScript app uses
// the client. Lines under @ts-expect-error must not compile (tsc fails if
// they do).
import createModule from './mtcore.mjs';
import { MtcoreClient, MtcoreError, fromBase64, toTlJson, type ClientEvent, type UpdateEvent, type tl } from './mtcore_client.mjs';

interface User {
  _: 'user';
  id: string;
  access_hash?: string;
}

export async function example(schema: string, pem: string): Promise<string> {
  const module = await createModule({ wasmBinary: new Uint8Array(8) });
  if (module.UTF8ToString(module._mtcore_self_check()) !== '') throw new Error('self check');
  const client = await MtcoreClient.create({
    module, schema, dc: 2, rsaKey: pem, apiId: 1, url: (dc) => `wss://dc${dc}.example/apiws`,
  });
  const withPfs = await MtcoreClient.create({ module, schema, url: () => 'wss://x', pfs: true, dcDialAttempts: 5 });
  withPfs.close();
  (await MtcoreClient.create({ module, schema, url: () => 'wss://x', pfs: { tempKeyLifetimeS: 3600 } })).close();
  const stop = client.onUpdate((u: UpdateEvent) => {
    if (u.update._ === 'updateNewMessage') console.log(u.users.length, u.entityErrors?.join(','));
  });
  client.onEvent((e: ClientEvent) => {
    if (e.type === 'connected') console.log(e.dc.toFixed());
    if (e.type === 'updatesTooLong') console.log(e.channelId.length);
    if (e.type === 'tempKeyBound') console.log(new Date(e.expiresAt * 1000));
    if (e.type === 'bindFailed') console.log(e.code, e.message.length, e.reason);
    if (e.type === 'dcConnectionOpened') console.log(e.link.toFixed(), e.dc.toFixed());
    if (e.type === 'dcConnectionClosed') console.log(e.message.length);
    if (e.mediaDc !== undefined && e.type === 'disconnected') console.log(e.mediaDc.toFixed(), e.why);
    if (e.type === 'dialFailed') console.log(e.dc.toFixed(), e.why.length);
  });
  const users = await client.invoke<User[]>({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  await client.invoke({
    _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: BigInt(users[0].id), access_hash: 0n },
    message: 'hi', random_id: 5n,
  }, { timeoutMs: 1000, signal: new AbortController().signal });
  await client.invoke({
    _: 'messages.getBotCallbackAnswer', peer: { _: 'inputPeerSelf' }, data: fromBase64('AAE='), msg_id: 1,
  });
  try {
    await client.invoke({ _: 'help.getConfig' });
  } catch (e) {
    if (e instanceof MtcoreError && e.code === 420) console.log(e.errorMessage);
    else if (e instanceof MtcoreError && e.executed) console.log(e.resultType, e.resultBytes?.length);
  }
  for await (const { message, users } of client.iterHistory({ _: 'inputPeerSelf' }, { pageSize: 50, maxMessages: 130 })) {
    if (message._ === 'message') console.log(message.id.toFixed(), message.message, users.length);
    break;
  }
  for await (const { message } of client.iterSearch({ _: 'inputPeerSelf' }, {
    query: 'invoice', filter: { _: 'inputMessagesFilterDocument' }, from: { _: 'inputPeerSelf' }, minDate: 0,
  })) {
    if (message._ === 'message') console.log(message.message);
  }
  for await (const { participant, user } of client.iterMembers(
    { _: 'inputChannel', channel_id: 1n, access_hash: 2n }, { filter: { _: 'channelParticipantsBots' }, maxMembers: 5 })) {
    console.log(participant._, user?._);
  }
  for await (const d of client.iterDialogs({ pageSize: 1, excludePinned: true, folderId: 0, signal: AbortSignal.timeout(5000) })) {
    console.log(d.dialog._, d.message?._, d.chats.length, d.entryErrors?.join(','));
  }
  const controller = new AbortController();
  try {
    const me = await client.logInWithQr({
      onUrl: (url: string, expiresAt: number) => console.log(url, new Date(expiresAt)),
      exceptIds: [1001, '1002', 1003n], signal: controller.signal, apiHash: 'abc',
    });
    if (me._ === 'auth.authorization') console.log(me.user._);
    else if (me._ === '$unreadable') console.log(me.userId, fromBase64(me.bytes).length, me.reason);
  } catch (e) {
    if (e instanceof MtcoreError && e.passwordNeeded) {
      const me = await client.checkPassword('hunter2', { timeoutMs: 10000 });
      if (me._ === 'auth.authorization') console.log(me.user._);
    }
  }
  const file = await client.uploadFile({ size: 3, read: async () => new Uint8Array(3) },
    { fileName: 'a.bin', readTimeoutMs: 30000 });
  console.log(file._);
  const byPhone = await client.logInWithPhone({
    phone: '+44 7700 900123', futureAuthTokens: ['AAAA'], signal: controller.signal,
    onCode: async (how, refused) => (how.nextType && refused ? '' : String(how.length)),
    onPassword: (hint) => hint,
    onSignUp: (terms) => { console.log(terms?.text); return { firstName: 'Ann' }; },
    onEmail: async (allowed, refused) =>
      (allowed.googleAllowed && !refused ? { provider: 'google' as const, token: 'id-token' } : 'ann@example.com'),
  });
  if (byPhone._ === 'auth.authorization') console.log(byPhone.future_auth_token);
  const saved: Uint8Array = client.snapshot();
  stop();
  client.close();
  return toTlJson({ _: 'x', a: saved, b: 1n }) + client.dc;
}

export async function misuse(client: MtcoreClient): Promise<void> {
  // @ts-expect-error: a call names its method in `_`
  await client.invoke({ peer: {} });
  // @ts-expect-error: a symbol is no TL value
  await client.invoke({ _: 'help.getConfig', x: Symbol('x') });
  // @ts-expect-error: the timeout is a number of ms
  await client.invoke({ _: 'help.getConfig' }, { timeoutMs: '5' });
  client.onEvent((e) => {
    // @ts-expect-error: 'connected' events carry a dc, not a message
    if (e.type === 'connected') console.log(e.message);
  });
  client.onEvent((e) => {
    // @ts-expect-error: a failed dial says why, not a message
    if (e.type === 'dialFailed') console.log(e.message.length);
  });
  // @ts-expect-error: the module's client entry points are internal (MtcoreClient drives them)
  (await createModule())._mtcore_client_new();
  // @ts-expect-error: the DC is read-only
  client.dc = 3;
  // @ts-expect-error: url is required
  await MtcoreClient.create({ module: await createModule(), schema: '' });
  // @ts-expect-error: the temporary key lifetime is a number of seconds
  await MtcoreClient.create({ module: await createModule(), schema: '', url: () => '', pfs: { tempKeyLifetimeS: '1h' } });
  // @ts-expect-error: the page size is a number
  client.iterHistory({ _: 'inputPeerSelf' }, { pageSize: '50' });
  // @ts-expect-error: a walk is stopped by an AbortSignal, not by its controller
  client.iterHistory({ _: 'inputPeerSelf' }, { signal: new AbortController() });
  // @ts-expect-error: options are camelCase (pageSize)
  client.iterDialogs({ page_size: 5 });
  // @ts-expect-error: the history of a peer: an InputPeer, not a User
  client.iterHistory({ _: 'inputUserSelf' });
  for await (const d of client.iterDialogs()) {
    // @ts-expect-error: a dialog's top message may be missing
    console.log(d.message._);
  }
  // @ts-expect-error: the read timeout is a number of ms
  await client.uploadFile(new Uint8Array(3), { readTimeoutMs: '60s' });
  // @ts-expect-error: the login may end in an authorization the schema cannot read
  const login: tl.auth.Authorization = await client.logInWithQr({ onUrl: () => {} });
  console.log(login);
  // @ts-expect-error: the password is a string
  await client.checkPassword(new TextEncoder().encode('hunter2'));
  // @ts-expect-error: onCode is required
  await client.logInWithPhone({ phone: '+1 555' });
  // @ts-expect-error: the phone number is a string
  await client.logInWithPhone({ phone: 15550001002, onCode: () => '1' });
  // @ts-expect-error: the code is a string
  await client.logInWithPhone({ phone: '+1', onCode: () => 12345 });
  // @ts-expect-error: onSignUp gives a first name
  await client.logInWithPhone({ phone: '+1', onCode: () => '1', onSignUp: () => ({ lastName: 'Doe' }) });
  // @ts-expect-error: a token names its provider
  await client.logInWithPhone({ phone: '+1', onCode: () => '1', onEmail: () => ({ token: 't' }) });
  // @ts-expect-error: onUrl is required
  await client.logInWithQr({ exceptIds: [1] });
  // @ts-expect-error: onUrl gets the URL as a string
  await client.logInWithQr({ onUrl: (url: Uint8Array) => console.log(url) });
  // @ts-expect-error: user ids, not users
  await client.logInWithQr({ onUrl: () => {}, exceptIds: [{ _: 'inputUserSelf' }] });
  client.onEvent((e) => {
    // @ts-expect-error: 'tempKeyBound' events carry expiresAt, not a message
    if (e.type === 'tempKeyBound') console.log(e.message);
  });
}
