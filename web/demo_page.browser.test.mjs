// Opens web/index.html in real headless Chromium (Debian's chromium package),
// served from a loopback HTTP server beside mtcore.mjs and mtcore.wasm, and
// checks what the page shows after the module ran.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, mkdtempSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const files = {
  '/index.html': ['text/html', path.join(here, 'index.html')],
  '/mtcore.mjs': ['text/javascript', path.join(here, 'mtcore.mjs')],
  '/mtcore.wasm': ['application/wasm', path.join(here, 'mtcore.wasm')],
};

function serve() {
  const server = createServer((req, res) => {
    const entry = files[req.url];
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': entry[0] }).end(readFileSync(entry[1]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function chromiumDump(url) {
  const profile = mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', url];
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/chromium', args, { env: { ...process.env, HOME: profile } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !out) reject(new Error(`chromium exited ${code}: ${err.slice(-2000)}`));
      else resolve(out);
    });
  });
}

test('the demo page runs the module in Chromium and shows a passing self-check', async () => {
  const server = await serve();
  try {
    const { port } = server.address();
    const dom = await chromiumDump(`http://127.0.0.1:${port}/index.html`);
    assert.match(dom, /target: wasm32-emscripten/);
    assert.match(dom, /mbedtls: 2\.28\.3/);
    assert.match(dom, /<p id="check" class="ok">crypto self-check passed<\/p>/);
  } finally {
    server.close();
  }
});
