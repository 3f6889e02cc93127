// Streaming file transfers in the browser client (web/mtcore.mjs +
// mtcore_client.mjs) under node, over WebSocket against the native testdc:
// a file of a few MiB uploaded from a Blob part by part (never copied whole
// into the module) and downloaded chunk by chunk (onData, and as a
// ReadableStream), the same bytes back; a source that fails names the part,
// an onData that throws cancels the download with its error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { ALICE, BOT } from '../tests/peers/world.mjs';
import { logInUser, startTestDcEnv } from './testdc_env.mjs';

let env;
let lib;
let alice;
let bot;  // the bot Alice sends her documents to

test.before(async () => {
  env = await startTestDcEnv();
  ({ lib } = env);
  alice = await env.connect();
  await logInUser(alice, ALICE);
  const resolved = await alice.invoke({ _: 'contacts.resolveUsername', username: BOT.username });
  const user = resolved.users.find((u) => u.id === String(BOT.id));
  bot = { _: 'inputPeerUser', user_id: user.id, access_hash: user.access_hash };
});

test.after(async () => {
  alice?.close();
  if (env) await env.stop();
});

// `size` bytes of a pattern that differs at every offset of a part.
function fileOf(size) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; ++i) data[i] = (i * 151 + Math.floor(i / 4099)) & 0xff;
  return data;
}

// Sends the uploaded `file` to the bot as a document; that Document.
async function sendAsDocument(file) {
  const updates = await alice.invoke({
    _: 'messages.sendMedia', peer: bot,
    media: { _: 'inputMediaUploadedDocument', file, mime_type: 'application/octet-stream', attributes: [] },
    message: '', random_id: String(Date.now()),
  });
  const message = updates.updates.find((u) => u._ === 'updateNewMessage').message;
  return message.media.document;
}

test('node: a Blob of 3 MiB goes up part by part and comes down chunk by chunk, the same bytes', async () => {
  const data = fileOf((3 << 20) + 12345);
  const blob = new Blob([data]);
  // Count the Blob's reads: parts of 512 KiB, each read once.
  const reads = [];
  const slice = blob.slice.bind(blob);
  blob.slice = (start, end) => {
    reads.push([start, end]);
    return slice(start, end);
  };
  const progress = [];
  const file = await alice.uploadFile(blob, { fileName: 'stream.bin', onProgress: (p) => progress.push(p) });
  assert.equal(file._, 'inputFile');
  assert.equal(file.parts, 7);
  assert.deepEqual(reads.map(([s]) => s), [0, 1, 2, 3, 4, 5, 6].map((p) => p * 524288), 'each part read once, in order');
  assert.equal(reads[6][1], data.length);
  assert.deepEqual(progress.at(-1), { done: data.length, total: data.length });

  const document = await sendAsDocument(file);
  assert.equal(document.size, String(data.length));

  const got = new Uint8Array(data.length);
  const offsets = [];
  const size = await alice.downloadDocument(document, {
    onData: (offset, bytes) => {
      offsets.push(offset);
      got.set(bytes, offset);
    },
  });
  assert.equal(size, data.length);
  assert.ok(offsets.length >= 7, `${offsets.length} chunks`);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'in order');
  assert.equal(offsets[0], 0);
  assert.deepEqual(got, data, 'the same bytes back');

  // An async onData: each chunk waits for the one before.
  let busy = false;
  let total = 0;
  await alice.downloadDocument(document, {
    onData: async (offset, bytes) => {
      assert.equal(busy, false, 'one onData at a time');
      assert.equal(offset, total);
      busy = true;
      await new Promise((r) => setTimeout(r, 5));
      total += bytes.length;
      busy = false;
    },
  });
  assert.equal(total, data.length, 'the promise settles after the last chunk was handled');

  // As a ReadableStream.
  const chunks = [];
  for await (const chunk of alice.downloadStream({ document })) chunks.push(chunk);
  assert.deepEqual(new Uint8Array(await new Blob(chunks).arrayBuffer()), data);

  // The same from a {size, read} source, in parts of 64 KiB.
  const small = fileOf(200_000);
  const file2 = await alice.uploadFile({ size: small.length, read: async (o, n) => small.slice(o, o + n) },
    { partSize: 65536 });
  assert.equal(file2.parts, 4);
  const back = await alice.downloadDocument(await sendAsDocument(file2));
  assert.deepEqual(back, small, 'and the whole-file download still works');
});

test('node: a read that never settles ends the upload after readTimeoutMs, naming the part and offset', async () => {
  const data = fileOf(1_500_000);
  const reads = [];
  const hanging = {
    size: data.length,
    read: (offset, length) => {
      reads.push(offset);
      if (offset >= 524288) return new Promise(() => {});  // never settles
      return data.subarray(offset, offset + length);
    },
  };
  const started = Date.now();
  await assert.rejects(alice.uploadFile(hanging, { fileName: 'hang.bin', readTimeoutMs: 300 }),
    (e) => {
      assert.ok(e instanceof lib.MtcoreError);
      assert.match(e.message, /upload: part 1 of 3 \(524288 bytes at 524288\): .*the read of 524288 bytes at offset 524288 did not settle within 300 ms \(readTimeoutMs\)$/);
      return true;
    });
  assert.ok(Date.now() - started >= 300, 'not before the timeout');
  assert.deepEqual(reads, [0, 524288], 'no read after the one that hung');

  // A read that settles after its timeout changes nothing; a slow read within it is fine.
  let late;
  const slow = {
    size: 3000,
    read: (offset, length) => new Promise((resolve) => { late = () => resolve(data.subarray(offset, offset + length)); }),
  };
  await assert.rejects(alice.uploadFile(slow, { readTimeoutMs: 50 }), /did not settle within 50 ms/);
  late();
  const file = await alice.uploadFile({
    size: 3000,
    read: (offset, length) => new Promise((r) => setTimeout(() => r(data.subarray(offset, offset + length)), 100)),
  }, { readTimeoutMs: 2000 });
  assert.equal(file.parts, 1);

  // Aborting an upload whose read hangs: rejected at once, its timer gone.
  const aborted = new AbortController();
  const pending = alice.uploadFile({ size: 10, read: () => new Promise(() => {}) }, { signal: aborted.signal });
  setTimeout(() => aborted.abort(), 20);
  await assert.rejects(pending, /cancelled/);

  for (const readTimeoutMs of [0, -1, NaN, '5']) {
    await assert.rejects(alice.uploadFile(data, { readTimeoutMs }), /uploadFile: readTimeoutMs is a number of ms above 0/);
  }
  assert.equal((await alice.uploadFile(data.subarray(0, 10), { readTimeoutMs: Infinity })).parts, 1);
});

test('node: a source that fails ends the upload naming the part; a throwing onData cancels the download', async () => {
  const data = fileOf(1_500_000);
  const failing = {
    size: data.length,
    read: async (offset, length) => {
      if (offset >= 2 * 524288) throw new Error('the disk went away');
      return data.subarray(offset, offset + length);
    },
  };
  await assert.rejects(alice.uploadFile(failing, { fileName: 'bad.bin' }),
    /upload: part 2 of 3 .*the disk went away/);
  await assert.rejects(alice.uploadFile({ size: 10, read: async () => new Uint8Array(3) }),
    /part 0 of 1 .*the source gave 3 bytes, not 10/);
  await assert.rejects(alice.uploadFile({ size: 10, read: async () => 'ten bytes!' }),
    /part 0 of 1 .*the source gave no bytes/);
  await assert.rejects(alice.uploadFile({ nope: true }), /the source must be a Uint8Array, a Blob or/);
  await assert.rejects(alice.uploadFile(new Uint8Array(0)), /empty/);

  const document = await sendAsDocument(await alice.uploadFile(new Blob([data])));
  const offsets = [];
  await assert.rejects(alice.downloadDocument(document, {
    onData: (offset) => {
      offsets.push(offset);
      if (offset > 0) throw new Error('no room left');
    },
  }), /download: onData failed at offset 524288: Error: no room left/);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(offsets, [0, 524288], 'no chunk after the one that failed');

  // A size JavaScript cannot mean as a byte count is refused before the C++
  // side casts it.
  const location = { _: 'inputDocumentFileLocation', id: document.id,
    access_hash: document.access_hash, file_reference: document.file_reference,
    thumb_size: '' };
  for (const size of [NaN, Infinity, -2, 1.5, 2 ** 60]) {
    await assert.rejects(alice.downloadFile(location, { size }), /download: a size of .* bytes/);
  }

  const aborted = new AbortController();
  const stream = alice.downloadStream({ document }, { signal: aborted.signal });
  aborted.abort();
  await assert.rejects(stream.getReader().read(), /cancelled/);

  // The client goes on.
  const me = await alice.invoke({ _: 'users.getUsers', id: [{ _: 'inputUserSelf' }] });
  assert.equal(me[0].id, String(ALICE.id));
});
