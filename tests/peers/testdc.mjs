// Shared harness of the peer tests: starts mtcore's simulated DC (testdc) on
// free loopback ports, reads what it prints (DC addresses, RSA public key,
// fingerprint), writes the world config that points it at the peer's own TL
// schema, and finds the npm packages of the peer clients.
//
// Nothing of the peers is committed: their packages come from node_modules
// (`npm ci` by ./bazelw) and their schema files are read from those packages
// at run time.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// Every await on a peer or on testdc goes through this: a hung step fails
// with its name instead of hanging the whole test until Bazel's timeout.
export const STEP_TIMEOUT_MS = Number(process.env.PEER_STEP_TIMEOUT_MS || 20000);

export function withTimeout(promise, what, ms = STEP_TIMEOUT_MS, dc = null) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms: ${what}${dc ? '\n' + dc.describe() : ''}`));
    }, ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

// The directory holding the installed npm packages, as a real path (so that
// packages resolve each other, and module singletons such as the RSA key
// tables are shared with the client code that uses them).
export function nodeModulesDir() {
  const candidates = [];
  if (process.env.MTCORE_NODE_MODULES) candidates.push(process.env.MTCORE_NODE_MODULES);
  // Under `bazel test` the cwd is the runfiles tree of the main repository;
  // @npm//:node_modules is there as external/npm (and ../npm).
  candidates.push(path.resolve('external/npm'), path.resolve('../npm'));
  if (process.env.RUNFILES_DIR) candidates.push(path.join(process.env.RUNFILES_DIR, 'npm'));
  // Run by hand from the source tree.
  candidates.push(path.resolve(HERE, '../../node_modules'));
  for (const dir of candidates) {
    const probe = path.join(dir, 'telegram', 'package.json');
    if (existsSync(probe)) return path.dirname(path.dirname(realpathSync(probe)));
  }
  throw new Error(`npm packages not found (run ./bazelw once, which runs npm ci); looked in:\n  ${candidates.join('\n  ')}`);
}

export function requireFromNodeModules() {
  return createRequire(path.join(nodeModulesDir(), 'package.json'));
}

export function importFromNodeModules(relPath) {
  return import(pathToFileURL(path.join(nodeModulesDir(), relPath)).href);
}

export function testdcBinary() {
  const candidates = [];
  if (process.env.TESTDC) candidates.push(process.env.TESTDC);
  candidates.push(path.resolve('tests/dc/testdc'));  // runfiles (bazel test)
  // By hand: bazel-bin follows the last build's configuration, so also look
  // in the plain native output tree.
  candidates.push(path.resolve(HERE, '../../bazel-out/k8-fastbuild/bin/tests/dc/testdc'));
  candidates.push(path.resolve(HERE, '../../bazel-bin/tests/dc/testdc'));
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`testdc binary not found; looked in:\n  ${candidates.join('\n  ')}\n(./bazelw build //tests/dc:testdc, or set TESTDC)`);
}

// TL `bytes` serialization (as in the RSA key fingerprint definition).
function tlBytes(buf) {
  const head = buf.length <= 253
    ? Buffer.from([buf.length])
    : Buffer.from([254, buf.length & 0xff, (buf.length >> 8) & 0xff, (buf.length >> 16) & 0xff]);
  const body = Buffer.concat([head, buf]);
  return Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
}

// n and e of an RSA public key PEM (PKCS#1 "RSA PUBLIC KEY" or SPKI
// "PUBLIC KEY") and its MTProto fingerprint: the low 64 bits of
// SHA1(TL bytes n + TL bytes e), as an unsigned BigInt.
export function parseRsaPublicKey(pem) {
  const jwk = createPublicKey(pem).export({ format: 'jwk' });
  const n = Buffer.from(jwk.n, 'base64url');
  const e = Buffer.from(jwk.e, 'base64url');
  const sha = createHash('sha1').update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest();
  const fingerprint = sha.subarray(12, 20).readBigUInt64LE(0);
  return {
    n: BigInt('0x' + n.toString('hex')),
    e: BigInt('0x' + e.toString('hex')),
    fingerprint,                                     // unsigned 64-bit
    fingerprintSigned: BigInt.asIntN(64, fingerprint),
  };
}

// testdc prints the fingerprint as it likes (hex, with or without 0x, or
// decimal, signed or not); this reads it as an unsigned 64-bit value.
function parsePrintedFingerprint(text) {
  const t = text.trim();
  if (/^-?\d+$/.test(t) && !/^[0-9]{16}$/.test(t)) return BigInt.asUintN(64, BigInt(t));
  const hex = t.replace(/^0x/i, '');
  if (/^[0-9a-f]{1,16}$/i.test(hex)) return BigInt('0x' + hex);
  throw new Error(`cannot read testdc fingerprint '${text}'`);
}

export class TestDc {
  constructor() {
    this.proc = null;
    this.stdout = '';
    this.stderr = '';
    this.dcs = new Map();  // dc id -> { host, port }
    this.pem = '';
    this.key = null;
    this.tmp = mkdtempSync(path.join(process.env.TEST_TMPDIR || tmpdir(), 'peers-'));
    this.exit = null;
  }

  tail(text, lines = 40) {
    return text.split('\n').slice(-lines).join('\n');
  }

  describe() {
    return `testdc ${this.exit ? `exited (${this.exit})` : 'running'}; stderr tail:\n${this.tail(this.stderr)}` +
      (this.pem ? '' : `\nstdout so far:\n${this.tail(this.stdout)}`);
  }

  // Writes a file into this run's scratch folder; returns its path.
  writeFile(name, contents) {
    const p = path.join(this.tmp, name);
    writeFileSync(p, contents);
    return p;
  }

  // Starts testdc with `args` (e.g. --config=FILE) on free loopback ports and
  // waits until it has printed every DC address, the key and the fingerprint.
  async start(args = []) {
    const bin = testdcBinary();
    const argv = ['--port=0', '--host=127.0.0.1', ...args];
    this.command = `${bin} ${argv.join(' ')}`;
    // testdc finds its default schemas relative to its cwd: its runfiles
    // root. Under `bazel test` that is ours; by hand, the binary's own.
    const own = `${bin}.runfiles/mtcore`;
    const cwd = existsSync(own) ? own : process.cwd();
    this.proc = spawn(bin, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d) => { this.stderr += d; if (this.stderr.length > 1 << 20) this.stderr = this.stderr.slice(-(1 << 19)); });
    this.proc.stdout.setEncoding('utf8');
    const exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.exit = signal ? `signal ${signal}` : `code ${code}`; resolve(); });
    });
    this.exited = exited;
    const ready = new Promise((resolve, reject) => {
      this.proc.on('error', reject);
      exited.then(() => reject(new Error(`testdc exited before it was ready: ${this.command}\n${this.describe()}`)));
      this.proc.stdout.on('data', (d) => {
        this.stdout += d;
        try {
          if (this.parse()) resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
    await withTimeout(ready, `testdc start: ${this.command}`, STEP_TIMEOUT_MS, this);
    return this;
  }

  // Parses stdout so far; true once everything is there (testdc ends its
  // start-up output with a line `ready`).
  parse() {
    if (!/^ready\s*$/m.test(this.stdout)) return false;
    const m = /^fingerprint=(\S+)\s*$/m.exec(this.stdout);
    if (!m) throw new Error(`testdc printed no fingerprint= line:\n${this.stdout}`);
    for (const line of this.stdout.split('\n')) {
      const dc = /^dc=(\d+)\s+addr=(\S+):(\d+)\s*$/.exec(line.trim());
      if (dc) this.dcs.set(Number(dc[1]), { host: dc[2].replace(/^\[|\]$/g, ''), port: Number(dc[3]) });
    }
    const pem = /-----BEGIN (RSA )?PUBLIC KEY-----[\s\S]*?-----END (RSA )?PUBLIC KEY-----/.exec(this.stdout);
    if (!pem) throw new Error(`testdc printed a fingerprint but no PEM public key:\n${this.stdout}`);
    this.pem = pem[0] + '\n';
    for (let id = 1; id <= 5; id++) {
      if (!this.dcs.has(id)) throw new Error(`testdc printed no address for DC ${id}:\n${this.stdout}`);
    }
    this.key = parseRsaPublicKey(this.pem);
    const printed = parsePrintedFingerprint(m[1]);
    if (printed !== this.key.fingerprint) {
      throw new Error(`testdc fingerprint=${m[1]} is not the fingerprint of its PEM key ` +
        `(computed ${this.key.fingerprint.toString(16)} = SHA1(TL n, TL e) low 64 bits)`);
    }
    return true;
  }

  addr(dcId) {
    const a = this.dcs.get(dcId);
    if (!a) throw new Error(`no testdc address for DC ${dcId}`);
    return a;
  }

  async stop() {
    if (this.proc && this.exit === null) {
      this.proc.kill('SIGTERM');
      const killed = await Promise.race([this.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!killed) {
        this.proc.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
