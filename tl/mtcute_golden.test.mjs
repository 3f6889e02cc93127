// Golden bytes against an independent implementation: mtcute's TL runtime
// (@mtcute/tl-runtime 0.31.0 with the layer-228 reader/writer maps of the
// pinned @mtcute/core 0.31.0 tarball) serializes objects built here; the
// generated C++ API (//tl:api, compiled to WebAssembly with tl/golden_probe.cc)
// must parse those bytes, print exactly the field values mtcute reads back
// from them, and re-serialize them to the same bytes.
//
// The expected text is rendered from mtcute's own reading of the bytes in the
// format of mtcore's tl::to_string() (tl/printer.h), walking the layer-228
// schema (api-schema.json): TL field names, absent optional fields and unset
// `true` flags left out, longs in decimal, strings and bytes quoted with C
// escapes for control bytes, vectors in brackets.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const runfiles = process.env.TEST_SRCDIR ?? path.resolve(here, '..', '..');
const external = (repo, file) => path.join(runfiles, repo, file);
// node_test runs node with --preserve-symlinks: import npm packages from their
// real location so their own dependencies resolve.
const importReal = (p) => import(pathToFileURL(realpathSync(p)).href);

const { TlBinaryWriter, TlBinaryReader } = await importReal(external('npm', '@mtcute/tl-runtime/index.js'));
const { default: Long } = await importReal(external('npm', 'long/index.js'));
const { __tlWriterMap } = await importReal(external('mtcute_schema', 'package/tl/binary/writer.js'));
const { __tlReaderMap } = await importReal(external('mtcute_schema', 'package/tl/binary/reader.js'));
const schema = JSON.parse(readFileSync(external('mtcute_schema', 'package/tl/api-schema.json'), 'utf8'));
const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcute_golden_module.mjs')).href);
const mod = await createModule({ wasmBinary: readFileSync(path.join(here, 'mtcute_golden_module.wasm')) });

// --- mtcore through the wasm probe -------------------------------------------

function mtcoreParse(type, bytes) {
  const ptr = mod._malloc(Math.max(bytes.length, 1));
  const typePtr = mod._malloc(mod.lengthBytesUTF8(type) + 1);
  try {
    mod.HEAPU8.set(bytes, ptr);
    mod.stringToUTF8(type, typePtr, mod.lengthBytesUTF8(type) + 1);
    const rc = mod._mtcore_tl_golden_parse(typePtr, ptr, bytes.length);
    if (rc !== 0) return { error: mod.UTF8ToString(mod._mtcore_tl_golden_error()) };
    const copy = (p, n) => Buffer.from(mod.HEAPU8.subarray(p, p + n));
    return {
      bytes: copy(mod._mtcore_tl_golden_bytes(), mod._mtcore_tl_golden_bytes_size()),
      text: copy(mod._mtcore_tl_golden_text(), mod._mtcore_tl_golden_text_size()),
    };
  } finally {
    mod._free(ptr);
    mod._free(typePtr);
  }
}

// --- mtcore's to_string() format, rendered from mtcute's objects ---------------

const byName = new Map(schema.e.filter((e) => e.kind === 'class').map((e) => [e.name, e]));
const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function escapeBytes(bytes) {
  const out = [0x22];
  for (const c of bytes) {
    if (c === 0x22) out.push(0x5c, 0x22);
    else if (c === 0x5c) out.push(0x5c, 0x5c);
    else if (c === 0x0a) out.push(0x5c, 0x6e);
    else if (c === 0x0d) out.push(0x5c, 0x72);
    else if (c === 0x09) out.push(0x5c, 0x74);
    else if (c < 0x20 || c === 0x7f) out.push(...Buffer.from('\\x' + c.toString(16).padStart(2, '0')));
    else out.push(c);
  }
  out.push(0x22);
  return Buffer.from(out);
}

// printf("%g").
function formatG(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const strip = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [m, e] = x.toExponential(5).split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return strip(m) + 'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
  return strip(x.toFixed(5 - exp));
}

function renderScalar(v, type) {
  switch (type) {
    case 'int': case '#': case 'int53':
      assert.ok(Number.isSafeInteger(v), `${type} value ${v}`);
      return Buffer.from(String(v));
    case 'long':
      assert.ok(Long.isLong(v), `long value ${v}`);
      return Buffer.from(v.toString());
    case 'double': return Buffer.from(formatG(v));
    case 'Bool': return Buffer.from(v ? 'true' : 'false');
    case 'string': return escapeBytes(Buffer.from(v, 'utf8'));
    case 'bytes': return escapeBytes(v);
    case 'int128': case 'int256': return Buffer.from('0x' + Buffer.from(v).toString('hex'));
    default: return null;
  }
}

function renderValue(v, arg) {
  const parts = [];
  const one = (x) => {
    const scalar = renderScalar(x, arg.type);
    if (scalar) return scalar;
    if (x === null || x === undefined) return Buffer.from('null');
    return renderObject(x);
  };
  if (arg.typeModifiers?.isVector) {
    assert.ok(Array.isArray(v), `${arg.name} is a vector`);
    parts.push(Buffer.from('['));
    v.forEach((x, i) => {
      if (i) parts.push(Buffer.from(', '));
      parts.push(one(x));
    });
    parts.push(Buffer.from(']'));
    return Buffer.concat(parts);
  }
  return one(v);
}

function renderObject(o) {
  const def = byName.get(o._);
  assert.ok(def, `unknown constructor ${o._}`);
  const known = new Set(['_']);
  const fields = [];
  for (const arg of def.arguments) {
    if (arg.type === '#') continue;
    const key = camel(arg.name);
    known.add(key);
    const v = o[key];
    if (arg.typeModifiers?.predicate) {
      if (arg.type === 'true' ? v !== true : v === undefined || v === null) continue;
    }
    fields.push(Buffer.concat([Buffer.from(arg.name + ': '), arg.type === 'true' ? Buffer.from('true') : renderValue(v, arg)]));
  }
  for (const k of Object.keys(o)) assert.ok(known.has(k), `${o._} has no field ${k}`);
  const body = [];
  fields.forEach((f, i) => body.push(...(i ? [Buffer.from(', ')] : []), f));
  return Buffer.concat([Buffer.from(o._ + '{'), ...body, Buffer.from('}')]);
}

// Everything set in `built` is in `back` (mtcute's reading of its own bytes),
// so the objects below only use real layer-228 fields.
function assertBuiltIsReadBack(built, back, where) {
  if (Long.isLong(built)) return assert.equal(back.toString(), built.toString(), where);
  if (built instanceof Uint8Array) return assert.deepEqual(Buffer.from(back), Buffer.from(built), where);
  if (Array.isArray(built)) {
    assert.equal(back.length, built.length, where);
    return built.forEach((x, i) => assertBuiltIsReadBack(x, back[i], `${where}[${i}]`));
  }
  if (built !== null && typeof built === 'object') {
    for (const [k, x] of Object.entries(built)) {
      if (x === undefined) continue;
      assert.ok(k in back && back[k] !== undefined, `${where}.${k} was not written (not a field of ${built._}?)`);
      assertBuiltIsReadBack(x, back[k], `${where}.${k}`);
    }
    return undefined;
  }
  return assert.equal(back, built, where);
}

// --- Objects ------------------------------------------------------------------

const long = (s) => Long.fromString(s);
const N_MSG = 100, N_USERS = 5;
// The shared benchmark object (../shared/bench/peers/tlobj.cjs): 100 messages
// with text (Cyrillic, emoji) and 4 entities each, 5 users.
const text = (i) => `Message #${i}: The quick brown fox jumps over the lazy dog. Привет, мир! 🚀 see https://example.com/path?q=${i} and @someuser`;
const benchMessages = () => ({
  _: 'messages.messages',
  messages: Array.from({ length: N_MSG }, (_, i) => ({
    _: 'message', id: 1000 + i, out: (i & 1) === 1,
    peerId: { _: 'peerUser', userId: 777000 + (i % N_USERS) },
    fromId: { _: 'peerUser', userId: 777000 + (i % N_USERS) },
    date: 1700000000 + i, message: text(i),
    entities: [
      { _: 'messageEntityBold', offset: 0, length: 10 },
      { _: 'messageEntityItalic', offset: 14, length: 20 },
      { _: 'messageEntityTextUrl', offset: 35, length: 8, url: `https://telegram.org/blog/${i}` },
      { _: 'messageEntityUrl', offset: 74, length: 32 },
    ],
  })),
  topics: [], chats: [],
  users: Array.from({ length: N_USERS }, (_, i) => ({
    _: 'user', id: 777000 + i, accessHash: long('1234567890123456789'),
    firstName: 'First' + i, lastName: 'Last' + i, username: 'user' + i,
  })),
});

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const stripped = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (i === 0 ? 1 : (i * 37 + seed) & 255));

const users = [
  { _: 'user', self: true, premium: true, id: 123456789, accessHash: long('-8070450532247928832'),
    firstName: 'Алиса 🐇', lastName: 'O"Neil\\tab\there', username: 'alice', phone: '15551234567',
    photo: { _: 'userProfilePhoto', hasVideo: true, photoId: long('5125125125125125125'), strippedThumb: stripped(253, 3), dcId: 2 },
    status: { _: 'userStatusOnline', expires: 1700000300 }, langCode: 'en',
    usernames: [{ _: 'username', editable: true, active: true, username: 'alice' }, { _: 'username', active: true, username: 'alice_fan_club' }],
    emojiStatus: { _: 'emojiStatus', documentId: long('5368324170671202286'), until: 1800000000 } },
  { _: 'user', contact: true, mutualContact: true, closeFriend: true, id: 4503599627370497, accessHash: long('1'),
    firstName: 'Bob', phone: '', photo: { _: 'userProfilePhoto', personal: true, photoId: long('-1'), strippedThumb: allBytes, dcId: 4 },
    status: { _: 'userStatusOffline', wasOnline: 1699990000 } },
  { _: 'user', bot: true, botInlineGeo: true, id: 93372553, accessHash: long('9223372036854775807'),
    firstName: 'BotFather', username: 'BotFather', botInfoVersion: 7, botInlinePlaceholder: 'Search…',
    photo: { _: 'userProfilePhoto', photoId: long('1234'), strippedThumb: stripped(254, 9), dcId: 1 },
    status: { _: 'userStatusRecently', byMe: true }, botActiveUsers: 12345678,
    restrictionReason: [{ _: 'restrictionReason', platform: 'ios', reason: 'porn', text: 'x'.repeat(300) }] },
  { _: 'user', deleted: true, id: 1 },
  { _: 'userEmpty', id: 42 },
];

const config = {
  _: 'config', defaultP2pContacts: true, revokePmInbox: true, forceTryIpv6: true,
  date: 1700000000, expires: 1700003600, testMode: false, thisDc: 2,
  dcOptions: [
    { _: 'dcOption', id: 1, ipAddress: '149.154.175.53', port: 443 },
    { _: 'dcOption', ipv6: true, id: 1, ipAddress: '2001:b28:f23d:f001::a', port: 443 },
    { _: 'dcOption', mediaOnly: true, static: true, id: 2, ipAddress: '149.154.167.151', port: 443 },
    { _: 'dcOption', cdn: true, thisPortOnly: true, id: 203, ipAddress: '91.105.192.100', port: 443 },
    { _: 'dcOption', tcpoOnly: true, id: 4, ipAddress: '149.154.167.91', port: 80, secret: Uint8Array.from({ length: 16 }, (_, i) => 0xee - i) },
    { _: 'dcOption', id: 5, ipAddress: '91.108.56.128', port: 5222 },
  ],
  dcTxtDomainName: 'apv3.stel.com', chatSizeMax: 200, megagroupSizeMax: 200000, forwardedCountMax: 100,
  onlineUpdatePeriodMs: 210000, offlineBlurTimeoutMs: 5000, offlineIdleTimeoutMs: 30000, onlineCloudTimeoutMs: 300000,
  notifyCloudDelayMs: 30000, notifyDefaultDelayMs: 1500, pushChatPeriodMs: 60000, pushChatLimit: 2,
  editTimeLimit: 172800, revokeTimeLimit: 2147483647, revokePmTimeLimit: 2147483647, ratingEDecay: 2419200,
  stickersRecentLimit: 200, channelsReadMediaPeriod: 604800, tmpSessions: 3,
  callReceiveTimeoutMs: 20000, callRingTimeoutMs: 90000, callConnectTimeoutMs: 30000, callPacketTimeoutMs: 10000,
  meUrlPrefix: 'https://t.me/', autoupdateUrlPrefix: 'https://telegram.org/dl/',
  gifSearchUsername: 'gif', venueSearchUsername: 'foursquare', imgSearchUsername: 'bing', staticMapsProvider: 'telegram',
  captionLengthMax: 1024, messageLengthMax: 4096, webfileDcId: 4,
  suggestedLangCode: 'en', langPackVersion: 1234, baseLangPackVersion: 1200,
  reactionsDefault: { _: 'reactionEmoji', emoticon: '👍' }, autologinToken: 'tok\u0001en',
};

const peerUser = (id) => ({ _: 'peerUser', userId: id });
const msg = (id, peer, extra = {}) => ({ _: 'message', id, peerId: peer, fromId: peerUser(123456789), date: 1700000100 + id, message: `text ${id}`, ...extra });
const allUpdates = [
  { _: 'updateNewMessage', message: msg(1, peerUser(777000), {
    out: true, silent: true, views: 10, forwards: 2, editDate: 1700000999, postAuthor: 'Author',
    entities: [{ _: 'messageEntityMention', offset: 0, length: 4 }, { _: 'messageEntityCustomEmoji', offset: 5, length: 2, documentId: long('-42') }],
    replyTo: { _: 'messageReplyHeader', replyToMsgId: 0, quote: true, quoteText: 'quoted', quoteOffset: 3 },
    fwdFrom: { _: 'messageFwdHeader', fromId: peerUser(5), fromName: 'Forwarder', date: 1600000000 },
    media: { _: 'messageMediaPhoto', spoiler: true, photo: { _: 'photo', id: long('777'), accessHash: long('-777'), fileReference: Uint8Array.of(1, 2, 3, 0),
      date: 1650000000, sizes: [{ _: 'photoStrippedSize', type: 'i', bytes: stripped(40, 1) }, { _: 'photoSize', type: 'x', w: 800, h: 600, size: 54321 }], dcId: 2 }, ttlSeconds: 60 },
    reactions: { _: 'messageReactions', canSeeList: true, results: [{ _: 'reactionCount', chosenOrder: 1, reaction: { _: 'reactionEmoji', emoticon: '❤' }, count: 3 }] },
    groupedId: long('13579'), ttlPeriod: 86400 }), pts: 100, ptsCount: 1 },
  { _: 'updateEditMessage', message: msg(2, peerUser(777001), { editHide: true, editDate: 1700000500 }), pts: 101, ptsCount: 1 },
  { _: 'updateDeleteMessages', messages: [3, 4, 5, 2147483647], pts: 105, ptsCount: 4 },
  { _: 'updateNewChannelMessage', message: msg(6, { _: 'peerChannel', channelId: 1001234567890 }, { post: true, fromId: undefined }), pts: 5000, ptsCount: 1 },
  { _: 'updateReadHistoryInbox', folderId: 1, peer: peerUser(777000), topMsgId: 9, maxId: 6, stillUnreadCount: 0, pts: 106, ptsCount: 1 },
  { _: 'updateReadHistoryOutbox', peer: { _: 'peerChat', chatId: 4242 }, maxId: 7, pts: 107, ptsCount: 1 },
  { _: 'updateUserStatus', userId: 777002, status: { _: 'userStatusLastWeek', byMe: true } },
  { _: 'updateUserTyping', userId: 777003, topMsgId: 11, action: { _: 'sendMessageUploadPhotoAction', progress: 55 } },
  { _: 'updateUserTyping', userId: 777003, action: { _: 'sendMessageTypingAction' } },
  { _: 'updateChatUserTyping', chatId: 4242, fromId: peerUser(777004), action: { _: 'sendMessageCancelAction' } },
  { _: 'updateChatParticipants', participants: { _: 'chatParticipants', chatId: 4242, version: 9, participants: [
    { _: 'chatParticipantCreator', userId: 123456789, rank: 'boss' },
    { _: 'chatParticipantAdmin', userId: 777000, inviterId: 123456789, date: 1690000000 },
    { _: 'chatParticipant', userId: 777001, inviterId: 777000, date: 1690000001 },
  ] } },
  { _: 'updateBotCallbackQuery', queryId: long('-6000000000000000001'), userId: 777000, peer: peerUser(777000), msgId: 12,
    chatInstance: long('8000000000000000000'), data: Uint8Array.of(0x7b, 0x22, 0x61, 0x22, 0x7d, 0x00, 0xff) },
  { _: 'updateBotCallbackQuery', queryId: long('5'), userId: 777000, peer: { _: 'peerChannel', channelId: 1001234567890 }, msgId: 13,
    chatInstance: long('-1'), gameShortName: 'tetris' },
  { _: 'updateMessageID', id: 14, randomId: long('-1234567890123456789') },
  { _: 'updateDeleteChannelMessages', channelId: 1001234567890, messages: [1, 2, 3], pts: 5003, ptsCount: 3 },
  { _: 'updateReadChannelInbox', folderId: 0, channelId: 1001234567890, maxId: 5000, stillUnreadCount: 2, pts: 5004 },
  { _: 'updateChannelTooLong', channelId: 1001234567890, pts: 5005 },
  { _: 'updateChannelTooLong', channelId: 1001234567891 },
  { _: 'updateUserName', userId: 777000, firstName: 'New', lastName: '', usernames: [{ _: 'username', active: true, username: 'renamed' }] },
  { _: 'updateMessageReactions', peer: peerUser(777000), msgId: 1, reactions: { _: 'messageReactions', results: [] } },
  { _: 'updateDraftMessage', peer: peerUser(777000), draft: { _: 'draftMessageEmpty', date: 1700000000 } },
];

const updates = {
  _: 'updates', updates: allUpdates,
  users: users.slice(0, 3),
  chats: [
    { _: 'chat', creator: true, id: 4242, title: 'Group', photo: { _: 'chatPhotoEmpty' }, participantsCount: 3, date: 1690000000, version: 9 },
    { _: 'channel', megagroup: true, forum: true, id: 1001234567890, accessHash: long('-99'), title: 'Канал 📣', username: 'chan',
      photo: { _: 'chatPhoto', hasVideo: true, photoId: long('31337'), strippedThumb: stripped(30, 7), dcId: 5 }, date: 1600000000, participantsCount: 12345 },
  ],
  date: 1700000200, seq: 77,
};

const shortMessage = { _: 'updateShortMessage', out: true, id: 15, userId: 777000, message: 'short ✓', pts: 200, ptsCount: 1, date: 1700000300,
  entities: [{ _: 'messageEntityBold', offset: 0, length: 5 }], ttlPeriod: 10 };
const shortChatMessage = { _: 'updateShortChatMessage', mentioned: true, mediaUnread: true, id: 16, fromId: 777001, chatId: 4242,
  message: 'in chat', pts: 201, ptsCount: 1, date: 1700000301, viaBotId: 93372553,
  fwdFrom: { _: 'messageFwdHeader', fromName: 'someone', date: 1500000000, psaType: 'covid' } };
const updateShort = { _: 'updateShort', update: { _: 'updateUserStatus', userId: 777000, status: { _: 'userStatusOnline', expires: 1700000400 } }, date: 1700000302 };
const combined = { _: 'updatesCombined', updates: allUpdates.slice(0, 5), users: users.slice(3), chats: [], date: 1700000303, seqStart: 78, seq: 82 };
const sent = { _: 'updateShortSentMessage', out: true, id: 17, pts: 202, ptsCount: 1, date: 1700000304,
  media: { _: 'messageMediaEmpty' }, entities: [{ _: 'messageEntityPre', offset: 0, length: 3, language: 'c++' }] };

const cases = [
  ['messages.messages: 100 messages with entities, 5 users (the benchmark object)', 'messages.Messages', benchMessages()],
  ['messages.messages read as any Object', 'Object', benchMessages()],
  ...users.map((u, i) => [`user ${i} (${u._}${u.photo ? ' with userProfilePhoto and stripped thumb' : ''})`, 'User', u]),
  ['config: help.getConfig result with dc_options', 'Config', config],
  ['updates with every common update type', 'Updates', updates],
  ['updateShortMessage', 'Updates', shortMessage],
  ['updateShortChatMessage', 'Updates', shortChatMessage],
  ['updateShort', 'Updates', updateShort],
  ['updatesCombined', 'Updates', combined],
  ['updateShortSentMessage', 'Updates', sent],
  ['updatesTooLong', 'Updates', { _: 'updatesTooLong' }],
  ...allUpdates.map((u, i) => [`single update ${i}: ${u._}`, 'Update', u]),
];

// --- Tests ----------------------------------------------------------------------

test('mtcute serializes the benchmark object to the committed golden bytes', () => {
  const bytes = TlBinaryWriter.serializeObject(__tlWriterMap, benchMessages());
  assert.equal(bytes.length, 27016);
  assert.ok(Buffer.from(bytes).equals(readFileSync(path.join(here, 'testdata/tl_mtcute_228.bin'))));
});

for (const [name, type, obj] of cases) {
  test(`${name}: mtcore parses mtcute's bytes to the same fields and re-serializes them identically`, () => {
    const bytes = TlBinaryWriter.serializeObject(__tlWriterMap, obj);
    const back = TlBinaryReader.deserializeObject(__tlReaderMap, bytes);
    assertBuiltIsReadBack(obj, back, obj._);
    const got = mtcoreParse(type, bytes);
    assert.equal(got.error, undefined, `mtcore failed to parse ${bytes.length} bytes as ${type}: ${got.error}`);
    assert.equal(got.text.toString('latin1'), renderObject(back).toString('latin1'));
    assert.ok(got.bytes.equals(Buffer.from(bytes)), `re-serialized ${got.bytes.length} bytes differ from mtcute's ${bytes.length}`);
  });
}

test('mtcore rejects mtcute bytes parsed as the wrong type, naming the constructor', () => {
  const bytes = TlBinaryWriter.serializeObject(__tlWriterMap, config);
  const got = mtcoreParse('Updates', bytes);
  assert.match(got.error ?? '', /config/);
  const cut = mtcoreParse('Config', bytes.subarray(0, bytes.length - 1));
  assert.match(cut.error ?? '', /offset/);
});
