// mtcore's Telegram client in a browser tab (or any JavaScript host with
// WebSocket and Web Crypto): the WebAssembly engine (mtcore.mjs + .wasm) fed
// by a WebSocket to the DC and by timers, with API objects as plain JSON
// objects in mtcute's style ({_: 'messages.sendMessage', peer: {...}, ...};
// longs as decimal strings, bytes as base64).
//
// The engine runs the whole protocol: obfuscated transport, key exchange,
// encrypted session, acks, salts, re-sends across reconnects, updates in
// order through its gap engine, FLOOD_WAIT and DC migrations. This file only
// moves bytes and time: WebSocket messages in, bytes out, one timer for the
// engine's next deadline.
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
//   client.close();

const enc = new TextEncoder();

function now() {
  return performance.timeOrigin + performance.now();
}

// An rpc error or a failed request.
export class MtcoreError extends Error {
  constructor(code, message) {
    super(code ? `rpc error ${code} ${message}` : message);
    this.code = code;          // 0: not an rpc error (cancelled, ...)
    this.errorMessage = message;
  }
}

export class MtcoreClient {
  // Loads the schema into `module` (once per module) and makes a client.
  // Options: module (from createModule()), schema (text of api-schema.json
  // or a .tl file; schemaName 'api.tl' for the latter), dc (home DC to
  // start with), rsaKey (PEM; default: Telegram's production key), apiId,
  // url (dc -> WebSocket URL, e.g. Telegram's wss://.../apiws), snapshot
  // (Uint8Array from snapshot(), to resume), WebSocket (constructor; default
  // globalThis.WebSocket), reconnectDelayMs (first retry; doubles to 5 s).
  static async create(options) {
    const m = options.module;
    if (!m.__mtcoreSchemaLoaded) {
      MtcoreClient.#call(m, (p) => {
        const text = enc.encode(options.schema);
        const buf = m._malloc(text.length + 1);
        m.HEAPU8.set(text, buf);
        const name = MtcoreClient.#string(m, options.schemaName || 'api-schema.json');
        try {
          return m._mtcore_load_schema(buf, text.length, name);
        } finally {
          m._free(buf);
          m._free(name);
        }
      }, 'load the schema');
      m.__mtcoreSchemaLoaded = true;
    }
    const pem = MtcoreClient.#string(m, options.rsaKey || '');
    const snap = options.snapshot || new Uint8Array(0);
    const snapPtr = m._malloc(Math.max(1, snap.length));
    m.HEAPU8.set(snap, snapPtr);
    let handle;
    try {
      handle = MtcoreClient.#call(m, () => m._mtcore_client_new(options.dc ?? 2, pem, options.apiId ?? 0,
        snapPtr, snap.length, now()), 'create the client');
    } finally {
      m._free(pem);
      m._free(snapPtr);
    }
    const client = new MtcoreClient(m, handle, options);
    client.#connect();
    return client;
  }

  #m;
  #h;
  #options;
  #ws = null;
  #timer = null;
  #pending = new Map();  // request id -> {resolve, reject}
  #updateListeners = [];
  #eventListeners = [];
  #closed = false;
  #reconnectDelay;
  #reconnectTimer = null;

  constructor(m, handle, options) {
    this.#m = m;
    this.#h = handle;
    this.#options = options;
    this.#reconnectDelay = options.reconnectDelayMs ?? 100;
  }

  // Calls the API function `request` ({_: 'method.name', ...fields}); resolves
  // with its result object, rejects with an MtcoreError. Exactly one of the
  // two happens for every call, across reconnects and migrations.
  invoke(request) {
    const m = this.#m;
    if (this.#closed) return Promise.reject(new MtcoreError(0, 'the client is closed'));
    const json = MtcoreClient.#string(m, JSON.stringify(request));
    let id;
    try {
      id = m._mtcore_client_invoke(this.#h, json);
    } finally {
      m._free(json);
    }
    if (id < 0) return Promise.reject(new MtcoreError(0, m.UTF8ToString(m._mtcore_last_error())));
    const answer = new Promise((resolve, reject) => this.#pending.set(String(id), { resolve, reject }));
    this.#pump();
    return answer;
  }

  // Every update ({type: 'update', update, users, chats}), in order, once.
  onUpdate(listener) {
    this.#updateListeners.push(listener);
  }

  // Every other event: {type: 'authKeyReady' | 'loggedOut' | 'updatesTooLong'
  // | 'sessionReset' | 'fatal' | 'connected' | 'disconnected' | ...}.
  onEvent(listener) {
    this.#eventListeners.push(listener);
  }

  // The DC the client talks to now.
  get dc() {
    return this.#m._mtcore_client_dc(this.#h);
  }

  // What to store to resume later without a new key or login.
  snapshot() {
    const m = this.#m;
    const n = m._mtcore_client_snapshot(this.#h);
    return m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n);
  }

  // Stops the client: the socket closes, unanswered calls reject.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#reconnectTimer);
    if (this.#ws) this.#ws.close();
    this.#ws = null;
    for (const p of this.#pending.values()) p.reject(new MtcoreError(0, 'the client is closed'));
    this.#pending.clear();
    this.#m._mtcore_client_free(this.#h);
  }

  #connect() {
    if (this.#closed) return;
    const WS = this.#options.WebSocket || globalThis.WebSocket;
    const m = this.#m;
    const ws = new WS(this.#options.url(this.dc), 'binary');
    ws.binaryType = 'arraybuffer';
    this.#ws = ws;
    let failed = false;
    let opened = false;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      opened = true;
      this.#reconnectDelay = this.#options.reconnectDelayMs ?? 100;
      m._mtcore_client_on_open(this.#h, now());
      this.#emit({ type: 'connected', dc: this.dc });
      this.#pump();
    };
    ws.onmessage = (e) => {
      if (this.#ws !== ws || failed) return;
      const bytes = new Uint8Array(e.data);
      const p = m._malloc(Math.max(1, bytes.length));
      m.HEAPU8.set(bytes, p);
      const r = m._mtcore_client_on_bytes(this.#h, p, bytes.length, now());
      m._free(p);
      if (r < 0) {
        failed = true;
        this.#emit({ type: 'transportFailed', message: m.UTF8ToString(m._mtcore_last_error()) });
        ws.close();
      }
      this.#pump();
    };
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#closed) return;
      if (opened) {  // a dial that failed never reached the engine
        const why = MtcoreClient.#string(m, `WebSocket closed (${e.code}${e.reason ? ' ' + e.reason : ''})`);
        m._mtcore_client_on_close(this.#h, why, now());
        m._free(why);
        this.#emit({ type: 'disconnected', code: e.code });
        this.#pump();
      }
      const delay = this.#reconnectDelay;
      this.#reconnectDelay = Math.min(delay * 2, 5000);
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    };
    ws.onerror = () => {};  // onclose follows
  }

  // Moves bytes out, events to listeners and promises, and re-arms the timer.
  #pump() {
    if (this.#closed) return;
    const m = this.#m;
    const ws = this.#ws;
    if (ws && ws.readyState === 1) {
      for (;;) {
        const n = m._mtcore_client_pull(this.#h);
        if (n === 0) break;
        ws.send(m.HEAPU8.slice(m._mtcore_out_ptr(), m._mtcore_out_ptr() + n));
      }
      // After a migration the engine closes the old connection; the close
      // handler then dials the new DC.
      if (m._mtcore_client_wants_close(this.#h)) ws.close();
    }
    for (;;) {
      const p = m._mtcore_client_poll(this.#h);
      if (!p) break;
      this.#dispatch(JSON.parse(m.UTF8ToString(p)));
      if (this.#closed) return;
    }
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
    if (e.type === 'result' || e.type === 'error') {
      const p = this.#pending.get(e.id);
      if (!p) return;
      this.#pending.delete(e.id);
      if (e.type === 'result') p.resolve(e.result);
      else p.reject(new MtcoreError(e.code, e.message));
      return;
    }
    if (e.type === 'update') {
      for (const l of this.#updateListeners) l(e);
      return;
    }
    this.#emit(e);
  }

  #emit(e) {
    for (const l of this.#eventListeners) l(e);
  }

  static #string(m, s) {
    const n = m.lengthBytesUTF8(s) + 1;
    const p = m._malloc(n);
    m.stringToUTF8(s, p, n);
    return p;
  }

  static #call(m, fn, what) {
    const r = fn();
    if (r < 0) throw new MtcoreError(0, `${what}: ${m.UTF8ToString(m._mtcore_last_error())}`);
    return r;
  }
}
