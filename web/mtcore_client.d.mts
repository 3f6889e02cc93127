// Types of web/mtcore_client.mjs (the browser client's JavaScript driver).
// API objects are plain objects in mtcute's JSON style: `_` names the
// constructor or method; longs are decimal strings, bytes base64 strings,
// int128/int256 lowercase hex. Calls may give longs as bigint and bytes as
// typed arrays (see toTlJson).

import type { MtcoreModule } from './mtcore.mjs';

// A TL object as the client reads and writes it.
export interface TlObject {
  _: string;
  [field: string]: unknown;
}

// A value a call may hold: what JSON can say, plus bigint (a long) and bytes.
export type TlInput =
  | string
  | number
  | boolean
  | null
  | bigint
  | ArrayBuffer
  | ArrayBufferView
  | TlInput[]
  | { [field: string]: TlInput | undefined };

// An API call: `_` names a method of the schema ('messages.sendMessage').
export interface TlRequest {
  _: string;
  [field: string]: TlInput | undefined;
}

export interface CreateOptions {
  // From createModule() (mtcore.mjs).
  module: MtcoreModule;
  // Text of api-schema.json (or of a .tl file, with schemaName 'api.tl'); its
  // layer must be the module's (228).
  schema: string;
  schemaName?: string;
  // Home DC to start with (default 2).
  dc?: number;
  // The DC's RSA public key (PEM); default: Telegram's production key.
  rsaKey?: string;
  apiId?: number;
  // Where DC n takes WebSocket connections (Telegram: wss://.../apiws).
  url: (dc: number) => string;
  // From snapshot(): resume without a new key or login.
  snapshot?: Uint8Array;
  // A WebSocket constructor (default globalThis.WebSocket).
  WebSocket?: new (url: string, protocol: string) => WebSocket;
  // First retry delay; doubles up to 5 s (default 100).
  reconnectDelayMs?: number;
  // Gets what a listener threw (default: rethrown as an uncaught error).
  onListenerError?: (error: unknown) => void;
}

export interface InvokeOptions {
  // Cancels the call when aborted.
  signal?: AbortSignal;
  // Cancels the call after this long.
  timeoutMs?: number;
}

// Every update, in order, once.
export interface UpdateEvent {
  type: 'update';
  update: TlObject;
  users: TlObject[];
  chats: TlObject[];
  // Users or chats the schema could not read (left out of the arrays).
  entityErrors?: string[];
}

// Everything else the client reports.
export type ClientEvent =
  | { type: 'connected'; dc: number }
  | { type: 'disconnected'; why: string }
  | { type: 'dialFailed'; why?: string; dc?: number; message?: string }
  | { type: 'transportFailed'; message: string }
  | { type: 'authKeyReady' }
  | { type: 'sessionReset' }
  | { type: 'timeAdjusted' }
  | { type: 'fatal'; message: string }
  | { type: 'loggedOut'; message: string }
  | { type: 'updatesTooLong'; channelId: string }
  | { type: 'channelUnavailable'; channelId: string; message: string }
  | { type: 'transportError'; code: number }
  | { type: 'messageRejected'; message: string }
  | { type: 'reconnectAdvised'; message: string }
  | { type: 'badUpdate'; message: string }
  | { type: 'engine'; kind: number };

// An rpc error (code != 0) or a call that failed without one (code 0:
// cancelled, timed out, the client closed).
export class MtcoreError extends Error {
  constructor(code: number, message: string);
  readonly code: number;
  readonly errorMessage: string;
}

export class MtcoreClient {
  static create(options: CreateOptions): Promise<MtcoreClient>;
  // Resolves with the method's result (typed by the caller: the schema is
  // loaded at run time), rejects with an MtcoreError; exactly once.
  invoke<T = any>(request: TlRequest, options?: InvokeOptions): Promise<T>;
  // Each returns a function that removes the listener.
  onUpdate(listener: (update: UpdateEvent) => void): () => void;
  onEvent(listener: (event: ClientEvent) => void): () => void;
  // The DC the client talks to now (-1 after close()).
  readonly dc: number;
  // What to store to resume later (create({snapshot})).
  snapshot(): Uint8Array;
  close(): void;
}

export function toBase64(bytes: Uint8Array): string;
export function fromBase64(text: string): Uint8Array;
export function toTlJson(object: TlInput): string;
