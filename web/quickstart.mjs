// The quickstart's conversation, run by mtcore's WebAssembly client over
// WebSocket against the simulated DCs (testdc): a bot logs in; Alice starts
// on another DC like a new app, follows PHONE_MIGRATE to her home DC, logs in
// with her code and writes to the bot; the bot gets the message as an
// update, answers with the access hash that came with it, and Alice gets the
// answer as an update; then Alice sends a file, which the bot downloads.
//
// Shared by web/quickstart.html (a browser tab), web/quickstart_worker.mjs
// (the same in a dedicated worker) and the tests.
//
//   const report = await runQuickstart({ createModule, MtcoreClient, config, log });
//
// `config` (what the test serves as /config.json): {rsaKey, wsUrls: {dc:
// url}, apiId, apiHash, bot: {token, username}, alice: {phone, code},
// homeDc, otherDc}; `schema`: api-schema.json's text.

// Where this runs: 'node', 'a worker' or 'the browser' (a page).
function host() {
  if (typeof process !== 'undefined' && process.versions?.node) return 'node';
  if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) return 'a worker';
  return 'the browser';
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Resolves with what `accept` returns for the first update it returns
// something for (tests use it too).
export function nextUpdate(client, accept) {
  return new Promise((resolve) => {
    const stop = client.onUpdate((u) => {
      const v = accept(u);
      if (v !== undefined && v !== null) {
        stop();
        resolve(v);
      }
    });
  });
}

export async function runQuickstart({ createModule, moduleOptions = {}, MtcoreClient, config, schema,
  log = () => {}, WebSocket, stepMs = 20000, withFile = true, clientOptions = {} }) {
  const report = { steps: [], events: [], ranIn: host() };
  const t0 = performance.now();
  const step = async (what, fn) => {
    const start = performance.now();
    const value = await withTimeout(fn(), stepMs, what);
    const ms = Math.round(performance.now() - start);
    report.steps.push({ what, ms });
    log(`${what} (${ms} ms)`);
    return value;
  };
  const module = await createModule(moduleOptions);
  const make = (dc) => MtcoreClient.create({
    module, schema, dc, rsaKey: config.rsaKey, apiId: config.apiId, WebSocket,
    url: (n) => config.wsUrls[n], ...clientOptions,
  });

  const bot = await make(config.homeDc);
  const alice = await make(config.otherDc);
  for (const [name, c] of [['bot', bot], ['alice', alice]]) {
    c.onEvent((e) => report.events.push({ client: name, ...e }));
  }
  try {
    const login = await step('bot: auth key + auth.importBotAuthorization', () => bot.invoke({
      _: 'auth.importBotAuthorization', flags: 0, api_id: config.apiId, api_hash: config.apiHash,
      bot_auth_token: config.bot.token,
    }));
    if (login._ !== 'auth.authorization' || !login.user.bot) throw new Error(`bot login: ${JSON.stringify(login)}`);
    report.botId = login.user.id;

    const sent = await step(`alice: auth.sendCode on DC ${config.otherDc} (follows PHONE_MIGRATE)`, () => alice.invoke({
      _: 'auth.sendCode', phone_number: config.alice.phone, api_id: config.apiId, api_hash: config.apiHash,
      settings: { _: 'codeSettings' },
    }));
    report.aliceDc = alice.dc;
    const auth = await step(`alice: auth.signIn on DC ${alice.dc}`, () => alice.invoke({
      _: 'auth.signIn', phone_number: config.alice.phone, phone_code_hash: sent.phone_code_hash,
      phone_code: config.alice.code,
    }));
    report.aliceId = auth.user.id;

    const resolved = await step('alice: contacts.resolveUsername', () => alice.invoke({
      _: 'contacts.resolveUsername', username: config.bot.username,
    }));
    const botUser = resolved.users.find((u) => u.id === report.botId);
    if (!botUser) throw new Error(`resolveUsername: ${JSON.stringify(resolved)}`);

    const text = `hello from ${report.ranIn} ${Date.now()}`;
    const botGot = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' && u.update.message.message === text ? u : null));
    await step('alice: messages.sendMessage to the bot', () => alice.invoke({
      _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: botUser.id, access_hash: botUser.access_hash },
      message: text, random_id: String(Date.now()),
    }));
    const update = await step('bot: the message arrives as an update', () => botGot);
    const from = update.update.message.from_id?.user_id ?? update.update.message.peer_id.user_id;
    const sender = update.users.find((u) => u.id === from);
    if (!sender || !sender.access_hash) throw new Error(`the update did not carry its sender: ${JSON.stringify(update)}`);

    const reply = `echo: ${text}`;
    const aliceGot = nextUpdate(alice, (u) => (u.update._ === 'updateNewMessage' && u.update.message.message === reply ? u : null));
    await step('bot: messages.sendMessage back', () => bot.invoke({
      _: 'messages.sendMessage', peer: { _: 'inputPeerUser', user_id: sender.id, access_hash: sender.access_hash },
      message: reply, random_id: String(Date.now() + 1),
    }));
    await step('alice: the answer arrives as an update', () => aliceGot);

    // A file: Alice uploads it in parts and sends it; the bot downloads it.
    const sendAFile = async () => {
      const data = new Uint8Array(700_000).map((_, i) => (i * 131 + (i >> 12)) & 0xff);
      const file = await step('alice: uploadFile (700 KB in 512 KiB parts)', () => alice.uploadFile(data, {
        fileName: 'quickstart.bin',
      }));
      const botGotFile = nextUpdate(bot, (u) => (u.update._ === 'updateNewMessage' && u.update.message.media ? u : null));
      await alice.invoke({
        _: 'messages.sendMedia', peer: { _: 'inputPeerUser', user_id: botUser.id, access_hash: botUser.access_hash },
        media: { _: 'inputMediaUploadedDocument', file, mime_type: 'application/octet-stream', attributes: [] },
        message: 'a file', random_id: String(Date.now() + 2),
      });
      const fileMessage = await botGotFile;
      const got = await step('bot: downloadDocument', () => bot.downloadDocument(fileMessage.update.message.media.document));
      if (got.length !== data.length || !got.every((b, i) => b === data[i])) {
        throw new Error(`the downloaded file differs (${got.length} bytes)`);
      }
      report.fileBytes = got.length;
    };
    if (withFile) await sendAFile();

    let failed = null;
    try {
      await bot.invoke({ _: 'contacts.resolveUsername', username: 'nobody_has_this_name' });
    } catch (e) {
      failed = { code: e.code, message: e.errorMessage };
    }
    report.rpcError = failed;
    report.snapshotBytes = bot.snapshot().length;
    report.ok = true;
  } finally {
    bot.close();
    alice.close();
    report.totalMs = Math.round(performance.now() - t0);
  }
  return report;
}
