// Compiled by //web:typings_test with tsc --strict against the generated
// layer-228 declarations (mtcore_api.d.mts): typed calls and results. Lines
// under @ts-expect-error must not compile (tsc fails if they do).
import type { MtcoreModule } from './mtcore.mjs';
import {
  MtcoreClient, createTextFormatter, fromBase64, type FormattedText, type Methods, type RawString, type ResultOf,
  type In, type TextFormatter, type TlRequest, type fn, type tl,
} from './mtcore_client.mjs';

export async function typedCalls(client: MtcoreClient): Promise<string[]> {
  const seen: string[] = [];
  // A vector result; longs are strings, true flags optional booleans.
  const users: tl.User[] = await client.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  for (const u of users) {
    if (u._ === 'user') {
      const id: string = u.id;
      const bot: boolean | undefined = u.bot;
      const name: string | RawString | undefined = u.first_name;
      if (typeof name === 'string') seen.push(id, name, String(bot));
    }
  }
  // Longs as bigint, number or string; bytes as Uint8Array or base64.
  const sent: tl.Updates = await client.invoke({
    _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: 5n, access_hash: '-42' },
    message: 'hi', random_id: 7, silent: true, entities: [{ _: 'messageEntityBold', offset: 0, length: 2 }],
  }, { timeoutMs: 1000 });
  if (sent._ === 'updateShortSentMessage') seen.push(String(sent.id + sent.pts));
  const saved: boolean = await client.invoke({
    _: 'upload.saveFilePart', file_id: 1n, file_part: 0, bytes: new Uint8Array([1, 2]),
  });
  const answer: tl.messages.BotCallbackAnswer = await client.invoke({
    _: 'messages.getBotCallbackAnswer', peer: { _: 'inputPeerSelf' }, data: fromBase64('AAE='), msg_id: 1,
  });
  // Dotted names: the union of messages.Messages, narrowed by `_`.
  const history = await client.invoke({
    _: 'messages.getHistory', peer: { _: 'inputPeerSelf' }, offset_id: 0, offset_date: 0, add_offset: 0,
    limit: 10, max_id: 0, min_id: 0, hash: 0n,
  });
  if (history._ === 'messages.channelMessages') seen.push(String(history.pts));
  if (history._ !== 'messages.messagesNotModified') {
    for (const m of history.messages) if (m._ === 'message' && typeof m.message === 'string') seen.push(m.message);
  }
  // Wrappers give the result of the call inside them.
  const config: tl.Config = await client.invoke({ _: 'invokeWithoutUpdates', query: { _: 'help.getConfig' } });
  const nested: tl.User[] = await client.invoke({
    _: 'invokeWithLayer', layer: 228,
    query: { _: 'invokeWithoutUpdates', query: { _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] } },
  });
  const dc: number = config.this_dc;
  // The generated names by themselves.
  const request: fn.contacts.resolveUsername = { _: 'contacts.resolveUsername', username: 'echo_bot' };
  const resolved: ResultOf<typeof request> = await client.invoke(request);
  const sameType: Methods['contacts.resolveUsername']['result'] = resolved;
  const peer: tl.Peer = sameType.peer;
  // Updates carry typed objects.
  client.onUpdate(({ update, users: from }) => {
    if (update._ === 'updateNewMessage' && update.message._ === 'message') seen.push(update.message.id.toFixed());
    if (from[0]?._ === 'user') seen.push(from[0].id);
  });
  // A method of a custom schema, or a request built at run time: the caller
  // names the result type.
  const pong = await client.invoke<{ _: 'pong'; ping_id: string }>({ _: 'custom.ping', ping_id: 1n });
  const dynamic: TlRequest = { _: 'help.getNearestDc' };
  const anything = await client.invoke<any>(dynamic);
  seen.push(String(saved), String(answer.alert), String(nested.length), String(dc), peer._, pong.ping_id,
    String(anything));
  return seen;
}

// The quickstart's conversation (web/quickstart.mjs), typed.
export async function quickstart(bot: MtcoreClient, alice: MtcoreClient, token: string): Promise<string> {
  const login = await bot.invoke({
    _: 'auth.importBotAuthorization', flags: 0, api_id: 1, api_hash: 'hash', bot_auth_token: token,
  });
  if (login._ !== 'auth.authorization' || login.user._ !== 'user' || !login.user.bot) throw new Error('bot login');
  const botId: string = login.user.id;
  const sent = await alice.invoke({
    _: 'auth.sendCode', phone_number: '+15550001001', api_id: 1, api_hash: 'hash', settings: { _: 'codeSettings' },
  });
  if (sent._ !== 'auth.sentCode') throw new Error('sendCode');
  const auth = await alice.invoke({
    _: 'auth.signIn', phone_number: '+15550001001', phone_code_hash: sent.phone_code_hash, phone_code: '11111',
    email_verification: null,
  });
  if (auth._ !== 'auth.authorization') throw new Error('signIn');
  const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: 'echo_bot' });
  const botUser = resolved.users.find((u): u is tl.user => u._ === 'user' && u.id === botId);
  if (!botUser?.access_hash) throw new Error('resolveUsername');
  const text = `hello ${auth.user.id}`;
  const got = new Promise<tl.Message>((resolve) => bot.onUpdate(({ update }) => {
    if (update._ === 'updateNewMessage' && update.message._ === 'message' && update.message.message === text) {
      resolve(update.message);
    }
  }));
  await alice.invoke({
    _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: botUser.id, access_hash: botUser.access_hash },
    message: text, random_id: String(Date.now()), reply_to: null,
  });
  const message = await got;
  const from = message._ === 'message' ? message.from_id ?? message.peer_id : null;
  return from?._ === 'peerUser' ? from.user_id : '';
}

export async function misuse(client: MtcoreClient): Promise<void> {
  // @ts-expect-error: random_id is required
  await client.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerSelf' }, message: 'hi' });
  // @ts-expect-error: the message is a string
  await client.invoke({ _: 'messages.sendMessage', peer: { _: 'inputPeerSelf' }, message: 5, random_id: 1n });
  // @ts-expect-error: a user id is a long, not a boolean
  await client.invoke({ _: 'users.getUsers', id: [{ _: 'inputUser', user_id: true, access_hash: 0n }] });
  // @ts-expect-error: no InputPeer constructor has this name
  await client.invoke({ _: 'messages.getHistory', peer: { _: 'inputPeerNobody' }, offset_id: 0, offset_date: 0,
    add_offset: 0, limit: 10, max_id: 0, min_id: 0, hash: 0n });
  // @ts-expect-error: no such method (and no result type named)
  await client.invoke({ _: 'messages.sendMesage', peer: { _: 'inputPeerSelf' } });
  // @ts-expect-error: help.getConfig has no fields
  await client.invoke({ _: 'help.getConfig', bogus: 1 });
  // @ts-expect-error: no such method inside a wrapper
  await client.invoke({ _: 'invokeWithoutUpdates', query: { _: 'help.getConfg' } });
  const config = await client.invoke({ _: 'help.getConfig' });
  // @ts-expect-error: Config has no such field
  console.log(config.nonexistent);
  // @ts-expect-error: a result is what the method returns
  const wrong: tl.User[] = await client.invoke({ _: 'help.getConfig' });
  const users = await client.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  // @ts-expect-error: userEmpty has no first_name until narrowed
  console.log(users[0].first_name);
  // @ts-expect-error: results carry longs as strings
  const id: bigint = users[0].id;
  // @ts-expect-error: bytes in results are base64 strings
  const bytes: Uint8Array = (await client.invoke({ _: 'upload.getFile', location: { _: 'inputPeerPhotoFileLocationLegacy', peer: { _: 'inputPeerSelf' }, volume_id: 1n, local_id: 1 }, offset: 0n, limit: 1024 }) as tl.upload.file).bytes;
  const dynamic: TlRequest = { _: 'help.getConfig' };
  // @ts-expect-error: a request built at run time names its result type
  await client.invoke(dynamic);
  console.log(wrong, id, bytes);
}

export async function files(client: MtcoreClient, data: Uint8Array): Promise<number> {
  // An upload gives the InputFile that sendMedia takes; a document from a
  // message downloads to bytes.
  const file: tl.InputFile = await client.uploadFile(data, {
    fileName: 'a.bin', onProgress: ({ done, total }) => console.log(done / total),
  });
  const sent = await client.invoke({
    _: 'messages.sendMedia', peer: { _: 'inputPeerSelf' }, message: '', random_id: 1n,
    media: { _: 'inputMediaUploadedDocument', file, mime_type: 'application/octet-stream', attributes: [] },
  });
  let size = 0;
  if (sent._ === 'updates') {
    for (const u of sent.updates) {
      if (u._ === 'updateNewMessage' && u.message._ === 'message' && u.message.media?._ === 'messageMediaDocument'
          && u.message.media.document?._ === 'document') {
        const bytes: Uint8Array = await client.downloadDocument(u.message.media.document,
          { signal: new AbortController().signal });
        size += bytes.length;
      }
    }
  }
  // Streaming: from a Blob or a source read part by part; down chunk by chunk.
  await client.uploadFile(new File(['hello'], 'a.txt'), { partSize: 65536 });
  await client.uploadFile({ size: 10, read: async (offset, length) => data.subarray(offset, offset + length) });
  const location: tl.InputFileLocation = { _: 'inputDocumentFileLocation', id: '1', access_hash: '2',
    file_reference: '', thumb_size: '' };
  const streamed: number = await client.downloadFile(location, {
    size: 10, onData: async (offset, chunk) => console.log(offset + chunk.length),
  });
  const reader = client.downloadStream(location).getReader();
  const first = await reader.read();
  if (!first.done) size += first.value.length + streamed;
  // @ts-expect-error: an upload takes bytes, not text
  await client.uploadFile('text');
  // @ts-expect-error: a source's read gets an offset and a length, both numbers
  await client.uploadFile({ size: 1, read: (offset: string) => new Uint8Array(offset.length) });
  // @ts-expect-error: a streamed download resolves with its size, not bytes
  const notBytes: Uint8Array = await client.downloadFile(location, { onData: () => {} });
  // @ts-expect-error: a download resolves with bytes, not a string
  const wrong: string = await client.downloadFile({ _: 'inputDocumentFileLocation', id: '1', access_hash: '2',
    file_reference: '', thumb_size: '' });
  console.log(wrong, notBytes);
  return size;
}

// Formatted text: HTML or MarkdownV2 out through sendText, received entities
// back to HTML; parse results are typed entities.
export async function formattedText(client: MtcoreClient, module: MtcoreModule, schema: string): Promise<string[]> {
  const fmt: TextFormatter = createTextFormatter({ module, schema });
  const parsed: FormattedText = fmt.parseHtml('<b>hi</b> <a href="tg://user?id=5">you</a>');
  const out: string[] = [parsed.text];
  for (const e of parsed.entities) {
    if (e._ === 'messageEntityMentionName') out.push(e.user_id);
    else out.push(String(e.offset + e.length));
  }
  const md: FormattedText = fmt.parseMarkdownV2('*hi*');
  const peer: tl.InputPeer<In> = { _: 'inputPeerUser', user_id: 5n, access_hash: '-1' };
  const sent: tl.Updates = await client.sendText(peer, { html: '<b>hi</b>' }, { silent: true, timeoutMs: 1000 });
  await client.sendText({ _: 'inputPeerSelf' }, { markdown: '*hi*' }, { random_id: 7n, reply_to: null });
  await client.sendText({ _: 'inputPeerSelf' }, md);
  await client.sendText({ _: 'inputPeerSelf' }, {
    text: 'hi you', entities: [{ _: 'messageEntityMentionName', offset: 3, length: 3, user_id: 5n }],
  });
  client.onUpdate(({ update }) => {
    if (update._ === 'updateNewMessage' && update.message._ === 'message' && typeof update.message.message === 'string') {
      out.push(fmt.toHtml(update.message.message, update.message.entities));
      out.push(fmt.toMarkdownV2(update.message.message, update.message.entities ?? []));
    }
  });
  out.push(fmt.toHtml('plain'), sent._);
  return out;
}

export async function formattedTextMisuse(client: MtcoreClient, fmt: TextFormatter): Promise<void> {
  // @ts-expect-error: one of html, markdown or text
  await client.sendText({ _: 'inputPeerSelf' }, { html: '<b>a</b>', markdown: '*a*' });
  // @ts-expect-error: the message comes from the formatted text
  await client.sendText({ _: 'inputPeerSelf' }, { html: 'a' }, { message: 'x' });
  // @ts-expect-error: a peer is an InputPeer
  await client.sendText({ _: 'inputUserSelf' }, { html: 'a' });
  // @ts-expect-error: entities are MessageEntity objects
  await client.sendText({ _: 'inputPeerSelf' }, { text: 'a', entities: [{ offset: 0, length: 1 }] });
  // @ts-expect-error: the writers take the text and its entities, not a message
  fmt.toHtml({ text: 'a', entities: [] });
  // @ts-expect-error: parse results carry longs as strings
  const id: bigint = (fmt.parseHtml('<a href="tg://user?id=5">x</a>').entities[0] as tl.messageEntityMentionName).user_id;
  console.log(id);
}
