// mtcore's Telegram client in a browser tab (or any JavaScript host with
// WebSocket and Web Crypto): the WebAssembly engine (mtcore.mjs + .wasm) fed
// by a WebSocket to the DC and by timers, with API objects as plain JSON
// objects in mtcute's style ({_: 'messages.sendMessage', peer: {...}, ...};
// longs as decimal strings, bytes as base64; calls may also give BigInt and
// Uint8Array for them).
//
// The engine runs the whole protocol: obfuscated transport, key exchange,
// encrypted session, acks, salts, re-sends across reconnects, updates in
// order through its gap engine, FLOOD_WAIT and DC migrations, and downloads
// of files stored on other DCs (a second connection per such DC, the login
// exported and imported there, kept for later downloads). This file only
// moves bytes and time: WebSocket messages in (one socket per connection,
// url(dc) for each), bytes out, one timer for the engines' next deadline.
//
//   import createModule from './mtcore.mjs';
//   import { MtcoreClient } from './mtcore_client.mjs';
//   const module = await createModule();
//   const client = await MtcoreClient.create({
//     module, schema: await (await fetch('api-schema.json')).text(),
//     dc: 2, rsaKey: PEM, apiId: 12345,
//     url: (dc) => `wss://example/apiws?dc=${dc}`,   // where DC n is
//   });
//   client.onUpdate((u) => console.log(u.update._));
//   const me = await client.invoke({ _: 'auth.importBotAuthorization', flags: 0,
//                                    api_id: 12345, api_hash: '...', bot_auth_token: '...' });
//   await client.sendText(peer, { html: '<b>hi</b>' });   // or {markdown}, {text, entities}
//   for await (const { message } of client.iterHistory(peer, { pageSize: 50 })) console.log(message.message);
//   client.close();

const enc = new TextEncoder();

// Bytes (a Uint8Array) as TL JSON writes them: base64, standard alphabet, padded.
export function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// The bytes of a TL JSON bytes field (base64) as a Uint8Array. Throws on
// text that is not base64.
export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// The JSON text of an API object, with JavaScript values TL JSON has no
// literal for written as it expects them: a BigInt (a TL long) as a decimal
// string; a Uint8Array, any other typed array or DataView, an ArrayBuffer or
// node's Buffer as raw bytes, {"$bytes": BASE64}, which a TL bytes field
// and a TL string field both read as those bytes (a plain base64 string
// would be the text itself in a string field). An int128/int256 field
// (nonces) still takes a hex string.
export function toTlJson(object) {
  return JSON.stringify(object, function replace(key, value) {
    const raw = this[key];  // before toJSON: node's Buffer has one
    if (typeof raw === 'bigint') return raw.toString();
    if (ArrayBuffer.isView(raw)) {
      return { $bytes: toBase64(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)) };
    }
    if (raw instanceof ArrayBuffer) return { $bytes: toBase64(new Uint8Array(raw)) };
    return value;
  });
}

// A NUL-terminated copy of `s` in the module's memory (free it).
function cString(m, s) {
  const n = m.lengthBytesUTF8(s) + 1;
  const p = m._malloc(n);
  m.stringToUTF8(s, p, n);
  return p;
}

// Runs `fn(pointer, length)` over the UTF-8 bytes of `s` copied into the
// module's memory (NUL characters included).
// `s` as UTF-8 in the module's memory for `fn(pointer, length)`; with
// `wipe`, the bytes are zeroed there and here afterwards (secrets).
function withUtf8(m, s, fn, { wipe = false } = {}) {
  const bytes = enc.encode(s);
  const p = m._malloc(Math.max(1, bytes.length));
  m.HEAPU8.set(bytes, p);
  try {
    return fn(p, bytes.length);
  } finally {
    if (wipe) {
      m.HEAPU8.fill(0, p, p + bytes.length);
      bytes.fill(0);
    }
    m._free(p);
  }
}

// An error thrown by the page's code as text ("NotReadableError: ...").
function errorText(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// The {size, read(offset, length)} of an upload's source: a Uint8Array (or
// another view, or an ArrayBuffer), a Blob (read slice by slice), or such
// an object.
function uploadReader(source) {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
  }
  if (source && typeof source.slice === 'function' && typeof source.size === 'number' &&
      typeof source.arrayBuffer === 'function') {
    return { size: source.size, read: (offset, length) => source.slice(offset, offset + length).arrayBuffer() };
  }
  if (source && typeof source.read === 'function' && Number.isSafeInteger(source.size)) {
    return { size: source.size, read: (offset, length) => source.read(offset, length) };
  }
  throw new MtcoreError(0, 'uploadFile: the source must be a Uint8Array, a Blob or {size, read(offset, length)}');
}

// The module's last error as an MtcoreError (code 0), `what` first.
function lastError(m, what) {
  const message = m.UTF8ToString(m._mtcore_last_error());
  return new MtcoreError(0, what ? `${what}: ${message}` : message);
}

// Loads the API schema into the module (again only if it changed): every
// client and formatter of one module shares it.
function loadSchema(m, schema, schemaName) {
  if (m.__mtcoreSchema === schema) return;
  const r = withUtf8(m, schema, (p, n) => {
    const name = cString(m, schemaName || 'api-schema.json');
    try {
      return m._mtcore_load_schema(p, n, name);
    } finally {
      m._free(name);
    }
  });
  if (r < 0) throw lastError(m, 'load the schema');
  m.__mtcoreSchema = schema;
}

// CreateOptions.pfs (true, or {tempKeyLifetimeS, renewBeforeS}) as
// mtcore_client_new takes it: [on, lifetime, renew before] (0: defaults).
function pfsOptions(pfs) {
  if (pfs === undefined || pfs === false || pfs === null) return [0, 0, 0];
  if (pfs === true) return [1, 0, 0];
  const seconds = (v, name) => {
    if (v === undefined) return 0;
    if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
      throw new MtcoreError(0, `create the client: pfs.${name} must be a whole number of seconds`);
    }
    return v;
  };
  if (typeof pfs !== 'object') throw new MtcoreError(0, 'create the client: pfs is true or {tempKeyLifetimeS, renewBeforeS}');
  return [1, seconds(pfs.tempKeyLifetimeS, 'tempKeyLifetimeS'), seconds(pfs.renewBeforeS, 'renewBeforeS')];
}

// Text formats of the module's text entry points.
const TEXT = 0;
const HTML = 1;
const MARKDOWN_V2 = 2;

// `content` ({html} | {markdown} | {text, entities}) as the entry points
// take it: [format, source, entities JSON].
function textSource(content, what) {
  if (content === null || typeof content !== 'object') {
    throw new MtcoreError(0, `${what}: give {html}, {markdown} or {text, entities}`);
  }
  const fields = ['html', 'markdown', 'text'].filter((k) => content[k] !== undefined);
  if (fields.length !== 1 || typeof content[fields[0]] !== 'string') {
    throw new MtcoreError(0, `${what}: give one string as html, markdown or text`);
  }
  if (fields[0] === 'html') return [HTML, content.html, ''];
  if (fields[0] === 'markdown') return [MARKDOWN_V2, content.markdown, ''];
  try {
    return [TEXT, content.text, toTlJson(content.entities ?? [])];
  } catch (e) {
    throw new MtcoreError(0, `${what}: entities: ${e.message}`);
  }
}

// Formatted text without a client: the Bot API's HTML and MarkdownV2
// (https://core.telegram.org/bots/api#formatting-options) to and from
// {text, entities}, entities as the API's MessageEntity objects (offsets and
// lengths in UTF-16 code units, as JavaScript strings count them). Options:
// module (from createModule()), schema and schemaName as for
// MtcoreClient.create (the entities are read and written with it). Bad
// input throws an MtcoreError (code 0) naming the byte where it is wrong.
//
//   const fmt = createTextFormatter({ module, schema });
//   fmt.parseHtml('<b>hi</b>')   // {text: 'hi', entities: [{_: 'messageEntityBold', offset: 0, length: 2}]}
//   fmt.toMarkdownV2(message.message, message.entities)   // '*hi*'
export function createTextFormatter({ module: m, schema, schemaName }) {
  loadSchema(m, schema, schemaName);
  const out = (n, what) => {
    if (n < 0) throw lastError(m, what);
    return new TextDecoder().decode(m.HEAPU8.subarray(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n));
  };
  const parse = (format, source, what) => {
    if (typeof source !== 'string') throw new MtcoreError(0, `${what}: not a string`);
    loadSchema(m, schema, schemaName);
    return JSON.parse(out(withUtf8(m, source, (p, n) => m._mtcore_text_parse(format, p, n, 0)), what));
  };
  const write = (format, text, entities, what) => {
    if (typeof text !== 'string') throw new MtcoreError(0, `${what}: the text is not a string`);
    loadSchema(m, schema, schemaName);
    const json = cString(m, toTlJson(entities ?? []));
    try {
      return out(withUtf8(m, text, (p, n) => m._mtcore_text_write(format, p, n, json)), what);
    } finally {
      m._free(json);
    }
  };
  return {
    parseHtml: (html) => parse(HTML, html, 'parseHtml'),
    parseMarkdownV2: (markdown) => parse(MARKDOWN_V2, markdown, 'parseMarkdownV2'),
    toHtml: (text, entities) => write(HTML, text, entities, 'toHtml'),
    toMarkdownV2: (text, entities) => write(MARKDOWN_V2, text, entities, 'toMarkdownV2'),
  };
}

// Monotonic time for the engine's deadlines (ms).
function now() {
  return performance.timeOrigin + performance.now();
}

// A listener's exception must not stop the client: by default it is
// reported as an uncaught error (the page's onerror, node's
// uncaughtException) after the client finished its own work.
function rethrowLater(error) {
  queueMicrotask(() => { throw error; });
}

// One WebSocket between the page and one engine of a client in the module:
// the client's own connection (link 0) or one of its connections to another
// DC (link N > 0, for downloads of files stored there; see
// JsonClient::Link). It dials url(dc), hands each message to the engine,
// sends what the engine has, reports a close to the engine without waiting
// for the closing handshake, and dials again after a backoff (from
// reconnectDelayMs, doubling to 5 s; back to the first once the DC
// answered). Its own events ('connected', 'disconnected', 'dialFailed',
// 'transportFailed') go to `emit`, with mediaDc: dc for a link. A link
// that fails to open dcDialAttempts times in a row (3 by default), or that
// url() names no address for, is given up: giveUp(why).
class EngineSocket {
  #m;
  #h;
  #link;
  #dc;  // () => the DC to dial now
  #options;
  #hooks;  // {emit(e), pump(), giveUp(why) (links only)}
  #ws = null;
  #closed = false;
  #reconnectDelay;
  #reconnectTimer = null;
  #failedDials = 0;

  constructor(m, h, link, dc, options, hooks) {
    this.#m = m;
    this.#h = h;
    this.#link = link;
    this.#dc = dc;
    this.#options = options;
    this.#hooks = hooks;
    this.#reconnectDelay = this.#firstDelay();
  }

  // Stops it: no more dials; the socket closes (the engine is told nothing:
  // it is being freed, or the module closed it).
  close() {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) ws.close();
  }

  // Sends what the engine has; a close the engine asks for (after a
  // migration the engine ends the old connection) ends the socket and
  // dials again at once.
  pumpOut() {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1 || this.#closed) return;
    this.#flush(ws);
    if (this.#m._mtcore_client_wants_close(this.#h, this.#link)) {
      this.#reconnectDelay = 0;
      this.#detach(ws, 'closed by the engine');
    }
  }

  #emit(e) {
    this.#hooks.emit(this.#link ? { ...e, mediaDc: this.#dc() } : e);
  }

  #firstDelay() {
    return this.#options.reconnectDelayMs ?? 100;
  }

  #scheduleReconnect() {
    if (this.#closed) return;
    const delay = this.#reconnectDelay;
    this.#reconnectDelay = Math.min(Math.max(delay * 2, this.#firstDelay()), 5000);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  // Gives a link up (its downloads fail with `why`).
  #giveUp(why) {
    this.close();
    this.#hooks.giveUp(why);
  }

  connect() {
    if (this.#closed) return;
    const m = this.#m;
    const dc = this.#dc();
    let ws;
    try {
      const WS = this.#options.WebSocket || globalThis.WebSocket;
      const url = this.#options.url(dc);
      if (this.#link && !url) throw new Error(`url(${dc}) gave no URL`);
      ws = new WS(url, 'binary');
      ws.binaryType = 'arraybuffer';
    } catch (e) {
      this.#emit({ type: 'dialFailed', dc, why: String(e) });
      // A link url() cannot name is given up at once; the client's own
      // connection keeps trying.
      if (this.#link) this.#giveUp(`could not connect to DC ${dc}: ${String(e)}`);
      else this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    let failed = false;
    let opened = false;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      opened = true;
      this.#failedDials = 0;
      if (this.#dc() !== dc) {  // the client moved while this socket was dialing
        this.#reconnectDelay = 0;
        this.#detach(ws, 'the client moved to another DC');
        return;
      }
      m._mtcore_client_on_open(this.#h, this.#link, now());
      this.#emit({ type: 'connected', dc });
      this.#hooks.pump();
    };
    ws.onmessage = (e) => {
      if (this.#ws !== ws || failed) return;
      this.#reconnectDelay = this.#firstDelay();  // the DC answered: a healthy connection
      const bytes = new Uint8Array(e.data);
      const p = m._malloc(Math.max(1, bytes.length));
      m.HEAPU8.set(bytes, p);
      const r = m._mtcore_client_on_bytes(this.#h, this.#link, p, bytes.length, now());
      m._free(p);
      if (r < 0) {
        failed = true;
        const message = m.UTF8ToString(m._mtcore_last_error());
        this.#flush(ws);  // what the engine wrote in answer goes out first
        this.#emit({ type: 'transportFailed', message });
        this.#detach(ws, `transport error: ${message}`);
        return;
      }
      this.#hooks.pump();
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      const why = `WebSocket closed (${e.code}${e.reason ? ' ' + e.reason : ''})`;
      this.#detach(ws, opened ? why : `could not connect to DC ${dc}: ${why}`,
        opened ? 'disconnected' : 'dialFailed');
    };
    // Browsers fire onclose after onerror; some hosts (node 20's WebSocket)
    // do not when the dial fails, so an error ends the connection here.
    ws.onerror = () => {
      if (this.#ws !== ws) return;
      this.#detach(ws, opened ? 'WebSocket error' : `could not connect to DC ${dc}`,
        opened ? 'disconnected' : 'dialFailed');
    };
  }

  // Ends the connection `ws` (or the attempt) for the engine now, without
  // waiting for the WebSocket closing handshake, reports it as event `type`
  // and dials again after the backoff (a link that failed to open too often
  // is given up instead).
  #detach(ws, why, type = 'disconnected') {
    if (this.#ws !== ws) return;
    this.#ws = null;
    ws.close();
    if (this.#closed) return;
    const m = this.#m;
    const text = cString(m, why);
    m._mtcore_client_on_close(this.#h, this.#link, text, now());
    m._free(text);
    this.#emit(type === 'dialFailed' ? { type, dc: this.#dc(), why } : { type, why });
    this.#failedDials = type === 'dialFailed' ? this.#failedDials + 1 : 0;
    if (this.#link && this.#failedDials >= (this.#options.dcDialAttempts ?? 3)) {
      this.#giveUp(why);
    } else {
      this.#scheduleReconnect();
    }
    this.#hooks.pump();
  }

  // Sends what the engine has for `ws`.
  #flush(ws) {
    const m = this.#m;
    if (ws.readyState !== 1) return;
    for (;;) {
      const n = m._mtcore_client_pull(this.#h, this.#link);
      if (n === 0) break;
      ws.send(m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n));
    }
  }
}

// The options iterHistory() and iterDialogs() take, with their types.
const HISTORY_OPTIONS = {
  pageSize: 'number', maxMessages: 'number', offsetId: 'number', minId: 'number', signal: 'AbortSignal',
};
const SEARCH_OPTIONS = {
  ...HISTORY_OPTIONS, query: 'string', filter: 'object', from: 'object', minDate: 'number', maxDate: 'number',
};
const MEMBER_OPTIONS = { pageSize: 'number', maxMembers: 'number', filter: 'object', signal: 'AbortSignal' };
const DIALOG_OPTIONS = {
  pageSize: 'number', maxDialogs: 'number', excludePinned: 'boolean', folderId: 'number', signal: 'AbortSignal',
};

// `value` (a TL object) as the module's JSON; throws an MtcoreError
// "what: wrong" if it is not an object, or what toTlJson says.
function tlJsonOf(what, wrong, value) {
  if (value === null || typeof value !== 'object') throw new MtcoreError(0, `${what}: ${wrong}, not ${value}`);
  try {
    return toTlJson(value);
  } catch (e) {
    throw new MtcoreError(0, `${what}: ${e.message}`);
  }
}

// Whether `value` is an AbortSignal (or behaves as one).
function isAbortSignal(value) {
  return value !== null && typeof value === 'object' && typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' && typeof value.removeEventListener === 'function';
}

// Throws an MtcoreError naming an option `what` does not take, or one of the
// wrong type (the module checks the numbers' values).
function checkOptions(what, options, names) {
  if (options === null || typeof options !== 'object') {
    throw new MtcoreError(0, `${what}: the options are an object, not ${options}`);
  }
  for (const [name, value] of Object.entries(options)) {
    const type = names[name];
    if (!type) {
      throw new MtcoreError(0, `${what}: no option ${name} (there are ${Object.keys(names).join(', ')})`);
    }
    if (value === undefined) continue;
    if (type === 'AbortSignal' ? !isAbortSignal(value) : typeof value !== type) {
      throw new MtcoreError(0, `${what}: ${name} is a${type === 'AbortSignal' ? 'n' : ''} ${type}, not ${typeof value} ${String(value)}`);
    }
  }
}

// The users and chats of a walk's page (shared by its entries), and what
// the schema could not read of it (entryErrors, only then).
function pageEntities(page) {
  return page.entryErrors ? { users: page.users, chats: page.chats, entryErrors: page.entryErrors }
    : { users: page.users, chats: page.chats };
}

// An rpc error or a failed request.
export class MtcoreError extends Error {
  constructor(code, message, answer) {
    super(code ? `rpc error ${code} ${message}` : message);
    this.code = code;          // 0: not an rpc error (cancelled, timed out, closed...)
    this.errorMessage = message;
    // The DC ran the call and answered, but the schema given to create()
    // cannot read the answer: resultType names the TL type expected,
    // resultBytes holds the answer (Uint8Array). The call's effects happened.
    this.executed = answer !== undefined;
    if (answer) {
      this.resultType = answer.resultType;
      this.resultBytes = fromBase64(answer.resultBytes);
    }
    // logInWithQr(): the account has a 2FA password to prove (code 401,
    // SESSION_PASSWORD_NEEDED, as auth.signIn rejects).
    this.passwordNeeded = code === 401 && message === 'SESSION_PASSWORD_NEEDED';
  }
}

// The user ids of logInWithQr's exceptIds as the module takes them (decimal,
// comma-separated); throws an MtcoreError for one that is not an id.
function exceptIdList(ids) {
  if (!Array.isArray(ids)) {
    throw new MtcoreError(0, `logInWithQr: exceptIds is an array of user ids, not ${String(ids)}`);
  }
  return ids.map((id) => {
    const ok = (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) ||
      (typeof id === 'bigint' && id > 0n && id < 2n ** 63n) ||
      (typeof id === 'string' && /^[1-9][0-9]{0,18}$/.test(id));
    if (!ok) throw new MtcoreError(0, `logInWithQr: exceptIds: ${typeof id} ${String(id)} is not a user id`);
    return String(id);
  }).join(',');
}

export class MtcoreClient {
  // Loads the schema into `module` (again only if it changed) and makes a
  // client. Options: module (from createModule()), schema (text of
  // api-schema.json or a .tl file; schemaName 'api.tl' for the latter; its
  // layer must be the module's, 228), dc (home DC to start with), rsaKey
  // (PEM; default: Telegram's production key), apiId, apiHash (for
  // logInWithQr), url (dc -> WebSocket
  // URL, e.g. Telegram's wss://.../apiws), snapshot (Uint8Array from
  // snapshot(), to resume), WebSocket (constructor; default
  // globalThis.WebSocket), pfs (Perfect Forward Secrecy: true, or
  // {tempKeyLifetimeS, renewBeforeS}; each session runs over a temporary key
  // bound to the permanent one, which alone goes into snapshot(); events
  // 'tempKeyBound' and 'bindFailed'), reconnectDelayMs (first retry; doubles to 5 s),
  // dcDialAttempts (a connection to another DC for downloads that fails to
  // open this many times in a row is given up, failing its downloads; 3),
  // onListenerError (gets what a listener threw; default: rethrown as an
  // uncaught error once the client is done).
  static async create(options) {
    const m = options.module;
    loadSchema(m, options.schema, options.schemaName);
    const pem = cString(m, options.rsaKey || '');
    const snap = options.snapshot || new Uint8Array(0);
    const snapPtr = m._malloc(Math.max(1, snap.length));
    m.HEAPU8.set(snap, snapPtr);
    let handle;
    try {
      const [pfs, lifetime, renewBefore] = pfsOptions(options.pfs);
      handle = MtcoreClient.#call(m, () => m._mtcore_client_new(options.dc ?? 2, pem, options.apiId ?? 0,
        snapPtr, snap.length, now(), Date.now(), pfs, lifetime, renewBefore), 'create the client');
    } finally {
      m._free(pem);
      m._free(snapPtr);
    }
    const client = new MtcoreClient(m, handle, options);
    client.#home.connect();
    return client;
  }

  #m;
  #h;
  #options;
  #home;  // the EngineSocket of the client's own connection
  // link -> the EngineSocket of a connection to another DC (for downloads)
  #links = new Map();
  #timer = null;
  // request id (or 't' + transfer id) -> {resolve, reject, cleanup, why (if
  // cancelled), onProgress (transfers)}
  #pending = new Map();
  #updateListeners = new Set();
  #eventListeners = new Set();
  #closed = false;
  #pumping = false;
  #pumpAgain = false;
  // streaming upload id -> {size, read, partSize, readTimeoutMs, reading
  // (the read in progress: {timer}, or null)}
  #uploads = new Map();
  // walk id -> the state of an iteration walking it (#walkIterator)
  #walks = new Map();
  // The QR login running: {resolve, reject, onUrl, cleanup, why (if cancelled)}
  #qr = null;
  #phone = null;  // the running phone login's entry

  constructor(m, handle, options) {
    this.#m = m;
    this.#h = handle;
    this.#options = options;
    this.#home = this.#socket(0, () => this.dc);
  }

  // An EngineSocket for connection `link` of this client, to DC dc().
  #socket(link, dc) {
    return new EngineSocket(this.#m, this.#h, link, dc, this.#options, {
      emit: (e) => this.#emit(e),
      pump: () => this.#pump(),
      giveUp: (why) => {
        if (this.#closed) return;
        this.#links.delete(link);
        const text = cString(this.#m, why);
        this.#m._mtcore_client_fail_link(this.#h, link, text);  // its downloads fail
        this.#m._free(text);
        this.#pump();
      },
    });
  }

  // Calls the API function `request` ({_: 'method.name', ...fields}); resolves
  // with its result object, rejects with an MtcoreError. Exactly one of the
  // two happens for every call, across reconnects and migrations. Longs may
  // be given as BigInt and bytes as Uint8Array (see toTlJson); in results
  // they are decimal strings and base64 (fromBase64).
  // Options: signal (an AbortSignal: cancels the call), timeoutMs (cancels
  // it after that long). A cancelled call rejects with code 0; the request
  // may still have reached Telegram.
  invoke(request, { signal, timeoutMs } = {}) {
    return this.#track('', (m) => {
      let text;
      try {
        text = toTlJson(request);
      } catch (e) {
        throw new MtcoreError(0, `invoke: ${e.message}`);
      }
      const json = cString(m, text);
      try {
        return m._mtcore_client_invoke(this.#h, json);
      } finally {
        m._free(json);
      }
    }, (id) => this.#m._mtcore_client_cancel(this.#h, id), { signal, timeoutMs });
  }

  // Sends formatted text to `peer` (an InputPeer) with messages.sendMessage:
  // `content` is {html}, {markdown} (MarkdownV2) or {text, entities}
  // (MessageEntity objects, offsets in UTF-16 units; a
  // messageEntityMentionName goes out with the access hash the client
  // knows). Resolves with the call's Updates like invoke(); rejects with an
  // MtcoreError, code 0 for text that does not parse (naming the byte). The
  // options are invoke()'s (signal, timeoutMs) and any other field of
  // messages.sendMessage (silent, reply_to, random_id: drawn by the module
  // when left out...).
  sendText(peer, content, { signal, timeoutMs, ...fields } = {}) {
    return this.#track('', (m) => {
      const [format, source, entities] = textSource(content, 'sendText');
      let request;
      try {
        request = toTlJson({ ...fields, _: 'messages.sendMessage', peer });
      } catch (e) {
        throw new MtcoreError(0, `sendText: ${e.message}`);
      }
      const json = cString(m, request);
      const entitiesJson = cString(m, entities);
      try {
        return withUtf8(m, source, (p, n) =>
          m._mtcore_client_send_text(this.#h, json, format, p, n, entitiesJson));
      } finally {
        m._free(json);
        m._free(entitiesJson);
      }
    }, (id) => this.#m._mtcore_client_cancel(this.#h, id), { signal, timeoutMs });
  }

  // Proves the account's 2FA password (after auth.signIn or a QR login
  // answered SESSION_PASSWORD_NEEDED): account.getPassword, the SRP proof
  // made in the module, auth.checkPassword. Resolves with the
  // auth.authorization; rejects with an MtcoreError (the DC's, e.g. 400
  // PASSWORD_HASH_INVALID for a wrong password, or code 0 naming what could
  // not be proven). Options as invoke()'s (signal, timeoutMs).
  checkPassword(password, { signal, timeoutMs } = {}) {
    if (typeof password !== 'string') {
      return Promise.reject(new MtcoreError(0, 'checkPassword: the password must be a string'));
    }
    return this.#track('', (m) =>
      withUtf8(m, password, (p, n) => m._mtcore_client_check_password(this.#h, p, n),
        { wipe: true }),  // the password leaves no copy behind
    (id) => this.#m._mtcore_client_cancel(this.#h, id), { signal, timeoutMs });
  }

  // Uploads a file over the client's DC in parts; resolves with the
  // InputFile for messages.sendMedia ({_: 'inputFile'} or, over 10 MiB,
  // {_: 'inputFileBig'}). `source` is a Uint8Array, a Blob (or File), or
  // {size, read(offset, length)} giving (a promise of) a Uint8Array or
  // ArrayBuffer of exactly `length` bytes. The file is never copied whole
  // into the module: parts are read one at a time as the upload asks for
  // them, at most 2 * 4 parts in the module's memory. A source that throws
  // (or gives the wrong length) ends the upload with an MtcoreError naming
  // the part, and so does a read that has not settled after readTimeoutMs.
  // Options: fileName, partSize (bytes per part: a multiple of 1024 that
  // divides 524288; 524288 by default), readTimeoutMs (how long one part's
  // read may take, in ms: 60000 by default; Infinity: no limit), signal,
  // onProgress ({done, total} in bytes).
  uploadFile(source, { fileName = 'file', partSize = 524288, readTimeoutMs = 60000, signal, onProgress } = {}) {
    let reader;
    try {
      reader = uploadReader(source);
    } catch (e) {
      return Promise.reject(e);
    }
    if (typeof readTimeoutMs !== 'number' || !(readTimeoutMs > 0)) {
      return Promise.reject(new MtcoreError(0,
        `uploadFile: readTimeoutMs is a number of ms above 0 (or Infinity), not ${String(readTimeoutMs)}`));
    }
    return this.#transfer((m) => {
      const name = cString(m, fileName);
      let id;
      try {
        id = m._mtcore_client_upload_start(this.#h, reader.size, name, partSize);
      } finally {
        m._free(name);
      }
      if (id >= 0) this.#uploads.set(String(id), { ...reader, partSize, readTimeoutMs, reading: null });
      return id;
    }, { signal, onProgress });
  }

  // Downloads a document (a message's media.document) from the DC it is
  // stored on (its dc_id): the client's own connection, or a connection to
  // that DC (made on first use with url(dc_id), the login exported and
  // imported there, kept for later downloads; events 'dcConnectionOpened'
  // and 'dcConnectionClosed'). Resolves with its bytes (a Uint8Array), or,
  // with onData, hands it over chunk by chunk and resolves with its size.
  // If that connection cannot be made (the login refused there, dial
  // failures) the download rejects with an MtcoreError naming the DC.
  // Options: signal, onProgress, onData (as downloadFile's).
  downloadDocument(document, { signal, onProgress, onData } = {}) {
    return this.#download(toTlJson(document), -1, 1, { signal, onProgress, onData });
  }

  // Downloads the file at `location` (an InputFileLocation) of `size` bytes
  // if known; resolves with its bytes (a Uint8Array). With onData(offset,
  // bytes) the file is not collected: each chunk (a Uint8Array, in order,
  // offset = the bytes before it) is handed over as it arrives and the
  // promise resolves with the size. onData may return a promise: the next
  // chunk waits for it (and so does the end), and while more than 2 chunks
  // wait the download holds its answers and asks for no more, so a slow
  // consumer keeps memory bounded. An exception or rejection in onData
  // cancels the download, which rejects with that error. A file stored on
  // another DC (FILE_MIGRATE_X) is followed there as downloadDocument() does,
  // keeping what arrived. Options: size, signal, onProgress, onData.
  downloadFile(location, { size = -1, signal, onProgress, onData } = {}) {
    return this.#download(toTlJson(location), size, 0, { signal, onProgress, onData });
  }

  // downloadFile() / downloadDocument() (`document`: {document}) as a
  // ReadableStream of Uint8Array chunks, read as fast as the reader takes
  // them; cancelling the stream cancels the download, a failed download
  // errors the stream.
  downloadStream(target, { size = -1, signal } = {}) {
    const controller = new AbortController();
    let wake = null;  // resolves the onData waiting for the reader
    const abort = () => {
      controller.abort();
      wake?.();
    };
    signal?.addEventListener('abort', abort, { once: true });
    return new ReadableStream({
      start: (stream) => {
        const onData = (offset, bytes) => {
          stream.enqueue(bytes);
          if (stream.desiredSize <= 0) return new Promise((resolve) => { wake = resolve; });
          return undefined;
        };
        const options = { size, signal: controller.signal, onData };
        const done = target && target.document
          ? this.downloadDocument(target.document, options)
          : this.downloadFile(target, options);
        done.then(() => stream.close(), (e) => {
          if (!controller.signal.aborted || signal?.aborted) stream.error(e);
        }).finally(() => signal?.removeEventListener('abort', abort));
      },
      pull: () => {
        wake?.();
        wake = null;
      },
      cancel: abort,
    });
  }

  #download(json, size, isDocument, options) {
    return this.#transfer((m) => {
      const text = cString(m, json);
      try {
        return m._mtcore_client_download(this.#h, text, size, isDocument, options.onData ? 1 : 0);
      } finally {
        m._free(text);
      }
    }, options);
  }

  // Reads the next part streaming upload `id` wants (one read at a time,
  // given up after f.readTimeoutMs) and pushes it into the module.
  #feed(id) {
    const f = this.#uploads.get(id);
    if (!f || f.reading || this.#closed) return;
    const m = this.#m;
    const part = m._mtcore_client_upload_wanted(this.#h, Number(id));
    if (part < 0) return;
    const offset = part * f.partSize;
    const length = Math.min(f.partSize, f.size - offset);
    // This read, while it is the one the upload waits for: the timer ends it.
    const reading = { timer: null };
    f.reading = reading;
    const fail = (message) => {
      const text = cString(m, message);
      if (m._mtcore_client_upload_fail(this.#h, Number(id), part, text) < 0) {
        m._mtcore_client_fail_transfer(this.#h, Number(id), text);
      }
      m._free(text);
    };
    // Whether this read still counts (then it is over): not timed out, the
    // upload still running.
    const current = () => {
      if (f.reading !== reading) return false;
      clearTimeout(reading.timer);
      f.reading = null;
      return !this.#closed && this.#uploads.get(id) === f;
    };
    if (f.readTimeoutMs !== Infinity) {
      reading.timer = setTimeout(() => {
        if (!current()) return;
        fail(`the read of ${length} bytes at offset ${offset} did not settle within ${f.readTimeoutMs} ms (readTimeoutMs)`);
        this.#pump();
      }, Math.min(f.readTimeoutMs, 2 ** 31 - 1));
    }
    Promise.resolve().then(() => f.read(offset, length)).then((data) => {
      if (!current()) return;
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
        : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : null;
      if (!bytes) {
        fail('the source gave no bytes (a Uint8Array or an ArrayBuffer)');
      } else if (bytes.length !== length) {
        fail(`the source gave ${bytes.length} bytes, not ${length}`);
      } else {
        const p = m._malloc(Math.max(1, length));
        m.HEAPU8.set(bytes, p);
        const r = m._mtcore_client_upload_push(this.#h, Number(id), part, p, length);
        m._free(p);
        if (r < 0) fail(m.UTF8ToString(m._mtcore_last_error()));
      }
      this.#pump();
    }, (error) => {
      if (!current()) return;
      fail(errorText(error));
      this.#pump();
    });
  }

  // Upload `id` ended: a read still running no longer counts (nor keeps its timer).
  #forgetUpload(id) {
    const f = this.#uploads.get(id);
    if (!f) return;
    clearTimeout(f.reading?.timer);
    this.#uploads.delete(id);
  }

  // Starts a transfer with `start(module)` (its id, or -1) and settles with
  // its end event.
  #transfer(start, options) {
    return this.#track('t', start, (id) => this.#m._mtcore_client_cancel_transfer(this.#h, id), options);
  }

  // Starts a call or a transfer with `start(module)` (its id, or -1; it may
  // throw an MtcoreError) and returns the promise its answer or end event
  // settles (#dispatch finds it under `prefix` + id). `signal` and
  // `timeoutMs` give it up with `cancel(id)`: the engine then answers it
  // once more, as cancelled, and the promise rejects with why.
  #track(prefix, start, cancel, { signal, timeoutMs, onProgress, onData } = {}) {
    const m = this.#m;
    if (this.#closed) return Promise.reject(new MtcoreError(0, 'the client is closed'));
    if (signal?.aborted) return Promise.reject(new MtcoreError(0, 'cancelled'));
    let id;
    try {
      id = start(m);
    } catch (e) {
      return Promise.reject(e);
    }
    if (id < 0) return Promise.reject(new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error())));
    const key = `${prefix}${id}`;
    const settled = new Promise((resolve, reject) => {
      let timer = null;
      const giveUp = (why) => {
        const entry = this.#pending.get(key);
        if (!entry) return;
        entry.why = why;
        cancel(id);
        this.#pump();
      };
      const onAbort = () => giveUp('cancelled');
      if (timeoutMs !== undefined) timer = setTimeout(() => giveUp(`timed out after ${timeoutMs} ms`), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.set(key, { resolve, reject, cleanup, onProgress, onData, chain: Promise.resolve() });
    });
    this.#pump();
    return settled;
  }

  // A chat's history, newest first, page by page (messages.getHistory,
  // walked by the module), as an async iterable: each message as
  // {message, users, chats} (its page's users and chats, to name senders).
  // The next page is asked for only once the loop took every message of the
  // last one, so one page is in memory. `peer` is an InputPeer. Options:
  // pageSize (1..100, default 100), maxMessages (-1: all), offsetId (start
  // below this message id), minId (only messages above it), signal (an
  // AbortSignal: aborting cancels the walk, its page in flight included, and
  // rejects the iteration with an MtcoreError naming the abort reason, which
  // is also its cause). Breaking out of the loop cancels the walk; bad
  // options, the DC refusing a page and close() reject the iteration with an
  // MtcoreError (code 0) saying why.
  //   for await (const { message } of client.iterHistory(peer, { pageSize: 50 })) ...
  iterHistory(peer, options = {}) {
    return this.#iterable('iterHistory', options, HISTORY_OPTIONS, (m, o) => {
      if (peer === null || typeof peer !== 'object') {
        throw new MtcoreError(0, `iterHistory: the peer is an InputPeer object, not ${peer}`);
      }
      let text;
      try {
        text = toTlJson(peer);
      } catch (e) {
        throw new MtcoreError(0, `iterHistory: peer: ${e.message}`);
      }
      const json = cString(m, text);
      try {
        return m._mtcore_client_iter_history(this.#h, json, o.pageSize ?? 100, o.maxMessages ?? -1,
          o.offsetId ?? 0, o.minId ?? 0);
      } finally {
        m._free(json);
      }
    }, (page, entry) => ({ message: entry, ...pageEntities(page) }));
  }

  // A search in one chat (messages.search), newest first, as iterHistory():
  // each match as {message, users, chats}. Options: query (the words; ''
  // with a filter: every match of it), filter (a MessagesFilter, e.g.
  // {_: 'inputMessagesFilterDocument'}; default any), from (an InputPeer:
  // only its messages), minDate / maxDate (unix times), and iterHistory()'s.
  iterSearch(peer, options = {}) {
    return this.#iterable('iterSearch', options, SEARCH_OPTIONS, (m, o) => {
      const peerText = tlJsonOf('iterSearch', 'the peer is an InputPeer object', peer);
      const filterText = o.filter === undefined ? '' : tlJsonOf('iterSearch', 'filter is a MessagesFilter object', o.filter);
      const fromText = o.from === undefined ? '' : tlJsonOf('iterSearch', 'from is an InputPeer object', o.from);
      const texts = [peerText, o.query ?? '', filterText, fromText].map((t) => cString(m, t));
      try {
        return m._mtcore_client_iter_search(this.#h, ...texts, o.minDate ?? 0, o.maxDate ?? 0,
          o.pageSize ?? 100, o.maxMessages ?? -1, o.offsetId ?? 0, o.minId ?? 0);
      } finally {
        texts.forEach((t) => m._free(t));
      }
    }, (page, entry) => ({ message: entry, ...pageEntities(page) }));
  }

  // The members of a channel or supergroup (channels.getParticipants; an
  // InputChannel), page by page, as iterHistory(): each as {participant,
  // user (null for a chat or channel member), users, chats}. Options:
  // pageSize (1..200, default 200), maxMembers (-1: all), filter (a
  // ChannelParticipantsFilter, e.g. {_: 'channelParticipantsSearch', q:
  // 'ann'}; default recent), signal.
  iterMembers(channel, options = {}) {
    return this.#iterable('iterMembers', options, MEMBER_OPTIONS, (m, o) => {
      const channelText = tlJsonOf('iterMembers', 'the channel is an InputChannel object', channel);
      const filterText = o.filter === undefined ? ''
        : tlJsonOf('iterMembers', 'filter is a ChannelParticipantsFilter object', o.filter);
      const texts = [channelText, filterText].map((t) => cString(m, t));
      try {
        return m._mtcore_client_iter_members(this.#h, ...texts, o.pageSize ?? 200, o.maxMembers ?? -1);
      } finally {
        texts.forEach((t) => m._free(t));
      }
    }, (page, entry) => ({ participant: entry.participant, user: entry.user, ...pageEntities(page) }));
  }

  // The dialog list, most recent first (pinned ones first unless
  // excludePinned), page by page (messages.getDialogs), as iterHistory():
  // each dialog as {dialog, message (its top message, or null), users,
  // chats}. Options: pageSize (1..100, default 100), maxDialogs (-1: all),
  // excludePinned, folderId (0: the main list, 1: the archive), signal.
  iterDialogs(options = {}) {
    return this.#iterable('iterDialogs', options, DIALOG_OPTIONS, (m, o) =>
      m._mtcore_client_iter_dialogs(this.#h, o.pageSize ?? 100, o.maxDialogs ?? -1,
        o.excludePinned ? 1 : 0, o.folderId ?? -1),
    (page, entry) => ({ dialog: entry.dialog, message: entry.message, ...pageEntities(page) }));
  }

  // An async iterable whose each iteration is a walk started by
  // `start(module, options)` (its id, or -1), its entries made by
  // `entryOf(page event, entry)`.
  #iterable(what, options, names, start, entryOf) {
    return { [Symbol.asyncIterator]: () => this.#walkIterator(what, options, names, start, entryOf) };
  }

  #walkIterator(what, options, names, start, entryOf) {
    const m = this.#m;
    // id: the module's walk id once started; buffer: the entries of the page
    // in hand; waiters: next() calls waiting for a page or the end; asked: a
    // page is on its way.
    const w = { id: null, buffer: [], waiters: [], ended: false, error: null, asked: false, entryOf };
    // The options' signal (checked when the walk starts): aborting stops the walk.
    const signal = options !== null && typeof options === 'object' && isAbortSignal(options.signal)
      ? options.signal : null;
    const onAbort = () => {
      const error = new MtcoreError(0, `${what}: cancelled: ${errorText(signal.reason)}`);
      error.cause = signal.reason;
      w.stop(error);
    };
    w.cleanup = () => signal?.removeEventListener('abort', onAbort);
    // Hands what arrived to the waiting next() calls.
    w.settle = () => {
      while (w.waiters.length && w.buffer.length) w.waiters.shift().resolve({ value: w.buffer.shift(), done: false });
      if (!w.waiters.length || !w.ended) return;
      w.cleanup();  // the iteration is over
      if (w.error) {
        const error = w.error;
        w.error = null;
        w.waiters.shift().reject(error);
      }
      for (const waiter of w.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    };
    // The page in hand was taken: asks for the next one (the first: starts the walk).
    w.ask = () => {
      if (w.ended || w.asked || w.buffer.length) return;
      if (this.#closed) {
        w.ended = true;
        w.error = new MtcoreError(0, `${what}: the client is closed`);
        return;
      }
      w.asked = true;
      if (w.id !== null) {
        m._mtcore_client_walk_more(this.#h, Number(w.id));
      } else {
        let id;
        try {
          checkOptions(what, options, names);
          id = start(m, options);
        } catch (e) {
          w.ended = true;
          w.error = e instanceof MtcoreError ? e : new MtcoreError(0, `${what}: ${errorText(e)}`);
          return;
        }
        if (id < 0) {
          w.ended = true;
          w.error = new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error()));
          return;
        }
        w.id = String(id);
        this.#walks.set(w.id, w);
      }
      this.#pump();
    };
    // Ends the iteration (with `error`, or done if null): the walk, if it
    // runs, is cancelled with its request in flight; what was not taken is
    // dropped.
    w.stop = (error) => {
      if (!w.ended) {
        w.ended = true;
        if (w.id !== null && this.#walks.delete(w.id) && !this.#closed) {
          m._mtcore_client_walk_cancel(this.#h, Number(w.id));
          this.#pump();
        }
      }
      w.cleanup();
      w.buffer = [];
      w.error = error;
      w.settle();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    return {
      next: () => new Promise((resolve, reject) => {
        w.waiters.push({ resolve, reject });
        if (!w.buffer.length) w.ask();
        w.settle();
      }),
      // The loop stopped early: the walk is cancelled.
      return: () => {
        w.stop(null);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  // Logs in by QR code (core.telegram.org/api/qr-login; the module's
  // QrLogin): onUrl(url, expiresAt) gets each login URL to show as a QR code
  // (tg://login?token=...), a new one whenever the last expired; expiresAt
  // is when it expires, in ms since the epoch (the clock the client runs
  // on: performance.timeOrigin + performance.now(), close to Date.now()).
  // Another app of the account scans it (auth.acceptLoginToken); the
  // promise resolves with the auth.authorization (the client is logged in;
  // if the account lives on another DC the client moves there as after
  // PHONE_MIGRATE), or, if the schema given to create() cannot read it
  // (though the client is logged in), with {_: '$unreadable', userId, bytes
  // (its TL bytes, base64), reason}. A 2FA account rejects with an MtcoreError whose
  // passwordNeeded is true (code 401, SESSION_PASSWORD_NEEDED): prove the
  // password on this client with account.getPassword and auth.checkPassword
  // (SRP), as after auth.signIn. Other ends reject with an MtcoreError
  // (code 0) saying why: the DC's error, aborted (signal: 'cancelled'),
  // onUrl throwing (the login is cancelled), close(). Options: onUrl
  // (required), apiHash (default: create()'s; with create()'s apiId),
  // exceptIds (user ids already logged in on this device: numbers, decimal
  // strings or bigints), signal (an AbortSignal: cancels the login). One at
  // a time, on a client not logged in.
  logInWithQr({ onUrl, apiHash, exceptIds = [], signal } = {}) {
    const m = this.#m;
    if (this.#closed) return Promise.reject(new MtcoreError(0, 'the client is closed'));
    if (typeof onUrl !== 'function') {
      return Promise.reject(new MtcoreError(0, 'logInWithQr: onUrl(url, expiresAt) is required'));
    }
    if (this.#qr) return Promise.reject(new MtcoreError(0, 'logInWithQr: a QR login is running already'));
    if (signal?.aborted) return Promise.reject(new MtcoreError(0, 'cancelled'));
    const hash = apiHash ?? this.#options.apiHash ?? '';
    if (typeof hash !== 'string') {
      return Promise.reject(new MtcoreError(0, `logInWithQr: apiHash is a string, not ${typeof hash}`));
    }
    let ids;
    try {
      ids = exceptIdList(exceptIds);
    } catch (e) {
      return Promise.reject(e);
    }
    const hashText = cString(m, hash);
    const idsText = cString(m, ids);
    let r;
    try {
      r = m._mtcore_client_qr_login(this.#h, hashText, idsText);
    } finally {
      m._free(hashText);
      m._free(idsText);
    }
    if (r < 0) return Promise.reject(new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error())));
    const settled = new Promise((resolve, reject) => {
      const entry = { resolve, reject, onUrl, why: null };
      const onAbort = () => this.#cancelQr(entry, 'cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.#qr = entry;
    });
    this.#pump();
    return settled;
  }

  // Logs in with a phone number (core.telegram.org/api/auth; the module's
  // PhoneLogin): auth.sendCode (PHONE_MIGRATE followed: the client moves to
  // the account's DC), then asks the page for what the login needs, when it
  // needs it, each time with `refused`, why the last answer was refused (''
  // at first; e.g. 'auth.signIn: rpc error 400 PHONE_CODE_INVALID'):
  //   onCode(how, refused): the code, a string (or a promise of one); ''
  //     asks for it another way (how.nextType: 'sms', 'call'..., after
  //     how.timeout seconds). how: {type ('app', 'sms', 'call',
  //     'email_code'...), length, pattern, nextType, timeout (-1: none)}.
  //   onPassword(hint, refused): the 2FA password (proven with SRP in the
  //     module; its bytes there are wiped). Without it a 2FA account
  //     rejects with passwordNeeded (then checkPassword()).
  //   onSignUp(terms, refused): a number with no account: {firstName,
  //     lastName} (terms: help.termsOfService to show, or null; the page
  //     calls help.acceptTermsOfService once the user agreed). Without it
  //     such a number rejects.
  //   onEmail(allowed, refused): the DC asks to set up a login email first:
  //     the address (its code then comes through onCode, how.type
  //     'email_code'), or {provider: 'google' | 'apple', token} (an ID
  //     token proving one, where allowed.googleAllowed / appleAllowed).
  //     Without it such a login rejects.
  // futureAuthTokens: the future_auth_token (base64, as the authorization
  // gives it) of earlier logins of this number, newest first: the DC may log
  // in without a code. Resolves with the auth.authorization (keep its
  // future_auth_token); rejects with an MtcoreError (code 0) saying why: the
  // DC's error, a prompt that threw (the login is cancelled), aborted
  // (signal: 'cancelled'), close(). Options also apiHash (default:
  // create()'s). One at a time, on a client not logged in.
  logInWithPhone({ phone, apiHash, futureAuthTokens = [], onCode, onPassword, onSignUp, onEmail, signal } = {}) {
    const m = this.#m;
    if (this.#closed) return Promise.reject(new MtcoreError(0, 'the client is closed'));
    if (typeof phone !== 'string') {
      return Promise.reject(new MtcoreError(0, 'logInWithPhone: phone is a string'));
    }
    if (typeof onCode !== 'function') {
      return Promise.reject(new MtcoreError(0, 'logInWithPhone: onCode(how, refused) is required'));
    }
    for (const [name, f] of [['onPassword', onPassword], ['onSignUp', onSignUp], ['onEmail', onEmail]]) {
      if (f !== undefined && typeof f !== 'function') {
        return Promise.reject(new MtcoreError(0, `logInWithPhone: ${name} is a function`));
      }
    }
    if (this.#phone) return Promise.reject(new MtcoreError(0, 'logInWithPhone: a phone login is running already'));
    if (signal?.aborted) return Promise.reject(new MtcoreError(0, 'cancelled'));
    const hash = apiHash ?? this.#options.apiHash ?? '';
    if (typeof hash !== 'string') {
      return Promise.reject(new MtcoreError(0, `logInWithPhone: apiHash is a string, not ${typeof hash}`));
    }
    if (!Array.isArray(futureAuthTokens) ||
        futureAuthTokens.some((t) => typeof t !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(t))) {
      return Promise.reject(new MtcoreError(0, 'logInWithPhone: futureAuthTokens is an array of base64 strings'));
    }
    const phoneText = cString(m, phone);
    const hashText = cString(m, hash);
    const tokensText = cString(m, futureAuthTokens.join(','));
    let r;
    try {
      r = m._mtcore_client_phone_login(this.#h, phoneText, hashText, tokensText);
    } finally {
      m._free(phoneText);
      m._free(hashText);
      m._free(tokensText);
    }
    if (r < 0) return Promise.reject(new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error())));
    const settled = new Promise((resolve, reject) => {
      const entry = { resolve, reject, onCode, onPassword, onSignUp, onEmail, why: null, passwordNeeded: false };
      const onAbort = () => this.#cancelPhone(entry, 'cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.#phone = entry;
    });
    this.#pump();
    return settled;
  }

  // Answers the step `e` the phone login `p` waits for with what the page's
  // prompt gives; a step the module refuses (no other way to send the code,
  // an empty name) is asked again with its reason.
  async #answerPhone(p, e) {
    const m = this.#m;
    let refused = e.refused;
    for (let asked = 1; ; ++asked) {
      let r;
      try {
        if (e.step === 'code') {
          const code = await p.onCode({ ...e.how }, refused);
          if (typeof code !== 'string') throw new TypeError(`onCode gave ${typeof code}, not a string`);
          if (this.#phone !== p || p.why) return;
          const text = cString(m, code);
          try { r = m._mtcore_client_phone_code(this.#h, text); } finally { m._free(text); }
        } else if (e.step === 'password') {
          if (!p.onPassword) {
            p.passwordNeeded = true;
            this.#cancelPhone(p, 'SESSION_PASSWORD_NEEDED');
            return;
          }
          const password = await p.onPassword(e.hint, refused);
          if (typeof password !== 'string') throw new TypeError(`onPassword gave ${typeof password}, not a string`);
          if (this.#phone !== p || p.why) return;
          r = withUtf8(m, password, (ptr, n) => m._mtcore_client_phone_password(this.#h, ptr, n),
            { wipe: true });
        } else if (e.step === 'email') {
          if (!p.onEmail) {
            this.#cancelPhone(p, 'logInWithPhone: the DC asks to set up a login email first (give onEmail)');
            return;
          }
          const email = await p.onEmail({ googleAllowed: e.googleAllowed, appleAllowed: e.appleAllowed }, refused);
          const byToken = email !== null && typeof email === 'object';
          if (byToken ? (email.provider !== 'google' && email.provider !== 'apple') || typeof email.token !== 'string'
            : typeof email !== 'string') {
            throw new TypeError("onEmail gives an address or {provider: 'google' | 'apple', token}");
          }
          if (this.#phone !== p || p.why) return;
          const text = cString(m, byToken ? email.token : email);
          try {
            r = byToken ? m._mtcore_client_phone_email_token(this.#h, email.provider === 'apple' ? 1 : 0, text)
              : m._mtcore_client_phone_email(this.#h, text);
          } finally { m._free(text); }
        } else {
          if (!p.onSignUp) {
            this.#cancelPhone(p, 'logInWithPhone: the number has no account (give onSignUp to sign up)');
            return;
          }
          const name = await p.onSignUp(e.terms, refused);
          const first = name?.firstName, last = name?.lastName ?? '';
          if (typeof first !== 'string' || typeof last !== 'string') {
            throw new TypeError('onSignUp gives {firstName, lastName} strings');
          }
          if (this.#phone !== p || p.why) return;
          const f = cString(m, first), l = cString(m, last);
          try { r = m._mtcore_client_phone_sign_up(this.#h, f, l); } finally { m._free(f); m._free(l); }
        }
      } catch (error) {
        this.#cancelPhone(p, `logInWithPhone: ${e.step} prompt failed: ${errorText(error)}`);
        return;
      }
      if (r >= 0) {
        this.#pump();
        return;
      }
      refused = m.UTF8ToString(m._mtcore_last_error());
      if (asked >= 20) {
        this.#cancelPhone(p, `logInWithPhone: 20 answers refused, the last: ${refused}`);
        return;
      }
    }
  }

  // Gives up the phone login `entry` (if it still runs): it rejects with
  // `why` once the module says it ended.
  #cancelPhone(entry, why) {
    if (this.#phone !== entry || this.#closed) return;
    entry.why ??= why;
    this.#m._mtcore_client_phone_cancel(this.#h);
    this.#pump();
  }

  // Gives up the QR login `entry` (if it still runs): it rejects with `why`
  // once the module says it ended.
  #cancelQr(entry, why) {
    if (this.#qr !== entry || this.#closed) return;
    entry.why ??= why;
    this.#m._mtcore_client_qr_cancel(this.#h);
    this.#pump();
  }

  // Every update ({type: 'update', update, users, chats}), in order, once.
  // Returns a function that removes the listener.
  onUpdate(listener) {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  // Every other event: {type: 'authKeyReady' | 'loggedOut' | 'updatesTooLong'
  // | 'sessionReset' | 'fatal' | 'connected' | 'disconnected' | 'dialFailed'
  // | 'transportFailed' | 'tempKeyBound' | 'bindFailed' | 'dcConnectionOpened'
  // | 'dcConnectionClosed' | ...}. Events of a connection to another DC (for
  // downloads) carry mediaDc: that DC ({type: 'connected', dc: 4, mediaDc:
  // 4}); they never mean the client's own connection. Returns a function
  // that removes the listener.
  onEvent(listener) {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  // The DC the client talks to now (-1 after close()).
  get dc() {
    return this.#closed ? -1 : this.#m._mtcore_client_dc(this.#h);
  }

  // What to store to resume later without a new key or login.
  snapshot() {
    if (this.#closed) throw new MtcoreError(0, 'the client is closed');
    const m = this.#m;
    const n = m._mtcore_client_snapshot(this.#h);
    return m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n);
  }

  // Stops the client: the socket closes, unanswered calls reject.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#home.close();
    for (const socket of this.#links.values()) socket.close();
    this.#links.clear();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const id of [...this.#uploads.keys()]) this.#forgetUpload(id);
    const walks = [...this.#walks.values()];
    this.#walks.clear();
    const qr = this.#qr;
    this.#qr = null;
    const phone = this.#phone;
    this.#phone = null;
    this.#m._mtcore_client_free(this.#h);
    for (const p of pending) {
      p.cleanup();
      p.reject(new MtcoreError(0, 'the client is closed'));
    }
    for (const login of [qr, phone]) {
      if (!login) continue;
      login.cleanup();
      login.reject(new MtcoreError(0, 'the client is closed'));
    }
    for (const w of walks) {  // their iterations reject
      w.cleanup();
      w.ended = true;
      w.buffer = [];
      w.error = new MtcoreError(0, 'the client is closed');
      w.settle();
    }
  }

  // Moves bytes out, events to listeners and promises, and re-arms the timer.
  // Not re-entrant: a listener that calls invoke() makes the running pump go
  // round again, so updates reach every listener in order.
  #pump() {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#pumpOnce();
      } while (this.#pumpAgain && !this.#closed);
    } finally {
      this.#pumping = false;
    }
  }

  // Sends what every engine of the client has.
  #pumpOut() {
    this.#home.pumpOut();
    for (const socket of [...this.#links.values()]) socket.pumpOut();
  }

  #pumpOnce() {
    const m = this.#m;
    this.#pumpOut();
    if (this.#closed) return;
    for (;;) {
      const p = m._mtcore_client_poll(this.#h, now());
      if (!p) break;
      this.#dispatch(JSON.parse(m.UTF8ToString(p)));
      if (this.#closed) return;
    }
    // What the events asked for (a login exported for another DC and
    // imported there, a download moved) goes out now.
    this.#pumpOut();
    if (this.#closed) return;
    for (const id of this.#uploads.keys()) this.#feed(id);
    clearTimeout(this.#timer);
    const deadline = m._mtcore_client_deadline(this.#h);
    if (deadline >= 0) {
      this.#timer = setTimeout(() => {
        if (this.#closed) return;
        m._mtcore_client_on_timeout(this.#h, now());
        this.#pump();
      }, Math.max(0, Math.min(deadline - now(), 2 ** 31 - 1)));
    }
  }

  #dispatch(e) {
    if (e.type === 'phoneLoginStep' || e.type === 'phoneLoginEnded') {
      const p = this.#phone;
      if (!p) return;
      if (e.type === 'phoneLoginStep') {
        if (!p.why) this.#answerPhone(p, e);  // (in the background: the prompts may take long)
        return;
      }
      this.#phone = null;
      p.cleanup();
      if (e.ok) p.resolve(e.authorization);
      else if (p.passwordNeeded) p.reject(new MtcoreError(401, 'SESSION_PASSWORD_NEEDED'));
      else p.reject(new MtcoreError(0, p.why ?? e.message));
      return;
    }
    if (e.type === 'qrLoginUrl' || e.type === 'qrLoginEnded') {
      const q = this.#qr;
      if (!q) return;
      if (e.type === 'qrLoginUrl') {
        if (q.why) return;  // being cancelled
        try {
          q.onUrl(e.url, e.expiresAt);
        } catch (error) {
          this.#cancelQr(q, `logInWithQr: onUrl failed: ${errorText(error)}`);
        }
        return;
      }
      this.#qr = null;
      q.cleanup();
      if (e.ok) q.resolve(e.authorization);
      else if (e.passwordNeeded && !q.why) q.reject(new MtcoreError(401, 'SESSION_PASSWORD_NEEDED'));
      else q.reject(new MtcoreError(0, q.why ?? e.message));
      return;
    }
    if (e.walk !== undefined) {
      const w = this.#walks.get(e.walk);
      if (!w) return;  // the end of a walk given up (the loop stopped)
      if (e.type === 'walkPage') {
        w.asked = false;
        for (const entry of e.entries) w.buffer.push(w.entryOf(e, entry));
        if (!w.buffer.length && w.waiters.length) w.ask();  // nothing readable: on to the next page
      } else if (e.type === 'walkEnded') {
        this.#walks.delete(e.walk);
        w.ended = true;
        if (!e.ok) w.error = new MtcoreError(0, e.message);
      }
      w.settle();
      return;
    }
    if (e.transfer !== undefined) {
      const m = this.#m;
      const id = Number(e.transfer);
      if (e.type === 'downloadData') {
        const n = m._mtcore_client_take_chunk(this.#h, id);  // taken even if unwanted
        const p = this.#pending.get(`t${e.transfer}`);
        if (!p || n < 0 || p.failed) return;
        const bytes = m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n);
        const offset = e.offset;
        // Backpressure: while more than 2 chunks wait for onData the module
        // holds the download's answers (and asks for no more windows).
        p.waiting = (p.waiting ?? 0) + 1;
        if (p.waiting > 2 && !p.paused) {
          p.paused = true;
          m._mtcore_client_pause_transfer(this.#h, id, 1);
        }
        const handled = () => {
          p.waiting -= 1;
          if (p.paused && p.waiting <= 1 && !this.#closed) {
            p.paused = false;
            m._mtcore_client_pause_transfer(this.#h, id, 0);
            this.#pump();
          }
        };
        p.chain = p.chain.then(() => (p.failed ? undefined : p.onData(offset, bytes))).then(handled, (error) => {
          handled();
          if (p.failed) return;
          p.failed = new MtcoreError(0, `download: onData failed at offset ${offset}: ${errorText(error)}`);
          const text = cString(m, p.failed.message);
          if (!this.#closed) m._mtcore_client_fail_transfer(this.#h, id, text);
          m._free(text);
          this.#pump();
        });
        return;
      }
      if (e.type !== 'transferProgress') this.#forgetUpload(e.transfer);
      const p = this.#pending.get(`t${e.transfer}`);
      if (!p) return;
      if (e.type === 'transferProgress') {
        if (p.onProgress) {
          try {
            p.onProgress({ done: e.done, total: e.total });
          } catch (error) {
            (this.#options.onListenerError || rethrowLater)(error);
          }
        }
        return;
      }
      this.#pending.delete(`t${e.transfer}`);
      p.cleanup();
      if (p.onData && e.type !== 'downloaded') {  // failed: the chunks still waiting are dropped
        p.failed ??= new MtcoreError(0, p.why ?? e.message);
        p.reject(p.failed);
        return;
      }
      if (p.onData) {  // a streaming download: settles once its chunks were handed over
        p.chain.then(() => {
          if (p.failed) p.reject(p.failed);
          else if (e.type === 'downloaded') p.resolve(e.size);
          else p.reject(new MtcoreError(0, p.why ?? e.message));
        });
        return;
      }
      if (e.type === 'uploaded') {
        p.resolve(e.file);
      } else if (e.type === 'downloaded') {
        const n = m._mtcore_client_take_download(this.#h, id);
        if (n < 0) p.reject(new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error())));
        else p.resolve(m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n));
      } else {
        p.reject(new MtcoreError(0, p.why ?? e.message));
      }
      return;
    }
    if (e.type === 'result' || e.type === 'error') {
      const p = this.#pending.get(e.id);
      if (!p) return;
      this.#pending.delete(e.id);
      p.cleanup();
      if (e.type === 'result') p.resolve(e.result);
      else p.reject(new MtcoreError(e.code, p.why ?? e.message, e.executed ? e : undefined));
      return;
    }
    if (e.type === 'update') {
      for (const l of [...this.#updateListeners]) {
        try {
          l(e);
        } catch (error) {
          (this.#options.onListenerError || rethrowLater)(error);
        }
      }
      return;
    }
    if (e.type === 'dcConnectionOpened') {
      // A download needs DC e.dc: the module made a connection there.
      const socket = this.#socket(e.link, () => e.dc);
      this.#links.set(e.link, socket);
      socket.connect();
    } else if (e.type === 'dcConnectionClosed') {
      this.#links.get(e.link)?.close();
      this.#links.delete(e.link);
    }
    this.#emit(e);
    // The engine gave up: every call fails. (A connection to another DC
    // that gives up, mediaDc, only ends the downloads on it.)
    if (e.type === 'fatal' && e.mediaDc === undefined) this.close();
  }

  #emit(e) {
    for (const l of [...this.#eventListeners]) {
      try {
        l(e);
      } catch (error) {
        (this.#options.onListenerError || rethrowLater)(error);
      }
    }
  }

  static #call(m, fn, what) {
    const r = fn();
    if (r < 0) throw new MtcoreError(0, `${what}: ${m.UTF8ToString(m._mtcore_last_error())}`);
    return r;
  }
}
