// Types of mtcore.mjs, the ES module the `//web:mtcore` wasm_module builds
// (with mtcore.wasm beside it). Pages only hand the loaded module to
// MtcoreClient.create (mtcore_client.mjs); its C entry points are internal.

// The loaded WebAssembly module.
export interface MtcoreModule {
  // "target: wasm32-emscripten\nmbedtls: ...": what the module was built from.
  _mtcore_build_info(): number;
  // The module checks its own primitives (known answers): a pointer to ""
  // if all pass, else to what failed (read both with UTF8ToString).
  _mtcore_self_check(): number;
  UTF8ToString(pointer: number): string;
  readonly HEAPU8: Uint8Array;
}

export interface ModuleOptions {
  // The bytes of mtcore.wasm, when the page fetches them itself.
  wasmBinary?: ArrayBuffer | Uint8Array;
  // Where mtcore.wasm is, given its file name (default: beside mtcore.mjs).
  locateFile?: (path: string, prefix: string) => string;
}

export default function createModule(options?: ModuleOptions): Promise<MtcoreModule>;
